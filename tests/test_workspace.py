"""The agency workspace against the demo plan, on SQLite and PostgreSQL: saving, conflicts,
history, group tasks, coordinated tasks, filters and the periodic report."""
import json
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Agency, Assignment, AssignmentState, ChangeLog, Plan, ReportSnapshot, ReportSubmission, Task, User
from services.accounts.permissions import NotAllowed
from services.common.saving import Outcome
from services.common.text import fold, matches, search_words
from services.reporting.rollup import plan_rollup, task_progress
from services.tasks.submissions import report_status, snapshot_digest, submit_report
from services.tasks.history import UNCHANGED
from services.tasks.updates import confirm_unchanged, save_update
from services.tasks.workspace import TaskFilter, agency_rows, assignment_history, coordinated_rows
from web.auth import actor_from_user

DAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 23, 9, 30)
DONE = {"status": "done", "progress": 100, "result": "Quyết định số 788/QĐ-UBND ngày 15/04/2026",
        "completed_on": "15/04/2026", "delay_reason": "", "note": ""}


def actor(session, username):
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def assignment_of(session, agency_code, stt):
    return session.scalar(select(Assignment).join(Task).join(Agency, Agency.id == Assignment.agency_id)
                          .where(Agency.code == agency_code, Task.stt == stt))


def log_count(session):
    return session.scalar(select(func.count(ChangeLog.id)))


def test_save_writes_row_interval_and_history_together(demo_db):
    with demo_db.write() as s:
        target = assignment_of(s, "so-khcn", "4")
        result = save_update(s, actor(s, "so-khcn"), target.id, target.version, DONE, when=WHEN)
        assert result.outcome is Outcome.SAVED and result.version == 2
    with demo_db.read() as s:
        saved = s.get(Assignment, target.id)
        assert (saved.status, saved.progress, saved.completed_on) == ("done", 100, date(2026, 4, 15))
        logs = s.scalars(select(ChangeLog).where(ChangeLog.entity_id == target.id)).all()
        assert {(log.field, log.old_value, log.new_value) for log in logs} == {
            ("status", "not_started", "done"), ("progress", "0", "100"),
            ("completed_on", None, "2026-04-15"), ("result", "", DONE["result"])}
        assert all(log.on_behalf_of_agency_id is None and log.occurred_at == WHEN for log in logs)
        states = s.scalars(select(AssignmentState).where(AssignmentState.assignment_id == target.id)
                           .order_by(AssignmentState.valid_from)).all()
        assert [(st.status, st.valid_to) for st in states] == [("not_started", WHEN), ("done", None)]
        # Task 4 is Sở KH&CN's alone: the plan's rollup counts it done, late (due 31/03/2026).
        counts = plan_rollup(s, s.scalar(select(Plan)), as_of=DAY)
        assert (counts.done, counts.done_late) == (1, 1)


def test_stale_or_missing_version_is_refused_and_nothing_written(demo_db):
    with demo_db.write() as s:
        target = assignment_of(s, "so-khcn", "4")
        first = save_update(s, actor(s, "so-khcn"), target.id, 1, {**DONE, "status": "in_progress",
                                                                    "progress": 30, "delay_reason": "Chờ"})
        assert first.outcome is Outcome.SAVED
    with demo_db.write() as s:
        before = log_count(s)
        stale = save_update(s, actor(s, "tgv"), target.id, 1, DONE)
        missing = save_update(s, actor(s, "tgv"), target.id, None, DONE)
        text_version = save_update(s, actor(s, "tgv"), target.id, "2", DONE)
        assert stale.outcome is missing.outcome is text_version.outcome is Outcome.CONFLICT
        assert "Cán bộ đầu mối Sở Khoa học và Công nghệ" in stale.message
        assert stale.current["status"] == "in_progress" and stale.version == 2
        assert "không có phiên bản" in missing.message
        assert log_count(s) == before
    with demo_db.read() as s:
        assert s.get(Assignment, target.id).status == "in_progress"


