"""Load check (QUALITY.md P4): concurrent users against the production server setup.

Starts gunicorn with gunicorn.conf.py on a loopback port against a fresh database (SQLite, or a
PostgreSQL database it creates and drops) holding the demo as `flask init-db --demo` loads it, or a
synthetic province of `--assignments` assignments (about ten history rows each) with one agency
account per user, then runs simulated users, one thread and one HTTP session each, for a fixed
time. Each user logs in as an agency account (the demo's 33 shared round-robin, each user with an
assignment of its own) and repeats: the overview callback, its task list, a save of its assignment
with a unique note, either back to back (--think 0: a saturation run, each user a robot; latency is
then users / throughput, by Little's law) or pausing like a person after each request (--think S: a
pause drawn evenly from 0.5 S to 1.5 S, the start staggered alike). It prints requests, requests per
second, errors (non-2xx, exceptions) and p50/p95/p99 per kind, then checks that every save
acknowledged to a user is in the database's history. The server runs with
the per-user write limit lifted (WRITE_RATE_LIMIT): this measures the server, not the limiter.

    .venv/bin/python -m benchmarks.load [--users 50] [--seconds 60] [--think 2]
    .venv/bin/python -m benchmarks.load --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m benchmarks.load --assignments 0 100000 --postgres ...   # the demo, then 100 000
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import select

from benchmarks.dashboard import generate
from benchmarks.save_roundtrip import fresh_database
from models import Assignment, ChangeLog, Database, User
from services.plans.demo import DEMO_PASSWORD
from services.plans.synthetic import SYNTHETIC_PASSWORD
from tests.dash_client import DashClient

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address this script ever sends to
REQUEST_TIMEOUT = 30
MAX_ROUNDS = 100_000  # per user: a bound besides the clock
LOGIN_WINDOW = 300  # seconds for every user to log in before the clock starts
# Users here save in a tight loop, several times a minute per account (two users share some): the
# per-user write limit (60 a minute) would turn the load check into a check of the limiter.
UNLIMITED_WRITES = {"WRITE_RATE_LIMIT": "1000000"}
KINDS = ("login", "overview", "tasks", "save")


def free_port(port: int = 0) -> int:
    """`port`, or (0) any free loopback port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: a port just freed is free
        sock.bind((HOST, port))
        return sock.getsockname()[1]


def load_demo_database(database_url: str) -> None:
    """The demo exactly as `make run` loads it (full-cost password hashes included)."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "init-db", "--demo"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, "DATABASE_URL": database_url, "CDS_DEMO_MODE": "1"})


def load_synthetic_database(database_url: str, assignments: int, users: int) -> str:
    """A synthetic province of `assignments` assignments (about ten history rows each) with one
    agency account per simulated user; returns their password."""
    generate(database_url, assignments, history=assignments * 10, indicators=0, accounts=users)
    return SYNTHETIC_PASSWORD


@contextmanager
def gunicorn(database_url: str, log_path: Path, args: tuple[str, ...] = (), env: dict | None = None,
             port: int = 0) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py (plus `args`) on `port` (0: a free loopback port); yields its base URL."""
    port = free_port(port)
    environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "SECRET_KEY": "load-check",
                   "CDS_DEMO_MODE": "1", **(env or {})}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *args, "app:server"],
                                   cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/login", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or the workers still booting
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Persona:
    """Who a simulated user is and which assignment it saves."""
    username: str
    agency_id: int
    assignment_id: int
    version: int
    password: str = DEMO_PASSWORD


def personas(database_url: str, users: int, password: str = DEMO_PASSWORD) -> list[Persona]:
    """Agency accounts round-robin; the k-th user of an account takes that agency's k-th assignment."""
    db = Database(database_url)
    try:
        with db.read() as session:
            accounts = session.execute(select(User.username, User.agency_id).where(
                User.role == "agency", User.active.is_(True)).order_by(User.username)).all()
            owned = defaultdict(list)
            for row in session.execute(select(Assignment.id, Assignment.version, Assignment.agency_id)
                                       .order_by(Assignment.id)):
                owned[row.agency_id].append(row)
    finally:
        db.dispose()
    chosen = []
    for index in range(users * len(accounts)):
        account = accounts[index % len(accounts)]
        rank = index // len(accounts)
        if rank < len(owned[account.agency_id]):
            assignment = owned[account.agency_id][rank]
            chosen.append(Persona(account.username, account.agency_id, assignment.id, assignment.version, password))
        if len(chosen) == users:
            return chosen
    raise ValueError(f"the demo has assignments for only {len(chosen)} distinct users")


