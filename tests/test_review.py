"""The secretariat's review of reported completions (issue 14, item 1): the rollup's rules as of dates
before and after each review, the queue, all-or-nothing actions, the agency's saves afterwards,
closed periods, the history, the workspace and home page, and who may post a review."""
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Agency, Assignment, AssignmentState, ChangeLog, PeriodClose, Plan, Task, User
from services.accounts.permissions import NotAllowed
from services.common.saving import Outcome
from services.plans.catalogue import PlanArchived, archive_plan
from services.publication.closing import close_period
from services.reporting.rollup import ReviewCounts, plan_rollup, review_counts
from services.tasks.review import confirm, return_, returned_tasks, review_queue, state_after_report
from services.tasks.updates import save_update
from services.tasks.workspace import agency_rows, assignment_detail, assignment_history
from tests.test_province_wall import logged_in, text_of, two_provinces  # noqa: F401  (two_provinces is a fixture)
from tests.test_tasks_callbacks import OPEN, response_of
from web.auth import actor_from_user

CONFIRM, RETURN, LOAD, CLICK = "review-confirm.n_clicks", "review-return.n_clicks", "review-refresh.data", \
    "review-grid.cellClicked"
WRITES = [CONFIRM, RETURN]  # refused to agency, leader, admin and the other province below
DONE = {"status": "done", "progress": 100, "result": "Quyết định số 788/QĐ-UBND ngày 10/04/2026",
        "completed_on": "10/04/2026", "delay_reason": "", "note": ""}
COMMENT = "Thiếu văn bản chứng minh: gửi kèm số, ngày của quyết định."


def at(month, day, hour=9):
    return datetime(2026, month, day, hour)


def actor(session, username):
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def plan_of(session) -> Plan:
    return session.scalar(select(Plan).order_by(Plan.id))


def assignment_of(session, agency_code, stt) -> Assignment:
    return session.scalar(select(Assignment).join(Task).join(Agency, Agency.id == Assignment.agency_id)
                          .where(Agency.code == agency_code, Task.stt == stt, Task.plan_id == plan_of(session).id))


def report(db, agency_code, stt, when, **changes):
    """The agency saves its task (done by default), dated `when`."""
    with db.write() as s:
        target = assignment_of(s, agency_code, stt)
        result = save_update(s, actor(s, agency_code), target.id, target.version, {**DONE, **changes}, when=when)
    return result


def item(db, agency_code, stt) -> dict:
    with db.read() as s:
        target = assignment_of(s, agency_code, stt)
        return {"id": target.id, "version": target.version}


def review(db, decision, items, comment=None, when=at(4, 15), username="tgv"):
    with db.write() as s:
        return decision(s, actor(s, username), plan_of(s), items, comment, when=when)


def counts(db, as_of=None) -> tuple[int, ReviewCounts]:
    """(tasks done as the rollup counts them, the review counts), now or as of a day."""
    with db.read() as s:
        plan = plan_of(s)
        return plan_rollup(s, plan, as_of).done, review_counts(s, plan, as_of)


def queue(db, username="tgv") -> list[dict]:
    with db.read() as s:
        return review_queue(s, actor(s, username), plan_of(s))


def fingerprint(db):
    """Everything a refused review must leave alone."""
    with db.read() as s:
        return (s.execute(select(Assignment.id, Assignment.version, Assignment.review_state, Assignment.review_comment,
                                 Assignment.reviewed_at, Assignment.updated_at).order_by(Assignment.id)).all(),
                s.scalar(select(func.count(ChangeLog.id))), s.scalar(select(func.count(AssignmentState.id))))


# ---- The rollup's rules, live and as of any day -------------------------------------------------

