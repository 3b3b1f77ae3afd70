"""Reading a plan's targets (Phụ lục 01) as of a day: the table, the band counts and their change,
one indicator's values over time, who has reported, and what an agency still has to report.

A value belongs to its period, not to the day it was typed: as of a day, an indicator stands at
its latest period ending by then (at the same end, the latest entry wins). The SQL returns one
row per indicator; services.indicators.achievement, the one place the rules live, turns it into a band.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from models import Agency, ChangeLog, Indicator, IndicatorAgency, IndicatorValue, Plan, Section, User
from models.figures import INDICATORS
from services.accounts.permissions import (
    Actor,
    NotAllowed,
    can_configure_indicators,
    can_report_indicator,
    sees_province,
)
from services.common.clock import today
from services.common.inputs import strict_int
from services.common.queries import change_phrase, vn_date
from services.common.text import matches
from services.reporting.stored import Codec, stored
from services.indicators.achievement import (
    ASSESSMENT_LABELS,
    BAND_LABELS,
    NO_DATA,
    Achievement,
    Band,
    InvalidValue,
    Reading,
    TargetKind,
    assess,
    display_value,
    parse_reading,
    parse_target,
)
from services.plans.agencies import groups_of
from services.reporting.periods import Period, parse_period, reporting_period, week_scheme
from services.tasks.history import SOURCE_LABELS

NOUN = "mục tiêu"
FIELD_LABELS = {
    "value_text": "Kết quả", "is_estimate": "Ước tính", "assessment": "Đánh giá",
    "source_note": "Nguồn số liệu, ghi chú", "higher_is_better": "Chiều đánh giá",
    "target_text": "Mục tiêu", "baseline_text": "Kết quả năm trước", "unit": "Đơn vị tính",
    "lead_text": "Cơ quan chủ trì", "monitor_text": "Cơ quan theo dõi", "name": "Tên mục tiêu",
}
DIRECTION_LABELS = {True: "Càng cao càng tốt", False: "Càng thấp càng tốt"}


def has_data(value=IndicatorValue):
    """SQL condition: the value row says something (a figure or an assessment), not "-"."""
    return or_(value.value_text != "", value.assessment.is_not(None))


@lru_cache(maxsize=16384)
def read_standing(target_text: str, higher_is_better: bool, value_text: str,
                  assessment: str | None) -> tuple[Reading | None, Achievement]:
    """A value read against its target, and the standing it gives. A stored value no longer readable
    against a since-changed target counts as no data (the table shows it as printed). Pure, so kept
    for the next request: a table reads the same few hundred values again and again."""
    target = parse_target(target_text)
    try:
        reading = parse_reading(value_text, target)
    except InvalidValue:
        reading = None
    return reading, assess(target, reading, higher_is_better=higher_is_better, assessment=assessment)


def achievement_of(indicator: Indicator, value: IndicatorValue | None) -> Achievement:
    if value is None:
        return NO_DATA
    return read_standing(indicator.target_text, indicator.higher_is_better, value.value_text, value.assessment)[1]


def _latest_values(plan_id: int, day: date):
    """(id, indicator_id) of each indicator's value row for the latest period ending by `day`."""
    ranked = (
        select(IndicatorValue.id, IndicatorValue.indicator_id, func.row_number().over(
            partition_by=IndicatorValue.indicator_id,
            order_by=(IndicatorValue.period_end.desc(), IndicatorValue.updated_at.desc(), IndicatorValue.id.desc()),
        ).label("rank"))
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.plan_id == plan_id, IndicatorValue.period_end <= day, has_data())
        .subquery("ranked")
    )
    return select(ranked.c.id, ranked.c.indicator_id).where(ranked.c.rank == 1).subquery("latest")


@dataclass(frozen=True)
class Standing:
    indicator: Indicator
    section: Section | None
    value: IndicatorValue | None
    achievement: Achievement


