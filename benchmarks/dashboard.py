"""Dashboard speed at scale (issues 4 and 17): each view next to the minimal SQL for its question.

For each database, a synthetic province (default 100 000 assignments, about 1 000 000 history
rows) is generated; then each view's callback is POSTed through the Flask test client (session,
guard, policy, queries, Python, JSON), four ways in the same run: with the stored figures warm
(services.reporting.stored), computed directly from the tables, the SQL statements it executed
replayed on a raw cursor, and the minimal SQL a good engineer would write for the same question
(one GROUP BY over the current state for today's counts, the interval join for a past day, one
statement for every month end of the completion line). The ratios are to the minimal SQL: the
SQL a view happens to run is no baseline, it may do far more work than the question needs.

    .venv/bin/python -m benchmarks.dashboard                                   # SQLite
    .venv/bin/python -m benchmarks.dashboard --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Date, DateTime, bindparam, event, func, select, text

import services.accounts.users
from app import create_app
from benchmarks.save_roundtrip import fresh_database
from models import Agency, Assignment, ChangeLog, Database, Indicator, Plan, User
from services.common import schema
from services.common.clock import today
from services.common.queries import vn_number
from services.indicators.achievement import parse_reading, parse_target
from services.indicators.standings import read_standing
from services.accounts.users import create_user
from services.plans.synthetic import SYNTHETIC_PASSWORD, SyntheticSummary, make_synthetic
from services.reporting.periods import parse_period
from services.reporting.rollup import plan_rollup
from services.reporting.stored import clear_memo, computed_directly
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


# ---- The minimal SQL a good engineer would write for each question (the baselines) ---------------
# Status per top-level task by the sub-item rule, then the counts: one GROUP BY over the current
# state (today) or over the state interval covering the end of the day (a past day).
_DONE = "CASE WHEN {s}.status = 'done' AND {s}.review_state NOT IN ('returned', 'resubmitted') THEN 1 ELSE 0 END"
_PARTS = """SELECT t.root_id, count(*) AS n, sum({done}) AS n_done,
           sum(CASE WHEN {s}.status = 'not_started' THEN 1 ELSE 0 END) AS n_ns
    FROM assignments a JOIN tasks t ON t.id = a.task_id {states}
    WHERE t.plan_id = :plan AND (t.added_on IS NULL OR t.added_on <= :day)
      AND (t.withdrawn_on IS NULL OR t.withdrawn_on > :day) AND (a.ended_on IS NULL OR a.ended_on > :day)
    GROUP BY t.root_id"""
_INTERVAL = ("JOIN assignment_states s ON s.assignment_id = a.id AND s.valid_from < :cutoff "
             "AND (s.valid_to IS NULL OR s.valid_to >= :cutoff)")


def _parts(as_of: bool) -> str:
    alias = "s" if as_of else "a"
    return _PARTS.format(done=_DONE.format(s=alias), s=alias, states=_INTERVAL if as_of else "")


def _counts_sql(as_of: bool, group: str = "") -> str:
    key = f"{group}, " if group else ""
    return f"""SELECT {key}count(*) AS total, sum(CASE WHEN p.n_done = p.n THEN 1 ELSE 0 END) AS done,
           sum(CASE WHEN p.n_ns = p.n THEN 1 ELSE 0 END) AS not_started,
           sum(CASE WHEN p.n_done < p.n AND r.deadline_kind IN ('one_off', 'multi_year', 'recurring_yearly')
                    AND r.due_date < :day THEN 1 ELSE 0 END) AS overdue
    FROM tasks r JOIN ({_parts(as_of)}) p ON p.root_id = r.id
    WHERE r.plan_id = :plan AND r.parent_id IS NULL{f" GROUP BY {group}" if group else ""}"""


def _agency_sql(as_of: bool) -> str:
    alias = "s" if as_of else "a"
    return f"""SELECT a.agency_id, count(*) AS total, sum({_DONE.format(s=alias)}) AS done
    FROM assignments a JOIN tasks t ON t.id = a.task_id {_INTERVAL if as_of else ""}
    WHERE t.plan_id = :plan AND (t.withdrawn_on IS NULL OR t.withdrawn_on > :day)
      AND (a.ended_on IS NULL OR a.ended_on > :day) GROUP BY a.agency_id"""


def _overdue_sql(as_of: bool) -> list[str]:
    alias = "s" if as_of else "a"
    where = f"""FROM assignments a JOIN tasks t ON t.id = a.task_id {_INTERVAL if as_of else ""}
    WHERE t.plan_id = :plan AND {alias}.status <> 'done'
      AND t.deadline_kind IN ('one_off', 'multi_year', 'recurring_yearly') AND t.due_date < :day
      AND (t.withdrawn_on IS NULL OR t.withdrawn_on > :day) AND (a.ended_on IS NULL OR a.ended_on > :day)"""
    return [f"""SELECT a.id, t.stt, t.title, t.due_date, g.name, a.delay_reason {where.replace(
                "FROM assignments a", "FROM assignments a JOIN agencies g ON g.id = a.agency_id", 1)}
            ORDER BY t.due_date, t.position LIMIT 500""", f"SELECT count(*) {where}"]


def overview_sql(as_of: bool) -> list[str]:
    """The overview's question: the plan's counts, by section, by agency, and the overdue parts."""
    return [_counts_sql(as_of), _counts_sql(as_of, "r.section_id"), _agency_sql(as_of), *_overdue_sql(as_of)]


def completion_sql(days: int) -> str:
    """Done and overdue at every month end in one statement: the days joined to the intervals."""
    values = ", ".join(f"(:d{i}, :c{i})" for i in range(days))
    parts = _PARTS.format(done=_DONE.format(s="s"), s="s", states=_INTERVAL.replace(":cutoff", "m.cutoff"))
    parts = parts.replace(":day", "m.day").replace("SELECT t.root_id", "SELECT m.day, t.root_id") \
        .replace("FROM assignments a", "FROM months m CROSS JOIN assignments a").replace("GROUP BY t.root_id",
                                                                                           "GROUP BY m.day, t.root_id")
    return f"""WITH months(day, cutoff) AS (VALUES {values})
    SELECT p.day, count(*) AS total, sum(CASE WHEN p.n_done = p.n THEN 1 ELSE 0 END) AS done,
           sum(CASE WHEN p.n_done < p.n AND r.deadline_kind IN ('one_off', 'multi_year', 'recurring_yearly')
                    AND r.due_date < p.day THEN 1 ELSE 0 END) AS overdue
    FROM tasks r JOIN ({parts}) p ON p.root_id = r.id
    WHERE r.plan_id = :plan AND r.parent_id IS NULL GROUP BY p.day"""


WORKSPACE_SQL = [
    """SELECT a.id, a.version, a.status, a.progress, a.updated_at, t.stt, t.title, t.due_date, t.deadline_text,
              t.root_id, s.code
       FROM assignments a JOIN tasks t ON t.id = a.task_id LEFT JOIN sections s ON s.id = t.section_id
       WHERE a.agency_id = :agency AND t.plan_id = :plan AND a.ended_on IS NULL AND t.withdrawn_on IS NULL
       ORDER BY t.position""",
    """SELECT t.root_id, count(*), sum(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END)
       FROM assignments a JOIN tasks t ON t.id = a.task_id
       WHERE t.root_id IN (SELECT t2.root_id FROM assignments a2 JOIN tasks t2 ON t2.id = a2.task_id
                           WHERE a2.agency_id = :agency AND t2.plan_id = :plan)
         AND a.ended_on IS NULL GROUP BY t.root_id""",
]


def sql_runner(engine, statements: list[str], params: dict) -> Callable[[], list]:
    """Run hand-written statements with typed parameters (dates as each database stores them)."""
    typed = {key: bindparam(key, value, type_=DateTime() if isinstance(value, datetime) else
                            Date() if isinstance(value, date) else None) for key, value in params.items()}

    def run():
        with engine.connect() as connection:
            results = []
            for statement in statements:
                clause = text(statement)
                clause = clause.bindparams(*(typed[key] for key in clause.compile().params if key in typed))
                results.append(connection.execute(clause).all())
            return results
    return run


def _measure_view(name, action, recorder, baseline, repeat) -> tuple:
    """(name, statements, warm, computed without the store, its own SQL replayed, minimal SQL)."""
    clear_memo()
    with computed_directly():
        statements = recorder.capture(action)
        cold = summary(timed(action, repeat))
    bare = summary(timed(lambda: recorder.replay(statements), repeat))
    action()  # fills the store
    warm = summary(timed(action, repeat))
    minimal = summary(timed(baseline, repeat)) if baseline else None
    return name, len(statements), warm, cold, bare, minimal


def generate(url: str, assignments: int, history: int, indicators: int = 300,
             accounts: int = 1) -> SyntheticSummary:
    """A migrated database holding a synthetic province (four leads a task) with `accounts` agency
    accounts (full-cost password hashes: the load check times logins), statistics refreshed."""
    db = Database(url)
    try:
        schema.upgrade(db)
        with db.write() as session:
            synthetic = make_synthetic(session, tasks=assignments // 4,
                                       agencies=max(assignments // 100, accounts, 4), updates=history * 17 // 10,
                                       leads_per_task=4, seed=2026, indicators=indicators)
            plan = session.get(Plan, synthetic.plan_id)
            agencies = session.scalars(select(Agency).where(Agency.province_id == plan.province_id)
                                       .order_by(Agency.id).limit(accounts)).all()
            for agency in agencies[1:]:  # the first has its account already
                create_user(session, f"dv-load-{agency.id}", "agency", SYNTHETIC_PASSWORD,
                            full_name=f"Cán bộ {agency.name}", agency=agency)
        db.analyze()
    finally:
        db.dispose()
    return synthetic


def measure(backend: str, url: str, assignments: int, history: int, repeat: int,
            indicators: int = 300) -> tuple[str, list[tuple]]:
    started = time.perf_counter()
    synthetic = generate(url, assignments, history, indicators)
    return measure_views(backend, url, synthetic, repeat, time.perf_counter() - started)


def measure_views(backend: str, url: str, synthetic: SyntheticSummary, repeat: int,
                  built_in: float) -> tuple[str, list[tuple]]:
    """Each view four ways (see the module's docstring) on a database `generate` built."""
    db = Database(url)
    with db.read() as session:
        history_rows = session.scalar(select(func.count(ChangeLog.id)))
        plan = session.get(Plan, synthetic.plan_id)
        plan_year = plan.year
        agency_id = session.scalar(select(User.agency_id).where(User.username == synthetic.agency_user))
        indicator_id = session.scalar(select(func.min(Indicator.id)).where(Indicator.plan_id == plan.id))
        assignment = session.execute(select(Assignment.id, Assignment.version).where(
            Assignment.agency_id == agency_id).order_by(Assignment.id)).first()
    scale = (f"{backend}: {vn_number(synthetic.assignments)} phân công, {vn_number(history_rows)} dòng lịch sử, "
             f"{vn_number(synthetic.indicators)} chỉ tiêu với {vn_number(synthetic.indicator_values)} kết quả, "
             f"tạo trong {built_in:.0f} s")

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    engine = app.server.extensions["cds_db"].engine
    recorder = StatementRecorder(engine)
    client = app.server.test_client()
    client.post("/login", data={"username": synthetic.secretariat_user, "password": SYNTHETIC_PASSWORD})
    dash = DashClient(client)
    agency_client = app.server.test_client()
    agency_client.post("/login", data={"username": synthetic.agency_user, "password": SYNTHETIC_PASSWORD})
    agency_dash = DashClient(agency_client)
    now_day = today()
    quarter = f"{plan_year}-Q{(min(now_day, date(plan_year, 12, 31)).month - 1) // 3 + 1}"
    past_quarter, past_day = f"{plan_year}-Q2", date(plan_year, 6, 30)

    def post(trigger, value, values=None, output="", via=dash):
        def run():
            response = via.call(trigger, value, values, output)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return run

    def cold(action):
        """The same call after a restart: the parsed targets and values are memoized per process."""
        def run():
            for memoized in (read_standing, parse_target, parse_reading, parse_period):
                memoized.cache_clear()
            action()
        return run

    saves = iter(range(1, 10**9))
    version = {"value": assignment.version}

    def save():
        number = next(saves)
        response = agency_dash.call("tasks-form-save.n_clicks", number, {
            "tasks-form-assignment": assignment.id, "tasks-form-version": version["value"], "tasks-form-loaded": {},
            "tasks-refresh": number, "tasks-form-status": "in_progress", "tasks-form-progress": 10 + number % 80,
            "tasks-form-delay-reason": "Đang chờ kinh phí", "tasks-form-note": f"benchmark #{number}"})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        version["value"] = response.get_json()["response"]["tasks-form-version"]["data"]

    past_cutoff = datetime.combine(past_day, datetime.min.time()) + timedelta(days=1)
    live = {"plan": synthetic.plan_id, "day": now_day, "agency": agency_id}
    as_of = {"plan": synthetic.plan_id, "day": past_day, "cutoff": past_cutoff}
    month_ends = [min(date(plan_year, m % 12 + 1, 1) - timedelta(days=1) if m < 12 else date(plan_year, 12, 31),
                      now_day) for m in range(1, (now_day.month if now_day.year == plan_year else 12) + 1)]
    months = {"plan": synthetic.plan_id, **{f"d{i}": d for i, d in enumerate(month_ends)},
              **{f"c{i}": datetime.combine(d, datetime.min.time()) + timedelta(days=1) for i, d in enumerate(month_ends)}}
    table = post("indicators-period.value", quarter, {
        "indicators-kind": "quarter", "indicators-own": False, "indicators-narrow": False})
    views = [
        ("overview (Tổng hợp, this quarter: today)", post("overview-period.value", quarter,
         {"overview-kind": "quarter", "overview-date": None}, output="overview-sentence"),
         sql_runner(engine, overview_sql(False), live)),
        (f"overview (Tổng hợp, {past_quarter}: a past day)", post("overview-period.value", past_quarter,
         {"overview-kind": "quarter", "overview-date": None}, output="overview-sentence"),
         sql_runner(engine, overview_sql(True), as_of)),
        ("completion line (Tổng hợp)", post("overview-period.value", quarter,
         {"overview-kind": "quarter", "overview-date": None}, output="overview-trend"),
         sql_runner(engine, [completion_sql(len(month_ends))], months)),
        ("overdue board (Quá hạn)", post("overdue-section.value", "all", {"overdue-agency": "all"}),
         sql_runner(engine, _overdue_sql(False), live)),
        ("agency workspace (Nhiệm vụ của đơn vị)",
         post("tasks-agency.value", agency_id, {"tasks-narrow": False}, via=agency_dash),
         sql_runner(engine, WORKSPACE_SQL, live)),
        ("save (Nhiệm vụ của đơn vị)", save, None),
        ("indicator table (Chỉ tiêu, one quarter)", table, None),
        ("indicator table, nothing memoized", cold(table), None),
        ("indicator bands (Tổng hợp)", post("overview-period.value", quarter,
         {"overview-kind": "quarter", "overview-date": None}, output="overview-indicator-bands"), None),
        ("indicator page (Chi tiết chỉ tiêu)", post("url.search", f"?ma={indicator_id}", {"indicator-refresh": 0}),
         None),
    ]
    rows = [_measure_view(name, action, recorder, baseline, repeat) for name, action, baseline in views]
    _check_baseline(db, synthetic.plan_id, sql_runner(engine, [_counts_sql(True)], as_of), past_day)
    db.dispose()
    return scale, rows


def _check_baseline(db: Database, plan_id: int, baseline, day: date) -> None:
    """The minimal SQL answers the same question: its counts are the rollup's."""
    (row,), = baseline()
    with db.read() as session, computed_directly():
        counts = plan_rollup(session, session.get(Plan, plan_id), day)
    assert (row.total, row.done, row.not_started) == (counts.total, counts.done, counts.not_started), (row, counts)


def format_rows(rows: list[tuple]) -> list[str]:
    """Median and p95 (ms) with the store warm and computed directly; the view's own SQL and the
    minimal SQL replayed (medians); the ratios to the minimal SQL."""
    lines = []
    for name, count, warm, cold, bare, minimal in rows:
        ratio = (f"{warm[0] / minimal[0]:>15.2f}{cold[0] / minimal[0]:>16.2f}" if minimal
                 else f"{'—':>15}{'—':>16}")
        lines.append(f"  {name:<46}{count:>5}{warm[0]:>11.1f}{warm[1]:>8.1f}{cold[0]:>12.1f}{cold[1]:>8.1f}"
                     f"{bare[0]:>11.1f}{(f'{minimal[0]:.1f}' if minimal else '—'):>14}{ratio}")
    return lines


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
            print(f"  {'đường đo':<46}{'SQL':>5}{'có lưu ms':>11}{'p95':>8}{'tính lại ms':>12}{'p95':>8}"
                  f"{'SQL của nó':>11}{'SQL tối thiểu':>14}{'lưu÷tối thiểu':>15}{'tính÷tối thiểu':>16}")
            for line in format_rows(rows):
                print(line)

if __name__ == "__main__":
    main()