def test_a_returned_completion_is_not_done_until_confirmed_again_as_of_every_day(demo_db):
    """A review judges the completion as reported: as of any day since the report it holds, whenever
    it was made; before the report, the earlier state."""
    total = 92
    waiting = (1, ReviewCounts(total, 1, 0, 0, 1))
    returned = (0, ReviewCounts(total, 1, 0, 1, 0))
    assert report(demo_db, "so-khcn", "5", at(4, 10)).outcome is Outcome.SAVED
    assert counts(demo_db, date(2026, 4, 12)) == counts(demo_db) == waiting
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(4, 15)).outcome is Outcome.SAVED
    for day in (date(2026, 4, 10), date(2026, 4, 12), date(2026, 4, 15), date(2026, 4, 16)):
        assert counts(demo_db, day) == returned, day
    assert counts(demo_db) == returned and queue(demo_db) == []

    # Reported again: still not done, back in the queue; the first report's days keep the return.
    assert report(demo_db, "so-khcn", "5", at(4, 20), result="Quyết định số 789/QĐ-UBND ngày 18/04/2026") \
        .outcome is Outcome.SAVED
    resubmitted = (0, ReviewCounts(total, 1, 0, 1, 1))
    assert counts(demo_db) == counts(demo_db, date(2026, 4, 21)) == resubmitted
    assert [(r["stt"], r["again"], r["earlier_comment"]) for r in queue(demo_db)] == [("5", "Báo cáo lại", COMMENT)]

    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "5")], None, at(4, 25)).outcome is Outcome.SAVED
    confirmed = (1, ReviewCounts(total, 1, 1, 0, 0))
    expected = {
        date(2026, 4, 9): (0, ReviewCounts(total, 0, 0, 0, 0)),  # before the report
        date(2026, 4, 12): returned,  # the first report, returned on 15/04
        date(2026, 4, 19): returned,
        date(2026, 4, 20): confirmed,  # the second report, confirmed on 25/04
        date(2026, 4, 24): confirmed,
        date(2026, 4, 26): confirmed,
    }
    for day, expected_counts in expected.items():
        assert counts(demo_db, day) == expected_counts, day
    assert counts(demo_db) == confirmed and queue(demo_db) == []
    assert counts(demo_db)[1].total == total


def test_a_review_holds_from_the_report_across_later_edits_of_a_note(demo_db):
    """A note edited after the report opened a state interval; the review still holds from the report."""
    assert report(demo_db, "so-khcn", "5", at(4, 10)).outcome is Outcome.SAVED
    assert report(demo_db, "so-khcn", "5", at(4, 12), note="Gửi kèm bản chụp").outcome is Outcome.SAVED
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(4, 15)).outcome is Outcome.SAVED
    assert [state for _, _, state in intervals(demo_db, "so-khcn", "5")] == ["none", "returned", "returned"]
    assert counts(demo_db, date(2026, 4, 10)) == counts(demo_db) == (0, ReviewCounts(92, 1, 0, 1, 0))
    assert counts(demo_db, date(2026, 4, 9)) == (0, ReviewCounts(92, 0, 0, 0, 0))


def test_review_counts_follow_every_part_of_a_group_task(demo_db):
    """Task 6 is led by every member of a group: reported only when all parts are, pending as soon as one is."""
    assert report(demo_db, "so-y-te", "6", at(5, 4), completed_on="04/05/2026").outcome is Outcome.SAVED
    assert report(demo_db, "so-khcn", "4", at(5, 4), completed_on="04/05/2026").outcome is Outcome.SAVED
    assert review(demo_db, return_, [item(demo_db, "so-y-te", "6")], COMMENT, at(5, 6)).outcome is Outcome.SAVED
    done, reviewed = counts(demo_db)
    assert (done, reviewed.reported, reviewed.confirmed, reviewed.returned, reviewed.pending) == (1, 1, 0, 1, 1)
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], "Đạt", at(5, 7)).outcome is Outcome.SAVED
    done, reviewed = counts(demo_db)
    assert (done, reviewed.reported, reviewed.confirmed, reviewed.returned, reviewed.pending) == (1, 1, 1, 1, 0)
    assert reviewed.as_dict() == {"total": 92, "reported": 1, "confirmed": 1, "returned": 1, "pending": 0}
    # Both reports date from 04/05: as of 05/05, before either review was made, both verdicts hold.
    assert counts(demo_db, date(2026, 5, 5)) == counts(demo_db)
    assert counts(demo_db, date(2026, 5, 3))[1].as_dict() == {"total": 92, "reported": 0, "confirmed": 0,
                                                             "returned": 0, "pending": 0}


# ---- The queue -----------------------------------------------------------------------------------

