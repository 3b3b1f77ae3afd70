"""Rollup of a plan's tasks, by plan, section or agency, now or as of any past date — in SQL.

Rules (DOMAIN.md), each stated once here (the review's in `awaiting_review` and `review_counts`):
- A top-level task's status comes from all assignments beneath it (its own, its sub-items',
  one per member agency of a group): done when every part is done, not started when every part
  is not started, in progress otherwise. A completion returned by the secretariat, reported again
  or not, is not done until confirmed; as of a day, a review counts from the report it judges.
- Done late: completed after the due date. Overdue: not done and the due date has passed; for a
  quarterly recurring task, no update since the start of the last quarter that has ended.
- Ongoing tasks ("Thường xuyên") have no deadline, are never overdue and are counted apart.
- As of a date, each assignment contributes the state whose validity interval covers the end of
  that day; before its first update a task is "Chưa thực hiện".
- Changing the plan during the year (services.plans.editing), by day, the same live and as of:
  a task counts on a day when it was added by then (`added_on`, None: from the plan's start) and
  not yet withdrawn (`withdrawn_on` after the day); an assignment counts while its task counts,
  until its `ended_on` (a lead removed or replaced), and from its first state (a lead added during
  the year opens its first state on the day it takes effect).
- A deadline extended by a decision counts from its effective day: as of a day, a task is judged by
  the `task_deadlines` row covering that day, else by its own deadline (a task without extension has
  no rows; with one, its rows cover every day and the task row holds the deadline in force today).
  So a rollup as of a day before the decision still shows the task overdue by the printed deadline.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Date, Integer, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from models import Agency, Assignment, AssignmentState, Plan, Section, Task, TaskDeadline, TaskTally
from models.figures import TASKS
from services.common.clock import today
from services.common.statements import plan_key, reused
from services.plans.deadlines import DeadlineKind, quarter_end
from services.plans.statuses import STATUS_LABELS, Status
from services.reporting.stored import Codec, store_applies, stored

GROUPINGS = ("plan", "section", "agency")
COUNT_KEYS = ("total", "done", "done_on_time", "done_late", "in_progress", "not_started",
              "overdue", "ongoing")
DATED_KINDS = (DeadlineKind.ONE_OFF.value, DeadlineKind.MULTI_YEAR.value,
               DeadlineKind.RECURRING_YEARLY.value)
# The secretariat's review states (services.tasks.review names them): a completion returned, or
# reported again after a return, is not done until confirmed; never reviewed, or reported again,
# it waits for review.
NOT_DONE_REVIEWS = ("returned", "resubmitted")
AWAITING_REVIEW = ("none", "resubmitted")
SCOPED_PROGRESS_LIMIT = 2000


@dataclass(frozen=True)
class Counts:
    total: int = 0
    done: int = 0
    done_on_time: int = 0
    done_late: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0
    ongoing: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class GroupCounts:
    key: int | None
    name: str
    counts: Counts
    last_update: datetime | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, **self.counts.as_dict()}


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


COUNTS_CODEC = Codec(lambda counts: json.dumps(counts.as_dict()), lambda text: Counts(**json.loads(text)))
GROUPS_CODEC = Codec(
    lambda groups: json.dumps([[g.key, g.name, g.counts.as_dict(), g.last_update.isoformat() if g.last_update else None]
                               for g in groups], ensure_ascii=False),
    lambda text: [GroupCounts(key, name, Counts(**counts), _moment(last)) for key, name, counts, last in json.loads(text)])


def report_sentence(counts: Counts, noun: str = "nhiệm vụ") -> str:
    """The reports' own wording: "Đã hoàn thành: 04/16 nhiệm vụ. Đang thực hiện: 10/16 ..."."""
    total = counts.total
    parts = [
        (STATUS_LABELS[Status.DONE], counts.done),
        (STATUS_LABELS[Status.IN_PROGRESS], counts.in_progress),
        (STATUS_LABELS[Status.NOT_STARTED], counts.not_started),
    ]
    return " ".join(f"{label}: {n:02d}/{total:02d} {noun}." for label, n in parts)


