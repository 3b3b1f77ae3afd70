"""Dashboard speed at scale (issue 4): each secretariat/leader callback next to the bare SQL it runs.

For each database, a synthetic province (default 100 000 assignments, about 1 000 000 history
rows) is generated; then each callback is POSTed through the Flask test client (session, guard,
policy, queries, Python, JSON) and, in the same run, the exact SQL statements it executed are
replayed on a raw DBAPI cursor. The ratio callback ÷ SQL is the overhead of everything that is
not the database. The as-of rollup (the plan as of a past quarter end, through the validity
intervals) is compared with the live rollup the same way.

    .venv/bin/python -m benchmarks.dashboard                                   # SQLite
    .venv/bin/python -m benchmarks.dashboard --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import event, func, select

import services.accounts.users
from app import create_app
from benchmarks.save_roundtrip import fresh_database
from models import Agency, ChangeLog, Database, Indicator, Plan
from services.common import schema
from services.common.clock import today
from services.common.queries import vn_number
from services.indicators.achievement import parse_reading, parse_target
from services.indicators.standings import read_standing
from services.plans.synthetic import SYNTHETIC_PASSWORD, make_synthetic
from services.reporting.periods import parse_period
from services.reporting.rollup import plan_rollup
from tests.dash_client import DashClient

SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")


class StatementRecorder:
    """Collects the statements an engine runs while `active`, to replay them raw."""

    def __init__(self, engine):
        self.engine = engine
        self.active = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _executemany):
        if self.active and not statement.lstrip().upper().startswith(SKIPPED):
            self.statements.append((statement, parameters))

    def capture(self, action: Callable[[], object]) -> list[tuple[str, object]]:
        self.statements, self.active = [], True
        try:
            action()
        finally:
            self.active = False
        return self.statements

    def replay(self, statements) -> None:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
            connection.rollback()
        finally:
            connection.close()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm caches and connections
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def measure(backend: str, url: str, assignments: int, history: int, repeat: int,
            indicators: int = 300) -> tuple[str, list[tuple]]:
    db = Database(url)
    schema.upgrade(db)
    leads = 4
    started = time.perf_counter()
    with db.write() as session:
        synthetic = make_synthetic(session, tasks=assignments // leads, agencies=max(assignments // 100, leads),
                                   updates=history * 17 // 10, leads_per_task=leads, seed=2026,
                                   indicators=indicators)
    db.analyze()
    with db.read() as session:
        history_rows = session.scalar(select(func.count(ChangeLog.id)))
        plan = session.get(Plan, synthetic.plan_id)
        plan_year = plan.year
        agency_id = session.scalar(select(Agency.id).where(Agency.province_id == plan.province_id)
                                   .order_by(Agency.id))
        indicator_id = session.scalar(select(func.min(Indicator.id)).where(Indicator.plan_id == plan.id))
    scale = (f"{backend}: {vn_number(synthetic.assignments)} phân công, {vn_number(history_rows)} dòng lịch sử, "
             f"{vn_number(synthetic.indicators)} chỉ tiêu với {vn_number(synthetic.indicator_values)} kết quả, "
             f"tạo trong {time.perf_counter() - started:.0f} s")

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    engine = app.server.extensions["cds_db"].engine
    recorder = StatementRecorder(engine)
    client = app.server.test_client()
    client.post("/login", data={"username": synthetic.secretariat_user, "password": SYNTHETIC_PASSWORD})
    dash = DashClient(client)
    quarter = f"{plan_year}-Q{(min(today(), date(plan_year, 12, 31)).month - 1) // 3 + 1}"

    def post(trigger, value, values=None, output=""):
        def run():
            response = dash.call(trigger, value, values, output)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return run

    def cold(action):
        """The same call after a restart: the parsed targets and values are memoized per process."""
        def run():
            for memoized in (read_standing, parse_target, parse_reading, parse_period):
                memoized.cache_clear()
            action()
        return run

    table = post("indicators-period.value", quarter, {
        "indicators-kind": "quarter", "indicators-own": False, "indicators-narrow": False})
    callbacks = {
        "overview (Tổng hợp, one quarter)": post("overview-period.value", quarter,
                                                 {"overview-kind": "quarter", "overview-date": None},
                                                 output="overview-sentence"),
        "completion line (Tổng hợp)": post("overview-period.value", quarter,
                                           {"overview-kind": "quarter", "overview-date": None},
                                           output="overview-trend"),
        "overdue board (Quá hạn)": post("overdue-section.value", "all", {"overdue-agency": "all"}),
        "agency tasks (Nhiệm vụ của đơn vị)": post("tasks-agency.value", agency_id, {"tasks-narrow": False}),
        "indicator table (Chỉ tiêu, one quarter)": table,
        "indicator table, nothing memoized": cold(table),
        "indicator bands (Tổng hợp)": post("overview-period.value", quarter,
                                           {"overview-kind": "quarter", "overview-date": None},
                                           output="overview-indicator-bands"),
        "indicator page (Chi tiết chỉ tiêu)": post("url.search", f"?ma={indicator_id}", {"indicator-refresh": 0}),
    }
    rows = []
    for name, action in callbacks.items():
        statements = recorder.capture(action)
        callback = summary(timed(action, repeat))
        bare = summary(timed(lambda: recorder.replay(statements), repeat))
        rows.append((name, len(statements), callback, bare, callback[0] / bare[0]))

    past = date(plan_year, 6, 30)

    def live():
        with db.read() as session:
            plan_rollup(session, session.get(Plan, synthetic.plan_id))

    def as_of():
        with db.read() as session:
            plan_rollup(session, session.get(Plan, synthetic.plan_id), past)

    live_times, as_of_times = summary(timed(live, repeat)), summary(timed(as_of, repeat))
    rows.append(("rollup as of 30/06 vs live rollup", 1, as_of_times, live_times, as_of_times[0] / live_times[0]))
    db.dispose()
    return scale, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000,
                        help="approximate change-log rows (many generated updates hit finished tasks and change nothing)")
    parser.add_argument("--indicators", type=int, default=300,
                        help="targets (a province prints 30 to 60), each valued every month so far")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a database is created and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    services.accounts.users.PASSWORD_METHOD = "scrypt:1024:8:1"  # user creation only; logins are not timed
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            with fresh_database(backend, args.postgres, Path(workdir)) as url:
                scale, rows = measure(backend, url, args.assignments, args.history, args.repeat, args.indicators)
            print(scale)
            print(f"  {'đường đo':<42}{'câu SQL':>8}{'trung vị ms':>13}{'p95 ms':>9}"
                  f"{'SQL trần ms':>13}{'p95 ms':>9}{'tỷ lệ':>7}")
            for name, count, (median, p95), (bare_median, bare_p95), ratio in rows:
                print(f"  {name:<42}{count:>8}{median:>13.1f}{p95:>9.1f}{bare_median:>13.1f}{bare_p95:>9.1f}"
                      f"{ratio:>7.2f}")


if __name__ == "__main__":
    main()
