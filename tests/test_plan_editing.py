"""Changing the plan during the year (issue 13 item 2): edit, add, extend, withdraw, lead changes,
each checked in the as-of rollup before and after its decision; conflicts; the callbacks and who
may post to them."""
import json
import logging
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Agency, Assignment, AssignmentState, ChangeLog, Plan, Task, TaskCoordinator, TaskDeadline, User
from services.accounts.permissions import NotAllowed
from services.common.saving import Outcome
from services.plans.catalogue import PlanArchived
from services.plans.editing import (
    add_task,
    edit_task,
    extend_deadline,
    plan_task_rows,
    search_rows,
    task_detail,
    task_history,
    withdraw_task,
)
from services.publication.report import report_file
from services.reporting.dashboard import overdue_board, tasks_behind
from services.reporting.rollup import agency_rollup, assignment_situations, plan_rollup
from services.tasks.history import apply_assignment_change
from services.tasks.workspace import agency_rows, coordinated_rows
from tests.test_province_wall import (  # noqa: F401  (two_provinces is a fixture)
    MARK,
    _fingerprint,
    _forgeries,
    logged_in,
    text_of,
    two_provinces,
)
from tests.test_tasks_callbacks import response_of

EXTENSION = {"deadline_text": "30/06/2026", "decision": "Quyết định số 123/QĐ-UBND", "decided_on": "15/04/2026",
             "effective_on": "15/04/2026"}
WITHDRAWAL = {"reason": "Nội dung đã được thực hiện trong Đề án 06",
              "decision": "Thông báo số 45/TB-UBND", "decided_on": "01/05/2026", "effective_on": "01/05/2026"}


def at(month, day, hour=9):
    return datetime(2026, month, day, hour)


def actor(session, username):
    from web.auth import actor_from_user
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def task_of(session, stt, plan_id=None) -> Task:
    query = select(Task).where(Task.stt == stt)
    return session.scalar(query.where(Task.plan_id == plan_id) if plan_id else query.order_by(Task.id).limit(1))


def plan_counts(db, day=None):
    with db.read() as s:
        return plan_rollup(s, s.scalar(select(Plan).order_by(Plan.id)), day)


def agency_counts(db, code, day=None):
    with db.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        agency = s.scalar(select(Agency).where(Agency.code == code, Agency.province_id == plan.province_id))
        found = agency_rollup(s, plan, day, agency_id=agency.id)
        return found[0].counts if found else None


def write(db, change, stt, raw, username="tgv", when=at(4, 15), version=None):
    with db.write() as s:
        task = task_of(s, stt)
        return change(s, actor(s, username), task.id, task.version if version is None else version, raw, when=when)


def fingerprint(db):
    """Everything a refused write must leave alone."""
    with db.read() as s:
        return (s.execute(select(Task.id, Task.version, Task.title, Task.deadline_text, Task.due_date, Task.lead_text,
                                 Task.withdrawn_on).order_by(Task.id)).all(),
                s.execute(select(Assignment.id, Assignment.version, Assignment.ended_on).order_by(Assignment.id)).all(),
                s.scalar(select(func.count(ChangeLog.id))), s.scalar(select(func.count(TaskDeadline.id))),
                s.scalar(select(func.count(TaskCoordinator.task_id))))


# ---- Extension (gia hạn) ------------------------------------------------------------------------

def test_an_extension_counts_from_its_day_and_earlier_views_keep_the_printed_deadline(demo_db):
    before = {day: plan_counts(demo_db, day) for day in (date(2026, 4, 10), date(2026, 4, 20))}
    result = write(demo_db, extend_deadline, "4", EXTENSION)
    assert result.outcome is Outcome.SAVED, result
    assert result.message == "Đã gia hạn đến 30/06/2026 theo Quyết định số 123/QĐ-UBND, từ ngày 15/04/2026."
    # Task 4 (Sở KH&CN) was due 31/03/2026: overdue on 10/04 still; from 15/04 it is due 30/06.
    assert plan_counts(demo_db, date(2026, 4, 10)) == before[date(2026, 4, 10)]
    after = plan_counts(demo_db, date(2026, 4, 20))
    assert after.overdue == before[date(2026, 4, 20)].overdue - 1 and after.total == 92
    with demo_db.read() as s:
        plan, task = s.scalar(select(Plan)), task_of(s, "4")
        assert (task.deadline_text, task.due_date) == ("30/06/2026", date(2026, 6, 30))
        rows = s.scalars(select(TaskDeadline).where(TaskDeadline.task_id == task.id)
                         .order_by(TaskDeadline.valid_from.is_not(None))).all()
        assert [(r.deadline_text, r.valid_from, r.valid_to, r.decision) for r in rows] == [
            ("Quý I/2026", None, date(2026, 4, 15), ""),
            ("30/06/2026", date(2026, 4, 15), None, "Quyết định số 123/QĐ-UBND")]
        assignment = s.scalar(select(Assignment.id).where(Assignment.task_id == task.id))
        assert assignment_situations(s, plan, assignment_ids=[assignment], as_of=date(2026, 4, 10))[
            assignment].situation == "overdue"
        assert assignment_situations(s, plan, assignment_ids=[assignment], as_of=date(2026, 4, 20))[
            assignment].situation == "open"
        # The overdue board and the click-through list print the deadline in force on the day.
        early = [r for r in overdue_board(s, plan, date(2026, 4, 10), date(2026, 11, 25)).rows if r["stt"] == "4"]
        assert [(r["deadline_text"], r["due_date"], r["days"]) for r in early] == [("Quý I/2026", "31/03/2026", 10)]
        assert not [r for r in overdue_board(s, plan, date(2026, 4, 20), date(2026, 11, 25)).rows if r["stt"] == "4"]
        listed = {r["stt"]: r["deadline_text"] for r in tasks_behind(s, plan, "total", date(2026, 4, 10))}
        assert listed["4"] == "Quý I/2026"
        history = task_history(s, actor(s, "tgv"), task.id)
        assert {"field": "Gia hạn", "new": "Quyết định số 123/QĐ-UBND ngày 15/04/2026: đến 30/06/2026, từ ngày "
                "15/04/2026"}.items() <= next(h for h in history if h["field"] == "Gia hạn").items()
        assert {"when": "15/04/2026 09:00", "who": "Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)",
                "field": "Thời hạn", "old": "Quý I/2026", "new": "30/06/2026"} in history


