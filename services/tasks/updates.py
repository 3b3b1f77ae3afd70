"""An agency's update of one assignment: validation, ownership and no lost updates.

The form sends untrusted values (any JSON a client can forge). `validate_update` turns them into a
`ValidUpdate` or Vietnamese messages per field and never raises. `save_update` checks who may
write, that the plan is not archived and the day not inside a closed period, refuses a stale or
missing version with the current values (QUALITY.md I1), and applies the change through
services.tasks.history, so the row, its state interval and the change log are written together or not
at all; a change of what the secretariat reviewed sends it back for review (services.tasks.review).
`confirm_unchanged` reports several assignments unchanged for the period at once, with the same checks.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Task
from services.accounts.permissions import Actor, NotAllowed, can_act_for_agency, require_province
from services.common.clock import now
from services.common.inputs import clean_text, ids_with_versions, strict_int
from services.common.queries import agency_province, vn_date
from services.common.saving import NO_VERSION_MESSAGE, Outcome, SaveResult, writer_label
from services.plans.catalogue import ensure_open
from services.plans.deadlines import parse_date
from services.plans.statuses import STATUS_LABELS, Status, status_from
from services.publication.published import PeriodClosed, ensure_not_closed
from services.reporting.rollup import assignment_in_force, assignment_situations, task_in_force
from services.reporting.periods import parse_period
from services.tasks.history import UNCHANGED, apply_assignment_change, report_unchanged
from services.tasks.review import COMMENT_LABEL, RETURNED, REVIEW_LABELS, state_after_report
from services.tasks.submissions import current_period

TEXT_FIELDS = ("result", "delay_reason", "note")
FORM_FIELDS = ("status", "progress", "completed_on") + TEXT_FIELDS
FIELD_LABELS = {
    "status": "Tình trạng",
    "progress": "Tiến độ (%)",
    "completed_on": "Ngày hoàn thành",
    "result": "Kết quả/Sản phẩm",
    "delay_reason": "Lý do chưa hoàn thành/chậm",
    "note": "Ghi chú",
    "review_state": "Xác nhận của Tổ giúp việc",
    "review_comment": COMMENT_LABEL,
    UNCHANGED: "Không thay đổi trong kỳ",
}
REQUIRED_MESSAGES = {
    "result": ("Nhiệm vụ đã hoàn thành cần ghi kết quả/sản phẩm, ví dụ số và ngày văn bản "
               "(Quyết định số 788/QĐ-UBND ngày 15/04/2026)."),
    "delay_reason": "Nhiệm vụ đã quá hạn: cần nêu lý do chưa hoàn thành hoặc triển khai chậm.",
}
MAX_UNCHANGED = 500  # rows confirmed in one action (an agency's grid holds far fewer)


@dataclass(frozen=True)
class ValidUpdate:
    status: Status
    progress: int
    completed_on: date | None
    result: str
    delay_reason: str
    note: str

    def changes(self) -> dict[str, Any]:
        return {
            "status": self.status.value, "progress": self.progress, "completed_on": self.completed_on,
            "result": self.result, "delay_reason": self.delay_reason, "note": self.note,
        }


def _parse_progress(value: Any) -> tuple[int | None, str | None]:
    message = "Tiến độ là số nguyên từ 0 đến 100."
    if isinstance(value, bool) or value is None:
        return None, message
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
        if not value.isascii() or not value.lstrip("-").isdigit():
            return None, message
        value = int(value)
    if isinstance(value, float):
        if not value.is_integer():
            return None, message
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= 100:
        return None, message
    return value, None


def _parse_completed_on(value: Any, today: date, plan_start: date) -> tuple[date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return today, None
    if not isinstance(value, str):
        return None, "Ngày hoàn thành không hợp lệ; nhập theo dạng dd/mm/yyyy."
    try:
        day = parse_date(value)
    except ValueError:
        return None, "Ngày hoàn thành không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 15/04/2026."
    if day > today:
        return None, "Ngày hoàn thành không được sau ngày hôm nay."
    if day < plan_start:
        return None, f"Ngày hoàn thành không được trước ngày bắt đầu kế hoạch ({vn_date(plan_start)})."
    return day, None


def required_fields(status: Status | None, deadline_passed: bool) -> set[str]:
    """The free-text fields the rules require for a status: a done task names its product or the
    document that proves it; an open task past its deadline gives the reason for the delay. The form
    marks them before saving (`required_by_status`); `validate_update` refuses them empty."""
    if status is Status.DONE:
        return {"result"}
    return {"delay_reason"} if status is not None and deadline_passed else set()


def required_by_status(deadline_passed: bool) -> dict[str, list[str]]:
    """`required_fields` for every status the form offers, keyed by the status's value."""
    return {status.value: sorted(required_fields(status, deadline_passed)) for status in Status}


