"""Per top-level task, today's tally of its parts (issue 17), kept current by each write's commit.

Today's counts group 100 000 assignments by top-level task on every computation; after each save
the plan's counter moves and the next overview computes them again. A tally holds that grouping
per top-level task (parts in force, done, not started, latest completion and update), so today's
plan and section counts read 25 000 tallies instead (services.reporting.rollup). The rules are
rollup's (`tally_query`); this module only decides when a tally is recomputed:

- every flush notes the top-level tasks whose parts or sub-items it wrote; at commit, inside the
  committing transaction, their tallies are recomputed from the tables. On PostgreSQL the task
  rows are locked first (FOR UPDATE, in id order): two parts of one task saved at the same moment
  recompute one after the other, the second seeing the first's committed change (READ COMMITTED;
  this hook runs before models.figures bumps the plan's counter, so that row is held only for the
  commit, and nothing here relies on it); on SQLite the write unit of work already holds the
  database's write lock;
- a bulk statement on assignments or tasks recomputes its plan's tallies (`figures_plan`), or every
  plan's when it does not say (models.figures asks the same declaration);
- a tally counts the parts in force on the day it was computed (`counted_on`) and says when that
  could next change by itself (`changes_on`: a task added or withdrawn, a lead ending, on a later
  day); a tally outside [counted_on, changes_on) is not read: those tasks are grouped afresh.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, delete, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.figures import EVERY_PLAN, declared_plan
from models.plan import Assignment, Plan, Task

_PENDING = "tallies_pending"  # session.info: {"tasks": task ids, "roots": root ids, "plans": plan ids}
_TABLES = {Assignment.__table__.name, Task.__table__.name}
CHUNK = 500  # ids per statement (SQLite's bound-parameter limit)


class TaskTally(Base):
    """One top-level task's parts as of `counted_on` (the live state), valid until `changes_on`."""

    __tablename__ = "task_tallies"

    root_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: a deleted task's goes at commit
    plan_id: Mapped[int] = mapped_column(Integer, index=True)
    parts: Mapped[int] = mapped_column(Integer)
    parts_done: Mapped[int] = mapped_column(Integer)
    parts_not_started: Mapped[int] = mapped_column(Integer)
    completed_on: Mapped[date | None] = mapped_column(Date)
    last_update: Mapped[datetime | None] = mapped_column(DateTime)
    counted_on: Mapped[date] = mapped_column(Date)
    changes_on: Mapped[date] = mapped_column(Date)  # date.max: never by itself


def _pending(session: Session) -> dict[str, set]:
    return session.info.setdefault(_PENDING, defaultdict(set))


def _old(obj, key: str):
    history = inspect(obj).attrs[key].history
    return history.deleted[0] if history.deleted else None


@event.listens_for(Session, "after_flush")
def _note_tasks(session: Session, _context) -> None:
    """The top-level tasks (or tasks, resolved at commit) whose tallies this flush may change."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Assignment):
            _pending(session)["tasks"].update(t for t in (obj.task_id, _old(obj, "task_id")) if t is not None)
        elif isinstance(obj, Task):
            _pending(session)["roots"].update(
                r for r in (obj.root_id, _old(obj, "root_id"), obj.id if obj.parent_id is None else None)
                if r is not None)


@event.listens_for(Session, "do_orm_execute")
def _bulk_writes(state) -> None:
    plan_id = declared_plan(state, _TABLES)
    if plan_id is not None:
        _pending(state.session)["plans"].add(plan_id)


def _chunks(ids) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK)]


@event.listens_for(Session, "before_commit", insert=True)
def _recount(session: Session) -> None:
    """Recompute the noted tallies in the committing transaction, the task rows locked first.

    Runs before models.figures bumps the plan's counter (insert=True: first in line), so that row,
    which every save of the plan waits for, is held only for the commit itself (measured under 50
    users: saves queued on it while the tallies were recounted)."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from services.common.clock import today
    from services.reporting.rollup import tally_query  # the rules live there; this is only the when
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    day = today()
    plans = pending["plans"]
    if EVERY_PLAN in plans:
        plans = set(connection.scalars(select(Plan.id)))
    roots = set(pending["roots"])
    for chunk in _chunks(pending["tasks"]):
        roots.update(r for r in connection.scalars(select(Task.root_id).where(Task.id.in_(chunk))) if r is not None)
    if plans:  # whole plans: their tasks' tallies go, and every top-level task of theirs is recounted
        roots -= set(connection.scalars(select(Task.id).where(Task.plan_id.in_(plans))))
    for plan_id in sorted(plans):
        if postgres:
            connection.execute(select(Task.id).where(Task.plan_id == plan_id).order_by(Task.id).with_for_update())
        connection.execute(delete(TaskTally).where(TaskTally.plan_id == plan_id))
        connection.execute(insert(TaskTally).from_select(_COLUMNS, tally_query(day, plan_id=plan_id)))
    for chunk in _chunks(roots):
        if postgres:
            connection.execute(select(Task.id).where(Task.id.in_(chunk)).order_by(Task.id).with_for_update())
        connection.execute(delete(TaskTally).where(TaskTally.root_id.in_(chunk)))
        connection.execute(insert(TaskTally).from_select(_COLUMNS, tally_query(day, roots=chunk)))


_COLUMNS = ["root_id", "plan_id", "parts", "parts_done", "parts_not_started", "completed_on", "last_update",
            "counted_on", "changes_on"]


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