def standings(session: Session, plan: Plan, day: date) -> list[Standing]:
    """Every indicator of the plan as of `day`, in the appendix's order."""
    latest = _latest_values(plan.id, day)
    rows = session.execute(
        select(Indicator, Section, IndicatorValue)
        .outerjoin(Section, Section.id == Indicator.section_id)
        .outerjoin(latest, latest.c.indicator_id == Indicator.id)
        .outerjoin(IndicatorValue, IndicatorValue.id == latest.c.id)
        .where(Indicator.plan_id == plan.id)
        .order_by(Indicator.position)
    ).all()
    return [Standing(indicator, section, value, achievement_of(indicator, value)) for indicator, section, value in rows]


def tally(bands: Iterable[Band]) -> dict[Band, int]:
    """How many in each band, every band present (in the report's order)."""
    counted = Counter(bands)
    return {band: counted.get(band, 0) for band in Band}


BANDS_CODEC = Codec(lambda bands: json.dumps({band.value: n for band, n in bands.items()}),
                    lambda text: {Band(band): n for band, n in json.loads(text).items()})


def band_counts(session: Session, plan: Plan, day: date) -> dict[Band, int]:
    """How many of the plan's targets stand in each band as of `day` (columns only: the overview
    and the command line need no rows). Stored (services.reporting.stored)."""
    return stored(session, plan.id, day, today(), INDICATORS, "bands", lambda: _band_counts(session, plan, day),
                  BANDS_CODEC)


def _band_counts(session: Session, plan: Plan, day: date) -> dict[Band, int]:
    latest = _latest_values(plan.id, day)
    rows = session.execute(
        select(Indicator.target_text, Indicator.higher_is_better, IndicatorValue.value_text,
               IndicatorValue.assessment, IndicatorValue.id)
        .outerjoin(latest, latest.c.indicator_id == Indicator.id)
        .outerjoin(IndicatorValue, IndicatorValue.id == latest.c.id)
        .where(Indicator.plan_id == plan.id))
    return tally(NO_DATA.band if value_id is None else
                 read_standing(target, higher, text, assessment)[1].band
                 for target, higher, text, assessment, value_id in rows)


def band_lines(current: dict[Band, int], previous: dict[Band, int], previous_label: str) -> list[str]:
    """The report's own words: "Hoàn thành và vượt kế hoạch giao: 8 mục tiêu (tăng 1 mục tiêu so
    với Quý I/2026)"."""
    return [f"{BAND_LABELS[band]}: {current[band]} {NOUN} "
            f"({change_phrase(current[band] - previous[band], NOUN, previous_label)})" for band in Band]


def visible_indicator(session: Session, actor: Actor, indicator_id: Any, *, lock: bool = False) -> Indicator:
    """An indicator of the actor's province, by an id from the browser; NotAllowed otherwise."""
    indicator = (session.get(Indicator, indicator_id, with_for_update=lock)
                 if strict_int(indicator_id) is not None else None)
    plan = session.get(Plan, indicator.plan_id) if indicator is not None else None
    if plan is None or not sees_province(actor, plan.province_id):
        raise NotAllowed(f"user {actor.username} may not see indicator {indicator_id!r}")
    return indicator


def acting_agencies(session: Session, actor: Actor) -> set[int]:
    """The agency an agency user speaks for and every group it belongs to (empty for other roles)."""
    if not actor.is_agency or actor.agency_id is None:
        return set()
    return {actor.agency_id} | groups_of(session, actor.agency_id)


def monitors_of(session: Session, indicator_id: int) -> set[int]:
    return set(session.scalars(select(IndicatorAgency.agency_id).where(
        IndicatorAgency.indicator_id == indicator_id, IndicatorAgency.role == "monitor")))


def may_report(session: Session, actor: Actor, indicator: Indicator) -> bool:
    return can_report_indicator(actor, monitors_of(session, indicator.id), acting_agencies(session, actor))


def monitored_by(session: Session, plan: Plan, agencies: set[int]) -> set[int]:
    """Ids of the plan's indicators that these agencies monitor (and so must report)."""
    if not agencies:
        return set()
    return set(session.scalars(
        select(IndicatorAgency.indicator_id).join(Indicator, Indicator.id == IndicatorAgency.indicator_id)
        .where(Indicator.plan_id == plan.id, IndicatorAgency.role == "monitor",
               IndicatorAgency.agency_id.in_(agencies))))


def _reported(session: Session, plan: Plan, period: Period) -> set[int]:
    """Ids of the plan's indicators with a value for exactly this period."""
    return set(session.scalars(
        select(IndicatorValue.indicator_id).join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.plan_id == plan.id, IndicatorValue.period == period.key, has_data())))


