"""Entering an indicator's actual value for a period, and the secretariat's setting of a target's
direction.

The form sends untrusted values (any JSON a client can forge). `validate_value` turns them into a
`ValueEntry` or Vietnamese messages per field and never raises. `save_value` checks who may write
(the monitoring agency or the secretariat), that the plan is not archived and the value's period not
closed (services.publication.published), refuses a stale or missing version with the saved values
(QUALITY.md I1), and writes the value with its change log
(services.tasks.history) in the caller's transaction. The import writes values through `record_value` too.
A target's direction has no period: changing it re-bands every day, so it is refused while any
period is closed (services.publication.closing.ensure_no_close_from).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ChangeLog, Indicator, IndicatorValue, Plan
from services.accounts.permissions import Actor, NotAllowed, can_configure_indicators
from services.common.clock import now
from services.common.inputs import clean_text, strict_int
from services.common.saving import NO_VERSION_MESSAGE, Outcome, SaveResult, writer_label
from services.indicators.achievement import (
    ASSESSMENT_LABELS,
    BAND_LABELS,
    MAX_VALUE_LENGTH,
    InvalidValue,
    Reading,
    Target,
    TargetKind,
    parse_reading,
    parse_target,
)
from services.indicators.standings import achievement_of, form_values, may_report, visible_indicator
from services.plans.catalogue import ensure_open
from services.publication.closing import ensure_no_close_from
from services.publication.published import PeriodClosed, ensure_not_closed
from services.reporting.periods import InvalidPeriod, Period, parse_period
from services.tasks.history import apply_changes

FORM_FIELDS = ("period", "value", "is_estimate", "assessment", "source_note")
FIELD_LABELS = {"period": "Kỳ báo cáo", "value": "Kết quả", "is_estimate": "Ước tính", "assessment": "Đánh giá",
                "source_note": "Nguồn số liệu, ghi chú"}


@dataclass(frozen=True)
class ValueEntry:
    period: Period
    reading: Reading | None  # None: "-", no figure for the period
    is_estimate: bool
    assessment: str | None  # met | not_met, for text and multi-level targets
    source_note: str

    @property
    def has_data(self) -> bool:
        return self.reading is not None or self.assessment is not None

    def changes(self) -> dict[str, Any]:
        return {"value_text": self.reading.text if self.reading else "",
                "is_estimate": self.is_estimate and self.reading is not None,
                "assessment": self.assessment, "source_note": self.source_note}


def period_problem(plan: Plan, period: Period, today: date) -> str | None:
    """A value belongs to a period of the plan year that has begun (a year's estimate is fine)."""
    if period.year != plan.year:
        return f"Kỳ {period.label} không thuộc năm kế hoạch {plan.year}."
    if period.start > today:
        return f"Kỳ {period.label} chưa bắt đầu nên chưa nhập kết quả được."
    return None


def read_value(text: str, target: Target, estimate: bool = False) -> tuple[Reading | None, bool]:
    """The value read against its target, and whether it is an estimate (marked, or said so).
    Raises InvalidValue with the message for the person who typed it."""
    reading = parse_reading(text, target)
    return reading, estimate or bool(reading and reading.is_estimate)


def validate_value(raw: Mapping[str, Any], *, target: Target, plan: Plan,
                   today: date) -> tuple[ValueEntry | None, dict[str, str]]:
    """The form's values → (entry, {}) or (None, {field: Vietnamese message}). Never raises."""
    errors: dict[str, str] = {}
    period = None
    try:
        period = parse_period(raw["period"]) if isinstance(raw.get("period"), str) else None
    except InvalidPeriod as exc:
        errors["period"] = str(exc)
    if period is None:
        errors.setdefault("period", "Chọn kỳ báo cáo.")
    elif problem := period_problem(plan, period, today):
        errors["period"] = problem

    text, message = clean_text(raw.get("value"), FIELD_LABELS["value"], MAX_VALUE_LENGTH)
    estimate = raw.get("is_estimate")
    if estimate is not None and not isinstance(estimate, bool):
        errors["is_estimate"] = "Ước tính: giá trị không hợp lệ."
    assessment = raw.get("assessment") or None
    if assessment is not None and (not isinstance(assessment, str) or assessment not in ASSESSMENT_LABELS):
        errors["assessment"] = "Đánh giá chỉ là Đạt hoặc Không đạt."
    elif assessment is not None and target.kind is TargetKind.NUMBER:
        errors["assessment"] = "Mục tiêu dạng số được đánh giá theo số liệu; bỏ chọn Đánh giá."
    note, note_message = clean_text(raw.get("source_note"), FIELD_LABELS["source_note"])
    if note_message:
        errors["source_note"] = note_message

    reading = None
    if message:
        errors["value"] = message
    elif not text and assessment is None:
        errors["value"] = ("Nhập kết quả, ví dụ 48%; ước tính thì ghi trong ngoặc, ví dụ (48%); "
                           "chưa có số liệu thì nhập “-”.")
    else:
        try:
            reading, estimate = read_value(text, target, estimate is True)
        except InvalidValue as exc:
            errors["value"] = str(exc)
    if errors:
        return None, errors
    return ValueEntry(period, reading, bool(estimate), assessment, note), {}


def record_value(session: Session, row: IndicatorValue, changes: dict[str, Any], *, when: datetime,
                 recorded_at: datetime, user_id: int | None, source: str = "app") -> list[str]:
    """The one way a value row changes: the fields, who and when, and one log row per field."""
    changed = apply_changes(session, "indicator_value", row, changes, when=when, recorded_at=recorded_at,
                            user_id=user_id, source=source)
    if changed and (row.updated_at, row.updated_by_id) != (when, user_id):
        row.updated_at, row.updated_by_id = when, user_id
    return changed


def new_value_row(indicator: Indicator, period: Period, when: datetime, user_id: int | None) -> IndicatorValue:
    return IndicatorValue(indicator_id=indicator.id, period=period.key, period_end=period.end,
                          updated_at=when, updated_by_id=user_id)


def _period_of(raw: Mapping[str, Any]) -> Period | None:
    try:
        return parse_period(raw["period"]) if isinstance(raw.get("period"), str) else None
    except InvalidPeriod:
        return None


def save_value(session: Session, actor: Actor, indicator_id: Any, version: Any, raw: Mapping[str, Any],
               *, when: datetime | None = None) -> SaveResult:
    """Save one period's value if the actor reports this indicator and the version is current.

    The indicator row is locked for the check-and-write (FOR UPDATE on PostgreSQL; SQLite's write
    unit of work holds the database lock), so two first entries of one period cannot both pass."""
    indicator = visible_indicator(session, actor, indicator_id, lock=True)
    if not may_report(session, actor, indicator):
        raise NotAllowed(f"user {actor.username} may not report indicator {indicator.id}")
    plan = session.get(Plan, indicator.plan_id)
    ensure_open(plan)
    when = when or now()
    period = _period_of(raw)
    row = session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == period.key)) if period else None
    current = form_values(row)
    if strict_int(version) is None:
        return SaveResult(Outcome.CONFLICT, current["version"], current=current,
                          message=f"{NO_VERSION_MESSAGE} chỉ tiêu.")
    if period is not None and version != current["version"]:
        writer = writer_label(session, row.updated_by_id, row.updated_at) if row else "người khác"
        return SaveResult(Outcome.CONFLICT, current["version"], current=current, message=(
            f"Kết quả {period.label} vừa được {writer} cập nhật, nên nội dung của bạn chưa được lưu. "
            "Nội dung bạn đã nhập vẫn giữ nguyên; hãy xem bản đã lưu rồi bấm Lưu lại nếu vẫn muốn ghi."))
    entry, errors = validate_value(raw, target=parse_target(indicator.target_text), plan=plan, today=when.date())
    if entry is None:
        return SaveResult(Outcome.INVALID, current["version"], errors=errors,
                          message="Chưa lưu: hãy sửa các ô được đánh dấu.")
    try:
        ensure_not_closed(session, plan, entry.period.end)
    except PeriodClosed as exc:  # shown like any refusal of the form: on the period, nothing saved
        return SaveResult(Outcome.INVALID, current["version"], errors={"period": str(exc)}, message=str(exc))
    if row is None and not entry.has_data:
        return SaveResult(Outcome.UNCHANGED, 0, message="Không có thay đổi nào để lưu.")
    row = row or new_value_row(indicator, entry.period, when, actor.id)
    if not record_value(session, row, entry.changes(), when=when, recorded_at=when, user_id=actor.id):
        return SaveResult(Outcome.UNCHANGED, row.version, message="Không có thay đổi nào để lưu.")
    session.flush()  # bumps the version (version_id_col) inside this transaction
    achievement = achievement_of(indicator, row)
    standing = f"{achievement.label} — {BAND_LABELS[achievement.band]}" if achievement.label else \
        BAND_LABELS[achievement.band]
    return SaveResult(Outcome.SAVED, row.version, current=form_values(row),
                      message=f"Đã lưu kết quả {entry.period.label}: {standing}.")