def test_a_second_extension_closes_the_first(demo_db):
    write(demo_db, extend_deadline, "4", EXTENSION)
    second = write(demo_db, extend_deadline, "4", {**EXTENSION, "deadline_text": "Quý III/2026",
                                                   "decision": "Quyết định số 200/QĐ-UBND", "decided_on": "01/07/2026",
                                                   "effective_on": ""}, when=at(7, 2))
    assert second.outcome is Outcome.SAVED, second
    with demo_db.read() as s:
        rows = s.execute(select(TaskDeadline.due_date, TaskDeadline.valid_from, TaskDeadline.valid_to)
                         .where(TaskDeadline.task_id == task_of(s, "4").id).order_by(TaskDeadline.id)).all()
    assert [tuple(r) for r in rows] == [(date(2026, 3, 31), None, date(2026, 4, 15)),
                                        (date(2026, 6, 30), date(2026, 4, 15), date(2026, 7, 1)),
                                        (date(2026, 9, 30), date(2026, 7, 1), None)]
    # Overdue by the deadline in force each day: 31/03, then 30/06, then 30/09.
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        overdue = {day: "4" in {r["stt"] for r in tasks_behind(s, plan, "overdue", day)}
                   for day in (date(2026, 4, 14), date(2026, 6, 30), date(2026, 7, 1), date(2026, 10, 1))}
    assert overdue == {date(2026, 4, 14): True, date(2026, 6, 30): False, date(2026, 7, 1): False,
                       date(2026, 10, 1): True}


@pytest.mark.parametrize("raw, field, message", [
    ({**EXTENSION, "deadline_text": "15/03/2026"}, "deadline_text", "phải sau thời hạn hiện tại (31/03/2026)"),
    ({**EXTENSION, "deadline_text": "Thường xuyên"}, "deadline_text", "một thời điểm cụ thể"),
    ({**EXTENSION, "deadline_text": "khi nào xong"}, "deadline_text", "Không hiểu thời hạn “khi nào xong”"),
    ({**EXTENSION, "decision": ""}, "decision", "Nhập văn bản quyết định."),
    ({**EXTENSION, "decided_on": "31/02/2026"}, "decided_on", "không hợp lệ"),
    ({**EXTENSION, "decided_on": "20/04/2026"}, "decided_on", "không được sau ngày hôm nay"),
    ({**EXTENSION, "effective_on": "10/04/2026"}, "effective_on", "không được trước ngày văn bản (15/04/2026)"),
    ({**EXTENSION, "effective_on": 20260415}, "effective_on", "không hợp lệ"),
    ({**EXTENSION, "decision": "x" * 201}, "decision", "quá dài"),
])
def test_a_bad_extension_says_why_and_changes_nothing(demo_db, raw, field, message):
    before = fingerprint(demo_db)
    result = write(demo_db, extend_deadline, "4", raw)
    assert result.outcome is Outcome.INVALID and message in result.errors[field], result
    assert fingerprint(demo_db) == before


def test_a_task_without_a_due_date_is_not_extended(demo_db):
    before = fingerprint(demo_db)
    result = write(demo_db, extend_deadline, "1", EXTENSION)  # "Thường xuyên"
    assert result.errors == {"deadline_text": "Nhiệm vụ không có hạn hoàn thành (Thường xuyên) nên không gia hạn "
                                              "được; nếu cần đặt thời hạn, hãy sửa nhiệm vụ."}
    assert fingerprint(demo_db) == before


# ---- Withdrawal ---------------------------------------------------------------------------------