@dataclass(frozen=True)
class Point:
    """One period's value of an indicator, read and assessed."""

    period: Period
    text: str
    is_estimate: bool
    reading: Reading | None
    achievement: Achievement

    @property
    def percent(self) -> int | None:
        """The trend's y: the share of the plan; a met / not met target at 100 / 0."""
        if self.achievement.percent is not None:
            return self.achievement.percent
        return None if self.achievement.met is None else 100 * self.achievement.met

    def as_dict(self) -> dict:
        """For the indicator's chart (plain data for layouts)."""
        reading = self.reading
        return {"period": self.period.key, "label": self.period.label, "end": self.period.end,
                "value": display_value(self.text, self.is_estimate), "is_estimate": self.is_estimate,
                "number": float(reading.number) if reading and reading.number is not None else None,
                "levels": [float(n) for n in reading.levels] if reading else [],
                "percent": self.percent, "achievement": self.achievement.label, "band": self.achievement.band.value}


def _series(session: Session, plan: Plan, day: date, indicator_id: int | None = None) -> dict[int, list[Point]]:
    """Each indicator's values by period end up to `day` (at one end, the latest entry): the trend
    in the table and the indicator's chart. Periods come from their keys, not the date column,
    which SQLite would make Python parse row by row."""
    query = (select(IndicatorValue.indicator_id, IndicatorValue.period, IndicatorValue.value_text,
                    IndicatorValue.is_estimate, IndicatorValue.assessment, Indicator.target_text,
                    Indicator.higher_is_better)
             .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
             .where(Indicator.plan_id == plan.id, IndicatorValue.period_end <= day, has_data())
             .order_by(IndicatorValue.indicator_id, IndicatorValue.period_end, IndicatorValue.updated_at,
                       IndicatorValue.id))
    if indicator_id is not None:
        query = query.where(Indicator.id == indicator_id)
    points: dict[int, dict[date, Point]] = {}
    weeks = week_scheme(plan)
    rows = session.execute(query).tuples()  # unpacked, not read by attribute: twice as fast per row
    for row_indicator, period_key, text, is_estimate, assessment, target_text, higher_is_better in rows:
        period = parse_period(period_key, weeks)
        points.setdefault(row_indicator, {})[period.end] = Point(
            period, text, is_estimate, *read_standing(target_text, higher_is_better, text, assessment))
    return {owner: list(by_end.values()) for owner, by_end in points.items()}


@dataclass(frozen=True)
class TableFilter:
    """The indicator table's filters, built from browser input (garbage tolerated)."""

    words: tuple[str, ...] = ()  # the search, folded (services.common.text.matches)
    section_id: int | None = None
    band: Band | None = None
    only: set[int] | None = None  # the ids an agency user asked to narrow to (its own)

    def keeps(self, row: dict) -> bool:
        return (matches(self.words, row["search"])
                and (self.section_id is None or row["section_id"] == self.section_id)
                and (self.band is None or row["band"] == self.band.value)
                and (self.only is None or row["id"] in self.only))


def band_from(value: Any) -> Band | None:
    return Band(value) if isinstance(value, str) and value in Band._value2member_map_ else None


def indicator_table(session: Session, actor: Actor, plan: Plan, day: date, period: Period) -> list[dict]:
    """The plan's indicators as of `day` for the grid: as printed, the latest value, the share of
    the plan and its band, the trend, and whether a value was entered for `period`."""
    series = _series(session, plan, day)
    reported = _reported(session, plan, period)
    own = monitored_by(session, plan, acting_agencies(session, actor))
    weeks = week_scheme(plan)
    rows = []
    for standing in standings(session, plan, day):
        indicator, value, achievement = standing.indicator, standing.value, standing.achievement
        section = standing.section
        points = [p for p in series.get(indicator.id, []) if p.percent is not None]
        rows.append({
            "id": indicator.id, "row_id": str(indicator.id), "stt": indicator.stt,
            "section_id": indicator.section_id, "section": section.code if section else "",
            "name": indicator.name, "unit": indicator.unit, "baseline": indicator.baseline_text,
            "target": indicator.target_text,
            "value": display_value(value.value_text, value.is_estimate) if value else "",
            "value_period": parse_period(value.period, weeks).label if value else "",
            "percent": achievement.label, "percent_value": achievement.percent,
            "band": achievement.band.value, "band_label": BAND_LABELS[achievement.band],
            "spark": [p.percent for p in points],
            "spark_title": " · ".join(f"{p.period.label}: {p.achievement.label}" for p in points),
            "monitor": indicator.monitor_text,
            "reported": "Đã nhập" if indicator.id in reported else "Chưa nhập",
            "own": indicator.id in own,
            "search": " ".join([indicator.stt, indicator.name, section.title if section else "", indicator.unit,
                                indicator.target_text, indicator.lead_text, indicator.monitor_text]),
        })
    return rows


