"""What the secretariat and leaders look at: the plan as of a period, by section and agency, the
overdue board and reporting compliance. Counts come from services.reporting.rollup (SQL aggregates); this
module chooses dates, words and the rows behind each number.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from models import Agency, AgencyPeriodEntry, AnnexRow, AnnexTable, Assignment, Plan, ReportSubmission, Section, Task
from models.figures import TASKS
from services.common import clock
from services.common.queries import vn_date
from services.plans.statuses import STATUS_LABELS, Status
from services.reporting.periods import (
    CADENCES,
    ISO_WEEKS,
    Period,
    WeekScheme,
    parse_period,
    periods_of_year,
    week_scheme,
)
from services.reporting.stored import Codec, stored
from services.reporting.rollup import (
    NOT_DONE_REVIEWS,
    Counts,
    agency_rollup,
    assignment_in_force,
    assignments_counted,
    plan_rollup,
    section_rollup,
    task_in_force,
    tasks_counted,
)

CATEGORY_LABELS = {
    "total": "Tổng số nhiệm vụ",
    "done": "Đã hoàn thành",
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "in_progress": "Đang thực hiện",
    "not_started": "Chưa thực hiện",
    "overdue": "Quá hạn",
    "ongoing": "Thực hiện thường xuyên",
    "due_soon": "Sắp đến hạn",
}
# Overdue age bands, oldest first: (more than N days, label).
OVERDUE_BANDS = [(120, "Quá hạn trên 120 ngày"), (90, "Quá hạn 91–120 ngày"), (30, "Quá hạn 31–90 ngày"),
                 (0, "Quá hạn đến 30 ngày")]
BOARD_LIMIT = 500  # 20 pages of the grid; the band counts and totals are never capped


def overdue_band(days: int) -> str:
    return next(label for limit, label in OVERDUE_BANDS if days > limit)


def periods_of(plan: Plan, kind: str, today: date) -> list[Period]:
    """The plan year's periods of one kind that have begun, newest first (weeks as the plan numbers them)."""
    return periods_of_year(plan.year, (kind,), today, week_scheme(plan))


def as_of_for(day: date, today: date) -> date | None:
    """None (the live state) for today or later, else that past day."""
    return None if day >= today else day


@dataclass(frozen=True)
class Selection:
    """What the period selector chose: a period's end or a date, and what to compare it with."""

    label: str
    day: date
    previous_label: str
    previous_day: date


def selection_for(key: str, weeks: WeekScheme = ISO_WEEKS) -> Selection:
    """A period key ("2025-W05", "2026-Q2", "2026-06", "2026-H1", "2026") or a date ("2026-05-15"),
    a week's days as `weeks` (the plan's) says. A date is compared with the end of the month before
    it. InvalidPeriod otherwise."""
    try:
        day = date.fromisoformat(key.strip()) if len(key.strip()) == 10 else None
    except ValueError:
        day = None
    if day is not None:
        previous = Period("month", day.year, day.month).previous()
        return Selection(f"ngày {vn_date(day)}", day, f"cuối {previous.label}", previous.end)
    period = parse_period(key, weeks)
    return Selection(period.label, period.end, period.previous().label, period.previous().end)


def completion_series(session: Session, plan: Plan, until: date, today: date) -> list[dict]:
    """Done and overdue at each month end of the plan year up to `until`, from the history."""
    points = []
    for month in range(1, until.month + 1 if until.year == plan.year else 13):
        day = min(Period("month", plan.year, month).end, until)
        counts = plan_rollup(session, plan, as_of_for(day, today))
        points.append({"label": f"{month:02d}/{plan.year}", "done": counts.done, "overdue": counts.overdue,
                       "in_progress": counts.in_progress, "total": counts.total})
    return points


def on_time_rate(counts: Counts) -> float | None:
    """Of the parts that are done or overdue, the share done on time (None when there are none)."""
    due = counts.done + counts.overdue
    return round(100 * counts.done_on_time / due, 1) if due else None


