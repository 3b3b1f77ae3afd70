"""What a versioned save answers (QUALITY.md I1), for every form that writes: saved, unchanged,
invalid, or refused because someone else saved first."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from models import User
from services.common.queries import vn_date


class Outcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SaveResult:
    outcome: Outcome
    version: int  # the version the form carries from now on
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)  # saved values, shown on a conflict


NO_VERSION_MESSAGE = "Biểu mẫu không có phiên bản dữ liệu nên không được lưu. Hãy đóng và mở lại"


def writer_label(session: Session, user_id: int | None, at: datetime | None) -> str:
    """"Nguyễn Văn A lúc 15/04/2026 09:30": who saved last, for a conflict message."""
    user = session.get(User, user_id) if user_id else None
    who = (user.full_name or user.username) if user else "người khác"
    return f"{who} lúc {vn_date(at)}" if at else who