def reporting_status(session: Session, plan: Plan, period: Period) -> list[dict]:
    """Per monitoring agency: how many indicators it reports, how many have a value for `period`,
    and its latest entry — the secretariat's "who has reported" (one GROUP BY)."""
    entered = aliased(IndicatorValue)
    rows = session.execute(
        select(Agency.id, Agency.name, func.count(func.distinct(IndicatorAgency.indicator_id)),
               func.count(func.distinct(entered.indicator_id)), func.max(entered.updated_at))
        .join(IndicatorAgency, IndicatorAgency.agency_id == Agency.id)
        .join(Indicator, Indicator.id == IndicatorAgency.indicator_id)
        .outerjoin(entered, and_(entered.indicator_id == Indicator.id, entered.period == period.key,
                                 has_data(entered)))
        .where(Indicator.plan_id == plan.id, IndicatorAgency.role == "monitor")
        .group_by(Agency.id, Agency.name).order_by(Agency.name)
    ).all()
    return [{"id": agency_id, "row_id": str(agency_id), "name": name, "total": total, "reported": done,
             "missing": total - done, "last_update": vn_date(last)}
            for agency_id, name, total, done, last in rows]


@dataclass(frozen=True)
class DueList:
    period: Period
    rows: list[dict]  # id, stt, name, reported

    @property
    def reported(self) -> int:
        return sum(row["reported"] for row in self.rows)


def due_indicators(session: Session, actor: Actor, plan: Plan, today: date) -> DueList | None:
    """For an agency user: the indicators it monitors, to report for the plan's current reporting
    period, and whether it has. None for other roles (they report nothing of their own)."""
    agencies = acting_agencies(session, actor)
    if not agencies:
        return None
    period = reporting_period(plan.reporting_cadence, today, week_scheme(plan))
    mine = monitored_by(session, plan, agencies)
    reported = _reported(session, plan, period)
    rows = [{"id": i.id, "row_id": str(i.id), "stt": i.stt, "name": i.name, "reported": i.id in reported}
            for i in session.scalars(select(Indicator).where(Indicator.id.in_(mine)).order_by(Indicator.position))]
    return DueList(period, rows)


