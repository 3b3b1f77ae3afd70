"""The weekly report in Word, in the structure of Lào Cai's weekly report (seed 000): I the targets
with their component lines ("463.724 / 582.476 → 79,6%"), II the key tasks' results, III highlights,
IV next week's key tasks, V proposals (II–V as the secretariat typed them for the week), then the
annex tables by agency group. Built with the monthly report's layout helpers."""
from __future__ import annotations

from datetime import datetime, timedelta

from docx.enum.section import WD_SECTION
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Plan, Province, WeeklyReportNote
from services.common.clock import now
from services.publication.word_report import (
    CENTER,
    HEADING_WIDTHS,
    LEFT,
    NOTE_PT,
    SMALL_PT,
    TABLE_PT,
    frameless,
    grid,
    heading_block,
    new_document,
    page_setup,
    para,
    part_title,
    saved,
    table_row,
)
from services.reporting.periods import Period, week_containing
from services.weekly.figures import BELOW_TARGET, AnnexView, Figure, annex, province_figures

TARGET_COLUMNS = (("TT", 1.2), ("Tên mục tiêu", 9.3), ("Đơn vị tính", 2.2), ("Kết quả", 3.8))
TASK_COLUMNS = (("STT", 1.2), ("Tên nhiệm vụ", 5.5), ("Kết quả", 9.8))
ENTRY_HEADER = "Kết quả nhập liệu trên Hệ thống báo cáo hàng tuần"
ANNEX_WIDTH = 25.2  # landscape A4 text width, cm
NOTE_FIELDS = ("key_tasks", "highlights", "next_tasks", "proposals")


def notes_of(session: Session, plan: Plan, period: Period) -> WeeklyReportNote | None:
    return session.scalar(select(WeeklyReportNote).where(WeeklyReportNote.plan_id == plan.id,
                                                         WeeklyReportNote.period == period.key))


def result_text(figure: Figure, figures: dict[int, Figure]) -> str:
    """A ratio with its components, "463.724 / 582.476 → 79,6%"; any other figure as printed."""
    roles = {role: figures[line] for line, role in figure.components}
    if figure.indicator.formula != "ratio" or set(roles) != {"numerator", "denominator"} or len(roles) != 2:
        return figure.text
    return f"{roles['numerator'].text} / {roles['denominator'].text} → {figure.text}"


def annex_cell(text: str, below: bool, change: str) -> str:
    """A cell of the annex: the value, a text cue when under its target, the change since last week."""
    return " ".join(part for part in (text, f"({BELOW_TARGET.lower()})" if below else "", change) if part)


def annex_rows(view: AnnexView) -> tuple[list[str], list[list[str]]]:
    """The table's headers and rows as printed, "Kết quả nhập liệu" at its printed place."""
    headers = [header for _, header, _ in view.columns]
    if view.entry_column is not None:
        headers.insert(view.entry_column, ENTRY_HEADER)
    rows = []
    for line in view.lines:
        cells = [annex_cell(c.text, c.below_target, c.change) for c in (line.cells[i] for i, _, _ in view.columns)]
        if view.entry_column is not None:
            cells.insert(view.entry_column, line.entered)
        rows.append([line.stt, line.name, *cells])
    return ["STT", "Tên cơ quan, đơn vị, địa phương", *headers], rows


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _blocks(text: str) -> list[list[str]]:
    """Part II as typed: tasks separated by a blank line, the task's name on its first line."""
    return [_lines(block) for block in (text or "").split("\n\n") if _lines(block)]


def weekly_docx(session: Session, plan: Plan, period: Period, when: datetime | None = None) -> bytes:
    when = when or now()
    province = session.get(Province, plan.province_id).name
    following = week_containing(period.end + timedelta(days=1), period.weeks)
    title = (f"Kết quả Chuyển đổi số tuần {period.number:02d} và nhiệm vụ chủ yếu tuần {following.number:02d} "
             f"năm {period.year}")
    document = new_document(f"Báo cáo {title}", province, when)
    heading_block(document, province, when.date())
    para(document, "BÁO CÁO", bold=True, align=CENTER, indent=False, after=0)
    para(document, title, bold=True, align=CENTER, indent=False, after=0)
    para(document, f"({period.dates_label[0].upper()}{period.dates_label[1:]})", italic=True, align=CENTER,
         indent=False)
    para(document, f"Kính gửi: - Tỉnh ủy {province}; - UBND tỉnh {province}.", align=CENTER, indent=False)

    part_title(document, "I. Kết quả thực hiện các mục tiêu")
    figures = {f.indicator.id: f for f in province_figures(session, plan, period)}
    table = grid(document, TARGET_COLUMNS)
    for figure in figures.values():
        line = figure.indicator
        table_row(table, (line.stt, line.name, line.unit, result_text(figure, figures)), centered=(0, 2, 3))

    notes = notes_of(session, plan, period)
    part_title(document, "II. Kết quả triển khai các nhiệm vụ trọng tâm")
    blocks = _blocks(notes.key_tasks if notes else "")
    if blocks:
        table = grid(document, TASK_COLUMNS)
        for number, (name, *results) in enumerate(blocks, start=1):
            table_row(table, (str(number), name, "\n".join(results)), centered=(0,))
    else:
        para(document, "Không có.")
    for heading, text in (("III. Nhiệm vụ nổi bật", notes.highlights if notes else ""),
                          ("IV. Nhiệm vụ trọng tâm tuần tiếp theo", notes.next_tasks if notes else "")):
        part_title(document, heading)
        for line in _lines(text) or ["Không có."]:
            para(document, f"- {line}" if not line.startswith("-") else line)
    part_title(document, f"V. Đề xuất kiến nghị: {' '.join(_lines(notes.proposals if notes else '')) or 'Không.'}")

    left, right = frameless(document, HEADING_WIDTHS).rows[0].cells
    para(left, "Nơi nhận:", bold=True, italic=True, size=NOTE_PT, align=LEFT, indent=False, after=0)
    for text in ("- Như trên;", "- Các cơ quan, đơn vị, địa phương;", "- Lưu: VT."):
        para(left, text, size=SMALL_PT, align=LEFT, indent=False, after=0)
    para(right, "TM. BAN CHỈ ĐẠO", bold=True, align=CENTER, indent=False, after=0)

    page_setup(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    for view in annex(session, plan, period):
        headers, rows = annex_rows(view)
        para(document, view.title, bold=True, align=CENTER, indent=False, after=0)
        para(document, f"(Tuần {period.number:02d}/{period.year}, {period.dates_label})", italic=True,
             size=NOTE_PT, align=CENTER, indent=False)
        fixed = 1.3 + 5.2
        width = (ANNEX_WIDTH - fixed) / max(len(headers) - 2, 1)
        table = grid(document, [(headers[0], 1.3), (headers[1], 5.2), *((h, width) for h in headers[2:])])
        for row in rows:
            table_row(table, row, centered=tuple(i for i in range(len(row)) if i != 1))
    para(document, "Ghi chú: (-): Chưa có dữ liệu hoặc không báo cáo; “dưới mục tiêu”: thực hiện thấp hơn mục "
                   "tiêu giao; ▲/▼: tăng/giảm so với tuần trước liền kề.", italic=True, size=TABLE_PT, indent=False)
    return saved(document)


def report_name(period: Period) -> str:
    return f"bao-cao-cds-tuan-{period.key}.docx"