def _built(name: str, plan: Plan, as_of: date | None, *values, build: Callable[[], Select]) -> Select:
    """`build()` reused (services.common.statements) while the plan, the as-of day, today and the
    `values` it depends on stay the same: the rollups' statements cost more to build than to run."""
    return reused((name, plan_key(plan), as_of, today(), *values), build)


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min)


def _last_ended_quarter_start(plan_year: int, as_of: date) -> date | None:
    """Start of the latest quarter of the plan year that ended before `as_of`, if any."""
    ended = [q for q in range(1, 5) if quarter_end(plan_year, q) < as_of]
    if not ended:
        return None
    return date(plan_year, ended[-1] * 3 - 2, 1)


def task_in_force(day: date):
    """SQL condition on Task: the task counts on `day` (added by then, not withdrawn yet)."""
    return and_(or_(Task.added_on.is_(None), Task.added_on <= day),
                or_(Task.withdrawn_on.is_(None), Task.withdrawn_on > day))


def assignment_in_force(day: date):
    """SQL condition on Assignment: not ended by `day` (its lead still leads)."""
    return or_(Assignment.ended_on.is_(None), Assignment.ended_on > day)


def tasks_in_force(plan: Plan, as_of: date | None = None, *, counted_only: bool = True,
                   roots: list[int] | None = None):
    """Every task of the plan (sub-items too) that counts at the end of `as_of` (None: today), with
    the deadline in force that day: due_date, kind, deadline_text. `counted_only=False` keeps the
    tasks that do not count that day (added later, withdrawn); `roots` keeps only those top-level
    tasks and their sub-items."""
    columns = [Task.id.label("task_id"), Task.root_id, Task.parent_id, Task.section_id]
    counted = [task_in_force(as_of or today())] if counted_only else []
    if roots is not None:
        counted.append(or_(Task.root_id.in_(roots), Task.id.in_(roots)))
    if as_of is None:
        return (select(*columns, Task.due_date, Task.deadline_kind.label("kind"), Task.deadline_text)
                .where(Task.plan_id == plan.id, *counted).subquery("tasks_in_force"))
    extended = TaskDeadline.id.is_not(None)
    return (
        select(*columns,
               case((extended, TaskDeadline.due_date), else_=Task.due_date).label("due_date"),
               case((extended, TaskDeadline.deadline_kind), else_=Task.deadline_kind).label("kind"),
               case((extended, TaskDeadline.deadline_text), else_=Task.deadline_text).label("deadline_text"))
        .outerjoin(TaskDeadline, and_(
            TaskDeadline.task_id == Task.id,
            or_(TaskDeadline.valid_from.is_(None), TaskDeadline.valid_from <= as_of),
            or_(TaskDeadline.valid_to.is_(None), TaskDeadline.valid_to > as_of),
        ))
        .where(Task.plan_id == plan.id, *counted)
        .subquery("tasks_in_force")
    )


def _assignment_states(plan: Plan, as_of: date | None, assignment_ids: list[int] | None = None,
                       roots: list[int] | None = None):
    """One row per assignment that counts: its status as of the date (or now), last update and its
    task's deadline then. Given `assignment_ids`, exactly those, whether they count or not (a form
    opened before its task was withdrawn is still judged by the same rules); given `roots`, only
    the parts of those top-level tasks."""
    tasks = tasks_in_force(plan, as_of, counted_only=assignment_ids is None, roots=roots)
    chosen = assignment_in_force(as_of or today()) if assignment_ids is None else Assignment.id.in_(assignment_ids)
    task_columns = [tasks.c.root_id, tasks.c.section_id, tasks.c.due_date, tasks.c.kind, tasks.c.deadline_text]
    if as_of is None:
        return (
            select(
                Assignment.id.label("assignment_id"), Assignment.task_id, Assignment.agency_id,
                Assignment.status, Assignment.completed_on, Assignment.review_state,
                Assignment.updated_at.label("last_update"), *task_columns,
            )
            .join(tasks, tasks.c.task_id == Assignment.task_id)
            .where(chosen)
            .subquery("states")
        )
    cutoff = _end_of_day(as_of)
    plan_start = datetime.combine(plan.starts_on, time.min)
    reported = func.coalesce(AssignmentState.reported_at, AssignmentState.valid_from)
    return (
        select(
            Assignment.id.label("assignment_id"), Assignment.task_id, Assignment.agency_id,
            AssignmentState.status, AssignmentState.completed_on, AssignmentState.review_state,
            case((reported == plan_start, None), else_=reported).label("last_update"), *task_columns,
        )
        .join(tasks, tasks.c.task_id == Assignment.task_id)
        .join(AssignmentState, and_(
            AssignmentState.assignment_id == Assignment.id,
            AssignmentState.valid_from < cutoff,
            or_(AssignmentState.valid_to.is_(None), AssignmentState.valid_to >= cutoff),
        ))
        .where(chosen)
        .subquery("states")
    )


