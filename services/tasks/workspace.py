"""The agency workspace ("Nhiệm vụ của đơn vị"): what an agency leads and coordinates (completions
the secretariat returned first), one assignment's details with its review, and its history. Every
function checks that the actor may see the agency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session, aliased

from models import Agency, Assignment, ChangeLog, Plan, Section, Task, TaskCoordinator, User
from services.accounts.permissions import Actor, NotAllowed, can_act_for_agency, can_view_agency
from services.common.clock import today
from services.common.inputs import id_from_text, strict_int
from services.common.queries import agency_province, plan_agencies, vn_date
from services.common.text import matches, search_words
from services.plans.agencies import groups_of
from services.plans.catalogue import archived_message
from services.plans.deadlines import DEADLINE_KIND_LABELS, DeadlineKind
from services.plans.statuses import STATUS_LABELS, Status, status_from
from services.reporting.periods import period_containing
from services.reporting.rollup import (
    SITUATION_LABELS,
    Situation,
    assignment_in_force,
    assignment_situations,
    task_in_force,
    task_progress,
)
from services.tasks.history import SOURCE_LABELS
from services.tasks.review import NONE, RETURNED, review_label, review_of
from services.tasks.submissions import current_period, needs_update
from services.tasks.updates import FIELD_LABELS, display_value, form_values, may_report_unchanged


@dataclass(frozen=True)
class TaskFilter:
    """The quick filters. Built from browser input, so every field tolerates garbage."""

    words: tuple[str, ...] = ()  # the search, folded (services.common.text.matches)
    status: Status | None = None
    section_id: int | None = None
    overdue: bool = False
    due_this_quarter: bool = False
    needs_update: bool = False

    @classmethod
    def from_inputs(cls, text: Any, status: Any, section_id: Any, flags: Any) -> TaskFilter:
        flags = set(flags) if isinstance(flags, list) and all(isinstance(f, str) for f in flags) else set()
        return cls(
            words=search_words(text),
            status=status_from(status),
            section_id=id_from_text(section_id),
            overdue="overdue" in flags,
            due_this_quarter="quarter" in flags,
            needs_update="needs_update" in flags,
        )

    @property
    def flags(self) -> set[str]:
        """The quick filters on, by the names the page's switches send."""
        return {name for name, on in (("needs_update", self.needs_update), ("overdue", self.overdue),
                                      ("quarter", self.due_this_quarter)) if on}

    def keeps(self, row: dict) -> bool:
        return (matches(self.words, row["search"])
                and (self.status is None or row["status"] == self.status)
                and (self.section_id is None or row["section_id"] == self.section_id)
                and (not self.overdue or row["situation"] == Situation.OVERDUE.value)
                and (not self.due_this_quarter or row["due_this_quarter"])
                and (not self.needs_update or row["needs_update"]))


def _section_name(code: str | None, title: str | None) -> str:
    return f"{code}. {title}" if code else (title or "")


def _days_text(situation: Situation, due: date | None, today: date) -> str:
    if situation in (Situation.DONE_ON_TIME, Situation.DONE_LATE):
        return SITUATION_LABELS[situation]
    if situation is Situation.ONGOING:
        return "Thường xuyên"
    if due is None:
        return "Chưa xác định hạn"
    days = (due - today).days
    if situation is Situation.OVERDUE:
        return f"Quá hạn {-days} ngày" if days < 0 else "Quá hạn báo cáo quý"
    return "Đến hạn hôm nay" if days == 0 else f"Còn {days} ngày"


def _require_view(session: Session, actor: Actor, agency_id: int) -> None:
    if not can_view_agency(actor, agency_id, agency_province(session, agency_id)):
        raise NotAllowed(f"user {actor.username} may not see agency {agency_id}")


def _visible_assignment(session: Session, actor: Actor, assignment_id: Any) -> Assignment:
    assignment = session.get(Assignment, assignment_id) if strict_int(assignment_id) is not None else None
    if assignment is None:
        raise NotAllowed(f"no assignment {assignment_id!r}")
    _require_view(session, actor, assignment.agency_id)
    return assignment


