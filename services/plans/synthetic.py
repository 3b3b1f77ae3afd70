"""A synthetic province at scale, reproducible from a seed, for benchmarks (QUALITY.md P2).

Rows are written with bulk inserts, not through services.tasks.history one change at a time, because a
million updates through the ORM would take an hour. The generator therefore builds exactly what
apply_assignment_change would leave behind for each update: the assignment's final row, one closed
validity interval per earlier state and one change-log row per changed field.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from models import (
    Agency,
    Assignment,
    AssignmentState,
    ChangeLog,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    Plan,
    Province,
    Section,
    Task,
)
from services.accounts.users import create_user
from services.common.clock import now
from services.common.text import name_key
from services.plans.deadlines import parse_deadline
from services.plans.statuses import Status
from services.reporting.periods import Period

SYNTHETIC_PASSWORD = "Synthetic@2026"
PRINTED_DEADLINES = ["Quý I/{y}", "Quý II/{y}", "Quý III/{y}", "Quý IV/{y}", "Tháng 6/{y}", "Tháng 10/{y}",
                     "Năm {y}", "Thường xuyên", "Hằng quý", "Hằng năm", "30/6/{y}", "Giai đoạn {y}-2030"]
SECTION_TITLES = ["Nhận thức số", "Thể chế số", "Hạ tầng số", "Dữ liệu số", "Nền tảng số", "An toàn thông tin",
                  "Chính quyền số", "Kinh tế số", "Xã hội số"]
BATCH = 5000


@dataclass(frozen=True)
class SyntheticSummary:
    plan_id: int
    agencies: int
    tasks: int
    assignments: int
    updates: int
    history_rows: int
    agency_user: str
    secretariat_user: str
    indicators: int = 0
    indicator_values: int = 0


def _insert(session: Session, model, rows: list[dict], plan_id: int | None) -> None:
    """Bulk insert; the rows belong to `plan_id` (None: a new province's agencies, in no figure yet)."""
    options = {"figures_plan": plan_id} if plan_id is not None else {"figures_unaffected": True}
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model).execution_options(**options), rows[start:start + BATCH])


def _next_state(rng: random.Random, status: str, progress: int) -> tuple[str, int]:
    """Forward progress as agencies report it: started, advanced, finished (rarely reopened)."""
    if status == Status.DONE.value:
        return (Status.IN_PROGRESS.value, 90) if rng.random() < 0.1 else (status, progress)
    step = rng.choice([10, 20, 30])
    if progress + step >= 100 or (status == Status.IN_PROGRESS.value and rng.random() < 0.25):
        return Status.DONE.value, 100
    return Status.IN_PROGRESS.value, progress + step


