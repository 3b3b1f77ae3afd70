"""Plan versus actual for the targets of Phụ lục 01 (DOMAIN.md "Indicators"); each rule once, here.

- Targets and values are kept as printed and read as a number ("50%", "9,5%", "0.7", "1.277"),
  several levels in one cell ("95/95/95", province/district/commune) or text ("Có", "Thuê dịch vụ").
  Numbers follow Vietnamese print: "." groups thousands, "," marks decimals; a lone "." followed by
  other than three digits is a decimal point ("0.7", "95.56").
- "(95)" and "Ước đạt 95" are estimates of 95; "-" and "Chưa có số liệu" are no value.
- Achievement = actual ÷ target × 100, or target ÷ actual when lower is better, shown as a whole
  percent (half up); the band is decided on the exact ratio, so 79,6 % is under 80 %.
- A multi-level target is as achieved as its weakest level; one figure stands for every level.
- A text target is met when the value reads the same (case and diacritics aside). Text and
  multi-level targets take the secretariat's assessment (Đạt / Không đạt) where it is given;
  numeric targets go by the number. Met counts as 100 % and above, not met as under 50 %.
- A target of zero or less ("0 sự cố") cannot be shared out: it is met or not met.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

from services.common.text import fold


class TargetKind(StrEnum):
    NUMBER = "number"
    LEVELS = "levels"
    TEXT = "text"


class Band(StrEnum):
    EXCEEDED = "exceeded"
    OVER_80 = "over_80"
    FROM_50_TO_80 = "from_50_to_80"
    UNDER_50 = "under_50"
    NO_DATA = "no_data"


BAND_LABELS = {
    Band.EXCEEDED: "Hoàn thành và vượt kế hoạch giao",
    Band.OVER_80: "Thực hiện đạt trên 80% kế hoạch giao",
    Band.FROM_50_TO_80: "Thực hiện đạt 50% - 80% kế hoạch giao",
    Band.UNDER_50: "Thực hiện dưới 50% kế hoạch giao",
    Band.NO_DATA: "Chưa có số liệu",
}
ASSESSMENT_LABELS = {"met": "Đạt", "not_met": "Không đạt"}
MAX_VALUE_LENGTH = 120  # indicator_values.value_text

_HIGHER_WORDS = ("≥", ">=", ">", "tren", "toi thieu", "it nhat", "da dat", "dat", "tu", "hon")
_LOWER_WORDS = ("≤", "<=", "<", "duoi", "toi da", "khong qua", "khong vuot qua", "thap hon")
_HIGHER_SUFFIX, _LOWER_SUFFIX = "tro len", "tro xuong"
_NO_VALUE = {"", "-", "--", "—", "–", "x", "n/a", "chua co", "chua co so lieu", "chua co du lieu",
             "khong co so lieu", "khong co du lieu", "khong bao cao", "chua bao cao"}
_ESTIMATE_PREFIX = re.compile(r"^(?:ước|uoc)(?:\s+(?:đạt|dat|tính|tinh|thực hiện|thuc hien))?\s*:?\s*", re.I)
_ESTIMATE_SUFFIX = re.compile(r"\s*\((?:ước|uoc)(?:\s+(?:tính|tinh|đạt|dat))?\)$", re.I)
_PARENTHESES = re.compile(r"^\((.*)\)$", re.S)
_NUMBER_AND_UNIT = re.compile(r"^([+\-−]?[\d.,]+)\s*(%?)\s*([^\d/().,]*)$")
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+$")


class InvalidValue(ValueError):
    """A value that cannot be read against its target; the message is for the person who typed it."""


def parse_number(text: str) -> Decimal | None:
    """"9,5" → 9.5, "1.277" → 1277, "0.7" → 0.7, "1.234,5" → 1234.5, "48%" → 48; None if not a number."""
    s = re.sub(r"\s+", "", text or "").replace("−", "-").removesuffix("%")
    sign = ""
    if s[:1] in "+-":
        sign, s = s[:1].replace("+", ""), s[1:]
    if not s or not re.fullmatch(r"[\d.,]+", s) or not s[0].isdigit() or not s[-1].isdigit():
        return None
    if "." in s and "," in s:
        decimal_mark = "," if s.rfind(",") > s.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        whole, _, fraction = s.rpartition(decimal_mark)
        if grouping in fraction or not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})*", whole):
            return None
        s = whole.replace(grouping, "") + "." + fraction
    elif "," in s:
        s = s.replace(",", "") if s.count(",") > 1 else s.replace(",", ".")
    elif s.count(".") > 1 or _THOUSANDS.match(s):
        if not _THOUSANDS.match(s):
            return None
        s = s.replace(".", "")
    try:
        return Decimal(sign + s)
    except InvalidOperation:
        return None


def _number_with_unit(text: str) -> Decimal | None:
    """A number, optionally with % or a unit word after it ("50 sản phẩm")."""
    match = _NUMBER_AND_UNIT.match(text.strip())
    return parse_number(match[1]) if match else None


def _compared_number(folded: str) -> tuple[Decimal, bool | None] | None:
    """A number with the words around it: "≥ 70%" → (70, False), "dưới 5%" → (5, True),
    "80% trở lên" → (80, False), "48" → (48, None). Folded text in, None if no number."""
    lower = None
    if folded.startswith("co ") and _compared_number(folded[3:]) is not None:
        folded = folded[3:]  # "Có ≥ 70%": there is at least 70 %
    for words, is_lower in ((_LOWER_WORDS, True), (_HIGHER_WORDS, False)):
        word = next((w for w in words if folded.startswith(w)), None)
        if word is not None and _number_with_unit(folded[len(word):].removesuffix(_HIGHER_SUFFIX)
                                                  .removesuffix(_LOWER_SUFFIX)) is not None:
            folded, lower = folded[len(word):].strip(), is_lower
            break
    for suffix, is_lower in ((_LOWER_SUFFIX, True), (_HIGHER_SUFFIX, False)):
        if folded.endswith(suffix) and _number_with_unit(folded.removesuffix(suffix)) is not None:
            folded, lower = folded.removesuffix(suffix).strip(), is_lower
    number = _number_with_unit(folded)
    return None if number is None else (number, lower)


def _levels(folded: str) -> tuple[Decimal, ...] | None:
    parts = folded.split("/")
    if len(parts) < 2:
        return None
    numbers = tuple(_number_with_unit(part) for part in parts)
    return None if any(n is None for n in numbers) else numbers


@dataclass(frozen=True)
class Target:
    text: str  # as printed
    kind: TargetKind
    number: Decimal | None = None
    levels: tuple[Decimal, ...] = ()
    lower_is_better: bool = False  # printed as "≤ 5%", "Dưới 5%", "Tối đa 5%"


@lru_cache(maxsize=4096)
def parse_target(text: str) -> Target:
    """"≥ 70%" → NUMBER 70, "95/95/95" → LEVELS, "Dưới 5%" → NUMBER 5 (lower is better), "Có" → TEXT."""
    printed = (text or "").strip()
    folded = fold(printed)
    if (levels := _levels(folded)) is not None:
        return Target(printed, TargetKind.LEVELS, levels=levels)
    if (compared := _compared_number(folded)) is not None:
        return Target(printed, TargetKind.NUMBER, number=compared[0], lower_is_better=compared[1] is True)
    return Target(printed, TargetKind.TEXT)


@dataclass(frozen=True)
class Reading:
    """A reported value: the text without its estimate marks, what it means, and whether estimated."""

    text: str
    is_estimate: bool
    number: Decimal | None = None
    levels: tuple[Decimal, ...] = ()


@lru_cache(maxsize=16384)
def parse_reading(text: str, target: Target) -> Reading | None:
    """Read a value against its target; None for no value ("", "-"). Raises InvalidValue."""
    printed = unicodedata.normalize("NFC", text or "").strip()
    if len(printed) > MAX_VALUE_LENGTH:
        raise InvalidValue(f"Kết quả dài quá {MAX_VALUE_LENGTH} ký tự.")
    estimate = False
    for marks in (_PARENTHESES, _ESTIMATE_SUFFIX, _ESTIMATE_PREFIX):
        if (match := marks.search(printed)) and match.group(0):
            inner = match[1] if marks is _PARENTHESES else marks.sub("", printed, count=1)
            printed, estimate = inner.strip(), True
    folded = fold(printed)
    if folded in _NO_VALUE:
        return None
    if target.kind is TargetKind.TEXT:
        compared = _compared_number(folded)
        return Reading(printed, estimate, number=compared[0] if compared else None)
    if target.kind is TargetKind.LEVELS:
        levels, compared = _levels(folded), _compared_number(folded)
        if levels is not None and len(levels) == len(target.levels):
            return Reading(printed, estimate, levels=levels)
        if levels is None and compared is not None:
            return Reading(printed, estimate, number=compared[0], levels=(compared[0],) * len(target.levels))
        example = "/".join(str(90 + i) for i in range(len(target.levels)))
        raise InvalidValue(f"Mục tiêu có {len(target.levels)} cấp ({target.text}): nhập {len(target.levels)} số "
                           f"cách nhau bởi “/”, ví dụ {example}, hoặc một số chung cho mọi cấp.")
    compared = _compared_number(folded)
    if compared is None:
        raise InvalidValue(f"Kết quả phải là một số (ví dụ 48 hoặc 48,5%) vì mục tiêu là “{target.text}”.")
    return Reading(printed, estimate, number=compared[0])


def display_value(text: str, is_estimate: bool) -> str:
    """The value as reports print it: an estimate in parentheses, "(95%)"."""
    return f"({text})" if is_estimate and text else text


@dataclass(frozen=True)
class Achievement:
    band: Band
    percent: int | None = None  # whole percent of the plan, when it is a ratio
    met: bool | None = None  # for text targets and manual assessments

    @property
    def label(self) -> str:
        """"96%", "Đạt", "Không đạt", or "" without a value."""
        if self.percent is not None:
            return f"{self.percent}%"
        if self.met is not None:
            return ASSESSMENT_LABELS["met" if self.met else "not_met"]
        return ""


NO_DATA = Achievement(Band.NO_DATA)
MET, NOT_MET = Achievement(Band.EXCEEDED, met=True), Achievement(Band.UNDER_50, met=False)


def band_of(share: int, plan: int) -> Band:
    """The band of the exact ratio share/plan (plan > 0): 80 % belongs to "trên 80%", 100 % exceeds.
    Integers, not Fractions: a table assesses thousands of values and Fraction is slow."""
    if share >= plan:
        return Band.EXCEEDED
    if 5 * share >= 4 * plan:
        return Band.OVER_80
    if 2 * share >= plan:
        return Band.FROM_50_TO_80
    return Band.UNDER_50


def whole_percent(share: int, plan: int) -> int:
    """share/plan as a whole percent, half up, away from zero: 79,5 % → 80, 99,9 % → 100."""
    rounded = (200 * abs(share) + plan) // (2 * plan)
    return rounded if share >= 0 else -rounded


def _ratio(actual: Decimal, target: Decimal, higher_is_better: bool) -> Achievement:
    if higher_is_better:
        if target <= 0:  # "0 sự cố" and the like: a comparison, not a share
            return MET if actual >= target else NOT_MET
        share, plan = actual, target
    else:
        if target <= 0 or actual <= 0:
            return MET if actual <= target else NOT_MET
        share, plan = target, actual
    share_n, share_d = share.as_integer_ratio()
    plan_n, plan_d = plan.as_integer_ratio()
    p, q = share_n * plan_d, share_d * plan_n  # share ÷ plan = p/q exactly
    return Achievement(band_of(p, q), percent=whole_percent(p, q))


def assess(target: Target, reading: Reading | None, *, higher_is_better: bool = True,
           assessment: str | None = None) -> Achievement:
    """How far a value goes towards its target (see the module's rules)."""
    if target.kind is not TargetKind.NUMBER and assessment in ASSESSMENT_LABELS:
        return MET if assessment == "met" else NOT_MET
    if reading is None:
        return NO_DATA
    if target.kind is TargetKind.TEXT:
        return MET if fold(reading.text) == fold(target.text) else NOT_MET
    if target.kind is TargetKind.LEVELS:
        achievements = [_ratio(actual, planned, higher_is_better)
                        for actual, planned in zip(reading.levels, target.levels)]
        return min(achievements, key=_rank)
    return _ratio(reading.number, target.number, higher_is_better)


_BAND_ORDER = [Band.UNDER_50, Band.FROM_50_TO_80, Band.OVER_80, Band.EXCEEDED]


def _rank(achievement: Achievement) -> tuple[int, int]:
    """Weakest first: by band, then by percent (a met comparison ranks as 100)."""
    percent = achievement.percent if achievement.percent is not None else (100 if achievement.met else 0)
    return _BAND_ORDER.index(achievement.band), percent


def parse_assessment(text: str) -> str | None:
    """"Đạt" → met, "Không đạt"/"Chưa đạt" → not_met, "" → None; ValueError for anything else."""
    folded = fold(text)
    if not folded:
        return None
    if folded in ("dat", "hoan thanh", "vuot", "dat va vuot", "hoan thanh va vuot", "da dat"):
        return "met"
    if folded in ("khong dat", "chua dat", "chua hoan thanh", "khong hoan thanh"):
        return "not_met"
    raise ValueError(text)
