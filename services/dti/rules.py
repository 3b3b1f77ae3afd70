"""The DTI decision's rules (seed 004), each once, on exact numbers.

Scores are whole hundredths of a point (the decision prints two decimals), so every comparison is
exact. A score is judged against its group's maximum (1 000 points for agencies with administrative
procedures and for districts, 800 for the others):
- the percentage is score ÷ maximum, truncated to two decimals ("760,39" of 1 000 is "76,03%");
- the level is decided on the exact ratio: Dẫn dắt over 75 %, Nâng cao over 50 %, Hình thành over
  25 %, Khởi động at 25 % or less;
- the rank is within the group, highest score first; equal scores share a rank (1, 2, 2, 4);
- the group's average is the mean of its scores, rounded half up to two decimals.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.common.queries import vn_number
from services.common.text import fold
from services.indicators.achievement import parse_number

HUNDREDTHS = 100
SCALES = (1000 * HUNDREDTHS, 800 * HUNDREDTHS)  # the maxima the decision uses


class Level(StrEnum):
    LEADING = "leading"
    ADVANCED = "advanced"
    FORMING = "forming"
    STARTING = "starting"


LEVEL_LABELS = {Level.LEADING: "Dẫn dắt", Level.ADVANCED: "Nâng cao", Level.FORMING: "Hình thành",
                Level.STARTING: "Khởi động"}
# Over this share of the maximum (as a fraction n/d), the level; the last one takes the rest.
_THRESHOLDS = ((Level.LEADING, 3, 4), (Level.ADVANCED, 1, 2), (Level.FORMING, 1, 4))


def percent_of(score: int, maximum: int) -> Decimal:
    """Score ÷ maximum in percent, truncated to two decimals as the decision prints it."""
    return (Decimal(score) * 100 / Decimal(maximum)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def percent_text(score: int, maximum: int) -> str:
    """The percentage written as the decision writes it: "76,03%"."""
    return f"{percent_of(score, maximum):.2f}".replace(".", ",") + "%"


def level_of(score: int, maximum: int) -> Level:
    """The level on the exact ratio (75 % itself is Nâng cao, 25 % itself Khởi động)."""
    return next((level for level, numerator, denominator in _THRESHOLDS
                 if score * denominator > maximum * numerator), Level.STARTING)


def ranks(scores: list[int]) -> list[int]:
    """Each score's rank among `scores`, highest first; equal scores share the better rank."""
    return [1 + sum(other > score for other in scores) for score in scores]


def average(scores: list[int]) -> int:
    """The mean of the scores in hundredths, rounded half up (620,596… prints "620,60")."""
    return int((Decimal(sum(scores)) / len(scores)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def points_text(hundredths: int) -> str:
    """A score as the decision prints it: "760,39", "1.000,00"."""
    whole, cents = divmod(hundredths, HUNDREDTHS)
    return f"{vn_number(whole)},{cents:02d}"


def scale_text(hundredths: int) -> str:
    """A maximum as the decision writes it: "1.000", "800"."""
    return points_text(hundredths).removesuffix(",00")


def as_number(hundredths: int) -> int | float:
    """Hundredths as a JSON number: 760.39, 1000."""
    whole, cents = divmod(hundredths, HUNDREDTHS)
    return whole if not cents else hundredths / HUNDREDTHS


def nearest_scale(score: int, percent: Decimal) -> int | None:
    """The maximum a printed score and percentage imply (494,41 at 61,80 % is 800), among SCALES; None
    when the percentage is not positive or the implied maximum is more than 1 % from every scale."""
    if percent <= 0:
        return None
    implied = Decimal(score) * 100 / percent
    scale = min(SCALES, key=lambda s: abs(implied - s))
    return scale if abs(implied - scale) <= scale / Decimal(100) else None


def row_differences(where: str, score: int, maximum: int, rank: int, printed_rank: str, printed_percent: str,
                    printed_level: str) -> list[str]:
    """Each value printed on one row that the rules above do not reproduce, said in Vietnamese
    (`where` names the row); an empty printed cell says nothing."""
    found = []
    if printed_rank and printed_rank.rstrip(".") != str(rank):
        found.append(f"{where}: thứ hạng in “{printed_rank}”, tính lại {rank}.")
    if printed_percent and parse_number(printed_percent) != percent_of(score, maximum):
        found.append(f"{where}: tỷ lệ in “{printed_percent}”, tính lại {percent_text(score, maximum)}.")
    level = LEVEL_LABELS[level_of(score, maximum)]
    if printed_level and fold(printed_level) != fold(level):
        found.append(f"{where}: mức độ in “{printed_level}”, tính lại “{level}”.")
    return found


def average_differences(where: str, mean: int, printed_average: str) -> list[str]:
    """The printed "Điểm trung bình", if the group's average does not reproduce it."""
    printed = parse_number(printed_average) if printed_average else None
    if not printed_average or (printed is not None and printed * HUNDREDTHS == mean):
        return []
    return [f"{where}: điểm trung bình in “{printed_average}”, tính lại {points_text(mean)}."]
