"""Issue 18, deliverables 4 and 5, in headless Chromium: an agency reads its scorecard on a 375 px phone
without sideways scroll; a leader on a phone goes from the ranking to an agency's scorecard; the
secretariat brings a year's DTI decision in from Word and reads it back on the page."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.real_dti_tables import write_docx

pytestmark = pytest.mark.browser

# Elements past the right edge of the viewport (a wide table scrolls inside its own box, which is fine).
OVERFLOW = """() => [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.table-responsive') && e.getBoundingClientRect().width > 0
                 && e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + '.' + e.className)"""


def phone(browser, live_server, username):
    page = browser.new_page(viewport={"width": 375, "height": 812})
    login(page, live_server, username)
    page.wait_for_selector("#page-content > *", state="attached", timeout=30000)
    return page


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate(OVERFLOW) == []


def test_an_agency_reads_its_scorecard_on_a_phone(live_server, browser):
    page = phone(browser, live_server, "so-khcn")
    page.click("a.nav-link:has-text('Bảng điểm đơn vị')")
    page.wait_for_selector("#scorecard-agency", timeout=30000)
    assert page.inner_text("#scorecard-agency") == "Sở Khoa học và Công nghệ"
    assert "Năm 2023: Nâng cao, hạng 12/18" in page.inner_text("#scorecard-dti")
    for heading in ("Chỉ số chuyển đổi số (DTI)", "Nhiệm vụ được giao", "Báo cáo định kỳ", "Chỉ tiêu chưa đạt"):
        assert page.locator("h3", has_text=heading).count() == 1
    assert "Nhập số liệu tuần: chưa theo dõi." in page.inner_text("#scorecard-reports-box")
    assert page.locator("#scorecard-ranking-cards").count() == 0  # no other agency's figures
    fits(page)


def test_a_leader_goes_from_the_ranking_to_an_agencys_scorecard_on_a_phone(live_server, browser):
    page = phone(browser, live_server, "lanhdao")
    page.click("a.nav-link:has-text('Bảng điểm đơn vị')")
    cards = page.locator("#scorecard-ranking-cards li")
    cards.first.wait_for(timeout=30000)
    assert cards.count() > 20 and page.locator("#scorecard-ranking").is_hidden()  # the table is for wide screens
    fits(page)
    card = page.locator("#scorecard-ranking-cards li", has_text="Sở Tư pháp")
    assert "Nâng cao — hạng 11/18 (2023)" in card.inner_text()  # 004: "11 Sở Tư pháp 619,38 61,93% Nâng cao"
    card.locator("a").click()
    page.wait_for_selector("#scorecard-agency:has-text('Sở Tư pháp')", timeout=30000)
    assert "co-quan=" in page.url and "61,93%" in page.inner_text("#scorecard-dti")
    fits(page)


def test_the_secretariat_imports_a_decision_from_word_and_reads_it(live_server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "tgv")
    page.wait_for_selector("#page-content > *", state="attached", timeout=30000)
    page.goto(f"{live_server}/xep-hang-dti")
    page.wait_for_selector("#dti-levels", timeout=30000)
    assert page.inner_text("#dti-levels") == ("Năm 2023: 48 cơ quan, đơn vị — Dẫn dắt: 1, Nâng cao: 34, "
                                              "Hình thành: 13, Khởi động: 0.")
    page.set_input_files("#dti-upload input[type=file]", str(write_docx(tmp_path / "QĐ xếp hạng DTI 2024.docx")))
    page.wait_for_selector("#dti-file-alert", timeout=30000)
    page.fill("#dti-import-year", "2024")
    page.click("#dti-preview")
    page.wait_for_selector("#dti-preview-card", timeout=30000)
    assert "3 nhóm, 48 cơ quan, đơn vị." in page.inner_text("#dti-preview-card")
    page.click("#dti-confirm")
    page.wait_for_selector("#dti-done-alert:has-text('Đã nhập kết quả xếp hạng DTI năm 2024')", timeout=30000)
    page.wait_for_function("() => [...document.querySelectorAll('#dti-year option')].map(o => o.value)"
                           ".filter(Boolean).join() === '2024,2023'", timeout=30000)
    page.wait_for_selector("#dti-levels:has-text('Năm 2024: 48 cơ quan, đơn vị')", timeout=30000)  # the newest
    assert page.locator("#dti-group-3").inner_text().count("Huyện") == 7
