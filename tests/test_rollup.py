"""Rollup checked against hand-computed cases, now and as of past dates."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from models import Assignment, Plan, Task
from services.plans.importer import PlanSpec, import_plan
from services.common.statements import LIMIT, reused
from services.reporting.rollup import assignment_situations, plan_rollup, report_sentence, rollup
from services.tasks.history import apply_assignment_change
from tests.test_import import write_csv

ROWS = [
    ["I", "Nhóm một", "", "", "", "", "", "", ""],
    ["1", "Đúng hạn", "Sở Tài chính", "", "Quý I/2026", "SP", "", "", ""],
    ["2", "Trễ hạn", "Sở Y tế", "", "Quý I/2026", "SP", "", "", ""],
    ["3", "Có mục con", "Sở Nội vụ", "", "Quý II/2026", "SP", "", "", ""],
    ["3.1", "Mục con A", "Sở Xây dựng", "", "", "", "", "", ""],
    ["II", "Nhóm hai", "", "", "", "", "", "", ""],
    ["4", "Thường xuyên", "Công an tỉnh", "", "Thường xuyên", "SP", "", "", ""],
    ["5", "Nhóm cơ quan", "UBND cấp xã", "", "Năm 2026", "SP", "", "", ""],
    ["6", "Hằng quý", "Sở Tư pháp", "", "Hằng quý", "SP", "", "", ""],
]


def at(y, m, d):
    return datetime(y, m, d, 9, 0)


@pytest.fixture
def plan_db(demo_db, tmp_path):
    with demo_db.write() as s:
        summary = import_plan(s, write_csv(tmp_path / "p.csv", ROWS),
                              PlanSpec(province="Lào Cai", year=2026, title="Rollup"))
    return demo_db, summary.plan_id


def change(db, plan_id, stt, when, agency_index=None, **fields):
    with db.write() as s:
        assignments = s.scalars(select(Assignment).join(Task).where(Task.plan_id == plan_id, Task.stt == stt)
                                .order_by(Assignment.id)).all()
        targets = assignments if agency_index is None else [assignments[agency_index]]
        for a in targets:
            apply_assignment_change(s, a, fields, when=when, recorded_at=when, user_id=None)


def counts(db, plan_id, as_of):
    with db.read() as s:
        return plan_rollup(s, s.get(Plan, plan_id), as_of).as_dict()


def test_hand_computed_story(plan_db):
    db, plan_id = plan_db
    change(db, plan_id, "1", at(2026, 3, 20), status="done", progress=100, completed_on=date(2026, 3, 20))
    change(db, plan_id, "2", at(2026, 2, 1), status="in_progress", progress=40)
    change(db, plan_id, "2", at(2026, 4, 10), status="done", progress=100, completed_on=date(2026, 4, 10))
    change(db, plan_id, "3", at(2026, 4, 1), status="done", progress=100, completed_on=date(2026, 4, 1))
    change(db, plan_id, "5", at(2026, 5, 1), agency_index=0, status="in_progress")
    change(db, plan_id, "6", at(2026, 2, 15), status="in_progress", progress=10)

    # 31/03: task 1 done on time; task 2 in progress, due today so not yet overdue;
    # no quarter has ended yet, so the quarterly task 6 is not overdue either.
    assert counts(db, plan_id, date(2026, 3, 31)) == {
        "total": 6, "done": 1, "done_on_time": 1, "done_late": 0, "in_progress": 2,
        "not_started": 3, "overdue": 0, "ongoing": 1}
    # 01/07: task 2 done late; task 3 in progress (its sub-item untouched) and overdue (30/06);
    # task 5 in progress (one commune of six); task 6 had no update during Q2 → overdue.
    assert counts(db, plan_id, date(2026, 7, 1)) == {
        "total": 6, "done": 2, "done_on_time": 1, "done_late": 1, "in_progress": 3,
        "not_started": 1, "overdue": 2, "ongoing": 1}
    assert counts(db, plan_id, date(2026, 7, 15))["overdue"] == 2
    # Sub-item completes → parent done (late, after 30/06).
    change(db, plan_id, "3.1", at(2026, 7, 20), status="done", progress=100, completed_on=date(2026, 7, 20))
    after = counts(db, plan_id, date(2026, 7, 31))
    assert (after["done"], after["done_late"], after["overdue"]) == (3, 2, 1)


def test_reopened_task_counts_as_not_done_after_reopening(plan_db):
    db, plan_id = plan_db
    change(db, plan_id, "1", at(2026, 3, 1), status="done", progress=100, completed_on=date(2026, 3, 1))
    change(db, plan_id, "1", at(2026, 5, 1), status="in_progress", progress=80, completed_on=None)
    assert counts(db, plan_id, date(2026, 3, 31))["done"] == 1
    after = counts(db, plan_id, date(2026, 5, 2))
    # tasks 1 and 2 past 31/03 and not done; the quarterly task 6 never reported for Q1.
    assert (after["done"], after["in_progress"], after["overdue"]) == (0, 1, 3)


@pytest.mark.parametrize("review_state, done", [("returned", 0), ("resubmitted", 0), ("confirmed", 1), ("none", 1)])
def test_a_completion_returned_or_reported_again_is_not_done(plan_db, review_state, done):
    db, plan_id = plan_db
    change(db, plan_id, "1", at(2026, 3, 1), status="done", progress=100, completed_on=date(2026, 3, 1))
    change(db, plan_id, "1", at(2026, 3, 5), review_state=review_state)
    c = counts(db, plan_id, date(2026, 3, 31))
    assert (c["done"], c["in_progress"]) == (done, 1 - done)


def test_before_any_update_everything_not_started(plan_db):
    db, plan_id = plan_db
    change(db, plan_id, "1", at(2026, 3, 1), status="done", progress=100, completed_on=date(2026, 3, 1))
    c = counts(db, plan_id, date(2026, 1, 15))
    assert (c["total"], c["not_started"], c["done"]) == (6, 6, 0)


def test_group_task_follows_sub_item_rule(plan_db):
    db, plan_id = plan_db
    for index in range(6):
        change(db, plan_id, "5", at(2026, 6, 1 + index), agency_index=index,
               status="done", progress=100, completed_on=date(2026, 6, 1 + index))
        expected_done = 1 if index == 5 else 0
        assert counts(db, plan_id, date(2026, 6, 30))["done"] == expected_done


def test_by_section_and_agency(plan_db):
    db, plan_id = plan_db
    change(db, plan_id, "4", at(2026, 2, 1), status="in_progress")
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        sections = rollup(s, plan, "section", date(2026, 3, 31))
        assert [(g.name, g.counts.total) for g in sections] == [("I. Nhóm một", 3), ("II. Nhóm hai", 3)]
        agencies = {g.name: g.counts for g in rollup(s, plan, "agency", date(2026, 3, 31))}
        assert agencies["Công an tỉnh"].in_progress == 1 and agencies["Công an tỉnh"].ongoing == 1
        assert sum(c.total for c in agencies.values()) == 1 + 1 + 1 + 1 + 1 + 6 + 1


def test_kept_statements_follow_the_plans_settings_and_the_day(plan_db):
    """The rollups reuse their statements (services.common.statements): a changed "due soon" window
    or another day must still give that setting's and that day's answer."""
    db, plan_id = plan_db

    def due_soon(day):
        with db.read() as s:
            plan = s.get(Plan, plan_id)
            first = s.scalar(select(Assignment.id).join(Task).where(Task.plan_id == plan_id, Task.stt == "1"))
            return assignment_situations(s, plan, assignment_ids=[first], day=day)[first].due_soon

    assert due_soon(date(2026, 3, 20)) is True  # due 31/03, inside the plan's 14 days
    assert due_soon(date(2026, 3, 10)) is False  # 21 days ahead
    with db.write() as s:
        s.get(Plan, plan_id).due_soon_days = 5
    assert due_soon(date(2026, 3, 20)) is False
    assert due_soon(date(2026, 3, 28)) is True


def test_statements_are_kept_per_key_and_bounded():
    built = []
    first = reused(("test-kept", 1), lambda: built.append(1) or object())
    assert reused(("test-kept", 1), lambda: built.append(2) or object()) is first and built == [1]
    for n in range(LIMIT):
        reused(("test-kept-flood", n), object)
    assert reused(("test-kept", 1), object) is not first  # pushed out by LIMIT newer keys


def test_report_sentence_wording():
    from services.reporting.rollup import Counts
    assert report_sentence(Counts(total=16, done=4, in_progress=10, not_started=2)) == (
        "Đã hoàn thành: 04/16 nhiệm vụ. Đang thực hiện: 10/16 nhiệm vụ. Chưa thực hiện: 02/16 nhiệm vụ.")
