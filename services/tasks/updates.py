"""An agency's update of one assignment: validation, ownership and no lost updates.

The form sends untrusted values (any JSON a client can forge). `validate_update` turns them into a
`ValidUpdate` or Vietnamese messages per field and never raises. `save_update` checks who may
write, that the plan is not archived and the day not inside a closed period, refuses a stale or
missing version with the current values (QUALITY.md I1), and applies the change through
services.tasks.history, so the row, its state interval and the change log are written together or not
at all; a change of what the secretariat reviewed sends it back for review (services.tasks.review).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Assignment, Plan, Task
from services.accounts.permissions import Actor, NotAllowed, can_act_for_agency
from services.common.clock import now
from services.common.inputs import clean_text, strict_int
from services.common.queries import agency_province, vn_date
from services.common.saving import NO_VERSION_MESSAGE, Outcome, SaveResult, writer_label
from services.plans.catalogue import ensure_open
from services.plans.deadlines import parse_date
from services.plans.statuses import STATUS_LABELS, Status, status_from
from services.publication.published import PeriodClosed, ensure_not_closed
from services.reporting.rollup import assignment_in_force, assignment_situations, task_in_force
from services.tasks.history import apply_assignment_change
from services.tasks.review import COMMENT_LABEL, REVIEW_LABELS, state_after_report

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
}


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
    if status is Status.DONE and "result" not in errors and not texts["result"]:
        errors["result"] = ("Nhiệm vụ đã hoàn thành cần ghi kết quả/sản phẩm, ví dụ số và ngày văn bản "
                            "(Quyết định số 788/QĐ-UBND ngày 15/04/2026).")
    if (deadline_passed and status is not None and status is not Status.DONE
            and "delay_reason" not in errors and not texts["delay_reason"]):
        errors["delay_reason"] = "Nhiệm vụ đã quá hạn: cần nêu lý do chưa hoàn thành hoặc triển khai chậm."
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
