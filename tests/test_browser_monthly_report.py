"""Issue 15, item 3: an agency's monthly report on a 375 px phone in at most 20 interactions.

The user (Sở Khoa học và Công nghệ) logs in, reports one task unchanged, one done with its evidence
and one overdue with its reason, and submits. Every click, fill, select and key press goes through
`Counted`, so the count is what a person would do; the database is checked afterwards.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Agency, Assignment, ChangeLog, ReportSubmission, Task
from services.plans.demo import DEMO_PASSWORD
from services.tasks.history import UNCHANGED

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
MAX_INTERACTIONS = 20
EVIDENCE = "Quyết định số 1234/QĐ-UBND ngày 01/12/2026"
REASON = "Chờ kinh phí năm 2027 để thuê dịch vụ cổng dữ liệu mở"


class Counted:
    """The only way the scenario touches the page: each call is one interaction, logged."""

    def __init__(self, page):
        self.page = page
        self.log: list[str] = []

    def click(self, target, name: str = "") -> None:
        self.log.append(f"click {name or target}")
        (self.page.locator(target) if isinstance(target, str) else target).click()

    def fill(self, selector: str, text: str) -> None:
        self.log.append(f"fill {selector}")
        self.page.fill(selector, text)

    def select(self, selector: str, value: str) -> None:
        self.log.append(f"select {selector}")
        self.page.select_option(selector, value)

    def press(self, selector: str, key: str) -> None:
        self.log.append(f"press {key}")
        self.page.press(selector, key)


def row(page, stt):
    return page.locator("#tasks-grid .ag-center-cols-container .ag-row", has=page.locator(
        f".ag-cell[col-id='stt']:text-is('{stt}')"))


def shows(page, stts: set[str]) -> None:
    """Wait until the list shows exactly these tasks (and its count says so)."""
    page.wait_for_function("""stts => {
        const shown = [...document.querySelectorAll('#tasks-grid .ag-center-cols-container .ag-row')]
            .map(r => r.querySelector("[col-id='stt']").innerText.trim()).sort();
        const count = document.querySelector('#tasks-count').innerText;
        return JSON.stringify(shown) === JSON.stringify(stts) && count.startsWith('Hiển thị ' + stts.length + '/');
    }""", arg=sorted(stts), timeout=10000)


def checkbox(page, stt):
    """The row's tick box: AG Grid draws the checkbox column in its own container, same row index."""
    index = row(page, stt).get_attribute("row-index")
    return page.locator(f"#tasks-grid .ag-row[row-index='{index}'] .ag-selection-checkbox input")


def nothing_covers(page, selector) -> bool:
    """The element is what a tap at its centre reaches (no toast or banner over it)."""
    return page.evaluate("""(selector) => {
        const target = document.querySelector(selector), box = target.getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit === target || target.contains(hit);
    }""", selector)


def open_row(user, page, stt):
    user.click(row(page, stt).locator(".ag-cell[col-id='title']"), f"row {stt}")
    page.wait_for_function("""s => { const title = document.querySelector('#tasks-form-title');
                                     return title !== null && title.innerText.startsWith('STT ' + s + '.'); }""",
                           arg=stt, timeout=10000)
    assert nothing_covers(page, "#tasks-form-save")  # the last message sits in the page, not over the form


