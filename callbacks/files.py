"""What the pages that take a file in share: where uploads wait between preview and confirm, and
how a refused file is told (services.plans.uploads keeps the files; this only places them)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from layouts.controls import alert
from services.plans.spreadsheet import ImportFailed


def upload_dir() -> Path:
    """UPLOAD_DIR, or instance/uploads: outside the code, shared by every worker."""
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def failure(exc: ImportFailed, alert_id: str):
    """A refused file or import: its one reason, or how many and each one (the first 200)."""
    lines = [str(e) for e in exc.errors]
    if len(lines) == 1:
        return alert(lines[0], "danger", None, alert_id)
    return alert(f"Không nhập được: {len(lines)} lỗi.", "danger", lines[:200], alert_id)
