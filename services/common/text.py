"""Text normalisation shared by search, agency matching and header matching."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_AROUND_AMPERSAND = re.compile(r"\s*&\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, single spaces: "Sở  Khoa học" and "so khoa hoc" fold alike."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().lower()


def name_key(text: str) -> str:
    """Matching key for agency names: folded, "Ủy ban nhân dân" = "UBND", "KH & CN" = "KH&CN"."""
    key = fold(text)
    key = key.replace("uy ban nhan dan", "ubnd")
    key = _AROUND_AMPERSAND.sub("&", key)
    return key.strip(" .;,")


def clean_cell(value: object) -> str:
    """A spreadsheet cell as text: None → "", numbers without a trailing ".0", spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()
