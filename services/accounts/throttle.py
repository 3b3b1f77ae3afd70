"""Counters in the database, shared by every worker (QUALITY.md S4): failed logins per account and
per client address, write callbacks per user.

A key ("login-user:<name>", "login-ip:<address>", "write-user:<id>") counts hits in a fixed window;
at the limit a key may lock for a while. Each hit is one INSERT .. ON CONFLICT DO UPDATE that
increments in SQL, so concurrent workers never lose a count (SQLite and PostgreSQL alike).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import Throttle
from models.user import ACCOUNT_KEY_PREFIX

WRITE_WINDOW = timedelta(minutes=1)
WRITE_RATE_MESSAGE = "Bạn thao tác quá nhanh; vui lòng thử lại sau ít phút."
# Kept this long after their window (and lock) ended, then purged by `forget_stale`.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    hits: int  # hits allowed in one window
    window: timedelta
    lockout: timedelta | None = None  # reaching `hits` locks the key this long; None: no lock


def account_key(username: str) -> str:
    return ACCOUNT_KEY_PREFIX + username


def address_key(address: str | None) -> str:
    return f"login-ip:{address or 'unknown'}"


def writer_key(user_id: int) -> str:
    return f"write-user:{user_id}"


def locked_keys(session: Session, keys: Iterable[str], moment: datetime) -> set[str]:
    """Those of `keys` that are locked at `moment`."""
    return set(session.scalars(select(Throttle.key).where(
        Throttle.key.in_(list(keys)), Throttle.locked_until > moment)))


def hit(session: Session, key: str, limit: Limit, moment: datetime) -> int:
    """Count one hit on `key` and return the hits in the current window (a window older than
    `limit.window` starts again at 1). Reaching `limit.hits` locks the key when the limit locks."""
    table = Throttle.__table__
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)
    expired = table.c.window_start <= moment - limit.window
    hits = session.scalar(
        insert.values(key=key, hits=1, window_start=moment, locked_until=None)
        .on_conflict_do_update(index_elements=[table.c.key], set_={
            "hits": case((expired, 1), else_=table.c.hits + 1),
            "window_start": case((expired, moment), else_=table.c.window_start),
        })
        .returning(table.c.hits))
    if limit.lockout is not None and hits >= limit.hits:
        # Same transaction: the row stays locked (PostgreSQL row lock, SQLite write lock) until commit.
        session.execute(update(Throttle).where(Throttle.key == key)
                        .values(locked_until=moment + limit.lockout, hits=0, window_start=moment))
    return hits


def clear(session: Session, keys: Iterable[str], moment: datetime) -> bool:
    """Forget the counts and locks of `keys`; whether any was locked at `moment`."""
    ended = session.execute(delete(Throttle).where(Throttle.key.in_(list(keys)))
                            .returning(Throttle.locked_until)).scalars().all()
    return any(until is not None and until > moment for until in ended)


def allow_write(session: Session, user_id: int, per_minute: int, moment: datetime) -> bool:
    """Count one write callback of `user_id`; False once it made more than `per_minute` in this minute."""
    return hit(session, writer_key(user_id), Limit(per_minute, WRITE_WINDOW), moment) <= per_minute


def forget_stale(session: Session, moment: datetime) -> None:
    """Delete rows whose window and lock ended long ago, so guessed usernames do not pile up."""
    cutoff = moment - STALE_AFTER
    session.execute(delete(Throttle).where(
        Throttle.window_start < cutoff, or_(Throttle.locked_until.is_(None), Throttle.locked_until < cutoff)))
