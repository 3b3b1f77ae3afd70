"""The weekly views at scale (issue 18): the annex of one week and the province's computed figures,
each next to the minimal SQL a good engineer would write for the same question, in one run.

A synthetic weekly plan: `--agencies` agencies in one annex table of `--indicators` columns (fractions,
percents and counts in turn), every agency valued every week up to `--weeks`, and one province ratio
per fraction column (Σ numerators ÷ Σ denominators) plus a cumulative count. Medians and p95 (ms)
and the ratio to the minimal SQL are printed; the figures are checked against that SQL.

    .venv/bin/python -m benchmarks.weekly [--agencies 1000] [--indicators 9] [--weeks 52] [--postgres ADMIN_URL]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.save_roundtrip import fresh_database
from models import (
    Agency,
    AgencyIndicator,
    AgencyIndicatorTerm,
    AgencyIndicatorValue,
    AnnexColumn,
    AnnexRow,
    AnnexTable,
    Database,
    Plan,
    Province,
)
from services.common import schema
from services.reporting.periods import Period, WeekScheme
from services.weekly.figures import annex, province_figures

KINDS = ("fraction", "percent", "count")
SCHEME = WeekScheme(5, "first_start")


def populate(db: Database, agencies: int, indicators: int, weeks: int) -> int:
    with db.write() as s:
        province = Province(name="Tỉnh tổng hợp")
        s.add(province)
        s.flush()
        plan = Plan(province_id=province.id, year=2025, title="Báo cáo tuần tổng hợp", starts_on=date(2025, 1, 1),
                    reporting_cadence="weekly", report_deadline_day=20, due_soon_days=14, week_start=5,
                    week_numbering="first_start", created_at=datetime(2025, 1, 1), kind="other")
        s.add(plan)
        s.flush()
        table = AnnexTable(plan_id=plan.id, position=1, title="Bảng tổng hợp", entry_column=None)
        s.add(table)
        s.flush()
        measures = []
        for n in range(indicators):
            measure = AgencyIndicator(plan_id=plan.id, scope="agency", position=n, name=f"Chỉ tiêu {n}",
                                      kind=KINDS[n % 3], target=80.0)
            s.add(measure)
            measures.append(measure)
        s.flush()
        for n, measure in enumerate(measures):
            s.add(AnnexColumn(table_id=table.id, indicator_id=measure.id, position=n, header=measure.name))
            if measure.kind in ("fraction", "count"):
                total = AgencyIndicator(plan_id=plan.id, scope="province", position=1000 + n, name=f"Tỉnh {n}",
                                        kind="percent" if measure.kind == "fraction" else "count",
                                        formula="ratio" if measure.kind == "fraction" else "cumulative")
                s.add(total)
                s.flush()
                roles = ("numerator", "denominator") if measure.kind == "fraction" else ("term",)
                for role in roles:
                    s.add(AgencyIndicatorTerm(indicator_id=total.id, term_id=measure.id, role=role))
        ids = []
        for n in range(agencies):
            agency = Agency(province_id=province.id, name=f"Đơn vị {n:05d}", name_key=f"don vi {n:05d}",
                            kind="department")
            s.add(agency)
            s.flush()
            ids.append(agency.id)
            s.add(AnnexRow(table_id=table.id, agency_id=agency.id, position=n, stt=f"({n + 1})", label=agency.name))
        s.flush()
        stamp = datetime(2025, 12, 31)
        for week in range(1, weeks + 1):
            period = Period("week", 2025, week, SCHEME)
            rows = []
            for agency_id in ids:
                for measure in measures:
                    a, b = (agency_id * 7 + week) % 97 + 1, (agency_id * 3 + week) % 89 + 100
                    fraction = measure.kind == "fraction"
                    rows.append(dict(indicator_id=measure.id, agency_id=agency_id, period=period.key,
                                     period_end=period.end, value_text=f"{a}/{b}" if fraction else str(a),
                                     not_applicable=False, numerator=a if fraction else None,
                                     denominator=b if fraction else None,
                                     number=100 * a / b if fraction else float(a), updated_at=stamp, version=1))
            s.execute(insert(AgencyIndicatorValue), rows)
        plan_id = plan.id
    db.analyze()
    return plan_id


def timed(action, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], result


def measure(db: Database, plan_id: int, weeks: int, runs: int) -> None:
    week = Period("week", 2025, weeks, SCHEME)
    value = AgencyIndicatorValue
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        minimal_annex = lambda: s.execute(  # noqa: E731 (one statement: the week's and last week's cells)
            select(value.indicator_id, value.agency_id, value.period, value.value_text, value.number)
            .where(value.period.in_([week.key, week.previous().key]))).all()
        minimal_sums = lambda: s.execute(  # noqa: E731 (one GROUP BY for the week, one for the year so far)
            select(value.indicator_id, func.sum(value.numerator), func.sum(value.denominator), func.sum(value.number))
            .where(value.period == week.key).group_by(value.indicator_id)).all() + s.execute(
            select(value.indicator_id, func.sum(value.number)).where(value.period.like("2025-W%"))
            .group_by(value.indicator_id)).all()
        rows = [("annex of one week", lambda: annex(s, plan, week), minimal_annex),
                ("province figures", lambda: province_figures(s, plan, week), minimal_sums)]
        for label, app, minimal in rows:
            app_median, app_p95, result = timed(app, runs)
            sql_median, sql_p95, _ = timed(minimal, runs)
            print(f"  {label:<20} app {app_median:8.1f} ms (p95 {app_p95:7.1f})   minimal SQL {sql_median:7.1f} ms "
                  f"(p95 {sql_p95:7.1f})   ratio {app_median / sql_median:5.2f}")
        figures = province_figures(s, plan, week)
        check = dict((i, (n, d)) for i, n, d, _ in s.execute(
            select(value.indicator_id, func.sum(value.numerator), func.sum(value.denominator), func.sum(value.number))
            .where(value.period == week.key).group_by(value.indicator_id)).all())
        for figure in figures:
            if figure.indicator.formula == "ratio":
                (term, _), *_ = figure.components
                numerator, denominator = check[term]
                assert abs(figure.number - 100 * numerator / denominator) < 1e-9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=9)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="URL of a PostgreSQL database to create databases from")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cds-weekly-"))
    for backend in ("sqlite",) + (("postgresql",) if args.postgres else ()):
        with fresh_database(backend, args.postgres, workdir) as url:
            db = Database(url)
            schema.upgrade(db)
            started = time.perf_counter()
            plan_id = populate(db, args.agencies, args.indicators, args.weeks)
            values = args.agencies * args.indicators * args.weeks
            print(f"{backend}: {args.agencies} agencies × {args.indicators} indicators × {args.weeks} weeks = "
                  f"{values:,} values (loaded in {time.perf_counter() - started:.0f} s)".replace(",", "."))
            measure(db, plan_id, args.weeks, args.runs)
            db.dispose()


if __name__ == "__main__":
    main()
