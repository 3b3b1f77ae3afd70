"""Changing the plan during the year (DOMAIN.md): the secretariat edits a task, adds one, extends
a deadline by a decision (gia hạn) and withdraws a task by a decision.

Rules, each stated once here (how they count: services.reporting.rollup's docstring):
- Only the secretariat or an admin of the plan's province writes, and not in an archived plan
  (services.plans.catalogue.ensure_open raises PlanArchived, whose message the page shows).
- Every write locks the task and checks its version, so two people editing one task never
  overwrite each other silently; each changed field is logged with who and when
  (services.tasks.history), in the same transaction. Bad input: Vietnamese messages, nothing changed.
- A decision takes effect on a day: not before the decision's date and not after today. Its log
  rows carry that day (occurred_at; today: the moment itself), and the moment it was typed (recorded_at).
- Editing the deadline text corrects the deadline in force (a typo, every as-of view follows); an
  extension keeps the printed deadline in `task_deadlines` and the new one counts from its day.
- Leads: a lead removed ends its assignment on the effective day (its states and history stay, so
  earlier as-of views still count it); a lead added opens an assignment that counts from that day,
  or reopens its ended one, only with an effective day on or before its end (undoing a removal made
  by mistake): reopened later, it would count over the gap and change earlier days' figures.
  When one agency replaces another (reorganisation) and the secretariat ticks "carry over", the
  work done stays with the task: the new assignment starts with the old one's status, progress,
  result, reasons and completion date, the old one counting until the day before.
- A withdrawn task takes its sub-items with it; it leaves every count from the effective day.
- A change effective inside a closed period (an extension, a withdrawal, a lead change, a task
  added) is refused on its effective day (services.publication.published): the published figures
  stay true. A change effective before a closed period is allowed; the overview then says how the
  figures counted again differ from the published ones. A deadline correction has no day: it
  rewrites the deadline in force from its first day, so a close covering any day from then on
  refuses it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from models import Agency, Assignment, ChangeLog, Plan, Province, Section, Task, TaskCoordinator, TaskDeadline, User
from services.accounts.permissions import Actor, NotAllowed, can_manage_province
from services.common.clock import now
from services.common.inputs import MAX_TEXT_LENGTH, clean_text, id_from_text, strict_int
from services.common.queries import plan_sections, vn_date
from services.common.saving import NO_VERSION_MESSAGE, Outcome, SaveResult, writer_label
from services.common.text import matches, search_words
from services.plans.agencies import AgencyDirectory
from services.plans.catalogue import archived_message, ensure_open
from services.plans.deadlines import DEADLINE_KIND_LABELS, DeadlineKind, parse_date, parse_deadline
from services.plans.statuses import STATUS_LABELS, Status
from services.publication.closing import ensure_no_close_from
from services.publication.published import PeriodClosed, ensure_not_closed
from services.reporting.rollup import task_progress
from services.tasks.history import SOURCE_LABELS, apply_changes, open_first_state, record_change
from services.tasks.updates import FIELD_LABELS as ASSIGNMENT_LABELS
from services.tasks.updates import display_value as assignment_value

TASK_FIELDS = ("section_id", "title", "lead_text", "coordinators_text", "deadline_text", "expected_product")
LABELS = {
    "stt": "STT",
    "section_id": "Nhóm nhiệm vụ",
    "title": "Nhiệm vụ",
    "lead_text": "Cơ quan chủ trì",
    "coordinators_text": "Cơ quan phối hợp",
    "deadline_text": "Thời hạn",
    "due_date": "Hạn hoàn thành",
    "deadline_kind": "Loại thời hạn",
    "expected_product": "Sản phẩm/Kết quả",
    "effective_on": "Ngày hiệu lực",
    "carry_over": "Chuyển kết quả",
    "decision": "Văn bản quyết định",
    "decided_on": "Ngày văn bản",
    "reason": "Lý do",
    "added_on": "Bổ sung vào kế hoạch từ ngày",
    "withdrawn_on": "Rút khỏi kế hoạch từ ngày",
    "withdrawal_reason": "Lý do rút",
    "withdrawal_decision": "Văn bản rút nhiệm vụ",
    "withdrawal_decided_on": "Ngày văn bản rút",
    "extension": "Gia hạn",
    "lead_added": "Giao thêm cơ quan chủ trì",
    "lead_removed": "Thôi giao cơ quan chủ trì",
    "lead_carried": "Chuyển kết quả sang cơ quan mới",
    "ended_on": "Thôi giao từ ngày",
}
DATE_FIELDS = {"due_date", "added_on", "withdrawn_on", "withdrawal_decided_on", "ended_on", "completed_on"}
MAX_STT = 20
MAX_DECISION = 200
MAX_DEADLINE = 300
EXTENDED_KINDS = (DeadlineKind.ONE_OFF, DeadlineKind.MULTI_YEAR)


# ---- who, which task, which version --------------------------------------------------------------

def require_plan_editor(actor: Actor, plan: Plan) -> None:
    """NotAllowed unless the actor maintains plans (secretariat, admin) in the plan's province."""
    if not can_manage_province(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not edit plan {plan.id}")


def _task(session: Session, actor: Actor, task_id: Any, *, lock: bool = False) -> tuple[Task, Plan]:
    """The task and its plan if the actor may edit that plan; NotAllowed otherwise (unknown ids too)."""
    key = id_from_text(task_id)
    task = session.get(Task, key, with_for_update=lock) if key is not None else None
    if task is None:
        raise NotAllowed(f"no task {task_id!r}")
    plan = session.get(Plan, task.plan_id)
    require_plan_editor(actor, plan)
    return task, plan


def _last_writer(session: Session, task: Task) -> str:
    log = session.scalar(select(ChangeLog).where(ChangeLog.entity == "task", ChangeLog.entity_id == task.id)
                         .order_by(ChangeLog.recorded_at.desc(), ChangeLog.id.desc()).limit(1))
    return writer_label(session, log.user_id, log.recorded_at) if log else "người khác"


def form_values(task: Task) -> dict[str, str]:
    """The task as the edit form shows it (also what a conflict shows as saved)."""
    return {"section_id": str(task.section_id or ""), "title": task.title, "lead_text": task.lead_text,
            "coordinators_text": task.coordinators_text, "deadline_text": task.deadline_text,
            "expected_product": task.expected_product}


def _refusal(session: Session, task: Task, plan: Plan, version: Any) -> SaveResult | None:
    """Why this write may not go ahead (stale or missing version, withdrawn task); PlanArchived for
    an archived plan."""
    current = form_values(task)
    if strict_int(version) is None:
        return SaveResult(Outcome.CONFLICT, task.version, f"{NO_VERSION_MESSAGE} nhiệm vụ.", current=current)
    if version != task.version:
        return SaveResult(Outcome.CONFLICT, task.version, current=current, message=(
            f"Nhiệm vụ vừa được {_last_writer(session, task)} sửa, nên thay đổi của bạn chưa được lưu. "
            "Nội dung bạn đã nhập vẫn giữ nguyên; hãy xem bản đã lưu rồi bấm lưu lại nếu vẫn muốn ghi."))
    ensure_open(plan)
    if task.withdrawn_on is not None:
        return SaveResult(Outcome.INVALID, task.version, (
            f"Nhiệm vụ đã rút khỏi kế hoạch từ ngày {vn_date(task.withdrawn_on)} "
            f"({task.withdrawal_decision}) nên không sửa được."))
    return None


def _invalid(version: int, errors: dict[str, str]) -> SaveResult:
    return SaveResult(Outcome.INVALID, version, "Chưa lưu: hãy sửa các mục sau.", errors=errors)


def _moment(day: date, when: datetime) -> datetime:
    """When a change effective on `day` is logged: the moment itself if today, else that day's start."""
    return when if day == when.date() else datetime.combine(day, time.min)


# ---- reading the form ----------------------------------------------------------------------------

class _Form:
    """Untrusted form values read one field at a time; each problem becomes a message per field."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw if isinstance(raw, Mapping) else {}
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT_LENGTH) -> str:
        value, message = clean_text(self.raw.get(name), LABELS[name], max_length)
        if message:
            self.errors[name] = message
        elif required and not value:
            self.errors[name] = f"Nhập {LABELS[name].lower()}."
        return value

    def day(self, name: str, *, default: date | None = None, required: bool = False) -> date | None:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required and default is None:
                self.errors[name] = f"Nhập {LABELS[name].lower()} (dd/mm/yyyy)."
            return default
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return parse_date(value)
        except ValueError:
            self.errors[name] = f"{LABELS[name]} không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 15/04/2026."
            return None

    def section(self, session: Session, plan: Plan) -> int | None:
        section_id = id_from_text(self.raw.get("section_id"))
        if section_id is None or section_id not in dict(plan_sections(session, plan)):
            self.errors["section_id"] = "Chọn nhóm nhiệm vụ của kế hoạch."
            return None
        return section_id

    def deadline(self, plan: Plan, name: str = "deadline_text"):
        printed = self.text(name, required=True, max_length=MAX_DEADLINE)
        if name in self.errors:
            return None
        deadline = parse_deadline(printed, plan.year)
        if deadline.needs_review:
            self.errors[name] = (f"Không hiểu thời hạn “{printed}”; nhập ví dụ “Quý II/{plan.year}”, "
                                 f"“30/06/{plan.year}”, “Năm {plan.year}” hoặc “Thường xuyên”.")
            return None
        return deadline

    def effective(self, plan: Plan, today: date, *, default: date, not_before: date | None = None,
                  not_before_label: str = "") -> date | None:
        """The day a change takes effect: within the plan's time, not after today."""
        day = self.day("effective_on", default=default)
        if day is None:
            return None
        if day > today:
            self.errors["effective_on"] = "Ngày hiệu lực không được sau ngày hôm nay."
        elif day < plan.starts_on:
            self.errors["effective_on"] = ("Ngày hiệu lực không được trước ngày bắt đầu kế hoạch "
                                           f"({vn_date(plan.starts_on)}).")
        elif not_before is not None and day < not_before:
            self.errors["effective_on"] = f"Ngày hiệu lực không được trước {not_before_label} ({vn_date(not_before)})."
        return day

    def not_closed(self, session: Session, plan: Plan, day: date | None) -> None:
        """A change effective inside a closed period (chốt số liệu) would rewrite published figures."""
        if day is None or "effective_on" in self.errors:
            return
        try:
            ensure_not_closed(session, plan, day)
        except PeriodClosed as exc:
            self.errors["effective_on"] = str(exc)

    def not_published_from(self, session: Session, plan: Plan, day: date, name: str) -> None:
        """A correction with no day of its own rewrites every day from `day` on: refused while a
        close in force covers any of them (reopening the period comes first)."""
        try:
            ensure_no_close_from(session, plan, day)
        except PeriodClosed as exc:
            self.errors[name] = str(exc)

    def decision(self, today: date) -> tuple[str, date | None]:
        number = self.text("decision", required=True, max_length=MAX_DECISION)
        decided_on = self.day("decided_on", required=True)
        if decided_on is not None and decided_on > today:
            self.errors["decided_on"] = "Ngày văn bản không được sau ngày hôm nay."
        return number, decided_on


@dataclass(frozen=True)
class _Leads:
    """The assignments a lead text makes: (member agency, the lead named) per member, groups split."""

    assignees: list[tuple[Agency, Agency]]
    coordinators: list[Agency]


def _agencies(session: Session, plan: Plan, form: _Form, lead_text: str, coordinators_text: str,
              lead_required: bool) -> _Leads:
    directory = AgencyDirectory(session, session.get(Province, plan.province_id))
    leads, coordinating = directory.resolve(lead_text), directory.resolve(coordinators_text)
    for name, resolution in (("lead_text", leads), ("coordinators_text", coordinating)):
        if resolution.unknown:
            form.errors[name] = ("Chưa có trong danh mục cơ quan: "
                                 + ", ".join(f"“{n}”" for n in resolution.unknown) + ".")
    for lead in leads.agencies:
        if not directory.expand(lead):
            form.errors["lead_text"] = f"Nhóm “{lead.name}” chưa có cơ quan thành viên nên không giao được."
    assignees = directory.assignees(leads.agencies)
    if lead_required and not assignees and "lead_text" not in form.errors:
        form.errors["lead_text"] = "Nhập cơ quan chủ trì."
    return _Leads(assignees, coordinating.agencies)


# ---- edit and add -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _LeadMoves:
    ended: list[Assignment]
    reopened: list[tuple[Assignment, Agency]]
    opened: list[tuple[Agency, Agency]]  # (member, lead named)
    carried_from: Assignment | None


def _lead_moves(session: Session, task: Task, leads: _Leads, carry_over: bool, form: _Form,
                day: date | None) -> _LeadMoves:
    """What the new leads do to the task's assignments, effective on `day`. The assignments are
    locked: an agency saving one at the same moment waits, then meets the new version."""
    current = {a.agency_id: a for a in session.scalars(
        select(Assignment).where(Assignment.task_id == task.id).with_for_update())}
    wanted = {member.id: (member, lead) for member, lead in leads.assignees}
    ended = [a for agency_id, a in current.items() if a.ended_on is None and agency_id not in wanted]
    reopened = [(current[i], lead) for i, (_, lead) in wanted.items() if i in current and current[i].ended_on]
    late = [(member, current[i].ended_on) for i, (member, _) in wanted.items()
            if i in current and current[i].ended_on and day is not None and day > current[i].ended_on]
    if late:
        # One assignment per task and agency: reopened later, it would count over the gap too and
        # change the figures of days before this decision.
        form.errors["lead_text"] = " ".join(
            f"{member.name} đã thôi chủ trì nhiệm vụ từ ngày {vn_date(ended_on)}: chỉ giao lại được với ngày "
            "hiệu lực từ ngày đó trở về trước (sửa một thay đổi nhầm); giao lại về sau thì thêm nhiệm vụ mới."
            for member, ended_on in late)
    opened = [pair for i, pair in wanted.items() if i not in current]
    carried_from = None
    if carry_over:
        if len(ended) == 1 and len(opened) == 1 and not reopened:
            carried_from = ended[0]
        else:
            form.errors["carry_over"] = ("Chỉ chuyển được kết quả khi thay đúng một cơ quan chủ trì bằng "
                                         "một cơ quan mới.")
    return _LeadMoves(ended, reopened, opened, carried_from)


def _apply_lead_moves(session: Session, task: Task, moves: _LeadMoves, day: date, when: datetime,
                      actor: Actor) -> None:
    log = {"recorded_at": when, "user_id": actor.id}
    moment = _moment(day, when)
    names = {a.id: a.name for a in session.scalars(select(Agency).where(Agency.id.in_(
        [a.agency_id for a in moves.ended] + [a.agency_id for a, _ in moves.reopened])))}
    for assignment in moves.ended:
        apply_changes(session, "assignment", assignment, {"ended_on": day}, when=moment, **log)
        record_change(session, "task", task.id, "lead_removed", names[assignment.agency_id], None,
                      when=moment, **log)
    for assignment, lead in moves.reopened:
        apply_changes(session, "assignment", assignment,
                      {"ended_on": None, "via_group_id": lead.id if lead.is_group else None}, when=moment, **log)
        record_change(session, "task", task.id, "lead_added", None, names[assignment.agency_id], when=moment, **log)
    source = moves.carried_from
    for member, lead in moves.opened:
        carried = {} if source is None else {
            "status": source.status, "progress": source.progress, "result": source.result,
            "delay_reason": source.delay_reason, "note": source.note, "completed_on": source.completed_on,
            "review_state": source.review_state, "review_comment": source.review_comment,
            "reviewed_at": source.reviewed_at, "reviewed_by_id": source.reviewed_by_id, "updated_at": source.updated_at,
            "updated_by_id": source.updated_by_id}
        assignment = Assignment(task_id=task.id, agency_id=member.id,
                                via_group_id=lead.id if lead.is_group else None, **carried)
        session.add(assignment)
        session.flush()
        open_first_state(session, assignment, moment)
        record_change(session, "task", task.id, "lead_added", None, member.name, when=moment, **log)
        if source is not None:
            record_change(session, "task", task.id, "lead_carried", names[source.agency_id], member.name,
                          when=moment, **log)


def _replace_coordinators(session: Session, task: Task, agencies: list[Agency]) -> None:
    """Coordinators are kept as named (groups unexpanded); the change log has their text."""
    session.execute(delete(TaskCoordinator).where(TaskCoordinator.task_id == task.id)
                    .execution_options(figures_unaffected=True))
    for agency_id in dict.fromkeys(a.id for a in agencies):
        session.add(TaskCoordinator(task_id=task.id, agency_id=agency_id))


def _has_sub_items(session: Session, task: Task) -> bool:
    return session.scalar(select(func.count(Task.id)).where(Task.parent_id == task.id)) > 0


def _deadline_in_force_since(session: Session, task: Task, plan: Plan) -> date:
    """The first day the deadline a correction rewrites counts for: its extension's day, or the
    plan's start for the printed deadline."""
    since = session.scalar(select(TaskDeadline.valid_from).where(TaskDeadline.task_id == task.id,
                                                                 TaskDeadline.valid_to.is_(None)))
    return since or plan.starts_on


def edit_task(session: Session, actor: Actor, task_id: Any, version: Any, raw: Mapping[str, Any], *,
              when: datetime | None = None) -> SaveResult:
    """Save the edit form: title, section, deadline (a correction), leads, coordinators, product.
    Lead changes take effect on `effective_on` (default today); `carry_over` moves the work done
    when one agency replaces another."""
    task, plan = _task(session, actor, task_id, lock=True)
    if refused := _refusal(session, task, plan, version):
        return refused
    when = when or now()
    form = _Form(raw)
    values = {"section_id": form.section(session, plan), "title": form.text("title", required=True),
              "lead_text": form.text("lead_text"), "coordinators_text": form.text("coordinators_text"),
              "expected_product": form.text("expected_product")}
    deadline = None
    printed = form.text("deadline_text", max_length=MAX_DEADLINE)
    if printed != task.deadline_text and "deadline_text" not in form.errors:
        deadline = form.deadline(plan)
        if deadline is not None and (deadline.due_date, deadline.kind.value) != (task.due_date, task.deadline_kind):
            # The wording alone changes no figure; a new date or kind rewrites every day it was in force.
            form.not_published_from(session, plan, _deadline_in_force_since(session, task, plan), "deadline_text")
    moves = leads = None
    if (values["lead_text"], values["coordinators_text"]) != (task.lead_text, task.coordinators_text):
        leads = _agencies(session, plan, form, values["lead_text"], values["coordinators_text"],
                          lead_required=not _has_sub_items(session, task))
    day = form.effective(plan, when.date(), default=when.date(), not_before=task.added_on,
                         not_before_label="ngày bổ sung nhiệm vụ")
    if leads is not None:
        moves = _lead_moves(session, task, leads, form.raw.get("carry_over") is True, form, day)
        form.not_closed(session, plan, day)
    if form.errors:
        return _invalid(task.version, form.errors)

    changes = dict(values)
    if deadline is not None:
        changes |= {"deadline_text": deadline.text, "due_date": deadline.due_date,
                    "deadline_kind": deadline.kind.value}
        for row in session.scalars(select(TaskDeadline).where(TaskDeadline.task_id == task.id,
                                                              TaskDeadline.valid_to.is_(None))):
            row.deadline_text, row.due_date, row.deadline_kind = deadline.text, deadline.due_date, deadline.kind.value
    changed = apply_changes(session, "task", task, changes, when=when, recorded_at=when, user_id=actor.id)
    if not changed:  # leads move only when their text changed, which is a change of the task
        return SaveResult(Outcome.UNCHANGED, task.version, "Không có thay đổi nào để lưu.")
    if moves is not None:
        _replace_coordinators(session, task, leads.coordinators)
        _apply_lead_moves(session, task, moves, day, when, actor)
    session.flush()
    return SaveResult(Outcome.SAVED, task.version, "Đã lưu nhiệm vụ.", current=form_values(task))


def _position_in(session: Session, plan: Plan, section_id: int) -> int:
    """The position after the section's last task (or the sections before it); later tasks move down."""
    section_position = session.scalar(select(Section.position).where(Section.id == section_id))
    earlier = select(Section.id).where(Section.plan_id == plan.id, Section.position <= section_position)
    last = session.scalar(select(func.max(Task.position)).where(Task.plan_id == plan.id,
                                                                 Task.section_id.in_(earlier))) or 0
    # Core, not ORM: positions are layout, not a change of the tasks people edit (no version bump).
    session.execute(Task.__table__.update().where(Task.plan_id == plan.id, Task.position > last)
                    .values(position=Task.position + 1).execution_options(figures_unaffected=True))
    return last + 1


def add_task(session: Session, actor: Actor, plan: Plan, raw: Mapping[str, Any], *,
             when: datetime | None = None) -> SaveResult:
    """Add a task to a section with its STT; it counts from `effective_on` (default today)."""
    require_plan_editor(actor, plan)
    ensure_open(plan)
    when = when or now()
    form = _Form(raw)
    stt = form.text("stt", required=True, max_length=MAX_STT)
    if stt and session.scalar(select(Task.id).where(Task.plan_id == plan.id, Task.stt == stt)) is not None:
        form.errors["stt"] = f"Kế hoạch đã có nhiệm vụ STT {stt}; chọn số khác."
    values = {"section_id": form.section(session, plan), "title": form.text("title", required=True),
              "lead_text": form.text("lead_text"), "coordinators_text": form.text("coordinators_text"),
              "expected_product": form.text("expected_product")}
    deadline = form.deadline(plan)
    leads = _agencies(session, plan, form, values["lead_text"], values["coordinators_text"], lead_required=True)
    day = form.effective(plan, when.date(), default=when.date())
    form.not_closed(session, plan, day)
    if form.errors:
        return _invalid(0, form.errors)

    task = Task(plan_id=plan.id, position=_position_in(session, plan, values["section_id"]))
    apply_changes(session, "task", task, {"stt": stt, **values, "deadline_text": deadline.text,
                                          "due_date": deadline.due_date, "deadline_kind": deadline.kind.value,
                                          "added_on": day},
                  when=_moment(day, when), recorded_at=when, user_id=actor.id)
    task.root_id = task.id
    _replace_coordinators(session, task, leads.coordinators)
    _apply_lead_moves(session, task, _LeadMoves([], [], leads.assignees, None), day, when, actor)
    session.flush()
    return SaveResult(Outcome.SAVED, task.version, f"Đã thêm nhiệm vụ STT {stt}.",
                      current={"id": task.id, **form_values(task)})


# ---- decisions: extension and withdrawal --------------------------------------------------------

def extend_deadline(session: Session, actor: Actor, task_id: Any, version: Any, raw: Mapping[str, Any], *,
                    when: datetime | None = None) -> SaveResult:
    """Gia hạn: the new deadline (deadline_text), the decision (decision, decided_on) and the day it
    takes effect (effective_on, default the decision's date)."""
    task, plan = _task(session, actor, task_id, lock=True)
    if refused := _refusal(session, task, plan, version):
        return refused
    when = when or now()
    form = _Form(raw)
    deadline = form.deadline(plan)
    if task.due_date is None:
        form.errors["deadline_text"] = (f"Nhiệm vụ không có hạn hoàn thành ({task.deadline_text or 'chưa ghi'}) "
                                        "nên không gia hạn được; nếu cần đặt thời hạn, hãy sửa nhiệm vụ.")
    elif deadline is not None and deadline.kind not in EXTENDED_KINDS:
        form.errors["deadline_text"] = (f"Thời hạn gia hạn phải là một thời điểm cụ thể, ví dụ “30/06/{plan.year}” "
                                        f"hoặc “Quý II/{plan.year}”.")
    elif deadline is not None and task.due_date is not None and deadline.due_date <= task.due_date:
        form.errors["deadline_text"] = (f"Thời hạn mới ({vn_date(deadline.due_date)}) phải sau thời hạn hiện tại "
                                        f"({vn_date(task.due_date)}).")
    number, decided_on = form.decision(when.date())
    current = session.scalar(select(TaskDeadline).where(TaskDeadline.task_id == task.id,
                                                        TaskDeadline.valid_to.is_(None)))
    floor, label = decided_on, "ngày văn bản"
    if current is not None and current.valid_from and (floor is None or current.valid_from > floor):
        floor, label = current.valid_from, "ngày hiệu lực của lần gia hạn trước"
    day = form.effective(plan, when.date(), default=decided_on, not_before=floor, not_before_label=label)
    form.not_closed(session, plan, day)
    if form.errors:
        return _invalid(task.version, form.errors)

    recorded = {"recorded_at": when, "recorded_by_id": actor.id}
    if current is None:  # the printed deadline, from the start until the extension
        session.add(TaskDeadline(task_id=task.id, deadline_text=task.deadline_text, due_date=task.due_date,
                                 deadline_kind=task.deadline_kind, valid_from=None, valid_to=day, decision="",
                                 **recorded))
    else:
        current.valid_to = day
    session.add(TaskDeadline(task_id=task.id, deadline_text=deadline.text, due_date=deadline.due_date,
                             deadline_kind=deadline.kind.value, valid_from=day, valid_to=None, decision=number,
                             decided_on=decided_on, **recorded))
    moment = _moment(day, when)
    record_change(session, "task", task.id, "extension", None,
                  f"{number} ngày {vn_date(decided_on)}: đến {vn_date(deadline.due_date)}, từ ngày {vn_date(day)}",
                  when=moment, recorded_at=when, user_id=actor.id)
    apply_changes(session, "task", task, {"deadline_text": deadline.text, "due_date": deadline.due_date,
                                          "deadline_kind": deadline.kind.value},
                  when=moment, recorded_at=when, user_id=actor.id)
    session.flush()
    return SaveResult(Outcome.SAVED, task.version,
                      f"Đã gia hạn đến {vn_date(deadline.due_date)} theo {number}, từ ngày {vn_date(day)}.",
                      current=form_values(task))


def _with_sub_items(session: Session, task: Task) -> list[Task]:
    found, frontier = [task], [task.id]
    while frontier:
        children = session.scalars(select(Task).where(Task.parent_id.in_(frontier))).all()
        found += children
        frontier = [child.id for child in children]
    return found


def withdraw_task(session: Session, actor: Actor, task_id: Any, version: Any, raw: Mapping[str, Any], *,
                  when: datetime | None = None) -> SaveResult:
    """Rút nhiệm vụ: the reason, the decision (decision, decided_on) and the day the task and its
    sub-items leave the counts (effective_on, default the decision's date)."""
    task, plan = _task(session, actor, task_id, lock=True)
    if refused := _refusal(session, task, plan, version):
        return refused
    when = when or now()
    form = _Form(raw)
    reason = form.text("reason", required=True)
    number, decided_on = form.decision(when.date())
    floor, label = decided_on, "ngày văn bản"
    if task.added_on is not None and (floor is None or task.added_on > floor):
        floor, label = task.added_on, "ngày bổ sung nhiệm vụ"
    day = form.effective(plan, when.date(), default=decided_on, not_before=floor, not_before_label=label)
    form.not_closed(session, plan, day)
    if form.errors:
        return _invalid(task.version, form.errors)

    changes = {"withdrawn_on": day, "withdrawal_reason": reason, "withdrawal_decision": number,
               "withdrawal_decided_on": decided_on}
    for each in _with_sub_items(session, task):
        if each.withdrawn_on is None:
            apply_changes(session, "task", each, changes, when=_moment(day, when), recorded_at=when,
                          user_id=actor.id)
    session.flush()
    return SaveResult(Outcome.SAVED, task.version,
                      f"Đã rút nhiệm vụ STT {task.stt} khỏi kế hoạch từ ngày {vn_date(day)} theo {number}.",
                      current=form_values(task))


# ---- what the page shows ------------------------------------------------------------------------

def plan_task_rows(session: Session, actor: Actor, plan: Plan) -> list[dict]:
    """Every task of the plan, withdrawn ones too, for the editing grid (with a `search` text)."""
    require_plan_editor(actor, plan)
    extended = dict(session.execute(
        select(TaskDeadline.task_id, func.count(TaskDeadline.id) - 1)
        .join(Task, Task.id == TaskDeadline.task_id).where(Task.plan_id == plan.id)
        .group_by(TaskDeadline.task_id)).all())
    tasks = session.execute(
        select(Task, Section.code).outerjoin(Section, Section.id == Task.section_id)
        .where(Task.plan_id == plan.id).order_by(Task.position)).all()
    progress = task_progress(session, plan, [t.id for t, _ in tasks if t.parent_id is None])
    rows = []
    for task, code in tasks:
        if task.withdrawn_on is not None:
            state = f"Đã rút từ {vn_date(task.withdrawn_on)}"
        elif task.id in progress:
            state = STATUS_LABELS[progress[task.id].status]
        else:
            state = ""
        rows.append({
            "id": task.id, "row_id": str(task.id), "stt": task.stt, "section": code or "", "title": task.title,
            "lead": task.lead_text, "deadline_text": task.deadline_text, "due_date": vn_date(task.due_date),
            "state": state, "withdrawn": task.withdrawn_on is not None,
            "extended": f"{extended[task.id]} lần" if extended.get(task.id) else "",
            "search": " ".join([task.stt, task.title, task.lead_text, task.coordinators_text, task.deadline_text,
                                task.expected_product]),
        })
    return rows


def search_rows(rows: list[dict], text: Any) -> list[dict]:
    """The rows matching the search (every word, any order, diacritics ignored: services.common.text.matches)."""
    words = search_words(text)
    return [{k: v for k, v in row.items() if k != "search"} for row in rows if matches(words, row["search"])]


def task_detail(session: Session, actor: Actor, task_id: Any) -> dict:
    """What the page shows of one task: the form's values, its version, deadlines over time and the
    agencies leading it (ended ones too)."""
    task, plan = _task(session, actor, task_id)
    section = session.get(Section, task.section_id) if task.section_id else None
    deadlines = [
        {"from": vn_date(d.valid_from) or "đầu kế hoạch", "to": vn_date(d.valid_to) or "nay",
         "text": d.deadline_text, "due": vn_date(d.due_date),
         "decision": f"{d.decision} ngày {vn_date(d.decided_on)}" if d.decision else "Thời hạn ban hành"}
        for d in session.scalars(select(TaskDeadline).where(TaskDeadline.task_id == task.id)
                                 .order_by(TaskDeadline.valid_from.is_not(None), TaskDeadline.valid_from,
                                           TaskDeadline.id))
    ]
    group = aliased(Agency)
    leads = [
        {"agency": name + (f" (thuộc {group_name})" if group_name else ""),
         "status": STATUS_LABELS[Status(a.status)],
         "ended": f"thôi giao từ {vn_date(a.ended_on)}" if a.ended_on else ""}
        for a, name, group_name in session.execute(
            select(Assignment, Agency.name, group.name).join(Agency, Agency.id == Assignment.agency_id)
            .outerjoin(group, group.id == Assignment.via_group_id)
            .where(Assignment.task_id == task.id).order_by(Assignment.ended_on.is_not(None), Agency.name))
    ]
    withdrawn = "" if task.withdrawn_on is None else (
        f"Đã rút khỏi kế hoạch từ ngày {vn_date(task.withdrawn_on)} theo {task.withdrawal_decision} "
        f"ngày {vn_date(task.withdrawal_decided_on)}. Lý do: {task.withdrawal_reason}")
    return {
        "id": task.id, "version": task.version, "stt": task.stt, "title": task.title,
        "section": f"{section.code}. {section.title}" if section else "",
        "deadline": " — ".join(filter(None, [task.deadline_text, vn_date(task.due_date),
                                             DEADLINE_KIND_LABELS[DeadlineKind(task.deadline_kind)]])),
        "added": f"Bổ sung vào kế hoạch từ ngày {vn_date(task.added_on)}." if task.added_on else "",
        "withdrawn": withdrawn, "deadlines": deadlines, "leads": leads,
        "archived": archived_message(plan) if plan.archived_at is not None else "",
        "values": form_values(task), "read_only": bool(withdrawn) or plan.archived_at is not None,
    }


def _shown(session: Session, field: str, text: str | None) -> str:
    """A change-log value as people read it: dates dd/mm/yyyy, a section by its name, kinds and
    statuses by their labels."""
    if not text:
        return "(trống)"
    if field in DATE_FIELDS:
        return vn_date(date.fromisoformat(text))
    if field == "section_id" and text.isdigit():
        section = session.get(Section, int(text))
        return f"{section.code}. {section.title}" if section else text
    if field == "deadline_kind" and text in DeadlineKind._value2member_map_:
        return DEADLINE_KIND_LABELS[DeadlineKind(text)]
    if field in ASSIGNMENT_LABELS:
        return assignment_value(field, text) or "(trống)"
    return text


def task_history(session: Session, actor: Actor, task_id: Any) -> list[dict]:
    """Every change of the task and of the parts its agencies lead, oldest first."""
    task, _ = _task(session, actor, task_id)
    assignments = dict(session.execute(
        select(Assignment.id, Agency.name).join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.task_id == task.id)).all())
    rows = session.execute(
        select(ChangeLog, User.full_name, User.username).outerjoin(User, User.id == ChangeLog.user_id)
        .where(or_(and_(ChangeLog.entity == "task", ChangeLog.entity_id == task.id),
                   and_(ChangeLog.entity == "assignment", ChangeLog.entity_id.in_(list(assignments)))))
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    ).all()
    result = []
    for log, full_name, username in rows:
        label = LABELS.get(log.field) or ASSIGNMENT_LABELS.get(log.field, log.field)
        if log.entity == "assignment":
            label = f"{assignments[log.entity_id]} — {label}"
        result.append({"when": vn_date(log.occurred_at),
                       "who": full_name or username or SOURCE_LABELS.get(log.source, "Hệ thống"),
                       "field": label, "old": _shown(session, log.field, log.old_value),
                       "new": _shown(session, log.field, log.new_value)})
    return result


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """"Thời hạn: Quý I/2026 → Quý II/2026" for each form field that differs (a conflict's detail)."""
    return [f"{LABELS[name]}: {before.get(name) or '(trống)'} → {after.get(name) or '(trống)'}"
            for name in TASK_FIELDS if (before.get(name) or "") != (after.get(name) or "")]
