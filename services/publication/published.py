"""Which periods of a plan are closed (chốt số liệu), and the one rule that follows: nothing dated
inside a closed period may change. Every write dated on a day (an agency's save, a review, a
target's value for a period, a back-dated import or plan change) asks `ensure_not_closed` first,
inside its write transaction and before it writes.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import PeriodClose, Plan
from services.common.queries import vn_date
from services.reporting.periods import parse_period


class PeriodClosed(Exception):
    """A change dated inside a closed period; its message says which and who can reopen it."""


def open_close(session: Session, plan_id: int, period_key: str) -> PeriodClose | None:
    """The period's close in force (not reopened), if any."""
    return session.scalar(select(PeriodClose).where(
        PeriodClose.plan_id == plan_id, PeriodClose.period == period_key, PeriodClose.reopened_at.is_(None)))


def close_covering(session: Session, plan_id: int, day: date) -> PeriodClose | None:
    """A close in force whose figures include `day` (from its period's start to its figures' day)."""
    return session.scalar(select(PeriodClose).where(
        PeriodClose.plan_id == plan_id, PeriodClose.reopened_at.is_(None),
        PeriodClose.period_start <= day, PeriodClose.day >= day,
    ).order_by(PeriodClose.day.desc()).limit(1))


def closed_message(close: PeriodClose) -> str:
    return (f"Số liệu {parse_period(close.period).label} đã chốt ngày {vn_date(close.closed_at.date())}: "
            f"không thay đổi được nội dung tính đến ngày {vn_date(close.day)}. Nếu cần sửa, Tổ giúp việc mở lại kỳ "
            "(ghi rõ lý do) rồi cập nhật.")


def last_close_through(session: Session, plan_id: int, day: date) -> PeriodClose | None:
    """The close in force with the latest figures' day on or after `day`: a change that holds from
    `day` on may only take effect after that close's figures' day."""
    return session.scalar(select(PeriodClose).where(
        PeriodClose.plan_id == plan_id, PeriodClose.reopened_at.is_(None), PeriodClose.day >= day,
    ).order_by(PeriodClose.day.desc()).limit(1))


def hold_closes(session: Session, plan_id: int) -> None:
    """A shared lock on the plan row, taken by every writer before it looks for closes (see
    `ensure_not_closed`), so no close can start between that look and the writer's commit."""
    session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update(read=True))


def ensure_not_closed(session: Session, plan: Plan, day: date) -> None:
    """PeriodClosed if `day` falls inside a closed period of the plan.

    First a shared lock on the plan row (SELECT ... FOR SHARE on PostgreSQL). Closing a period locks
    that row FOR UPDATE while it computes the snapshot (services.publication.closing), so a writer
    either waits for the close to commit and then sees it here (read committed: the next statement
    sees committed rows), or holds the lock first and the close waits for its commit and counts it.
    Without it, a save dated today committing during the close would be neither refused nor in the
    published figures. Writers still run side by side (shared locks do not conflict); on SQLite the
    clause is a no-op and writers already take turns on the database's write lock."""
    hold_closes(session, plan.id)
    close = close_covering(session, plan.id, day)
    if close is not None:
        raise PeriodClosed(closed_message(close))
