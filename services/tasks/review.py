"""The secretariat's review of reported completions (DOMAIN.md: "The secretariat may confirm a
reported completion or return it with a comment; a returned completion counts as not done until
confirmed").

An assignment's `review_state` is none | confirmed | returned | resubmitted (reported again by the
agency after a return: still not done, back in the queue). The queue holds the completions done and
none or resubmitted (services.reporting.rollup.awaiting_review). Confirming or returning a selection
is all or nothing: a row changed since the list was loaded, or no longer waiting, stops the whole
action, so nobody confirms what they did not see.

A review judges the completion as the agency reported it, so it holds from that report
(`effective_from`), not from the review's own moment: the quarter ends, the secretariat reviews,
then closes the period, and the published figures carry the verdict. It goes through
services.tasks.history.apply_review (logged with who and when, `updated_at` left alone: it keeps
meaning the agency's last report). An agency's later change of what was reviewed sends it back to
the queue (`state_after_report`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from models import Agency, Assignment, AssignmentState, Plan, Section, Task, User
from services.accounts.permissions import READ_ALL_ROLES, Actor, NotAllowed, can_publish, can_view_agency, sees_province
from services.common.clock import now, today
from services.common.inputs import clean_text, id_from_text, ids_with_versions, strict_int
from services.common.queries import agency_province, vn_date, vn_number
from services.common.saving import Outcome
from services.plans.catalogue import ensure_open
from services.plans.statuses import Status
from services.publication.published import PeriodClosed, closed_message, ensure_not_closed, last_close_through
from services.reporting.rollup import assignment_in_force, awaiting_review, task_in_force
from services.tasks.history import apply_review

NONE, CONFIRMED, RETURNED, RESUBMITTED = "none", "confirmed", "returned", "resubmitted"
REVIEW_LABELS = {NONE: "Chưa xem xét", CONFIRMED: "Đã xác nhận", RETURNED: "Trả lại", RESUBMITTED: "Báo cáo lại"}
COMMENT_LABEL = "Ý kiến của Tổ giúp việc"
REVIEWED_FIELDS = ("status", "completed_on", "result")  # what a confirmation vouches for
MAX_ITEMS = 2000


@dataclass(frozen=True)
class ReviewResult:
    outcome: Outcome  # SAVED, INVALID (nothing chosen, no comment, period closed) or CONFLICT (stale rows)
    message: str
    reviewed: int = 0


def review_label(status: str, review_state: str) -> str:
    """How an agency reads where its report stands: returned, confirmed, or awaiting review (again)."""
    if review_state == RETURNED:
        return "Bị trả lại"
    if status != Status.DONE.value:
        return ""
    return {CONFIRMED: "Đã xác nhận", RESUBMITTED: "Chờ xác nhận lại"}.get(review_state, "Chờ xác nhận")


def state_after_report(assignment: Assignment, changes: Mapping[str, Any]) -> str:
    """The review state an agency's save leaves. Only a change of what was reviewed (status,
    completion date, result) matters: no longer done → none; done after a confirmation → none
    (review again); done after a return → resubmitted (not done until confirmed, back in the queue)."""
    if all(changes.get(name, getattr(assignment, name)) == getattr(assignment, name) for name in REVIEWED_FIELDS):
        return assignment.review_state
    if changes.get("status", assignment.status) != Status.DONE.value:
        return NONE
    return RESUBMITTED if assignment.review_state in (RETURNED, RESUBMITTED) else NONE


def pending_now(day: date):
    """SQL condition on Assignment (joined to its Task): in the queue on `day`."""
    return (awaiting_review(Assignment.status, Assignment.review_state)
            & task_in_force(day) & assignment_in_force(day))


def effective_from(session: Session, plan: Plan, assignment: Assignment, when: datetime) -> datetime:
    """From when a review made at `when` holds: since the agency reported the completion under
    review, i.e. the start of the latest run of state intervals holding it (an edit of a note or of
    the result meanwhile opened an interval but left status, completion date and review state as
    they were). Closed periods stay as published: if a close in force has figures on or after that
    day, the review holds from the day after that close's figures' day; PeriodClosed when that is
    after `when` (the close covers today)."""
    intervals = session.execute(
        select(AssignmentState.valid_from, AssignmentState.status, AssignmentState.completed_on,
               AssignmentState.review_state)
        .where(AssignmentState.assignment_id == assignment.id)
        .order_by(AssignmentState.valid_from.desc(), AssignmentState.id.desc())
    ).all()
    reported = intervals[0].valid_from
    for interval in intervals[1:]:
        if tuple(interval[1:]) != tuple(intervals[0][1:]):
            break
        reported = interval.valid_from
    close = last_close_through(session, plan.id, reported.date())
    if close is None:
        return reported
    after_close = datetime.combine(close.day + timedelta(days=1), time.min)
    if after_close > when:
        raise PeriodClosed(closed_message(close))
    return after_close


def _require_reader(actor: Actor, plan: Plan) -> None:
    if actor.role not in READ_ALL_ROLES or not sees_province(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not read the review queue of plan {plan.id}")


def _rows(session: Session, plan: Plan, *conditions) -> list[dict]:
    reporter, reviewer = aliased(User), aliased(User)
    rows = session.execute(
        select(Assignment, Task.stt, Task.title, Task.deadline_text, Task.due_date, Section.code,
               Section.title.label("section_title"), Agency.name.label("agency"),
               reporter.full_name.label("reported_by"), reviewer.full_name.label("reviewed_by"))
        .join(Task, Task.id == Assignment.task_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .outerjoin(Section, Section.id == Task.section_id)
        .outerjoin(reporter, reporter.id == Assignment.updated_by_id)
        .outerjoin(reviewer, reviewer.id == Assignment.reviewed_by_id)
        .where(Task.plan_id == plan.id, Agency.province_id == plan.province_id, *conditions)
        .order_by(Agency.name, Task.position, Assignment.id)
    ).all()
    result = []
    for row in rows:
        a = row.Assignment
        again = a.review_state == RESUBMITTED
        result.append({
            "id": a.id, "row_id": str(a.id), "version": a.version, "agency_id": a.agency_id, "agency": row.agency,
            "stt": row.stt, "title": row.title,
            "section": f"{row.code}. {row.section_title}" if row.code else (row.section_title or ""),
            "deadline_text": row.deadline_text, "due_date": vn_date(row.due_date),
            "completed_on": vn_date(a.completed_on), "completed_iso": a.completed_on.isoformat() if a.completed_on else "",
            "result": a.result, "note": a.note,
            "reported_at": vn_date(a.updated_at), "reported_iso": a.updated_at.isoformat() if a.updated_at else "",
            "reported_by": row.reported_by or "",
            "again": "Báo cáo lại" if again else "", "earlier_comment": a.review_comment if again else "",
            "review_state": a.review_state, "review_label": REVIEW_LABELS.get(a.review_state, a.review_state),
            "review_comment": a.review_comment, "reviewed_at": vn_date(a.reviewed_at),
            "reviewed_by": row.reviewed_by or "",
        })
    return result


def review_queue(session: Session, actor: Actor, plan: Plan, day: date | None = None) -> list[dict]:
    """The completions of the plan in force on `day` (today) awaiting review, by agency name then
    task order, with the evidence and who reported them when."""
    _require_reader(actor, plan)
    return _rows(session, plan, pending_now(day or today()))


def waiting_by_agency(rows: list[dict]) -> list[tuple[str, int]]:
    """(agency, how many waiting), in the queue's order."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["agency"]] = counts.get(row["agency"], 0) + 1
    return list(counts.items())


