"""Who is reminded of what on a day: the table of kinds.

Each kind is one entry of KINDS: its key, its Vietnamese label, who receives it (an agency's users,
the province's secretariat or leaders) and how it is found — one query over an open plan as of the
day, which returns what to remind of (subject, the period or date that makes it new, the words, the
link). Adding a kind is adding one entry. The task rules are the rollup's (due soon, overdue, done,
ongoing, in force: services.reporting.rollup), the report rules the submissions' and the compliance
table's (owed when the agency leads an assignment in force on the deadline day), the target rules
the standings' (a value with data for the period).

Decisions, each stated once here:
- Due soon: not done, due within the plan's due-soon window (the day itself up to `due_soon_days`
  ahead, both included); ongoing and undated tasks never. Key: the due date (an extension to a new
  date is a new reminder).
- Overdue: a task past its deadline that fell overdue within the last OVERDUE_NEW_DAYS days is "đã
  quá hạn" (key: the date it is overdue by); older is "vẫn quá hạn" once a week with the days late
  (key: the ISO week of the day), so each overdue task gets one of the two, never both.
- Returned: once per return by the secretariat (key: when it was returned).
- Report due: from REPORT_DUE_DAYS days before the deadline day up to the deadline day itself (on
  that day a submission is still on time); late: the latest period whose deadline has passed, not
  submitted. Key: the period. Only periods of the plan's year, as the compliance table.
- A target's value missing: for the reporting period that ended last (key: that period), to every
  agency monitoring it, also through a group it belongs to. "-" entered says there is no figure:
  the value is still missing (the report prints "Chưa có số liệu"), so it is reminded.
- Task reminders link to the agency's workspace with the assignment's update form open
  (`?phan-cong=ID`, which the page checks as a click on the row).
- Completions waiting for review are the review queue's (services.tasks.review.pending_now).
- The secretariat's weekly summary (key: ISO week) and the leaders' monthly one (key: month) are
  created only when they have something to say.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models import (
    Agency,
    AgencyMembership,
    Assignment,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    Plan,
    ReportSubmission,
    Task,
)
from services.common.queries import vn_date
from services.indicators.standings import has_data
from services.plans.deadlines import DeadlineKind, quarter_end
from services.reporting.periods import Period, reporting_period, week_scheme
from services.reporting.rollup import agency_rollup, assignment_in_force, assignments_counted, task_in_force
from services.tasks.review import pending_now

OVERDUE_NEW_DAYS = 7
REPORT_DUE_DAYS = 3
SUMMARY_LINES = 10  # a summary names this many agencies or tasks, then counts the rest
# The app's pages a reminder links to (the paths of layouts.pages, which services may not import).
TASKS_PATH, INDICATOR_PATH, OVERVIEW_PATH, OVERDUE_PATH = "/nhiem-vu", "/chi-tieu/chi-tiet", "/tong-hop", "/qua-han"
ASSIGNMENT_PARAMETER = "phan-cong"  # layouts.tasks.ASSIGNMENT_PARAMETER: opens that assignment's update form
AUDIENCES = ("agency", "secretariat", "leader")


@dataclass(frozen=True)
class Found:
    """One thing to remind of, before it goes to the users who receive it."""

    subject_type: str  # assignment | indicator | plan
    subject_id: int
    period_key: str
    title: str
    body: str
    link: str
    agency_id: int | None = None  # for an agency's kinds: the agency whose users receive it


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    audience: str  # one of AUDIENCES
    find: Callable[[Session, Plan, date], list[Found]]


def link(path: str, plan: Plan, **params) -> str:
    """A path inside the app that opens the plan the reminder is about (`?ke-hoach=ID`)."""
    return f"{path}?{urlencode({**params, 'ke-hoach': plan.id})}"


def task_link(plan: Plan, assignment_id: int) -> str:
    """The agency's workspace with the assignment's update form open."""
    return link(TASKS_PATH, plan, **{ASSIGNMENT_PARAMETER: assignment_id})


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _days(n: int) -> str:
    return "hôm nay" if n == 0 else f"{n} ngày"


# ---- An agency's tasks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    assignment_id: int
    agency_id: int
    stt: str
    title: str
    due_date: date | None
    deadline_text: str
    kind: str


def _parts(session: Session, plan: Plan, category: str, as_of: date) -> list[_Part]:
    """The assignments behind the rollup's `category` ("due_soon", "overdue") at the end of `as_of`;
    read once per session (three kinds ask for the overdue ones: at 100 000 assignments, seconds)."""
    cache = session.info.setdefault("reminder_parts", {})
    key = (plan.id, category, as_of)
    if key not in cache:
        cache[key] = _read_parts(session, plan, category, as_of)
    return cache[key]


def _read_parts(session: Session, plan: Plan, category: str, as_of: date) -> list[_Part]:
    counted = assignments_counted(plan, category, as_of).subquery("counted")
    rows = session.execute(
        select(Assignment.id, Assignment.agency_id, Task.stt, Task.title, counted.c.due_date,
               counted.c.deadline_text, Task.deadline_kind)
        .join(counted, counted.c.assignment_id == Assignment.id).join(Task, Task.id == Assignment.task_id)
        .order_by(Task.position, Assignment.id)
    ).tuples()
    return [_Part(*row) for row in rows]


def _overdue_since(part: _Part, plan: Plan, as_of: date) -> date:
    """The day a part is overdue by: its due date; for a quarterly task, the last quarter that ended."""
    if part.kind == DeadlineKind.RECURRING_QUARTERLY.value:
        ended = [quarter_end(plan.year, q) for q in range(1, 5) if quarter_end(plan.year, q) < as_of]
        return ended[-1] if ended else part.due_date
    return part.due_date


def _task_found(plan: Plan, part: _Part, key: str, title: str, detail: str = "") -> Found:
    body = f"{part.title} (thời hạn: {part.deadline_text or 'chưa xác định'})." + (f" {detail}" if detail else "")
    return Found("assignment", part.assignment_id, key, title, body, task_link(plan, part.assignment_id),
                 part.agency_id)


def find_due_soon(session: Session, plan: Plan, as_of: date) -> list[Found]:
    return [_task_found(plan, part, part.due_date.isoformat(),
                        f"Nhiệm vụ {part.stt} sắp đến hạn {vn_date(part.due_date)} "
                        f"(còn {_days((part.due_date - as_of).days)})")
            for part in _parts(session, plan, "due_soon", as_of)]


def _overdue(session: Session, plan: Plan, as_of: date, new: bool) -> list[Found]:
    found = []
    for part in _parts(session, plan, "overdue", as_of):
        since = _overdue_since(part, plan, as_of)
        late = (as_of - since).days
        if new and late <= OVERDUE_NEW_DAYS:
            found.append(_task_found(plan, part, since.isoformat(),
                                     f"Nhiệm vụ {part.stt} đã quá hạn (hạn {vn_date(since)})",
                                     "Cần cập nhật tình trạng và nêu lý do chưa hoàn thành."))
        elif not new and late > OVERDUE_NEW_DAYS:
            found.append(_task_found(plan, part, iso_week(as_of),
                                     f"Nhiệm vụ {part.stt} vẫn quá hạn {late} ngày (hạn {vn_date(since)})"))
    return found


def find_overdue_new(session: Session, plan: Plan, as_of: date) -> list[Found]:
    return _overdue(session, plan, as_of, new=True)


def find_overdue_weekly(session: Session, plan: Plan, as_of: date) -> list[Found]:
    return _overdue(session, plan, as_of, new=False)


def find_returned(session: Session, plan: Plan, as_of: date) -> list[Found]:
    """Completions the secretariat returned by the end of `as_of`, on tasks still in force."""
    rows = session.execute(
        select(Assignment.id, Assignment.agency_id, Assignment.reviewed_at, Assignment.review_comment, Task.stt,
               Task.title)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, Assignment.review_state == "returned", Assignment.reviewed_at.is_not(None),
               Assignment.reviewed_at < datetime.combine(as_of + timedelta(days=1), time.min),
               task_in_force(as_of), assignment_in_force(as_of))
        .order_by(Task.position, Assignment.id)
    ).tuples()
    return [Found("assignment", assignment_id, reviewed_at.isoformat(timespec="seconds"),
                  f"Tổ giúp việc trả lại kết quả hoàn thành nhiệm vụ {stt}",
                  f"{title}." + (f" Ý kiến: {comment}" if comment else ""), task_link(plan, assignment_id),
                  agency_id)
            for assignment_id, agency_id, reviewed_at, comment, stt, title in rows]


# ---- An agency's periodic report -------------------------------------------------------------------

def report_period_due(plan: Plan, as_of: date) -> Period | None:
    """The period whose report is due within REPORT_DUE_DAYS days (the deadline day included)."""
    period = reporting_period(plan.reporting_cadence, as_of, week_scheme(plan))
    days_left = (period.deadline(plan.report_deadline_day) - as_of).days
    return period if period.year == plan.year and 0 <= days_left <= REPORT_DUE_DAYS else None


def report_period_late(plan: Plan, as_of: date) -> Period | None:
    """The latest period of the plan's year whose report deadline has passed by `as_of`."""
    period = reporting_period(plan.reporting_cadence, as_of, week_scheme(plan))
    if period.deadline(plan.report_deadline_day) >= as_of:
        period = period.previous()
    return period if period.year == plan.year else None