def set_direction(session: Session, actor: Actor, indicator_id: Any, version: Any, higher_is_better: Any,
                  *, when: datetime | None = None) -> SaveResult:
    """The secretariat marks a target lower-is-better (or back); versioned like any save."""
    if not can_configure_indicators(actor):
        raise NotAllowed(f"user {actor.username} may not configure indicators")
    indicator = visible_indicator(session, actor, indicator_id, lock=True)
    plan = session.get(Plan, indicator.plan_id)
    ensure_open(plan)
    if strict_int(version) is None:
        return SaveResult(Outcome.CONFLICT, indicator.version, message=f"{NO_VERSION_MESSAGE} chỉ tiêu.")
    if version != indicator.version:
        last = session.execute(select(ChangeLog.user_id, ChangeLog.recorded_at).where(
            ChangeLog.entity == "indicator", ChangeLog.entity_id == indicator.id)
            .order_by(ChangeLog.id.desc()).limit(1)).first()
        writer = writer_label(session, *last) if last else "người khác"
        return SaveResult(Outcome.CONFLICT, indicator.version, message=(
            f"Chỉ tiêu vừa được {writer} cập nhật; trang đã tải lại bản mới, hãy xem rồi chọn lại nếu cần."))
    if not isinstance(higher_is_better, bool):
        return SaveResult(Outcome.INVALID, indicator.version, message="Chiều đánh giá không hợp lệ.")
    if higher_is_better != indicator.higher_is_better:
        try:  # the direction re-bands every day, the published ones too
            ensure_no_close_from(session, plan)
        except PeriodClosed as exc:
            return SaveResult(Outcome.INVALID, indicator.version,
                              message=f"Đổi chiều đánh giá làm thay đổi số liệu đã chốt. {exc}")
    when = when or now()
    if not apply_changes(session, "indicator", indicator, {"higher_is_better": higher_is_better}, when=when,
                         recorded_at=when, user_id=actor.id):
        return SaveResult(Outcome.UNCHANGED, indicator.version, message="Không có thay đổi nào để lưu.")
    session.flush()
    return SaveResult(Outcome.SAVED, indicator.version, message="Đã lưu chiều đánh giá.")
