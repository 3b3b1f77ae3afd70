"""The production setup (issue 11): security headers (QUALITY.md A8), Secure cookies over HTTPS (S1),
no debug output under gunicorn (A5), threaded workers that slow clients cannot stall, backups that
restore, and the load check at a tiny size so it cannot rot."""
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest
import requests
from flask import request
from sqlalchemy import func, select, text

from benchmarks.load import ROOT, UNLIMITED_WRITES, gunicorn, load_synthetic_database, run_load
from models import Assignment, Indicator, Task, User
from services.plans.demo import DEMO_PASSWORD
from tests.conftest import PG_ADMIN_URL, login
from tests.dash_client import DashClient

FIXED_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
HSTS = "max-age=31536000; includeSubDomains"


def make_app_with(db, **config):
    from app import create_app

    return create_app({"DATABASE_URL": db.url, "SECRET_KEY": "test-secret", "TESTING": True, **config})


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def assert_security_headers(response, app) -> None:
    for name, value in FIXED_HEADERS.items():
        assert response.headers[name] == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'", *dict.fromkeys(app.csp_hashes())]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["default-src"] == csp["connect-src"] == csp["base-uri"] == csp["form-action"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == csp["frame-ancestors"] == ["'none'"]


# ---- Headers (A8) --------------------------------------------------------------------------------

def test_security_headers_on_pages_callbacks_and_assets(app, client, auth):
    login_page = client.get("/login")
    assert login_page.status_code == 200 and "<script" not in login_page.get_data(as_text=True)
    responses = {"/login": login_page, "anonymous /": client.get("/")}
    auth.login("so-khcn")
    responses["/"] = client.get("/")
    responses["callback"] = DashClient(client).call("home-ready.data", True)
    responses["/assets/app.css"] = client.get("/assets/app.css")
    assert [r.status_code for r in responses.values()] == [200, 302, 200, 200, 200]
    for response in responses.values():
        assert_security_headers(response, app)
        assert "Strict-Transport-Security" not in response.headers


def test_csp_allows_exactly_dashs_inline_scripts(app, client, auth):
    """Every inline script of the page is allowed by a hash, and no script needs 'unsafe-inline'."""
    auth.login("tgv")
    page = re.sub(r"<!--.*?-->", "", client.get("/").get_data(as_text=True), flags=re.S)  # IE-only script
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", page, re.S)
    assert inline, "Dash's renderer bootstrap is inline"
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    assert hashes == set(csp_directives(client.get("/"))["script-src"][1:])


def test_hsts_only_over_https(app):
    client = app.server.test_client()
    assert client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in client.get("/login").headers
    # Without TRUST_PROXY a client cannot claim HTTPS with a header.
    assert "Strict-Transport-Security" not in client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers


def test_behind_the_proxy_forwarded_https_and_client_address_are_used(demo_db):
    server = make_app_with(demo_db, TRUST_PROXY=True).server
    seen = {}
    server.before_request(lambda: seen.update(address=request.remote_addr))
    client = server.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert seen["address"] == "203.0.113.7"
    assert "Strict-Transport-Security" not in client.get("/login").headers


# ---- Cookies (S1) --------------------------------------------------------------------------------

def login_cookies(client, **kwargs) -> dict[str, str]:
    response = client.post("/login", data={"username": "so-khcn", "password": DEMO_PASSWORD, "remember": "on"},
                           **kwargs)
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies)
    for cookie in cookies.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    return cookies


def is_secure(cookie: str) -> bool:
    return "secure" in (part.strip().lower() for part in cookie.split(";"))