def indicator_detail(session: Session, actor: Actor, indicator_id: Any, today: date) -> dict:
    """One indicator's page: as printed, its values over the plan year with their achievement,
    the current standing, and what the actor may do."""
    indicator = visible_indicator(session, actor, indicator_id)
    plan = session.get(Plan, indicator.plan_id)
    section = session.get(Section, indicator.section_id) if indicator.section_id else None
    target = parse_target(indicator.target_text)
    values = {row.period: row for row in session.scalars(
        select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id))}
    writers = dict(session.execute(select(User.id, func.coalesce(func.nullif(User.full_name, ""), User.username))
                                   .where(User.id.in_({v.updated_by_id for v in values.values()}))).all())
    points = _series(session, plan, date.max, indicator.id).get(indicator.id, [])
    table = []
    weeks = week_scheme(plan)
    for row in sorted(values.values(), key=lambda r: (-r.period_end.toordinal(), parse_period(r.period, weeks).months)):
        achievement = achievement_of(indicator, row)
        table.append({
            "row_id": row.period, "period": parse_period(row.period, weeks).label,
            "value": display_value(row.value_text, row.is_estimate) or "-",
            "percent": achievement.label, "band": achievement.band.value, "band_label": BAND_LABELS[achievement.band],
            "assessment": ASSESSMENT_LABELS.get(row.assessment, ""), "source_note": row.source_note,
            "updated": f"{vn_date(row.updated_at)} — {writers.get(row.updated_by_id, SOURCE_LABELS['import'])}",
        })
    latest = points[-1].achievement if points else NO_DATA
    return {
        "id": indicator.id, "version": indicator.version, "stt": indicator.stt, "name": indicator.name,
        "section": f"{section.code}. {section.title}" if section else "", "unit": indicator.unit,
        "baseline": indicator.baseline_text, "target": indicator.target_text, "target_kind": target.kind.value,
        "target_number": float(target.number) if target.number is not None else None,
        "target_levels": [float(n) for n in target.levels],
        "baseline_number": _number_or_none(indicator.baseline_text),
        "lead": indicator.lead_text, "monitor": indicator.monitor_text,
        "higher_is_better": indicator.higher_is_better, "plan_year": plan.year,
        "points": [point.as_dict() for point in points],
        "values": table, "standing": latest.label, "band": latest.band.value, "band_label": BAND_LABELS[latest.band],
        "takes_assessment": target.kind is not TargetKind.NUMBER,
        "can_report": may_report(session, actor, indicator), "can_configure": can_configure_indicators(actor),
        "due_period": reporting_period(plan.reporting_cadence, today, week_scheme(plan)).key,
    }


def _number_or_none(text: str) -> float | None:
    target = parse_target(text)
    return float(target.number) if target.kind is TargetKind.NUMBER else None


def value_form(session: Session, actor: Actor, indicator_id: Any, period_key: Any) -> dict:
    """The saved value of one period as the form shows it, with the version the save must carry
    (0: nothing saved for that period yet)."""
    indicator = visible_indicator(session, actor, indicator_id)
    weeks = week_scheme(session.get(Plan, indicator.plan_id))
    period = parse_period(period_key, weeks) if isinstance(period_key, str) else None
    row = session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == period.key)) if period else None
    return form_values(row)


def form_values(row: IndicatorValue | None) -> dict:
    if row is None:
        return {"value": "", "is_estimate": False, "assessment": "", "source_note": "", "version": 0}
    return {"value": row.value_text, "is_estimate": row.is_estimate, "assessment": row.assessment or "",
            "source_note": row.source_note, "version": row.version}


def indicator_history(session: Session, actor: Actor, indicator_id: Any) -> list[dict]:
    """Every change of the indicator and of its values, oldest first: when, who, which period, old → new."""
    indicator = visible_indicator(session, actor, indicator_id)
    value = aliased(IndicatorValue)
    value_ids = select(IndicatorValue.id).where(IndicatorValue.indicator_id == indicator.id)
    rows = session.execute(
        select(ChangeLog, User.full_name, User.username, value.period)
        .outerjoin(User, User.id == ChangeLog.user_id)
        .outerjoin(value, and_(ChangeLog.entity == "indicator_value", value.id == ChangeLog.entity_id))
        # Both branches on (entity, entity_id), the change log's index: a million rows are never scanned.
        .where(or_(and_(ChangeLog.entity == "indicator", ChangeLog.entity_id == indicator.id),
                   and_(ChangeLog.entity == "indicator_value", ChangeLog.entity_id.in_(value_ids))))
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    ).all()
    return [{
        "when": vn_date(log.occurred_at),
        "who": full_name or username or SOURCE_LABELS.get(log.source, "Hệ thống"),
        "field": FIELD_LABELS.get(log.field, log.field) + (f" ({parse_period(period).label})" if period else ""),
        "old": _shown(log.field, log.old_value), "new": _shown(log.field, log.new_value),
    } for log, full_name, username, period in rows]


def _shown(field: str, text: str | None) -> str:
    """Change-log text as people read it: booleans and assessments in words, empty as "(trống)"."""
    if field == "higher_is_better" and text in ("True", "False"):
        return DIRECTION_LABELS[text == "True"]
    if field == "is_estimate" and text in ("True", "False"):
        return "Có" if text == "True" else "Không"
    if field == "assessment" and text in ASSESSMENT_LABELS:
        return ASSESSMENT_LABELS[text]
    return text or "(trống)"
