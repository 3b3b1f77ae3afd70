"""Stored figures (issue 17): past days' snapshots, today's memo and the task tallies give exactly
the figures computed from the tables, whatever changes land in between — saves today, back-dated
imports, extensions, withdrawals, lead changes, reviews, target values — on both databases; the
counter, the snapshots and the tallies are kept by the unit of work, not by each writer."""
from __future__ import annotations

import os
import threading
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, update

from models import (
    Agency,
    Assignment,
    AssignmentState,
    FigureSnapshot,
    FigureVersion,
    Indicator,
    IndicatorValue,
    Plan,
    Task,
    User,
)
from services.common import clock
from services.common.clock import now, today
from services.indicators.standings import band_counts
from services.indicators.updates import save_value
from services.plans.editing import edit_task, extend_deadline, form_values, withdraw_task
from services.reporting.dashboard import completion_series, compliance, overdue_board
from services.reporting.rollup import agency_rollup, plan_rollup, review_counts, section_rollup, task_progress
from services.reporting.stored import Codec, _memoized, clear_memo, computed_directly
from services.tasks.history import apply_assignment_change, report_unchanged
from services.tasks.review import confirm, return_

TODAY = today()
YEAR = 2026
DAYS = [date(YEAR, 3, 31), date(YEAR, 6, 30), date(YEAR, 9, 30)]  # and every month end, by the completion line
MONTH_ENDS = [date(YEAR, m + 1, 1) - timedelta(days=1) for m in range(1, 12)] + [date(YEAR, 12, 31)]
STORED_DAYS = {d for d in (*DAYS, *MONTH_ENDS) if d < TODAY}


@pytest.fixture(autouse=True)
def clock_stays_on_today(monkeypatch):
    """The clock stops at TODAY's last second: this module's days (TODAY, STORED_DAYS) are fixed
    when it is imported, and a run crossing Vietnam's midnight (17:00 UTC) would otherwise make
    TODAY a past day, whose figures the store then rightly keeps as a snapshot (one more than the
    tests count)."""
    running = clock.datetime
    last_moment = datetime.combine(TODAY, time.max, tzinfo=clock.VIETNAM)

    class StopsOnToday(running):
        @classmethod
        def now(cls, tz=None):
            return min(running.now(tz), last_moment)  # the clock asks in Vietnam's time zone

    monkeypatch.setattr(clock, "datetime", StopsOnToday)