@pytest.mark.parametrize("setting, request_kwargs, secure", [
    ("auto", {"base_url": "https://localhost"}, True),
    ("auto", {}, False),
    ("auto", {"headers": {"X-Forwarded-Proto": "https"}}, False),  # not trusted without TRUST_PROXY
    ("1", {}, True),
    ("0", {"base_url": "https://localhost"}, False),
])
def test_cookies_secure_when_served_over_https(demo_db, setting, request_kwargs, secure):
    client = make_app_with(demo_db, COOKIE_SECURE=setting).server.test_client()
    cookies = login_cookies(client, **request_kwargs)
    assert {name: is_secure(cookie) for name, cookie in cookies.items()} == {name: secure for name in cookies}


def test_cookies_secure_behind_the_proxy(demo_db):
    client = make_app_with(demo_db, TRUST_PROXY=True).server.test_client()
    cookies = login_cookies(client, headers={"X-Forwarded-Proto": "https"})
    assert all(is_secure(cookie) for cookie in cookies.values())
    cleared = client.post("/logout", base_url="https://localhost").headers.getlist("Set-Cookie")
    assert cleared and all(is_secure(cookie) for cookie in cleared)


# ---- Under gunicorn: no debug (A5), slow clients (finding 7), the load check (P4) -----------------

def test_a_crash_under_gunicorn_shows_no_traceback_and_no_dev_tools(demo_db, tmp_path):
    log = tmp_path / "gunicorn.log"
    with gunicorn(demo_db.url, log) as base:
        session = requests.Session()
        assert session.post(f"{base}/login", data={"username": "tgv", "password": DEMO_PASSWORD},
                            allow_redirects=False, timeout=30).status_code == 302
        page = session.get(f"{base}/", timeout=30).text
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                                      page).group(1))
        assert config["ui"] is False and config["props_check"] is False and "hot_reload" not in config
        payload = DashClient(None, session.get(f"{base}/_dash-dependencies", timeout=30).json()).payload(
            "home-ready.data", True)
        with demo_db.write() as s:  # force an exception inside a callback: its table is gone
            s.execute(text("ALTER TABLE plans RENAME TO plans_gone"))
        crashed = session.post(f"{base}/_dash-update-component", json=payload, timeout=30)
    assert crashed.status_code == 500
    for leak in ("Traceback", "File \"", "plans", "sqlalchemy", "OperationalError", "UndefinedTable", "Werkzeug"):
        assert leak not in crashed.text, leak
    assert crashed.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" in log.read_text()  # the error was real, and logged on the server


def test_slow_clients_do_not_stall_other_requests(demo_db, tmp_path):
    """Eight connections trickling a POST body one byte at a time: the login page still answers
    at once (with sync workers each slow client held a whole worker and GET /login timed out)."""
    with gunicorn(demo_db.url, tmp_path / "gunicorn.log") as base:
        port = int(base.rsplit(":", 1)[1])
        slow = []
        for _ in range(8):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: "
                               "application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n".encode())
            slow.append(connection)
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for connection in slow:
                    connection.send(b"a")
                stop.wait(0.3)

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            time.sleep(1)  # every slow request is inside the app, reading its body
            for _ in range(3):
                start = time.monotonic()
                assert requests.get(f"{base}/login", timeout=2).status_code == 200
                assert time.monotonic() - start < 2
        finally:
            stop.set()
            trickler.join()
            for connection in slow:
                connection.close()


def test_load_check_runs_at_a_tiny_size(demo_db, tmp_path):
    with gunicorn(demo_db.url, tmp_path / "gunicorn.log", env=UNLIMITED_WRITES) as base:
        report = run_load(base, demo_db.url, users=3, seconds=3)
    assert not report.errors and not report.refused_saves
    assert all(report.timings[kind] for kind in ("login", "overview", "tasks", "save"))
    assert report.acknowledged and report.acknowledged <= report.present


def test_load_check_runs_on_a_tiny_synthetic_province(empty_db, tmp_path):
    password = load_synthetic_database(empty_db.url, 40, 3)
    with gunicorn(empty_db.url, tmp_path / "gunicorn.log", env=UNLIMITED_WRITES) as base:
        report = run_load(base, empty_db.url, users=3, seconds=2, password=password)
    assert not report.errors and not report.refused_saves
    assert {note.split()[1] for note in report.acknowledged} == {"u0", "u1", "u2"}  # every user saved
    assert report.acknowledged <= report.present