def test_extended_then_withdrawn_task_leaves_the_counts_from_that_day_and_stays_in_history(demo_db):
    """The brief's story: due 31/03, extended on 15/04 to 30/06, withdrawn on 01/05."""
    assert write(demo_db, extend_deadline, "4", EXTENSION).outcome is Outcome.SAVED
    science_before = agency_counts(demo_db, "so-khcn", date(2026, 4, 30))
    result = write(demo_db, withdraw_task, "4", WITHDRAWAL, when=at(5, 2))
    assert result.outcome is Outcome.SAVED, result
    assert result.message == "Đã rút nhiệm vụ STT 4 khỏi kế hoạch từ ngày 01/05/2026 theo Thông báo số 45/TB-UBND."
    april, may = plan_counts(demo_db, date(2026, 4, 10)), plan_counts(demo_db, date(2026, 4, 30))
    assert (april.total, may.total) == (92, 92)
    assert plan_counts(demo_db, date(2026, 5, 2)).total == 91 == plan_counts(demo_db).total
    assert agency_counts(demo_db, "so-khcn", date(2026, 4, 30)) == science_before
    assert agency_counts(demo_db, "so-khcn", date(2026, 5, 2)).total == science_before.total - 1
    with demo_db.read() as s:
        plan, tgv, task = s.scalar(select(Plan)), actor(s, "tgv"), task_of(s, "4")
        science = s.scalar(select(Agency).where(Agency.code == "so-khcn"))
        khcn = actor(s, "so-khcn")
        assert "4" in {r["stt"] for r in overdue_board(s, plan, date(2026, 4, 10), date(2026, 11, 25)).rows}
        assert "4" not in {r["stt"] for r in agency_rows(s, khcn, plan, science.id, date(2026, 11, 25))}
        assert all(r["title"] != task.title for r in coordinated_rows(s, khcn, plan, science.id))
        detail = task_detail(s, tgv, task.id)
        assert detail["read_only"] and detail["withdrawn"].startswith(
            "Đã rút khỏi kế hoạch từ ngày 01/05/2026 theo Thông báo số 45/TB-UBND ngày 01/05/2026.")
        assert [d["decision"] for d in detail["deadlines"]] == ["Thời hạn ban hành",
                                                               "Quyết định số 123/QĐ-UBND ngày 15/04/2026"]
        fields = [h["field"] for h in task_history(s, tgv, task.id)]
        assert "Gia hạn" in fields and "Rút khỏi kế hoạch từ ngày" in fields and "Lý do rút" in fields
        row = next(r for r in plan_task_rows(s, tgv, plan) if r["stt"] == "4")
        assert (row["state"], row["extended"]) == ("Đã rút từ 01/05/2026", "1 lần")
        # The export: as of 30/04 the task is in the appendix; as of today it is not.
        appendix = {}
        for label, day in (("april", "2026-04-30"), ("now", "2026-11-25")):
            book = load_workbook(BytesIO(report_file(s, plan, day, date(2026, 11, 25), "xlsx")[0]))
            appendix[label] = [row[1] for row in book["Phụ lục nhiệm vụ"].iter_rows(values_only=True)]
        assert task.title in appendix["april"] and task.title not in appendix["now"]
    again = write(demo_db, extend_deadline, "4", {**EXTENSION, "deadline_text": "Quý III/2026"}, when=at(5, 3))
    assert again.outcome is Outcome.INVALID and "đã rút khỏi kế hoạch từ ngày 01/05/2026" in again.message


def _report_total(db, day):
    """The agency's "x/y nhiệm vụ" of its periodic report, and what a submission would snapshot."""
    from services.tasks.submissions import _snapshot, report_status
    with db.read() as s:
        plan, khcn = s.scalar(select(Plan).order_by(Plan.id)), actor(s, "so-khcn")
        return (report_status(s, khcn, plan, khcn.agency_id, day).assignments,
                len(_snapshot(s, plan, khcn.agency_id, day)))


def test_a_form_left_open_while_its_task_was_withdrawn_saves_nothing_and_says_why(demo_db):
    from services.tasks.updates import save_update
    with demo_db.read() as s:
        task = task_of(s, "4")
        assignment_id, version = s.execute(select(Assignment.id, Assignment.version)
                                           .where(Assignment.task_id == task.id)).one()
    total, snapshot = _report_total(demo_db, date(2026, 5, 3))
    assert write(demo_db, withdraw_task, "4", WITHDRAWAL, when=at(5, 2)).outcome is Outcome.SAVED
    assert _report_total(demo_db, date(2026, 5, 3)) == (total - 1, snapshot - 1)  # the report counts it no more
    before = fingerprint(demo_db)
    with demo_db.write() as s:
        result = save_update(s, actor(s, "so-khcn"), assignment_id, version,
                             {"status": "in_progress", "progress": 30}, when=at(5, 3))
    assert result.outcome is Outcome.INVALID and "đã được rút khỏi kế hoạch" in result.message
    assert fingerprint(demo_db) == before


def test_a_withdrawal_needs_its_reason_and_decision(demo_db):
    before = fingerprint(demo_db)
    result = write(demo_db, withdraw_task, "5", {"reason": "", "decision": "", "decided_on": "",
                                                 "effective_on": "01/05/2026"}, when=at(5, 2))
    assert result.outcome is Outcome.INVALID
    assert set(result.errors) == {"reason", "decision", "decided_on"}
    assert result.errors["decided_on"] == "Nhập ngày văn bản (dd/mm/yyyy)."
    assert write(demo_db, withdraw_task, "5", {**WITHDRAWAL, "effective_on": "02/06/2026"},
                 when=at(5, 2)).errors["effective_on"] == "Ngày hiệu lực không được sau ngày hôm nay."
    assert fingerprint(demo_db) == before


# ---- Edit, add --------------------------------------------------------------------------------

