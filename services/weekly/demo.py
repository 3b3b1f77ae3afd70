"""The demo's weekly reporting: Lào Cai's weekly report of week 05/2025 (seed 000) as a separate
2025 plan of the same province, so the 2026 plan and its figures stay as they were. Every target
line of part I, every annex row and value as printed ("-" kept as not applicable, a blank as no
value), "Đã nhập" as the agency's entry of the week, and parts II–V as the secretariat's notes.
A computed target whose figure differs from the printed one is listed, not hidden."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from models import (
    AgencyIndicator,
    AgencyIndicatorTerm,
    AgencyIndicatorValue,
    AgencyPeriodEntry,
    AnnexColumn,
    AnnexRow,
    AnnexTable,
    Plan,
    Province,
    WeeklyReportNote,
)
from services.common.clock import now
from services.plans.agencies import AgencyDirectory
from services.reporting.periods import parse_period, week_scheme
from services.weekly.figures import province_figures
from services.weekly.values import parse_entry

WEEKLY_DEMO = Path(__file__).resolve().parents[2] / "data" / "lao_cai_2025_tuan_05.json"


@dataclass
class WeeklyDemoSummary:
    plan_id: int
    targets: int = 0  # part I target lines (numbered or "*")
    components: int = 0  # their component lines
    annex_rows: int = 0
    target_values: int = 0  # part I figures entered as printed (component lines, targets not computed)
    values: int = 0  # annex cells with a value, "-" included
    not_applicable: int = 0  # of which "-"
    blanks: int = 0  # annex cells printed empty
    entered: int = 0  # "Đã nhập"
    created_agencies: int = 0
    differences: list[str] = field(default_factory=list)  # computed figure ≠ printed


def _kind_for(name: str) -> str:
    return "department" if name.startswith("Sở ") else "other" if name.startswith("UBND ") else "provincial"


def load_weekly_demo(session: Session, province_id: int, path: Path = WEEKLY_DEMO) -> WeeklyDemoSummary:
    data = json.loads(path.read_text(encoding="utf-8"))
    spec = data["plan"]
    when = now()
    plan = Plan(province_id=province_id, year=spec["year"], title=spec["title"], kind=spec["kind"],
                starts_on=date(spec["year"], 1, 1), reporting_cadence=spec["cadence"], report_deadline_day=20,
                due_soon_days=14, week_start=spec["week_start"], week_numbering=spec["week_numbering"],
                created_at=when)
    session.add(plan)
    session.flush()
    summary = WeeklyDemoSummary(plan.id)
    directory = AgencyDirectory(session, session.get(Province, province_id))
    known = len(directory.current())

    def agency(name: str):
        return directory.add(name, kind=_kind_for(name))

    reporter = agency(data["reporter"])
    period = parse_period(data["periods"][0], week_scheme(plan))
    recorded = datetime.combine(period.end, time(17))
    position = 0

    def indicator(**fields) -> AgencyIndicator:
        nonlocal position
        position += 1
        row = AgencyIndicator(plan_id=plan.id, position=position, **fields)
        session.add(row)
        session.flush()
        return row

    def value(row: AgencyIndicator, agency_id: int, text: str, period_key: str, end: date) -> None:
        entry = parse_entry(text, row.kind)
        in_annex = row.scope == "agency"
        if entry is None:
            summary.blanks += in_annex
            return
        summary.values += in_annex
        summary.target_values += not in_annex
        summary.not_applicable += entry.not_applicable
        session.add(AgencyIndicatorValue(
            indicator_id=row.id, agency_id=agency_id, period=period_key, period_end=end, value_text=entry.text,
            not_applicable=entry.not_applicable, numerator=entry.numerator, denominator=entry.denominator,
            number=entry.number, updated_at=recorded, updated_by_id=None))

    printed = {}
    for target in data["targets"]:
        kind = "percent" if target["unit"] == "%" else "count"
        top = indicator(scope="province", stt=target["stt"], name=target["name"], unit=target["unit"], kind=kind,
                        formula=target["formula"], decimals=target.get("decimals", 0),
                        reporter_id=reporter.id if target["formula"] == "entered" else None)
        summary.targets += 1
        printed[top.id] = target["printed"]
        if target["formula"] == "entered":
            value(top, reporter.id, target["printed"], period.key, period.end)
        for part in target["parts"]:
            line = indicator(scope="province", stt=part["stt"], name=part["name"], unit=part["unit"],
                             kind="percent" if part["unit"] == "%" else "count", formula="entered",
                             parent_id=top.id, reporter_id=reporter.id)
            summary.components += 1
            value(line, reporter.id, part["printed"], period.key, period.end)
            if part.get("role"):
                session.add(AgencyIndicatorTerm(indicator_id=top.id, term_id=line.id, role=part["role"]))

    measures: dict[str, AgencyIndicator] = {}
    for number, table in enumerate(data["annex"], start=1):
        annex_table = AnnexTable(plan_id=plan.id, position=number, title=table["title"],
                                 entry_column=table["entry_column"])
        session.add(annex_table)
        session.flush()
        columns = []
        for place, column in enumerate(table["columns"], start=1):
            measure = measures.get(column["indicator"])
            if measure is None:
                measure = measures[column["indicator"]] = indicator(
                    scope="agency", name=column["header"], unit=column.get("unit", ""), kind=column["kind"],
                    target=column.get("target"))
            session.add(AnnexColumn(table_id=annex_table.id, indicator_id=measure.id, position=place,
                                    header=column["header"]))
            columns.append(measure)
        periods = [parse_period(key, week_scheme(plan)) for key in table.get("periods", data["periods"])]
        for place, (stt, label, name, *cells) in enumerate(table["rows"], start=1):
            member = agency(name or label)
            status = cells.pop(table["entry_column"]) if table["entry_column"] is not None else None
            session.add(AnnexRow(table_id=annex_table.id, agency_id=member.id, position=place, stt=stt, label=label,
                                 enters=status != "-"))
            summary.annex_rows += 1
            if status == "Đã nhập":
                summary.entered += 1
                session.add(AgencyPeriodEntry(plan_id=plan.id, agency_id=member.id, period=period.key,
                                              entered_at=recorded, entered_by_id=None))
            for index, text in enumerate(cells):  # a column's periods side by side, as printed
                cell_period = periods[index % len(periods)]
                value(columns[index // len(periods)], member.id, text, cell_period.key, cell_period.end)
    session.add(WeeklyReportNote(plan_id=plan.id, period=period.key, updated_at=recorded, updated_by_id=None,
                                 **data["notes"]))
    session.flush()
    summary.created_agencies = len(directory.current()) - known
    for figure in province_figures(session, plan, period):
        shown = figure.text.removesuffix("%")
        expected = printed.get(figure.indicator.id)
        if expected is not None and shown != expected.removesuffix("%"):
            summary.differences.append(f"{figure.indicator.stt} {figure.indicator.name}: in “{expected}”, "
                                       f"tính được “{figure.text}”")
    return summary
