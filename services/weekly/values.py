"""What an agency types for an indicator, read the Vietnamese way: a count ("463.724"), a fraction
("107/135", "38.000/50.000"), a percent ("79,6%", "98"), or "-" for not applicable / no data."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.common.queries import vn_decimal
from services.indicators.achievement import parse_number

KIND_LABELS = {"count": "số lượng", "fraction": "tỷ số (tử số/mẫu số)", "percent": "tỷ lệ %",
               "number": "số lượng hoặc tỷ lệ %"}
KIND_EXAMPLES = {"count": "463.724", "fraction": "107/135", "percent": "79,6%", "number": "37.173 hoặc 100%"}
NOT_APPLICABLE_MARKS = ("-", "–", "—")
MAX_LENGTH = 60
MAX_PERCENT = 1000  # a rate can pass 100 % ("66/58", "108"), never by that much


class InvalidEntry(ValueError):
    """The message is for the person who typed the value."""


@dataclass(frozen=True)
class EntryValue:
    text: str  # as typed, spaces trimmed
    not_applicable: bool = False
    numerator: float | None = None
    denominator: float | None = None
    number: float | None = None  # the count, the percent, or the fraction's percent


def _hint(kind: str) -> str:
    return f"nhập {KIND_LABELS[kind]}, ví dụ {KIND_EXAMPLES[kind]}, hoặc “-” nếu không có dữ liệu"


def _non_negative(text: str, kind: str) -> Decimal:
    number = parse_number(text)
    if number is None or number < 0:
        raise InvalidEntry(f"“{text}” không phải là số hợp lệ: {_hint(kind)}.")
    return number


def parse_entry(raw: object, kind: str) -> EntryValue | None:
    """The value typed for an indicator of `kind` (count | fraction | percent); None when blank.
    InvalidEntry with a Vietnamese message otherwise."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidEntry(f"Giá trị không hợp lệ: {_hint(kind)}.")
    text = " ".join(raw.split())
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise InvalidEntry(f"Giá trị quá dài (tối đa {MAX_LENGTH} ký tự): {_hint(kind)}.")
    if text in NOT_APPLICABLE_MARKS:
        return EntryValue("-", not_applicable=True)
    if kind == "number":  # a column where some agencies give a count and others a rate (seed 000)
        kind = "percent" if text.endswith("%") else "count"
    if kind == "fraction":
        top, slash, bottom = text.partition("/")
        if not slash:
            raise InvalidEntry(f"“{text}” chưa có dạng tử số/mẫu số: {_hint(kind)}.")
        numerator, denominator = _non_negative(top, kind), _non_negative(bottom, kind)
        if denominator == 0:
            raise InvalidEntry(f"“{text}”: mẫu số phải lớn hơn 0.")
        return EntryValue(text, numerator=float(numerator), denominator=float(denominator),
                          number=float(100 * numerator / denominator))
    if kind == "percent":
        number = _non_negative(text.removesuffix("%").strip(), kind)
        if number > MAX_PERCENT:
            raise InvalidEntry(f"“{text}”: tỷ lệ không thể vượt {MAX_PERCENT}%.")
        return EntryValue(text, number=float(number))
    if kind == "count":
        number = _non_negative(text, kind)
        if number != number.to_integral_value():
            raise InvalidEntry(f"“{text}”: số lượng phải là số nguyên, ví dụ {KIND_EXAMPLES['count']}.")
        return EntryValue(text, number=float(number))
    raise InvalidEntry(f"Loại chỉ tiêu “{kind}” không hợp lệ.")


def figure_text(number: float | None, kind: str, decimals: int = 0) -> str:
    """A computed figure as the report prints it: "79,6%", "463.724"; "-" when there is none."""
    if number is None:
        return "-"
    shown = vn_decimal(number, decimals)
    return f"{shown}%" if kind in ("percent", "fraction") else shown
