"""The one way data changes: update the row and log who changed which field, when, old → new
(an assignment's report also closes its state interval and opens the next; a review rewrites the
review state of the intervals it judges, `apply_review`).

All of it is written in the caller's transaction, so a change is never kept without its history.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Assignment, AssignmentState, ChangeLog

TRACKED_FIELDS = ("status", "progress", "result", "delay_reason", "note", "completed_on", "review_state",
                  "review_comment")
STATE_FIELDS = ("status", "progress", "completed_on", "review_state")
SOURCE_LABELS = {"import": "Nhập từ tệp", "cli": "Dòng lệnh"}  # who, when no user made the change
UNCHANGED = "unchanged"  # change log field: the agency reported the assignment unchanged for a period (its key)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def record_change(
    session: Session, entity: str, entity_id: int, field: str, old: Any, new: Any, *,
    when: datetime, recorded_at: datetime, user_id: int | None, source: str = "app",
    on_behalf_of_agency_id: int | None = None,
) -> None:
    """One append-only change-log row: who changed which field of what, when, from what to what."""
    session.add(ChangeLog(
        occurred_at=when, recorded_at=recorded_at, user_id=user_id,
        on_behalf_of_agency_id=on_behalf_of_agency_id, entity=entity, entity_id=entity_id,
        field=field, old_value=_as_text(old), new_value=_as_text(new), source=source,
    ))


def apply_changes(
    session: Session, entity: str, row: Any, changes: dict[str, Any], *, when: datetime,
    recorded_at: datetime, user_id: int | None, source: str = "app", on_behalf_of_agency_id: int | None = None,
) -> list[str]:
    """Set each field of `row` that `changes` alters and log it; return the changed names.
    A new row (no id yet) is added and flushed, and logged from nothing (None) to its values."""
    is_new = row.id is None
    old = {f: None if is_new else getattr(row, f) for f in changes}
    changed = [f for f, v in changes.items() if (v not in (None, "", False) if is_new else old[f] != v)]
    for field in changes if is_new else changed:
        setattr(row, field, changes[field])
    if is_new:
        session.add(row)
        session.flush()
    for field in changed:
        record_change(session, entity, row.id, field, old[field], changes[field], when=when,
                      recorded_at=recorded_at, user_id=user_id, source=source,
                      on_behalf_of_agency_id=on_behalf_of_agency_id)
    return changed


def open_first_state(session: Session, assignment: Assignment, valid_from: datetime) -> None:
    """The state an assignment has from the plan's start until its first update."""
    session.add(AssignmentState(
        assignment_id=assignment.id, status=assignment.status, progress=assignment.progress,
        completed_on=assignment.completed_on, review_state=assignment.review_state,
        valid_from=valid_from, valid_to=None,
    ))


def apply_assignment_change(
    session: Session,
    assignment: Assignment,
    changes: dict[str, Any],
    *,
    when: datetime,
    recorded_at: datetime,
    user_id: int | None,
    source: str = "app",
    on_behalf_of_agency_id: int | None = None,
) -> list[str]:
    """Apply `changes` (only TRACKED_FIELDS), log each changed field; return the changed names.
    The change is a report: `updated_at`/`updated_by_id` say when and by whom, and it opens a state
    interval at `when`."""
    unknown = set(changes) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"untracked fields: {sorted(unknown)}")
    changed = apply_changes(session, "assignment", assignment, changes, when=when, recorded_at=recorded_at,
                            user_id=user_id, source=source, on_behalf_of_agency_id=on_behalf_of_agency_id)
    if changed:
        _report(session, assignment, when, user_id)
    return changed


def report_unchanged(
    session: Session, assignment: Assignment, period_key: str, *, when: datetime, user_id: int,
    on_behalf_of_agency_id: int | None = None,
) -> None:
    """"Không thay đổi trong kỳ": the agency reports the assignment as it stands for the period.
    No field changes, but it is a report like any save: logged (field UNCHANGED, the period's key),
    `updated_at`/`updated_by_id` set, and a state interval opened at `when` (same values), so the
    as-of views see the report at the same moment as the live ones."""
    record_change(session, "assignment", assignment.id, UNCHANGED, None, period_key, when=when, recorded_at=when,
                  user_id=user_id, on_behalf_of_agency_id=on_behalf_of_agency_id)
    _report(session, assignment, when, user_id)


def _report(session: Session, assignment: Assignment, when: datetime, user_id: int | None) -> None:
    """An agency's report at `when`: who and when on the row, and the state interval it opens."""
    assignment.updated_at = when
    assignment.updated_by_id = user_id
    # Through the unit of work, not a bulk UPDATE: the figures' hook (models.figures) sees each row.
    for state in _states(session, assignment):
        if state.valid_to is None:
            state.valid_to = when
    session.add(AssignmentState(
        assignment_id=assignment.id, valid_from=when, valid_to=None,
        **{f: getattr(assignment, f) for f in STATE_FIELDS},
    ))


def apply_review(
    session: Session, assignment: Assignment, review_state: str, comment: str, *, effective_from: datetime,
    when: datetime, user_id: int,
) -> None:
    """The secretariat's verdict on the completion an agency reported: it holds from `effective_from`
    (services.tasks.review decides from when), so every state interval from then on takes
    `review_state`, and an interval running across `effective_from` is split there. A review opens
    no interval at its own moment: a day's as-of figures judge the completion as it was reported,
    whenever the review came (after the quarter ended, before the period was closed).

    The change log still says who reviewed and when (`when`; only what awaits review is reviewed, so
    the state always changes and is logged), `reviewed_at`/`reviewed_by_id` are
    set, `updated_at`/`updated_by_id` keep meaning the agency's last report, and the flush bumps the
    version, so an agency form open meanwhile gets the usual conflict."""
    apply_changes(session, "assignment", assignment, {"review_state": review_state, "review_comment": comment},
                  when=when, recorded_at=when, user_id=user_id)
    assignment.reviewed_at = when
    assignment.reviewed_by_id = user_id
    across = session.scalar(select(AssignmentState).where(
        AssignmentState.assignment_id == assignment.id, AssignmentState.valid_from < effective_from,
        or_(AssignmentState.valid_to.is_(None), AssignmentState.valid_to > effective_from)))
    if across is not None:
        session.add(AssignmentState(
            assignment_id=assignment.id, status=across.status, progress=across.progress,
            completed_on=across.completed_on, review_state=across.review_state,
            valid_from=effective_from, valid_to=across.valid_to, reported_at=across.reported_at or across.valid_from))
        across.valid_to = effective_from
        session.flush()
    for state in _states(session, assignment):
        if state.valid_from >= effective_from:
            state.review_state = review_state
    session.flush()


def _states(session: Session, assignment: Assignment) -> list[AssignmentState]:
    """Every state interval of the assignment (a few), by the as-of index: a condition on valid_to
    here makes SQLite pick the valid_to index and read every open interval of every plan."""
    return list(session.scalars(select(AssignmentState).where(AssignmentState.assignment_id == assignment.id)))


def history_of(session: Session, entity: str, entity_id: int) -> list[ChangeLog]:
    return list(session.scalars(
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    ))
