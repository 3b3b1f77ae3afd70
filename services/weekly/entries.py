"""An agency enters its period: one form listing exactly its indicators (the annex columns of the
tables it is a row of, and the province-level figures it reports), saved all or nothing, each value
logged with who and when, and the period marked "Đã nhập" for it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import (
    Agency,
    AgencyIndicator,
    AgencyIndicatorValue,
    AgencyPeriodEntry,
    AnnexColumn,
    AnnexRow,
    AnnexTable,
    Plan,
    WeeklyReportNote,
)
from services.accounts.permissions import Actor, NotAllowed, can_act_for_agency, can_publish, can_view_agency
from services.common.clock import now
from services.common.inputs import clean_text, id_from_text, strict_int
from services.common.saving import NO_VERSION_MESSAGE, Outcome, SaveResult, writer_label
from services.plans.catalogue import ensure_open, plan_for, plans_for
from services.reporting.periods import InvalidPeriod, Period, parse_period, week_scheme
from services.tasks.history import apply_changes, record_change
from services.weekly.values import KIND_EXAMPLES, KIND_LABELS, InvalidEntry, parse_entry

ENTRY_KINDS = ("week", "month")
VALUE_ENTITY = "agency_indicator_value"
ENTRY_ENTITY = "agency_period_entry"


@dataclass(frozen=True)
class FormLine:
    indicator_id: int
    name: str
    unit: str
    kind: str
    hint: str  # "tỷ số (tử số/mẫu số), ví dụ 107/135"
    text: str  # the value saved for the period, "" if none
    version: int  # 0: nothing saved yet


def plan_period(plan: Plan, key: Any) -> Period:
    """A week or month key of the plan's year, its weeks as the plan numbers them."""
    if not isinstance(key, str):
        raise InvalidPeriod("Chọn kỳ nhập liệu.")
    period = parse_period(key, week_scheme(plan))
    if period.kind not in ENTRY_KINDS:
        raise InvalidPeriod(f"Kỳ nhập liệu là một tuần hoặc một tháng, không phải {period.label}.")
    if period.year != plan.year:
        raise InvalidPeriod(f"Kỳ {period.label} không thuộc năm {plan.year} của kế hoạch.")
    return period


def _period_to_write(plan: Plan, period_key: Any, when: datetime) -> tuple[Period | None, SaveResult | None]:
    """The period a write names, once the plan is known open (PlanArchived otherwise), or the
    refusal to answer: not a week or month of the plan's year, or one not begun yet."""
    ensure_open(plan)
    try:
        period = plan_period(plan, period_key)
    except InvalidPeriod as exc:
        return None, SaveResult(Outcome.INVALID, 0, message=str(exc), errors={"period": str(exc)})
    if period.start > when.date():
        message = f"{period.label} chưa bắt đầu nên chưa nhập số liệu được."
        return None, SaveResult(Outcome.INVALID, 0, message=message, errors={"period": message})
    return period, None


def agency_indicators(session: Session, plan: Plan, agency_id: int) -> list[AgencyIndicator]:
    """Exactly the agency's indicators: its annex tables' columns and the figures it reports."""
    in_tables = (select(AnnexColumn.indicator_id)
                 .join(AnnexRow, AnnexRow.table_id == AnnexColumn.table_id)
                 .where(AnnexRow.agency_id == agency_id, AnnexRow.enters.is_(True)))
    return list(session.scalars(
        select(AgencyIndicator).where(AgencyIndicator.plan_id == plan.id, AgencyIndicator.formula == "entered",
                                      or_(AgencyIndicator.id.in_(in_tables), AgencyIndicator.reporter_id == agency_id))
        .order_by(AgencyIndicator.scope.desc(), AgencyIndicator.position)))


def _agency(session: Session, actor: Actor, plan: Plan, agency_id: Any) -> Agency:
    agency = session.get(Agency, agency_id) if strict_int(agency_id) is not None else None
    if agency is None or agency.province_id != plan.province_id \
            or not can_view_agency(actor, agency.id, agency.province_id):
        raise NotAllowed(f"user {actor.username} may not see agency {agency_id!r}'s entries")
    return agency


def agency_form(session: Session, actor: Actor, plan: Plan, agency_id: Any, period: Period) -> list[FormLine]:
    """The agency's indicators and what it entered for the period (its own, or any agency of the
    province for the secretariat, leaders and admins; NotAllowed otherwise)."""
    agency = _agency(session, actor, plan, agency_id)
    indicators = agency_indicators(session, plan, agency.id)
    saved = {row.indicator_id: row for row in session.scalars(select(AgencyIndicatorValue).where(
        AgencyIndicatorValue.agency_id == agency.id, AgencyIndicatorValue.period == period.key,
        AgencyIndicatorValue.indicator_id.in_([i.id for i in indicators])))}
    return [FormLine(i.id, i.name, i.unit, i.kind, f"{KIND_LABELS[i.kind]}, ví dụ {KIND_EXAMPLES[i.kind]}",
                     saved[i.id].value_text if i.id in saved else "", saved[i.id].version if i.id in saved else 0)
            for i in indicators]


