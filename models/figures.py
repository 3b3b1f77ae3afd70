"""Stored figures and what makes them stale, kept by the database for every worker and server.

- `FigureVersion`: per plan, a counter bumped by every committed change of anything its figures read.
  Today's figures are recomputed only when it moved (services.reporting.stored).
- `FigureSnapshot`: a past day's figures (the rollups as of that day), built once and deleted
  exactly when a change dated on or before that day lands.

Both are kept by one mechanism, not by each writer: the session hooks below look at every row the
unit of work inserts, updates or deletes, work out which plan it belongs to and the earliest day
whose figures it can change (a save today: today; a back-dated import row, a review judged from
the report's moment, an extension or withdrawal: its effective day; a renamed agency or section:
every day), and, in the committing transaction, bump the counter and delete the snapshots from
that day on. The counter row is locked last, at commit, so it adds no lock-order cycle.

A bulk statement bypasses the unit of work, so one against these tables should say what it touches
(`execution_options(figures_plan=ID)`: every day of that plan; `figures_unaffected=True`: nothing a
figure reads, e.g. positions); an undeclared one drops every stored figure of every plan (correct,
and logged, but costly: declare it).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    delete,
    event,
    inspect,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.agency import Agency
from models.base import Base
from models.weekly import AgencyPeriodEntry
from models.plan import (
    Assignment,
    AssignmentState,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    PeriodClose,
    Plan,
    ReportSubmission,
    Section,
    Task,
    TaskCoordinator,
    TaskDeadline,
)

TASKS = "tasks"  # the task rollups: plan, section, agency, review counts, the overdue board
INDICATORS = "indicators"  # the targets by band
FAMILIES = (TASKS, INDICATORS)
EVERY_DAY = date.min
EVERY_PLAN = 0  # an undeclared bulk write: no plan id is 0
log = logging.getLogger("cds.figures")
_PENDING = "figures_pending"  # session.info: {(plan_id, family): earliest day or None (today only)}


class FigureVersion(Base):
    """How many committed changes a plan's figures have seen (a change counter, never reset)."""

    __tablename__ = "figure_versions"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


class FigureSnapshot(Base):
    """One past day's figures of one kind ("plan", "section", "board:overdue::", ...) as JSON."""

    __tablename__ = "figure_snapshots"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    family: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    # The counter the figures were computed at (for inspection; storing checks it has not moved).
    version: Mapped[int] = mapped_column(BigInteger)


TRACKED = (Plan, Section, Task, TaskDeadline, TaskCoordinator, Assignment, AssignmentState, Agency,
           Indicator, IndicatorAgency, IndicatorValue, ReportSubmission, PeriodClose, AgencyPeriodEntry)
_TRACKED_TABLES = {model.__table__.name for model in TRACKED}


def _changes(obj) -> dict[str, tuple]:
    """Changed column → (old, new) for a dirty object (old None for a column never loaded)."""
    changed = {}
    for attr in inspect(obj).mapper.column_attrs:
        history = inspect(obj).attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changed[attr.key] = (old, new)
    return changed


def _as_day(value) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _earliest(*values) -> date:
    """The earliest of the given days/moments; EVERY_DAY when one of them is open-ended (None)."""
    days = [_as_day(v) for v in values]
    return EVERY_DAY if any(d is None for d in days) else min(days)


def _merge(found: dict, key, day: date | None) -> None:
    """Keep the earliest day per key; None (today only) yields to any day."""
    current = found.get(key)
    found[key] = day if current is None else current if day is None else min(current, day)


class _Collector:
    """What one flush changes: (plan, family) → earliest day affected (None: today's figures only)."""

    def __init__(self, session: Session):
        self.session = session
        self.found: dict[tuple[int, str], date | None] = {}
        self.by_task: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
        self.by_assignment: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
        self.by_indicator: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
        self.by_province: dict[int, list[tuple[str, date | None]]] = defaultdict(list)

    def plan(self, plan_id: int | None, family: str, day: date | None) -> None:
        if plan_id is not None:
            _merge(self.found, (plan_id, family), day)

    def resolve(self) -> None:
        """Map tasks, assignments, indicators and provinces to their plans, a query each at most."""
        connection = self.session.connection()
        lookups = (
            (self.by_assignment, select(Assignment.id, Task.plan_id).join(Task, Task.id == Assignment.task_id),
             Assignment.id),
            (self.by_task, select(Task.id, Task.plan_id), Task.id),
            (self.by_indicator, select(Indicator.id, Indicator.plan_id), Indicator.id),
            (self.by_province, select(Plan.province_id, Plan.id), Plan.province_id),
        )
        for pending, query, column in lookups:
            if not pending:
                continue
            plans = defaultdict(list)
            for key, plan_id in connection.execute(query.where(column.in_(list(pending)))):
                plans[key].append(plan_id)
            for key, effects in pending.items():
                for plan_id in plans.get(key, ()):
                    for family, day in effects:
                        self.plan(plan_id, family, day)