def agency_table(session: Session, plan: Plan, as_of: date | None) -> list[dict]:
    return [
        {"id": group.key, "row_id": str(group.key), "name": group.name, **group.counts.as_dict(),
         "on_time_rate": on_time_rate(group.counts), "last_update": vn_date(group.last_update)}
        for group in agency_rollup(session, plan, as_of)
    ]


def section_table(session: Session, plan: Plan, as_of: date | None) -> list[dict]:
    return [
        {"id": group.key, "row_id": str(group.key), "name": group.name, **group.counts.as_dict(),
         "on_time_rate": on_time_rate(group.counts)}
        for group in section_rollup(session, plan, as_of)
    ]


# Which top-level tasks a lookup is about: a query of their ids (no bound parameter per id, however
# many), a short list of ids, or None for every task of the plan.
Roots = Select | list[int] | None
SHORT_LIST = 1000


def roots_of(task_ids: list[int], otherwise: Roots = None) -> Roots:
    """`task_ids` as Roots: the list when short, else `otherwise` (a query naming them, or the whole
    plan): a list that long would bind more parameters than a database takes."""
    return task_ids if len(task_ids) <= SHORT_LIST else otherwise


def days_late(due: date | None, done: bool, day: date) -> int | None:
    """How many days past its deadline a task not done is on `day` (None when not late)."""
    return (day - due).days if due is not None and not done and due < day else None


def results_by_task(session: Session, plan: Plan, day: date, roots: Roots = None,
                    agency_id: int | None = None) -> dict[int, str]:
    """Kết quả/Lý do per top-level task: the result if done, else the reason; per agency for shared
    tasks; only the parts that count on `day` (not withdrawn, lead not replaced). Optionally only
    the top-level tasks `roots` and the parts of `agency_id`."""
    query = (select(Task.root_id, Agency.name, Assignment.status, Assignment.review_state, Assignment.result,
                    Assignment.delay_reason)
             .join(Task, Task.id == Assignment.task_id).join(Agency, Agency.id == Assignment.agency_id)
             .where(Task.plan_id == plan.id, task_in_force(day), assignment_in_force(day))
             .order_by(Task.position, Agency.name))
    if roots is not None:
        query = query.where(Task.root_id.in_(roots))
    if agency_id is not None:
        query = query.where(Assignment.agency_id == agency_id)
    parts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for task_id, agency, status, review_state, result, reason in session.execute(query):
        # A completion the secretariat returned is not done (rollup's rule): its reason, or the
        # evidence marked as returned when the agency gave no reason.
        if status != Status.DONE.value:
            text = reason
        elif review_state in NOT_DONE_REVIEWS:
            text = reason or (f"{result} (Tổ giúp việc trả lại)" if result else "")
        else:
            text = result
        if text:
            parts[task_id].append((agency, text))
    return {task_id: "\n".join(f"{agency}: {text}" if len(items) > 1 else text for agency, text in items)
            for task_id, items in parts.items()}


def parts_to_open(session: Session, plan: Plan, roots: Roots, day: date,
                  agency_id: int | None = None) -> dict[int, int]:
    """For each top-level task (of `roots`, or all), the part (assignment) a click on it opens: the
    agency's own when one is named, else the first part not done (in the plan's order, then by
    agency name), else the first part."""
    query = (select(Task.root_id, Assignment.id)
             .join(Task, Task.id == Assignment.task_id).join(Agency, Agency.id == Assignment.agency_id)
             .where(Task.plan_id == plan.id, task_in_force(day), assignment_in_force(day))
             .order_by(case((Assignment.status == Status.DONE.value, 1), else_=0), Task.position, Agency.name))
    if roots is not None:
        query = query.where(Task.root_id.in_(roots))
    if agency_id is not None:
        query = query.where(Assignment.agency_id == agency_id)
    chosen: dict[int, int] = {}
    for root_id, assignment_id in session.execute(query):
        chosen.setdefault(root_id, assignment_id)
    return chosen


def part_agency(session: Session, plan: Plan, assignment_id: int) -> int | None:
    """The agency of a part of `plan` (None for an id of no part of it: another plan's or province's)."""
    return session.scalar(select(Assignment.agency_id).join(Task, Task.id == Assignment.task_id)
                          .where(Assignment.id == assignment_id, Task.plan_id == plan.id))