def test_the_queue_lists_what_was_reported_since_the_last_review(demo_db):
    for code, stt in (("so-khcn", "4"), ("so-noi-vu", "7"), ("so-tai-chinh", "8")):
        assert report(demo_db, code, stt, at(4, 10), note=f"Ghi chú {stt}").outcome is Outcome.SAVED
    rows = queue(demo_db)
    assert [(r["agency"], r["stt"]) for r in rows] == [
        ("Sở Khoa học và Công nghệ", "4"), ("Sở Nội vụ", "7"), ("Sở Tài chính", "8")]
    first = rows[0]
    assert (first["completed_on"], first["result"], first["note"], first["reported_at"], first["again"]) == (
        "10/04/2026", DONE["result"], "Ghi chú 4", "10/04/2026 09:00", "")
    assert first["reported_by"] == "Cán bộ đầu mối Sở Khoa học và Công nghệ"
    assert first["deadline_text"] == "Quý I/2026" and first["section"] == "II. Hoàn thiện thể chế, cơ chế, chính sách"

    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None, at(4, 15)).outcome is Outcome.SAVED
    assert review(demo_db, return_, [item(demo_db, "so-noi-vu", "7")], COMMENT, at(4, 15)).outcome is Outcome.SAVED
    assert [r["stt"] for r in queue(demo_db)] == ["8"]
    # The review leaves the agency's own report time and author alone.
    with demo_db.read() as s:
        reviewed = assignment_of(s, "so-noi-vu", "7")
        tgv = s.scalar(select(User).where(User.username == "tgv"))
        reporter = s.scalar(select(User).where(User.username == "so-noi-vu"))
        assert (reviewed.updated_at, reviewed.updated_by_id) == (at(4, 10), reporter.id)
        assert (reviewed.reviewed_at, reviewed.reviewed_by_id, reviewed.review_comment) == (at(4, 15), tgv.id, COMMENT)

    # A change of the note only keeps the confirmation; reporting again after a return re-enters the queue.
    assert report(demo_db, "so-khcn", "4", at(4, 20), note="Bổ sung ghi chú").outcome is Outcome.SAVED
    assert report(demo_db, "so-noi-vu", "7", at(4, 20), result="Quyết định số 790/QĐ-UBND").outcome is Outcome.SAVED
    rows = {r["stt"]: r for r in queue(demo_db)}
    assert set(rows) == {"7", "8"}
    assert (rows["7"]["again"], rows["7"]["earlier_comment"], rows["7"]["reported_at"]) == (
        "Báo cáo lại", COMMENT, "20/04/2026 09:00")
    # A change of what was confirmed sends it back for review.
    assert report(demo_db, "so-khcn", "4", at(4, 22), result="Quyết định khác").outcome is Outcome.SAVED
    assert {r["stt"] for r in queue(demo_db)} == {"4", "7", "8"}


def test_a_selection_is_all_or_nothing(demo_db):
    for code, stt in (("so-khcn", "4"), ("so-noi-vu", "7")):
        report(demo_db, code, stt, at(4, 10))
    items = [item(demo_db, "so-khcn", "4"), {**item(demo_db, "so-noi-vu", "7"), "version": 1}]
    before = fingerprint(demo_db)
    refused = review(demo_db, confirm, items)
    assert refused.outcome is Outcome.CONFLICT and refused.reviewed == 0
    assert "STT 7 (Sở Nội vụ)" in refused.message and "STT 4" not in refused.message
    assert "tải lại" in refused.message
    assert fingerprint(demo_db) == before
    # One already reviewed (current version, no longer waiting) stops the rest too.
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")]).outcome is Outcome.SAVED
    again = review(demo_db, return_, [item(demo_db, "so-khcn", "4"), item(demo_db, "so-noi-vu", "7")], COMMENT,
                   at(4, 16))
    assert again.outcome is Outcome.CONFLICT and "STT 4 (Sở Khoa học và Công nghệ)" in again.message
    assert [r["stt"] for r in queue(demo_db)] == ["7"]
    both = review(demo_db, return_, [item(demo_db, "so-noi-vu", "7")], COMMENT, at(4, 17))
    assert (both.outcome, both.reviewed, both.message) == (
        Outcome.SAVED, 1, "Đã trả lại 1 kết quả hoàn thành, kèm ý kiến của Tổ giúp việc.")


@pytest.mark.parametrize("comment, message", [(None, "cần ghi ý kiến"), ("   ", "cần ghi ý kiến"),
                                              ("a\x00b", "ký tự điều khiển"), ("x" * 4001, "quá dài"),
                                              ({"x": 1}, "không hợp lệ")])
def test_returning_needs_a_usable_comment(demo_db, comment, message):
    report(demo_db, "so-khcn", "4", at(4, 10))
    before = fingerprint(demo_db)
    refused = review(demo_db, return_, [item(demo_db, "so-khcn", "4")], comment)
    assert refused.outcome is Outcome.INVALID and message in refused.message
    assert fingerprint(demo_db) == before
    assert review(demo_db, confirm, [], None).outcome is Outcome.INVALID
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None).outcome is Outcome.SAVED