def actor(session, username="tgv"):
    from web.auth import actor_from_user
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def figures(db, days=DAYS, series=True) -> dict:
    """Every stored kind of figure, for every day given and today, in one read unit of work."""
    with db.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        agency_id = s.scalar(select(Assignment.agency_id).order_by(Assignment.id))
        roots = list(s.scalars(select(Task.id).where(Task.plan_id == plan.id, Task.parent_id.is_(None))))
        found = {"series": completion_series(s, plan, TODAY, TODAY) if series else None,
                 "compliance": compliance(s, plan, TODAY), "progress": task_progress(s, plan, roots[:20])}
        for day in [*(d for d in days if d < TODAY), None]:
            quarter_start = date((day or TODAY).year, ((day or TODAY).month - 1) // 3 * 3 + 1, 1)
            found[day] = (
                plan_rollup(s, plan, day), plan_rollup(s, plan, day, due_between=(quarter_start, day or TODAY)),
                section_rollup(s, plan, day), agency_rollup(s, plan, day),
                agency_rollup(s, plan, day, agency_id=agency_id), review_counts(s, plan, day),
                band_counts(s, plan, day or TODAY), overdue_board(s, plan, day or TODAY, TODAY),
                overdue_board(s, plan, day or TODAY, TODAY, "due_soon"),
            )
        return found


def assert_same_both_ways(db, series=True):
    stored = figures(db, series=series)
    again = figures(db, series=series)  # the second time from the snapshots and the memo
    with computed_directly():
        direct = figures(db, series=series)
    assert stored == direct
    assert again == direct


def _moment(day: date) -> datetime:
    return datetime.combine(min(day, TODAY), time(10))


# ---- The operations a sequence is made of ---------------------------------------------------------

def report(db, pick: int, status: str, day: date) -> None:
    """An agency's update (a save today, or a status imported with its "Ngày cập nhật")."""
    with db.write() as s:
        ids = list(s.scalars(select(Assignment.id).where(Assignment.ended_on.is_(None)).order_by(Assignment.id)))
        assignment = s.get(Assignment, ids[pick % len(ids)])
        latest = s.scalar(select(func.max(AssignmentState.valid_from)).where(
            AssignmentState.assignment_id == assignment.id))
        when = max(_moment(day), latest + timedelta(hours=1))
        changes = {"status": status, "progress": {"not_started": 0, "in_progress": 50, "done": 100}[status],
                   "completed_on": when.date() if status == "done" else None}
        apply_assignment_change(s, assignment, changes, when=when, recorded_at=now(), user_id=None,
                                source="import")


def unchanged(db, pick: int, day: date) -> None:
    """An agency's "Không thay đổi trong kỳ" (issue 15): no field changes, but a report, with its
    state interval (a quarterly task's figures depend on it)."""
    with db.write() as s:
        ids = list(s.scalars(select(Assignment.id).where(Assignment.ended_on.is_(None)).order_by(Assignment.id)))
        assignment = s.get(Assignment, ids[pick % len(ids)])
        latest = s.scalar(select(func.max(AssignmentState.valid_from)).where(
            AssignmentState.assignment_id == assignment.id))
        when = max(_moment(day), latest + timedelta(hours=1))
        report_unchanged(s, assignment, f"{when:%Y-%m}", when=when, user_id=actor(s).id)


def _task(s, pick: int) -> Task:
    ids = list(s.scalars(select(Task.id).where(Task.withdrawn_on.is_(None), Task.parent_id.is_(None))
                         .order_by(Task.id)))
    return s.get(Task, ids[pick % len(ids)])


def extend(db, pick: int, day: date) -> None:
    with db.write() as s:
        task = _task(s, pick)
        due = max(task.due_date or date(YEAR, 6, 30), day) + timedelta(days=45)
        extend_deadline(s, actor(s), task.id, task.version, {
            "deadline_text": f"{due.day}/{due.month}/{due.year}", "decision": "Quyết định số 1/QĐ-UBND",
            "decided_on": f"{day:%d/%m/%Y}", "effective_on": f"{day:%d/%m/%Y}"}, when=_moment(TODAY))


def withdraw(db, pick: int, day: date) -> None:
    with db.write() as s:
        task = _task(s, pick)
        withdraw_task(s, actor(s), task.id, task.version, {
            "reason": "Không triển khai", "decision": "Thông báo số 2/TB-UBND", "decided_on": f"{day:%d/%m/%Y}",
            "effective_on": f"{day:%d/%m/%Y}"}, when=_moment(TODAY))


def change_lead(db, pick: int, day: date) -> None:
    with db.write() as s:
        task = _task(s, pick)
        lead = "Sở Y tế" if task.lead_text != "Sở Y tế" else "Sở Tư pháp"
        edit_task(s, actor(s), task.id, task.version, {**form_values(task), "lead_text": lead,
                                                        "effective_on": f"{day:%d/%m/%Y}"}, when=_moment(TODAY))


def review(db, pick: int, decision: str) -> None:
    with db.write() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        waiting = s.execute(select(Assignment.id, Assignment.version).where(
            Assignment.status == "done", Assignment.review_state.in_(("none", "resubmitted")))
            .order_by(Assignment.id)).all()
        if waiting:
            chosen = waiting[pick % len(waiting)]
            items = [{"id": chosen.id, "version": chosen.version}]
            (confirm(s, actor(s), plan, items) if decision == "confirm"
             else return_(s, actor(s), plan, items, "Bổ sung minh chứng"))


def target_value(db, pick: int, day: date, value: int) -> None:
    with db.write() as s:
        indicators = list(s.scalars(select(Indicator).order_by(Indicator.id)))
        indicator = indicators[pick % len(indicators)]
        period = f"{YEAR}-{day.month:02d}"
        row = s.scalar(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id,
                                                    IndicatorValue.period == period))
        save_value(s, actor(s), indicator.id, row.version if row else 0, {"period": period, "value": f"{value}%"},
                   when=_moment(TODAY))