def drill_row_id(task_id: int, assignment_id: int | None) -> str:
    """A click-through row's id: the task, and the part a click on it opens ("12-345")."""
    return f"{task_id}-{assignment_id}" if assignment_id else str(task_id)


def tasks_behind(session: Session, plan: Plan, category: str, as_of: date | None,
                 due_between: tuple[date, date] | None = None, section_id: int | None = None,
                 agency_id: int | None = None) -> list[dict]:
    """What a number counts, for the click-through list: the top-level tasks of a plan or section
    count, or, for an agency's count, the tasks of its parts (with its part's status); each with
    its days late, last update and reason (today's: the change log keeps earlier ones), and the part
    a click on it opens (`drill_row_id`)."""
    day = as_of or clock.today()
    if agency_id is None:
        counted = tasks_counted(plan, category, as_of, due_between).subquery("counted")
        query = select(Task, counted.c.status, counted.c.deadline_text, counted.c.due_date, counted.c.last_update,
                       Section.code).join(counted, counted.c.task_id == Task.id)
    else:
        counted = assignments_counted(plan, category, as_of).subquery("counted")
        query = (select(Task, counted.c.status, counted.c.deadline_text, counted.c.due_date, counted.c.last_update,
                        Section.code)
                 .join(Assignment, Assignment.task_id == Task.id)
                 .join(counted, counted.c.assignment_id == Assignment.id)
                 .where(Assignment.agency_id == agency_id))
    if section_id is not None:
        query = query.where(Task.section_id == section_id)
    rows = session.execute(query.outerjoin(Section, Section.id == Task.section_id).order_by(Task.position)).all()
    roots = roots_of(list({task.root_id for task, *_ in rows}), query.with_only_columns(Task.root_id).correlate(None))
    results = results_by_task(session, plan, day, roots, agency_id) if rows else {}
    opened = parts_to_open(session, plan, roots, day, agency_id) if rows else {}
    return [
        {"id": task.id, "row_id": drill_row_id(task.id, opened.get(task.root_id or task.id)), "stt": task.stt,
         "section": code or "", "title": task.title, "lead": task.lead_text, "deadline_text": deadline_text,
         "due_date": vn_date(due_date), "status": STATUS_LABELS[Status(status)],
         "days_late": days_late(due_date, status == Status.DONE.value, day), "last_update": vn_date(last_update),
         "reason": results.get(task.root_id or task.id, "")}
        for task, status, deadline_text, due_date, last_update, code in rows
    ]


@dataclass(frozen=True)
class Board:
    rows: list[dict]
    total: int  # may exceed len(rows): the list is capped, the counts are not
    bands: dict[str, int]  # every band's count, whichever band the rows are filtered to
    every_band: int = 0  # the total whichever band is chosen (a quarterly report missing is overdue in no band)


BOARD_CODEC = Codec(lambda board: json.dumps([board.rows, board.total, board.bands, board.every_band],
                                             ensure_ascii=False),
                    lambda text: Board(*json.loads(text)))


def overdue_board(session: Session, plan: Plan, day: date, today: date, category: str = "overdue",
                  section_id: int | None = None, agency_id: int | None = None, band: int | None = None) -> Board:
    """Every assignment overdue (or due soon) at the end of `day`, oldest first, with who, how
    late and why, by the deadline in force that day; `band` (an index of OVERDUE_BANDS) keeps one
    age band's rows and total. The reasons are today's (the change log keeps earlier ones), so they
    are read afresh; the rest is stored (services.reporting.stored)."""
    band = band if category == "overdue" and band is not None and 0 <= band < len(OVERDUE_BANDS) else None
    board = stored(session, plan.id, as_of_for(day, today), today, TASKS,
                   f"board:{category}:{section_id or ''}:{agency_id or ''}:{day if day >= today else ''}"
                   f":{'' if band is None else band}",
                   lambda: _overdue_board(session, plan, day, today, category, section_id, agency_id, band),
                   BOARD_CODEC)
    reasons = dict(session.execute(select(Assignment.id, Assignment.delay_reason)
                                   .where(Assignment.id.in_([int(row["row_id"]) for row in board.rows]))).all())
    for row in board.rows:
        row["delay_reason"] = reasons.get(int(row["row_id"]), "")
    return board