def validate_update(
    raw: Mapping[str, Any], *, deadline_passed: bool, today: date, plan_start: date,
) -> tuple[ValidUpdate | None, dict[str, str]]:
    """The form's values → (update, {}) or (None, {field: Vietnamese message}). Never raises."""
    errors: dict[str, str] = {}
    status = status_from(raw.get("status"))
    if status is None:
        errors["status"] = "Chọn tình trạng của nhiệm vụ."
    progress, message = _parse_progress(raw.get("progress"))
    if message:
        errors["progress"] = message
    texts: dict[str, str] = {}
    for name in TEXT_FIELDS:
        texts[name], message = clean_text(raw.get(name), FIELD_LABELS[name])
        if message:
            errors[name] = message
    completed_on = None
    if status is Status.DONE:
        completed_on, message = _parse_completed_on(raw.get("completed_on"), today, plan_start)
        if message:
            errors["completed_on"] = message

    if status is not None and progress is not None:
        if status is Status.DONE and progress != 100:
            errors["progress"] = "Nhiệm vụ đã hoàn thành thì tiến độ là 100%."
        elif status is not Status.DONE and progress == 100:
            errors["progress"] = "Tiến độ 100% chỉ dùng khi nhiệm vụ đã hoàn thành."
        elif status is Status.NOT_STARTED and progress > 0:
            errors["progress"] = "Nhiệm vụ chưa thực hiện thì tiến độ là 0%."
    for name in required_fields(status, deadline_passed):
        if name not in errors and not texts[name]:
            errors[name] = REQUIRED_MESSAGES[name]
    if errors:
        return None, errors
    return ValidUpdate(status, progress, completed_on, texts["result"], texts["delay_reason"],
                       texts["note"]), {}


def form_values(assignment: Assignment) -> dict[str, Any]:
    """The assignment as the form shows it (also what a conflict shows as "đã lưu")."""
    return {
        "status": assignment.status, "progress": assignment.progress,
        "completed_on": vn_date(assignment.completed_on), "result": assignment.result,
        "delay_reason": assignment.delay_reason, "note": assignment.note,
    }


def display_value(name: str, value: Any) -> str:
    if name == "status":
        status = status_from(value)
        return STATUS_LABELS[status] if status else str(value or "")
    if name == "progress":
        return f"{value}%" if value not in (None, "") else ""
    if name == "review_state":
        return REVIEW_LABELS.get(value, str(value or ""))
    if name == UNCHANGED and value:
        return parse_period(value).label
    return str(value or "")


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """"Tình trạng: Chưa thực hiện → Đang thực hiện" for each form field that differs."""
    lines = []
    for name in FORM_FIELDS:
        old, new = display_value(name, before.get(name)), display_value(name, after.get(name))
        if old != new:
            lines.append(f"{FIELD_LABELS[name]}: {old or '(trống)'} → {new or '(trống)'}")
    return lines


def _load_for_update(session: Session, actor: Actor, assignment_id: Any) -> Assignment:
    """The assignment, locked, if the actor may update it; NotAllowed otherwise (also unknown ids)."""
    if strict_int(assignment_id) is None:
        raise NotAllowed("assignment id missing or malformed")
    assignment = session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None or not can_act_for_agency(actor, assignment.agency_id,
                                                    agency_province(session, assignment.agency_id)):
        raise NotAllowed(f"user {actor.username} may not update assignment {assignment_id}")
    return assignment


NOT_IN_FORCE_MESSAGE = ("Nhiệm vụ đã được rút khỏi kế hoạch, hoặc đơn vị không còn chủ trì nhiệm vụ này, nên không cập "
                        "nhật được. Hãy tải lại trang.")


