"""The reminder job at scale (issue 16): a synthetic province (default 100 000 assignments, one
focal point per agency, the secretariat and a leader), then `run_reminders` on one day, timed: the
first run (finds and creates everything), a second run on the same day (finds everything again,
creates nothing) and a dry run. Mail is off (no SMTP server): what is timed is the rules and the
exactly-once inserts.

    .venv/bin/python -m benchmarks.reminders [--assignments 100000] [--as-of 2026-04-01]
    .venv/bin/python -m benchmarks.reminders --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.save_roundtrip import fresh_database
from models import Agency, Database, Plan, User
from services.common import schema
from services.common.queries import vn_number
from services.plans.synthetic import make_synthetic
from services.reminders.job import run_reminders

LEADS = 4


def populate(db: Database, assignments: int, indicators: int) -> str:
    """A synthetic province and one active agency user per agency (password unusable: nobody logs in)."""
    schema.upgrade(db)
    with db.write() as session:
        synthetic = make_synthetic(session, tasks=assignments // LEADS, agencies=max(assignments // 100, LEADS),
                                   updates=assignments * 2, leads_per_task=LEADS, seed=2026, indicators=indicators,
                                   until=datetime(2026, 6, 15, 12))
        plan = session.get(Plan, synthetic.plan_id)
        agencies = session.execute(select(Agency.id, Agency.code).where(Agency.province_id == plan.province_id)).all()
        session.execute(insert(User), [
            {"username": f"bench-{code}", "full_name": f"Đầu mối {code}", "password_hash": "!", "role": "agency",
             "agency_id": agency_id, "province_id": plan.province_id, "active": True, "session_version": 1,
             "is_demo": False, "must_change_password": False, "email_reminders": True}
            for agency_id, code in agencies])
        session.execute(insert(User), [{"username": f"bench-leader-{plan.id}", "full_name": "Lãnh đạo",
                                        "password_hash": "!", "role": "leader", "province_id": plan.province_id,
                                        "active": True, "session_version": 1, "is_demo": False,
                                        "must_change_password": False, "email_reminders": True}])
    db.analyze()
    return (f"{vn_number(synthetic.assignments)} phân công, {vn_number(synthetic.agencies)} cơ quan "
            f"({vn_number(len(agencies))} đầu mối), {vn_number(synthetic.indicators)} chỉ tiêu")


def measure(backend: str, url: str, assignments: int, indicators: int, as_of: date) -> None:
    db = Database(url)
    try:
        started = time.perf_counter()
        scale = populate(db, assignments, indicators)
        print(f"{backend}: {scale}, tạo trong {time.perf_counter() - started:.0f} s")
        for label, dry_run in (("lần chạy đầu", False), ("chạy lại cùng ngày", False), ("chạy thử", True)):
            started = time.perf_counter()
            summary = run_reminders(db, as_of, dry_run=dry_run)
            seconds = time.perf_counter() - started
            print(f"  {label} ({as_of:%d/%m/%Y}): {seconds:.2f} s, tạo {vn_number(summary.created)}, "
                  f"theo loại {summary.by_kind}")
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 4, 1))
    parser.add_argument("--postgres", default=None, help="admin URL: a database is created and dropped")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            with fresh_database(backend, args.postgres, Path(workdir)) as url:
                measure(backend, url, args.assignments, args.indicators, args.as_of)


if __name__ == "__main__":
    main()