def _overdue_board(session: Session, plan: Plan, day: date, today: date, category: str,
                   section_id: int | None, agency_id: int | None, band: int | None) -> Board:
    counted = assignments_counted(plan, category, as_of_for(day, today)).subquery("counted")
    # Straight from the counted parts (they carry task, agency and section): no join back to the
    # assignments, and the totals need no join at all (checked against both databases' query plans).
    query = (
        select(counted.c.assignment_id.label("id"), counted.c.agency_id, Task.stt, Task.title,
               counted.c.deadline_text, counted.c.due_date, Agency.name.label("agency"), counted.c.status,
               counted.c.last_update)
        .join(Task, Task.id == counted.c.task_id)
        .join(Agency, Agency.id == counted.c.agency_id)
    )
    count_query = select(func.count(), *(
        func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
        for condition in _band_conditions(counted.c.due_date, day)
    )).select_from(counted)
    filters = []
    if section_id is not None:
        filters.append(counted.c.section_id == section_id)
    if agency_id is not None:
        filters.append(counted.c.agency_id == agency_id)
    if filters:
        query, count_query = query.where(and_(*filters)), count_query.where(and_(*filters))
    if band is not None:
        query = query.where(_band_conditions(counted.c.due_date, day)[band])
    # Oldest deadline first: the longest overdue, or the soonest due.
    rows = session.execute(query.order_by(counted.c.due_date, Task.position, Agency.name).limit(BOARD_LIMIT)).all()
    every_band, *band_counts = session.execute(count_query).one()
    total = every_band if band is None else band_counts[band]
    result = []
    for row in rows:
        days = (day - row.due_date).days if row.due_date else 0
        result.append({
            "row_id": str(row.id), "agency_id": row.agency_id, "stt": row.stt,
            "title": row.title, "agency": row.agency, "deadline_text": row.deadline_text,
            "due_date": vn_date(row.due_date), "days": days if category == "overdue" else -days,
            "band": overdue_band(days) if category == "overdue" and days > 0 else "",
            "status": STATUS_LABELS[Status(row.status)], "last_update": vn_date(row.last_update),
            "delay_reason": "",  # today's, filled in by overdue_board
        })
    bands = dict(zip([label for _, label in OVERDUE_BANDS], map(int, band_counts))) if category == "overdue" else {}
    return Board(result, int(total), bands, int(every_band))


def _band_conditions(due_date, day: date) -> list:
    """SQL conditions for OVERDUE_BANDS on a due date column, in the same order."""
    conditions, newer_than = [], None
    for limit, _ in OVERDUE_BANDS:
        cutoff = date.fromordinal(day.toordinal() - limit)
        condition = due_date < cutoff
        conditions.append(condition if newer_than is None else and_(condition, due_date >= newer_than))
        newer_than = cutoff
    return conditions


@dataclass(frozen=True)
class Compliance:
    periods: list[Period]
    rows: list[dict]  # name, one cell per period key ("on_time" | "late" | "missing" | "open" | "not_owed"), rate


COMPLIANCE_LABELS = {"on_time": "Đúng hạn", "late": "Nộp muộn", "missing": "Chưa nộp", "open": "Chưa đến hạn",
                     "not_owed": "Không phải nộp"}


COMPLIANCE_CODEC = Codec(
    lambda table: json.dumps([[[p.kind, p.year, p.number, p.weeks.start, p.weeks.numbering] for p in table.periods],
                              table.rows], ensure_ascii=False),
    lambda text: (lambda periods, rows: Compliance([Period(*p[:3], WeekScheme(*p[3:])) for p in periods], rows))(
        *json.loads(text)))


def compliance(session: Session, plan: Plan, today: date) -> Compliance:
    """For each reporting period so far and each agency that owed or made its report: on time, late
    or not at all. An agency owes a period's report when, on the report's deadline day, it leads an
    assignment in force then (rollup's rules): a task withdrawn or a lead ended before the deadline
    owes nothing from that period on, and a lead that starts after it owes from the next period.
    Today's, kept until the plan changes (services.reporting.stored)."""
    return stored(session, plan.id, None, today, TASKS, "compliance", lambda: _compliance(session, plan, today),
                  COMPLIANCE_CODEC)


