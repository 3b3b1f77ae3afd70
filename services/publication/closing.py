"""Closing a period (chốt số liệu): the secretariat publishes a month, quarter, half-year or year,
and what the report said that day is stored (services.publication.content) and stays the official
figures, with who closed it and when. Writes dated inside a closed period are refused
(services.publication.published.ensure_not_closed); reopening needs the secretariat and a reason.

A change dated before a closed period (allowed) may still alter what its day looks like when
counted again from the history: `live_difference` says how, the published figures stay as they were.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models import PeriodClose, Plan, User
from services.accounts.permissions import Actor, NotAllowed, can_publish
from services.common.inputs import clean_text
from services.common.queries import vn_date
from services.indicators.achievement import BAND_LABELS, Band
from services.indicators.standings import band_counts
from services.plans.catalogue import ensure_open
from services.plans.deadlines import parse_date
from services.publication.content import ReportContent, from_json, gather, to_json
from services.publication.published import PeriodClosed, closed_message, hold_closes, open_close
from services.reporting.dashboard import CATEGORY_LABELS, as_of_for
from services.reporting.periods import InvalidPeriod, Period, parse_period, week_scheme
from services.reporting.rollup import COUNT_KEYS, plan_rollup, review_counts
from services.tasks.history import record_change

MAX_REASON = 2000


class ClosingRefused(ValueError):
    """A close or reopen that may not go ahead; the message is for the secretariat."""


@dataclass(frozen=True)
class Published:
    """A period's close in force: who closed it, when, and what was published."""

    period: str
    day: date  # the figures' day
    closed_at: datetime
    closed_by: str
    summary: dict  # counts, quarter_counts, bands, review (as stored)
    content: ReportContent

    @property
    def banner(self) -> str:
        return f"Số liệu đã chốt ngày {vn_date(self.closed_at.date())} (người chốt: {self.closed_by})."


def _period(plan: Plan, period_key: Any) -> Period:
    """The period a close names: a month, quarter, half-year or year (a key or a label), never a day
    nor a week (a week's figures are the agencies' weekly entries, not a published report)."""
    text = period_key if isinstance(period_key, str) else ""
    try:
        period = parse_period(text, week_scheme(plan))
    except InvalidPeriod as exc:
        refusal = str(exc)
    else:
        if period.kind != "week":
            return period
        refusal = (f"Không chốt số liệu theo tuần ({period.label}): chỉ chốt theo tháng, quý, 6 tháng hoặc năm; "
                   "số liệu tuần của các đơn vị xem tại Báo cáo tuần.")
    try:
        a_day = parse_date(text) is not None
    except ValueError:
        a_day = False
    if a_day:
        refusal = "Chỉ chốt số liệu theo kỳ (tháng, quý, 6 tháng, năm), không chốt theo một ngày."
    raise ClosingRefused(refusal)


