"""The causes of delay a report names ("Tồn tại, hạn chế, nguyên nhân"), grouped from the reasons
agencies typed for the parts they have not finished. Grouping is by keywords on folded text (no
diacritics, lower case), whole words only; a reason naming several causes is listed under each.
Extend the table, not the code.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from services.common.text import fold

# (cause, folded keywords), in the order the report prints causes with as many reasons.
CAUSE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kinh phí, nguồn vốn", ("kinh phi", "ngan sach", "von", "du toan", "giai ngan")),
    ("Thủ tục, hồ sơ, văn bản hướng dẫn", ("thu tuc", "ho so", "tham dinh", "phe duyet", "huong dan", "van ban")),
    ("Hạ tầng, thiết bị, phần mềm", ("ha tang", "thiet bi", "phan mem", "he thong", "duong truyen")),
    ("Nhân lực", ("nhan luc", "can bo", "nhan su")),
    ("Phối hợp, dữ liệu từ đơn vị khác", ("phoi hop", "du lieu", "ket noi")),
)
OTHER = "Nguyên nhân khác"
_PATTERNS = [(label, re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"))
             for label, words in CAUSE_KEYWORDS]


def causes_of(reason: str) -> list[str]:
    """The causes a reason names, in the table's order; [OTHER] when it names none."""
    folded = fold(reason)
    return [label for label, pattern in _PATTERNS if pattern.search(folded)] or [OTHER]


def group_reasons(reasons: Iterable[tuple[str, str, str]]) -> list[tuple[str, list[str]]]:
    """(agency, task number, reason) → [(cause, ["Sở Y tế (nhiệm vụ 12): <reason>", ...])], the causes
    with the most reasons first (ties in the table's order, other causes last); empty reasons are
    ignored and each reason is listed once per cause."""
    grouped: dict[str, dict[str, None]] = {label: {} for label, _ in CAUSE_KEYWORDS}  # ordered sets
    grouped[OTHER] = {}
    for agency, stt, reason in reasons:
        reason = " ".join((reason or "").split())
        if not reason:
            continue
        line = f"{agency} (nhiệm vụ {stt}): {reason}"
        for label in causes_of(reason):
            grouped[label][line] = None
    order = list(grouped)
    return sorted(((label, list(lines)) for label, lines in grouped.items() if lines),
                  key=lambda item: (-len(item[1]), order.index(item[0])))