def agencies_not_reported(session: Session, plan: Plan, period: Period) -> list[tuple[int, str]]:
    """(id, name) of the agencies that owe the period's report (they lead an assignment in force on
    its deadline day, as the compliance table says) and have not submitted it."""
    deadline = period.deadline(plan.report_deadline_day)
    submitted = select(ReportSubmission.agency_id).where(ReportSubmission.plan_id == plan.id,
                                                         ReportSubmission.period == period.key)
    return [tuple(row) for row in session.execute(
        select(Agency.id, Agency.name).join(Assignment, Assignment.agency_id == Agency.id)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, task_in_force(deadline), assignment_in_force(deadline),
               Agency.id.not_in(submitted))
        .distinct().order_by(Agency.name))]


def find_report_due(session: Session, plan: Plan, as_of: date) -> list[Found]:
    period = report_period_due(plan, as_of)
    if period is None:
        return []
    deadline = period.deadline(plan.report_deadline_day)
    return [Found("plan", plan.id, period.key,
                  f"Báo cáo kỳ {period.label} đến hạn ngày {vn_date(deadline)} "
                  f"(còn {_days((deadline - as_of).days)})",
                  "Đơn vị chưa nộp báo cáo kỳ: cập nhật các nhiệm vụ và bấm “Nộp báo cáo kỳ”.",
                  link(TASKS_PATH, plan), agency_id)
            for agency_id, _ in agencies_not_reported(session, plan, period)]


