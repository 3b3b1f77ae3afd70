"""QUALITY.md I2: several gunicorn workers writing at once lose nothing and never report
"database is locked"; racing saves of one version let exactly one through (I1 across processes)."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Agency, Assignment, ChangeLog, Task
from services.plans.demo import DEMO_PASSWORD
from tests.conftest import make_app
from tests.dash_client import DashClient, HttpClient

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(demo_db, tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": demo_db.url, "SECRET_KEY": "concurrency-test", "CDS_DEMO_MODE": "1"}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
             "app:server"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("gunicorn did not start:\n" + log.read_text())
            time.sleep(0.2)
    yield base, log
    process.terminate()
    process.wait(timeout=15)


def save_payload(dash: DashClient, assignment_id: int, version: int, note: str) -> dict:
    return dash.payload("tasks-form-save.n_clicks", 1, {
        "tasks-form-assignment": assignment_id, "tasks-form-version": version, "tasks-form-loaded": {},
        "tasks-refresh": 0, "tasks-form-status": "in_progress", "tasks-form-progress": 10,
        "tasks-form-delay-reason": "Đang chờ kinh phí", "tasks-form-note": note})


def test_concurrent_saves_across_workers(gunicorn, demo_db):
    base, log = gunicorn
    app = make_app(demo_db)
    local = app.server.test_client()
    local.post("/login", data={"username": "tgv", "password": DEMO_PASSWORD})
    dash = DashClient(local)
    with demo_db.read() as s:
        targets = s.execute(select(Assignment.id, Assignment.version).join(Task).order_by(Assignment.id)
                            .limit(48)).all()
        contested = s.execute(select(Assignment.id, Assignment.version).join(Task)
                              .join(Agency, Agency.id == Assignment.agency_id)
                              .where(Agency.code == "so-khcn", Task.stt == "4")).one()
        logs_before = s.scalar(select(func.count(ChangeLog.id)))
    targets = [t for t in targets if t.id != contested.id][:40]

    def post(payload):
        response = DashClient(HttpClient(base).login("tgv", DEMO_PASSWORD)).post(payload)
        return response.status_code, response.get_json() if response.status_code == 200 else response.get_data(True)

    def distinct_save(index_and_target):
        index, target = index_and_target
        return target.id, post(save_payload(dash, target.id, target.version, f"ghi chú {index}"))

    def racing_save(index):
        return post(save_payload(dash, contested.id, contested.version, f"tranh {index}"))

    with ThreadPoolExecutor(max_workers=12) as pool:
        distinct = list(pool.map(distinct_save, enumerate(targets)))
        racing = list(pool.map(racing_save, range(12)))

    assert all(status == 200 for _, (status, _) in distinct), [r for r in distinct if r[1][0] != 200][:2]
    assert all(status == 200 for status, _ in racing), [r for r in racing if r[0] != 200][:2]
    acknowledged = {aid for aid, (_, body) in distinct if body["response"]["tasks-form-modal"]["is_open"] is False}
    assert acknowledged == {t.id for t in targets}
    winners = [body for _, body in racing if body["response"]["tasks-form-modal"]["is_open"] is False]
    losers = [body for _, body in racing if body["response"]["tasks-form-modal"]["is_open"] is True]
    assert len(winners) == 1 and len(losers) == 11
    assert all("vừa được" in json.dumps(b["response"]["tasks-form-alert"], ensure_ascii=False) for b in losers)
    with demo_db.read() as s:
        notes = dict(s.execute(select(Assignment.id, Assignment.note).where(Assignment.id.in_(acknowledged))).all())
        assert notes == {t.id: f"ghi chú {i}" for i, t in enumerate(targets)}
        contested_row = s.get(Assignment, contested.id)
        assert contested_row.version == contested.version + 1 and contested_row.note.startswith("tranh ")
        # status, progress, delay reason and note: four log rows per acknowledged save.
        assert s.scalar(select(func.count(ChangeLog.id))) == logs_before + 4 * (len(targets) + 1)
    server_log = log.read_text()
    assert "database is locked" not in server_log and "Traceback" not in server_log


def test_racing_first_entries_of_one_target_period_let_one_through(gunicorn, demo_db):
    """Twelve people enter the first value of one period at once (form version 0): the indicator row
    lock lets one in and the rest get the conflict; no duplicate row, no 500, no lock error."""
    from models import Indicator, IndicatorValue
    base, log = gunicorn
    local = make_app(demo_db).server.test_client()
    local.post("/login", data={"username": "tgv", "password": DEMO_PASSWORD})
    dash = DashClient(local)
    with demo_db.read() as s:
        indicators = s.execute(select(Indicator.id, Indicator.target_text).order_by(Indicator.id)).all()
    contested, others = indicators[0].id, indicators[1:21]

    def payload(indicator_id: int, value: str) -> dict:
        return dash.payload("indicator-form-save.n_clicks", 1, {
            "indicator-id": indicator_id, "indicator-form-version": 0, "indicator-form-loaded": {},
            "indicator-refresh": 0, "indicator-form-period": "2026-Q2", "indicator-form-value": value,
            "indicator-form-is-estimate": False, "indicator-form-assessment": "", "indicator-form-source-note": ""})

    def post(body):
        response = DashClient(HttpClient(base).login("tgv", DEMO_PASSWORD)).post(body)
        return response.status_code, response.get_json() if response.status_code == 200 else response.get_data(True)

    bodies = [payload(contested, f"{50 + i}%") for i in range(12)] + \
        [payload(i, "Có" if target == "Có" else f"{40 + n}%") for n, (i, target) in enumerate(others)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(post, bodies))
    assert all(status == 200 for status, _ in results), [r for r in results if r[0] != 200][:2]
    saved = [body["response"]["indicator-toast"]["is_open"] for _, body in results]
    assert saved[:12].count(True) == 1 and all(saved[12:])
    assert all("vừa được" in json.dumps(body["response"]["indicator-form-alert"], ensure_ascii=False)
               for (_, body), ok in zip(results[:12], saved[:12]) if not ok)
    with demo_db.read() as s:
        rows = s.execute(select(IndicatorValue.indicator_id, IndicatorValue.version)
                         .where(IndicatorValue.period == "2026-Q2")).all()
    assert sorted(rows) == sorted([(contested, 1)] + [(i, 1) for i, _ in others])
    server_log = log.read_text()
    assert "database is locked" not in server_log and "Traceback" not in server_log