def test_secretariat_saves_on_behalf_and_it_is_recorded(demo_db):
    with demo_db.write() as s:
        target = assignment_of(s, "so-y-te", "89")
        result = save_update(s, actor(s, "tgv"), target.id, target.version,
                             {"status": "in_progress", "progress": 20, "note": "Theo báo cáo qua điện thoại"})
        assert result.outcome is Outcome.SAVED
    with demo_db.read() as s:
        history = assignment_history(s, actor(s, "so-y-te"), target.id)
        assert {h["field"] for h in history} == {"Tình trạng", "Tiến độ (%)", "Ghi chú"}
        assert all("(thay mặt Sở Y tế)" in h["who"] and h["who"].startswith("Tổ giúp việc") for h in history)
        progress = next(h for h in history if h["field"] == "Tiến độ (%)")
        assert (progress["old"], progress["new"]) == ("0%", "20%")


@pytest.mark.parametrize("username", ["so-y-te", "lanhdao", "admin"])
def test_others_cannot_save(demo_db, username):
    with demo_db.write() as s:
        target = assignment_of(s, "so-khcn", "4")
        with pytest.raises(NotAllowed):
            save_update(s, actor(s, username), target.id, target.version, DONE)
        with pytest.raises(NotAllowed):
            save_update(s, actor(s, "so-khcn"), 10**9, 1, DONE)


def test_invalid_and_unchanged_saves_write_nothing(demo_db):
    with demo_db.write() as s:
        target = assignment_of(s, "so-khcn", "4")  # due 31/03/2026: overdue
        before = log_count(s)
        invalid = save_update(s, actor(s, "so-khcn"), target.id, 1,
                              {"status": "in_progress", "progress": 50}, when=WHEN)
        assert invalid.outcome is Outcome.INVALID and "delay_reason" in invalid.errors
        unchanged = save_update(s, actor(s, "so-khcn"), target.id, 1,
                                {"status": "not_started", "progress": 0, "delay_reason": "Chờ kinh phí"}, when=WHEN)
        assert unchanged.outcome is Outcome.SAVED  # the reason is new
        again = save_update(s, actor(s, "so-khcn"), target.id, 2,
                            {"status": "not_started", "progress": 0, "delay_reason": "Chờ kinh phí"}, when=WHEN)
        assert again.outcome is Outcome.UNCHANGED and again.version == 2
        assert log_count(s) == before + 1


def test_group_task_follows_the_sub_item_rule(demo_db):
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        task = s.scalar(select(Task).where(Task.stt == "89"))  # Sở Y tế, Sở GD&ĐT, Sở VHTT&DL
        parts = s.scalars(select(Assignment).where(Assignment.task_id == task.id)).all()
        assert len(parts) == 3
        secretariat = actor(s, "tgv")
        save_update(s, secretariat, parts[0].id, parts[0].version, DONE, when=WHEN)
        assert task_progress(s, plan, [task.id])[task.id].status == "in_progress"
        assert task_progress(s, plan, [task.id])[task.id].parts_done == 1
        for part in parts[1:]:
            save_update(s, secretariat, part.id, part.version, DONE, when=WHEN)
        assert task_progress(s, plan, [task.id])[task.id].status == "done"
        rows = agency_rows(s, actor(s, "so-y-te"), plan, parts[0].agency_id, DAY)
        row = next(r for r in rows if r["stt"] == "89")
        assert row["shared_status"] == "Đã hoàn thành (3/3 đơn vị hoàn thành)"


