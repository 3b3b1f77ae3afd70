"""Issue 17's whole measurement in one run, both databases side by side.

For each database (SQLite; PostgreSQL with --postgres) and each size (the demo, and a synthetic
province of --assignments assignments, about ten history rows each): every view of
benchmarks.dashboard four ways (stored figures warm, computed directly, its own SQL replayed, the
minimal SQL) with the ratios, the save's p95, then benchmarks.load's concurrent run (--users
simulated agency users, each logging in, then opening the overview and the workspace and saving,
for --seconds) against gunicorn with gunicorn.conf.py: requests/s, p50/p95/p99, errors, and every
acknowledged save found in the history. The load runs once per --think pace: 0 is users acting back
to back (the server's capacity; each user's latency is then users / throughput), 2 is people
clicking every second or three (faster than anyone fills the update form). The views are measured
at the synthetic size only (the demo's are a few milliseconds; benchmarks.dashboard --assignments N
measures any size).

A province of 100 000 assignments takes minutes to generate, so each database is built once and
kept in --cache (a SQLite file; a PostgreSQL template database), keyed by the schema's head and the
generator's source; every run works on a fresh copy of it.

    .venv/bin/python -m benchmarks.speed --assignments 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import inspect
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

import services.plans.synthetic
from benchmarks.dashboard import format_rows, generate, measure_views
from benchmarks.load import (
    UNLIMITED_WRITES,
    Report,
    gunicorn,
    load_demo_database,
    percentile,
    print_report,
    run_load,
)
from models import Database
from services.common import schema
from services.plans.demo import DEMO_PASSWORD
from services.plans.synthetic import SYNTHETIC_PASSWORD, SyntheticSummary

ROOT = Path(__file__).resolve().parent.parent
HEADER = (f"  {'đường đo':<46}{'SQL':>5}{'có lưu ms':>11}{'p95':>8}{'tính lại ms':>12}{'p95':>8}"
          f"{'SQL của nó':>11}{'SQL tối thiểu':>14}{'lưu÷tối thiểu':>15}{'tính÷tối thiểu':>16}")


def _fingerprint(size: int, users: int) -> str:
    """What a kept database depends on: its size and accounts, the generator and the migrations (each
    copy is then migrated to the schema's head, as a production database would be; but a copy stamped
    with a revision whose meaning changed, e.g. a branch's migration renumbered at merge, would be
    taken as up to date without the columns it lacks)."""
    migrations = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    source = (Path(services.plans.synthetic.__file__).read_bytes() + inspect.getsource(generate).encode()
              + b"".join(path.read_bytes() for path in migrations))
    return hashlib.sha256(source + f"{size}:{users}".encode()).hexdigest()[:10]


def _build(url: str, size: int, users: int) -> dict | None:
    """Fill an empty database: the demo (size 0) or a synthetic province; its summary as a dict."""
    if not size:
        load_demo_database(url)
        return None
    return dataclasses.asdict(generate(url, size, history=size * 10, accounts=users))


@contextmanager
def prepared(backend: str, admin_url: str | None, size: int, users: int, cache: Path,
             workdir: Path) -> Iterator[tuple[str, SyntheticSummary | None, float]]:
    """A fresh copy of the kept database (built first if missing): (url, summary, seconds the
    build took when it was made)."""
    cache.mkdir(parents=True, exist_ok=True)
    key = f"cds_speed_{size}_{_fingerprint(size, users)}"
    record = cache / f"{key}.{backend}.json"
    if backend == "sqlite":
        kept = cache / f"{key}.db"
        if not record.exists():
            kept.unlink(missing_ok=True)
            started = time.perf_counter()
            summary = _build(f"sqlite:///{kept}", size, users)
            record.write_text(json.dumps({"summary": summary, "seconds": time.perf_counter() - started}))
        copy = workdir / f"run-{uuid.uuid4().hex[:6]}.db"
        shutil.copy(kept, copy)
        yield (_migrated(f"sqlite:///{copy}"), *_recorded(record))
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = admin_url.rsplit("/", 1)[0]
    run = f"{key}_run_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as connection:
            if not record.exists():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{key}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{key}"'))
                started = time.perf_counter()
                summary = _build(f"{base}/{key}", size, users)
                record.write_text(json.dumps({"summary": summary, "seconds": time.perf_counter() - started}))
            connection.execute(text(f'CREATE DATABASE "{run}" TEMPLATE "{key}"'))
        yield (_migrated(f"{base}/{run}"), *_recorded(record))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)'))
        admin.dispose()


def _migrated(url: str) -> str:
    db = Database(url)
    try:
        schema.upgrade(db)
    finally:
        db.dispose()
    return url


def _recorded(record: Path) -> tuple[SyntheticSummary | None, float]:
    kept = json.loads(record.read_text())
    return (SyntheticSummary(**kept["summary"]) if kept["summary"] else None), kept["seconds"]


def load_columns(label: str, report: Report) -> dict[str, str]:
    """One column of the side-by-side load table."""
    every = [t for kind, values in report.timings.items() if kind != "login" for t in values]
    column = {"": label,
              "yêu cầu/s": f"{report.requests / report.seconds:.1f}",
              "lỗi": str(sum(report.errors.values())),
              "p50/p95/p99 ms": "/".join(f"{percentile(every, p) * 1000:.0f}" for p in (50, 95, 99))}
    for kind, values in report.timings.items():
        column[f"{kind} p50/p95 ms"] = "/".join(f"{percentile(values, p) * 1000:.0f}" for p in (50, 95))
    missing = report.acknowledged - report.present
    column["lưu xác nhận / thiếu"] = f"{len(report.acknowledged)} / {len(missing)}"
    return column


def print_side_by_side(columns: list[dict[str, str]]) -> None:
    names = list(columns[0])
    width = max(len(value) for column in columns for value in column.values()) + 2
    for name in names:
        print(f"  {name:<22}" + "".join(f"{column[name]:>{width}}" for column in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", type=int, default=100_000, help="the synthetic size (besides the demo)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, nargs="+", default=[0, 2],
                        help="paces of the load run: seconds each user pauses after a request (0: none)")
    parser.add_argument("--repeat", type=int, default=15, help="timed calls per view and way")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (databases are created there)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-views", action="store_true", help="the load run only (e.g. to compare settings)")
    parser.add_argument("--cache", type=Path, default=ROOT / "instance" / "bench-cache",
                        help="where the built databases are kept between runs")
    parser.add_argument("--gunicorn", default="", help="extra gunicorn arguments, e.g. \"--workers 2\"")
    args = parser.parse_args()
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    sizes = ([] if args.skip_demo else [0]) + [args.assignments]
    columns, views, failed = [], [], False
    with tempfile.TemporaryDirectory() as workdir:
        for size in sizes:
            for backend in backends:
                with prepared(backend, args.postgres, size, args.users, args.cache, Path(workdir)) as (
                        url, summary, built_in):
                    if summary is not None and not args.skip_views:
                        scale, rows = measure_views(backend, url, summary, args.repeat, built_in)
                        views.append((scale, rows))
                        print(scale, HEADER, *format_rows(rows), sep="\n", flush=True)
                    for think in args.think:
                        log = Path(workdir) / f"gunicorn-{backend}-{size}-{think}.log"
                        with gunicorn(url, log, tuple(args.gunicorn.split()), env=UNLIMITED_WRITES) as base:
                            report = run_load(base, url, args.users, args.seconds,
                                              SYNTHETIC_PASSWORD if size else DEMO_PASSWORD, think)
                        label = f"{backend}, {f'{size:,}'.replace(',', '.') if size else 'demo'}, nghỉ {think:g} s"
                        print_report(label, args.users, report, log.read_text(), think)
                        columns.append(load_columns(label, report))
                        failed |= bool(report.errors) or not report.acknowledged <= report.present
    print("\n==== Tóm tắt (issue 17) " + "=" * 60)
    for scale, rows in views:
        print(scale, HEADER, *format_rows(rows), sep="\n")
    print(f"\n{args.users} người dùng đồng thời, {args.seconds:.0f} s, gunicorn.conf.py {args.gunicorn}; "
          f"nghỉ S s: mỗi người dừng 0,5-1,5 × S s sau mỗi yêu cầu")
    print_side_by_side(columns)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