# ---- Backups ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_backup_restores_into_a_scratch_database_with_every_row(demo_db, tmp_path):
    env = {**os.environ, "DATABASE_URL": demo_db.url, "ADMIN_URL": PG_ADMIN_URL}
    backup = subprocess.run([ROOT / "deploy/backup.sh", tmp_path / "backups"], env=env, capture_output=True,
                            text=True, check=True)
    dump = backup.stdout.strip()
    assert os.stat(dump).st_mode & 0o077 == 0  # readable by its owner only
    check = subprocess.run([ROOT / "deploy/restore-check.sh", dump], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    counts = {name: int(n) for name, n in (line.split() for line in check.stdout.splitlines()[:-1])}
    with demo_db.read() as s:
        expected = {table: s.scalar(select(func.count()).select_from(model))
                    for table, model in (("users", User), ("tasks", Task), ("assignments", Assignment),
                                         ("indicators", Indicator))}
    assert {table: counts[table] for table in expected} == expected and counts["plans"] == 1

    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(open(dump, "rb").read()[:2000])
    assert subprocess.run([ROOT / "deploy/restore-check.sh", damaged], env=env, capture_output=True).returncode != 0
    with demo_db.engine.connect() as conn:  # the scratch databases are gone, even after a failure
        assert conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname LIKE 'cds_restore_check_%'")) == 0


# ---- In a real browser: the policy breaks nothing ------------------------------------------------

CSP_LISTENER = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(
    e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"""


@pytest.mark.browser
def test_every_page_renders_under_the_csp_without_violations(live_server, browser, demo_db):  # noqa: F811
    with demo_db.read() as s:
        indicator = s.execute(select(Indicator.id, Indicator.name).order_by(Indicator.id)).first()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "tgv")
    page.wait_for_selector("#home-sentence:has-text('Đã hoàn thành: 00/92 nhiệm vụ.')", timeout=20000)
    assert page.evaluate("window.cspViolations") == []
    rendered = {
        "/": ["#home-tiles:has-text('92')"],
        "/nhiem-vu": ["#tasks-agency"],
        "/tong-hop": ["#overview-sentence:has-text('/92')", "#overview-agencies .ag-row"],
        "/qua-han": ["#overdue-board .ag-row"],
        "/chi-tieu": ["#indicators-grid .ag-row"],
        f"/chi-tieu/chi-tiet?ma={indicator.id}": ["#indicator-chart .main-svg"],
    }
    for path, selectors in rendered.items():
        response = page.goto(f"{live_server}{path}")
        assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
        for selector in selectors:
            page.wait_for_selector(selector, timeout=20000)
        if path == "/nhiem-vu":  # the secretariat picks an agency, then opens a task's form
            page.click("#tasks-agency")
            page.keyboard.type("Sở Khoa học")
            page.keyboard.press("Enter")
            page.wait_for_selector("#tasks-count:has-text('Hiển thị')", timeout=20000)
            page.locator("#tasks-grid .ag-center-cols-container .ag-row .ag-cell[col-id='title']").first.click()
            page.wait_for_selector("#tasks-form-modal .modal-body", timeout=10000)
        if path == "/tong-hop":  # the charts, drawn when their tab is first opened
            page.click("#overview-tabs-tab-charts")
            page.wait_for_selector("#overview-donut .main-svg", timeout=20000)
        if path.startswith("/chi-tieu/"):
            page.wait_for_function("name => document.querySelector('#indicator-title').innerText.includes(name)",
                                   arg=indicator.name[:20], timeout=20000)
        page.wait_for_timeout(300)  # late renders (charts, grid styles) report their violations too
        assert page.evaluate("window.cspViolations") == [], path
    assert errors == []
    context.close()