def agency_rows(session: Session, actor: Actor, plan: Plan, agency_id: int, today: date) -> list[dict]:
    """Every assignment the agency leads in the plan, with its situation and review, for the grid:
    completions returned by the secretariat first (they need the agency's attention), then in plan order."""
    _require_view(session, actor, agency_id)
    period = current_period(plan, today)
    quarter = period_containing(today, "quarter")
    group = aliased(Agency)
    rows = session.execute(
        select(Assignment.id, Assignment.version, Assignment.status, Assignment.progress, Assignment.updated_at,
               Assignment.review_state, Assignment.review_comment, Task.id.label("task_id"), Task.root_id, Task.stt, Task.title, Task.section_id, Task.deadline_text,
               Task.due_date, Task.lead_text, Task.coordinators_text, Task.expected_product,
               Section.code, Section.title.label("section_title"), User.full_name.label("updated_by"),
               group.name.label("group_name"),
               case((needs_update(period.start), True), else_=False).label("pending"))
        .join(Task, Task.id == Assignment.task_id)
        .outerjoin(Section, Section.id == Task.section_id)
        .outerjoin(User, User.id == Assignment.updated_by_id)
        .outerjoin(group, group.id == Assignment.via_group_id)
        .where(Task.plan_id == plan.id, Assignment.agency_id == agency_id, task_in_force(today),
               assignment_in_force(today))
        .order_by(case((Assignment.review_state == RETURNED, 0), else_=1), Task.position)
    ).all()
    situations = assignment_situations(session, plan, agency_id=agency_id, day=today)
    shared = task_progress(session, plan, {row.root_id or row.task_id for row in rows})
    result = []
    for row in rows:
        state = situations[row.id]
        progress = shared.get(row.root_id or row.task_id)
        section = _section_name(row.code, row.section_title)
        result.append({
            "id": row.id,
            "row_id": str(row.id),  # AG Grid row ids are strings
            "version": row.version,
            "stt": row.stt,
            "title": row.title,
            "section_id": row.section_id,
            "section": section,
            "deadline_text": row.deadline_text,
            "due_date": vn_date(row.due_date),
            "due_iso": row.due_date.isoformat() if row.due_date else "",
            "status": row.status,
            "status_label": STATUS_LABELS[Status(row.status)],
            "progress": row.progress,
            "review_state": row.review_state,
            "review_label": review_label(row.status, row.review_state),
            "review_comment": row.review_comment if row.review_state != NONE else "",  # a reset review's is stale
            "situation": state.situation.value,
            "situation_label": SITUATION_LABELS[state.situation],
            "due_soon": state.due_soon,
            "days_left": (row.due_date - today).days if row.due_date else None,
            "days_text": _days_text(state.situation, row.due_date, today),
            "due_this_quarter": bool(row.due_date and quarter.start <= row.due_date <= quarter.end),
            "needs_update": bool(row.pending),
            # Offered a checkbox for "Không thay đổi trong kỳ" (the callback also needs the actor to write).
            "selectable": may_report_unchanged(row.status, row.review_state),
            "updated_at": vn_date(row.updated_at),
            "updated_by": row.updated_by or "",
            "group": row.group_name or "",
            "shared_status": (f"{STATUS_LABELS[progress.status]} ({progress.parts_done}/{progress.parts} "
                              "đơn vị hoàn thành)") if progress and progress.parts > 1 else "",
            "product": row.expected_product,
            # Folded only when someone searches (TaskFilter.keeps): most loads do not.
            "search": " ".join([row.stt, row.title, section, row.deadline_text, row.lead_text,
                                row.coordinators_text, row.expected_product, row.group_name or ""]),
        })
    return result


def coordinated_rows(session: Session, actor: Actor, plan: Plan, agency_id: int) -> list[dict]:
    """Tasks the agency coordinates (named, or through a group it belongs to) and does not also
    lead, read-only, with the lead's rolled-up status and the latest note any lead agency wrote."""
    _require_view(session, actor, agency_id)
    named = {agency_id} | groups_of(session, agency_id)
    day = today()
    tasks = session.scalars(
        select(Task)
        .join(TaskCoordinator, TaskCoordinator.task_id == Task.id)
        .where(Task.plan_id == plan.id, TaskCoordinator.agency_id.in_(named), task_in_force(day),
               Task.id.not_in(select(Assignment.task_id).where(Assignment.agency_id == agency_id,
                                                               assignment_in_force(day))))
        .distinct().order_by(Task.position)
    ).all()
    if not tasks:
        return []
    progress = task_progress(session, plan, {t.root_id or t.id for t in tasks})
    latest: dict[int, tuple] = {}
    for task_id, lead, note, result, updated_at in session.execute(
        select(Assignment.task_id, Agency.name, Assignment.note, Assignment.result, Assignment.updated_at)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.task_id.in_([t.id for t in tasks]), Assignment.updated_at.is_not(None),
               assignment_in_force(day))
        .order_by(Assignment.updated_at.desc())
    ):
        latest.setdefault(task_id, (lead, note or result, updated_at))
    rows = []
    for task in tasks:
        state = progress.get(task.root_id or task.id)
        lead, note, updated_at = latest.get(task.id, ("", "", None))
        rows.append({
            "id": task.id, "row_id": str(task.id), "stt": task.stt, "title": task.title, "lead": task.lead_text,
            "deadline_text": task.deadline_text, "due_date": vn_date(task.due_date),
            "status_label": STATUS_LABELS[state.status] if state else STATUS_LABELS[Status.NOT_STARTED],
            "latest_note": f"{lead}: {note}" if note else "",
            "updated_at": vn_date(updated_at),
        })
    return rows


