"""An agency's scorecard: what a leader reads before calling the agency's head — its DTI level and
rank over the years, its part of the plan (done on time, overdue, the on-time rate), whether it
reports on time, and its targets below plan; and the same across agencies, a ranking worst first.

Nothing is worked out here that is ruled elsewhere: the counts are `agency_rollup` (SQL, stored),
the on-time rate `on_time_rate`, the overdue parts `overdue_board`, the periodic reports `compliance`,
the targets' bands `standings` (services.indicators.achievement's rules), the DTI rows
services.dti.rankings. An agency user sees only its own scorecard; the ranking is for the others.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, AgencyMembership, Indicator, IndicatorAgency, Plan
from services.accounts.permissions import Actor, NotAllowed, can_view_agency
from services.common.inputs import id_from_text
from services.dti.rankings import agency_history, latest_by_agency
from services.indicators.achievement import BAND_LABELS, Band, display_value
from services.indicators.standings import standings
from services.reporting.dashboard import COMPLIANCE_LABELS, compliance, on_time_rate, overdue_board
from services.reporting.periods import parse_period
from services.reporting.rollup import Counts, agency_rollup

BELOW_TARGET = (Band.OVER_80, Band.FROM_50_TO_80, Band.UNDER_50)
OVERDUE_SHOWN = 20  # the oldest overdue parts a scorecard lists (the count is complete)
ROLE_LABELS = {"lead": "Chủ trì", "monitor": "Theo dõi, tổng hợp"}


@dataclass(frozen=True)
class Reporting:
    """An agency's periodic reports so far: how many were due, and how each went."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: list[str] | None = None  # the labels of the periods not reported

    @property
    def rate(self) -> float | None:
        return round(100 * self.on_time / self.due, 1) if self.due else None

    def as_dict(self) -> dict:
        missing = self.missing or []
        return {"due": self.due, "on_time": self.on_time, "late": self.late, "missing": len(missing),
                "missing_periods": missing, "rate": self.rate}


def periodic_reports(session: Session, plan: Plan, today: date) -> dict[int, Reporting]:
    """Per agency, its periodic reports (monthly or quarterly: the plan's cadence) from the compliance
    table."""
    table = compliance(session, plan, today)
    labels = {period.key: period.label for period in table.periods}
    result = {}
    for row in table.rows:
        cells = {key: row[key] for key in labels}
        due = [key for key, cell in cells.items() if cell in (COMPLIANCE_LABELS["on_time"], COMPLIANCE_LABELS["late"],
                                                              COMPLIANCE_LABELS["missing"])]
        result[row["id"]] = Reporting(
            len(due), sum(cells[key] == COMPLIANCE_LABELS["on_time"] for key in due),
            sum(cells[key] == COMPLIANCE_LABELS["late"] for key in due),
            [labels[key] for key in due if cells[key] == COMPLIANCE_LABELS["missing"]])
    return result


def weekly_entries(session: Session, plan: Plan, today: date) -> dict[int, Reporting] | None:
    """Per agency, its weekly indicator entries of the plan's year, from the province's weekly plans of
    that year (their compliance is the entries: "Đã nhập" on time, late or missing). None when the plan
    is itself weekly (its periodic reports are the entries) or the year has no weekly plan: the
    scorecard then says weekly entries are not tracked."""
    if plan.reporting_cadence == "weekly":
        return None
    weekly_plans = session.scalars(select(Plan).where(
        Plan.province_id == plan.province_id, Plan.year == plan.year, Plan.reporting_cadence == "weekly",
        Plan.id != plan.id)).all()
    if not weekly_plans:
        return None
    merged: dict[int, Reporting] = {}
    for weekly_plan in weekly_plans:
        for agency_id, entries in periodic_reports(session, weekly_plan, today).items():
            known = merged.get(agency_id, Reporting())
            merged[agency_id] = Reporting(known.due + entries.due, known.on_time + entries.on_time,
                                          known.late + entries.late, (known.missing or []) + (entries.missing or []))
    return merged


def _responsible(session: Session, plan: Plan) -> dict[int, dict[int, str]]:
    """Per agency, the plan's targets it leads or monitors (also through a group it belongs to, at any
    depth): indicator id → role. One query for the targets' agencies, one for the groups' edges."""
    named = session.execute(select(IndicatorAgency.agency_id, IndicatorAgency.indicator_id, IndicatorAgency.role)
                            .join(Indicator, Indicator.id == IndicatorAgency.indicator_id)
                            .where(Indicator.plan_id == plan.id)).all()
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, member_id in session.execute(select(AgencyMembership.group_id, AgencyMembership.member_id)):
        members[group_id].add(member_id)
    result: dict[int, dict[int, str]] = defaultdict(dict)
    for agency_id, indicator_id, role in named:
        seen, frontier = set(), {agency_id}
        while frontier:
            seen |= frontier
            frontier = {member for group in frontier for member in members.get(group, ())} - seen
        for agency in seen:
            if role == "monitor" or indicator_id not in result[agency]:
                result[agency][indicator_id] = role
    return result


