"""Task tallies (models/tallies.py): today's grouping of each top-level task's parts, kept by each
commit, gives exactly the figures grouped from the tables: when two parts of one task are saved at
the same moment (the task row locked first on PostgreSQL), when a lead's end passes by itself
with the days, and after the migration fills them. test_stored_figures.py's property test covers
every kind of change in sequence (its stored side reads the tallies)."""
from __future__ import annotations

import threading
from importlib import import_module
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import bindparam, delete, event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.types import Date

from models import Assignment, Plan, Task, TaskTally
from services.common import clock
from services.common.clock import now, today
from services.reporting.rollup import plan_rollup, section_rollup, tally_query, task_progress
from services.reporting.stored import clear_memo, computed_directly
from services.tasks.history import apply_assignment_change


def live_figures(db) -> tuple:
    """Today's plan and section counts and every top-level task's progress, from the tallies."""
    clear_memo()
    with db.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        roots = list(s.scalars(select(Task.id).where(Task.plan_id == plan.id, Task.parent_id.is_(None))))
        return plan_rollup(s, plan), section_rollup(s, plan), task_progress(s, plan, roots)


def assert_tallies_give_the_tables_figures(db) -> None:
    tallied = live_figures(db)
    with computed_directly():
        assert tallied == live_figures(db)


def shared_task_parts(db) -> tuple[int, list[int]]:
    """A top-level task with at least two parts not done, and two of them."""
    with db.read() as s:
        root_id, = s.execute(
            select(Task.root_id).join(Assignment, Assignment.task_id == Task.id)
            .where(Assignment.status != "done", Assignment.ended_on.is_(None))
            .group_by(Task.root_id).having(func.count() >= 2).order_by(Task.root_id)).first()
        parts = list(s.scalars(select(Assignment.id).join(Task, Task.id == Assignment.task_id)
                               .where(Task.root_id == root_id, Assignment.status != "done",
                                      Assignment.ended_on.is_(None)).order_by(Assignment.id).limit(2)))
    return root_id, parts


def test_two_parts_of_one_task_saved_at_the_same_moment_are_both_in_its_tally(demo_db):
    root_id, parts = shared_task_parts(demo_db)
    postgres = demo_db.engine.dialect.name == "postgresql"
    # On PostgreSQL both transactions have written their part before either commits, and the first
    # to have recounted its task waits (up to 3 s) for the other to recount too before committing:
    # only a lock holds the other back (the task row's; models.figures' plan counter, bumped in
    # the same commit, is one too). SQLite's write lock lets the second write begin only once the
    # first has committed.
    flushed = threading.Barrier(2, timeout=20) if postgres else None
    first, recounted, errors = threading.Lock(), threading.Event(), []

    def hold_the_first_commit(session) -> None:  # runs after models.tallies recounted, before COMMIT
        if session.info.get("racing"):
            if first.acquire(blocking=False):
                recounted.wait(3)
            else:
                recounted.set()

    def finish(assignment_id: int) -> None:
        try:
            with demo_db.write() as s:
                s.info["racing"] = postgres
                assignment = s.get(Assignment, assignment_id)
                apply_assignment_change(s, assignment, {"status": "done", "progress": 100, "completed_on": today()},
                                        when=now(), recorded_at=now(), user_id=None)
                s.flush()
                if flushed:
                    flushed.wait()
        except Exception as error:  # reported below, with the figures
            errors.append(error)

    event.listen(Session, "before_commit", hold_the_first_commit)
    threads = [threading.Thread(target=finish, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(Session, "before_commit", hold_the_first_commit)
    assert errors == []
    with demo_db.read() as s:
        tally = s.execute(select(TaskTally.parts, TaskTally.parts_done, TaskTally.parts_not_started)
                          .where(TaskTally.root_id == root_id)).one()
        expected = s.execute(tally_query(today(), roots=[root_id])).one()
        done = s.scalar(select(func.count()).select_from(Assignment).join(Task, Task.id == Assignment.task_id)
                        .where(Task.root_id == root_id, Assignment.status == "done", Assignment.ended_on.is_(None)))
    assert tuple(tally) == tuple(expected[2:5])
    assert tally.parts_done == done >= 2
    assert_tallies_give_the_tables_figures(demo_db)


def test_a_tally_is_grouped_afresh_once_a_lead_ends_by_itself(demo_db, monkeypatch):
    root_id, (part, _) = shared_task_parts(demo_db)
    ends = today() + timedelta(days=2)
    with demo_db.write() as s:
        s.get(Assignment, part).ended_on = ends
    with demo_db.read() as s:
        assert s.execute(select(TaskTally.counted_on, TaskTally.changes_on)
                         .where(TaskTally.root_id == root_id)).one() == (today(), ends)
    before = live_figures(demo_db)
    assert_tallies_give_the_tables_figures(demo_db)

    running, later = clock.datetime, datetime.combine(ends + timedelta(days=1), time(9), tzinfo=clock.VIETNAM)

    class ThreeDaysOn(running):
        @classmethod
        def now(cls, tz=None):
            return later.astimezone(tz)

    monkeypatch.setattr(clock, "datetime", ThreeDaysOn)
    after = live_figures(demo_db)
    assert after[2][root_id].parts == before[2][root_id].parts - 1  # read afresh, not from the tally
    assert_tallies_give_the_tables_figures(demo_db)


def test_tallies_filled_by_the_migration_are_the_ones_commits_keep(demo_db):
    """The migration's own statement (it does not import the app) against rollup's."""
    migration = import_module("migrations.versions.0015_task_tallies")
    with demo_db.read() as s:
        kept = set(s.execute(select(TaskTally.root_id, TaskTally.parts, TaskTally.parts_done,
                                    TaskTally.parts_not_started, TaskTally.completed_on, TaskTally.last_update,
                                    TaskTally.changes_on)).all())
    with demo_db.write() as s:
        s.execute(delete(TaskTally))
        s.execute(text(migration.FILL).bindparams(bindparam("day", today(), Date()),
                                                  bindparam("never", date.max, Date())))
    with demo_db.read() as s:
        filled = set(s.execute(select(TaskTally.root_id, TaskTally.parts, TaskTally.parts_done,
                                      TaskTally.parts_not_started, TaskTally.completed_on, TaskTally.last_update,
                                      TaskTally.changes_on)).all())
    assert filled == kept and len(kept) > 50