def test_the_secretariat_edits_a_task_and_every_field_is_logged(demo_db):
    with demo_db.read() as s:
        task = task_of(s, "7")
        section = s.scalar(select(Task.section_id).where(Task.stt == "1"))
        version = task.version
        raw = {"section_id": str(section), "title": "Tham mưu ban hành Nghị quyết (sửa)",
               "lead_text": task.lead_text, "coordinators_text": "Sở Tư pháp", "deadline_text": "Quý III/2026",
               "expected_product": "Nghị quyết"}
    result = write(demo_db, edit_task, "7", raw, when=at(6, 1))
    assert result.outcome is Outcome.SAVED and result.version > version, result
    with demo_db.read() as s:
        task = task_of(s, "7")
        assert (task.title, task.section_id, task.due_date, task.deadline_kind) == (
            raw["title"], section, date(2026, 9, 30), "one_off")
        assert [c.agency_id for c in s.scalars(select(TaskCoordinator).where(TaskCoordinator.task_id == task.id))] == [
            s.scalar(select(Agency.id).where(Agency.code == "so-tu-phap"))]
        logs = s.execute(select(ChangeLog.field, ChangeLog.user_id, ChangeLog.occurred_at)
                         .where(ChangeLog.entity == "task", ChangeLog.entity_id == task.id)).all()
        tgv = actor(s, "tgv").id
        assert {f for f, _, _ in logs} == {"section_id", "title", "coordinators_text", "deadline_text", "due_date",
                                           "expected_product"}  # "Năm 2026" → "Quý III/2026": still one-off
        assert {(u, w) for _, u, w in logs} == {(tgv, at(6, 1))}
        history = task_history(s, actor(s, "tgv"), task.id)
        assert ("Nhóm nhiệm vụ", "II. Hoàn thiện thể chế, cơ chế, chính sách", "I. Nhận thức số") in [
            (h["field"], h["old"], h["new"]) for h in history]
        assert any(h["field"] == "Hạn hoàn thành" and h["old"] == "31/12/2026" and h["new"] == "30/09/2026"
                   for h in history)
    unchanged = write(demo_db, edit_task, "7", raw, when=at(6, 2))
    assert unchanged.outcome is Outcome.UNCHANGED


@pytest.mark.parametrize("change, field, message", [
    ({"title": "  "}, "title", "Nhập nhiệm vụ."),
    ({"deadline_text": "sớm nhất có thể"}, "deadline_text", "Không hiểu thời hạn"),
    ({"lead_text": "Sở Khoa học và Công nghệ, Sở Không Tồn Tại"}, "lead_text", "“Sở Không Tồn Tại”"),
    ({"lead_text": ""}, "lead_text", "Nhập cơ quan chủ trì."),
    ({"coordinators_text": "Ban Không Có"}, "coordinators_text", "Chưa có trong danh mục cơ quan"),
    ({"section_id": "999999"}, "section_id", "Chọn nhóm nhiệm vụ"),
    ({"section_id": None}, "section_id", "Chọn nhóm nhiệm vụ"),
    ({"title": "a\x00b"}, "title", "ký tự điều khiển"),
    ({"lead_text": "Sở Y tế", "effective_on": "01/12/2025"}, "effective_on", "trước ngày bắt đầu kế hoạch"),
    ({"lead_text": "Sở Y tế, Sở Tư pháp", "carry_over": True}, "carry_over", "thay đúng một cơ quan"),
])
def test_a_bad_edit_says_why_and_changes_nothing(demo_db, change, field, message):
    with demo_db.read() as s:
        raw = {"section_id": str(task_of(s, "4").section_id), **{k: v for k, v in vars(task_of(s, "4")).items()
               if k in ("title", "lead_text", "coordinators_text", "deadline_text", "expected_product")}}
    before = fingerprint(demo_db)
    result = write(demo_db, edit_task, "4", {**raw, **change}, when=at(6, 1))
    assert result.outcome is Outcome.INVALID and message in result.errors[field], result
    assert fingerprint(demo_db) == before


def test_an_added_task_counts_from_the_day_it_was_added(demo_db):
    with demo_db.read() as s:
        section = task_of(s, "7").section_id
        plan_id = s.scalar(select(Plan.id))
        last_in_section = s.scalar(select(func.max(Task.position)).where(Task.section_id == section))
        next_section_first = s.scalar(select(Task.id).where(Task.position == last_in_section + 1))
    raw = {"stt": "7a", "section_id": section, "title": "Xây dựng kho dữ liệu dùng chung", "lead_text": "Sở Y tế",
           "coordinators_text": "", "deadline_text": "Quý III/2026", "expected_product": "Kho dữ liệu",
           "effective_on": "01/07/2026"}
    with demo_db.write() as s:
        result = add_task(s, actor(s, "tgv"), s.get(Plan, plan_id), raw, when=at(7, 3))
    assert result.outcome is Outcome.SAVED and result.message == "Đã thêm nhiệm vụ STT 7a.", result
    assert plan_counts(demo_db, date(2026, 6, 30)).total == 92
    assert plan_counts(demo_db, date(2026, 7, 1)).total == 93 == plan_counts(demo_db).total
    assert agency_counts(demo_db, "so-y-te", date(2026, 6, 30)).total + 1 == \
        agency_counts(demo_db, "so-y-te", date(2026, 7, 2)).total
    with demo_db.read() as s:
        task = s.get(Task, result.current["id"])
        assert (task.position, task.root_id, task.added_on) == (last_in_section + 1, task.id, date(2026, 7, 1))
        assert s.scalar(select(AssignmentState.valid_from).join(Assignment).where(Assignment.task_id == task.id)) \
            == datetime(2026, 7, 1)
        assert s.get(Task, next_section_first).position == last_in_section + 2  # the next section moved down
    with demo_db.write() as s:
        again = add_task(s, actor(s, "tgv"), s.get(Plan, plan_id), {**raw, "effective_on": "01/08/2026"},
                         when=at(7, 3))
    assert again.outcome is Outcome.INVALID
    assert again.errors == {"stt": "Kế hoạch đã có nhiệm vụ STT 7a; chọn số khác.",
                            "effective_on": "Ngày hiệu lực không được sau ngày hôm nay."}