def _done_part(status, review_state):
    """A part is done when reported done and not returned by the secretariat."""
    return and_(status == Status.DONE.value, review_state.not_in(NOT_DONE_REVIEWS))


def _is_done(states):
    return _done_part(states.c.status, states.c.review_state)


def _earlier(first, second):
    return case((first < second, first), else_=second)


def tally_query(day: date, *, plan_id: int | None = None, roots: list[int] | None = None) -> Select:
    """Rows of `task_tallies` (models.tallies) for a plan's top-level tasks or some of them: each
    one's parts in force on `day` grouped as `_task_units` groups the live state, and the next day
    a task of it is added or withdrawn, or a lead of it ends (date.max: none), from which on the
    grouping must be done again."""
    in_force = and_(task_in_force(day), assignment_in_force(day))

    def count_if(condition):
        return func.coalesce(func.sum(case((and_(in_force, condition), 1), else_=0)), 0)

    def next_after(column):
        return func.coalesce(func.min(case((column > day, column))), literal(date.max, Date))

    query = (
        select(Task.root_id, Task.plan_id, count_if(literal(True)), count_if(_done_part(Assignment.status,
                                                                                        Assignment.review_state)),
               count_if(Assignment.status == Status.NOT_STARTED.value),
               func.max(case((in_force, Assignment.completed_on))), func.max(case((in_force, Assignment.updated_at))),
               literal(day, Date),
               _earlier(_earlier(next_after(Task.added_on), next_after(Task.withdrawn_on)),
                        next_after(Assignment.ended_on)))
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.root_id.is_not(None))
        .group_by(Task.root_id, Task.plan_id)
    )
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    if roots is not None:
        query = query.where(Task.root_id.in_(roots))
    return query


def _deadline_passed(unit, plan: Plan, as_of: date):
    """The unit's deadline has passed as of the date (whatever its status): dated kinds by due date;
    a quarterly recurring task when not updated since the start of the last quarter that ended."""
    dated = and_(unit.c.kind.in_(DATED_KINDS), unit.c.due_date < as_of)
    quarter_start = _last_ended_quarter_start(plan.year, as_of)
    if quarter_start is None:
        return dated
    recurring = and_(
        unit.c.kind == DeadlineKind.RECURRING_QUARTERLY.value,
        or_(unit.c.last_update.is_(None),
            unit.c.last_update < datetime.combine(quarter_start, time.min)),
    )
    return or_(dated, recurring)


def _classification(unit, plan: Plan, as_of: date) -> dict:
    """The two-by-two and its neighbours as SQL conditions on a unit (task or assignment)."""
    done = unit.c.status == Status.DONE.value
    late = and_(done, unit.c.due_date.is_not(None), unit.c.completed_on > unit.c.due_date)
    due_soon = and_(~done, unit.c.kind.in_(DATED_KINDS), unit.c.due_date >= as_of,
                    unit.c.due_date <= as_of + timedelta(days=plan.due_soon_days))
    return {
        "done": done,
        "late": late,
        "overdue": and_(~done, _deadline_passed(unit, plan, as_of)),
        "ongoing": unit.c.kind == DeadlineKind.ONGOING.value,
        "due_soon": due_soon,
    }


def _classified_counts(unit, key_columns: list, plan: Plan, as_of: date) -> Select:
    """Aggregate units (tasks or assignments) with columns status/completed_on/due_date/kind/last_update."""
    rule = _classification(unit, plan, as_of)

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    return select(
        *key_columns,
        func.count().label("total"),
        count_if(rule["done"]).label("done"),
        count_if(and_(rule["done"], ~rule["late"])).label("done_on_time"),
        count_if(rule["late"]).label("done_late"),
        count_if(unit.c.status == Status.IN_PROGRESS.value).label("in_progress"),
        count_if(unit.c.status == Status.NOT_STARTED.value).label("not_started"),
        count_if(rule["overdue"]).label("overdue"),
        count_if(rule["ongoing"]).label("ongoing"),
        func.max(unit.c.last_update).label("last_update"),
    )


