"""What a period's report says, worked out once from the rollups and then only rendered: the Word
report (services.publication.word_report), the Excel workbook (services.publication.workbook) and, for a
closed period, the overview. Closing a period stores it as JSON (`to_json` / `from_json`), so what
was published is exactly what is shown and downloaded again, whatever changes later.

A period still running is reported as of today, never as of its future end: `day` is the last day
the figures cover and `period_ended` says whether that is the period's end.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Province, Section, Task
from services.common.clock import now
from services.common.queries import change_phrase, vn_date
from services.indicators.achievement import BAND_LABELS, Band, display_value
from services.indicators.standings import band_counts, standings, tally
from services.plans.statuses import STATUS_LABELS, Status
from services.publication.causes import group_reasons
from services.publication.published import open_close
from services.reporting.dashboard import (
    CATEGORY_LABELS,
    agency_table,
    as_of_for,
    overdue_board,
    results_by_task,
    section_table,
    selection_for,
)
from services.reporting.periods import (
    InvalidPeriod,
    Period,
    WeekScheme,
    parse_period,
    period_containing,
    week_scheme,
)
from services.reporting.rollup import (
    Counts,
    assignments_counted,
    plan_rollup,
    task_categories,
    tasks_in_force,
)


@dataclass(frozen=True)
class TaskLine:
    """One task of the appendix (a sub-item too) as it stood on the report's day."""

    task_id: int
    parent_id: int | None  # None for a top-level task
    stt: str
    section: str  # the section's code ("III")
    title: str
    lead: str  # as printed
    deadline_text: str  # the deadline in force that day
    due_date: str  # dd/mm/yyyy, "" when none
    status: str  # the rolled-up status, in the reports' words ("Đã hoàn thành")
    result: str  # Kết quả/Lý do: the result if done, else the reason given, per agency for shared tasks
    # The overview's categories (services.reporting.dashboard.CATEGORY_LABELS keys) this top-level
    # task is counted in that day, so a published number still lists its tasks; () for a sub-item.
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class OverdueLine:
    """One overdue part (an agency's assignment) that day, oldest deadline first."""

    stt: str
    title: str
    agency: str
    deadline_text: str
    due_date: str
    days: int
    band: str  # "Quá hạn 31–90 ngày"
    delay_reason: str
    last_update: str = ""  # dd/mm/yyyy hh:mm of the part's latest update by then, "" when none


@dataclass(frozen=True)
class TargetLine:
    """One target of Phụ lục 01 that day."""

    indicator_id: int
    section: str  # "I. Hạ tầng và nền tảng số", "" when none
    stt: str
    name: str
    unit: str
    target_text: str
    value_text: str  # as displayed ("(95)" for an estimate), "" when no value
    achievement: str  # "96%", "Đạt", or the band label when there is no figure
    band: str  # services.indicators.achievement.Band value


@dataclass(frozen=True)
class Cause:
    """A cause of delay and the reasons agencies gave for it ("Sở Y tế (nhiệm vụ 12): ...")."""

    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReportContent:
    plan_id: int
    plan_title: str
    province: str  # "Lào Cai"
    period_key: str  # "2026-Q4", or a day "2026-11-15"
    period_label: str  # "Quý IV/2026", or "ngày 15/11/2026"
    day: date  # the figures are as of the end of this day (today at the latest)
    period_ended: bool  # False: a period still running, reported as of `day`
    previous_label: str
    previous_day: date
    previous_published_on: date | None  # the previous period is closed: its published figures are used
    counts: Counts
    previous_counts: Counts
    quarter_label: str  # the quarter containing `day`: the tasks due in it
    quarter_counts: Counts
    bands: dict[str, int]  # Band value → targets in it
    previous_bands: dict[str, int]
    tasks: tuple[TaskLine, ...]  # every task that counts that day, sub-items too, in the plan's order
    sections: tuple[dict, ...]  # services.reporting.dashboard.section_table rows
    agencies: tuple[dict, ...]  # services.reporting.dashboard.agency_table rows
    overdue: tuple[OverdueLine, ...]  # capped like the overdue board; overdue_total is not
    overdue_total: int
    causes: tuple[Cause, ...]
    next_label: str  # the period after this one ("Quý I/2027")
    next_tasks: tuple[TaskLine, ...]  # top-level tasks due in it and not done that day
    targets: tuple[TargetLine, ...]
    generated_at: datetime
    # Set when the period is closed (services.publication.report), never stored with the snapshot:
    # the mark "Số liệu đã chốt ngày ... (người chốt: ...)." and how the figures counted again from
    # today's history differ from the published ones (services.publication.closing.live_difference).
    published: str = ""
    corrections: tuple[str, ...] = ()

    @property
    def as_of_phrase(self) -> str:
        """"Quý IV/2026 (số liệu đến ngày 25/11/2026)" for a running period, "Quý III/2026" once ended."""
        if self.period_ended:
            return self.period_label
        return f"{self.period_label} (số liệu đến ngày {vn_date(self.day)})"

    @property
    def compared_with(self) -> str:
        """The previous period as the change phrases name it, marked when its figures are the published ones."""
        return f"{self.previous_label} (số liệu đã chốt)" if self.previous_published_on else self.previous_label

    @property
    def corrections_note(self) -> str:
        """The sentence under a closed period's mark when a later back-dated change altered its figures."""
        if not self.corrections:
            return ""
        return "Số liệu tính lại theo lịch sử hiện nay khác số đã chốt: " + "; ".join(self.corrections) + "."

    def change(self, key: str) -> str:
        """"tăng 3 nhiệm vụ so với Quý III/2026 (số liệu đã chốt)"."""
        return change_phrase(getattr(self.counts, key) - getattr(self.previous_counts, key), "nhiệm vụ",
                             self.compared_with)

    def appendix_tasks(self) -> Iterator[tuple[tuple[str, str] | None, TaskLine]]:
        """Phụ lục 02 as printed: each task, with its section's (code, title) before the first of the section."""
        titles = dict(section_parts(row["name"]) for row in self.sections)
        return _by_section(self.tasks, lambda line: (line.section, titles.get(line.section, "")))

    def appendix_targets(self) -> Iterator[tuple[tuple[str, str] | None, TargetLine]]:
        """Phụ lục 01 as printed: each target, with its section's (code, title) before the first of the section."""
        return _by_section(self.targets, lambda line: section_parts(line.section))

    def tasks_in(self, category: str) -> list[TaskLine]:
        """The top-level tasks a published number counts."""
        return [line for line in self.tasks if line.parent_id is None and category in line.categories]