# ---- Leads ------------------------------------------------------------------------------------

def test_a_lead_replaced_ends_its_assignment_and_earlier_views_still_count_it(demo_db):
    with demo_db.read() as s:
        raw = {"section_id": str(task_of(s, "9").section_id), "title": task_of(s, "9").title,
               "lead_text": "Sở Y tế", "coordinators_text": "", "deadline_text": "Năm 2026",
               "expected_product": task_of(s, "9").expected_product, "effective_on": "01/06/2026"}
        old_id = s.scalar(select(Assignment.id).join(Task).where(Task.stt == "9"))
    science, health = agency_counts(demo_db, "so-khcn", date(2026, 5, 31)), agency_counts(demo_db, "so-y-te",
                                                                                          date(2026, 5, 31))
    result = write(demo_db, edit_task, "9", raw, when=at(6, 3))
    assert result.outcome is Outcome.SAVED, result
    assert agency_counts(demo_db, "so-khcn", date(2026, 5, 31)) == science
    assert agency_counts(demo_db, "so-y-te", date(2026, 5, 31)) == health
    assert agency_counts(demo_db, "so-khcn", date(2026, 6, 1)).total == science.total - 1
    assert agency_counts(demo_db, "so-y-te", date(2026, 6, 1)).total == health.total + 1
    assert plan_counts(demo_db, date(2026, 6, 2)).total == 92
    with demo_db.read() as s:
        old = s.get(Assignment, old_id)
        task_id = old.task_id
        assert old.ended_on == date(2026, 6, 1)
        assert s.scalar(select(func.count(AssignmentState.id)).where(AssignmentState.assignment_id == old_id)) == 1
        fields = [(h["field"], h["old"], h["new"]) for h in task_history(s, actor(s, "tgv"), old.task_id)]
        assert ("Thôi giao cơ quan chủ trì", "Sở Khoa học và Công nghệ", "(trống)") in fields
        assert ("Giao thêm cơ quan chủ trì", "(trống)", "Sở Y tế") in fields
        assert ("Sở Khoa học và Công nghệ — Thôi giao từ ngày", "(trống)", "01/06/2026") in fields
    # Giving it back later would reopen the same assignment (the pair task–agency is unique) and count it
    # over the gap, changing 05/06's figures by a decision of 10/06: refused, nothing changed.
    before = fingerprint(demo_db)
    later = write(demo_db, edit_task, "9", {**raw, "lead_text": "Sở Khoa học và Công nghệ", "effective_on": ""},
                  when=at(6, 10))
    assert later.outcome is Outcome.INVALID and "đã thôi chủ trì nhiệm vụ từ ngày 01/06/2026" in later.errors[
        "lead_text"]
    assert fingerprint(demo_db) == before and agency_counts(demo_db, "so-khcn", date(2026, 6, 5)).total == \
        science.total - 1
    # Undoing the removal from its own day (a mistake) reopens it: no day's figures are rewritten.
    back = write(demo_db, edit_task, "9", {**raw, "lead_text": "Sở Khoa học và Công nghệ",
                                           "effective_on": "01/06/2026"}, when=at(6, 10))
    assert back.outcome is Outcome.SAVED, back
    with demo_db.read() as s:
        assert s.get(Assignment, old_id).ended_on is None
        assert s.scalar(select(func.count(Assignment.id)).where(Assignment.task_id == task_id,
                                                                Assignment.ended_on.is_(None))) == 1


