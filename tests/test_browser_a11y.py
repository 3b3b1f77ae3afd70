"""Accessibility in a real browser (issue 15): axe-core on every page, for every role, at an office and
a phone width, in every state people reach (tabs switched, forms and dialogs open); and the keyboard.

axe-core is the npm package (package.json, installed by `make test`), injected into the page. The walk
follows the page registry (layouts/pages.py PAGES), so a page added later is checked for every role
that may see it; its tabs are switched automatically, and states that need a click are listed per
page in STATES. A case fails on any critical or serious violation and prints each one's rule, target
and message. SQLite only: the database does not change the markup. One browser and one context per
role for the whole module. One page: `pytest tests/test_browser_a11y.py -k overview`
(ids are page-role-width, e.g. `overview-secretariat-phone`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from layouts.pages import PAGES
from models import Agency, Indicator
from services.plans.demo import DEMO_ACCOUNT_BY_ROLE, DEMO_PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"office": {"width": 1366, "height": 768}, "phone": {"width": 375, "height": 740}}
BLOCKING = ("critical", "serious")
SETTLE_TIMEOUT = 30  # seconds
OPEN_DIALOG = ".modal.show .modal-content"


@dataclass(frozen=True)
class Where:
    """What a state needs to know: the server and a few ids of the demo."""
    base: str
    science: int  # Sở Khoa học và Công nghệ, an agency with tasks
    indicator: int


@dataclass(frozen=True)
class State:
    label: str
    act: Callable  # (page, where) -> None; leaves the page in the state to check
    roles: frozenset[str] | None = None  # None: every role that sees the page


def settle(page) -> None:
    """Until Dash has no callback pending, nothing is in flight and the page is quiet for 400 ms."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    quiet_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        busy = page.evaluate("""() => (window.__pending || 0) > 0
            || !!document.querySelector('[data-dash-is-loading="true"], ._dash-loading')""")
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.4:
            return
    raise AssertionError(f"{page.url} did not settle in {SETTLE_TIMEOUT} s")


# Counts the page's fetches (Dash's callbacks and chunks) so `settle` knows when they are done.
PENDING_COUNTER = """(() => {
    window.__pending = 0;
    const fetch = window.fetch;
    window.fetch = function () {
        window.__pending++;
        return fetch.apply(this, arguments).finally(() => { window.__pending--; });
    };
})();"""


def open_row(grid: str, column: str, dialog: str | None = OPEN_DIALOG) -> Callable:
    """Click a cell of the grid's first row (what opens its form or dialog)."""
    def act(page, _where):
        page.wait_for_selector(f"#{grid} .ag-center-cols-container .ag-row", timeout=20000)
        page.locator(f"#{grid} .ag-center-cols-container .ag-row").first.locator(
            f".ag-cell[col-id='{column}']").click()
        if dialog:
            page.wait_for_selector(dialog, timeout=20000)
    return act


def click(selector: str, then: str | None = OPEN_DIALOG) -> Callable:
    def act(page, _where):
        page.locator(selector).first.click()
        if then:
            page.wait_for_selector(then, timeout=20000)
    return act


def close_dialog(page, _where) -> None:
    page.keyboard.press("Escape")
    page.wait_for_selector(".modal.show", state="detached", timeout=10000)


def choose_agency(page, where: Where) -> None:
    page.goto(f"{where.base}/nhiem-vu?don-vi={where.science}")
    page.wait_for_selector("#tasks-grid .ag-row", timeout=20000)


def upload_demo_plan(page, _where) -> None:
    page.set_input_files("#import-upload input[type=file]", str(DEMO_TASKS))
    page.wait_for_selector("#import-mapping *", timeout=30000)


DEMO_TASKS = Path(__file__).resolve().parent.parent / "data" / "lao_cai_2026_phu_luc_02.xlsx"
DEMO_DTI = Path(__file__).resolve().parent.parent / "data" / "lao_cai_dti_2023.docx"


def preview_demo_dti(page, _where) -> None:
    page.set_input_files("#dti-upload input[type=file]", str(DEMO_DTI))
    page.wait_for_selector("#dti-file-alert", timeout=30000)
    page.fill("#dti-import-year", "2024")
    page.click("#dti-preview")
    page.wait_for_selector("#dti-preview-card", timeout=30000)


NON_AGENCY = frozenset({"secretariat", "leader", "admin"})
# Pages with tabs (by name) and a role that sees them: the keyboard test switches each one's tabs. The
# registry walk fails for a page showing tabs that is not listed here.
TABBED = {"tasks": "agency", "overview": "secretariat", "indicators": "agency"}
WRITERS = frozenset({"agency", "secretariat"})  # who may submit an agency's period report