@dataclass
class Report:
    seconds: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: Counter = field(default_factory=Counter)
    refused_saves: list[str] = field(default_factory=list)  # 200 but not saved: the form's message
    acknowledged: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(t) for kind, t in self.timings.items() if kind != "login") + sum(
            n for (kind, _), n in self.errors.items() if kind != "login")


class SimulatedUser:
    def __init__(self, base: str, dash: DashClient, persona: Persona, note_prefix: str, report: Report,
                 think: float = 0.0, seed: int = 0):
        self.base, self.dash, self.persona, self.report = base, dash, persona, report
        self.note_prefix = note_prefix  # unique to the run and the user: every note saved is unique
        self.http = requests.Session()
        self.think, self.pauses = think, random.Random(seed)  # seeded: the same run pauses alike

    def pause(self) -> None:
        """A person reads the answer before the next click: 0.5-1.5 x `think` seconds."""
        if self.think:
            time.sleep(self.think * self.pauses.uniform(0.5, 1.5))

    def _post(self, kind: str, path: str, **kwargs) -> requests.Response | None:
        start = time.perf_counter()
        try:
            response = self.http.post(f"{self.base}{path}", timeout=REQUEST_TIMEOUT, allow_redirects=False,
                                      **kwargs)
        except requests.RequestException as error:
            with self.report.lock:
                self.report.errors[kind, type(error).__name__] += 1
            return None
        elapsed = time.perf_counter() - start
        with self.report.lock:
            if response.status_code >= 400 or (kind == "login" and response.status_code != 302):
                self.report.errors[kind, str(response.status_code)] += 1
                return None
            self.report.timings[kind].append(elapsed)
        return response

    def _callback(self, kind: str, payload: dict) -> dict | None:
        response = self._post(kind, "/_dash-update-component", data=json.dumps(payload),
                              headers={"Content-Type": "application/json"})
        if response is None or response.status_code != 200:
            return None
        try:
            return response.json()["response"]
        except (ValueError, KeyError):
            with self.report.lock:
                self.report.errors[kind, "not a callback answer"] += 1
            return None

    def login(self) -> bool:
        credentials = {"username": self.persona.username, "password": self.persona.password}
        return self._post("login", "/login", data=credentials) is not None

    def round(self, number: int) -> None:
        self._callback("overview", self.dash.payload("home-ready.data", True))
        self.pause()
        self._callback("tasks", self.dash.payload("tasks-agency.value", self.persona.agency_id,
                                                  {"tasks-narrow": False, "tasks-refresh": number}))
        self.pause()
        note = f"{self.note_prefix} #{number}"
        body = self._callback("save", self.dash.payload("tasks-form-save.n_clicks", number + 1, {
            "tasks-form-assignment": self.persona.assignment_id, "tasks-form-version": self.persona.version,
            "tasks-form-loaded": {}, "tasks-refresh": number, "tasks-form-status": "in_progress",
            "tasks-form-progress": 10 + number % 80, "tasks-form-delay-reason": "Đang chờ kinh phí",
            "tasks-form-note": note}))
        self.pause()
        if body is None:
            return
        if body.get("tasks-form-modal", {}).get("is_open") is False:
            self.persona.version = body["tasks-form-version"]["data"]
            with self.report.lock:
                self.report.acknowledged.add(note)
        else:
            with self.report.lock:
                self.report.refused_saves.append(json.dumps(body.get("tasks-form-alert"), ensure_ascii=False)[:200])