def _task_units(plan: Plan, as_of: date | None, roots: list[int] | None = None, tallied: bool = False):
    """Top-level tasks that count (given `roots`, those of them), with their rolled-up status (the
    sub-item rule) and dates. `tallied` (the live state only): the parts' grouping read from the
    tallies kept by each commit (models.tallies), those not valid today grouped afresh."""
    states = _assignment_states(plan, as_of, roots=roots)
    grouped = (
        select(
            states.c.root_id,
            func.count(states.c.assignment_id).label("n_parts"),
            func.sum(case((_is_done(states), 1), else_=0)).label("n_done"),
            func.sum(case((states.c.status == Status.NOT_STARTED.value, 1), else_=0)).label("n_not_started"),
            func.max(states.c.completed_on).label("completed_on"),
            func.max(states.c.last_update).label("last_update"),
        )
        .group_by(states.c.root_id)
    )
    tasks = tasks_in_force(plan, as_of, roots=roots)
    if tallied and as_of is None:
        # Two outer joins, not a union: each task finds its tally by key (PostgreSQL re-ran a union
        # per task), and the tasks whose tally is stale find their parts grouped afresh.
        day = today()
        valid = and_(TaskTally.counted_on <= day, TaskTally.changes_on > day)
        afresh = grouped.where(states.c.root_id.in_(
            select(TaskTally.root_id).where(TaskTally.plan_id == plan.id, ~valid))).subquery("afresh")
        joined = (tasks.outerjoin(TaskTally, and_(TaskTally.root_id == tasks.c.task_id, TaskTally.plan_id == plan.id,
                                                  valid, TaskTally.parts > 0))
                  .outerjoin(afresh, afresh.c.root_id == tasks.c.task_id))
        n_parts, n_done, n_not_started, completed_on, last_update = (
            func.coalesce(kept, fresh) for kept, fresh in zip(
                (TaskTally.parts, TaskTally.parts_done, TaskTally.parts_not_started, TaskTally.completed_on,
                 TaskTally.last_update),
                (afresh.c.n_parts, afresh.c.n_done, afresh.c.n_not_started, afresh.c.completed_on,
                 afresh.c.last_update)))
    else:
        parts = grouped.subquery("parts")
        joined = tasks.outerjoin(parts, parts.c.root_id == tasks.c.task_id)
        n_parts, n_done, n_not_started, completed_on, last_update = (
            parts.c.n_parts, parts.c.n_done, parts.c.n_not_started, parts.c.completed_on, parts.c.last_update)
    rolled = case(
        (and_(n_parts > 0, n_done == n_parts), Status.DONE.value),
        (or_(n_parts.is_(None), n_not_started == n_parts), Status.NOT_STARTED.value),
        else_=Status.IN_PROGRESS.value,
    )
    return (
        select(
            tasks.c.task_id, tasks.c.section_id, rolled.label("status"),
            func.coalesce(n_parts, 0).label("n_parts"), func.coalesce(n_done, 0).label("n_done"),
            completed_on.label("completed_on"), tasks.c.due_date, tasks.c.kind, tasks.c.deadline_text,
            last_update.label("last_update"),
        )
        .select_from(joined)
        .where(tasks.c.parent_id.is_(None))
        .subquery("units")
    )


def _assignment_units(plan: Plan, as_of: date | None, assignment_ids: list[int] | None = None):
    states = _assignment_states(plan, as_of, assignment_ids)
    effective = case((_is_done(states), Status.DONE.value),
                     (states.c.status == Status.DONE.value, Status.IN_PROGRESS.value),
                     else_=states.c.status)
    return (
        select(
            states.c.assignment_id, states.c.task_id, states.c.agency_id, states.c.section_id,
            effective.label("status"), states.c.completed_on, states.c.due_date, states.c.kind,
            states.c.deadline_text, states.c.last_update,
        )
        .subquery("units")
    )


