"""Small shared reads and the Vietnamese way of printing dates and numbers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Section, Task
from services.common.clock import today
from services.reporting.rollup import assignment_in_force, task_in_force


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def vn_number(value: int) -> str:
    """1234567 → "1.234.567" (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def vn_decimal(value: float, decimals: int = 0) -> str:
    """79.613 → "79,6" (decimals=1), 463724.0 → "463.724": rounded half up, Vietnamese marks."""
    shown = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{abs(shown):f}".partition(".")
    sign = "-" if shown < 0 else ""
    return sign + vn_number(int(whole)) + (f",{fraction}" if fraction else "")


def change_phrase(delta: int, noun: str, previous_label: str) -> str:
    """"tăng 3 nhiệm vụ so với Quý I/2026", "giảm 1 mục tiêu ...", "không đổi so với ..."."""
    if delta == 0:
        return f"không đổi so với {previous_label}"
    return f"{'tăng' if delta > 0 else 'giảm'} {abs(delta)} {noun} so với {previous_label}"


def agency_province(session: Session, agency_id: int | None) -> int | None:
    """The province an agency belongs to (None for an unknown agency), for the province wall."""
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return agency.province_id if agency else None


def agency_name(session: Session, agency_id: int | None) -> str:
    agency = session.get(Agency, agency_id) if agency_id else None
    return agency.name if agency else ""


def plan_agencies(session: Session, plan: Plan, day: date | None = None) -> list[tuple[int, str]]:
    """(id, name) of every agency leading an assignment of the plan in force on `day` (None: today),
    by name: an agency whose only task was withdrawn, or whose lead ended, has nothing left to pick."""
    day = day or today()
    return [tuple(row) for row in session.execute(
        select(Agency.id, Agency.name).join(Assignment, Assignment.agency_id == Agency.id)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, task_in_force(day), assignment_in_force(day))
        .distinct().order_by(Agency.name)
    )]


def plan_sections(session: Session, plan: Plan, appendix: str = "tasks") -> list[tuple[int, str]]:
    """(id, "IV. Hạ tầng số ...") of the sections of one appendix of the plan (tasks or
    indicators), in order."""
    return [(section.id, f"{section.code}. {section.title}" if section.code else section.title)
            for section in session.scalars(select(Section).where(
                Section.plan_id == plan.id, Section.appendix == appendix).order_by(Section.position))]
