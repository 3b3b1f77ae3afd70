"""Fixtures: every database test runs on SQLite and on PostgreSQL, each test on a fresh copy.

PostgreSQL is the server at 127.0.0.1:5432 (database `test` is used to create per-test clones).
It is skipped when unreachable unless REQUIRE_POSTGRES=1, which CI sets so a skip fails the run.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

import services.accounts.users
from models import Database
from services.common import schema
from services.plans.demo import DEMO_PASSWORD, load_demo

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]

# Still scrypt, at a lower cost factor, so that loading 36 demo users per template stays fast.
services.accounts.users.PASSWORD_METHOD = "scrypt:1024:8:1"


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _postgres_available() -> bool:
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


class Templates:
    """Built once per backend: an empty migrated database and one with the demo loaded."""

    def __init__(self, backend: str, workdir):
        self.backend = backend
        self.workdir = workdir
        self.prefix = f"cds_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []
        self.empty = self._build("empty", demo=False)
        self.demo = self._build("demo", demo=True)

    def _build(self, label: str, demo: bool) -> str:
        if self.backend == "sqlite":
            url = f"sqlite:///{self.workdir / (label + '.db')}"
        else:
            name = f"{self.prefix}_{label}"
            with _pg_admin_engine().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.made.append(name)
            url = _pg_url(name)
        db = Database(url)
        schema.upgrade(db)
        if demo:
            with db.write() as session:
                load_demo(session)
        db.dispose()
        return url

    def clone(self, which: str, tmp_path) -> str:
        source = self.demo if which == "demo" else self.empty
        if self.backend == "sqlite":
            target = tmp_path / f"{which}-{uuid.uuid4().hex[:6]}.db"
            shutil.copy(source.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        with _pg_admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.rsplit("/", 1)[1]}"'))
        self.made.append(name)
        return _pg_url(name)

    def drop_all(self) -> None:
        if self.backend != "postgresql":
            return
        with _pg_admin_engine().connect() as conn:
            for name in reversed(self.made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    if request.param == "postgresql" and not _postgres_available():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    return request.param


@pytest.fixture(scope="session")
def templates(backend, tmp_path_factory):
    built = Templates(backend, tmp_path_factory.mktemp(f"templates-{backend}"))
    yield built
    built.drop_all()


@pytest.fixture
def demo_db(templates, tmp_path):
    db = Database(templates.clone("demo", tmp_path))
    yield db
    db.dispose()


@pytest.fixture
def empty_db(templates, tmp_path):
    db = Database(templates.clone("empty", tmp_path))
    yield db
    db.dispose()


def make_app(db: Database):
    from app import create_app

    # Demo accounts keep the published password; tests fire callbacks faster than people write.
    # Uploads wait in a folder of their own, never in the checkout's instance/.
    return create_app({"DATABASE_URL": db.url, "SECRET_KEY": "test-secret", "TESTING": True, "DEMO_MODE": True,
                       "WRITE_RATE_LIMIT": 10_000, "UPLOAD_DIR": tempfile.mkdtemp(prefix="cds-uploads-")})


@pytest.fixture
def app(demo_db):
    return make_app(demo_db)


@pytest.fixture
def client(app):
    return app.server.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


# ---- Real browser: headless Chromium (Debian's package) driven by Playwright, on a live server ----
# Skipped when Chromium is absent, unless REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def live_server(demo_db):
    server = make_server("127.0.0.1", 0, make_app(demo_db).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _chromium():
    """Headless Chromium for one test or one module (a skip, or a failure under REQUIRE_BROWSER=1)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium required but not found at {CHROMIUM}")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser():
    yield from _chromium()


@pytest.fixture(scope="module")
def module_browser():
    """One browser for a module of read-only page checks (the accessibility walk)."""
    yield from _chromium()


@pytest.fixture(scope="module")
def module_live_server(tmp_path_factory):
    """A live server on a demo database (SQLite) shared by a module whose tests change nothing."""
    workdir = tmp_path_factory.mktemp("module-server")
    db = Database(Templates("sqlite", workdir).clone("demo", workdir))
    server = make_server("127.0.0.1", 0, make_app(db).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", db
    server.shutdown()
    db.dispose()


def login(page, base, username, password=DEMO_PASSWORD):
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