def _require_publisher(actor: Actor, plan: Plan) -> None:
    if not can_publish(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not close or reopen periods of plan {plan.id}")


def _lock(session: Session, plan: Plan) -> None:
    """Closes and reopens of one plan take turns: the second waits, then sees the first's row."""
    session.get(Plan, plan.id, with_for_update=True)


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return (user.full_name or user.username) if user else ""


def _already_closed(session: Session, close: PeriodClose, period: Period) -> ClosingRefused:
    return ClosingRefused(f"{period.label} đã được chốt ngày {vn_date(close.closed_at)} "
                          f"(người chốt: {_name(session, close.closed_by_id)}); muốn chốt lại thì mở lại kỳ trước.")


def close_period(session: Session, actor: Actor, plan: Plan, period_key: Any, *, when: datetime) -> PeriodClose:
    """Store the period's figures as they stand now, as the published ones. ClosingRefused with
    the reason (a day, a period not begun, one already closed); NotAllowed for anyone but the
    province's secretariat; PlanArchived for an archived plan."""
    _require_publisher(actor, plan)
    ensure_open(plan)
    period = _period(plan, period_key)
    if period.start > when.date():
        raise ClosingRefused(f"{period.label} chưa bắt đầu nên chưa chốt số liệu được.")
    _lock(session, plan)
    if (existing := open_close(session, plan.id, period.key)) is not None:
        raise _already_closed(session, existing, period)
    day = min(period.end, when.date())
    content = gather(session, plan, period.key, when.date())
    review = review_counts(session, plan, as_of_for(day, when.date()))
    summary = {"counts": content.counts.as_dict(), "quarter_counts": content.quarter_counts.as_dict(),
               "bands": dict(content.bands), "review": review.as_dict()}
    close = PeriodClose(plan_id=plan.id, period=period.key, period_start=period.start, day=day, closed_at=when,
                        closed_by_id=actor.id, summary=json.dumps(summary, ensure_ascii=False),
                        content=to_json(content))
    try:
        with session.begin_nested():  # the partial unique index: a close that slipped past the lock
            session.add(close)
    except IntegrityError:
        raise _already_closed(session, open_close(session, plan.id, period.key), period) from None
    record_change(session, "plan", plan.id, "period_closed", None, period.key, when=when, recorded_at=when,
                  user_id=actor.id)
    return close


def reopen_period(session: Session, actor: Actor, plan: Plan, period_key: Any, reason: Any, *,
                  when: datetime) -> PeriodClose:
    """Reopen a closed period, with the reason (kept on the close and in the change log)."""
    _require_publisher(actor, plan)
    ensure_open(plan)
    period = _period(plan, period_key)
    text, problem = clean_text(reason, "Lý do mở lại", MAX_REASON)
    if problem:
        raise ClosingRefused(problem)
    if not text:
        raise ClosingRefused("Nhập lý do mở lại kỳ (ví dụ: đơn vị bổ sung kết quả, sửa số liệu sai).")
    _lock(session, plan)
    close = open_close(session, plan.id, period.key)
    if close is None:
        raise ClosingRefused(f"{period.label} chưa chốt số liệu nên không cần mở lại.")
    close.reopened_at, close.reopened_by_id, close.reopen_reason = when, actor.id, text
    session.flush()
    record_change(session, "plan", plan.id, "period_reopened", None, f"{period.key}: {text}", when=when,
                  recorded_at=when, user_id=actor.id)
    return close


def publication(session: Session, plan: Plan, period_key: Any) -> Published | None:
    """The period's published figures, if it is closed (None for a day or an open period)."""
    try:
        key = parse_period(period_key, week_scheme(plan)).key if isinstance(period_key, str) else None
    except InvalidPeriod:
        key = None
    close = open_close(session, plan.id, key) if key else None
    if close is None:
        return None
    return Published(close.period, close.day, close.closed_at, _name(session, close.closed_by_id),
                     json.loads(close.summary), from_json(close.content))


def live_difference(session: Session, plan: Plan, published: Published) -> list[str]:
    """How the figures of the close's day, counted again from today's history, differ from the
    published ones ("Đã hoàn thành: 05 (số đã chốt: 04)"); empty when they agree."""
    live = plan_rollup(session, plan, as_of=published.day).as_dict()
    stored = published.content.counts.as_dict()
    lines = [f"{CATEGORY_LABELS[key]}: {live[key]:02d} (số đã chốt: {stored[key]:02d})"
             for key in COUNT_KEYS if live[key] != stored[key]]
    bands = band_counts(session, plan, published.day)
    lines += [f"{BAND_LABELS[band]}: {bands[band]:02d} (số đã chốt: {published.content.bands.get(band.value, 0):02d})"
              for band in Band if bands[band] != published.content.bands.get(band.value, 0)]
    return lines


def close_from(session: Session, plan: Plan, day: date = date.min) -> PeriodClose | None:
    """The earliest close in force whose figures cover `day` or a later day, if any (looked up under
    the writers' shared lock, as every check before a write)."""
    hold_closes(session, plan.id)
    return session.scalar(select(PeriodClose).where(
        PeriodClose.plan_id == plan.id, PeriodClose.reopened_at.is_(None), PeriodClose.day >= day,
    ).order_by(PeriodClose.day).limit(1))


def ensure_no_close_from(session: Session, plan: Plan, day: date = date.min) -> None:
    """PeriodClosed if a close in force covers `day` or any later day: for changes that have no
    date of their own and rewrite the figures from `day` on (a deadline corrected in place; a
    target's direction or text, which re-band every day, leave `day` out)."""
    if (close := close_from(session, plan, day)) is not None:
        raise PeriodClosed(closed_message(close))


def closed_periods(session: Session, plan: Plan) -> list[dict]:
    """Every close of the plan, reopened ones too, newest first (the page's list)."""
    closer, reopener = aliased(User), aliased(User)
    rows = session.execute(
        select(PeriodClose, closer.full_name, closer.username, reopener.full_name, reopener.username)
        .join(closer, closer.id == PeriodClose.closed_by_id)
        .outerjoin(reopener, reopener.id == PeriodClose.reopened_by_id)
        .where(PeriodClose.plan_id == plan.id).order_by(PeriodClose.closed_at.desc(), PeriodClose.id.desc())
    ).all()
    return [{
        "row_id": str(close.id), "period": parse_period(close.period).label, "day": vn_date(close.day),
        "closed": f"{vn_date(close.closed_at)} — {closed_name or closed_user}",
        "reopened": f"{vn_date(close.reopened_at)} — {reopened_name or reopened_user}" if close.reopened_at else "",
        "reason": close.reopen_reason,
        "state": "Đã mở lại" if close.reopened_at else "Đang chốt",
    } for close, closed_name, closed_user, reopened_name, reopened_user in rows]