def _in_force(session: Session, assignment: Assignment, day: date) -> bool:
    """Whether the assignment still counts (a form left open while the plan changed may be stale)."""
    return session.scalar(select(Assignment.id).join(Task, Task.id == Assignment.task_id).where(
        Assignment.id == assignment.id, task_in_force(day), assignment_in_force(day))) is not None


def _last_writer(assignment: Assignment) -> tuple[int | None, datetime | None]:
    """Who changed the assignment last, and when: its last report, or a later review."""
    if assignment.reviewed_at and (assignment.updated_at is None or assignment.reviewed_at > assignment.updated_at):
        return assignment.reviewed_by_id, assignment.reviewed_at
    return assignment.updated_by_id, assignment.updated_at


def save_update(
    session: Session, actor: Actor, assignment_id: Any, version: Any, raw: Mapping[str, Any],
    *, when: datetime | None = None,
) -> SaveResult:
    """Save the form if the actor owns the assignment and the version is current.

    The row is locked for the check-and-write (FOR UPDATE on PostgreSQL; SQLite's write unit of
    work already holds the database write lock), so two saves of one version cannot both pass.
    """
    assignment = _load_for_update(session, actor, assignment_id)
    plan = session.get(Plan, session.get(Task, assignment.task_id).plan_id)
    ensure_open(plan)
    current = form_values(assignment)
    when = when or now()
    try:
        ensure_not_closed(session, plan, when.date())
    except PeriodClosed as exc:
        return SaveResult(Outcome.INVALID, assignment.version, current=current, message=str(exc))
    if not _in_force(session, assignment, when.date()):
        return SaveResult(Outcome.INVALID, assignment.version, current=current, message=NOT_IN_FORCE_MESSAGE)
    if strict_int(version) is None:
        return SaveResult(Outcome.CONFLICT, assignment.version, current=current,
                          message=f"{NO_VERSION_MESSAGE} nhiệm vụ.")
    if version != assignment.version:
        writer = writer_label(session, *_last_writer(assignment))
        return SaveResult(Outcome.CONFLICT, assignment.version, current=current, message=(
            f"Nhiệm vụ vừa được {writer} cập nhật, nên nội dung của bạn "
            "chưa được lưu. Nội dung bạn đã nhập vẫn giữ nguyên trong biểu mẫu; hãy xem bản đã lưu "
            "bên dưới rồi bấm Lưu lại nếu vẫn muốn ghi."))

    situation = assignment_situations(session, plan, assignment_ids=[assignment.id], day=when.date())[assignment.id]
    update, errors = validate_update(raw, deadline_passed=situation.deadline_passed,
                                     today=when.date(), plan_start=plan.starts_on)
    if update is None:
        return SaveResult(Outcome.INVALID, assignment.version, errors=errors,
                          message="Chưa lưu: hãy sửa các ô được đánh dấu.")
    on_behalf = assignment.agency_id if actor.agency_id != assignment.agency_id else None
    changes = update.changes()
    changes["review_state"] = state_after_report(assignment, changes)
    changed = apply_assignment_change(
        session, assignment, changes, when=when, recorded_at=when, user_id=actor.id,
        on_behalf_of_agency_id=on_behalf,
    )
    if not changed:
        return SaveResult(Outcome.UNCHANGED, assignment.version, message="Không có thay đổi nào để lưu.")
    session.flush()  # bumps the version (version_id_col) inside this transaction
    return SaveResult(Outcome.SAVED, assignment.version, current=form_values(assignment),
                      message="Đã lưu cập nhật.")


@dataclass(frozen=True)
class UnchangedResult:
    outcome: Outcome  # SAVED, INVALID (nothing chosen, a row needs a real update, period closed) or CONFLICT
    message: str
    confirmed: int = 0


def may_report_unchanged(status: str, review_state: str) -> bool:
    """Whether an assignment can be reported "Không thay đổi trong kỳ": not a completion (a done task
    needs no periodic report) and not a completion the secretariat returned (it must be fixed)."""
    return status != Status.DONE.value and review_state != RETURNED


def _rows_named(rows, problem: str) -> str:
    return ", ".join(f"STT {row.stt}" for row in rows) + f": {problem}"


