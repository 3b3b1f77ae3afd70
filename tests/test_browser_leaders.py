"""Issue 15, item 4, in headless Chromium: leaders and the secretariat click through every count,
read the overdue board as cards on a phone (no sideways scroll, bands as filters), open a task from
the overview's list, and read the agency ranking worst first with whole headers."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from models import Agency, Assignment, Task, User
from services.common.clock import today
from services.reporting.dashboard import OVERDUE_BANDS, overdue_board
from services.tasks.updates import save_update
from tests.conftest import login
from web.auth import actor_from_user

pytestmark = pytest.mark.browser

REASON = "Chờ Bộ Khoa học và Công nghệ hướng dẫn khung kế hoạch"


def report(db, username, stt, form):
    with db.write() as s:
        actor = actor_from_user(s.scalar(select(User).where(User.username == username)))
        part = s.scalar(select(Assignment).join(Task).where(Assignment.agency_id == actor.agency_id, Task.stt == stt))
        assert save_update(s, actor, part.id, part.version, form, when=datetime.combine(today(), datetime.min.time()))
        return part.id


def leader_page(browser, live_server, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    login(page, live_server, "lanhdao")
    page.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    return page


def test_overdue_board_on_a_phone_is_cards_with_bands_as_filters(live_server, browser, demo_db):
    report(demo_db, "so-khcn", "4", {"status": "in_progress", "progress": 20, "delay_reason": REASON})
    with demo_db.read() as s:
        from models import Plan
        plan = s.scalar(select(Plan))
        board = overdue_board(s, plan, today(), today())
        band = next(i for i, count in enumerate(board.bands.values()) if 0 < count < board.total)
        in_band = overdue_board(s, plan, today(), today(), band=band).total
    page = leader_page(browser, live_server, 375, 812)
    page.click("a.nav-link:has-text('Quá hạn')")
    page.wait_for_selector(".cds-card", timeout=20000)
    cards = page.locator("#overdue-cards .cds-card")
    assert cards.count() == min(board.total, 50)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wider = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className)""")
    assert wider == []
    for text in cards.all_inner_texts():  # task, agency, days late and band, reason, last update
        assert text.split(". ", 1)[0].strip().replace(".", "").isdigit()
        assert "Cơ quan: " in text and "Quá hạn " in text and " ngày — Quá hạn " in text and "Lý do: " in text
    mine = page.locator("#overdue-cards .cds-card", has_text="4. Ban hành Kế hoạch thực hiện Chương trình")
    assert REASON in mine.inner_text() and "Sở Khoa học và Công nghệ" in mine.inner_text()
    label = OVERDUE_BANDS[band][1]
    page.click(f"#overdue-band label:has-text('{label}')")
    page.wait_for_selector(f"#overdue-summary:has-text('{in_band}/{board.total} phần việc quá hạn ở mức')",
                           timeout=10000)
    assert cards.count() == in_band and all(f"— {label}" in text for text in cards.all_inner_texts())
    page.click("#overdue-band label:has-text('Tất cả')")
    page.wait_for_selector(f"#overdue-summary:has-text('{board.total} phần việc quá hạn tính đến')", timeout=10000)
    # A card opens the agency's form for that part, read-only for a leader.
    mine.locator("a").click()
    page.wait_for_selector("#tasks-form-title:has-text('STT 4.')", timeout=20000)
    assert page.input_value("#tasks-form-delay-reason") == REASON
    assert page.locator("#tasks-form-save").is_disabled()
    page.close()


def test_every_count_clicks_through_and_the_list_opens_the_task(live_server, browser, demo_db):
    report(demo_db, "so-khcn", "4", {"status": "in_progress", "progress": 20, "delay_reason": REASON})
    report(demo_db, "so-y-te", "6", {"status": "done", "progress": 100, "result": "Quyết định số 9/QĐ-SYT"})
    page = leader_page(browser, live_server, 1366, 900)
    # The home page's "Quá hạn" tile leads to the board, the others to the overview's list.
    page.click("#home-to-overdue")
    page.wait_for_selector("#overdue-board .ag-row", timeout=20000)
    assert "/qua-han" in page.url and page.locator("#overdue-parts-note").is_visible()
    page.go_back()
    page.wait_for_selector("#home-to-in_progress", timeout=20000)
    page.click("#home-to-in_progress")
    page.wait_for_selector("#overview-drill-title:has-text('Đang thực hiện — toàn kế hoạch')", timeout=20000)
    page.wait_for_selector("#overview-drill .ag-row", timeout=20000)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'overview-drill-title'",
                           timeout=5000)
    top = page.evaluate("document.getElementById('overview-drill-box').getBoundingClientRect().top")
    assert -1 <= top < 900  # scrolled into view, not below the fold
    headers = page.locator("#overview-drill .ag-header-cell-text").all_inner_texts()
    assert {"Số ngày quá hạn", "Cập nhật lần cuối", "Lý do chậm / kết quả"} <= set(headers)
    row = page.locator("#overview-drill .ag-center-cols-container .ag-row",
                       has=page.locator(".ag-cell[col-id='stt']:text-is('4')"))
    assert REASON in row.inner_text() and int(row.locator(".ag-cell[col-id='days_late']").inner_text()) > 100
    row.locator(".ag-cell[col-id='title']").click()
    page.wait_for_selector("#tasks-form-title:has-text('STT 4.')", timeout=20000)
    assert "/nhiem-vu?don-vi=" in page.url and "phan-cong=" in page.url
    assert page.inner_text("#tasks-heading") == "Đơn vị: Sở Khoa học và Công nghệ"
    page.click("#tasks-form-close")
    # The agency ranking: the lowest on-time rate first, blanks last, whole headers.
    page.click("a.nav-link:has-text('Tổng hợp')")
    page.wait_for_selector("#overview-agencies .ag-row", timeout=20000)
    rates = page.evaluate("""() => [...document.querySelectorAll('#overview-agencies .ag-center-cols-container .ag-row')]
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map(r => r.querySelector("[col-id='on_time_rate']").innerText)""")
    numbers = [float(r.replace(",", ".")) for r in rates if r]
    assert numbers == sorted(numbers) and 0 < numbers[-1] < 100  # Sở Y tế: 1 on time of 1 done + 2 overdue
    assert rates[len(numbers):] == [""] * (len(rates) - len(numbers)) and len(numbers) < len(rates)
    cut = page.evaluate("""() => [...document.querySelectorAll('#overview-agencies .ag-header-cell-text')]
        .filter(h => h.scrollWidth > h.clientWidth || h.scrollHeight > h.clientHeight + 1).map(h => h.innerText)""")
    assert cut == []
    page.click("#overview-tabs-tab-charts")  # drawn when first opened
    page.wait_for_selector("#overview-donut .legend", timeout=20000)
    legend = page.evaluate("document.querySelector('#overview-donut .legend').textContent")
    assert all(label in legend for label in ("Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện"))
    assert page.locator("#overview-parts-note").is_visible()
    with demo_db.read() as s:
        assert s.scalar(select(Agency.name).where(Agency.code == "so-y-te")) == "Sở Y tế"
    page.close()