def test_monthly_report_on_a_phone_in_at_most_20_interactions(live_server, browser, demo_db):
    with demo_db.read() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.code == "so-khcn"))
        total = s.scalar(select(func.count(Assignment.id)).where(Assignment.agency_id == agency_id))
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server}/")
    user = Counted(page)
    user.fill("#username", "so-khcn")
    user.fill("#password", DEMO_PASSWORD)
    user.click("#login-submit")
    page.wait_for_selector("#home-to-tasks", timeout=20000)
    user.click("#home-to-tasks")

    # The list comes first: its first row is on the first screen, showing the tasks still to update.
    page.wait_for_selector("#tasks-grid .ag-row", timeout=20000)
    page.wait_for_selector(f"#tasks-count:has-text('Hiển thị {total}/{total} nhiệm vụ (lọc: chưa cập nhật kỳ này)')",
                           timeout=20000)
    first_row = page.evaluate("document.querySelector('#tasks-grid .ag-center-cols-container .ag-row')"
                              ".getBoundingClientRect().top")
    assert first_row < PHONE["height"]
    assert page.evaluate("document.querySelector('#tasks-summary-box').open") is False  # the tiles fold away

    # Task 6 has nothing new this month: ticked and reported "Không thay đổi trong kỳ".
    user.click(checkbox(page, "6"), "tick row 6")
    page.wait_for_selector("#tasks-unchanged:has-text('Không thay đổi trong kỳ (1)')", timeout=10000)
    user.click("#tasks-unchanged")
    page.wait_for_selector("#tasks-toast:has-text('Đã ghi nhận 1 nhiệm vụ không thay đổi trong kỳ')", timeout=10000)
    page.wait_for_selector(f"#tasks-count:has-text('Hiển thị {total - 1}/{total}')", timeout=10000)

    # Task 5, found with the words in any order, is done: the completion date is filled in and shown.
    user.fill("#tasks-search", "quy che chia se du lieu")
    shows(page, {"5"})
    open_row(user, page, "5")
    user.select("#tasks-form-status", "done")
    page.wait_for_function("document.querySelector('#tasks-form-progress').value === '100'")
    page.wait_for_selector("#tasks-form-result-label:has-text('(bắt buộc)')", timeout=5000)
    today = page.input_value("#tasks-form-completed-on")
    assert len(today) == 10 and today[2] == today[5] == "/"  # dd/mm/yyyy, visible before saving
    user.fill("#tasks-form-result", EVIDENCE)
    user.click("#tasks-form-save")
    page.wait_for_selector("#tasks-toast:has-text('Đã lưu cập nhật')", timeout=10000)
    assert page.evaluate("getComputedStyle(document.querySelector('#tasks-toast')).position") in ("static", "relative")

    # Task 32 is overdue: the reason is marked required before any save is refused. "Cổng dữ liệu mở"
    # finds it and task 73 ("Công bố … dữ liệu mở …"), which holds every word too.
    user.fill("#tasks-search", "cong du lieu mo")
    shows(page, {"32", "73"})
    open_row(user, page, "32")
    page.wait_for_selector("#tasks-form-delay-reason-label:has-text('(bắt buộc)')", timeout=5000)
    user.select("#tasks-form-status", "in_progress")
    user.fill("#tasks-form-progress", "30")
    user.fill("#tasks-form-delay-reason", REASON)
    user.click("#tasks-form-save")
    page.wait_for_selector("#tasks-form-modal", state="hidden", timeout=10000)
    page.wait_for_selector("#tasks-toast:has-text('Đã lưu cập nhật')", timeout=10000)

    # "Nộp báo cáo kỳ" after the list asks first, saying how many are still not updated.
    user.click("#tasks-report-open")
    page.wait_for_selector(f"#tasks-report-pending:has-text('còn {total - 3}/{total} nhiệm vụ chưa cập nhật')",
                           timeout=10000)
    user.click("#tasks-report-submit")
    page.wait_for_selector("#tasks-toast:has-text('Đã nộp báo cáo kỳ')", timeout=10000)

    print(f"\nMonthly report on a phone: {len(user.log)} interactions; first row of the list at {first_row:.0f} px")
    for step in user.log:
        print("  ", step)
    assert len(user.log) <= MAX_INTERACTIONS, user.log
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with demo_db.read() as s:
        def part(stt):
            return s.scalar(select(Assignment).join(Task).where(Assignment.agency_id == agency_id, Task.stt == stt))
        unchanged, done, late = part("6"), part("5"), part("32")
        assert (unchanged.status, unchanged.updated_at is not None) == ("not_started", True)
        assert s.scalars(select(ChangeLog.field).where(ChangeLog.entity == "assignment",
                                                       ChangeLog.entity_id == unchanged.id)).all() == [UNCHANGED]
        assert (done.status, done.progress, done.result, done.completed_on is not None) == ("done", 100, EVIDENCE, True)
        assert (late.status, late.progress, late.delay_reason) == ("in_progress", 30, REASON)
        submission = s.scalar(select(ReportSubmission).where(ReportSubmission.agency_id == agency_id))
        assert submission is not None and submission.submitted_by_id == unchanged.updated_by_id
    page.close()