def test_a_reorganised_agency_carries_the_work_done_over(demo_db):
    with demo_db.write() as s:
        task = task_of(s, "10")
        old = s.scalar(select(Assignment).where(Assignment.task_id == task.id))
        apply_assignment_change(s, old, {"status": "done", "progress": 100, "completed_on": date(2026, 5, 5),
                                         "result": "Quyết định số 9/QĐ-UBND"}, when=at(5, 5), recorded_at=at(5, 5),
                                user_id=None)
        reviewer = actor(s, "tgv").id  # the secretariat's review goes with the work
        old.review_state, old.review_comment, old.reviewed_at, old.reviewed_by_id = (
            "confirmed", "Đủ văn bản", at(5, 6), reviewer)
        raw = {"section_id": str(task.section_id), "title": task.title, "lead_text": "Sở Nội vụ",
               "coordinators_text": "", "deadline_text": task.deadline_text,
               "expected_product": task.expected_product, "effective_on": "01/07/2026", "carry_over": True}
    done_before = plan_counts(demo_db, date(2026, 6, 30)).done
    assert write(demo_db, edit_task, "10", raw, when=at(7, 1, 10)).outcome is Outcome.SAVED
    assert plan_counts(demo_db, date(2026, 7, 2)).done == done_before == plan_counts(demo_db).done
    assert agency_counts(demo_db, "so-noi-vu", date(2026, 7, 2)).done_on_time == \
        agency_counts(demo_db, "so-noi-vu", date(2026, 6, 30)).done_on_time + 1
    with demo_db.read() as s:
        new = s.scalar(select(Assignment).join(Agency, Agency.id == Assignment.agency_id)
                       .where(Assignment.task_id == task.id, Agency.code == "so-noi-vu"))
        assert (new.status, new.completed_on, new.result) == ("done", date(2026, 5, 5), "Quyết định số 9/QĐ-UBND")
        assert (new.review_state, new.review_comment, new.reviewed_at, new.reviewed_by_id) == (
            "confirmed", "Đủ văn bản", at(5, 6), reviewer)
        fields = [(h["field"], h["old"], h["new"]) for h in task_history(s, actor(s, "tgv"), task.id)]
        assert ("Chuyển kết quả sang cơ quan mới", "Sở Khoa học và Công nghệ", "Sở Nội vụ") in fields


# ---- Versions, archive, permissions -------------------------------------------------------------

def test_two_people_editing_one_task_never_overwrite_each_other(demo_db):
    with demo_db.read() as s:
        task = task_of(s, "8")
        version, raw = task.version, {"section_id": str(task.section_id), "title": task.title,
                                      "lead_text": task.lead_text, "coordinators_text": task.coordinators_text,
                                      "deadline_text": task.deadline_text, "expected_product": task.expected_product}
    first = write(demo_db, edit_task, "8", {**raw, "title": "Bản của người thứ nhất"}, version=version, when=at(6, 1))
    assert first.outcome is Outcome.SAVED
    before = fingerprint(demo_db)
    for change, form in ((edit_task, {**raw, "title": "Bản của người thứ hai"}), (extend_deadline, EXTENSION),
                         (withdraw_task, WITHDRAWAL)):
        second = write(demo_db, change, "8", form, version=version, when=at(6, 1))
        assert second.outcome is Outcome.CONFLICT and second.version == first.version
        assert "vừa được Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ) lúc 01/06/2026 09:00 sửa" in second.message
        assert second.current["title"] == "Bản của người thứ nhất"
    missing = write(demo_db, edit_task, "8", raw, version="3", when=at(6, 1))
    assert missing.outcome is Outcome.CONFLICT and "không có phiên bản" in missing.message
    assert fingerprint(demo_db) == before


def test_an_archived_plan_refuses_every_change(demo_db):
    with demo_db.write() as s:
        s.scalar(select(Plan)).archived_at = at(11, 1)
    before = fingerprint(demo_db)
    for change, form in ((extend_deadline, EXTENSION), (withdraw_task, WITHDRAWAL), (edit_task, {"title": "x"})):
        with pytest.raises(PlanArchived, match="đã lưu trữ: chỉ xem, không cập nhật"):
            write(demo_db, change, "5", form, when=at(6, 1))
    with demo_db.write() as s, pytest.raises(PlanArchived):
        add_task(s, actor(s, "tgv"), s.scalar(select(Plan)), {}, when=at(6, 1))
    with demo_db.read() as s:
        detail = task_detail(s, actor(s, "tgv"), task_of(s, "5").id)
        assert detail["read_only"] and "đã lưu trữ" in detail["archived"]
    assert fingerprint(demo_db) == before


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao", "tgv-lc"])
def test_only_the_provinces_secretariat_or_admin_may_change_its_plan(demo_db, two_provinces, username):  # noqa: F811
    before = fingerprint(demo_db)
    for change, form in ((extend_deadline, EXTENSION), (withdraw_task, WITHDRAWAL), (edit_task, {})):
        with pytest.raises(NotAllowed):
            write(demo_db, change, "5", form, username=username)
    with demo_db.write() as s, pytest.raises(NotAllowed):
        add_task(s, actor(s, username), s.scalar(select(Plan).order_by(Plan.id)), {})
    with demo_db.read() as s, pytest.raises(NotAllowed):
        task_detail(s, actor(s, username), task_of(s, "5").id)
    assert fingerprint(demo_db) == before


def test_search_ignores_diacritics(demo_db):
    with demo_db.read() as s:
        rows = plan_task_rows(s, actor(s, "tgv"), s.scalar(select(Plan)))
    found = search_rows(rows, "ke hoach thuc hien chuong trinh chuyen doi so quoc gia")
    assert [r["stt"] for r in found] == ["4"] and "search" not in found[0]
    assert len(search_rows(rows, "")) == len(rows) == 92


# ---- The page's callbacks ------------------------------------------------------------------------

GRID, OPEN, EDIT, ADD, EXTEND, WITHDRAW = ("plan-edit-search.value", "plan-edit-task.data",
                                            "plan-edit-form-save.n_clicks", "plan-edit-add-save.n_clicks",
                                            "plan-edit-extend-save.n_clicks", "plan-edit-withdraw-confirm.n_clicks")


