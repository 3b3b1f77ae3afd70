"""The weekly figures, summed in SQL: province-level indicators computed from their components, and
the annex (agencies × indicators for a period, with last period's values beside them).

A computed figure is never stored: it is worked out from the same sums its component lines print,
so a figure and its components cannot disagree. Formulas: "ratio" = 100 × Σ numerator terms ÷
Σ denominator terms (a fraction term gives its numerators to one and its denominators to the
other); "sum" = Σ terms; "cumulative" = Σ of the term over the periods of the same kind since the
start of the year; "entered" = the value its reporting agency entered. A term measured per agency
counts as the sum over agencies.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AgencyIndicator, AgencyIndicatorTerm, AgencyIndicatorValue, AgencyPeriodEntry, Plan
from models import AnnexColumn, AnnexRow, AnnexTable
from services.common.queries import vn_decimal
from services.reporting.periods import Period, periods_of_year
from services.weekly.values import figure_text


@dataclass(frozen=True)
class Sums:
    """One indicator's values over agencies (and periods): Σ number, Σ numerator, Σ denominator."""

    number: float | None = None
    numerator: float | None = None
    denominator: float | None = None

    def part(self, role: str) -> float | None:
        """What the indicator gives a ratio as its numerator or denominator term."""
        if role == "numerator" and self.numerator is not None:
            return self.numerator
        if role == "denominator" and self.denominator is not None:
            return self.denominator
        return self.number


def _sums(session: Session, plan: Plan, period_keys: list[str]) -> dict[int, Sums]:
    """Σ per indicator of the plan over every agency and the given periods, in one GROUP BY."""
    value = AgencyIndicatorValue
    rows = session.execute(
        select(value.indicator_id, func.sum(value.number), func.sum(value.numerator), func.sum(value.denominator))
        .join(AgencyIndicator, AgencyIndicator.id == value.indicator_id)
        .where(AgencyIndicator.plan_id == plan.id, value.period.in_(period_keys))
        .group_by(value.indicator_id))
    return {indicator_id: Sums(number, numerator, denominator) for indicator_id, number, numerator, denominator in rows}


@dataclass(frozen=True)
class Figure:
    indicator: AgencyIndicator
    number: float | None
    text: str  # as printed: "79,6%", "463.724", "-"
    components: tuple[tuple[int, str], ...] = ()  # (line id, role) of the lines it is computed from


@dataclass
class _Evaluation:
    indicators: dict[int, AgencyIndicator]
    terms: dict[int, list[tuple[int, str]]]
    period_sums: dict[int, Sums]
    year_sums: dict[int, Sums]
    done: dict[int, float | None] = field(default_factory=dict)

    def value(self, indicator_id: int, role: str = "term", cumulative: bool = False) -> float | None:
        indicator = self.indicators[indicator_id]
        if indicator.formula == "entered" or indicator.scope == "agency":
            sums = (self.year_sums if cumulative else self.period_sums).get(indicator_id, Sums())
            return sums.part(role)
        if cumulative:
            return None  # a cumulative of a computed figure is not defined: sum its entered terms
        if indicator_id not in self.done:
            self.done[indicator_id] = None  # a cycle of formulas computes nothing
            self.done[indicator_id] = self._compute(indicator)
        return self.done[indicator_id]

    def _compute(self, indicator: AgencyIndicator) -> float | None:
        terms = self.terms.get(indicator.id, [])
        if indicator.formula == "ratio":
            top = [self.value(t, "numerator") for t, role in terms if role == "numerator"]
            bottom = [self.value(t, "denominator") for t, role in terms if role == "denominator"]
            if not top or not bottom or None in top or None in bottom or sum(bottom) == 0:
                return None
            return 100 * sum(top) / sum(bottom)
        parts = [self.value(t, cumulative=indicator.formula == "cumulative") for t, _ in terms]
        if not parts or None in parts:
            return None
        return sum(parts)


def province_figures(session: Session, plan: Plan, period: Period) -> list[Figure]:
    """Every province-level line of the plan (targets and their components, in print order) with
    its figure for the period."""
    indicators = {i.id: i for i in session.scalars(
        select(AgencyIndicator).where(AgencyIndicator.plan_id == plan.id))}
    terms: dict[int, list[tuple[int, str]]] = {}
    for term in session.scalars(select(AgencyIndicatorTerm).join(
            AgencyIndicator, AgencyIndicator.id == AgencyIndicatorTerm.indicator_id)
            .where(AgencyIndicator.plan_id == plan.id).order_by(AgencyIndicatorTerm.role)):
        terms.setdefault(term.indicator_id, []).append((term.term_id, term.role))
    year = [p.key for p in periods_of_year(period.year, (period.kind,), period.end, period.weeks)]
    evaluation = _Evaluation(indicators, terms, _sums(session, plan, [period.key]), _sums(session, plan, year))
    figures = []
    for indicator in sorted(indicators.values(), key=lambda i: i.position):
        if indicator.scope != "province":
            continue
        number = evaluation.value(indicator.id)
        figures.append(Figure(indicator, number, figure_text(number, indicator.kind, indicator.decimals),
                              tuple(terms.get(indicator.id, []))))
    return figures


