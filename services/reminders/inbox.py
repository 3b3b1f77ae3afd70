"""A user's own reminders in the app: the bell's count, the list, marking read, the e-mail choice.

Every function takes the actor and touches only rows whose user is the actor: an id from the
browser naming anyone else's reminder (or nothing) is refused with NotAllowed and nothing changes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Reminder, User
from services.accounts.permissions import Actor, NotAllowed
from services.common.inputs import strict_int
from services.common.queries import vn_date
from services.reminders.rules import KIND_LABELS
from services.tasks.history import apply_changes

LIST_LIMIT = 200


def unread_count(session: Session, actor: Actor) -> int:
    return session.scalar(select(func.count(Reminder.id)).where(Reminder.user_id == actor.id,
                                                                Reminder.read_at.is_(None))) or 0


def reminder_rows(session: Session, actor: Actor, limit: int = LIST_LIMIT) -> list[dict]:
    """The actor's reminders, newest first (the day they are about, then creation)."""
    rows = session.scalars(select(Reminder).where(Reminder.user_id == actor.id)
                           .order_by(Reminder.as_of.desc(), Reminder.id.desc()).limit(limit))
    return [{"id": r.id, "kind": KIND_LABELS.get(r.kind, r.kind), "title": r.title, "body": r.body, "link": r.link,
             "day": vn_date(r.as_of), "read": r.read_at is not None, "emailed": vn_date(r.emailed_at)}
            for r in rows]


def mark_read(session: Session, actor: Actor, reminder_id: Any, when: datetime) -> bool:
    """Mark one of the actor's reminders read; False if it already was. NotAllowed for an id that
    is not the actor's reminder."""
    reminder = session.get(Reminder, reminder_id) if strict_int(reminder_id) is not None else None
    if reminder is None or reminder.user_id != actor.id:
        raise NotAllowed(f"user {actor.username} may not mark reminder {reminder_id!r}")
    if reminder.read_at is not None:
        return False
    reminder.read_at = when
    session.flush()
    return True


def mark_all_read(session: Session, actor: Actor, when: datetime) -> int:
    """Mark every unread reminder of the actor read; how many."""
    result = session.execute(update(Reminder).where(Reminder.user_id == actor.id, Reminder.read_at.is_(None))
                             .values(read_at=when))
    return result.rowcount or 0


def email_choice(session: Session, actor: Actor) -> tuple[bool, bool]:
    """(the daily digest is on, the account has an e-mail address)."""
    user = session.get(User, actor.id)
    return user.email_reminders, bool(user.email)


def set_email_choice(session: Session, actor: Actor, enabled: Any, when: datetime) -> bool:
    """Turn the actor's own daily digest on or off (logged); False when it already was so.
    NotAllowed for anything but a boolean."""
    if not isinstance(enabled, bool):
        raise NotAllowed(f"user {actor.username}: e-mail choice {enabled!r} is not a boolean")
    user = session.get(User, actor.id)
    return bool(apply_changes(session, "user", user, {"email_reminders": enabled}, when=when, recorded_at=when,
                              user_id=actor.id))