days = st.dates(min_value=date(YEAR, 1, 2), max_value=TODAY)
operations = st.one_of(
    st.tuples(st.just(report), st.integers(0, 400), st.sampled_from(["not_started", "in_progress", "done"]), days),
    st.tuples(st.just(report), st.integers(0, 400), st.sampled_from(["in_progress", "done"]), st.just(TODAY)),
    st.tuples(st.just(unchanged), st.integers(0, 400), days),
    st.tuples(st.just(extend), st.integers(0, 100), days),
    st.tuples(st.just(withdraw), st.integers(0, 100), days),
    st.tuples(st.just(change_lead), st.integers(0, 100), days),
    st.tuples(st.just(review), st.integers(0, 50), st.sampled_from(["confirm", "return"])),
    st.tuples(st.just(target_value), st.integers(0, 40), days, st.integers(0, 120)),
)


@settings(max_examples=int(os.environ.get("STORED_FIGURES_EXAMPLES", "5")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operations, min_size=1, max_size=3))
def test_any_sequence_of_changes_gives_the_same_figures_with_and_without_the_store(demo_db, steps):
    """Each example starts from the database the previous ones left: the sequences add up."""
    clear_memo()
    figures(demo_db, series=False)  # builds the snapshots the changes must invalidate
    for operation, *arguments in steps:
        operation(demo_db, *arguments)
        assert_same_both_ways(demo_db, series=False)
    assert_same_both_ways(demo_db)


def test_a_back_dated_change_drops_the_snapshots_from_its_day_on_and_keeps_the_earlier_ones(demo_db):
    figures(demo_db)
    with demo_db.read() as s:
        plan_id = s.scalar(select(Plan.id))
        before = dict(s.execute(select(FigureSnapshot.day, func.count()).where(FigureSnapshot.family == "tasks")
                                .group_by(FigureSnapshot.day)).all())
        version = s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id))
    assert set(before) == STORED_DAYS
    report(demo_db, 3, "done", date(YEAR, 5, 10))
    with demo_db.read() as s:
        after = set(s.scalars(select(FigureSnapshot.day).where(FigureSnapshot.family == "tasks").distinct()))
        assert s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id)) == version + 1
        assert s.scalar(select(func.count()).select_from(FigureSnapshot).where(
            FigureSnapshot.family == "indicators")) == len(DAYS)  # a task's change leaves the targets' alone
    assert after == {d for d in STORED_DAYS if d < date(YEAR, 5, 10)}
    assert_same_both_ways(demo_db)


def test_a_save_today_keeps_every_past_snapshot_and_moves_the_counter(demo_db):
    figures(demo_db)
    with demo_db.read() as s:
        count = s.scalar(select(func.count()).select_from(FigureSnapshot))
        live = plan_rollup(s, s.scalar(select(Plan)))
    report(demo_db, 7, "done", TODAY)
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(FigureSnapshot)) == count
        assert plan_rollup(s, s.scalar(select(Plan))) != live  # today's memo was not served stale
    assert_same_both_ways(demo_db)


def test_a_rolled_back_change_moves_nothing(demo_db):
    figures(demo_db)
    with demo_db.read() as s:
        plan_id = s.scalar(select(Plan.id))
        state = (s.scalar(select(FigureVersion.version)), s.scalar(select(func.count()).select_from(FigureSnapshot)))
    with pytest.raises(RuntimeError), demo_db.write() as s:
        assignment = s.scalar(select(Assignment).order_by(Assignment.id))
        apply_assignment_change(s, assignment, {"status": "done", "progress": 100, "completed_on": date(YEAR, 2, 1)},
                                when=datetime(YEAR, 2, 1, 9), recorded_at=now(), user_id=None)
        s.flush()
        raise RuntimeError("abandoned")
    with demo_db.read() as s:
        assert (s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id)),
                s.scalar(select(func.count()).select_from(FigureSnapshot))) == state


