"""Deadline parser: the printed "Thời hạn hoàn thành" → a due date and a kind.

Every form in DOMAIN.md is recognised; anything else is flagged UNPARSED, never guessed.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from services.common.text import fold


class DeadlineKind(StrEnum):
    ONE_OFF = "one_off"
    MULTI_YEAR = "multi_year"
    RECURRING_QUARTERLY = "recurring_quarterly"
    RECURRING_YEARLY = "recurring_yearly"
    ONGOING = "ongoing"
    UNPARSED = "unparsed"


DEADLINE_KIND_LABELS = {
    DeadlineKind.ONE_OFF: "Có thời hạn",
    DeadlineKind.MULTI_YEAR: "Nhiều năm",
    DeadlineKind.RECURRING_QUARTERLY: "Hằng quý",
    DeadlineKind.RECURRING_YEARLY: "Hằng năm",
    DeadlineKind.ONGOING: "Thường xuyên",
    DeadlineKind.UNPARSED: "Chưa xác định",
}


@dataclass(frozen=True)
class Deadline:
    text: str
    kind: DeadlineKind
    due_date: date | None

    @property
    def needs_review(self) -> bool:
        return self.kind is DeadlineKind.UNPARSED


DATE_FORMS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y")
ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\s*/\s*(\d{4})\b")
_MONTH = re.compile(r"\bthang\s+(\d{1,2})\s*/\s*(\d{4})\b")
_DATE = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\b")
_MONTH_LIST = re.compile(r"\bthang\s+((?:\d{1,2}\s*[,;]\s*|\d{1,2}\s+va\s+)*\d{1,2})\s+nam\s+(\d{4})\b")
_PERIOD = re.compile(r"\bgiai doan\s+(\d{4})\s*[-–—]\s*(\d{4})\b")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2}|21\d{2})\b")


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_end(year: int, quarter: int) -> date:
    return last_day_of_month(year, quarter * 3)


def parse_deadline(text: str | None, plan_year: int) -> Deadline:
    """Parse a printed deadline. `plan_year` anchors the recurring forms ("Hằng quý")."""
    printed = (text or "").strip()
    folded = fold(printed)
    if not folded:
        return Deadline(printed, DeadlineKind.UNPARSED, None)

    if re.search(r"\bhang quy\b", folded):
        return Deadline(printed, DeadlineKind.RECURRING_QUARTERLY, date(plan_year, 12, 31))
    if re.search(r"\bhang nam\b", folded):
        return Deadline(printed, DeadlineKind.RECURRING_YEARLY, date(plan_year, 12, 31))
    if folded in {"thuong xuyen", "dinh ky", "thuong xuyen, dinh ky", "dinh ky, thuong xuyen"}:
        return Deadline(printed, DeadlineKind.ONGOING, None)

    if match := _PERIOD.search(folded):
        return Deadline(printed, DeadlineKind.MULTI_YEAR, date(int(match[2]), 12, 31))
    if match := _DATE.search(folded):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        try:
            return Deadline(printed, DeadlineKind.ONE_OFF, date(year, month, day))
        except ValueError:
            return Deadline(printed, DeadlineKind.UNPARSED, None)
    if match := _QUARTER.search(folded):
        quarter = ROMAN_QUARTERS.get(match[1]) or int(match[1])
        return Deadline(printed, DeadlineKind.ONE_OFF, quarter_end(int(match[2]), quarter))
    if match := _MONTH_LIST.search(folded):
        months = [int(m) for m in re.findall(r"\d{1,2}", match[1])]
        if all(1 <= m <= 12 for m in months):
            return Deadline(printed, DeadlineKind.ONE_OFF, last_day_of_month(int(match[2]), max(months)))
        return Deadline(printed, DeadlineKind.UNPARSED, None)
    if match := _MONTH.search(folded):
        month = int(match[1])
        if 1 <= month <= 12:
            return Deadline(printed, DeadlineKind.ONE_OFF, last_day_of_month(int(match[2]), month))
        return Deadline(printed, DeadlineKind.UNPARSED, None)
    if years := _YEAR.findall(folded):
        # "Năm 2026", "Cuối năm 2026", "2023 - 2024", "Đã thực hiện 2022": 31/12 of the last year.
        return Deadline(printed, DeadlineKind.ONE_OFF, date(max(int(y) for y in years), 12, 31))
    return Deadline(printed, DeadlineKind.UNPARSED, None)


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also with - or .), or ISO; None when empty; ValueError when malformed."""
    text = text.strip()
    if not text:
        return None
    candidate = text.split(" ")[0]  # Excel datetimes come through as "2026-03-31 00:00:00"
    for form in DATE_FORMS:
        try:
            return datetime.strptime(candidate, form).date()
        except ValueError:
            continue
    raise ValueError(text)