def find_report_late(session: Session, plan: Plan, as_of: date) -> list[Found]:
    period = report_period_late(plan, as_of)
    if period is None:
        return []
    deadline = period.deadline(plan.report_deadline_day)
    return [Found("plan", plan.id, period.key, f"Chậm nộp báo cáo kỳ {period.label} (hạn {vn_date(deadline)})",
                  "Đơn vị chưa nộp báo cáo kỳ: cập nhật các nhiệm vụ và bấm “Nộp báo cáo kỳ”.",
                  link(TASKS_PATH, plan), agency_id)
            for agency_id, _ in agencies_not_reported(session, plan, period)]


# ---- An agency's targets ---------------------------------------------------------------------------

def _members(session: Session, groups: Iterable[int]) -> dict[int, set[int]]:
    """Every member of each group, through nested groups (a group's own id included)."""
    members = {group: {group} for group in groups}
    frontier = set(members)
    parents: dict[int, set[int]] = {}
    while frontier:
        edges = session.execute(select(AgencyMembership.group_id, AgencyMembership.member_id)
                                .where(AgencyMembership.group_id.in_(frontier))).tuples().all()
        frontier = set()
        for group, member in edges:
            if member not in parents.get(group, set()):
                parents.setdefault(group, set()).add(member)
                frontier.add(member)
    for group in members:
        stack = [group]
        while stack:
            for member in parents.get(stack.pop(), ()):
                if member not in members[group]:
                    members[group].add(member)
                    stack.append(member)
    return members


def find_indicator_missing(session: Session, plan: Plan, as_of: date) -> list[Found]:
    period = reporting_period(plan.reporting_cadence, as_of, week_scheme(plan)).previous()
    if period.year != plan.year:
        return []
    # Any value for a period ending with this one counts (Quý I answers Tháng 3): as of that day the
    # target stands at it (services.indicators.standings).
    valued = select(IndicatorValue.indicator_id).where(IndicatorValue.period_end == period.end, has_data())
    rows = session.execute(
        select(Indicator.id, Indicator.stt, Indicator.name, IndicatorAgency.agency_id)
        .join(IndicatorAgency, and_(IndicatorAgency.indicator_id == Indicator.id, IndicatorAgency.role == "monitor"))
        .where(Indicator.plan_id == plan.id, Indicator.id.not_in(valued))
        .order_by(Indicator.position)
    ).tuples().all()
    members = _members(session, {agency_id for *_, agency_id in rows})
    found, seen = [], set()
    for indicator_id, stt, name, monitor in rows:
        for agency_id in sorted(members[monitor]):
            if (indicator_id, agency_id) not in seen:
                seen.add((indicator_id, agency_id))
                found.append(Found("indicator", indicator_id, period.key,
                                   f"Chỉ tiêu {stt} chưa có số liệu kỳ {period.label}", f"{name}.",
                                   link(INDICATOR_PATH, plan, ma=indicator_id), agency_id))
    return found


