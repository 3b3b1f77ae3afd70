"""Reminders (nhắc việc): what the app tells a user without being asked, in the bell and by e-mail.

A reminder is identified by (user, kind, subject, period or date): the unique constraint is what
makes the daily job exactly-once, however often and on however many servers it runs.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

KEY_COLUMNS = ("user_id", "kind", "subject_type", "subject_id", "period_key")


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint(*KEY_COLUMNS, name="uq_reminders_key"),
        # The bell counts a user's unread reminders; the page lists them newest first.
        Index("ix_reminders_user_id_read_at", "user_id", "read_at"),
        # The mail step looks for the rows not yet e-mailed.
        Index("ix_reminders_emailed_at_user_id", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # indexed by the key
    plan_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(40))  # services.reminders.rules.KINDS
    subject_type: Mapped[str] = mapped_column(String(20))  # assignment | indicator | plan
    subject_id: Mapped[int] = mapped_column(Integer)
    # The period or date that makes it a new reminder: a due date, an ISO week, a report period.
    period_key: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(400))  # a path inside the app, with ?ke-hoach=ID
    read_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    emailed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A mail run claims a user's unsent rows for a while (a lease), sends, then marks them: the
    # SMTP conversation happens outside any transaction, so no web request waits for it.
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    claimed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