def test_forged_ids_and_other_roles_are_refused_by_the_service(demo_db, two_provinces):  # noqa: F811
    report(demo_db, "so-khcn", "4", at(4, 10))
    before = fingerprint(demo_db)
    own = item(demo_db, "so-khcn", "4")
    for username in ("so-khcn", "lanhdao", "admin", "tgv-lc"):
        with pytest.raises(NotAllowed):
            review(demo_db, confirm, [own], username=username)
    other = {"id": two_provinces["assignment"], "version": two_provinces["version"]}
    for forged in ([own, other], [{"id": "abc", "version": 1}], [own, 7], [{"id": 99_999_999, "version": 1}]):
        with pytest.raises(NotAllowed):
            review(demo_db, confirm, forged)
    with demo_db.write() as s:  # the other province's own secretariat, on its own plan, is refused ours
        with pytest.raises(NotAllowed):
            confirm(s, actor(s, "tgv-lc"), s.get(Plan, two_provinces["plan"]), [own], when=at(4, 15))
    assert fingerprint(demo_db) == before
    with demo_db.write() as s:
        archive_plan(s, actor(s, "tgv"), plan_of(s).id, when=at(4, 12))
    with pytest.raises(PlanArchived):
        review(demo_db, confirm, [own])


# ---- The agency's saves afterwards --------------------------------------------------------------

@pytest.mark.parametrize("before, changes, after", [
    ("confirmed", {"status": "in_progress", "completed_on": None}, "none"),
    ("confirmed", {"result": "Văn bản khác"}, "none"),
    ("confirmed", {"note": "Chỉ sửa ghi chú"}, "confirmed"),
    ("returned", {"result": "Bổ sung văn bản"}, "resubmitted"),
    ("returned", {"completed_on": date(2026, 4, 12)}, "resubmitted"),
    ("returned", {"note": "Chỉ sửa ghi chú"}, "returned"),
    ("returned", {"status": "not_started", "completed_on": None}, "none"),
    ("resubmitted", {"result": "Bổ sung lần hai"}, "resubmitted"),
    ("resubmitted", {"note": "Chỉ sửa ghi chú"}, "resubmitted"),
    ("resubmitted", {"status": "in_progress", "completed_on": None}, "none"),
    ("none", {"result": "Văn bản khác"}, "none"),
    ("none", {"status": "in_progress", "completed_on": None}, "none"),
])
def test_what_an_agency_save_does_to_the_review(before, changes, after):
    saved = {"status": "done", "completed_on": date(2026, 4, 10), "result": "Quyết định 788", "note": ""}
    assignment = Assignment(review_state=before, **saved)
    assert state_after_report(assignment, {**saved, **changes}) == after


def test_an_agency_form_open_during_a_return_gets_a_conflict_then_reports_again(demo_db):
    report(demo_db, "so-khcn", "4", at(4, 10))
    opened = item(demo_db, "so-khcn", "4")
    review(demo_db, return_, [opened], COMMENT, at(4, 15))
    with demo_db.write() as s:
        target = assignment_of(s, "so-khcn", "4")
        stale = save_update(s, actor(s, "so-khcn"), target.id, opened["version"],
                            {**DONE, "result": "Bổ sung"}, when=at(4, 16))
    assert stale.outcome is Outcome.CONFLICT and "Tổ giúp việc BCĐ" in stale.message
    result = report(demo_db, "so-khcn", "4", at(4, 16), result="Bổ sung")
    assert result.outcome is Outcome.SAVED
    with demo_db.read() as s:
        assert assignment_of(s, "so-khcn", "4").review_state == "resubmitted"
    assert counts(demo_db)[0] == 0 and [r["again"] for r in queue(demo_db)] == ["Báo cáo lại"]
    # Not done any more: the return no longer applies.
    report(demo_db, "so-khcn", "4", at(4, 17), status="in_progress", progress=50, completed_on="",
           delay_reason="Chờ ý kiến")
    with demo_db.read() as s:
        assert assignment_of(s, "so-khcn", "4").review_state == "none"
    assert queue(demo_db) == []


# ---- Closed periods ------------------------------------------------------------------------------