def _compliance(session: Session, plan: Plan, today: date) -> Compliance:
    periods = list(reversed(periods_of(plan, CADENCES[plan.reporting_cadence], today)))
    deadlines = [period.deadline(plan.report_deadline_day) for period in periods]
    if plan.reporting_cadence == "weekly":
        owing, submitted = _weekly_entries(session, plan, periods, deadlines)
    else:
        owing, submitted = _task_reports(session, plan, deadlines)
    rows = []
    for agency_id, name, *owed in owing:
        cells = {}
        for period, deadline, owes in zip(periods, deadlines, owed):
            late = submitted.get((agency_id, period.key))
            if late is not None:
                cells[period.key] = "late" if late else "on_time"
            elif not owes:
                cells[period.key] = "not_owed"
            else:
                cells[period.key] = "missing" if deadline < today else "open"
        if set(cells.values()) <= {"not_owed"}:
            continue  # nothing owed, nothing sent: not one of this table's agencies
        due = [cell for cell in cells.values() if cell in ("on_time", "late", "missing")]
        rows.append({"id": agency_id, "row_id": str(agency_id), "name": name,
                     **{key: COMPLIANCE_LABELS[cell] for key, cell in cells.items()},
                     "on_time_rate": round(100 * due.count("on_time") / len(due), 1) if due else None})
    return Compliance(periods, rows)


def _task_reports(session: Session, plan: Plan, deadlines: list[date]) -> tuple[list, dict]:
    """Who owed each report (an assignment in force on its deadline day) and who sent it, late or not."""
    # The plan's assignments shrink to each agency's distinct in-force intervals (a few per agency),
    # and rollup's in-force rules, moved onto those, say per agency whether it owed each report.
    spans = (select(Assignment.agency_id, Task.added_on, Task.withdrawn_on, Assignment.ended_on)
             .join(Task, Task.id == Assignment.task_id).where(Task.plan_id == plan.id)
             .group_by(Assignment.agency_id, Task.added_on, Task.withdrawn_on, Assignment.ended_on)
             .subquery("spans"))
    on_spans = ClauseAdapter(spans).traverse
    owing = session.execute(
        select(Agency.id, Agency.name, *(
            func.max(case((on_spans(and_(task_in_force(deadline), assignment_in_force(deadline))), 1), else_=0))
            for deadline in deadlines))
        .join(spans, spans.c.agency_id == Agency.id).group_by(Agency.id, Agency.name).order_by(Agency.name)
    ).all()
    submitted = {
        (agency_id, period): late
        for agency_id, period, late in session.execute(
            select(ReportSubmission.agency_id, ReportSubmission.period, ReportSubmission.is_late)
            .where(ReportSubmission.plan_id == plan.id))
    }
    return owing, submitted


def _weekly_entries(session: Session, plan: Plan, periods: list[Period], deadlines: list[date]) -> tuple[list, dict]:
    """A weekly plan: every agency with indicators to enter owes each week; its entry ("Đã nhập")
    is late when made after the week's last day."""
    entering = (select(AnnexRow.agency_id).join(AnnexTable, AnnexTable.id == AnnexRow.table_id)
                .where(AnnexTable.plan_id == plan.id, AnnexRow.enters.is_(True)))
    owing = [(agency_id, name, *(1 for _ in periods)) for agency_id, name in session.execute(
        select(Agency.id, Agency.name).where(Agency.id.in_(entering)).order_by(Agency.name))]
    deadline_of = {period.key: deadline for period, deadline in zip(periods, deadlines)}
    submitted = {(agency_id, key): entered_at.date() > deadline_of[key]
                 for agency_id, key, entered_at in session.execute(
                     select(AgencyPeriodEntry.agency_id, AgencyPeriodEntry.period, AgencyPeriodEntry.entered_at)
                     .where(AgencyPeriodEntry.plan_id == plan.id, AgencyPeriodEntry.period.in_(list(deadline_of))))}
    return owing, submitted