def test_renaming_an_agency_drops_every_snapshot_of_its_provinces_plans(demo_db):
    figures(demo_db)
    with demo_db.write() as s:
        agency = s.get(Agency, s.scalar(select(Assignment.agency_id).order_by(Assignment.id)))
        agency.name = agency.name + " (mới)"
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(FigureSnapshot).where(FigureSnapshot.family == "tasks")) == 0
    assert_same_both_ways(demo_db)


def test_a_bulk_write_drops_its_plans_figures_or_every_plans_when_it_does_not_say(demo_db):
    figures(demo_db)
    with demo_db.write() as s:  # declared: every snapshot of that plan goes
        plan_id = s.scalar(select(Plan.id))
        s.execute(update(Assignment).where(Assignment.id == s.scalar(select(func.min(Assignment.id))))
                  .values(progress=1).execution_options(figures_plan=plan_id))
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(FigureSnapshot)) == 0
        version = s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id))
    figures(demo_db)
    with demo_db.write() as s:  # undeclared: every plan's
        s.execute(update(Assignment).where(Assignment.id == s.scalar(select(func.min(Assignment.id))))
                  .values(progress=2))
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(FigureSnapshot)) == 0
        assert s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id)) == version + 1
    with demo_db.write() as s:  # declared harmless: nothing goes
        s.execute(insert(Agency).values(province_id=s.scalar(select(Plan.province_id)), code="x", name="x",
                                        name_key="x", kind="department").execution_options(figures_unaffected=True))
    with demo_db.read() as s:
        assert s.scalar(select(FigureVersion.version).where(FigureVersion.plan_id == plan_id)) == version + 1
    assert_same_both_ways(demo_db)


def test_a_figure_read_inside_a_write_sees_that_writes_own_changes(demo_db):
    figures(demo_db)
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        before = plan_rollup(s, plan, date(YEAR, 3, 31))
        assignment = s.scalar(select(Assignment).where(Assignment.status != "done").order_by(Assignment.id))
        apply_assignment_change(s, assignment, {"status": "done", "progress": 100, "completed_on": date(YEAR, 3, 1)},
                                when=datetime(YEAR, 3, 1, 9), recorded_at=now(), user_id=None)
        s.flush()
        after = plan_rollup(s, plan, date(YEAR, 3, 31))
    assert after != before
    assert_same_both_ways(demo_db)


def test_one_computation_serves_the_requests_that_arrive_meanwhile():
    calls, started, release, results = [], threading.Event(), threading.Event(), []

    def compute():
        calls.append(1)
        started.set()
        release.wait(5)
        return 41 + len(calls)

    codec = Codec(str, int)
    key = ("memo test", uuid.uuid4().hex)
    first = threading.Thread(target=lambda: results.append(_memoized(key, 5, compute, codec)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(_memoized(key, 5, compute, codec)))
    second.start()
    threading.Event().wait(0.2)  # the second is waiting by now
    release.set()
    first.join()
    second.join()
    assert results == [42, 42] and len(calls) == 1  # the second waited for the first's result
    assert _memoized(key, 6, compute, codec) == 43  # the plan changed since: computed again
    assert _memoized(key, 5, compute, codec) == 43  # a request that read an older counter takes the newer


def test_a_savepoint_rolled_back_keeps_what_the_transaction_changed_before_it(demo_db):
    figures(demo_db)
    with demo_db.write() as s:
        assignment = s.scalar(select(Assignment).where(Assignment.status != "done").order_by(Assignment.id))
        apply_assignment_change(s, assignment, {"status": "in_progress", "progress": 10},
                                when=datetime(YEAR, 4, 2, 9), recorded_at=now(), user_id=None)
        s.flush()
        with pytest.raises(RuntimeError), s.begin_nested():
            raise RuntimeError("a refused insert, as a duplicate submission is")
    with demo_db.read() as s:
        kept = set(s.scalars(select(FigureSnapshot.day).where(FigureSnapshot.family == "tasks").distinct()))
    assert kept == {d for d in STORED_DAYS if d < date(YEAR, 4, 2)}
    assert_same_both_ways(demo_db)
