"""An agency enters its week on a 375 px phone (issue 18), and the secretariat reads the annex."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Agency, AgencyIndicatorValue
from tests.conftest import login
from tests.test_browser_a11y import AXE, axe_violations
from tests.test_weekly import demo_db  # noqa: F401 (the demo with its weekly report)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
FIELD = "#page-content input[id*='weekly-value']"


def _page(browser, viewport):
    """A page with axe-core at hand (CSP bypassed to inject it; the CSP itself: test_production)."""
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    context.add_init_script(path=str(AXE))
    return context.new_page()


def test_an_agency_enters_its_week_on_a_phone(live_server, browser, demo_db):  # noqa: F811
    page = _page(browser, PHONE)
    login(page, live_server, "so-khcn")
    page.goto(f"{live_server}/bao-cao-tuan")
    page.wait_for_selector(f"{FIELD} >> nth=4", timeout=30000)  # its five indicators, nothing else
    assert page.locator(FIELD).count() == 5
    assert page.locator("#weekly-period").inner_text().startswith("Tuần 05/2025")
    # Each field is named by its indicator (a label a screen reader reads) and the page has no sideways scroll.
    label = page.get_by_label("Tỷ lệ DVCTT toàn trình được cập nhật", exact=False)
    assert label.input_value() == "44/58"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not axe_violations(page, "biểu nhập số liệu tuần")
    label.fill("50/0")
    page.click("#weekly-save")
    page.wait_for_selector("#weekly-message:has-text('mẫu số phải lớn hơn 0')", timeout=20000)
    label.fill("50/58")
    page.click("#weekly-save")
    page.wait_for_selector("#weekly-message:has-text('Đã lưu số liệu Tuần 05/2025')", timeout=20000)
    with demo_db.read() as s:
        science = s.scalar(select(Agency.id).where(Agency.code == "so-khcn"))
        texts = set(s.scalars(select(AgencyIndicatorValue.value_text).where(
            AgencyIndicatorValue.agency_id == science, AgencyIndicatorValue.period == "2025-W05")))
    assert "50/58" in texts and "44/58" not in texts


def test_the_secretariat_reads_the_annex(live_server, browser, demo_db):  # noqa: F811
    page = _page(browser, {"width": 1280, "height": 900})
    login(page, live_server, "tgv")
    page.goto(f"{live_server}/bao-cao-tuan")
    page.wait_for_selector("#weekly-annex table >> nth=2", timeout=30000)
    annex = page.locator("#weekly-annex").inner_text()
    assert "44/58 (dưới mục tiêu)" in annex and "Đã nhập" in annex and "▲ tăng 47,0 điểm %" in annex
    assert page.locator("#weekly-annex tbody tr").count() == 27 + 9 + 25
    assert not axe_violations(page, "phụ lục tuần")
