"""What a browser sends is JSON anyone can forge: ids, versions and free text are checked here, once."""
from __future__ import annotations

import unicodedata
from typing import Any

from services.queries import vn_number

MAX_TEXT_LENGTH = 4000
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def strict_int(value: object) -> int | None:
    """An integer as JSON carries it (not a bool, a float or a string), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def id_from_text(value: object) -> int | None:
    """A row id as AG Grid or a select sends it ("42") or as an integer, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return strict_int(value)


def clean_text(value: Any, label: str, max_length: int = MAX_TEXT_LENGTH) -> tuple[str, str | None]:
    """A form's free text → (NFC text, None), or ("", Vietnamese message) for anything a person
    would not type: a non-string, more than `max_length` characters, control characters."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", f"{label}: nội dung không hợp lệ."
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > max_length:
        return "", f"{label} quá dài: tối đa {vn_number(max_length)} ký tự (đang có {vn_number(len(text))})."
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in text):
        return "", f"{label} có ký tự điều khiển không hợp lệ; hãy gõ lại hoặc dán dạng văn bản thường."
    return text, None