def _category(unit, plan: Plan, as_of: date, category: str):
    """The condition behind one of COUNT_KEYS, so every count can list what it counts."""
    rule = _classification(unit, plan, as_of)
    conditions = {
        "total": literal(True),
        "done": rule["done"],
        "done_on_time": and_(rule["done"], ~rule["late"]),
        "done_late": rule["late"],
        "in_progress": unit.c.status == Status.IN_PROGRESS.value,
        "not_started": unit.c.status == Status.NOT_STARTED.value,
        "overdue": rule["overdue"],
        "ongoing": rule["ongoing"],
        "due_soon": rule["due_soon"],
    }
    if category not in conditions:
        raise ValueError(f"unknown category {category!r}")
    return conditions[category]


def task_categories(plan: Plan, categories: Iterable[str], as_of: date | None = None) -> Select:
    """Per top-level task that counts: task_id, its rolled-up status and, for each category in
    order, 1 when `plan_rollup(...)[category]` counts it — every `tasks_counted` in one pass."""
    units = _task_units(plan, as_of)
    return select(units.c.task_id, units.c.status,
                  *(case((_category(units, plan, as_of or today(), category), 1), else_=0) for category in categories))


def tasks_counted(plan: Plan, category: str, as_of: date | None = None,
                  due_between: tuple[date, date] | None = None) -> Select:
    """Ids, rolled-up status, deadline then (due_date, deadline_text) and last update of the
    top-level tasks behind `plan_rollup(...)[category]`."""
    units = _task_units(plan, as_of)
    query = select(units.c.task_id, units.c.status, units.c.due_date, units.c.deadline_text, units.c.last_update) \
        .where(_category(units, plan, as_of or today(), category))
    if due_between is not None:
        query = query.where(units.c.due_date.between(*due_between))
    return query


def assignments_counted(plan: Plan, category: str, as_of: date | None = None) -> Select:
    """Ids (with task, agency and section), effective status, last update and deadline then
    (due_date, deadline_text) of the assignments behind `agency_rollup(...)[category]`."""
    units = _assignment_units(plan, as_of)
    return select(units.c.assignment_id, units.c.task_id, units.c.agency_id, units.c.section_id, units.c.status,
                  units.c.last_update, units.c.due_date, units.c.deadline_text) \
        .where(_category(units, plan, as_of or today(), category))