def _task_ids(db, stt="5"):
    with db.read() as s:
        task = task_of(s, stt)
        return task.id, task.version


def test_the_secretariat_finds_opens_and_edits_a_task_through_the_page(app, demo_db):
    dash = logged_in(app, "tgv")
    # Every word in any order (issue 15): enough words to name task 4 alone.
    grid = response_of(dash.call(GRID, "chuong trinh quoc gia ke hoach thuc hien", {"plan-edit-refresh": 0}))
    assert [r["stt"] for r in grid["plan-edit-grid"]["rowData"]] == ["4"]
    assert "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026" in str(grid["plan-edit-heading"]["children"])
    task_id, version = _task_ids(demo_db)
    opened = response_of(dash.call(OPEN, str(task_id), {"plan-edit-refresh": 0}))
    assert opened["plan-edit-version"]["data"] == version
    assert opened["plan-edit-form-title"]["value"].startswith("Ban hành quy chế chia sẻ")
    values = {f"plan-edit-form-{k}": opened[f"plan-edit-form-{k}"]["value"]
              for k in ("section", "title", "lead", "coordinators", "deadline", "product")}
    saved = response_of(dash.call(EDIT, 1, {"plan-edit-task": task_id, "plan-edit-version": version,
                                            "plan-edit-loaded": {}, "plan-edit-refresh": 0, **values,
                                            "plan-edit-form-deadline": "Quý III/2026",
                                            "plan-edit-form-effective": "", "plan-edit-form-carry": []}))
    assert saved["plan-edit-toast"]["children"] == "Đã lưu nhiệm vụ."
    assert saved["plan-edit-refresh"]["data"] == 1
    with demo_db.read() as s:
        assert task_of(s, "5").due_date == date(2026, 9, 30)
    loaded = opened["plan-edit-loaded"]["data"]
    stale = dash.call(EDIT, 1, {"plan-edit-task": task_id, "plan-edit-version": version, "plan-edit-loaded": loaded,
                                "plan-edit-refresh": 1, **values, "plan-edit-form-title": "Ghi đè",
                                "plan-edit-form-effective": "", "plan-edit-form-carry": []})
    alert = json.dumps(response_of(stale)["plan-edit-form-alert"]["children"], ensure_ascii=False)
    assert "vừa được Tổ giúp việc" in alert and "Thời hạn: Quý II/2026 → Quý III/2026" in alert


def test_the_secretariat_extends_and_withdraws_through_the_page(app, demo_db):
    dash = logged_in(app, "tgv")
    task_id, version = _task_ids(demo_db, "4")
    refused = response_of(dash.call(EXTEND, 1, {
        "plan-edit-task": task_id, "plan-edit-version": version, "plan-edit-refresh": 0,
        "plan-edit-extend-deadline": "01/01/2026", "plan-edit-extend-decision": "QĐ 1",
        "plan-edit-extend-decided": "15/04/2026", "plan-edit-extend-effective": ""}))
    assert "phải sau thời hạn hiện tại" in json.dumps(refused["plan-edit-extend-alert"]["children"], ensure_ascii=False)
    extended = response_of(dash.call(EXTEND, 1, {
        "plan-edit-task": task_id, "plan-edit-version": version, "plan-edit-refresh": 0,
        "plan-edit-extend-deadline": "30/06/2026", "plan-edit-extend-decision": "Quyết định số 123/QĐ-UBND",
        "plan-edit-extend-decided": "15/04/2026", "plan-edit-extend-effective": "15/04/2026"}))
    assert extended["plan-edit-toast"]["children"].startswith("Đã gia hạn đến 30/06/2026")
    _, version = _task_ids(demo_db, "4")
    withdrawn = response_of(dash.call(WITHDRAW, 1, {
        "plan-edit-task": task_id, "plan-edit-version": version, "plan-edit-refresh": 1,
        "plan-edit-withdraw-reason": WITHDRAWAL["reason"], "plan-edit-withdraw-decision": WITHDRAWAL["decision"],
        "plan-edit-withdraw-decided": "01/05/2026", "plan-edit-withdraw-effective": "01/05/2026"}))
    assert withdrawn["plan-edit-toast"]["children"].startswith("Đã rút nhiệm vụ STT 4")
    assert plan_counts(demo_db, date(2026, 4, 30)).total == 92 and plan_counts(demo_db, date(2026, 5, 2)).total == 91
    history = response_of(dash.call(OPEN, str(task_id), {"plan-edit-refresh": 2}))
    assert "Thông báo số 45/TB-UBND" in json.dumps(history, ensure_ascii=False)


def test_the_secretariat_adds_a_task_through_the_page(app, demo_db):
    dash = logged_in(app, "tgv")
    with demo_db.read() as s:
        section = task_of(s, "7").section_id
    form = {"plan-edit-add-stt": "7a", "plan-edit-add-section": str(section),
            "plan-edit-add-title": "Xây dựng kho dữ liệu", "plan-edit-add-lead": "Sở Y tế",
            "plan-edit-add-coordinators": "", "plan-edit-add-deadline": "Quý III/2026",
            "plan-edit-add-product": "", "plan-edit-add-effective": "", "plan-edit-refresh": 0}
    added = response_of(dash.call(ADD, 1, form))
    assert added["plan-edit-toast"]["children"] == "Đã thêm nhiệm vụ STT 7a."
    assert added["plan-edit-add-modal"]["is_open"] is False
    again = response_of(dash.call(ADD, 1, form))
    assert "đã có nhiệm vụ STT 7a" in json.dumps(again["plan-edit-add-alert"]["children"], ensure_ascii=False)
    assert plan_counts(demo_db).total == 93


