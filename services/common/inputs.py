"""What a browser sends is JSON anyone can forge: ids, versions, free text and the callback body
itself are checked here, once."""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from services.common.queries import vn_number

MAX_TEXT_LENGTH = 4000
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
# Ids and versions are `Integer` columns (int4 on PostgreSQL): a number outside this range names
# no row, and sending it to the database fails (SQLite refuses ints beyond 64 bits, psycopg int4).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
MAX_JSON_DEPTH = 20
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def strict_int(value: object) -> int | None:
    """An integer as JSON carries it (not a bool, a float or a string) that an integer column can
    hold, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and INT_MIN <= value <= INT_MAX:
        return value
    return None


def id_from_text(value: object) -> int | None:
    """A row id as AG Grid or a select sends it ("42") or as an integer, else None: ids are
    positive and fit the column, so anything else names no row."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    number = strict_int(value)
    return number if number is not None and number > 0 else None


def ids_with_versions(items: object) -> dict[int, Any] | None:
    """{row id: version sent} from the rows a grid sends ([{"id", "version"}, ...]); {} for anything
    but a list; None when an entry names no row (a browser sends only the rows it listed)."""
    if not isinstance(items, list):
        return {}
    requested: dict[int, Any] = {}
    for item in items:
        row_id = id_from_text(item.get("id")) if isinstance(item, dict) else None
        if row_id is None:
            return None
        requested[row_id] = item.get("version")
    return requested


def index_from_text(value: object) -> int | None:
    """A position in a list as a select sends it ("0") or as an integer, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        value = int(value)
    number = strict_int(value)
    return number if number is not None and number >= 0 else None


def bounded_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> tuple[bool, Any]:
    """(True, value) for JSON (bytes in UTF-8) nested at most `max_depth` deep, else (False, None).

    The depth is measured on the raw text before parsing (brackets outside strings, innermost
    pairs removed once per level), because json.loads recurses per level and a deep enough body
    raises RecursionError instead of a ValueError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return False, None
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(max_depth):
        brackets = _INNERMOST.sub("", brackets)
    if brackets:
        return False, None  # deeper than allowed, or unbalanced (which json.loads refuses anyway)
    try:
        return True, json.loads(text)
    except ValueError:  # also an integer beyond Python's digit limit
        return False, None


def clean_text(value: Any, label: str, max_length: int = MAX_TEXT_LENGTH) -> tuple[str, str | None]:
    """A form's free text → (NFC text, None), or ("", Vietnamese message) for anything a person
    would not type: a non-string, more than `max_length` characters, control characters, lone
    surrogates (JSON's "\\ud800", which no encoding can store) and Unicode non-characters."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", f"{label}: nội dung không hợp lệ."
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > max_length:
        return "", f"{label} quá dài: tối đa {vn_number(max_length)} ký tự (đang có {vn_number(len(text))})."
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in text):
        return "", f"{label} có ký tự điều khiển không hợp lệ; hãy gõ lại hoặc dán dạng văn bản thường."
    if any(unicodedata.category(ch) == "Cs" or _is_noncharacter(ch) for ch in text):
        return "", f"{label} có ký tự không hợp lệ; hãy gõ lại hoặc dán dạng văn bản thường."
    return text, None


def _is_noncharacter(ch: str) -> bool:
    """U+FDD0–U+FDEF and the last two code points of every plane, reserved never to be text."""
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
