"""How long an agency waits after pressing "Lưu" (issue 3), at the demo size and at scale.

For each database and size, one run measures three ways of making the same kind of save,
interleaved so that drift hits them alike:
- round trip: the save callback POSTed over HTTP to a live server (session, guard, policy,
  validation, row lock, version check, history, JSON response);
- service: services.tasks.updates.save_update in a write transaction, without HTTP;
- bare SQL: the statements a save needs, by hand (lock the row, update it with the version check,
  close and open the state interval, insert the log rows) in one transaction.
It prints the median and p95 in milliseconds and each path's ratio to the bare SQL.

    .venv/bin/python -m benchmarks.save_roundtrip                     # SQLite, demo + 10 000
    .venv/bin/python -m benchmarks.save_roundtrip --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import os
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text, update
from werkzeug.serving import make_server

import services.accounts.users
from app import create_app
from models import Agency, Assignment, AssignmentState, ChangeLog, Database, FigureVersion, Task, User
from services.common import schema
from services.plans.demo import DEMO_PASSWORD, load_demo
from services.plans.synthetic import SYNTHETIC_PASSWORD, make_synthetic
from services.tasks.updates import save_update
from tests.dash_client import DashClient, HttpClient
from web.auth import actor_from_user


@contextmanager
def fresh_database(backend: str, admin_url: str | None, workdir: Path):
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        return
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'cds_bench')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def populate(db: Database, size: int | None) -> tuple[str, str, str]:
    """Load the demo (size None) or a synthetic plan of `size` assignments; return (username,
    password, label)."""
    with db.write() as session:
        if size is None:
            summary = load_demo(session)
            return "so-khcn", DEMO_PASSWORD, f"demo ({summary.tasks.assignments} phân công)"
        leads = 4
        summary = make_synthetic(session, tasks=size // leads, agencies=max(size // 200, leads),
                                 updates=size * 2, leads_per_task=leads, seed=42)
        return summary.agency_user, SYNTHETIC_PASSWORD, f"mô phỏng ({summary.assignments} phân công)"


def form(i: int) -> dict:
    return {"status": "in_progress", "progress": 10 + i % 80, "delay_reason": "Đang chờ kinh phí",
            "note": f"Cập nhật lần {i}", "result": "", "completed_on": ""}


def bare_sql_save(db: Database, assignment_id: int, user_id: int, i: int) -> None:
    values = form(i)
    moment = datetime.now().replace(microsecond=0)
    with db.write() as session:
        # On the connection: these hand-written statements keep the figures' counter themselves
        # (the last one), as the unit of work's hook does for a real save (models.figures).
        connection = session.connection()
        row = connection.execute(select(Assignment.version, Assignment.progress, Assignment.note)
                                 .where(Assignment.id == assignment_id).with_for_update()).one()
        connection.execute(update(Assignment).where(Assignment.id == assignment_id, Assignment.version == row.version)
                           .values(status=values["status"], progress=values["progress"], note=values["note"],
                                   delay_reason=values["delay_reason"], updated_at=moment, updated_by_id=user_id,
                                   version=row.version + 1))
        connection.execute(update(AssignmentState).where(AssignmentState.assignment_id == assignment_id,
                                                         AssignmentState.valid_to.is_(None)).values(valid_to=moment))
        connection.execute(insert(AssignmentState).values(
            assignment_id=assignment_id, status=values["status"], progress=values["progress"],
            review_state="none", valid_from=moment))
        connection.execute(insert(ChangeLog), [
            {"occurred_at": moment, "recorded_at": moment, "user_id": user_id, "entity": "assignment",
             "entity_id": assignment_id, "field": field, "old_value": str(old), "new_value": str(values[field]),
             "source": "app"}
            for field, old in (("progress", row.progress), ("note", row.note))])
        plan = select(Task.plan_id).join(Assignment, Assignment.task_id == Task.id) \
            .where(Assignment.id == assignment_id).scalar_subquery()
        connection.execute(update(FigureVersion).where(FigureVersion.plan_id == plan)
                           .values(version=FigureVersion.version + 1, changed_at=moment))


def measure(backend: str, url: str, size: int | None, saves: int) -> list[tuple]:
    db = Database(url)
    schema.upgrade(db)
    username, password, label = populate(db, size)
    db.analyze()
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        actor = actor_from_user(user)
        mine = dict(session.execute(select(Assignment.id, Assignment.version)
                                    .join(Agency, Agency.id == Assignment.agency_id)
                                    .where(Agency.id == user.agency_id).order_by(Assignment.id).limit(3)).all())
    sql_target, service_target, http_target = mine

    server = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WRITE_RATE_LIMIT": None}).server,
                         threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dash = DashClient(HttpClient(f"http://127.0.0.1:{server.server_port}").login(username, password))
    timings: dict[str, list[float]] = {"bare SQL": [], "service": [], "round trip": []}
    versions = dict(mine)
    try:
        for i in range(saves + 5):  # the first 5 warm caches and connections, and are not counted
            start = time.perf_counter()
            bare_sql_save(db, sql_target, actor.id, i)
            elapsed_sql = time.perf_counter() - start

            start = time.perf_counter()
            with db.write() as session:
                result = save_update(session, actor, service_target, versions[service_target], form(i))
            elapsed_service = time.perf_counter() - start
            assert result.outcome == "saved", result
            versions[service_target] = result.version

            payload = dash.payload("tasks-form-save.n_clicks", 1, {
                "tasks-form-assignment": http_target, "tasks-form-version": versions[http_target],
                "tasks-form-loaded": {}, "tasks-refresh": i,
                **{f"tasks-form-{k.replace('_', '-')}": v for k, v in form(i).items()}})
            start = time.perf_counter()
            response = dash.post(payload)
            elapsed_http = time.perf_counter() - start
            body = response.get_json()["response"]
            assert body["tasks-form-modal"]["is_open"] is False, body["tasks-form-alert"]
            versions[http_target] = body["tasks-form-version"]["data"]
            if i >= 5:
                timings["bare SQL"].append(elapsed_sql)
                timings["service"].append(elapsed_service)
                timings["round trip"].append(elapsed_http)
    finally:
        server.shutdown()
        db.dispose()
    base = statistics.median(timings["bare SQL"])
    return [(backend, label, path, statistics.median(values) * 1000,
             statistics.quantiles(values, n=20)[18] * 1000, statistics.median(values) / base)
            for path, values in timings.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--assignments", type=int, default=10_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a database is created and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    services.accounts.users.PASSWORD_METHOD = "scrypt:1024:8:1"  # user creation only; logins are not timed
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for size in (None, args.assignments):
                with fresh_database(backend, args.postgres, Path(workdir)) as url:
                    rows += measure(backend, url, size, args.saves)
    print(f"{'CSDL':<11}{'Quy mô':<30}{'Đường đo':<13}{'trung vị ms':>12}{'p95 ms':>9}{'÷ SQL':>8}")
    for backend, label, path, median, p95, ratio in rows:
        print(f"{backend:<11}{label:<30}{path:<13}{median:>12.2f}{p95:>9.2f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