# ---- The secretariat's and the leaders' summaries ----------------------------------------------------

def _named(names: list[str], noun: str) -> str:
    shown = "; ".join(names[:SUMMARY_LINES])
    rest = len(names) - SUMMARY_LINES
    return shown + (f"; và {rest} {noun} khác" if rest > 0 else "")


def find_secretariat_weekly(session: Session, plan: Plan, as_of: date) -> list[Found]:
    """Who has not reported the latest period due, tasks fallen overdue this week, completions
    waiting for review."""
    period = report_period_late(plan, as_of)
    missing = [name for _, name in agencies_not_reported(session, plan, period)] if period else []
    new_overdue = [part for part in _parts(session, plan, "overdue", as_of)
                   if (as_of - _overdue_since(part, plan, as_of)).days <= OVERDUE_NEW_DAYS]
    waiting = session.execute(
        select(Task.stt, Agency.name).join(Assignment, Assignment.task_id == Task.id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Task.plan_id == plan.id, pending_now(as_of))
        .order_by(Task.position, Agency.name)
    ).tuples().all()
    if not (missing or new_overdue or waiting):
        return []
    lines = []
    if period is not None:
        lines.append(f"Chưa nộp báo cáo kỳ {period.label}: {len(missing)} đơn vị"
                     + (f" ({_named(missing, 'đơn vị')})." if missing else "."))
    lines.append(f"Mới quá hạn trong tuần: {len(new_overdue)} phân công"
                 + (f" (nhiệm vụ {_named([p.stt for p in new_overdue], 'phân công')})." if new_overdue else "."))
    lines.append(f"Hoàn thành chờ xác nhận: {len(waiting)}"
                 + (f" ({_named([f'{stt} – {name}' for stt, name in waiting], 'kết quả')})." if waiting else "."))
    week = as_of.isocalendar()
    return [Found("plan", plan.id, iso_week(as_of),
                  f"Tổng hợp tuần {week.week}/{week.year}: {len(missing)} đơn vị chưa nộp báo cáo, "
                  f"{len(new_overdue)} phân công mới quá hạn, {len(waiting)} hoàn thành chờ xác nhận",
                  " ".join(lines), link(OVERVIEW_PATH, plan))]


def find_leader_monthly(session: Session, plan: Plan, as_of: date) -> list[Found]:
    """The overdue tasks by agency at the end of `as_of`, most first."""
    behind = sorted(((group.counts.overdue, group.name) for group in agency_rollup(session, plan, as_of)
                     if group.counts.overdue), key=lambda row: (-row[0], row[1]))
    if not behind:
        return []
    total = sum(count for count, _ in behind)
    return [Found("plan", plan.id, f"{as_of:%Y-%m}",
                  f"Tổng hợp tháng {as_of.month}/{as_of.year}: {total} phân công quá hạn ở {len(behind)} đơn vị",
                  "Quá hạn theo đơn vị: " + _named([f"{name}: {count}" for count, name in behind], "đơn vị") + ".",
                  link(OVERDUE_PATH, plan))]


KINDS = [
    Kind("due_soon", "Sắp đến hạn", "agency", find_due_soon),
    Kind("overdue_new", "Quá hạn", "agency", find_overdue_new),
    Kind("overdue_weekly", "Vẫn quá hạn", "agency", find_overdue_weekly),
    Kind("returned", "Bị trả lại", "agency", find_returned),
    Kind("report_due", "Sắp đến hạn báo cáo", "agency", find_report_due),
    Kind("report_late", "Chậm báo cáo", "agency", find_report_late),
    Kind("indicator_missing", "Chỉ tiêu chưa có số liệu", "agency", find_indicator_missing),
    Kind("secretariat_weekly", "Tổng hợp tuần", "secretariat", find_secretariat_weekly),
    Kind("leader_monthly", "Tổng hợp tháng", "leader", find_leader_monthly),
]
KIND_LABELS = {kind.key: kind.label for kind in KINDS}