def close_and_reopen_a_period(page, _where) -> None:
    """The secretariat closes the selected period (its dialog checked before), then opens the reopen
    dialog; `reopen_the_period` gives the period back, so the shared database ends as it began."""
    page.click("#overview-close-confirm")
    page.wait_for_selector("#overview-reopen-open", state="visible", timeout=20000)
    page.click("#overview-reopen-open")
    page.wait_for_selector("#overview-reopen-modal .modal-content", timeout=20000)


def reopen_the_period(page, _where) -> None:
    page.fill("#overview-reopen-reason", "Kiểm tra khả năng tiếp cận: mở lại ngay.")
    page.click("#overview-reopen-confirm")
    page.wait_for_selector("#overview-close-open", state="visible", timeout=20000)
    page.wait_for_selector(".modal.show", state="detached", timeout=10000)


# States reached by a click, per page name (tabs are switched for every page without being listed). A new
# page with a dialog or a list opened by a click adds one line here: "name": [State(label, act, roles)].
STATES: dict[str, list[State]] = {
    "tasks": [
        State("đơn vị đã chọn", choose_agency, NON_AGENCY),
        State("biểu mẫu cập nhật mở", open_row("tasks-grid", "title")),
        State("biểu mẫu đã đóng", close_dialog),
        State("hỏi trước khi nộp báo cáo kỳ", click("#tasks-report-open", "#tasks-report-modal .modal-content"),
              WRITERS),
        State("đã quay lại danh sách", close_dialog, WRITERS),
    ],
    "overview": [
        State("danh sách nhiệm vụ sau một con số", click("#overview-tiles button", "#overview-drill .ag-row")),
        State("hộp thoại chốt số liệu", click("#overview-close-open", "#overview-close-modal .modal-content"),
              frozenset({"secretariat"})),
        State("đã chốt, hộp thoại mở lại kỳ", close_and_reopen_a_period, frozenset({"secretariat"})),
        State("đã mở lại kỳ", reopen_the_period, frozenset({"secretariat"})),
    ],
    "overdue": [State("lọc theo mức quá hạn", click("#overdue-band label >> nth=1", None))],
    "plan-edit": [
        State("nhiệm vụ đã chọn", open_row("plan-edit-grid", "title", dialog="#plan-edit-detail *")),
        State("mục rút nhiệm vụ mở", click("#plan-edit-sections button:has-text('Rút nhiệm vụ')",
                                           "#plan-edit-withdraw-open:visible")),
        State("hộp thoại rút nhiệm vụ", click("#plan-edit-withdraw-open")),
        State("hộp thoại đã đóng", close_dialog),
        State("hộp thoại thêm nhiệm vụ", click("#plan-edit-add-open")),
    ],
    "plans": [State("hộp thoại lưu trữ", click("#plans-list button:has-text('Lưu trữ')"),
                    frozenset({"secretariat", "admin"}))],
    "accounts": [State("tài khoản đã chọn", open_row("accounts-grid", "username", dialog=None))],
    "agencies": [State("cơ quan đã chọn", open_row("agencies-grid", "name", dialog=None))],
    "import": [State("tệp đã tải lên, bảng ánh xạ cột", upload_demo_plan)],
    "scorecard": [State("bảng điểm một đơn vị", click("#scorecard-content a[href*='co-quan']:visible",
                                                      then="#scorecard-agency"), NON_AGENCY)],
    "dti": [State("tệp đã tải lên, xem trước", preview_demo_dti, frozenset({"secretariat", "admin"}))],
}


@pytest.fixture(scope="module")
def where(module_live_server):
    base, db = module_live_server
    with db.read() as session:
        science = session.scalar(select(Agency.id).where(Agency.name == "Sở Khoa học và Công nghệ"))
        indicator = session.scalar(select(Indicator.id).order_by(Indicator.id).limit(1))
    return Where(base, science, indicator)


@pytest.fixture(scope="module")
def role_pages(module_browser, where):
    """One logged-in page per role (and one anonymous), created on first use, with axe-core at hand."""
    pages = {}

    def page_for(role: str | None):
        if role not in pages:
            context = module_browser.new_context(bypass_csp=True)  # to inject axe-core; CSP: test_production
            context.add_init_script(PENDING_COUNTER)
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if role is not None:
                page.goto(f"{where.base}/login")
                page.fill("#username", DEMO_ACCOUNT_BY_ROLE[role])
                page.fill("#password", DEMO_PASSWORD)
                page.click("#login-submit")
                page.wait_for_selector("#page-content > *", state="attached", timeout=30000)
            pages[role] = page
        return pages[role]

    yield page_for
    for page in pages.values():
        page.context.close()


