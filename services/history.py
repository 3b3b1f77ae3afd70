"""The one way an assignment's state changes: update the row, its validity interval and the log.

All three are written in the caller's transaction, so a change is never kept without its history.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Assignment, AssignmentState, ChangeLog

TRACKED_FIELDS = ("status", "progress", "result", "delay_reason", "note", "completed_on", "review_state")
STATE_FIELDS = ("status", "progress", "completed_on", "review_state")


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
    """Apply `changes` (only TRACKED_FIELDS), log each changed field; return the changed names."""
    unknown = set(changes) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"untracked fields: {sorted(unknown)}")
    changed = [f for f, v in changes.items() if getattr(assignment, f) != v]
    for field in changed:
        record_change(session, "assignment", assignment.id, field, getattr(assignment, field),
                      changes[field], when=when, recorded_at=recorded_at, user_id=user_id,
                      source=source, on_behalf_of_agency_id=on_behalf_of_agency_id)
        setattr(assignment, field, changes[field])
    if not changed:
        return changed
    assignment.updated_at = when
    assignment.updated_by_id = user_id
    session.execute(
        update(AssignmentState)
        .where(AssignmentState.assignment_id == assignment.id, AssignmentState.valid_to.is_(None))
        .values(valid_to=when)
    )
    session.add(AssignmentState(
        assignment_id=assignment.id, valid_from=when, valid_to=None,
        **{f: getattr(assignment, f) for f in STATE_FIELDS},
    ))
    return changed


def history_of(session: Session, entity: str, entity_id: int) -> list[ChangeLog]:
    return list(session.scalars(
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    ))