def _task_deadline_rows(session: Session, task_ids: set[int]) -> set[int]:
    """Which of the tasks have deadline rows (task_deadlines) after this flush."""
    if not task_ids:
        return set()
    return set(session.connection().scalars(
        select(TaskDeadline.task_id).where(TaskDeadline.task_id.in_(list(task_ids))).distinct()))


def _deadline_before(obj: Task) -> tuple:
    """The task's deadline (due date, kind, text) before this flush."""
    values = []
    for key in ("due_date", "deadline_kind", "deadline_text"):
        history = inspect(obj).attrs[key].history
        values.append(history.deleted[0] if history.deleted else getattr(obj, key))
    return tuple(values)


def _collect(session: Session) -> _Collector:
    """Every tracked row this flush wrote, as (plan, family) → earliest day its figures change."""
    found = _Collector(session)
    new = [o for o in session.new if isinstance(o, TRACKED)]
    dirty = [o for o in session.dirty if isinstance(o, TRACKED) and session.is_modified(o)]
    deleted = [o for o in session.deleted if isinstance(o, TRACKED)]
    tasks_before = {o.id: o for o in dirty if isinstance(o, Task)}
    deadline_tasks = {o.id for o in dirty if isinstance(o, Task)
                      and {"due_date", "deadline_kind", "deadline_text"} & _changes(o).keys()}
    has_deadline_rows = _task_deadline_rows(session, deadline_tasks)

    for obj in new + dirty + deleted:
        status = "new" if obj in new else "deleted" if obj in deleted else "dirty"
        changes = _changes(obj) if status == "dirty" else {}
        if isinstance(obj, AssignmentState):
            if status == "dirty":
                if set(changes) - {"valid_to"}:
                    day = _earliest(obj.valid_from, *changes.get("valid_from", ()))
                else:
                    old, new_to = changes["valid_to"]
                    day = min(_as_day(v) for v in (old, new_to) if v is not None)
            else:
                day = _as_day(obj.valid_from)
            found.by_assignment[obj.assignment_id].append((TASKS, day))
        elif isinstance(obj, Assignment):
            if status == "new":
                day = None  # counts as of a day only through its states, which say from when
            elif status == "deleted" or {"task_id", "agency_id"} & changes.keys():
                day = EVERY_DAY
            elif "ended_on" in changes:
                day = _earliest(*(v for v in changes["ended_on"] if v is not None))
            else:
                day = None  # today's state only: the as-of figures read the states
            found.by_task[obj.task_id].append((TASKS, day))
        elif isinstance(obj, Task):
            if status == "new":
                day = obj.added_on or EVERY_DAY
            elif status == "deleted" or {"plan_id", "parent_id", "root_id", "section_id", "title", "stt"} & changes.keys():
                day = EVERY_DAY
            else:
                days = [v for key in ("added_on", "withdrawn_on") for v in changes.get(key, ()) if v is not None]
                if obj.id in deadline_tasks and obj.id not in has_deadline_rows:
                    days.append(EVERY_DAY)  # the printed deadline is every day's, until an extension
                day = min(days) if days else None
            found.plan(obj.plan_id, TASKS, day)
        elif isinstance(obj, TaskDeadline):
            if status == "dirty" and set(changes) <= {"valid_to"}:
                day = min(_as_day(v) for v in changes["valid_to"] if v is not None)
            elif status == "new" and obj.valid_from is None and obj.task_id in tasks_before \
                    and _deadline_before(tasks_before[obj.task_id]) == (obj.due_date, obj.deadline_kind,
                                                                         obj.deadline_text):
                day = obj.valid_to or EVERY_DAY  # the printed deadline kept as it was, until the extension
            else:
                day = _earliest(obj.valid_from, *changes.get("valid_from", ()))
            found.by_task[obj.task_id].append((TASKS, day))
        elif isinstance(obj, TaskCoordinator):
            found.by_task[obj.task_id].append((TASKS, None))
        elif isinstance(obj, Section):
            found.plan(obj.plan_id, TASKS, EVERY_DAY)
            found.plan(obj.plan_id, INDICATORS, EVERY_DAY)
        elif isinstance(obj, Plan):
            figures = {"starts_on", "year", "due_soon_days"} & changes.keys()
            for family in FAMILIES:
                found.plan(obj.id, family, EVERY_DAY if figures or status != "dirty" else None)
        elif isinstance(obj, Agency):
            day = EVERY_DAY if status == "deleted" or "name" in changes else None
            found.by_province[obj.province_id].append((TASKS, day))
        elif isinstance(obj, IndicatorValue):
            day = _earliest(obj.period_end, *changes.get("period_end", ()))
            found.by_indicator[obj.indicator_id].append((INDICATORS, day))
        elif isinstance(obj, Indicator):  # a new target counts, without data, on every day too
            found.plan(obj.plan_id, INDICATORS, EVERY_DAY)
        elif isinstance(obj, IndicatorAgency):
            found.by_indicator[obj.indicator_id].append((INDICATORS, None))
        elif isinstance(obj, (ReportSubmission, PeriodClose, AgencyPeriodEntry)):  # today's compliance
            found.plan(obj.plan_id, TASKS, None)
    found.resolve()
    return found


