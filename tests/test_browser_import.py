"""Issue 12, done when: with only a browser, the secretariat loads a second plan from a Word table
with merged cells and a third from an Excel table with the variant headers, switches between the
plans and sees each one's rollup. Headless Chromium (Debian's package) driven by Playwright."""
import pytest

from tests.conftest import login
from tests.real_tables import LAI_CHAU, LAI_CHAU_MERGES, write_docx, write_xlsx
from tests.test_import_page import VARIANT_HEADER, VARIANT_ROWS

pytestmark = pytest.mark.browser

# The variant-header table with task 3's STT and name merged over its two parts, as Excel keeps it.
VARIANT_TABLE = [VARIANT_HEADER, *VARIANT_ROWS]
VARIANT_MERGES = [(1, 1, 1, 6), (4, 0, 6, 0), (4, 1, 6, 1)]


def import_file(page, path, title: str, year: int, kind: str, summary: list[str]) -> None:
    """One pass through the import page: file, plan particulars, preview (checked), confirm."""
    page.set_input_files("#import-upload input[type=file]", str(path))
    page.wait_for_selector(f"#import-file-message:has-text('Đã nhận tệp “{path.name}”')", timeout=20000)
    page.wait_for_selector("#import-mapping select", timeout=20000)
    page.fill("#import-title", title)
    page.fill("#import-year", str(year))
    page.select_option("#import-kind", kind)
    if not page.is_checked("#import-create-agencies"):
        page.check("#import-create-agencies")
    page.click("#import-preview")
    page.wait_for_selector("#import-summary-card", timeout=30000)
    text = page.inner_text("#import-summary-card")
    for line in summary:
        assert line in text, text
    page.wait_for_selector("#import-rows .ag-row", timeout=10000)
    assert "Phần" in page.inner_text("#import-rows")  # the parts of a heading, each its own row
    assert page.is_enabled("#import-confirm")
    page.click("#import-confirm")
    page.wait_for_selector(f"#import-done-alert:has-text('Đã tạo kế hoạch “{title}”')", timeout=30000)


def choose_plan(page, label_start: str) -> None:
    """The navbar's plan selector, as a keyboard or a tap uses it."""
    value = page.eval_on_selector("#shell-plan", "(select, start) => [...select.options].find("
                                  "o => o.text.startsWith(start)).value", label_start)
    page.select_option("#shell-plan", value)


def test_secretariat_loads_two_plans_from_word_and_excel_and_switches_between_them(live_server, browser,
                                                                                   tmp_path):
    docx = write_docx(tmp_path / "lai-chau-2025.docx", LAI_CHAU, LAI_CHAU_MERGES)
    xlsx = write_xlsx(tmp_path / "du-lieu-so-2026.xlsx", VARIANT_TABLE, VARIANT_MERGES)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "tgv")
    page.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    page.click("a.nav-link:has-text('Nhập từ tệp')")
    page.wait_for_selector("#import-upload", timeout=20000)

    import_file(page, docx, "Danh mục nhiệm vụ CĐS năm 2025", 2025, "other",
                ["14 nhiệm vụ trong 3 nhóm.", "2 nhiệm vụ chia thành 6 phần", "Cột không nhập: “Ghi chú”.",
                 "Báo và Phát thanh, Truyền hình Lai Châu"])
    import_file(page, xlsx, "Đề án dữ liệu số 2026", 2026, "project",
                ["3 nhiệm vụ trong 1 nhóm.", "1 nhiệm vụ chia thành 2 phần"])

    page.click("a.nav-link:has-text('Tổng quan')")
    page.wait_for_selector("#home-sentence:has-text('Đã hoàn thành: 00/92 nhiệm vụ.')", timeout=20000)
    choose_plan(page, "Danh mục nhiệm vụ CĐS năm 2025")
    page.wait_for_selector("#home-sentence:has-text('Đã hoàn thành: 05/14 nhiệm vụ. Đang thực hiện: 08/14 nhiệm vụ. "
                           "Chưa thực hiện: 01/14 nhiệm vụ.')", timeout=20000)
    assert "ke-hoach=" in page.url
    choose_plan(page, "Đề án dữ liệu số 2026")
    page.wait_for_selector("#home-sentence:has-text('Đã hoàn thành: 01/03 nhiệm vụ. Đang thực hiện: 02/03 nhiệm vụ. "
                           "Chưa thực hiện: 00/03 nhiệm vụ.')", timeout=20000)
    page.reload()  # the choice is in the URL
    page.wait_for_selector("#home-sentence:has-text('01/03')", timeout=20000)
    choose_plan(page, "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026")
    page.wait_for_selector("#home-sentence:has-text('Đã hoàn thành: 00/92 nhiệm vụ.')", timeout=20000)
    page.close()