def close_quarter_one(db):
    with db.write() as s:
        s.add(PeriodClose(plan_id=plan_of(s).id, period="2026-Q1", period_start=date(2026, 1, 1),
                          day=date(2026, 3, 31), closed_at=at(4, 2), closed_by_id=actor(s, "tgv").id,
                          summary="{}", content="{}"))


def test_nothing_dated_inside_a_closed_period_changes(demo_db):
    assert report(demo_db, "so-khcn", "4", at(3, 10), completed_on="10/03/2026").outcome is Outcome.SAVED
    close_quarter_one(demo_db)
    before = fingerprint(demo_db)
    refused = review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None, at(3, 20))
    assert refused.outcome is Outcome.INVALID and "Quý I/2026 đã chốt ngày 02/04/2026" in refused.message
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "4")], COMMENT, at(3, 31, 23)).outcome \
        is Outcome.INVALID
    saved = report(demo_db, "so-noi-vu", "7", at(3, 25), completed_on="25/03/2026")
    assert saved.outcome is Outcome.INVALID
    assert "đã chốt" in saved.message and "mở lại" in saved.message
    assert fingerprint(demo_db) == before
    # Reported inside Q1 (closed), confirmed on 03/04: the confirmation holds from 01/04, Q1 stays as published.
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None, at(4, 3)).outcome is Outcome.SAVED
    assert counts(demo_db, date(2026, 3, 31))[1].as_dict() == {"total": 92, "reported": 1, "confirmed": 0,
                                                               "returned": 0, "pending": 1}
    assert counts(demo_db, date(2026, 4, 1))[1].as_dict() == {"total": 92, "reported": 1, "confirmed": 1,
                                                              "returned": 0, "pending": 0}
    assert intervals(demo_db, "so-khcn", "4")[-2:] == [(at(3, 10), at(4, 1, 0), "none"), (at(4, 1, 0), None, "confirmed")]
    assert report(demo_db, "so-noi-vu", "7", at(4, 3), completed_on="25/03/2026").outcome is Outcome.SAVED


def intervals(db, code, stt) -> list[tuple]:
    """(valid_from, valid_to, review_state) of the assignment's state rows, in order."""
    with db.read() as s:
        return s.execute(select(AssignmentState.valid_from, AssignmentState.valid_to, AssignmentState.review_state)
                         .where(AssignmentState.assignment_id == assignment_of(s, code, stt).id)
                         .order_by(AssignmentState.valid_from)).tuples().all()


def close(db, period, when):
    with db.write() as s:
        return json.loads(close_period(s, actor(s, "tgv"), plan_of(s), period, when=when).summary)


def test_a_review_made_after_the_quarter_counts_in_the_quarter_published_after_it(demo_db):
    """The domain's order: the quarter ends, the secretariat reviews, then closes the quarter."""
    june = {"completed_on": "25/06/2026", "result": "Quyết định số 1200/QĐ-UBND ngày 25/06/2026"}
    assert report(demo_db, "so-khcn", "5", at(6, 25), **june).outcome is Outcome.SAVED
    assert report(demo_db, "so-khcn", "4", at(6, 26), completed_on="26/06/2026").outcome is Outcome.SAVED
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(7, 2)).outcome is Outcome.SAVED
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None, at(7, 2)).outcome is Outcome.SAVED
    published = close(demo_db, "2026-Q2", at(7, 5))
    assert published["counts"]["done"] == 1  # task 4 only: task 5's completion was returned
    assert published["review"] == {"total": 92, "reported": 2, "confirmed": 1, "returned": 1, "pending": 0}
    assert counts(demo_db, date(2026, 6, 24)) == (0, ReviewCounts(92, 0, 0, 0, 0))  # before the reports


def test_a_review_of_a_report_inside_a_closed_period_holds_from_the_day_after_it(demo_db):
    assert report(demo_db, "so-khcn", "5", at(6, 25), completed_on="25/06/2026").outcome is Outcome.SAVED
    published = close(demo_db, "2026-Q2", at(7, 1))
    assert published["review"]["pending"] == 1 and published["counts"]["done"] == 1
    assert review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(7, 2)).outcome is Outcome.SAVED
    assert counts(demo_db, date(2026, 6, 30)) == (1, ReviewCounts(92, 1, 0, 0, 1))  # as published
    assert counts(demo_db, date(2026, 7, 1)) == counts(demo_db) == (0, ReviewCounts(92, 1, 0, 1, 0))
    assert intervals(demo_db, "so-khcn", "5")[-2:] == [(at(6, 25), at(7, 1, 0), "none"), (at(7, 1, 0), None, "returned")]
    with demo_db.read() as s:
        target = assignment_of(s, "so-khcn", "5")
        assert (target.updated_at, target.reviewed_at, target.review_state) == (at(6, 25), at(7, 2), "returned")