def _pending(session: Session) -> dict[tuple[int, str], date | None]:
    return session.info.setdefault(_PENDING, {})


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    """Remember, until commit, which plans' figures this flush changed and from which day."""
    if not any(isinstance(o, TRACKED) for o in (*session.new, *session.dirty, *session.deleted)):
        return
    pending = _pending(session)
    for key, day in _collect(session).found.items():
        _merge(pending, key, day)


def declared_plan(state, tables: set[str]) -> int | None:
    """For a bulk insert, update or delete on one of `tables`: the plan it declares it changes
    (`figures_plan`), EVERY_PLAN when it declares nothing; None for any other statement and for one
    declared `figures_unaffected`. Read here for the stored figures and by models.tallies."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    if table is None or table.name not in tables:
        return None
    options = {**state.statement.get_execution_options(), **state.local_execution_options}
    if options.get("figures_unaffected"):
        return None
    plan_id = options.get("figures_plan")
    return EVERY_PLAN if plan_id is None else plan_id


@event.listens_for(Session, "do_orm_execute")
def _bulk_writes(state) -> None:
    """A bulk insert/update/delete on a table the figures read must declare what it changes."""
    plan_id = declared_plan(state, _TRACKED_TABLES)
    if plan_id is None:
        return
    if plan_id == EVERY_PLAN:
        log.warning("bulk write to %s without figures_plan: every plan's stored figures are dropped",
                    state.statement.table.name)
    for family in FAMILIES:
        _merge(_pending(state.session), (plan_id, family), EVERY_DAY)


def _upsert(dialect_name: str):
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(FigureVersion)


@event.listens_for(Session, "before_commit")
def _apply(session: Session) -> None:
    """In the committing transaction: bump each changed plan's counter, then drop its snapshots from
    the earliest day changed on. Plans in id order, so two commits lock their counters alike."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    moment = datetime.now()
    earliest: dict[int, dict[str, date]] = defaultdict(dict)
    for (plan_id, family), day in pending.items():
        if day is not None:
            earliest[plan_id][family] = day
    if any(plan_id == EVERY_PLAN for plan_id, _ in pending):
        statement = _upsert(connection.dialect.name).from_select(
            # WHERE: SQLite would read "FROM plans ON CONFLICT" as a join's ON
            ["plan_id", "version", "changed_at"], select(Plan.id, literal(1), literal(moment)).where(true()))
        connection.execute(statement.on_conflict_do_update(
            index_elements=[FigureVersion.plan_id],
            set_={"version": FigureVersion.version + 1, "changed_at": moment}))
        connection.execute(delete(FigureSnapshot))
        return
    for plan_id in sorted({plan_id for plan_id, _ in pending}):
        statement = _upsert(connection.dialect.name).values(plan_id=plan_id, version=1, changed_at=moment)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[FigureVersion.plan_id],
            set_={"version": FigureVersion.version + 1, "changed_at": moment}))
        for family, day in sorted(earliest[plan_id].items()):
            connection.execute(delete(FigureSnapshot).where(
                FigureSnapshot.plan_id == plan_id, FigureSnapshot.family == family, FigureSnapshot.day >= day))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    """The whole transaction rolled back: nothing to invalidate. A savepoint's rollback keeps the
    list (what the savepoint undid then costs a recomputation, never a stale figure)."""
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