def assignment_detail(session: Session, actor: Actor, assignment_id: Any, today: date) -> dict:
    """What the update form shows: the task, the saved values, the version and whether the actor
    may edit (a leader, or the secretariat for another province's data, only reads; nobody edits a
    part that no longer counts: its task withdrawn or its lead replaced)."""
    assignment = _visible_assignment(session, actor, assignment_id)
    in_force = session.scalar(select(Assignment.id).join(Task, Task.id == Assignment.task_id).where(
        Assignment.id == assignment.id, task_in_force(today), assignment_in_force(today))) is not None
    task = session.get(Task, assignment.task_id)
    plan = session.get(Plan, task.plan_id)
    section = session.get(Section, task.section_id) if task.section_id else None
    state = assignment_situations(session, plan, assignment_ids=[assignment.id], day=today)[assignment.id]
    agency = session.get(Agency, assignment.agency_id)
    return {
        "id": assignment.id,
        "version": assignment.version,
        "agency": agency.name,
        "stt": task.stt,
        "title": task.title,
        "section": _section_name(section.code, section.title) if section else "",
        "lead": task.lead_text,
        "coordinators": task.coordinators_text,
        "deadline": " — ".join(filter(None, [
            task.deadline_text, vn_date(task.due_date),
            DEADLINE_KIND_LABELS[DeadlineKind(task.deadline_kind)]])),
        "product": task.expected_product,
        "situation_label": SITUATION_LABELS[state.situation],
        "deadline_passed": state.deadline_passed,
        "values": form_values(assignment),
        "review": review_of(session, assignment),
        "archived": archived_message(plan) if plan.archived_at else "",  # read-only, whoever asks
        "can_edit": in_force and plan.archived_at is None
        and can_act_for_agency(actor, assignment.agency_id, agency.province_id),
    }


def assignment_history(session: Session, actor: Actor, assignment_id: int) -> list[dict]:
    """Every change of the assignment, oldest first: when, who (and on whose behalf), old → new."""
    _visible_assignment(session, actor, assignment_id)
    behalf = aliased(Agency)
    rows = session.execute(
        select(ChangeLog, User.full_name, User.username, behalf.name)
        .outerjoin(User, User.id == ChangeLog.user_id)
        .outerjoin(behalf, behalf.id == ChangeLog.on_behalf_of_agency_id)
        .where(and_(ChangeLog.entity == "assignment", ChangeLog.entity_id == assignment_id))
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    ).all()
    return [
        {
            "when": vn_date(log.occurred_at),
            "who": (full_name or username or SOURCE_LABELS.get(log.source, "Hệ thống"))
                   + (f" (thay mặt {behalf_name})" if behalf_name else ""),
            "field": FIELD_LABELS.get(log.field, log.field),
            "old": display_value(log.field, _typed(log.field, log.old_value)) or "(trống)",
            "new": display_value(log.field, _typed(log.field, log.new_value)) or "(trống)",
        }
        for log, full_name, username, behalf_name in rows
    ]


def _typed(field: str, text: str | None):
    """Change-log values are text; dates were stored ISO and are shown dd/mm/yyyy."""
    if field == "completed_on" and text:
        return vn_date(date.fromisoformat(text))
    return text


def agency_options(session: Session, actor: Actor, plan: Plan) -> list[dict]:
    """The agencies the actor may open a workspace for (for secretariat and leaders: every agency
    leading an assignment in force today, as the workspace lists only those)."""
    return [{"label": name, "value": agency_id} for agency_id, name in plan_agencies(session, plan)
            if can_view_agency(actor, agency_id, plan.province_id)]