def test_a_review_is_refused_while_a_close_covers_today(demo_db):
    """A month closed before its end covers its days up to the close: nothing reviewed then."""
    assert report(demo_db, "so-khcn", "5", at(7, 3), completed_on="03/07/2026").outcome is Outcome.SAVED
    close(demo_db, "2026-07", at(7, 10))
    before = fingerprint(demo_db)
    refused = review(demo_db, confirm, [item(demo_db, "so-khcn", "5")], None, at(7, 10, 15))
    assert refused.outcome is Outcome.INVALID and "Tháng 7/2026 đã chốt ngày 10/07/2026" in refused.message
    assert fingerprint(demo_db) == before
    saved = review(demo_db, confirm, [item(demo_db, "so-khcn", "5")], None, at(7, 11))
    assert saved.outcome is Outcome.SAVED
    assert counts(demo_db, date(2026, 7, 10))[1].confirmed == 0 and counts(demo_db, date(2026, 7, 11))[1].confirmed == 1


def test_a_save_during_a_close_waits_for_it_and_is_then_refused(demo_db):
    """The close locks the plan while it counts; a save dated inside the period waits on its shared
    lock (ensure_not_closed), then sees the close: never saved yet missing from the figures."""
    with demo_db.read() as s:
        target = assignment_of(s, "so-khcn", "5")
        target_id, version = target.id, target.version

    def save():
        with demo_db.write() as s:
            return save_update(s, actor(s, "so-khcn"), target_id, version, {**DONE, "completed_on": "10/07/2026"},
                               when=at(7, 10, 10))

    with ThreadPoolExecutor(max_workers=1) as pool, demo_db.write() as s:
        close_period(s, actor(s, "tgv"), plan_of(s), "2026-07", when=at(7, 10, 9))
        pending = pool.submit(save)
        time.sleep(0.5)
        assert not pending.done()  # waiting for the close to commit
    saved = pending.result(timeout=30)
    assert saved.outcome is Outcome.INVALID and "đã chốt" in saved.message
    with demo_db.read() as s:
        assert s.get(Assignment, target_id).version == version


# ---- What people see: history, workspace, form, home ---------------------------------------------

def test_the_history_shows_the_review(demo_db):
    report(demo_db, "so-khcn", "4", at(4, 10))
    review(demo_db, return_, [item(demo_db, "so-khcn", "4")], COMMENT, at(4, 15))
    report(demo_db, "so-khcn", "4", at(4, 16), result="Bổ sung")
    review(demo_db, return_, [item(demo_db, "so-khcn", "4")], COMMENT, at(4, 17))  # the same words again
    review_rows = [(r["when"], r["who"], r["field"], r["old"], r["new"]) for r in history_of(demo_db, "so-khcn", "4")
                   if "Tổ giúp việc" in r["field"]]
    who, agency = "Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)", "Cán bộ đầu mối Sở Khoa học và Công nghệ"
    assert review_rows == [
        ("15/04/2026 09:00", who, "Xác nhận của Tổ giúp việc", "Chưa xem xét", "Trả lại"),
        ("15/04/2026 09:00", who, "Ý kiến của Tổ giúp việc", "(trống)", COMMENT),
        ("16/04/2026 09:00", agency, "Xác nhận của Tổ giúp việc", "Trả lại", "Báo cáo lại"),
        ("17/04/2026 09:00", who, "Xác nhận của Tổ giúp việc", "Báo cáo lại", "Trả lại"),  # the same words again
    ]
    report(demo_db, "so-khcn", "4", at(4, 18), result="Bổ sung lần hai")
    assert review(demo_db, confirm, [item(demo_db, "so-khcn", "4")], None, at(4, 19)).outcome is Outcome.SAVED
    last = history_of(demo_db, "so-khcn", "4")[-2:]
    assert [(r["field"], r["old"], r["new"]) for r in last] == [
        ("Xác nhận của Tổ giúp việc", "Báo cáo lại", "Đã xác nhận"), ("Ý kiến của Tổ giúp việc", COMMENT, "(trống)")]


def history_of(db, code, stt):
    with db.read() as s:
        return assignment_history(s, actor(s, code), assignment_of(s, code, stt).id)