def axe_violations(page, label: str) -> list[str]:
    """Critical and serious violations, one line per node: state, rule, impact, target, message."""
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"[{label}] {violation['id']} ({violation['impact']}): {violation['help']} — "
                         f"{' > '.join(map(str, node['target']))} — {summary[:300]}")
    return lines


def tab_states(page) -> list[State]:
    """Every tab of the page but the one shown: switched by a click."""
    count = page.locator("#page-content [role=tab]").count()
    return [State(f"thẻ {index + 1}", lambda p, _w, index=index: p.locator("#page-content [role=tab]").nth(index)
                  .click()) for index in range(1, count)]


def page_url(page, where: Where) -> str:
    return f"{where.base}{page.path}" + (f"?ma={where.indicator}" if page.up else "")


def cases():
    for page in PAGES:
        for role in DEMO_ACCOUNT_BY_ROLE:
            if role in page.roles:
                for width in WIDTHS:
                    yield pytest.param(page, role, width, id=f"{page.name}-{role}-{width}")


def test_every_listed_state_belongs_to_a_registered_page():
    """A state listed under a name no page has would never run ("imports" and "plan_editing" once hid
    the upload's and the plan editor's states, and the page benchmark's plan-editor figures)."""
    from benchmarks.pages import NUMBERS
    names = {registered.name for registered in PAGES}
    assert set(STATES) <= names and set(TABBED) <= names and set(NUMBERS) <= names


@pytest.mark.parametrize("registered, role, width", list(cases()))
def test_no_critical_or_serious_violations(role_pages, where, registered, role, width):
    page = role_pages(role)
    page.set_viewport_size(WIDTHS[width])
    page.goto(page_url(registered, where))
    settle(page)
    found = axe_violations(page, "trang mở")
    listed = [state for state in STATES.get(registered.name, []) if state.roles is None or role in state.roles]
    if page.locator(".modal.show").count():
        close_dialog(page, where)
    for state in listed:
        state.act(page, where)
        settle(page)
        found += axe_violations(page, state.label)
    if page.locator(".modal.show").count():
        close_dialog(page, where)
    switched = tab_states(page)
    assert bool(switched) == (registered.name in TABBED), "list the page in TABBED for the keyboard test"
    for state in switched:
        state.act(page, where)
        settle(page)
        found += axe_violations(page, state.label)
    assert not found, f"{len(found)} critical/serious violations on {registered.path} ({role}, {width}):\n" + \
        "\n".join(found)