def _below_target(session: Session, plan: Plan, today: date) -> tuple[dict[int, list[dict]], dict[int, int]]:
    """Per agency, its targets below plan as of today (each with its figures) and how many have no value yet."""
    responsible = _responsible(session, plan)
    below: dict[int, list[dict]] = defaultdict(list)
    no_data: dict[int, int] = defaultdict(int)
    for standing in standings(session, plan, today):
        indicator, value, band = standing.indicator, standing.value, standing.achievement.band
        for agency_id, roles in responsible.items():
            if indicator.id not in roles:
                continue
            if band is Band.NO_DATA:
                no_data[agency_id] += 1
            elif band in BELOW_TARGET:
                below[agency_id].append({
                    "row_id": str(indicator.id), "id": indicator.id, "stt": indicator.stt, "name": indicator.name,
                    "target": indicator.target_text, "role": ROLE_LABELS.get(roles[indicator.id], ""),
                    "value": display_value(value.value_text, value.is_estimate),
                    "period": parse_period(value.period).label, "achievement": standing.achievement.label,
                    "band": band.value, "band_label": BAND_LABELS[band]})
    return below, no_data


def viewable_agency(session: Session, actor: Actor, plan: Plan, agency_id: object) -> Agency:
    """The agency whose scorecard is asked for: of the plan's province, and the actor's own for an
    agency user (NotAllowed otherwise: a forged id is refused, never replaced by another)."""
    chosen = id_from_text(agency_id)
    agency = session.get(Agency, chosen) if chosen is not None else None
    if agency is None or agency.province_id != plan.province_id or agency.is_group \
            or not can_view_agency(actor, agency.id, agency.province_id):
        raise NotAllowed(f"user {actor.username} may not see the scorecard of agency {agency_id!r}")
    return agency


def _counts(session: Session, plan: Plan, agency_id: int | None = None) -> dict[int, Counts]:
    return {group.key: group.counts for group in agency_rollup(session, plan, None, agency_id)}


def scorecard(session: Session, actor: Actor, plan: Plan, agency_id: object, today: date) -> dict:
    """One agency's scorecard as of today (NotAllowed unless `viewable_agency`)."""
    agency = viewable_agency(session, actor, plan, agency_id)
    counts = _counts(session, plan, agency.id).get(agency.id, Counts())
    board = overdue_board(session, plan, today, today, agency_id=agency.id)
    reports = periodic_reports(session, plan, today).get(agency.id, Reporting())
    weekly = weekly_entries(session, plan, today)
    below, no_data = _below_target(session, plan, today)
    return {
        "agency_id": agency.id, "agency": agency.name, "plan": plan.title,
        "dti": agency_history(session, plan.province_id, agency.id),
        "tasks": {**counts.as_dict(), "on_time_rate": on_time_rate(counts)},
        "overdue": board.rows[:OVERDUE_SHOWN], "overdue_total": board.total,
        "reports": reports.as_dict(), "cadence": plan.reporting_cadence,
        "weekly": None if weekly is None else weekly.get(agency.id, Reporting()).as_dict(),
        "below_target": below.get(agency.id, []), "no_data": no_data.get(agency.id, 0),
    }


def ranking(session: Session, actor: Actor, plan: Plan, today: date) -> list[dict]:
    """Every agency with a part in the plan, a report owed or a target to answer for: the lowest
    on-time rate first, as the overview's ranking; for the secretariat and leaders (NotAllowed for
    an agency user, who sees its own scorecard only)."""
    if actor.is_agency:
        raise NotAllowed(f"user {actor.username} may not see the agencies' ranking")
    counts = _counts(session, plan)
    reports = periodic_reports(session, plan, today)
    weekly = weekly_entries(session, plan, today)
    below, no_data = _below_target(session, plan, today)
    dti = latest_by_agency(session, plan.province_id)
    wanted = set(counts) | set(reports) | set(below) | set(no_data)
    rows = []
    for agency in session.scalars(select(Agency).where(Agency.id.in_(wanted), Agency.province_id == plan.province_id,
                                                       Agency.kind != "group").order_by(Agency.name)):
        tasks = counts.get(agency.id, Counts())
        reporting = reports.get(agency.id, Reporting())
        latest = dti.get(agency.id)
        rows.append({
            "id": agency.id, "row_id": str(agency.id), "name": agency.name,
            "dti": (f"{latest['level']} — hạng {latest['rank']}/{latest['group_size']} ({latest['year']})"
                    if latest else ""),
            "parts": tasks.total, "done_on_time": tasks.done_on_time, "overdue": tasks.overdue,
            "on_time_rate": on_time_rate(tasks), "reports_rate": reporting.rate,
            "reports_missing": len(reporting.missing or []),
            "weekly_rate": None if weekly is None else weekly.get(agency.id, Reporting()).rate,
            "below_target": len(below.get(agency.id, [])), "no_data": no_data.get(agency.id, 0),
        })
    # Worst first: no rate (nothing due yet) last, then the lowest rate, the most overdue among equals.
    rows.sort(key=lambda r: (r["on_time_rate"] is None, r["on_time_rate"] or 0, -r["overdue"], r["name"]))
    return rows