def test_the_workspace_puts_returned_completions_first_with_the_comment(demo_db):
    for stt in ("2", "4", "5"):
        report(demo_db, "so-khcn", stt, at(4, 10))
    review(demo_db, confirm, [item(demo_db, "so-khcn", "2")], None, at(4, 15))
    review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(4, 15))
    with demo_db.read() as s:
        agency = actor(s, "so-khcn")
        rows = agency_rows(s, agency, plan_of(s), agency.agency_id, date(2026, 11, 25))
        detail = assignment_detail(s, agency, assignment_of(s, "so-khcn", "5").id, date(2026, 11, 25))
        returned = returned_tasks(s, agency, plan_of(s), agency.agency_id)
    assert (rows[0]["stt"], rows[0]["review_label"], rows[0]["review_comment"]) == ("5", "Bị trả lại", COMMENT)
    labels = {r["stt"]: r["review_label"] for r in rows}
    assert (labels["2"], labels["4"], labels["9"]) == ("Đã xác nhận", "Chờ xác nhận", "")
    assert [r["stt"] for r in rows[1:4]] == ["2", "4", "6"]  # the rest in plan order
    assert detail["review"] == {"state": "returned", "label": "Bị trả lại", "comment": COMMENT,
                                "by": "Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)", "at": "15/04/2026 09:00",
                                "day": "15/04/2026"}
    assert returned == [{"id": detail["id"], "stt": "5", "title": detail["title"], "comment": COMMENT,
                         "returned_on": "15/04/2026"}]
    # Reported again: waiting for review again, no longer among the returned ones.
    assert report(demo_db, "so-khcn", "5", at(4, 16), result="Bổ sung").outcome is Outcome.SAVED
    with demo_db.read() as s:
        agency = actor(s, "so-khcn")
        rows = agency_rows(s, agency, plan_of(s), agency.agency_id, date(2026, 11, 25))
        assert returned_tasks(s, agency, plan_of(s), agency.agency_id) == []
    assert [(r["stt"], r["review_label"], r["review_comment"]) for r in rows[:3]] == [
        ("2", "Đã xác nhận", ""), ("4", "Chờ xác nhận", ""), ("5", "Chờ xác nhận lại", COMMENT)]


def test_the_form_and_the_home_page_tell_the_agency(app, demo_db):
    report(demo_db, "so-khcn", "5", at(4, 10))
    review(demo_db, return_, [item(demo_db, "so-khcn", "5")], COMMENT, at(4, 15))
    dash = logged_in(app, "so-khcn")
    form = response_of(dash.call(OPEN, {"rowId": str(item(demo_db, "so-khcn", "5")["id"]), "colId": "title"}))
    assert f"Tổ giúp việc trả lại ngày 15/04/2026: {COMMENT}" in text_of_json(form["tasks-form-alert"])
    assert form["tasks-form-save"]["disabled"] is False
    with demo_db.read() as s:
        plan_id = plan_of(s).id
    home = response_of(dash.call("home-ready.data", True, {"url": f"?ke-hoach={plan_id}"}))
    section = text_of_json(home["home-agency-section"])
    assert "Kết quả bị trả lại" in section and COMMENT in section and "Trả lại ngày 15/04/2026" in section
    assert f"/nhiem-vu?ke-hoach={plan_id}" in section
    assert section.index("Kết quả bị trả lại") < section.index("Đơn vị: Sở Khoa học và Công nghệ")
    other = text_of_json(response_of(logged_in(app, "so-noi-vu").call("home-ready.data", True))["home-agency-section"])
    assert "Đơn vị: Sở Nội vụ" in other and "Kết quả bị trả lại" not in other


def text_of_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---- The page and its callbacks ------------------------------------------------------------------