@pytest.mark.parametrize("path, role", [("/login", None), ("/doi-mat-khau", "agency")], ids=["login", "password"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_sign_in_pages_have_no_critical_or_serious_violations(role_pages, where, path, role, width):
    page = role_pages(role)
    page.set_viewport_size(WIDTHS[width])
    page.goto(f"{where.base}{path}")
    page.wait_for_selector("form", timeout=20000)
    found = axe_violations(page, "trang mở")
    page.click("button[type=submit]")  # empty fields: the messages shown
    page.wait_for_load_state()
    found += axe_violations(page, "đã gửi thiếu thông tin")
    assert not found, "\n".join(found)


# ---- The keyboard ------------------------------------------------------------------------------

FOCUS_IN = "selector => !!(document.activeElement && document.activeElement.closest(selector))"


def tab_until(page, selector: str, limit: int = 150) -> int:
    """Press Tab from the top of the page until the focus is inside `selector`; the presses it took."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUS_IN, selector):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def test_keyboard_opens_a_task_from_the_grid_and_gives_focus_back_to_its_row(role_pages, where):
    page = role_pages("agency")
    page.set_viewport_size(WIDTHS["office"])
    page.goto(f"{where.base}/nhiem-vu")
    page.wait_for_selector("#tasks-grid .ag-center-cols-container .ag-row", timeout=20000)
    settle(page)
    tab_until(page, "#tasks-grid")
    for _ in range(3):  # from a header cell down into the rows
        if page.evaluate(FOCUS_IN, "#tasks-grid .ag-row:not(.ag-header-row)"):
            break
        page.keyboard.press("ArrowDown")
    row = page.evaluate("document.activeElement.closest('.ag-row').getAttribute('row-id')")
    # The first cell a keyboard reaches is the row's tick box (Space ticks it): Enter there opens the row.
    assert page.evaluate("document.activeElement.closest('.ag-cell').getAttribute('col-id')") == \
        "ag-Grid-SelectionColumn"
    stt = page.locator(f"#tasks-grid .ag-center-cols-container .ag-row[row-id='{row}'] .ag-cell[col-id='stt']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#tasks-form-modal {OPEN_DIALOG.split()[-1]}", timeout=30000)
    page.wait_for_function("stt => document.querySelector('#tasks-form-title').innerText.startsWith(`STT ${stt}.`)",
                           arg=stt.inner_text(), timeout=20000)
    settle(page)
    assert page.evaluate(FOCUS_IN, ".modal.show"), "the dialog takes the focus"
    visited = set()
    for _ in range(60):  # more presses than the dialog has controls: the focus wraps around inside
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_IN, ".modal.show"), "Tab left the open dialog"
        visited.add(page.evaluate("document.activeElement.id || document.activeElement.outerHTML.slice(0, 60)"))
    assert {"tasks-form-status", "tasks-form-save"} <= visited
    page.keyboard.press("Escape")
    page.wait_for_selector(".modal.show", state="detached", timeout=10000)
    page.wait_for_function("row => document.activeElement && document.activeElement.closest('.ag-row')"
                           " && document.activeElement.closest('.ag-row').getAttribute('row-id') === row",
                           arg=row, timeout=10000)


@pytest.mark.parametrize("name, role", [pytest.param(name, role, id=name) for name, role in TABBED.items()])
def test_every_tab_is_reached_with_tab_and_switched_with_the_keyboard(role_pages, where, name, role):
    registered = next(registered for registered in PAGES if registered.name == name)
    page = role_pages(role)
    page.set_viewport_size(WIDTHS["office"])
    page.goto(page_url(registered, where))
    settle(page)
    tabs = page.locator("#page-content [role=tab]")
    assert tabs.count() >= 2
    tab_until(page, "#page-content [role=tab]")
    assert page.evaluate("document.activeElement.getAttribute('aria-selected')") == "true"
    labels = tabs.all_inner_texts()
    for index in range(1, len(labels)):
        page.keyboard.press("ArrowRight")
        settle(page)
        focused = page.evaluate("document.activeElement.innerText")
        assert focused == labels[index], f"ArrowRight moved to {focused!r}, not {labels[index]!r}"
        assert tabs.nth(index).get_attribute("aria-selected") == "true"
        panel = tabs.nth(index).get_attribute("aria-controls")
        assert page.locator(f"[id='{panel}']").is_visible(), f"{labels[index]}: its panel is shown"
    page.keyboard.press("Home")
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")  # wraps around to the first
    page.keyboard.press("Enter")
    settle(page)
    assert tabs.nth(0).get_attribute("aria-selected") == "true"


def test_the_grid_the_dialog_and_the_chart_toolbar_speak_vietnamese(role_pages, where):
    page = role_pages("agency")
    page.set_viewport_size(WIDTHS["office"])
    page.goto(f"{where.base}/nhiem-vu")
    page.wait_for_selector("#tasks-grid .ag-center-cols-container .ag-row", timeout=20000)
    pager = page.locator("#tasks-grid .ag-paging-panel")
    assert [pager.locator(f"[aria-label='{label}']").count() for label in ("Trang đầu", "Trang trước", "Trang sau",
                                                                            "Trang cuối")] == [1, 1, 1, 1]
    assert "Next Page" not in pager.inner_html() and "Trang" in pager.inner_text()
    page.locator("#tasks-grid .ag-center-cols-container .ag-row").first.locator(".ag-cell[col-id='title']").click()
    page.wait_for_selector(OPEN_DIALOG, timeout=20000)
    page.wait_for_selector(".modal.show .btn-close[aria-label='Đóng']", timeout=5000)
    close_dialog(page, where)
    page.goto(f"{where.base}/chi-tieu/chi-tiet?ma={where.indicator}")
    page.wait_for_selector("#indicator-chart .modebar-btn", state="attached", timeout=30000)
    titles = page.eval_on_selector_all("#indicator-chart .modebar-btn", "buttons => buttons.map(b => b.dataset.title)")
    assert "Tải biểu đồ dạng PNG" in titles and "Đặt lại trục" in titles
    assert not any(title and title.startswith(("Download", "Zoom", "Reset", "Autoscale")) for title in titles)