def _by_section(lines, heading) -> Iterator[tuple[tuple[str, str] | None, TaskLine | TargetLine]]:
    section = None
    for line in lines:
        yield (heading(line) if line.section and line.section != section else None), line
        section = line.section


_NESTED = {"tasks": TaskLine, "next_tasks": TaskLine, "overdue": OverdueLine, "targets": TargetLine,
           "causes": Cause}
_COUNTS = ("counts", "previous_counts", "quarter_counts")
_DATES = ("day", "previous_day", "previous_published_on")
_MARKS = ("published", "corrections")  # said of a stored content when it is shown, never stored with it


def to_json(content: ReportContent) -> str:
    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(f"not JSON: {type(value).__name__}")

    stored = {name: value for name, value in asdict(content).items() if name not in _MARKS}
    return json.dumps(stored, ensure_ascii=False, default=default, separators=(",", ":"))


def from_json(text: str) -> ReportContent:
    """The content stored by to_json; a field added since (with a default) takes its default."""
    raw = json.loads(text)
    values = {}
    for field in fields(ReportContent):
        if field.name not in raw and field.default is not MISSING:
            continue
        value = raw[field.name]
        if field.name in _NESTED:
            kind = _NESTED[field.name]
            value = tuple(kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in item.items()})
                          for item in value)
        elif field.name in _COUNTS:
            value = Counts(**value)
        elif field.name in _DATES:
            value = date.fromisoformat(value) if value else None
        elif field.name == "generated_at":
            value = datetime.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[field.name] = value
    return ReportContent(**values)


DONE_LABEL = STATUS_LABELS[Status.DONE]
_SECTION = re.compile(r"^([IVXLCDM]+|\d+(?:\.\d+)*)\. (.*)$", re.S)


def section_parts(name: str) -> tuple[str, str]:
    """("III", "Hạ tầng số") from a section as the rows print it, "III. Hạ tầng số"; ("", name) when
    it carries no numbering."""
    match = _SECTION.match(name)
    return (match[1], match[2]) if match else ("", name)