def test_rows_filters_and_diacritic_free_search(demo_db):
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        me = actor(s, "so-y-te")
        rows = agency_rows(s, me, plan, me.agency_id, DAY)
        overdue = [r for r in rows if TaskFilter.from_inputs("", "all", None, ["overdue"]).keeps(r)]
        assert overdue and all(r["days_text"].startswith("Quá hạn") for r in overdue)
        found = {r["stt"] for r in rows if TaskFilter.from_inputs("SO KHOA HOC", None, None, []).keeps(r)}
        printed = set(s.scalars(select(Task.stt).join(Assignment).where(
            Assignment.agency_id == me.agency_id,
            Task.coordinators_text.contains("Sở Khoa học") | Task.lead_text.contains("Sở Khoa học"))))
        # Every word, in any order: the rows naming "Sở Khoa học", and exactly those holding all three words.
        assert printed and printed <= found
        assert found == {r["stt"] for r in rows if all(
            any(word.startswith(w) for word in re.findall(r"\w+", fold(r["search"]))) for w in ("so", "khoa", "hoc"))}
        in_any_order = {r["stt"] for r in rows if TaskFilter.from_inputs("hoc KHOA so", None, None, []).keeps(r)}
        assert in_any_order == found
        found = [r["stt"] for r in rows if TaskFilter.from_inputs("  mo hinh Y TE SO ", None, None, []).keeps(r)]
        assert found == ["89"]  # "Triển khai mô hình y tế số, ..."
        quarter = [r for r in rows if TaskFilter.from_inputs(None, None, None, ["quarter"]).keeps(r)]
        assert all(date(2026, 10, 1) <= date.fromisoformat(r["due_iso"]) <= date(2026, 12, 31) for r in quarter)
        garbage = TaskFilter.from_inputs({"x": 1}, ["done"], "3 OR 1=1", "overdue")
        assert garbage == TaskFilter()
        assert TaskFilter.from_inputs("", "done", "3", ["quarter"]) == TaskFilter(
            status="done", section_id=3, due_this_quarter=True)
        with pytest.raises(NotAllowed):
            agency_rows(s, me, plan, assignment_of(s, "so-khcn", "4").agency_id, DAY)


def test_search_matches_every_word_in_any_order_without_diacritics():
    """Issue 15: "quy che chia se du lieu" found nothing (the words had to be consecutive)."""
    title = "Ban hành quy chế chia sẻ, kết nối, khai thác và sử dụng dữ liệu giữa các cơ quan trên địa bàn tỉnh"
    assert search_words("  Quy CHẾ  chia se du lieu ") == ("quy", "che", "chia", "se", "du", "lieu")
    assert matches(search_words("quy che chia se du lieu"), title)
    assert matches(search_words("du lieu quy che"), title)
    assert not matches(search_words("quy che chia se du lieu y te"), title)  # one word missing: no match
    assert not matches(search_words("an"), title) and matches(search_words("ban h"), title)  # words begin words
    assert matches(search_words("kh&cn 788/qd"), "Sở KH&CN, Quyết định số 788/QĐ-UBND")
    assert matches(search_words(""), title) and matches(search_words({"x": 1}), title)  # nothing asked
    assert search_words(["quy"]) == () and matches((), "")


# ---- "Không thay đổi trong kỳ": several tasks reported unchanged at once ---------------------------

def listed(*assignments):
    """The selected rows as the grid sends them."""
    return [{"id": str(a.id) if i % 2 else a.id, "version": a.version, "stt": "?"} for i, a in enumerate(assignments)]


def test_unchanged_is_a_logged_report_that_counts_as_updated(demo_db):
    with demo_db.write() as s:
        plan, me = s.scalar(select(Plan)), actor(s, "so-khcn")
        six, nine = assignment_of(s, "so-khcn", "6"), assignment_of(s, "so-khcn", "9")
        assert report_status(s, me, plan, me.agency_id, DAY).pending == 57
        result = confirm_unchanged(s, me, plan, listed(six, nine), when=WHEN)
        assert (result.outcome, result.confirmed) == (Outcome.SAVED, 2)
        assert result.message == "Đã ghi nhận 2 nhiệm vụ không thay đổi trong kỳ Tháng 11/2026."
        assert report_status(s, me, plan, me.agency_id, DAY).pending == 55
        rows = {r["stt"]: r for r in agency_rows(s, me, plan, me.agency_id, DAY)}
        assert not rows["6"]["needs_update"] and rows["6"]["status"] == "not_started" and rows["4"]["needs_update"]
    with demo_db.read() as s:
        for target in (six, nine):
            row = s.get(Assignment, target.id)
            assert (row.version, row.updated_at, row.status, row.progress) == (2, WHEN, "not_started", 0)
            logs = s.execute(select(ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value, ChangeLog.user_id)
                             .where(ChangeLog.entity == "assignment", ChangeLog.entity_id == target.id)).all()
            assert [tuple(log) for log in logs] == [(UNCHANGED, None, "2026-11", row.updated_by_id)]
            states = s.execute(select(AssignmentState.valid_from, AssignmentState.valid_to, AssignmentState.status)
                               .where(AssignmentState.assignment_id == target.id)
                               .order_by(AssignmentState.valid_from)).all()
            assert [tuple(state)[1:] for state in states] == [(WHEN, "not_started"), (None, "not_started")]
        history = assignment_history(s, actor(s, "so-khcn"), six.id)
        assert (history[-1]["field"], history[-1]["old"], history[-1]["new"]) == (
            "Không thay đổi trong kỳ", "(trống)", "Tháng 11/2026")
        assert history[-1]["who"].startswith("Cán bộ đầu mối Sở Khoa học")