def make_synthetic(session: Session, *, tasks: int, agencies: int, updates: int, seed: int = 1,
                   leads_per_task: int = 1, year: int = 2026, until: datetime | None = None,
                   indicators: int = 0) -> SyntheticSummary:
    """Create a province with `agencies` agencies and a plan of `tasks` tasks, each led by
    `leads_per_task` agencies, and `updates` dated updates spread between the plan start and `until`;
    and `indicators` targets, each with a value for every month that has begun by `until`."""
    if min(tasks, agencies) < 1 or updates < 0 or not 1 <= leads_per_task <= agencies:
        raise ValueError("Cần ít nhất 1 nhiệm vụ và 1 cơ quan; số cơ quan chủ trì mỗi nhiệm vụ không được vượt quá "
                         "số cơ quan.")
    rng = random.Random(seed)
    until = until or now()
    existing = session.scalar(select(func.count(Province.id)))
    province = Province(name=f"Tỉnh mô phỏng (seed {seed}) số {existing + 1}")
    session.add(province)
    session.flush()
    _insert(session, Agency, [
        {"province_id": province.id, "code": f"dv-{i}", "name": f"Đơn vị mô phỏng {i}",
         "name_key": name_key(f"Đơn vị mô phỏng {i}"), "kind": "department" if i % 3 else "commune",
         "is_demo": True, "active": True}
        for i in range(1, agencies + 1)
    ], None)
    agency_ids = list(session.scalars(select(Agency.id).where(Agency.province_id == province.id).order_by(Agency.id)))
    starts_on = date(year, 1, 1)
    plan = Plan(province_id=province.id, year=year, title=f"Kế hoạch mô phỏng {tasks} nhiệm vụ (seed {seed})",
                starts_on=starts_on, reporting_cadence="monthly", report_deadline_day=20, due_soon_days=14,
                created_at=until)
    session.add(plan)
    session.flush()
    _insert(session, Section, [{"plan_id": plan.id, "appendix": "tasks", "code": code, "title": title,
                                "position": i}
                               for i, (code, title) in enumerate(zip(
                                   ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"], SECTION_TITLES))],
            plan.id)
    section_ids = list(session.scalars(select(Section.id).where(Section.plan_id == plan.id).order_by(Section.position)))

    task_rows = []
    for i in range(1, tasks + 1):
        deadline = parse_deadline(rng.choice(PRINTED_DEADLINES).format(y=year), year)
        task_rows.append({
            "plan_id": plan.id, "section_id": section_ids[(i - 1) * len(section_ids) // tasks], "stt": str(i),
            "position": i, "title": f"Nhiệm vụ mô phỏng số {i}", "lead_text": "", "coordinators_text": "",
            "deadline_text": deadline.text, "due_date": deadline.due_date, "deadline_kind": deadline.kind.value,
            "expected_product": "Sản phẩm mô phỏng",
        })
    _insert(session, Task, task_rows, plan.id)
    task_ids = list(session.scalars(select(Task.id).where(Task.plan_id == plan.id).order_by(Task.position)))
    session.execute(Task.__table__.update().where(Task.plan_id == plan.id).values(root_id=Task.id)
                    .execution_options(figures_plan=plan.id))

    _insert(session, Assignment, [
        {"task_id": task_id, "agency_id": agency_id, "status": Status.NOT_STARTED.value, "progress": 0,
         "result": "", "delay_reason": "", "note": "", "review_state": "none", "version": 1}
        for task_id in task_ids for agency_id in rng.sample(agency_ids, leads_per_task)
    ], plan.id)
    assignment_ids = list(session.scalars(select(Assignment.id).join(Task).where(Task.plan_id == plan.id)
                                          .order_by(Assignment.id)))

    plan_start = datetime.combine(starts_on, time.min)
    span = max(int((until - plan_start).total_seconds()), 1)
    moments: dict[int, list[datetime]] = {}
    for _ in range(updates):
        moments.setdefault(rng.choice(assignment_ids), []).append(
            plan_start + timedelta(seconds=rng.randrange(1, span)))
    states, logs, finals = [], [], []
    for assignment_id in assignment_ids:
        status, progress, valid_from, completed = Status.NOT_STARTED.value, 0, plan_start, None
        version = 1
        for moment in sorted(moments.get(assignment_id, [])):
            new_status, new_progress = _next_state(rng, status, progress)
            if (new_status, new_progress) == (status, progress):
                continue
            states.append({"assignment_id": assignment_id, "status": status, "progress": progress,
                           "completed_on": completed, "review_state": "none", "valid_from": valid_from,
                           "valid_to": moment})
            for field, old, new in (("status", status, new_status), ("progress", progress, new_progress)):
                if old != new:
                    logs.append({"occurred_at": moment, "recorded_at": moment, "entity": "assignment",
                                 "entity_id": assignment_id, "field": field, "old_value": str(old),
                                 "new_value": str(new), "source": "synthetic"})
            completed = moment.date() if new_status == Status.DONE.value else None
            status, progress, valid_from, version = new_status, new_progress, moment, version + 1
        states.append({"assignment_id": assignment_id, "status": status, "progress": progress,
                       "completed_on": completed, "review_state": "none", "valid_from": valid_from,
                       "valid_to": None})
        if version > 1:
            finals.append({"row_id": assignment_id, "status": status, "progress": progress, "completed_on": completed,
                           "updated_at": valid_from, "version": version})
    _insert(session, AssignmentState, states, plan.id)
    _insert(session, ChangeLog, logs, plan.id)
    table = Assignment.__table__
    for start in range(0, len(finals), BATCH):
        session.execute(table.update().where(table.c.id == bindparam("row_id"))
                        .execution_options(figures_plan=plan.id), finals[start:start + BATCH])

    values = _indicators(session, rng, plan, agency_ids, indicators, until) if indicators else 0

    agency_user = create_user(session, f"dv-1-{seed}-{plan.id}", "agency", SYNTHETIC_PASSWORD,
                              full_name="Cán bộ đầu mối Đơn vị mô phỏng 1",
                              agency=session.get(Agency, agency_ids[0]))
    secretariat = create_user(session, f"tgv-{seed}-{plan.id}", "secretariat", SYNTHETIC_PASSWORD,
                              full_name="Tổ giúp việc (mô phỏng)", province_id=province.id)
    return SyntheticSummary(plan.id, agencies, tasks, len(assignment_ids), len(states) - len(assignment_ids),
                            len(logs), agency_user.username, secretariat.username, indicators, values)


# Targets as plans print them, with a value each month that moves towards (or past) the target.
PRINTED_TARGETS = [("50%", "48%"), ("≥ 70%", "65%"), ("90%", "86%"), ("0.7", "0.6"), ("95/95/95", "90/90/90"),
                   ("Dưới 5%", "8%"), ("100%", "97%"), ("Có", "Không")]


def _indicators(session: Session, rng: random.Random, plan: Plan, agency_ids: list[int], count: int,
                until: datetime) -> int:
    """`count` indicators in six sections, each monitored by one agency, valued every month so far."""
    _insert(session, Section, [{"plan_id": plan.id, "appendix": "indicators", "code": code, "title": title,
                                "position": i} for i, (code, title) in enumerate(zip(
                                    ["I", "II", "III", "IV", "V", "VI"], SECTION_TITLES[2:8]), 1)], plan.id)
    section_ids = list(session.scalars(select(Section.id).where(
        Section.plan_id == plan.id, Section.appendix == "indicators").order_by(Section.position)))
    rows = []
    for i in range(1, count + 1):
        target, baseline = PRINTED_TARGETS[i % len(PRINTED_TARGETS)]
        rows.append({"plan_id": plan.id, "section_id": section_ids[(i - 1) * len(section_ids) // count],
                     "stt": str(i), "position": i, "name": f"Chỉ tiêu mô phỏng số {i}", "unit": "%",
                     "baseline_text": baseline, "target_text": target, "lead_text": "", "monitor_text": "",
                     "higher_is_better": not target.startswith("Dưới"), "version": 1})
    _insert(session, Indicator, rows, plan.id)
    indicators = session.execute(select(Indicator.id, Indicator.target_text).where(
        Indicator.plan_id == plan.id).order_by(Indicator.position)).all()
    _insert(session, IndicatorAgency, [{"indicator_id": indicator_id, "agency_id": rng.choice(agency_ids),
                                        "role": "monitor"} for indicator_id, _ in indicators], plan.id)
    months = [m for m in range(1, 13) if date(plan.year, m, 1) <= until.date()]
    values = []
    for indicator_id, target in indicators:
        for month in months:
            period = Period("month", plan.year, month)
            values.append({"indicator_id": indicator_id, "period": period.key, "period_end": period.end,
                           "value_text": _monthly_value(rng, target), "is_estimate": rng.random() < 0.2,
                           "assessment": None, "source_note": "", "updated_at": until, "version": 1})
    _insert(session, IndicatorValue, values, plan.id)
    return len(values)


def _monthly_value(rng: random.Random, target: str) -> str:
    if target == "Có":
        return rng.choice(["Có", "Không"])
    if "/" in target:
        return "/".join(str(rng.randint(60, 100)) for _ in target.split("/"))
    number = float(target.split()[-1].rstrip("%"))
    return f"{number * rng.uniform(0.3, 1.2):.1f}".replace(".", ",") + ("%" if target.endswith("%") else "")