def run_load(base: str, database_url: str, users: int, seconds: float, password: str = DEMO_PASSWORD,
             think: float = 0.0) -> Report:
    """`users` users for `seconds` (after all have logged in), pausing about `think` seconds after
    each request (0: none), then the check against the database."""
    cast = personas(database_url, users, password)
    report = Report()
    prefix = f"load-{uuid.uuid4().hex[:8]}"
    with requests.Session() as first:
        first.post(f"{base}/login", data={"username": cast[0].username, "password": password}, timeout=60)
        dependencies = first.get(f"{base}/_dash-dependencies", timeout=REQUEST_TIMEOUT).json()
    dash = DashClient(None, dependencies)  # builds payloads only; each user posts with its own session
    simulated = [SimulatedUser(base, dash, persona, f"{prefix} u{index} {persona.username}", report, think, index)
                 for index, persona in enumerate(cast)]
    window: dict[str, float] = {}
    # The clock starts when the last user has logged in (logins are timed apart).
    started = threading.Barrier(users, action=lambda: window.update(begin=time.monotonic(),
                                                                      end=time.monotonic() + seconds))

    def simulate(user: SimulatedUser) -> None:
        logged_in = user.login()
        try:
            started.wait(timeout=LOGIN_WINDOW)
        except threading.BrokenBarrierError:
            return
        user.http.close()  # its connection idled at the barrier, maybe past gunicorn's keepalive
        user.pause()  # people do not click in step: with pauses, each user starts after one
        number = 0
        while logged_in and time.monotonic() < window["end"] and number < MAX_ROUNDS:
            user.round(number)
            number += 1

    threads = [threading.Thread(target=simulate, args=(user,), daemon=True) for user in simulated]
    for thread in threads:
        thread.start()
    for thread in threads:  # each ends by itself: requests time out, the barrier too, the loop at `end`
        thread.join()
    if "begin" not in window:
        raise RuntimeError(f"the {users} users did not all log in within {LOGIN_WINDOW} s")
    report.seconds = time.monotonic() - window["begin"]

    db = Database(database_url)
    try:
        with db.read() as session:
            report.present = set(session.scalars(select(ChangeLog.new_value).where(
                ChangeLog.entity == "assignment", ChangeLog.field == "note",
                ChangeLog.new_value.like(f"{prefix} %"))))
    finally:
        db.dispose()
    return report


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def pace(think: float) -> str:
    return f"nghỉ {think:g} s (±50 %) sau mỗi yêu cầu" if think else "không nghỉ (liên tục)"


def print_report(label: str, users: int, report: Report, server_log: str, think: float = 0.0) -> None:
    print(f"\n{label}: {users} người dùng, {pace(think)}, {report.seconds:.1f} s")
    print(f"  yêu cầu: {report.requests}, {report.requests / report.seconds:.1f}/s; "
          f"lỗi: {sum(report.errors.values())} {dict(report.errors) or ''}")
    print(f"  {'loại':<10}{'số':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, values in report.timings.items():
        print(f"  {kind:<10}{len(values):>8}" + "".join(f"{percentile(values, p) * 1000:>10.1f}" for p in (50, 95, 99)))
    missing = report.acknowledged - report.present
    print(f"  lưu đã xác nhận: {len(report.acknowledged)}, có trong CSDL: {len(report.acknowledged & report.present)}, "
          f"thiếu: {len(missing)}, lưu bị từ chối: {len(report.refused_saves)}")
    for message in report.refused_saves[:3]:
        print(f"    từ chối: {message}")
    print(f"  traceback trong nhật ký máy chủ: {server_log.count('Traceback')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="seconds a user pauses after each request (0: none)")
    parser.add_argument("--assignments", type=int, nargs="*", default=[0],
                        help="sizes to run: 0 is the demo, N a synthetic province of N assignments (e.g. 0 100000)")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a database is created and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--port", type=int, default=0, help="loopback port for gunicorn (default: any free one)")
    parser.add_argument("--gunicorn", default="", help="extra gunicorn arguments, e.g. \"--workers 2 --threads 4\"")
    args = parser.parse_args()
    if not 1 <= args.users <= 500 or not 0 < args.seconds <= 3600:
        parser.error("--users 1..500 and --seconds up to 3600")
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    failed = False
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.assignments:
            for backend in backends:
                with fresh_database(backend, args.postgres, Path(workdir)) as url:
                    password = load_synthetic_database(url, size, args.users) if size else None
                    if not size:
                        load_demo_database(url)
                    log = Path(workdir) / f"gunicorn-{backend}.log"
                    with gunicorn(url, log, tuple(args.gunicorn.split()), env=UNLIMITED_WRITES, port=args.port) as base:
                        report = run_load(base, url, args.users, args.seconds, password or DEMO_PASSWORD, args.think)
                    label = f"{backend}, {f'{size:,} phân công'.replace(',', '.') if size else 'demo'}"
                    print_report(label + (f", gunicorn {args.gunicorn}" if args.gunicorn else ""), args.users, report,
                                 log.read_text(), args.think)
                    failed |= bool(report.errors) or not report.acknowledged <= report.present
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