def confirm_unchanged(session: Session, actor: Actor, plan: Plan, items: Any, *,
                      when: datetime | None = None) -> UnchangedResult:
    """"Không thay đổi trong kỳ": report the selected assignments (`items`, [{"id", "version"}] as the
    grid sends its selected rows) as they stand for the current period, all or none.

    Each row is checked as a save would be: the actor may act for its agency (province wall), it is
    in `plan`, which is not archived, the day is not inside a closed period, it still counts, its
    version is the one listed, and what it holds passes the update rules as they apply today
    (`validate_update`: an open task past its deadline must give a reason). A done task needs no
    report, so it is refused. Each report is logged (services.tasks.history.report_unchanged) and
    counts as updated in the period."""
    require_province(actor, plan.province_id, "the plan")
    requested = ids_with_versions(items)
    if requested is None:
        raise NotAllowed(f"unchanged items {str(items)[:80]!r} name no assignment")
    if not requested:
        return UnchangedResult(Outcome.INVALID, "Chưa chọn nhiệm vụ nào: đánh dấu các nhiệm vụ không thay đổi trong kỳ.")
    if len(requested) > MAX_UNCHANGED:
        return UnchangedResult(Outcome.INVALID, f"Mỗi lần xác nhận tối đa {MAX_UNCHANGED} nhiệm vụ.")
    ensure_open(plan)
    when = when or now()
    day = when.date()
    try:
        ensure_not_closed(session, plan, day)  # before the rows: the plan's lock comes first
    except PeriodClosed as exc:
        return UnchangedResult(Outcome.INVALID, str(exc))
    rows = session.execute(
        select(Assignment, Task.plan_id, Task.stt, Agency.province_id)
        .join(Task, Task.id == Assignment.task_id).join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.id.in_(list(requested))).order_by(Task.position, Assignment.id)
        .with_for_update(of=Assignment)
    ).all()
    if len(rows) != len(requested) or any(
            row.plan_id != plan.id or not can_act_for_agency(actor, row.Assignment.agency_id, row.province_id)
            for row in rows):
        raise NotAllowed(f"user {actor.username} may not report assignments {sorted(requested)[:20]} of plan {plan.id}")
    counting = set(session.scalars(select(Assignment.id).join(Task, Task.id == Assignment.task_id).where(
        Assignment.id.in_(list(requested)), task_in_force(day), assignment_in_force(day))))
    gone = [row for row in rows if row.Assignment.id not in counting]
    if gone:
        return UnchangedResult(Outcome.INVALID, "Chưa xác nhận nhiệm vụ nào. " + _rows_named(gone, NOT_IN_FORCE_MESSAGE))
    stale = [row for row in rows if strict_int(requested[row.Assignment.id]) != row.Assignment.version]
    if stale:
        return UnchangedResult(Outcome.CONFLICT, "Chưa xác nhận nhiệm vụ nào: " + _rows_named(
            stale, "vừa được cập nhật sau khi bạn mở danh sách. Hãy xem lại rồi chọn lại."))
    finished = [row for row in rows if not may_report_unchanged(row.Assignment.status, row.Assignment.review_state)]
    if finished:
        return UnchangedResult(Outcome.INVALID, "Chưa xác nhận nhiệm vụ nào: " + _rows_named(
            finished, "đã báo hoàn thành (hoặc bị Tổ giúp việc trả lại): mở nhiệm vụ để xem hoặc sửa, "
                      "không báo “Không thay đổi”. Bỏ chọn các dòng này."))
    situations = assignment_situations(session, plan, assignment_ids=list(requested), day=day)
    problems = []
    for row in rows:
        _, errors = validate_update(form_values(row.Assignment),
                                    deadline_passed=situations[row.Assignment.id].deadline_passed,
                                    today=day, plan_start=plan.starts_on)
        if errors:
            problems.append(f"STT {row.stt}: {' '.join(errors.values())}")
    if problems:
        return UnchangedResult(Outcome.INVALID, "Chưa xác nhận nhiệm vụ nào; cần mở và cập nhật trước: "
                               + "; ".join(problems))
    period = current_period(plan, day)
    for row in rows:
        assignment = row.Assignment
        report_unchanged(session, assignment, period.key, when=when, user_id=actor.id,
                         on_behalf_of_agency_id=assignment.agency_id if actor.agency_id != assignment.agency_id else None)
    session.flush()  # bumps each version (version_id_col) inside this transaction
    return UnchangedResult(Outcome.SAVED, f"Đã ghi nhận {len(rows)} nhiệm vụ không thay đổi trong kỳ {period.label}.",
                           len(rows))
