"""Reporting periods: a month, quarter, half-year or year, with a key, a Vietnamese label and the
report deadline a plan sets for it.

Keys are the ones the command line and the database use: "2026-11", "2026-Q4", "2026-H1", "2026".
A plan's report for a period is due on its deadline day of the period's last month (Lào Cai:
monthly, the 20th; Lai Châu: quarterly, the 5th of the quarter's last month). Submitting on the
deadline day itself is on time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from services.common.text import fold, quoted
from services.plans.deadlines import ROMAN_QUARTERS, last_day_of_month

CADENCES = {"monthly": "month", "quarterly": "quarter"}
# The years a period may fall in: any plan's, with a year's margin below date.max, so "the period
# before", a period's end plus a day and a due-soon window never leave the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 9998
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_KEY = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$")
# The reports' own words (folded): "Quý II/2024", "Tháng 6/2024", "6 tháng đầu năm 2024", "Năm 2024".
_OF_YEAR = r"\s*(?:/|nam)\s*(\d{4})$"
_QUARTER_LABEL = re.compile(r"^quy\s+(iv|iii|ii|i|[1-4])" + _OF_YEAR)
_MONTH_LABEL = re.compile(r"^(?:thang\s+)?(\d{1,2})" + _OF_YEAR)
_HALF_LABEL = re.compile(r"^6 thang(?: (dau|cuoi))? nam\s*(\d{4})$")
_YEAR_LABEL = re.compile(r"^nam\s+(\d{4})$")
_NINE_MONTHS = re.compile(r"^9 thang(?: dau nam| nam)?(?:\s*/?\s*(\d{4}))?$")
_LEADING_ZERO = re.compile(r"^0(\d)\b")  # "06 tháng", "09 tháng"


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Immutable, so its words and dates are worked out once (a table reads thousands of them)."""

    kind: str  # month | quarter | half | year
    year: int
    number: int  # month 1–12, quarter 1–4, half 1–2, or 1 for a year

    def __post_init__(self):
        """Every period, parsed, chosen or computed ("the one before"), is bounded here, once."""
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidPeriod(f"Năm {self.year} nằm ngoài khoảng theo dõi ({FIRST_YEAR}–{LAST_YEAR}).")

    @cached_property
    def key(self) -> str:
        return {
            "month": f"{self.year}-{self.number:02d}",
            "quarter": f"{self.year}-Q{self.number}",
            "half": f"{self.year}-H{self.number}",
            "year": f"{self.year}",
        }[self.kind]

    @cached_property
    def label(self) -> str:
        return {
            "month": f"Tháng {self.number}/{self.year}",
            "quarter": f"Quý {ROMAN.get(self.number, '')}/{self.year}",
            "half": f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}",
            "year": f"Năm {self.year}",
        }[self.kind]

    @cached_property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @cached_property
    def start(self) -> date:
        return date(self.year, (self.number - 1) * self.months + 1, 1)

    @cached_property
    def end(self) -> date:
        return last_day_of_month(self.year, self.number * self.months)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        return Period(self.kind, self.year - 1, 12 // self.months)

    def deadline(self, deadline_day: int) -> date:
        """The report deadline: that day of the period's last month (clamped to the month's end)."""
        last = self.end
        return date(last.year, last.month, min(max(deadline_day, 1), last.day))


@lru_cache(maxsize=1024)
def parse_period(text: str) -> Period:
    """A key ("2026-11", "2026-Q2", "2026-H1", "2026") or the reports' label ("Tháng 11/2026",
    "Quý II/2026", "6 tháng đầu năm 2026", "Năm 2026"). InvalidPeriod otherwise."""
    text = (text or "").strip()
    match = _KEY.match(text.upper())
    if match:
        return _from_key(text, match)
    folded = fold(text)
    if match := _QUARTER_LABEL.match(folded):
        return Period("quarter", int(match[2]), ROMAN_QUARTERS.get(match[1]) or int(match[1]))
    if match := _MONTH_LABEL.match(folded):
        if 1 <= int(match[1]) <= 12:
            return Period("month", int(match[2]), int(match[1]))
        raise InvalidPeriod(f"Tháng {int(match[1])} không hợp lệ trong kỳ “{quoted(text)}”.")
    if match := _HALF_LABEL.match(folded):
        return Period("half", int(match[2]), 2 if match[1] == "cuoi" else 1)
    if match := _YEAR_LABEL.match(folded):
        return Period("year", int(match[1]), 1)
    raise InvalidPeriod(f"Kỳ “{quoted(text)}” không hợp lệ; dùng dạng 2026-06, 2026-Q2, 2026-H1, 2026 hoặc Tháng 6/2026, "
                        "Quý II/2026, 6 tháng đầu năm 2026, Năm 2026.")


def parse_period_in_year(text: str, year: int) -> Period:
    """A period as a report's column header or cell may name it, the year left to the plan's:
    "6 tháng", "06 tháng đầu năm" (the first half), "Quý II", "Tháng 6", "Năm", "Cả năm"; and
    "9 tháng" (the first nine months), kept as the third quarter, the period whose end they share,
    as a value stands for its period's end. With its year it reads as `parse_period` does. Raises
    `parse_period`'s InvalidPeriod when neither reads."""
    folded = _LEADING_ZERO.sub(r"\1", fold(text)).removeprefix("ca ")
    if match := _NINE_MONTHS.match(folded):
        return Period("quarter", int(match[1] or year), 3)
    try:
        return parse_period(text)
    except InvalidPeriod as exc:
        refusal = exc
    for completed in (folded, f"{folded} {year}", f"{folded}/{year}", f"{folded} nam {year}"):
        try:
            return parse_period(completed)
        except InvalidPeriod:
            continue
    raise refusal


def _from_key(key: str, match: re.Match) -> Period:
    year = int(match[1])
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"Tháng {month} không hợp lệ trong kỳ “{key}”.")
        return Period("month", year, month)
    if match[3]:
        return Period("quarter", year, int(match[3]))
    if match[4]:
        return Period("half", year, int(match[4]))
    return Period("year", year, 1)


def periods_of_year(year: int, kinds: tuple[str, ...], today: date) -> list[Period]:
    """The year's periods of these kinds that have begun by `today`: kind by kind in the order
    given, newest first within a kind."""
    return [period for kind in kinds
            for period in (Period(kind, year, n) for n in range(12 // Period(kind, year, 1).months, 0, -1))
            if period.start <= today]


def period_containing(day: date, kind: str) -> Period:
    months = Period(kind, day.year, 1).months
    return Period(kind, day.year, (day.month - 1) // months + 1)


def reporting_period(cadence: str, day: date) -> Period:
    """The period an agency reports for on `day`: the one containing it."""
    if cadence not in CADENCES:
        raise InvalidPeriod(f"Chu kỳ báo cáo “{cadence}” không hợp lệ.")
    return period_containing(day, CADENCES[cadence])
