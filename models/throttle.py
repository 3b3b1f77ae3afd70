"""Counters shared by every worker: failed logins per account and per client address, writes per user."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Throttle(Base):
    """One row per key ("login-user:<name>", "login-ip:<address>", "write-user:<id>"): how many hits
    fell in the window that began at `window_start`, and until when the key is locked, if it is."""

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
