"""The app's notion of "now": Vietnam local time, naive (stored as such in both databases)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    return datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
