"""The Excel workbook the secretariat sends on: the summary in the reports' wording, the task
appendix in the printed layout with status and result, the overdue list and the by-agency table.
Vietnamese headers, dates dd/mm/yyyy, widths and wrapping set so that it prints.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Section, Task
from services.common.queries import vn_date
from services.indicators.achievement import BAND_LABELS, Band, display_value
from services.indicators.standings import band_counts, band_lines, standings, tally
from services.plans.statuses import STATUS_LABELS, Status
from services.reporting.dashboard import CATEGORY_LABELS, Selection, agency_table, as_of_for, overdue_board
from services.reporting.rollup import (
    assignment_in_force,
    plan_rollup,
    report_sentence,
    task_in_force,
    tasks_counted,
    tasks_in_force,
)

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
APPENDIX_HEADERS = [("STT", 7), ("Nhiệm vụ", 55), ("Cơ quan chủ trì", 28), ("Thời hạn", 16),
                    ("Tình trạng", 16), ("Kết quả/Lý do", 55)]


@dataclass(frozen=True)
class ReportRequest:
    selection: Selection  # the period (or date) reported on, and the one it is compared with
    today: date

    @property
    def label(self) -> str:
        return self.selection.label

    @property
    def day(self) -> date:
        return self.selection.day


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


def _results_by_task(session: Session, plan: Plan, day: date) -> dict[int, str]:
    """Kết quả/Lý do per task: the result if done, else the reason; per agency for shared tasks;
    only the parts that count on `day` (not withdrawn, lead not replaced)."""
    parts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for task_id, agency, status, result, reason in session.execute(
        select(Task.root_id, Agency.name, Assignment.status, Assignment.result, Assignment.delay_reason)
        .join(Task, Task.id == Assignment.task_id).join(Agency, Agency.id == Assignment.agency_id)
        .where(Task.plan_id == plan.id, task_in_force(day), assignment_in_force(day))
        .order_by(Task.position, Agency.name)
    ):
        text = result if status == Status.DONE.value else reason
        if text:
            parts[task_id].append((agency, text))
    return {task_id: "\n".join(f"{agency}: {text}" if len(items) > 1 else text for agency, text in items)
            for task_id, items in parts.items()}


def build_report(session: Session, plan: Plan, request: ReportRequest) -> bytes:
    as_of = as_of_for(request.day, request.today)
    counts = plan_rollup(session, plan, as_of)
    workbook = Workbook()

    summary = _sheet(workbook, "Tổng hợp", [("Nội dung", 60), ("Số lượng", 14)], first=True)
    summary.insert_rows(1, amount=3)
    summary["A1"] = plan.title
    summary["A1"].font = Font(bold=True, size=13)
    summary["A2"] = f"Tình hình thực hiện đến {vn_date(request.day)} ({request.label})"
    summary["A3"] = report_sentence(counts)
    summary["A3"].alignment = WRAP
    summary.row_dimensions[3].height = 45
    summary.freeze_panes, summary.print_title_rows = None, None
    for key in ("total", "done", "done_on_time", "done_late", "in_progress", "not_started", "overdue", "ongoing"):
        summary.append([CATEGORY_LABELS[key], getattr(counts, key)])
    _finish_rows(summary, first_row=5)

    appendix = _sheet(workbook, "Phụ lục nhiệm vụ", APPENDIX_HEADERS)
    statuses = {row.task_id: row.status for row in session.execute(tasks_counted(plan, "total", as_of))}
    results = _results_by_task(session, plan, min(request.day, request.today))
    sections = {s.id: s for s in session.scalars(select(Section).where(Section.plan_id == plan.id))}
    listed = tasks_in_force(plan, as_of)
    current_section = object()
    for task, deadline_text in session.execute(
        select(Task, listed.c.deadline_text).join(listed, listed.c.task_id == Task.id).order_by(Task.position)
    ):
        if task.section_id != current_section and task.section_id in sections:
            section = sections[task.section_id]
            appendix.append([section.code, section.title])
            for cell in appendix[appendix.max_row]:
                cell.font, cell.fill = Font(bold=True), SECTION_FILL
            current_section = task.section_id
        status = statuses.get(task.root_id or task.id)
        appendix.append([task.stt, task.title, task.lead_text, deadline_text,
                         STATUS_LABELS[Status(status)] if status else "", results.get(task.id, "")])
    _finish_rows(appendix)

    current = _indicator_appendix(workbook, session, plan, request.day)
    previous = band_counts(session, plan, request.selection.previous_day)
    summary.append([])
    summary.append(["Mục tiêu, chỉ tiêu (Phụ lục 01)"])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    first_band_row = summary.max_row + 1
    for band, line in zip(Band, band_lines(current, previous, request.selection.previous_label)):
        summary.append([line, current[band]])
    _finish_rows(summary, first_row=first_band_row)

    board = overdue_board(session, plan, min(request.day, request.today), request.today)
    overdue = _sheet(workbook, "Quá hạn", [("STT", 7), ("Nhiệm vụ", 50), ("Cơ quan chủ trì", 28),
                                           ("Thời hạn", 16), ("Hạn", 12), ("Số ngày quá hạn", 10),
                                           ("Mức quá hạn", 20), ("Cập nhật lần cuối", 16), ("Lý do", 40)])
    for row in board.rows:
        overdue.append([row["stt"], row["title"], row["agency"], row["deadline_text"], row["due_date"], row["days"],
                        row["band"], row["last_update"], row["delay_reason"]])
    _finish_rows(overdue)

    agencies = _sheet(workbook, "Theo đơn vị", [("Cơ quan, đơn vị", 40), ("Tổng số", 9), ("Đã hoàn thành", 11),
                                                ("Đang thực hiện", 11), ("Chưa thực hiện", 11), ("Quá hạn", 9),
                                                ("Tỷ lệ đúng hạn (%)", 11), ("Cập nhật lần cuối", 16)])
    for row in agency_table(session, plan, as_of):
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


INDICATOR_HEADERS = [("TT", 7), ("Tên mục tiêu", 55), ("Đơn vị tính", 10), ("Mục tiêu", 14), ("Kết quả", 14),
                     ("So sánh kế hoạch giao", 20)]
BAND_FILLS = {Band.EXCEEDED: "D1E7DD", Band.OVER_80: "CFE2FF", Band.FROM_50_TO_80: "FFF3CD",
              Band.UNDER_50: "F8D7DA"}


def _indicator_appendix(workbook: Workbook, session: Session, plan: Plan, day: date) -> dict[Band, int]:
    """Phụ lục 01 as printed in the reports: by section, each target with its latest result as of
    `day` and the share of the plan (or Đạt / Không đạt). Returns the band counts it shows."""
    sheet = _sheet(workbook, "Phụ lục mục tiêu", INDICATOR_HEADERS)
    current_section = object()
    bands = []
    for standing in standings(session, plan, day):
        indicator, value, achievement = standing.indicator, standing.value, standing.achievement
        if indicator.section_id != current_section and standing.section is not None:
            sheet.append([standing.section.code, standing.section.title])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = Font(bold=True), SECTION_FILL
        current_section = indicator.section_id
        sheet.append([indicator.stt, indicator.name, indicator.unit, indicator.target_text,
                      display_value(value.value_text, value.is_estimate) if value else "",
                      achievement.label or BAND_LABELS[achievement.band]])
        if achievement.band in BAND_FILLS:
            sheet.cell(row=sheet.max_row, column=6).fill = PatternFill("solid", fgColor=BAND_FILLS[achievement.band])
        bands.append(achievement.band)
    _finish_rows(sheet)
    return tally(bands)