@pytest.mark.parametrize("case", ["overdue without a reason", "stale version", "done", "nothing chosen",
                                  "period closed"])
def test_unchanged_is_all_or_nothing_and_says_which_row_stops_it(demo_db, case):
    with demo_db.write() as s:
        plan, me = s.scalar(select(Plan)), actor(s, "so-khcn")
        six, four, five = (assignment_of(s, "so-khcn", stt) for stt in ("6", "4", "5"))
        if case == "done":
            save_update(s, me, five.id, five.version, DONE, when=datetime(2026, 11, 2, 8))
        if case == "period closed":
            from services.publication.closing import close_period
            close_period(s, actor(s, "tgv"), plan, "2026-11", when=datetime(2026, 11, 23, 9))
    before = fingerprint(demo_db)
    with demo_db.write() as s:
        plan, me = s.scalar(select(Plan)), actor(s, "so-khcn")
        six, four, five = (assignment_of(s, "so-khcn", stt) for stt in ("6", "4", "5"))
        chosen, expected = {
            "overdue without a reason": (listed(six, four), (Outcome.INVALID, "STT 4: Nhiệm vụ đã quá hạn: cần nêu lý do")),
            "stale version": ([*listed(six), {"id": four.id, "version": four.version - 1}],
                              (Outcome.CONFLICT, "STT 4: vừa được cập nhật")),
            "done": (listed(six, five), (Outcome.INVALID, "STT 5: đã báo hoàn thành")),
            "nothing chosen": ([], (Outcome.INVALID, "Chưa chọn nhiệm vụ nào")),
            "period closed": (listed(six), (Outcome.INVALID, "Số liệu Tháng 11/2026 đã chốt")),
        }[case]
        result = confirm_unchanged(s, me, plan, chosen, when=WHEN)
        assert result.outcome is expected[0] and expected[1] in result.message and result.confirmed == 0
    assert fingerprint(demo_db) == before


def test_unchanged_refuses_other_agencies_provinces_roles_forged_rows_and_archived_plans(demo_db):
    from services.plans.catalogue import PlanArchived, archive_plan
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        own, other = assignment_of(s, "so-khcn", "6"), assignment_of(s, "so-y-te", "89")
        for username, items in (("so-khcn", listed(own, other)), ("lanhdao", listed(own)), ("admin", listed(own)),
                                ("so-khcn", [{"id": "abc", "version": 1}]), ("so-khcn", [{"id": 10**12}]),
                                ("so-khcn", [{"id": 999999, "version": 1}])):
            with pytest.raises(NotAllowed):
                confirm_unchanged(s, actor(s, username), plan, items, when=WHEN)
        # The secretariat reports on the agency's behalf, recorded as such.
        assert confirm_unchanged(s, actor(s, "tgv"), plan, listed(other), when=WHEN).outcome is Outcome.SAVED
        assert s.scalar(select(ChangeLog.on_behalf_of_agency_id).where(
            ChangeLog.entity_id == other.id, ChangeLog.field == UNCHANGED)) == other.agency_id
        archive_plan(s, actor(s, "tgv"), plan.id, when=WHEN)
    before = fingerprint(demo_db)
    with demo_db.write() as s, pytest.raises(PlanArchived):
        confirm_unchanged(s, actor(s, "so-khcn"), s.scalar(select(Plan)), listed(assignment_of(s, "so-khcn", "6")),
                          when=WHEN)
    assert fingerprint(demo_db) == before