def gather(session: Session, plan: Plan, period_key: str, today: date, *, lists: bool = True) -> ReportContent:
    """What the report on a period (or a day) says, counted live from the history: as of the
    period's end, or today for a period still running. The previous period's figures are its
    published ones when it is closed. InvalidPeriod for a key that names neither.

    `lists=False` leaves the per-task and per-target lists empty (tasks, overdue, causes, next
    tasks, targets): the overview of an open period shows the figures and reads its lists live,
    and at 100 000 assignments the lists are most of the cost."""
    weeks = week_scheme(plan)
    selection = selection_for(period_key, weeks)
    day = min(selection.day, today)
    as_of = as_of_for(day, today)
    previous, following = _neighbours(period_key, selection.day, weeks)

    close = open_close(session, plan.id, previous.key)
    if close is not None:
        published = from_json(close.content)
        previous_day, previous_counts, previous_bands = published.day, published.counts, published.bands
        previous_published_on = close.closed_at.date()
    else:
        previous_day = min(selection.previous_day, today)
        previous_counts = plan_rollup(session, plan, as_of_for(previous_day, today))
        previous_bands = {band.value: n for band, n in band_counts(session, plan, previous_day).items()}
        previous_published_on = None

    quarter = period_containing(day, "quarter")
    if lists:
        targets = _targets(session, plan, day)
        bands = tally(Band(line.band) for line in targets)
        tasks, due_dates = _tasks(session, plan, day, as_of)
        board = overdue_board(session, plan, day, today)
    else:
        targets, bands, tasks, due_dates, board = (), band_counts(session, plan, day), (), {}, None
    province = session.get(Province, plan.province_id)
    return ReportContent(
        plan_id=plan.id, plan_title=plan.title, province=province.name if province else "",
        period_key=period_key.strip(), period_label=selection.label, day=day, period_ended=selection.day <= today,
        previous_label=selection.previous_label, previous_day=previous_day,
        previous_published_on=previous_published_on,
        counts=plan_rollup(session, plan, as_of), previous_counts=previous_counts,
        quarter_label=quarter.label,
        quarter_counts=plan_rollup(session, plan, as_of, due_between=(quarter.start, quarter.end)),
        bands={band.value: n for band, n in bands.items()},
        previous_bands=dict(previous_bands),
        tasks=tasks,
        sections=tuple(section_table(session, plan, as_of)),
        agencies=tuple(agency_table(session, plan, as_of)),
        overdue=tuple(OverdueLine(row["stt"], row["title"], row["agency"], row["deadline_text"], row["due_date"],
                                  row["days"], row["band"], row["delay_reason"], row["last_update"])
                      for row in (board.rows if board else ())),
        overdue_total=board.total if board else 0,
        causes=_causes(session, plan, as_of) if lists else (),
        next_label=following.label,
        next_tasks=tuple(line for line in tasks if line.parent_id is None and line.status != DONE_LABEL
                         and following.start <= (due_dates[line.task_id] or date.min) <= following.end),
        targets=targets,
        generated_at=datetime.combine(today, now().time()),
    )


def _neighbours(period_key: str, day: date, weeks: WeekScheme) -> tuple[Period, Period]:
    """The periods before and after the one reported on (a week's as the plan numbers them); for a
    day, the months around its month (selection_for compares a day with the end of the month before)."""
    try:
        period = parse_period(period_key, weeks)
    except InvalidPeriod:  # a day: selection_for has read it
        period = period_containing(day, "month")
    return period.previous(), period.following()


def _tasks(session: Session, plan: Plan, day: date, as_of: date | None) -> tuple[tuple[TaskLine, ...], dict]:
    """Every task that counts that day, sub-items too, in the plan's order, and each one's due date then."""
    categories: dict[int, tuple[str, ...]] = {}
    statuses: dict[int, str] = {}
    for task_id, status, *flags in session.execute(task_categories(plan, CATEGORY_LABELS, as_of)).tuples():
        statuses[task_id] = status
        categories[task_id] = tuple(category for category, flag in zip(CATEGORY_LABELS, flags) if flag)
    results = results_by_task(session, plan, day)
    listed = tasks_in_force(plan, as_of)
    lines, due_dates = [], {}
    for task_id, parent_id, root_id, stt, code, title, lead, deadline_text, due_date in session.execute(
        select(Task.id, Task.parent_id, Task.root_id, Task.stt, Section.code, Task.title, Task.lead_text,
               listed.c.deadline_text, listed.c.due_date)
        .join(listed, listed.c.task_id == Task.id).outerjoin(Section, Section.id == Task.section_id)
        .order_by(Task.position)
    ):
        status = statuses.get(root_id or task_id)
        lines.append(TaskLine(
            task_id, parent_id, stt, code or "", title, lead, deadline_text or "", vn_date(due_date),
            STATUS_LABELS[Status(status)] if status else "", results.get(task_id, ""),
            categories.get(task_id, ()) if parent_id is None else ()))
        due_dates[task_id] = due_date
    return tuple(lines), due_dates


def _causes(session: Session, plan: Plan, as_of: date | None) -> tuple[Cause, ...]:
    """The reasons given for the parts not done that day (overdue ones among them), grouped by cause."""
    parts = assignments_counted(plan, "total", as_of).subquery("parts")
    rows = session.execute(
        select(Agency.name, Task.stt, Assignment.delay_reason)
        .join(parts, parts.c.assignment_id == Assignment.id)
        .join(Task, Task.id == Assignment.task_id).join(Agency, Agency.id == Assignment.agency_id)
        .where(parts.c.status != Status.DONE.value, Assignment.delay_reason != "")
        .order_by(Task.position, Agency.name))
    return tuple(Cause(label, tuple(reasons)) for label, reasons in group_reasons(rows.tuples()))


def _targets(session: Session, plan: Plan, day: date) -> tuple[TargetLine, ...]:
    return tuple(
        TargetLine(
            standing.indicator.id,
            (f"{standing.section.code}. {standing.section.title}" if standing.section.code
             else standing.section.title) if standing.section else "",
            standing.indicator.stt, standing.indicator.name, standing.indicator.unit, standing.indicator.target_text,
            display_value(standing.value.value_text, standing.value.is_estimate) if standing.value else "",
            standing.achievement.label or BAND_LABELS[standing.achievement.band], standing.achievement.band.value)
        for standing in standings(session, plan, day))
