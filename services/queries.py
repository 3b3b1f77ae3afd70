"""Read queries for pages: plain dicts out, dates formatted the Vietnamese way."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Section, Task
from services.deadlines import DEADLINE_KIND_LABELS, DeadlineKind
from services.permissions import Actor, can_view_agency
from services.statuses import STATUS_LABELS, Status


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def active_plan(session: Session, actor: Actor) -> Plan | None:
    """The newest plan of the actor's province (any province for a user without one)."""
    query = select(Plan).order_by(Plan.year.desc(), Plan.id.desc()).limit(1)
    if actor.province_id is not None:
        query = query.where(Plan.province_id == actor.province_id)
    return session.scalar(query)


def agency_name(session: Session, agency_id: int | None) -> str:
    agency = session.get(Agency, agency_id) if agency_id else None
    return agency.name if agency else ""


def agency_assignments(session: Session, actor: Actor, plan: Plan, agency_id: int) -> list[dict]:
    """The assignments `agency_id` leads in `plan`, for a grid. Refuses agencies the actor can't see."""
    if not can_view_agency(actor, agency_id):
        raise PermissionError("agency not visible to this user")
    rows = session.execute(
        select(Assignment, Task, Section.code, Section.title)
        .join(Task, Task.id == Assignment.task_id)
        .outerjoin(Section, Section.id == Task.section_id)
        .where(Task.plan_id == plan.id, Assignment.agency_id == agency_id)
        .order_by(Task.position)
    ).all()
    return [
        {
            "id": assignment.id,
            "stt": task.stt,
            "title": task.title,
            "section": f"{code}. {title}" if code else (title or ""),
            "deadline_text": task.deadline_text,
            "due_date": vn_date(task.due_date),
            "deadline_kind": DEADLINE_KIND_LABELS[DeadlineKind(task.deadline_kind)],
            "status": STATUS_LABELS[Status(assignment.status)],
            "progress": assignment.progress,
            "product": task.expected_product,
            "updated_at": vn_date(assignment.updated_at),
        }
        for assignment, task, code, title in rows
    ]
