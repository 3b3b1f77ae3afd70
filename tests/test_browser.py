"""Real browser: headless Chromium (Debian's package) driven by Playwright against a live server.

Skipped when Chromium is absent, unless REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.
"""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(demo_db):
    server = make_server("127.0.0.1", 0, make_app(demo_db).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
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


def login(page, base, username, password="LaoCai@2026"):
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def test_agency_user_sees_its_tasks_and_the_rollup(live_server, browser, demo_db):
    from sqlalchemy import func, select

    from models import Agency, Assignment, Task
    with demo_db.read() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.code == "so-y-te"))
        expected = s.scalar(select(func.count(Assignment.id)).where(Assignment.agency_id == agency_id))
        task89 = s.scalar(select(Task.title).where(Task.stt == "89"))
    page = browser.new_page()
    login(page, live_server, "so-y-te")
    page.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    assert "Đã hoàn thành: 00/92 nhiệm vụ." in page.inner_text("#home-sentence")
    assert page.inner_text("#home-count-total") == "92"
    page.wait_for_selector("#home-grid .ag-row", timeout=20000)
    grid_text = page.inner_text("#home-grid")
    assert "Nhiệm vụ của đơn vị: Sở Y tế" in page.inner_text("#home-agency-section")
    assert f"{expected} nhiệm vụ được giao chủ trì" in page.inner_text("#home-agency-section")
    assert task89[:40] in grid_text
    assert "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026" in page.inner_text("#home-plan-title")
    page.close()


def test_wrong_password_shows_vietnamese_message(live_server, browser):
    page = browser.new_page()
    login(page, live_server, "so-y-te", "sai-mat-khau")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.inner_text("#login-error")
    page.close()