class Situation(StrEnum):
    """Where one assignment stands: the two-by-two, with ongoing tasks apart."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN = "open"
    OVERDUE = "overdue"
    ONGOING = "ongoing"


SITUATION_LABELS = {
    Situation.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Situation.DONE_LATE: "Hoàn thành quá hạn",
    Situation.OPEN: "Trong hạn",
    Situation.OVERDUE: "Quá hạn",
    Situation.ONGOING: "Thường xuyên",
}


@dataclass(frozen=True)
class AssignmentSituation:
    situation: Situation
    deadline_passed: bool  # whatever the status: an open assignment here needs a reason for delay
    due_soon: bool


def assignment_situations(
    session: Session, plan: Plan, *, agency_id: int | None = None,
    assignment_ids: Iterable[int] | None = None, as_of: date | None = None, day: date | None = None,
) -> dict[int, AssignmentSituation]:
    """Per assignment, by the same rules as the counts (one agency's, or the given ids): the state
    as of the end of `as_of` (None: the live state, cheaper), judged on `day` (default: as_of or today).
    Given ids, those assignments even if they no longer count (a task withdrawn while its form was open)."""
    ids = tuple(sorted(assignment_ids)) if assignment_ids is not None else None  # sorted: one key per set
    day = day or as_of or today()

    def build() -> Select:
        units = _assignment_units(plan, as_of, list(ids) if ids is not None else None)
        rule = _classification(units, plan, day)
        situation = case(
            (rule["late"], Situation.DONE_LATE.value),
            (rule["done"], Situation.DONE_ON_TIME.value),
            (rule["ongoing"], Situation.ONGOING.value),
            (rule["overdue"], Situation.OVERDUE.value),
            else_=Situation.OPEN.value,
        )
        query = select(units.c.assignment_id, situation.label("situation"),
                       case((_deadline_passed(units, plan, day), True), else_=False).label("passed"),
                       case((rule["due_soon"], True), else_=False).label("due_soon"))
        return query if agency_id is None else query.where(units.c.agency_id == agency_id)

    query = _built("assignment_situations", plan, as_of, day, agency_id, ids, build=build)
    return {
        row.assignment_id: AssignmentSituation(Situation(row.situation), bool(row.passed), bool(row.due_soon))
        for row in session.execute(query)
    }


@dataclass(frozen=True)
class TaskProgress:
    status: Status  # rolled up from every part by the sub-item rule
    parts: int
    parts_done: int


def task_progress(session: Session, plan: Plan, task_ids: Iterable[int]) -> dict[int, TaskProgress]:
    """The rolled-up status of top-level tasks, e.g. a group task: 3 of 15 member agencies done.
    Only those tasks' parts are read (an agency's grid labels ~100 rows of a 100 000-part plan)."""
    wanted = tuple(sorted(task_ids))  # sorted: the same tasks, however given, reuse one statement
    tallied = store_applies(session)

    def build() -> Select:
        # Beyond a screenful, the whole plan in one pass beats a huge IN list (SQLite caps parameters).
        units = _task_units(plan, None, list(wanted) if len(wanted) <= SCOPED_PROGRESS_LIMIT else None,
                            tallied=tallied)
        return select(units.c.task_id, units.c.status, units.c.n_parts, units.c.n_done) \
            .where(units.c.task_id.in_(wanted))

    rows = session.execute(_built("task_progress", plan, None, wanted, tallied, build=build))
    return {r.task_id: TaskProgress(Status(r.status), int(r.n_parts), int(r.n_done)) for r in rows}


def _row_counts(row) -> Counts:
    return Counts(**{k: int(getattr(row, k) or 0) for k in COUNT_KEYS})


def plan_rollup(session: Session, plan: Plan, as_of: date | None = None,
                due_between: tuple[date, date] | None = None) -> Counts:
    """Counts of the plan's top-level tasks, now (as_of None) or at the end of `as_of`; with
    `due_between`, only the tasks due in that window (a quarter's own view). Stored (services.reporting.stored)."""
    kind = "plan" if due_between is None else f"plan:{due_between[0]}:{due_between[1]}"
    return stored(session, plan.id, as_of, today(), TASKS, kind,
                  lambda: _plan_rollup(session, plan, as_of, due_between), COUNTS_CODEC)


def _plan_rollup(session: Session, plan: Plan, as_of: date | None, due_between: tuple[date, date] | None) -> Counts:
    tallied = store_applies(session)

    def build() -> Select:
        units = _task_units(plan, as_of, tallied=tallied)
        query = _classified_counts(units, [], plan, as_of or today()).select_from(units)
        return query if due_between is None else query.where(units.c.due_date.between(*due_between))

    return _row_counts(session.execute(_built("plan_rollup", plan, as_of, due_between, tallied, build=build)).one())


def section_rollup(session: Session, plan: Plan, as_of: date | None = None) -> list[GroupCounts]:
    return stored(session, plan.id, as_of, today(), TASKS, "section", lambda: _section_rollup(session, plan, as_of),
                  GROUPS_CODEC)


def _section_rollup(session: Session, plan: Plan, as_of: date | None) -> list[GroupCounts]:
    tallied = store_applies(session)

    def build() -> Select:
        units = _task_units(plan, as_of, tallied=tallied)
        counts = _classified_counts(units, [units.c.section_id], plan, as_of or today()) \
            .select_from(units).group_by(units.c.section_id).subquery("counts")
        return (select(Section.id, Section.code, Section.title, counts)
                .join(counts, counts.c.section_id == Section.id).order_by(Section.position))

    rows = session.execute(_built("section_rollup", plan, as_of, tallied, build=build)).all()
    return [GroupCounts(r.id, f"{r.code}. {r.title}" if r.code else r.title, _row_counts(r), r.last_update)
            for r in rows]


def agency_rollup(session: Session, plan: Plan, as_of: date | None = None,
                  agency_id: int | None = None) -> list[GroupCounts]:
    """Counts of each agency's own assignments (a group task counts once per member)."""
    return stored(session, plan.id, as_of, today(), TASKS, f"agency:{agency_id or ''}",
                  lambda: _agency_rollup(session, plan, as_of, agency_id), GROUPS_CODEC)


def _agency_rollup(session: Session, plan: Plan, as_of: date | None, agency_id: int | None) -> list[GroupCounts]:
    def build() -> Select:
        units = _assignment_units(plan, as_of)
        counts = _classified_counts(units, [units.c.agency_id], plan, as_of or today()).select_from(units)
        if agency_id is not None:
            counts = counts.where(units.c.agency_id == agency_id)
        counts = counts.group_by(units.c.agency_id).subquery("counts")
        return select(Agency.id, Agency.name, counts).join(counts, counts.c.agency_id == Agency.id) \
            .order_by(Agency.name)

    rows = session.execute(_built("agency_rollup", plan, as_of, agency_id, build=build)).all()
    return [GroupCounts(r.id, r.name, _row_counts(r), r.last_update) for r in rows]


def rollup(session: Session, plan: Plan, by: str = "plan", as_of: date | None = None):
    if by == "plan":
        return plan_rollup(session, plan, as_of)
    if by == "section":
        return section_rollup(session, plan, as_of)
    if by == "agency":
        return agency_rollup(session, plan, as_of)
    raise ValueError(f"unknown grouping {by!r}; expected one of {GROUPINGS}")


def awaiting_review(status, review_state):
    """SQL: a completion reported and not yet judged (the secretariat's queue): never reviewed, its
    confirmation undone by a later change of what was confirmed, or reported again after a return."""
    return and_(status == Status.DONE.value, review_state.in_(AWAITING_REVIEW))


@dataclass(frozen=True)
class ReviewCounts:
    """Top-level tasks (the units of `plan_rollup`) by the secretariat's review: as the agencies
    reported them and as confirmed. Not a partition: a task returned and reported again is both
    returned and pending."""

    total: int = 0
    reported: int = 0  # every part reported done, whatever the review
    confirmed: int = 0  # every part done and confirmed
    returned: int = 0  # at least one part returned, reported again or not (not done until confirmed)
    pending: int = 0  # at least one part done and awaiting review

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def review_counts(session: Session, plan: Plan, as_of: date | None = None) -> ReviewCounts:
    """The plan's top-level tasks by review, now (as_of None) or at the end of `as_of`: the state
    rows carry each review from the report it judges (services.tasks.history.apply_review)."""
    return stored(session, plan.id, as_of, today(), TASKS, "review", lambda: _review_counts(session, plan, as_of),
                  Codec(lambda counts: json.dumps(counts.as_dict()), lambda text: ReviewCounts(**json.loads(text))))


def _review_counts(session: Session, plan: Plan, as_of: date | None) -> ReviewCounts:
    states = _assignment_states(plan, as_of)
    done = states.c.status == Status.DONE.value

    def parts_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    parts = (
        select(
            states.c.root_id,
            func.count(states.c.assignment_id).label("n_parts"),
            parts_where(done).label("n_reported"),
            parts_where(and_(done, states.c.review_state == "confirmed")).label("n_confirmed"),
            parts_where(states.c.review_state.in_(NOT_DONE_REVIEWS)).label("n_returned"),
            parts_where(awaiting_review(states.c.status, states.c.review_state)).label("n_pending"),
        )
        .group_by(states.c.root_id)
        .subquery("review_parts")
    )
    tasks = tasks_in_force(plan, as_of)

    def tasks_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    every = parts.c.n_parts > 0
    row = session.execute(
        select(
            func.count(tasks.c.task_id).label("total"),
            tasks_where(and_(every, parts.c.n_reported == parts.c.n_parts)).label("reported"),
            tasks_where(and_(every, parts.c.n_confirmed == parts.c.n_parts)).label("confirmed"),
            tasks_where(parts.c.n_returned > 0).label("returned"),
            tasks_where(parts.c.n_pending > 0).label("pending"),
        )
        .select_from(tasks.outerjoin(parts, parts.c.root_id == tasks.c.task_id))
        .where(tasks.c.parent_id.is_(None))
    ).one()
    return ReviewCounts(**{key: int(value or 0) for key, value in row._mapping.items()})