def review_item(session: Session, actor: Actor, plan: Plan, assignment_id: Any) -> dict:
    """One assignment of the plan as the queue shows it, waiting or not (a row clicked just after it
    was reviewed); NotAllowed for an id of no assignment of this plan."""
    _require_reader(actor, plan)
    wanted = id_from_text(assignment_id)
    found = _rows(session, plan, Assignment.id == wanted) if wanted is not None else []
    if not found:
        raise NotAllowed(f"assignment {assignment_id!r} is not in plan {plan.id}")
    return found[0]


def review_of(session: Session, assignment: Assignment) -> dict:
    """The latest review of an assignment as the agency's form shows it."""
    reviewer = session.get(User, assignment.reviewed_by_id) if assignment.reviewed_by_id else None
    return {"state": assignment.review_state, "label": review_label(assignment.status, assignment.review_state),
            "comment": assignment.review_comment, "by": (reviewer.full_name or reviewer.username) if reviewer else "",
            "at": vn_date(assignment.reviewed_at), "day": vn_date(assignment.reviewed_at.date())
            if assignment.reviewed_at else ""}


def returned_tasks(session: Session, actor: Actor, plan: Plan, agency_id: int, day: date | None = None) -> list[dict]:
    """The agency's completions returned by the secretariat (newest return first), for its home page."""
    if not can_view_agency(actor, agency_id, agency_province(session, agency_id)):
        raise NotAllowed(f"user {actor.username} may not see agency {agency_id}")
    day = day or today()
    rows = session.execute(
        select(Assignment.id, Task.stt, Task.title, Assignment.review_comment, Assignment.reviewed_at)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, Assignment.agency_id == agency_id, Assignment.review_state == RETURNED,
               task_in_force(day), assignment_in_force(day))
        .order_by(Assignment.reviewed_at.desc(), Task.position)
    ).all()
    return [{"id": r.id, "stt": r.stt, "title": r.title, "comment": r.review_comment,
             "returned_on": vn_date(r.reviewed_at.date()) if r.reviewed_at else ""} for r in rows]


