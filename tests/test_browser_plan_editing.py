"""Real browser (issue 13, "done when"): the secretariat extends a deadline and withdraws a task on
"Sửa kế hoạch", and the overview as of a day before each decision still shows the old figures.

The fixtures are tests/conftest.py's (headless Chromium, skipped without it unless
REQUIRE_BROWSER=1)."""
from datetime import date

import pytest
from sqlalchemy import select

from models import Plan
from services.reporting.rollup import plan_rollup
from tests.conftest import login

pytestmark = pytest.mark.browser
DAYS = (date(2026, 4, 10), date(2026, 4, 20), date(2026, 4, 30), date(2026, 5, 2))


def counts_before(db) -> dict:
    with db.read() as s:
        plan = s.scalar(select(Plan))
        return {day: plan_rollup(s, plan, day) for day in DAYS}


def open_section(page, title):
    button = page.locator("#plan-edit-sections .accordion-button", has_text=title)
    if "collapsed" in (button.get_attribute("class") or ""):
        button.click()


def test_secretariat_extends_and_withdraws_and_earlier_overviews_keep_their_figures(live_server, browser,
                                                                                    demo_db):
    before = counts_before(demo_db)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "tgv")
    page.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    page.click("a.nav-link:has-text('Sửa kế hoạch')")
    page.wait_for_selector("#plan-edit-grid .ag-row", timeout=20000)
    # Task 4 ("Ban hành Kế hoạch thực hiện Chương trình ...", Quý I/2026), found without diacritics.
    page.fill("#plan-edit-search", "ke hoach thuc hien chuong trinh chuyen doi so quoc gia")
    page.press("#plan-edit-search", "Enter")
    page.wait_for_selector("#plan-edit-count:has-text('Hiển thị 1/92')", timeout=10000)
    row = page.locator("#plan-edit-grid .ag-center-cols-container .ag-row",
                       has=page.locator(".ag-cell[col-id='stt']:text-is('4')"))
    row.locator(".ag-cell[col-id='title']").click()
    page.wait_for_selector("#plan-edit-title:has-text('Ban hành Kế hoạch thực hiện Chương trình')", timeout=10000)
    assert page.inner_text("#plan-edit-title").startswith("STT 4. ")

    open_section(page, "Gia hạn")
    page.fill("#plan-edit-extend-deadline", "30/06/2026")
    page.fill("#plan-edit-extend-decision", "Quyết định số 123/QĐ-UBND")
    page.fill("#plan-edit-extend-decided", "15/04/2026")
    page.fill("#plan-edit-extend-effective", "15/04/2026")
    page.click("#plan-edit-extend-save")
    page.wait_for_selector("#plan-edit-toast:has-text('Đã gia hạn đến 30/06/2026')", timeout=10000)
    page.wait_for_selector("#plan-edit-deadlines:has-text('Quyết định số 123/QĐ-UBND ngày 15/04/2026')",
                           timeout=10000)
    assert "Quý I/2026" in page.inner_text("#plan-edit-deadlines")  # the printed deadline stays

    open_section(page, "Rút nhiệm vụ")
    page.fill("#plan-edit-withdraw-reason", "Không triển khai theo Thông báo số 45/TB-UBND")
    page.fill("#plan-edit-withdraw-decision", "Thông báo số 45/TB-UBND")
    page.fill("#plan-edit-withdraw-decided", "01/05/2026")
    page.fill("#plan-edit-withdraw-effective", "01/05/2026")
    page.click("#plan-edit-withdraw-open")
    page.wait_for_selector("#plan-edit-withdraw-summary:has-text('từ ngày 01/05/2026')", timeout=10000)
    page.click("#plan-edit-withdraw-confirm")
    page.wait_for_selector("#plan-edit-toast:has-text('Đã rút nhiệm vụ STT 4')", timeout=10000)
    page.wait_for_selector("#plan-edit-grid .ag-row:has-text('Đã rút từ 01/05/2026')", timeout=10000)
    assert page.is_disabled("#plan-edit-extend-save")

    page.click("a.nav-link:has-text('Tổng hợp')")
    page.wait_for_selector("#overview-sentence:has-text('Tính đến')", timeout=20000)
    page.select_option("#overview-kind", "date")
    shown = {}
    for day in DAYS:
        page.fill("#overview-date", day.isoformat())
        page.wait_for_selector(f"#overview-sentence:has-text('ngày {day:%d/%m/%Y}')", timeout=20000)
        shown[day] = page.inner_text("#overview-plan-count-overdue")
    # Before the extension (10/04) task 4 is overdue as before; from 15/04 it is not; until 30/04
    # it counts, from 01/05 the plan has one task less.
    assert shown[date(2026, 4, 10)] == f"{before[date(2026, 4, 10)].overdue:02d}/92"
    assert shown[date(2026, 4, 20)] == f"{before[date(2026, 4, 20)].overdue - 1:02d}/92"
    assert shown[date(2026, 4, 30)] == f"{before[date(2026, 4, 30)].overdue - 1:02d}/92"
    assert shown[date(2026, 5, 2)] == f"{before[date(2026, 5, 2)].overdue - 1:02d}/91"
    page.close()
