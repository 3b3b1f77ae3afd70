"""Issue 14, the edges a second review found: a review pushed past a closed period keeps the report's
time as the last update (quarterly tasks are judged by it), the appendix never prints a returned
completion's evidence as a result, a new target or a reworded deadline against closed periods, and a
quarter's value answering its last month's reminder."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Assignment, Indicator, Task
from services.common.saving import Outcome
from services.indicators.importer import import_indicators
from services.plans.editing import edit_task
from services.plans.spreadsheet import ImportFailed
from services.publication.content import gather
from services.reminders.rules import find_indicator_missing
from services.reporting.rollup import Situation, assignment_situations, assignments_counted
from services.tasks.review import return_
from tests.test_indicator_import import write_csv
from tests.test_period_close import ONLINE, value, values_of
from tests.test_period_close import close as close_period_two
from tests.test_review import COMMENT, actor, assignment_of, at, close, item, plan_of, report, review


def test_a_review_pushed_past_a_closed_period_keeps_the_reports_time(demo_db):
    """Task 23 is quarterly ("Hằng quý"): reported done on 10/03, Q1 closed on 02/04, returned on
    20/07. As of 20/07 its last report is still 10/03, before Quý II began, so it is overdue (the split
    row that carries the verdict from 01/04 is no report)."""
    with demo_db.read() as s:
        task = s.scalar(select(Task).where(Task.plan_id == plan_of(s).id, Task.stt == "23"))
        assert task.deadline_kind == "recurring_quarterly"
    assert report(demo_db, "so-khcn", "23", at(3, 10), completed_on="10/03/2026").outcome is Outcome.SAVED
    close(demo_db, "2026-Q1", at(4, 2))
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "23")], COMMENT, at(7, 20)).outcome is Outcome.SAVED
    with demo_db.read() as s:
        plan, target = plan_of(s), assignment_of(s, "so-khcn", "23")
        situation = assignment_situations(s, plan, assignment_ids=[target.id], as_of=date(2026, 7, 20))[target.id]
        assert situation.situation is Situation.OVERDUE
        last = {row.assignment_id: row.last_update
                for row in s.execute(assignments_counted(plan, "total", date(2026, 7, 20)))}
        assert last[target.id] == at(3, 10)


def test_the_appendix_gives_a_returned_completions_reason_or_marks_its_evidence(demo_db):
    evidence = "Quyết định số 788/QĐ-UBND ngày 10/04/2026"
    assert report(demo_db, "so-khcn", "4", at(4, 10), result=evidence).outcome is Outcome.SAVED
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "4")], COMMENT, at(4, 15)).outcome is Outcome.SAVED
    with demo_db.read() as s:
        content = gather(s, plan_of(s), "2026-Q2", date(2026, 11, 25))
    line = next(line for line in content.tasks if line.stt == "4" and line.parent_id is None)
    assert line.status != "Đã hoàn thành"
    assert line.result == f"{evidence} (Tổ giúp việc trả lại)"


def test_rewording_a_deadline_is_allowed_while_a_period_is_closed_but_moving_it_is_not(demo_db):
    close(demo_db, "2026-Q1", at(4, 2))
    with demo_db.read() as s:
        task = s.scalar(select(Task).where(Task.plan_id == plan_of(s).id, Task.stt == "7"))
        task_id, version, printed = task.id, task.version, task.deadline_text
        fields = {"title": task.title, "section_id": task.section_id, "lead_text": task.lead_text,
                  "coordinators_text": task.coordinators_text, "expected_product": task.expected_product}
    assert printed == "Năm 2026"
    with demo_db.write() as s:
        moved = edit_task(s, actor(s, "tgv"), task_id, version, {**fields, "deadline_text": "Quý I/2026"},
                          when=at(4, 3))
    assert moved.outcome is Outcome.INVALID and "đã chốt" in moved.errors["deadline_text"]
    with demo_db.write() as s:
        reworded = edit_task(s, actor(s, "tgv"), task_id, version, {**fields, "deadline_text": "Cuối năm 2026"},
                             when=at(4, 3))
    assert reworded.outcome is Outcome.SAVED
    with demo_db.read() as s:
        assert s.get(Task, task_id).deadline_text == "Cuối năm 2026"
        assert s.scalar(select(Assignment.id).where(Assignment.task_id == task_id)) is not None


def test_a_new_target_is_refused_while_a_period_is_closed(demo_db, tmp_path):
    """A new target joins every day's band counts, closed ones too (a value-less target is "Chưa có
    số liệu" as of every day): refused while a period is closed, like a changed definition."""
    close_period_two(demo_db)
    path = write_csv(tmp_path / "new.csv", ["STT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu năm 2026", "Kỳ báo cáo",
                                            "Kết quả"],
                     [["35", "Tỷ lệ trường học dùng học bạ số", "%", "80%", "Quý III/2026", "70%"]])
    before = values_of(demo_db)
    with pytest.raises(ImportFailed) as refused, demo_db.write() as s:
        import_indicators(s, plan_of(s), path)
    assert "Dòng 2: mục tiêu mới làm thay đổi số liệu của kỳ đã chốt" in str(refused.value)
    assert values_of(demo_db) == before
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Indicator).where(Indicator.stt == "35")) == 0


def test_a_quarters_value_answers_the_reminder_for_its_last_month(demo_db):
    """Lào Cai reports monthly; a target reported for Quý I/2026 stands at that value on 31/03 (a value
    belongs to its period's end), so on 01/04 nobody is reminded of Tháng 3 for it; one still without
    a value is."""
    def missing(day):
        with demo_db.read() as s:
            return {found.subject_id for found in find_indicator_missing(s, plan_of(s), day)}

    with demo_db.read() as s:
        online = s.scalar(select(Indicator.id).where(Indicator.name.startswith(ONLINE)))
    assert online in missing(date(2026, 4, 1))
    assert value(demo_db, "2026-Q1", "85%", when=at(4, 1)).outcome is Outcome.SAVED
    assert online not in missing(date(2026, 4, 1))
    assert online in missing(date(2026, 5, 1))  # Tháng 4 has no value of its own, nor a period ending with it