def _review(session: Session, actor: Actor, plan: Plan, items: Any, decision: str, comment: Any,
            when: datetime | None) -> ReviewResult:
    if not can_publish(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not review plan {plan.id}")
    ensure_open(plan)
    requested = ids_with_versions(items)
    if requested is None:
        raise NotAllowed(f"review items {str(items)[:80]!r} name no assignment")
    if not requested:
        return ReviewResult(Outcome.INVALID, "Chưa chọn nhiệm vụ nào: đánh dấu các dòng cần xác nhận hoặc trả lại.")
    if len(requested) > MAX_ITEMS:
        return ReviewResult(Outcome.INVALID, f"Mỗi lần chọn tối đa {vn_number(MAX_ITEMS)} nhiệm vụ.")
    text, problem = clean_text(comment, COMMENT_LABEL)
    if problem:
        return ReviewResult(Outcome.INVALID, problem)
    if decision == RETURNED and not text:
        return ReviewResult(Outcome.INVALID, "Trả lại cần ghi ý kiến của Tổ giúp việc: điều gì cần bổ sung hoặc sửa.")
    when = when or now()
    try:
        ensure_not_closed(session, plan, when.date())  # before the rows: the plan's lock comes first
    except PeriodClosed as exc:
        return ReviewResult(Outcome.INVALID, str(exc))
    rows = session.execute(
        select(Assignment, Task.plan_id, Task.stt, Agency.name, Agency.province_id,
               case((pending_now(when.date()), True), else_=False).label("pending"))
        .join(Task, Task.id == Assignment.task_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.id.in_(list(requested)))
        .order_by(Agency.name, Task.position)
        .with_for_update(of=Assignment)
    ).all()
    if len(rows) != len(requested) or any(r.plan_id != plan.id or r.province_id != plan.province_id for r in rows):
        raise NotAllowed(f"user {actor.username} named assignments outside plan {plan.id}")
    stale = [r for r in rows if not r.pending or strict_int(requested[r.Assignment.id]) != r.Assignment.version]
    if stale:
        names = ", ".join(f"STT {r.stt} ({r.name})" for r in stale)
        return ReviewResult(Outcome.CONFLICT, (
            f"Chưa lưu gì: {names} vừa được cập nhật hoặc đã được xem xét sau khi bạn mở danh sách. "
            "Hãy tải lại danh sách, xem lại rồi chọn lại."))
    try:
        starts = [effective_from(session, plan, row.Assignment, when) for row in rows]
    except PeriodClosed as exc:
        return ReviewResult(Outcome.INVALID, str(exc))
    for row, start in zip(rows, starts):
        apply_review(session, row.Assignment, decision, text, effective_from=start, when=when, user_id=actor.id)
    if decision == CONFIRMED:
        return ReviewResult(Outcome.SAVED, f"Đã xác nhận {len(rows)} kết quả hoàn thành.", len(rows))
    return ReviewResult(Outcome.SAVED, f"Đã trả lại {len(rows)} kết quả hoàn thành, kèm ý kiến của Tổ giúp việc.",
                        len(rows))


def confirm(session: Session, actor: Actor, plan: Plan, items: Any, comment: Any = None, *,
            when: datetime | None = None) -> ReviewResult:
    """Confirm the completions `items` ([{"id", "version"}]) of `plan`, all or none; a comment is optional."""
    return _review(session, actor, plan, items, CONFIRMED, comment, when)


def return_(session: Session, actor: Actor, plan: Plan, items: Any, comment: Any, *,
            when: datetime | None = None) -> ReviewResult:
    """Return the completions `items` to their agencies with a comment (required), all or none."""
    return _review(session, actor, plan, items, RETURNED, comment, when)