# The annex: agencies × indicators for a period, with the change since the previous one.

BELOW_TARGET = "Dưới mục tiêu"


@dataclass(frozen=True)
class Cell:
    text: str  # as entered; "" when nothing was entered
    below_target: bool
    change: str  # "▲ tăng 2", "▼ giảm 5", "= không đổi", "" (nothing to compare)
    number: float | None


@dataclass(frozen=True)
class AnnexLine:
    agency_id: int
    stt: str
    name: str
    entered: str  # "Đã nhập" | "Chưa nhập" | "-" (the agency does not use the system)
    cells: dict[int, Cell]


@dataclass(frozen=True)
class AnnexView:
    table_id: int
    title: str
    columns: list[tuple[int, str, str]]  # (indicator id, header as printed, kind)
    entry_column: int | None
    lines: list[AnnexLine]


def _change(now: float | None, before: float | None, kind: str) -> str:
    if now is None or before is None:
        return ""
    delta = now - before
    decimals = 0 if kind == "count" else 1
    if abs(delta) < 0.05:
        return "= không đổi"
    unit = "" if kind == "count" else " điểm %"
    return f"{'▲ tăng' if delta > 0 else '▼ giảm'} {vn_decimal(abs(delta), decimals)}{unit}"


def entry_label(enters: bool, entered: bool) -> str:
    return "-" if not enters else "Đã nhập" if entered else "Chưa nhập"


def annex(session: Session, plan: Plan, period: Period) -> list[AnnexView]:
    """The annex tables for the period: five queries (tables, columns, rows, values, entries) whatever the number of agencies."""
    previous = period.previous()
    tables = session.scalars(select(AnnexTable).where(AnnexTable.plan_id == plan.id)
                             .order_by(AnnexTable.position)).all()
    columns = session.execute(
        select(AnnexColumn.table_id, AnnexColumn.indicator_id, AnnexColumn.header, AgencyIndicator.kind,
               AgencyIndicator.target)
        .join(AgencyIndicator, AgencyIndicator.id == AnnexColumn.indicator_id)
        .join(AnnexTable, AnnexTable.id == AnnexColumn.table_id)
        .where(AnnexTable.plan_id == plan.id).order_by(AnnexColumn.table_id, AnnexColumn.position)).all()
    rows = session.execute(
        select(AnnexRow.table_id, AnnexRow.agency_id, AnnexRow.stt, AnnexRow.enters, AnnexRow.label)
        .join(AnnexTable, AnnexTable.id == AnnexRow.table_id)
        .where(AnnexTable.plan_id == plan.id).order_by(AnnexRow.table_id, AnnexRow.position)).all()
    value = AgencyIndicatorValue
    values = {(indicator_id, agency_id, key): (text, number)
              for indicator_id, agency_id, key, text, number in session.execute(
                  select(value.indicator_id, value.agency_id, value.period, value.value_text, value.number)
                  .join(AgencyIndicator, AgencyIndicator.id == value.indicator_id)
                  .where(AgencyIndicator.plan_id == plan.id, value.period.in_([period.key, previous.key])))}
    entered = set(session.scalars(select(AgencyPeriodEntry.agency_id).where(
        AgencyPeriodEntry.plan_id == plan.id, AgencyPeriodEntry.period == period.key)))
    views = []
    for table in tables:
        table_columns = [c for c in columns if c.table_id == table.id]
        lines = []
        for row in (r for r in rows if r.table_id == table.id):
            cells = {}
            for column in table_columns:
                text, number = values.get((column.indicator_id, row.agency_id, period.key), ("", None))
                _, before = values.get((column.indicator_id, row.agency_id, previous.key), ("", None))
                below = number is not None and column.target is not None and number < column.target
                cells[column.indicator_id] = Cell(text, below, _change(number, before, column.kind), number)
            lines.append(AnnexLine(row.agency_id, row.stt, row.label, entry_label(row.enters, row.agency_id in entered),
                                   cells))
        views.append(AnnexView(table.id, table.title, [(c.indicator_id, c.header, c.kind) for c in table_columns],
                               table.entry_column, lines))
    return views
