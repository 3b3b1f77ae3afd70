"""Reporting periods: a week, month, quarter, half-year or year, with a key, a Vietnamese label and
the report deadline a plan sets for it.

Keys are the ones the command line and the database use: "2025-W05", "2026-11", "2026-Q4",
"2026-H1", "2026". A week's days depend on the plan's week scheme (`WeekScheme`: the weekday a
week starts on and which week is week 1); its key and label do not. Lào Cai's weekly report runs
Friday to Thursday, week 1 being the first week that starts in the year, so week 05/2025 is
31/01/2025 to 06/02/2025.
A plan's report for a period is due on its deadline day of the period's last month (Lào Cai:
monthly, the 20th; Lai Châu: quarterly, the 5th of the quarter's last month). Submitting on the
deadline day itself is on time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from services.common.text import fold, quoted
from services.plans.deadlines import ROMAN_QUARTERS, last_day_of_month

CADENCES = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
# The years a period may fall in: any plan's, with a year's margin below date.max, so "the period
# before", a period's end plus a day and a due-soon window never leave the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 9998
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_KEY = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])|W(\d{1,2})))?$")
# The reports' own words (folded): "Quý II/2024", "Tháng 6/2024", "6 tháng đầu năm 2024", "Năm 2024".
_OF_YEAR = r"\s*(?:/|nam)\s*(\d{4})$"
_QUARTER_LABEL = re.compile(r"^quy\s+(iv|iii|ii|i|[1-4])" + _OF_YEAR)
_MONTH_LABEL = re.compile(r"^(?:thang\s+)?(\d{1,2})" + _OF_YEAR)
_HALF_LABEL = re.compile(r"^6 thang(?: (dau|cuoi))? nam\s*(\d{4})$")
_YEAR_LABEL = re.compile(r"^nam\s+(\d{4})$")
_WEEK_LABEL = re.compile(r"^tuan\s+(\d{1,2})" + _OF_YEAR)
_NINE_MONTHS = re.compile(r"^9 thang(?: dau nam| nam)?(?:\s*/?\s*(\d{4}))?$")
_LEADING_ZERO = re.compile(r"^0(\d)\b")  # "06 tháng", "09 tháng"


class InvalidPeriod(ValueError):
    pass


# How a week is numbered: which day of the week 1 must hold. "majority": the week holding most of
# its days in the year (ISO 8601 with a Monday start: the week of 4 January); "first_start": the
# first week starting in the year (the week of the 7th); "contains_jan1": the week of 1 January.
WEEK_NUMBERINGS = {"majority": 3, "first_start": 6, "contains_jan1": 0}
WEEK_NUMBERING_LABELS = {
    "majority": "Tuần 1 là tuần có nhiều ngày nhất trong năm mới (ISO 8601)",
    "first_start": "Tuần 1 là tuần đầu tiên bắt đầu trong năm",
    "contains_jan1": "Tuần 1 là tuần chứa ngày 01/01",
}
WEEKDAY_LABELS = {1: "Thứ Hai", 2: "Thứ Ba", 3: "Thứ Tư", 4: "Thứ Năm", 5: "Thứ Sáu", 6: "Thứ Bảy", 7: "Chủ nhật"}


@dataclass(frozen=True)
class WeekScheme:
    """A plan's weeks: the ISO weekday they start on (1 Monday … 7 Sunday) and their numbering."""

    start: int = 1
    numbering: str = "majority"

    def __post_init__(self):
        if self.start not in WEEKDAY_LABELS:
            raise InvalidPeriod(f"Ngày bắt đầu tuần “{self.start}” không hợp lệ (1 = Thứ Hai … 7 = Chủ nhật).")
        if self.numbering not in WEEK_NUMBERINGS:
            raise InvalidPeriod(f"Cách đánh số tuần “{self.numbering}” không hợp lệ.")

    def week_start(self, day: date) -> date:
        return day - timedelta(days=(day.isoweekday() - self.start) % 7)

    def first_week(self, year: int) -> date:
        """The first day of week 1 of `year`."""
        return self.week_start(date(year, 1, 1) + timedelta(days=WEEK_NUMBERINGS[self.numbering]))

    def week_of(self, day: date) -> tuple[int, int]:
        """(year, number) of the week holding `day`: a week belongs to the year of its reference day."""
        start = self.week_start(day)
        year = (start + timedelta(days=6 - WEEK_NUMBERINGS[self.numbering])).year
        return year, (start - self.first_week(year)).days // 7 + 1

    def weeks_in(self, year: int) -> int:
        return (self.first_week(year + 1) - self.first_week(year)).days // 7


ISO_WEEKS = WeekScheme()


def week_scheme(plan) -> WeekScheme:
    """The plan's week settings (`Plan.week_start`, `Plan.week_numbering`)."""
    return WeekScheme(plan.week_start, plan.week_numbering)