def test_the_page_lists_details_and_acts_on_the_selection(app, demo_db):
    for code, stt in (("so-khcn", "4"), ("so-noi-vu", "7"), ("so-tai-chinh", "8")):
        report(demo_db, code, stt, at(4, 10))
    dash = logged_in(app, "tgv")
    loaded = response_of(dash.call(LOAD, 0, output="review-grid"))
    rows = loaded["review-grid"]["rowData"]
    assert [r["stt"] for r in rows] == ["4", "7", "8"] and loaded["review-actions"]["style"] == {"display": "block"}
    assert "Sở Nội vụ: 1 kết quả" in text_of_json(loaded["review-summary"])
    detail = text_of_json(response_of(dash.call(CLICK, {"rowId": rows[1]["row_id"], "colId": "title"}))
                          ["review-detail"])
    assert DONE["result"] in detail and "Tình trạng" in detail and "Lịch sử thay đổi" in detail

    returned = response_of(dash.call(RETURN, 1, {"review-grid": rows[:2], "review-comment": "", "review-refresh": 0}))
    assert "cần ghi ý kiến" in text_of_json(returned["review-alert"])
    returned = response_of(dash.call(RETURN, 1, {"review-grid": [rows[1]], "review-comment": COMMENT,
                                                 "review-refresh": 0}))
    assert "Đã trả lại 1" in text_of_json(returned["review-alert"])
    assert returned["review-refresh"]["data"] == 1 and returned["review-comment"]["value"] == ""
    stale = response_of(dash.call(CONFIRM, 1, {"review-grid": rows, "review-refresh": 1}))
    assert "STT 7 (Sở Nội vụ)" in text_of_json(stale["review-alert"]) and stale["review-refresh"]["data"] == 2
    confirmed = response_of(dash.call(CONFIRM, 1, {"review-grid": [rows[0], rows[2]], "review-refresh": 2}))
    assert "Đã xác nhận 2 kết quả" in text_of_json(confirmed["review-alert"])
    assert response_of(dash.call(LOAD, 3, output="review-grid"))["review-grid"]["rowData"] == []
    assert counts(demo_db)[1].as_dict() == {"total": 92, "reported": 3, "confirmed": 2, "returned": 1, "pending": 0}


def test_leaders_and_admins_read_the_queue_without_buttons_and_agencies_not_at_all(app, demo_db):
    report(demo_db, "so-khcn", "4", at(4, 10))
    for username in ("lanhdao", "admin"):
        loaded = response_of(logged_in(app, username).call(LOAD, 0, output="review-grid"))
        assert [r["stt"] for r in loaded["review-grid"]["rowData"]] == ["4"]
        assert loaded["review-actions"]["style"] == {"display": "none"}
    assert logged_in(app, "so-khcn").call(LOAD, 0, output="review-grid").status_code == 403
    for username, shown in (("tgv", True), ("lanhdao", True), ("admin", True), ("so-khcn", False)):
        rendered = response_of(logged_in(app, username).call("url.pathname", "/xac-nhan", output="page-content"))
        assert ("Xác nhận kết quả" in text_of_json(rendered["shell-nav"]["children"])) is shown, username
        content = text_of_json(rendered["page-content"]["children"])
        assert ("Bạn không có quyền xem trang này" in content) is not shown, username


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao", "admin", "khcn-lc", "tgv-lc"])
def test_only_the_provinces_secretariat_may_confirm_or_return(app, demo_db, two_provinces, username, caplog):  # noqa: F811
    report(demo_db, "so-khcn", "4", at(4, 10))
    rows = [item(demo_db, "so-khcn", "4")]
    before = fingerprint(demo_db)
    dash = logged_in(app, username)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        for trigger in WRITES:
            response = dash.call(trigger, 1, {"review-grid": rows, "review-comment": COMMENT, "review-refresh": 0})
            assert response.status_code == 403, (trigger, response.status_code)
    assert "refused callback" in caplog.text
    assert fingerprint(demo_db) == before


def test_the_secretariat_cannot_review_another_provinces_plan(app, demo_db, two_provinces):  # noqa: F811
    before = fingerprint(demo_db)
    other = [{"id": two_provinces["assignment"], "version": two_provinces["version"]}]
    dash = logged_in(app, "tgv")
    for trigger in WRITES:
        for search in ("", f"?ke-hoach={two_provinces['plan']}"):
            response = dash.call(trigger, 1, {"review-grid": other, "review-comment": COMMENT, "review-refresh": 0,
                                              "url": search})
            assert response.status_code == 403 and "LAICHAU" not in text_of(response)
    assert dash.call(LOAD, 0, {"url": f"?ke-hoach={two_provinces['plan']}"}, output="review-grid").status_code == 403
    assert dash.call(CLICK, {"rowId": str(two_provinces["assignment"])}).status_code == 403
    assert fingerprint(demo_db) == before
    own = response_of(logged_in(app, "tgv-lc").call(LOAD, 0, output="review-grid"))["review-grid"]["rowData"]
    assert [r["id"] for r in own] == [two_provinces["assignment"]]
