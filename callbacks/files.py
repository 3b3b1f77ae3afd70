"""What the pages that take a file in share: where uploads wait between preview and confirm, how a
refused file is told, and the preview step of a list checked row by row (services.plans.uploads
keeps the files; this only places them)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from layouts.controls import alert
from services.plans.spreadsheet import ImportFailed, RowError
from services.plans.uploads import decode_upload, discard_upload, store_upload, stored_upload


def upload_dir() -> Path:
    """UPLOAD_DIR, or instance/uploads: outside the code, shared by every worker."""
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def failure(exc: ImportFailed, alert_id: str):
    """A refused file or import: its one reason, or how many and each one (the first 200)."""
    lines = [str(e) for e in exc.errors]
    if len(lines) == 1:
        return alert(lines[0], "danger", None, alert_id)
    return alert(f"Không nhập được: {len(lines)} lỗi.", "danger", lines[:200], alert_id)


class Checked(Protocol):
    """A list checked row by row: the preview grid's rows and every bad row."""
    rows: list[dict]
    errors: list[RowError]


@dataclass(frozen=True)
class Preview:
    name: str  # the file's name as the user knows it
    token: str | None  # the stored copy to confirm; None when there is nothing to confirm
    rows: list[dict]  # the preview grid
    refusal: Any = None  # the alert saying why there is nothing to confirm


def preview_upload(user_id: int, contents: object, filename: object, check: Callable[[Path], Checked],
                   alert_id: str, nothing_done: str) -> Preview:
    """Store the browser's file and `check` the stored copy (nothing is written). The copy is kept
    only when every row is good, for the confirm to read; otherwise it is removed at once, since no
    page holds its token (a list of people's contacts must not wait on disk for a day).
    `nothing_done` ends the message about bad rows ("chưa tạo tài khoản nào")."""
    name = Path(str(filename)).name
    try:
        data, suffix = decode_upload(contents, filename)
    except ImportFailed as exc:
        return Preview(name, None, [], failure(exc, alert_id))
    token = store_upload(upload_dir(), user_id, data, suffix)
    kept = False
    try:
        checked = check(stored_upload(upload_dir(), user_id, token))
        kept = not checked.errors
    except ImportFailed as exc:
        return Preview(name, None, [], failure(exc, alert_id))
    finally:
        if not kept:
            discard_upload(upload_dir(), user_id, token)
    if checked.errors:
        lines = [str(e) for e in checked.errors]
        return Preview(name, None, checked.rows, alert(
            f"“{name}”: {len(checked.rows)} dòng, {len(lines)} lỗi. Sửa tệp rồi tải lại; {nothing_done}.", "danger",
            lines[:200], alert_id))
    return Preview(name, token, checked.rows)