@dataclass(frozen=True)
class Period:
    """Immutable, so its words and dates are worked out once (a table reads thousands of them)."""

    kind: str  # week | month | quarter | half | year
    year: int
    number: int  # week 1–53, month 1–12, quarter 1–4, half 1–2, or 1 for a year
    weeks: WeekScheme = ISO_WEEKS  # a week's days (other kinds ignore it)

    def __post_init__(self):
        """Every period, parsed, chosen or computed ("the one before"), is bounded here, once."""
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidPeriod(f"Năm {self.year} nằm ngoài khoảng theo dõi ({FIRST_YEAR}–{LAST_YEAR}).")
        if self.kind != "week" and self.weeks != ISO_WEEKS:
            object.__setattr__(self, "weeks", ISO_WEEKS)  # only a week's days depend on it
        if self.kind == "week" and not 1 <= self.number <= self.weeks.weeks_in(self.year):
            raise InvalidPeriod(f"Năm {self.year} không có tuần {self.number:02d} "
                                f"(có {self.weeks.weeks_in(self.year)} tuần).")

    @cached_property
    def key(self) -> str:
        return {
            "week": f"{self.year}-W{self.number:02d}",
            "month": f"{self.year}-{self.number:02d}",
            "quarter": f"{self.year}-Q{self.number}",
            "half": f"{self.year}-H{self.number}",
            "year": f"{self.year}",
        }[self.kind]

    @cached_property
    def label(self) -> str:
        return {
            "week": f"Tuần {self.number:02d}/{self.year}",
            "month": f"Tháng {self.number}/{self.year}",
            "quarter": f"Quý {ROMAN.get(self.number, '')}/{self.year}",
            "half": f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}",
            "year": f"Năm {self.year}",
        }[self.kind]

    @cached_property
    def months(self) -> int:
        """How many months the period spans (0 for a week: shorter than any month)."""
        return {"week": 0, "month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @cached_property
    def start(self) -> date:
        if self.kind == "week":
            return self.weeks.first_week(self.year) + timedelta(weeks=self.number - 1)
        return date(self.year, (self.number - 1) * self.months + 1, 1)

    @cached_property
    def end(self) -> date:
        if self.kind == "week":
            return self.start + timedelta(days=6)
        return last_day_of_month(self.year, self.number * self.months)

    @cached_property
    def dates_label(self) -> str:
        """"từ ngày 31/01/2025 đến ngày 06/02/2025", as the weekly report's title prints it."""
        return f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"

    @cached_property
    def choice_label(self) -> str:
        """How a selector lists it: a week with its days, "Tuần 05/2025 (31/01–06/02/2025)"."""
        if self.kind == "week":
            return f"{self.label} ({self.start:%d/%m}–{self.end:%d/%m/%Y})"
        return self.label

    def previous(self) -> Period:
        if self.kind == "week":
            return week_containing(self.start - timedelta(days=1), self.weeks)
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        return Period(self.kind, self.year - 1, 12 // self.months)

    def following(self) -> Period:
        if self.kind == "week":
            return week_containing(self.end + timedelta(days=1), self.weeks)
        if self.number * self.months < 12:
            return Period(self.kind, self.year, self.number + 1)
        return Period(self.kind, self.year + 1, 1)

    def deadline(self, deadline_day: int) -> date:
        """The report deadline: that day of the period's last month (clamped to the month's end);
        a week's entries are due on its last day."""
        if self.kind == "week":
            return self.end
        last = self.end
        return date(last.year, last.month, min(max(deadline_day, 1), last.day))


def week_containing(day: date, weeks: WeekScheme = ISO_WEEKS) -> Period:
    return Period("week", *weeks.week_of(day), weeks)


@lru_cache(maxsize=1024)
def parse_period(text: str, weeks: WeekScheme = ISO_WEEKS) -> Period:
    """A key ("2025-W05", "2026-11", "2026-Q2", "2026-H1", "2026") or the reports' label ("Tuần
    05/2025", "Tháng 11/2026", "Quý II/2026", "6 tháng đầu năm 2026", "Năm 2026"); a week's days
    follow `weeks`, the plan's scheme. InvalidPeriod otherwise."""
    text = (text or "").strip()
    match = _KEY.match(text.upper())
    if match:
        return _from_key(text, match, weeks)
    folded = fold(text)
    if match := _WEEK_LABEL.match(folded):
        return Period("week", int(match[2]), int(match[1]), weeks)
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
    raise InvalidPeriod(f"Kỳ “{quoted(text)}” không hợp lệ; dùng dạng 2025-W05, 2026-06, 2026-Q2, 2026-H1, 2026 "
                        "hoặc Tuần 05/2025, Tháng 6/2026, Quý II/2026, 6 tháng đầu năm 2026, Năm 2026.")


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


def _from_key(key: str, match: re.Match, weeks: WeekScheme) -> Period:
    year = int(match[1])
    if match[5]:
        return Period("week", year, int(match[5]), weeks)
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


def periods_of_year(year: int, kinds: tuple[str, ...], today: date, weeks: WeekScheme = ISO_WEEKS) -> list[Period]:
    """The year's periods of these kinds that have begun by `today`: kind by kind in the order
    given, newest first within a kind (weeks numbered in the year by `weeks`)."""
    def count(kind: str) -> int:
        return weeks.weeks_in(year) if kind == "week" else 12 // Period(kind, year, 1).months
    return [period for kind in kinds
            for period in (Period(kind, year, n, weeks) for n in range(count(kind), 0, -1))
            if period.start <= today]


def period_containing(day: date, kind: str, weeks: WeekScheme = ISO_WEEKS) -> Period:
    if kind == "week":
        return week_containing(day, weeks)
    months = Period(kind, day.year, 1).months
    return Period(kind, day.year, (day.month - 1) // months + 1)


def reporting_period(cadence: str, day: date, weeks: WeekScheme = ISO_WEEKS) -> Period:
    """The period an agency reports for on `day`: the one containing it."""
    if cadence not in CADENCES:
        raise InvalidPeriod(f"Chu kỳ báo cáo “{cadence}” không hợp lệ.")
    return period_containing(day, CADENCES[cadence], weeks)