def has_entered(session: Session, plan: Plan, agency_id: int, period: Period) -> bool:
    return session.scalar(select(AgencyPeriodEntry.id).where(
        AgencyPeriodEntry.plan_id == plan.id, AgencyPeriodEntry.agency_id == agency_id,
        AgencyPeriodEntry.period == period.key)) is not None


def save_period(session: Session, actor: Actor, plan: Plan, agency_id: Any, period_key: Any,
                typed: Mapping[str, Any], *, when: datetime | None = None) -> SaveResult:
    """Save the agency's values for the period: `typed` maps each indicator id (text) to
    {"value": text, "version": the version the form loaded}. All or nothing: one bad value or one
    value saved by someone else meanwhile, and nothing is written. Only the agency itself, or the
    secretariat of its province on its behalf."""
    agency = session.get(Agency, agency_id) if strict_int(agency_id) is not None else None
    if agency is None or agency.province_id != plan.province_id \
            or not can_act_for_agency(actor, agency.id, agency.province_id):
        raise NotAllowed(f"user {actor.username} may not enter agency {agency_id!r}'s period")
    when = when or now()
    period, refusal = _period_to_write(plan, period_key, when)
    if refusal:
        return refusal
    if not isinstance(typed, Mapping):
        return SaveResult(Outcome.INVALID, 0, message="Biểu mẫu không hợp lệ; hãy tải lại trang.")
    indicators = {i.id: i for i in agency_indicators(session, plan, agency.id)}
    unknown = [key for key in typed if id_from_text(key) not in indicators]
    if unknown:
        raise NotAllowed(f"user {actor.username}: indicators {unknown[:5]} are not agency {agency.id}'s")
    rows = {row.indicator_id: row for row in session.scalars(select(AgencyIndicatorValue).where(
        AgencyIndicatorValue.agency_id == agency.id, AgencyIndicatorValue.period == period.key,
        AgencyIndicatorValue.indicator_id.in_(list(indicators))).with_for_update())}
    errors, parsed = {}, {}
    for key, item in typed.items():
        indicator = indicators[id_from_text(key)]
        item = item if isinstance(item, Mapping) else {}
        version, row = strict_int(item.get("version")), rows.get(indicator.id)
        if version is None:
            return SaveResult(Outcome.CONFLICT, 0, message=f"{NO_VERSION_MESSAGE} biểu nhập liệu.")
        if version != (row.version if row else 0):
            writer = writer_label(session, row.updated_by_id, row.updated_at) if row else "người khác"
            return SaveResult(Outcome.CONFLICT, 0, message=(
                f"“{indicator.name}” {period.label} vừa được {writer} cập nhật, nên chưa lưu gì. "
                "Số liệu bạn đã nhập vẫn giữ nguyên; hãy tải lại biểu để xem bản đã lưu."))
        try:
            parsed[indicator.id] = parse_entry(item.get("value"), indicator.kind)
        except InvalidEntry as exc:
            errors[str(indicator.id)] = f"{indicator.name}: {exc}"
    if errors:
        return SaveResult(Outcome.INVALID, 0, errors=errors,
                          message="Chưa lưu: hãy sửa các ô được đánh dấu (" + "; ".join(errors.values()) + ")")
    if not rows and all(entry is None for entry in parsed.values()):
        return SaveResult(Outcome.INVALID, 0, message=(
            f"Chưa lưu: chưa nhập số liệu nào cho {period.label}; nhập giá trị, hoặc “-” cho chỉ tiêu không có "
            "dữ liệu."))
    behalf = agency.id if actor.role == "secretariat" else None
    changed = 0
    for indicator_id, entry in parsed.items():
        row = rows.get(indicator_id)
        if entry is None and row is None:
            continue
        fields = ({"value_text": entry.text, "not_applicable": entry.not_applicable, "numerator": entry.numerator,
                   "denominator": entry.denominator, "number": entry.number} if entry else
                  {"value_text": "", "not_applicable": False, "numerator": None, "denominator": None, "number": None})
        row = row or AgencyIndicatorValue(indicator_id=indicator_id, agency_id=agency.id, period=period.key,
                                          period_end=period.end, updated_at=when, updated_by_id=actor.id)
        if apply_changes(session, VALUE_ENTITY, row, fields, when=when, recorded_at=when, user_id=actor.id,
                         on_behalf_of_agency_id=behalf):
            row.updated_at, row.updated_by_id = when, actor.id
            changed += 1
    if not has_entered(session, plan, agency.id, period):
        entry_row = AgencyPeriodEntry(plan_id=plan.id, agency_id=agency.id, period=period.key, entered_at=when,
                                      entered_by_id=actor.id)
        session.add(entry_row)
        session.flush()
        record_change(session, ENTRY_ENTITY, entry_row.id, "period", None, period.key, when=when, recorded_at=when,
                      user_id=actor.id, on_behalf_of_agency_id=behalf)
    session.flush()
    return SaveResult(Outcome.SAVED if changed else Outcome.UNCHANGED, 0,
                      message=(f"Đã lưu số liệu {period.label} của {agency.name}: {changed} chỉ tiêu thay đổi."
                               if changed else f"Đã ghi nhận {agency.name} nhập số liệu {period.label}; "
                                               "không có chỉ tiêu nào thay đổi."))


