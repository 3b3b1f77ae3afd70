"""Status parser: the reports' wording → one of three states, plus any remark in parentheses."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from services.common.text import fold


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


STATUS_LABELS = {
    Status.NOT_STARTED: "Chưa thực hiện",
    Status.IN_PROGRESS: "Đang thực hiện",
    Status.DONE: "Đã hoàn thành",
}

_PREFIXES: list[tuple[str, Status]] = [
    ("chua thuc hien", Status.NOT_STARTED),
    ("chua trien khai", Status.NOT_STARTED),
    ("dang thuc hien", Status.IN_PROGRESS),
    ("dang trien khai", Status.IN_PROGRESS),
    ("dang nghien cuu thuc hien", Status.IN_PROGRESS),
    ("da hoan thanh", Status.DONE),
    ("da thuc hien", Status.DONE),
    ("hoan thanh", Status.DONE),
]
_REMARK = re.compile(r"^[^(]*\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class ParsedStatus:
    status: Status
    remark: str


class UnknownStatus(ValueError):
    pass


def parse_status(text: str) -> ParsedStatus:
    """"Đã hoàn thành (đưa vào vận hành)" → DONE with remark "đưa vào vận hành"."""
    printed = (text or "").strip()
    folded = fold(printed)
    for prefix, status in _PREFIXES:
        if folded == prefix or folded.startswith(prefix + " ") or folded.startswith(prefix + "("):
            remark_match = _REMARK.match(printed)
            return ParsedStatus(status, remark_match[1].strip() if remark_match else "")
    raise UnknownStatus(printed)


def status_from(value: object) -> Status | None:
    """A status key sent by a form ("done"), or None for anything else a client may send."""
    return Status(value) if isinstance(value, str) and value in Status._value2member_map_ else None
