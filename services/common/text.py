"""Text normalisation shared by search, agency matching and header matching."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_AROUND_AMPERSAND = re.compile(r"\s*&\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, single spaces: "Sở  Khoa học" and "so khoa hoc" fold alike."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().lower()


def search_words(query: object) -> tuple[str, ...]:
    """A search box's text as folded words ("Sở KH&CN" → so, kh, cn); anything but text (a forged
    payload) searches for nothing."""
    return tuple(_WORD.findall(fold(query))) if isinstance(query, str) else ()


def matches(words: tuple[str, ...], text: str) -> bool:
    """The one search rule of every search box: each word begins a word of the text, in any order,
    diacritics and case ignored ("quy che chia se du lieu" finds "Ban hành quy chế chia sẻ, kết nối,
    khai thác và sử dụng dữ liệu"), but not inside another word ("an" does not find "ban hành"). No
    words: everything matches."""
    if not words:
        return True
    text_words = _WORD.findall(fold(text))
    return all(any(candidate.startswith(word) for candidate in text_words) for word in words)


def name_key(text: str) -> str:
    """Matching key for agency names: folded, "Ủy ban nhân dân" = "UBND", "KH & CN" = "KH&CN"."""
    key = fold(text)
    key = key.replace("uy ban nhan dan", "ubnd")
    key = _AROUND_AMPERSAND.sub("&", key)
    return key.strip(" .;,")


def quoted(value: object, limit: int = 40) -> str:
    """Someone's input as a message may repeat it: printable, at most `limit` characters, without the
    lone surrogates a forged request can carry (no encoding can send them back)."""
    text = clean_cell(value).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def clean_cell(value: object) -> str:
    """A spreadsheet cell as text: None → "", numbers without a trailing ".0", spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()
