"""Users of the app and the change log (append-only history of every change)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, literal, select, true
from sqlalchemy.orm import Mapped, column_property, mapped_column

from models.base import Base
from models.throttle import Throttle

ACCOUNT_KEY_PREFIX = "login-user:"  # the throttle key of an account's failed logins, + its username


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))  # admin | secretariat | leader | agency
    agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"), index=True)
    province_id: Mapped[Optional[int]] = mapped_column(ForeignKey("provinces.id"))
    # How the secretariat reaches the person (a focal point's contacts, from the list it keeps).
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    # The daily digest of reminders (services.reminders); off: in the bell only.
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout, deactivation and role change: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # A demo account uses the published password; outside demo mode it must change it first.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set for a temporary password: the next login leads to the change-password page first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Failed logins are counted in the throttle table (shared by every worker); this reads the
    # account's lock from there, loaded only when asked for (the account pages, the tests).
    locked_until: Mapped[Optional[datetime]] = column_property(
        select(Throttle.locked_until).where(Throttle.key == literal(ACCOUNT_KEY_PREFIX) + username)
        .correlate_except(Throttle).scalar_subquery(),
        deferred=True,
    )


class ChangeLog(Base):
    """Who changed what, when, from which value to which. Rows are never updated or deleted."""

    __tablename__ = "change_log"
    # The history panel reads one entity's changes; at a million rows that needs its own index.
    __table_args__ = (Index("ix_change_log_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # When the change takes effect (an imported status with "Ngày cập nhật" takes that date).
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # The agency on whose behalf the change was made (secretariat editing for an agency).
    on_behalf_of_agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Optional[str]] = mapped_column(Text)
    new_value: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="app")  # app | import | cli
