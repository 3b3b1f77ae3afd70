"""Files brought in through the browser, kept on disk between the import's steps.

The browser sends a file once; choosing its table, correcting the column mapping, previewing and
confirming then read the stored copy, so no step holds the file in memory or in the database, and
no step reads it inside a write transaction. A stored file belongs to the user who sent it (its
name carries the user id and a random token), and is removed after a day.
"""
from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from pathlib import Path

from services.plans.spreadsheet import MAX_UPLOAD_BYTES, MEGABYTE, ImportFailed, RowError

ACCEPTED_SUFFIXES = (".xlsx", ".csv", ".docx")
KEPT_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DATA_URL = re.compile(r"^data:[^;,]{0,200}(;[^;,]{0,100})*;base64,")


def _refuse(reason: str) -> ImportFailed:
    return ImportFailed([RowError(0, reason)])


def decode_upload(contents: object, filename: object) -> tuple[bytes, str]:
    """The bytes and the suffix of a file the browser sent as a data URL. Refuses, before
    decoding, a file over MAX_UPLOAD_BYTES or of a type the import does not read."""
    if not isinstance(filename, str) or not isinstance(contents, str):
        raise _refuse("Chưa chọn tệp.")
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise _refuse("Chỉ nhận tệp .xlsx, .csv hoặc .docx.")
    header = _DATA_URL.match(contents)
    if header is None:
        raise _refuse("Tệp gửi lên không đúng dạng; hãy chọn lại tệp.")
    encoded = contents[header.end():]
    if len(encoded) * 3 // 4 > MAX_UPLOAD_BYTES + 2:
        raise _refuse(f"Tệp quá lớn; mỗi lần nhập tối đa {MAX_UPLOAD_BYTES // MEGABYTE} MB.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("Tệp gửi lên không đúng dạng; hãy chọn lại tệp.") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(f"Tệp quá lớn; mỗi lần nhập tối đa {MAX_UPLOAD_BYTES // MEGABYTE} MB.")
    if not data:
        raise _refuse("Tệp rỗng.")
    return data, suffix


def store_upload(directory: Path, user_id: int, data: bytes, suffix: str) -> str:
    """Keep the file for `user_id`; returns its token. Older files are removed on the way."""
    directory.mkdir(parents=True, exist_ok=True)
    _remove_expired(directory)
    token = secrets.token_urlsafe(18)
    path = directory / f"{user_id}-{token}{suffix}"
    path.write_bytes(data)
    path.chmod(0o600)
    return token


def stored_upload(directory: Path, user_id: int, token: object) -> Path:
    """The file `user_id` stored under `token`; another user's token finds nothing."""
    if isinstance(token, str) and _TOKEN.match(token):
        for suffix in ACCEPTED_SUFFIXES:
            path = directory / f"{user_id}-{token}{suffix}"
            if path.is_file():
                return path
    raise _refuse("Không còn tệp đã tải lên (tệp được giữ một ngày); hãy chọn lại tệp.")


def discard_upload(directory: Path, user_id: int, token: object) -> None:
    """Remove the file `user_id` stored under `token` once no step will read it again (it holds
    people's names and contacts); an unknown or malformed token removes nothing."""
    if isinstance(token, str) and _TOKEN.match(token):
        for suffix in ACCEPTED_SUFFIXES:
            (directory / f"{user_id}-{token}{suffix}").unlink(missing_ok=True)


def _remove_expired(directory: Path) -> None:
    cutoff = time.time() - KEPT_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker removed it first
            pass
