"""A province's plans: which it has, which one a page shows, and which are archived.

A province keeps several plans at once — the year's plan, a programme's products over several
years, a project's tasks, last year's plan. A page shows the one the URL names or, by default, the
current year's annual plan. Every plan a request names is checked against the actor's province;
an archived plan is read and exported as before but never written to (`ensure_open`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Indicator, Plan, Task
from services.accounts.permissions import (
    Actor,
    NotAllowed,
    can_manage_province,
    require_province,
    sees_every_province,
)
from services.common.clock import now, today
from services.common.inputs import id_from_text, strict_int
from services.common.queries import vn_date
from services.tasks.history import apply_changes

PLAN_KINDS = {"annual": "Kế hoạch năm", "programme": "Chương trình", "project": "Dự án/Đề án", "other": "Khác"}
ARCHIVED_MARK = "đã lưu trữ"


class PlanArchived(NotAllowed):
    """A write to an archived plan. Raised only after the province check, so its message (which
    names the plan) is shown to the user, who may well have the plan open, instead of a bare 403."""

    def __init__(self, plan: Plan):
        super().__init__(archived_message(plan))


def archived_message(plan: Plan) -> str:
    """What a page with an archived plan open says, and what a write to it answers."""
    return f"Kế hoạch “{plan.title}” đã lưu trữ: chỉ xem, không cập nhật."


def plans_for(session: Session, actor: Actor) -> list[Plan]:
    """The plans the actor may open, archived ones included: its province's (every province's for
    a province-less admin, none for any other user without a province). Open plans first, then the
    newest."""
    query = select(Plan).order_by(Plan.archived_at.is_not(None), Plan.year.desc(), Plan.id.desc())
    if not sees_every_province(actor):
        if actor.province_id is None:
            return []
        query = query.where(Plan.province_id == actor.province_id)
    return list(session.scalars(query))


def default_plan(session: Session, actor: Actor) -> Plan | None:
    """What a page shows when the URL names no plan: this year's open annual plan, else the newest
    open annual plan, else the newest open plan, else the newest plan."""
    plans = plans_for(session, actor)
    open_plans = [plan for plan in plans if plan.archived_at is None]
    annual = [plan for plan in open_plans if plan.kind == "annual"]
    this_year = [plan for plan in annual if plan.year == today().year]
    for candidates in (this_year, annual, open_plans, plans):
        if candidates:
            return max(candidates, key=lambda plan: (plan.year, plan.id))
    return None


def plan_for(session: Session, actor: Actor, requested: Any) -> Plan | None:
    """The plan a request names (an id, or its text as the URL carries it) if the actor may see
    it; the default plan when it names none or no existing one; NotAllowed for another province's."""
    plan_id = id_from_text(requested)
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    if plan is None:
        return default_plan(session, actor)
    require_province(actor, plan.province_id, f"plan {plan.id}")
    return plan


def visible_plan(session: Session, actor: Actor, plan_id: Any, *, lock: bool = False) -> Plan:
    """The plan with this id if the actor may see it; NotAllowed otherwise, unknown ids included
    (for an action on one plan, where falling back to another would be wrong)."""
    plan = session.get(Plan, plan_id, with_for_update=lock) if strict_int(plan_id) is not None else None
    if plan is None:
        raise NotAllowed(f"no plan {plan_id!r}")
    require_province(actor, plan.province_id, f"plan {plan.id}")
    return plan


def plan_label(plan: Plan) -> str:
    """"Kế hoạch CĐS năm 2026 (Kế hoạch năm)", and "— đã lưu trữ" for an archived one."""
    label = f"{plan.title} ({PLAN_KINDS.get(plan.kind, plan.kind)})"
    return f"{label} — {ARCHIVED_MARK}" if plan.archived_at else label


def ensure_open(plan: Plan) -> None:
    """Every write to a plan's tasks, reports or targets calls this after its permission check."""
    if plan.archived_at is not None:
        raise PlanArchived(plan)


def may_archive(actor: Actor, plan: Plan) -> bool:
    """Archive or restore: the secretariat or an admin of the plan's province."""
    return can_manage_province(actor, plan.province_id)


def _set_archived(session: Session, actor: Actor, plan_id: Any, archived: bool, when: datetime | None) -> str:
    """Archive or restore one plan, logged with who and when; the message for the user.
    NotAllowed for an unknown plan, another province's, or a role that only reads."""
    plan = visible_plan(session, actor, plan_id, lock=True)
    if not may_archive(actor, plan):
        raise NotAllowed(f"user {actor.username} may not archive or restore plan {plan.id}")
    if (plan.archived_at is not None) == archived:
        return f"Kế hoạch “{plan.title}” {'đã lưu trữ' if archived else 'đang mở'} từ trước; không có gì thay đổi."
    when = when or now()
    apply_changes(session, "plan", plan, {"archived_at": when if archived else None}, when=when,
                  recorded_at=when, user_id=actor.id)
    session.flush()
    if archived:
        return f"Đã lưu trữ kế hoạch “{plan.title}”: từ nay chỉ xem, không cập nhật."
    return f"Đã mở lại kế hoạch “{plan.title}” để cập nhật."


def archive_plan(session: Session, actor: Actor, plan_id: Any, *, when: datetime | None = None) -> str:
    return _set_archived(session, actor, plan_id, True, when)


def restore_plan(session: Session, actor: Actor, plan_id: Any, *, when: datetime | None = None) -> str:
    return _set_archived(session, actor, plan_id, False, when)


def plan_rows(session: Session, actor: Actor) -> list[dict]:
    """The Kế hoạch page's table: each plan the actor may open, with its tasks (top-level, as the
    rollups count them) and targets, and whether the actor may archive or restore it."""
    plans = plans_for(session, actor)
    ids = [plan.id for plan in plans]
    tasks = dict(session.execute(select(Task.plan_id, func.count(Task.id)).where(
        Task.plan_id.in_(ids), Task.parent_id.is_(None)).group_by(Task.plan_id)).tuples().all())
    targets = dict(session.execute(select(Indicator.plan_id, func.count(Indicator.id)).where(
        Indicator.plan_id.in_(ids)).group_by(Indicator.plan_id)).tuples().all())
    return [{
        "id": plan.id, "row_id": str(plan.id), "title": plan.title, "kind": PLAN_KINDS.get(plan.kind, plan.kind),
        "year": plan.year, "document_number": plan.document_number or "", "tasks": tasks.get(plan.id, 0),
        "targets": targets.get(plan.id, 0), "created": vn_date(plan.created_at),
        "archived": vn_date(plan.archived_at), "is_archived": plan.archived_at is not None,
        "may_archive": may_archive(actor, plan),
    } for plan in plans]