def fingerprint(db):
    """Everything an unchanged report writes: versions, last updates, the change log, state intervals."""
    with db.read() as s:
        return (s.execute(select(Assignment.id, Assignment.version, Assignment.updated_at).order_by(Assignment.id)).all(),
                log_count(s), s.scalar(select(func.count(AssignmentState.id))))


def test_coordinated_tasks_come_from_named_agencies_and_groups(demo_db):
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        me = actor(s, "so-y-te")
        rows = coordinated_rows(s, me, plan, me.agency_id)
        own = set(s.scalars(select(Task.stt).join(Assignment).where(Assignment.agency_id == me.agency_id)))
        assert rows and not ({r["stt"] for r in rows} & own)
        # Task 2 names "Các sở, ngành" among its coordinators; Sở Y tế belongs to that group.
        assert "2" in {r["stt"] for r in rows}


def test_report_submission_twice_keeps_both_in_history(demo_db):
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        me = actor(s, "so-khcn")
        status = report_status(s, me, plan, me.agency_id, DAY)
        assert (status.period.key, status.deadline, status.days_left) == ("2026-11", date(2026, 11, 20), -3)
        assert status.pending == status.assignments == 57 and status.submission is None
        target = assignment_of(s, "so-khcn", "4")
        save_update(s, me, target.id, target.version, DONE, when=WHEN)
        first = submit_report(s, me, plan, me.agency_id, datetime(2026, 11, 19, 16, 0)).submission
        assert first.is_late is False and first.period == "2026-11"
        first_snapshot = first.snapshot.body
        other = assignment_of(s, "so-khcn", "5")
        save_update(s, me, other.id, other.version, {**DONE, "note": "Bổ sung"}, when=WHEN)
        result = submit_report(s, actor(s, "tgv"), plan, me.agency_id, WHEN)
        second = result.submission
        assert result.changed and second.id == first.id and second.is_late is True and second.version == 2
        snapshot = json.loads(second.snapshot.body)
        assert {r["stt"]: r["status"] for r in snapshot if r["stt"] in ("4", "5")} == {"4": "done", "5": "done"}
        after = report_status(s, me, plan, me.agency_id, DAY)
        assert after.pending == 55 and after.submission.times == 2 and after.submission.is_late
        # The same content again is not a new submission: nothing is written.
        again = submit_report(s, me, plan, me.agency_id, datetime(2026, 11, 24, 8, 0))
        assert not again.changed and again.submission.version == 2
    with demo_db.read() as s:
        assert s.scalar(select(func.count(ReportSubmission.id))) == 1
        bodies = [body for (body,) in s.execute(select(ReportSnapshot.body).order_by(ReportSnapshot.id))]
        assert bodies == [first_snapshot, second.snapshot.body]  # each content stored once
        digests = s.execute(select(ChangeLog.old_value, ChangeLog.new_value).where(
            ChangeLog.entity == "report_submission", ChangeLog.field == "snapshot").order_by(ChangeLog.id)).all()
        assert [tuple(d) for d in digests] == [(None, snapshot_digest(first_snapshot)),
                                              (snapshot_digest(first_snapshot), snapshot_digest(second.snapshot.body))]
        logs = s.scalars(select(ChangeLog).where(ChangeLog.entity == "report_submission",
                                                 ChangeLog.field == "submitted_at").order_by(ChangeLog.id)).all()
        assert [(log.old_value, log.new_value) for log in logs] == [
            (None, "2026-11-19T16:00:00"), ("2026-11-19T16:00:00", "2026-11-23T09:30:00")]
        assert logs[1].on_behalf_of_agency_id == first.agency_id


@pytest.mark.parametrize("username", ["so-y-te", "lanhdao"])
def test_report_for_another_agency_is_refused(demo_db, username):
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        with pytest.raises(NotAllowed):
            submit_report(s, actor(s, username), plan, actor(s, "so-khcn").agency_id, WHEN)