WRITES = [EDIT, ADD, EXTEND, WITHDRAW]


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao", "khcn-lc", "lanhdao-lc"])
def test_agency_and_leader_users_get_403_on_every_callback(app, demo_db, two_provinces, username, caplog):  # noqa: F811
    before = fingerprint(demo_db)
    task_id, version = _task_ids(demo_db, "5")
    dash = logged_in(app, username)
    every = {"plan-edit-task": task_id, "plan-edit-version": version, "plan-edit-refresh": 0,
             "plan-edit-form-title": "Ghi đè", "plan-edit-add-stt": "999", "plan-edit-add-title": "Ghi đè",
             "plan-edit-extend-deadline": "30/06/2026", "plan-edit-withdraw-reason": "x"}
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        for trigger in WRITES + [GRID, OPEN]:
            response = dash.call(trigger, str(task_id) if trigger == OPEN else 1, every)
            assert response.status_code == 403, (trigger, response.status_code)
    assert "refused callback" in caplog.text
    assert fingerprint(demo_db) == before


def test_a_secretariat_sees_and_changes_only_its_own_provinces_plan(app, demo_db, two_provinces):  # noqa: F811
    lao_cai = logged_in(app, "tgv")
    grid = lao_cai.call(GRID, "", {"plan-edit-refresh": 0})
    assert MARK not in text_of(grid)
    with demo_db.read() as s:
        lai_chau_task = s.scalar(select(Task).where(Task.plan_id == two_provinces["plan"]))
        task_id, version = lai_chau_task.id, lai_chau_task.version
    before = fingerprint(demo_db)
    assert lao_cai.call(OPEN, str(task_id), {"plan-edit-refresh": 0}).status_code == 403
    for trigger in (EDIT, EXTEND, WITHDRAW):
        response = lao_cai.call(trigger, 1, {"plan-edit-task": task_id, "plan-edit-version": version,
                                             "plan-edit-refresh": 0, "plan-edit-form-title": "Ghi đè"})
        assert response.status_code == 403 and MARK not in text_of(response)
    lai_chau_url = {"url": f"?ke-hoach={two_provinces['plan']}", "plan-edit-refresh": 0}
    assert lao_cai.call(GRID, "", lai_chau_url).status_code == 403
    assert lao_cai.call(ADD, 1, {**lai_chau_url, "plan-edit-add-stt": "99", "plan-edit-add-title": "Ghi đè",
                                 "plan-edit-add-lead": f"Sở Tư pháp {MARK}", "plan-edit-add-deadline": "Năm 2026",
                                 "plan-edit-add-section": "1"}).status_code == 403
    assert fingerprint(demo_db) == before
    lai_chau = logged_in(app, "tgv-lc")
    own = response_of(lai_chau.call(GRID, "", {"plan-edit-refresh": 0}))
    assert {r["id"] for r in own["plan-edit-grid"]["rowData"]} == set(s_ids(demo_db, two_provinces["plan"]))


@pytest.mark.parametrize("username", ["tgv", "admin"])
def test_every_forged_id_of_another_province_on_this_page_leaks_and_changes_nothing(app, demo_db, two_provinces,  # noqa: F811
                                                                                   username):
    """test_province_wall's sweep, on this page's callbacks only."""
    before = _fingerprint(demo_db, two_provinces)
    dash = logged_in(app, username)
    dependencies = [d for d in dash.client.get("/_dash-dependencies").get_json()
                    if d["clientside_function"] is None and "plan-edit" in d["output"]]
    assert len(dependencies) == 6
    for dependency in dependencies:
        trigger = dependency["inputs"][0]
        for forged in _forgeries(two_provinces) + [f"?ke-hoach={two_provinces['plan']}"]:
            every = {item["id"]: forged for item in dependency["inputs"] + dependency["state"]}
            response = dash.post(dash.payload(f"{trigger['id']}.{trigger['property']}", forged, every,
                                              output=dependency["output"]))
            assert response.status_code in (200, 204, 400, 403), (dependency["output"], forged, response.status_code)
            assert MARK not in text_of(response), (dependency["output"], forged)
    assert _fingerprint(demo_db, two_provinces) == before


def s_ids(db, plan_id):
    with db.read() as s:
        return s.scalars(select(Task.id).where(Task.plan_id == plan_id)).all()


def test_the_page_is_in_the_navbar_for_the_secretariat_only(app):
    for username, shown in (("tgv", True), ("admin", True), ("lanhdao", False), ("so-khcn", False)):
        dash = logged_in(app, username)
        rendered = response_of(dash.call("url.pathname", "/ke-hoach/nhiem-vu"))
        nav = json.dumps(rendered["shell-nav"]["children"], ensure_ascii=False)
        assert ("Sửa kế hoạch" in nav) is shown, username
        content = json.dumps(rendered["page-content"]["children"], ensure_ascii=False)
        assert ("Bạn không có quyền xem trang này" in content) is not shown, username