def weekly_plans(session: Session, actor: Actor) -> list[Plan]:
    """The plans of the actor's province with agency indicators, newest first (province wall)."""
    return [plan for plan in plans_for(session, actor) if session.scalar(
        select(AgencyIndicator.id).where(AgencyIndicator.plan_id == plan.id).limit(1)) is not None]


def weekly_plan(session: Session, actor: Actor, requested: Any) -> Plan | None:
    """The plan the URL names if it has agency indicators, else the newest of the province that has
    (the year's plan on show usually has none); another province's plan is NotAllowed."""
    named = plan_for(session, actor, requested) if id_from_text(requested) is not None else None
    plans = weekly_plans(session, actor)
    return named if named is not None and named in plans else (plans[0] if plans else None)


NOTE_LABELS = {"key_tasks": "II. Kết quả triển khai các nhiệm vụ trọng tâm", "highlights": "III. Nhiệm vụ nổi bật",
               "next_tasks": "IV. Nhiệm vụ trọng tâm tuần tiếp theo", "proposals": "V. Đề xuất kiến nghị"}
NOTES_ENTITY = "weekly_report_note"


def save_notes(session: Session, actor: Actor, plan: Plan, period_key: Any, typed: Mapping[str, Any], version: Any,
               *, when: datetime | None = None) -> SaveResult:
    """The secretariat's parts II–V of the week's report (each optional), versioned and logged."""
    if not can_publish(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not write the weekly report of plan {plan.id}")
    when = when or now()
    period, refusal = _period_to_write(plan, period_key, when)
    if refusal:
        return refusal
    row = session.scalar(select(WeeklyReportNote).where(WeeklyReportNote.plan_id == plan.id,
                                                        WeeklyReportNote.period == period.key).with_for_update())
    current = row.version if row else 0
    if strict_int(version) is None:
        return SaveResult(Outcome.CONFLICT, current, message=f"{NO_VERSION_MESSAGE} báo cáo tuần.")
    if version != current:
        writer = writer_label(session, row.updated_by_id, row.updated_at) if row else "người khác"
        return SaveResult(Outcome.CONFLICT, current, message=(
            f"Báo cáo {period.label} vừa được {writer} cập nhật, nên nội dung của bạn chưa được lưu; "
            "hãy sao chép phần đã gõ rồi tải lại trang."))
    fields, errors = {}, {}
    for name, label in NOTE_LABELS.items():
        fields[name], message = clean_text(typed.get(name) if isinstance(typed, Mapping) else None, label)
        if message:
            errors[name] = message
    if errors:
        return SaveResult(Outcome.INVALID, current, errors=errors, message="Chưa lưu: " + "; ".join(errors.values()))
    row = row or WeeklyReportNote(plan_id=plan.id, period=period.key, updated_at=when, updated_by_id=actor.id)
    if not apply_changes(session, NOTES_ENTITY, row, fields, when=when, recorded_at=when, user_id=actor.id):
        return SaveResult(Outcome.UNCHANGED, row.version or 0, message="Không có thay đổi nào để lưu.")
    row.updated_at, row.updated_by_id = when, actor.id
    session.flush()
    return SaveResult(Outcome.SAVED, row.version, message=f"Đã lưu nội dung báo cáo {period.label}.")


def entering_agencies(session: Session, actor: Actor, plan: Plan) -> list[tuple[int, str]]:
    """The agencies with indicators to enter in the plan that the actor may open: its own for an
    agency user, all of them for the secretariat, leaders and admins of the province."""
    rows = session.execute(
        select(Agency.id, Agency.name).where(or_(
            Agency.id.in_(select(AnnexRow.agency_id).join(AnnexTable, AnnexTable.id == AnnexRow.table_id)
                          .where(AnnexTable.plan_id == plan.id, AnnexRow.enters.is_(True))),
            Agency.id.in_(select(AgencyIndicator.reporter_id).where(AgencyIndicator.plan_id == plan.id))))
        .order_by(Agency.name)).all()
    return [(agency_id, name) for agency_id, name in rows
            if can_view_agency(actor, agency_id, plan.province_id)]


def latest_period(session: Session, plan: Plan) -> str | None:
    """The latest period anything was entered for: where the page opens."""
    return session.scalar(select(AgencyIndicatorValue.period).join(
        AgencyIndicator, AgencyIndicator.id == AgencyIndicatorValue.indicator_id)
        .where(AgencyIndicator.plan_id == plan.id).order_by(AgencyIndicatorValue.period_end.desc()).limit(1))
