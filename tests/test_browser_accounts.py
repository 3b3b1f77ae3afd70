"""Real browser (issue 13, done-when): the secretariat creates accounts for some of the plan's agencies
from the focal points' list, one of those users signs in with its temporary password, is made to
change it, and sees its agency's tasks.

Headless Chromium (Debian's package) driven by Playwright against a live server; skipped when
Chromium is absent, unless REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.
"""

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import login

pytestmark = pytest.mark.browser
FOCAL_POINTS = [
    ["STT", "Tên đăng nhập", "Họ và tên", "Cơ quan/Đơn vị", "Vai trò", "Email", "Số điện thoại"],
    [1, "yte.lan", "Trần Thị Lan", "Sở Y tế", "Cán bộ đầu mối", "lan@laocai.gov.vn", "0912345678"],
    [2, "tuphap.minh", "Vũ Văn Minh", "Sở Tư pháp", "Cán bộ đầu mối", "", ""],
    [3, "congan.hoa", "Hoàng Hoa", "Công an tỉnh", "Cán bộ đầu mối", "", ""],
]
NEW_PASSWORD = "Lan-doi-mat-khau-2026"


def test_secretariat_creates_accounts_from_a_list_and_a_new_user_changes_its_password_and_sees_its_tasks(
        live_server, browser, tmp_path):
    workbook = Workbook()
    for row in FOCAL_POINTS:
        workbook.active.append(row)
    focal_points = tmp_path / "can-bo-dau-moi.xlsx"
    workbook.save(focal_points)

    secretariat = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True).new_page()
    login(secretariat, live_server, "tgv")
    secretariat.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    secretariat.click("a.nav-link:has-text('Người dùng')")
    secretariat.wait_for_selector("#accounts-grid .ag-row", timeout=20000)
    secretariat.set_input_files("#accounts-upload input[type=file]", str(focal_points))
    secretariat.wait_for_selector("#accounts-sheet-alert:has-text('3 tài khoản, không có lỗi')", timeout=20000)
    secretariat.wait_for_selector("#accounts-preview .ag-row", timeout=10000)
    with secretariat.expect_download(timeout=20000) as downloading:
        secretariat.click("#accounts-confirm")
    assert downloading.value.suggested_filename.startswith("tai-khoan-moi-")
    with open(downloading.value.path(), "rb") as stream:  # the download is kept without a suffix
        listed = load_workbook(stream).active
    passwords = {row[1].value: row[5].value for row in listed.iter_rows(min_row=2) if row[1].value and row[5].value}
    assert set(passwords) == {"yte.lan", "tuphap.minh", "congan.hoa"}
    secretariat.wait_for_selector("#accounts-confirm-alert:has-text('Đã tạo 3 tài khoản')", timeout=10000)
    assert passwords["yte.lan"] not in secretariat.content()  # handed over in the file only
    secretariat.fill("#accounts-search", "tran thi lan")
    secretariat.press("#accounts-search", "Enter")
    secretariat.wait_for_selector("#accounts-grid .ag-row:has-text('Chờ đổi mật khẩu tạm')", timeout=10000)

    newcomer = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(newcomer, live_server, "yte.lan", passwords["yte.lan"])
    newcomer.wait_for_selector("#password-reason", timeout=10000)
    assert newcomer.url.endswith("/doi-mat-khau")
    newcomer.goto(f"{live_server}/nhiem-vu")  # nothing else opens before the change
    assert newcomer.url.endswith("/doi-mat-khau")
    newcomer.fill("#current_password", passwords["yte.lan"])
    newcomer.fill("#new_password", NEW_PASSWORD)
    newcomer.fill("#new_password_repeat", NEW_PASSWORD)
    newcomer.click("#password-submit")
    newcomer.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    newcomer.goto(f"{live_server}/nhiem-vu")
    newcomer.wait_for_selector("#tasks-heading:has-text('Sở Y tế')", timeout=20000)
    newcomer.wait_for_selector("#tasks-grid .ag-row", timeout=20000)
    assert newcomer.locator("#tasks-grid .ag-center-cols-container .ag-row").count() > 0
    # The temporary password no longer opens the account.
    again = browser.new_context().new_page()
    login(again, live_server, "yte.lan", passwords["yte.lan"])
    again.wait_for_selector("#login-error", timeout=10000)
