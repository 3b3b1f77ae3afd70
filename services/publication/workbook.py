"""The Excel workbook the secretariat sends on, rendered from the period's report content
(services.publication.content): the summary in the reports' wording, the task appendix in the printed
layout with status and result, the targets, the overdue list and the by-agency table. Vietnamese
headers, dates dd/mm/yyyy, widths and wrapping set so that it prints.
"""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from services.indicators.achievement import Band
from services.indicators.standings import band_lines
from services.publication.content import ReportContent
from services.reporting.dashboard import CATEGORY_LABELS
from services.reporting.rollup import report_sentence

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
APPENDIX_HEADERS = [("STT", 7), ("Nhiệm vụ", 55), ("Cơ quan chủ trì", 28), ("Thời hạn", 16),
                    ("Tình trạng", 16), ("Kết quả/Lý do", 55)]
INDICATOR_HEADERS = [("TT", 7), ("Tên mục tiêu", 55), ("Đơn vị tính", 10), ("Mục tiêu", 14), ("Kết quả", 14),
                     ("So sánh kế hoạch giao", 20)]
OVERDUE_HEADERS = [("STT", 7), ("Nhiệm vụ", 50), ("Cơ quan chủ trì", 28), ("Thời hạn", 16), ("Hạn", 12),
                   ("Số ngày quá hạn", 10), ("Mức quá hạn", 20), ("Cập nhật lần cuối", 16), ("Lý do", 40)]
AGENCY_HEADERS = [("Cơ quan, đơn vị", 40), ("Tổng số", 9), ("Đã hoàn thành", 11), ("Đang thực hiện", 11),
                  ("Chưa thực hiện", 11), ("Quá hạn", 9), ("Tỷ lệ đúng hạn (%)", 11), ("Cập nhật lần cuối", 16)]
BAND_FILLS = {Band.EXCEEDED: "D1E7DD", Band.OVER_80: "CFE2FF", Band.FROM_50_TO_80: "FFF3CD",
              Band.UNDER_50: "F8D7DA"}


def render_xlsx(content: ReportContent) -> bytes:
    workbook = Workbook()
    _summary(workbook, content)
    _task_appendix(workbook, content)
    _target_appendix(workbook, content)
    overdue = _sheet(workbook, "Quá hạn", OVERDUE_HEADERS)
    for line in content.overdue:
        overdue.append([line.stt, line.title, line.agency, line.deadline_text, line.due_date, line.days, line.band,
                        line.last_update, line.delay_reason])
    _finish_rows(overdue)
    agencies = _sheet(workbook, "Theo đơn vị", AGENCY_HEADERS)
    for row in content.agencies:
        agencies.append([row["name"], row["total"], row["done"], row["in_progress"], row["not_started"],
                         row["overdue"], row["on_time_rate"], row["last_update"]])
    _finish_rows(agencies)
    return workbook_bytes(workbook)


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook's bytes with every text cell stored as a string (QUALITY.md A7): openpyxl would
    store typed or imported text that starts with "=" as a live formula, and "#N/A" as an error.
    Forced here, where every sheet leaves, so that no sheet or cell can forget it."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(workbook: Workbook, title: str, headers: list[tuple[str, int]], first: bool = False) -> Worksheet:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append([name for name, _ in headers])
    for column, (_, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill, cell.alignment, cell.border = Font(bold=True), HEADER_FILL, WRAP, BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return sheet


def _finish_rows(sheet: Worksheet, first_row: int = 2) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            cell.alignment, cell.border = WRAP, BORDER


def _section_row(sheet: Worksheet, code: str, title: str) -> None:
    sheet.append([code, title])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = Font(bold=True), SECTION_FILL


def _summary(workbook: Workbook, content: ReportContent) -> None:
    """The counts in the reports' words, dated by what they cover: a period still running says
    "số liệu đến ngày <today>", never its future end; a closed one carries its mark under the title
    and how its figures counted again today differ."""
    summary = _sheet(workbook, "Tổng hợp", [("Nội dung", 60), ("Số lượng", 14)], first=True)
    marks = [text for text in (content.published, content.corrections_note) if text]
    heading = [content.plan_title, f"Tình hình thực hiện {content.as_of_phrase}", *marks,
               report_sentence(content.counts)]
    summary.insert_rows(1, amount=len(heading))
    for row, text in enumerate(heading, start=1):
        summary.cell(row=row, column=1, value=text)
    summary["A1"].font = Font(bold=True, size=13)
    for row in range(3, 3 + len(marks)):
        summary.cell(row=row, column=1).font = Font(italic=True)
        summary.cell(row=row, column=1).alignment = WRAP
    summary.cell(row=len(heading), column=1).alignment = WRAP
    summary.row_dimensions[len(heading)].height = 45
    summary.freeze_panes, summary.print_title_rows = None, None
    for key in ("total", "done", "done_on_time", "done_late", "in_progress", "not_started", "overdue", "ongoing"):
        summary.append([CATEGORY_LABELS[key], getattr(content.counts, key)])
    _finish_rows(summary, first_row=len(heading) + 2)
    summary.append([])
    summary.append(["Mục tiêu, chỉ tiêu (Phụ lục 01)"])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    first_band_row = summary.max_row + 1
    current = {band: content.bands.get(band.value, 0) for band in Band}
    previous = {band: content.previous_bands.get(band.value, 0) for band in Band}
    for band, line in zip(Band, band_lines(current, previous, content.compared_with)):
        summary.append([line, current[band]])
    _finish_rows(summary, first_row=first_band_row)


def _task_appendix(workbook: Workbook, content: ReportContent) -> None:
    appendix = _sheet(workbook, "Phụ lục nhiệm vụ", APPENDIX_HEADERS)
    for heading, line in content.appendix_tasks():
        if heading:
            _section_row(appendix, *heading)
        appendix.append([line.stt, line.title, line.lead, line.deadline_text, line.status, line.result])
    _finish_rows(appendix)


def _target_appendix(workbook: Workbook, content: ReportContent) -> None:
    """Phụ lục 01 as printed in the reports: by section, each target with its latest result and the
    share of the plan (or Đạt / Không đạt), coloured by band."""
    sheet = _sheet(workbook, "Phụ lục mục tiêu", INDICATOR_HEADERS)
    for heading, line in content.appendix_targets():
        if heading:
            _section_row(sheet, *heading)
        sheet.append([line.stt, line.name, line.unit, line.target_text, line.value_text, line.achievement])
        if line.band in BAND_FILLS:
            sheet.cell(row=sheet.max_row, column=6).fill = PatternFill("solid", fgColor=BAND_FILLS[Band(line.band)])
    _finish_rows(sheet)
