"""Issue 14, done when: on the demo plan an agency reports three completions, the secretariat
confirms two and returns one, closes Quý IV/2026 and downloads the Word report, whose sentences,
footnote and appendix rows match what the screen shows — all in headless Chromium.
"""
import re
import zipfile

import pytest
from docx import Document

from tests.conftest import login
from tests.test_browser import open_task

pytestmark = pytest.mark.browser

REPORTED = {"4": "Quyết định số 788/QĐ-UBND ngày 15/04/2026", "5": "Quyết định số 901/QĐ-UBND ngày 20/06/2026",
            "27": "Báo cáo số 12/BC-SKHCN ngày 02/03/2026"}
RETURNED, COMMENT = "27", "Chưa có văn bản phê duyệt nội dung quy hoạch; đề nghị bổ sung."


def report_done(page, stt: str, evidence: str) -> None:
    open_task(page, stt)
    page.select_option("#tasks-form-status", "done")
    page.wait_for_function("document.querySelector('#tasks-form-progress').value === '100'")
    page.fill("#tasks-form-result", evidence)
    page.fill("#tasks-form-completed-on", "15/11/2026")
    page.click("#tasks-form-save")
    page.wait_for_selector("#tasks-toast:has-text('Đã lưu cập nhật')", timeout=10000)
    page.wait_for_selector("#tasks-form-modal", state="hidden", timeout=10000)


def review_row(page, stt: str):
    return page.locator("#review-grid .ag-center-cols-container .ag-row",
                        has=page.locator(f".ag-cell[col-id='stt']:text-is('{stt}')"))


def tick(page, stt: str) -> None:
    """Select a queue row with its checkbox (the pinned selection column shares the row index)."""
    index = review_row(page, stt).get_attribute("row-index")
    page.locator(f"#review-grid .ag-row[row-index='{index}'] .ag-selection-checkbox input").first.check()


def grid_rows(page, grid_id: str) -> list[dict]:
    """Every row of a grid, all pages, as its data (the grid paginates what it shows)."""
    return page.evaluate("""(id) => {
        const rows = [];
        dash_ag_grid.getApi(id).forEachNodeAfterFilterAndSort(node => rows.push(node.data));
        return rows;
    }""", grid_id)


def drill(page, key: str) -> list[dict]:
    page.click(f"#overview-plan-count-{key}")
    page.wait_for_selector("#overview-drill-box", state="visible", timeout=10000)
    page.wait_for_function(
        "(label) => document.querySelector('#overview-drill-title').innerText.startsWith(label)",
        arg={"not_started": "Chưa thực hiện", "total": "Tổng số nhiệm vụ"}[key], timeout=10000)
    return grid_rows(page, "overview-drill")


def test_review_close_and_the_word_report_match_the_screen(live_server, browser, tmp_path):
    agency = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(agency, live_server, "so-khcn")
    agency.wait_for_selector("#home-sentence:has-text('nhiệm vụ')", timeout=20000)
    agency.click("#home-to-tasks")
    agency.wait_for_selector("#tasks-grid .ag-row", timeout=20000)
    for stt, evidence in REPORTED.items():
        report_done(agency, stt, evidence)

    secretariat = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True).new_page()
    login(secretariat, live_server, "tgv")
    secretariat.goto(f"{live_server}/xac-nhan")
    for stt in REPORTED:
        review_row(secretariat, stt).wait_for(timeout=20000)
    assert sorted(row["stt"] for row in grid_rows(secretariat, "review-grid")) == sorted(REPORTED)
    tick(secretariat, "4")
    tick(secretariat, "5")
    secretariat.click("#review-confirm")
    secretariat.wait_for_selector("#review-message:has-text('xác nhận')", timeout=10000)
    review_row(secretariat, "4").wait_for(state="detached", timeout=10000)
    tick(secretariat, RETURNED)
    secretariat.fill("#review-comment", COMMENT)
    secretariat.click("#review-return")
    secretariat.wait_for_selector("#review-message:has-text('trả lại')", timeout=10000)
    secretariat.wait_for_selector("#review-empty", timeout=10000)

    # The agency sees the returned completion first, with the comment.
    agency.goto(f"{live_server}/")
    agency.wait_for_selector(f"#home-returned-list:has-text('{COMMENT}')", timeout=20000)

    secretariat.goto(f"{live_server}/tong-hop")
    secretariat.wait_for_selector("#overview-close-open:has-text('Chốt số liệu Quý IV/2026')", timeout=20000)
    secretariat.wait_for_selector("#overview-review:has-text('xác nhận 02')", timeout=10000)
    secretariat.click("#overview-close-open")
    secretariat.click("#overview-close-confirm")
    secretariat.wait_for_selector("#overview-banner:has-text('Số liệu đã chốt ngày')", timeout=20000)
    sentence = secretariat.inner_text("#overview-sentence")
    counts = re.findall(r"(Đã hoàn thành|Đang thực hiện|Chưa thực hiện): (\d\d/\d\d) nhiệm vụ\.", sentence)
    assert [label for label, _ in counts] == ["Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện"]
    assert dict(counts)["Đã hoàn thành"] == "02/92"  # the returned completion is not done
    not_started = drill(secretariat, "not_started")
    every_task = drill(secretariat, "total")

    with secretariat.expect_download() as download:
        secretariat.click("#overview-export-word")
    path = tmp_path / "bao-cao.docx"
    download.value.save_as(path)
    document = Document(str(path))
    paragraphs = [p.text.strip() for p in document.paragraphs]
    assert any("Quý IV/2026" in text for text in paragraphs[:12])
    for label, figure in counts:
        assert f"- {label}: {figure} nhiệm vụ." in paragraphs
    with zipfile.ZipFile(path) as package:
        footnotes = package.read("word/footnotes.xml").decode("utf-8")
    footnote_text = re.sub(r"<[^>]+>", "", footnotes)
    assert len(not_started) == int(dict(counts)["Chưa thực hiện"][:2])
    for row in not_started:
        assert f"Nhiệm vụ {row['stt']}:" in footnote_text, row["stt"]

    appendix = next(table for table in document.tables if table.rows[0].cells[0].text.strip() == "STT"
                    and "Tình trạng" in [cell.text.strip() for cell in table.rows[0].cells])
    printed = {(row.cells[0].text.strip(), row.cells[1].text.strip(), row.cells[4].text.strip())
               for row in appendix.rows[1:]}
    for row in every_task:
        assert (row["stt"], row["title"], row["status"]) in printed, row["stt"]
    statuses = {row["stt"]: row["status"] for row in every_task}
    assert statuses["4"] == statuses["5"] == "Đã hoàn thành" and statuses[RETURNED] != "Đã hoàn thành"
