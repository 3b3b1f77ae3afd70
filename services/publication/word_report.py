"""The period's report as the Ban Chỉ đạo issues it, in Word: heading block, results in the fixed
wording with a footnote naming the tasks not started, targets by band, limitations and causes,
next period's tasks, signature block, then Phụ lục 01 (targets) and 02 (tasks) as Word tables.

Laid out as Nghị định 30/2020 asks of administrative documents (A4, Times New Roman, margins
2/2/3/1,5 cm), since the secretariat edits this draft in Word or LibreOffice and signs it. Every text
from users or imports goes in as plain run text, stripped of what XML cannot hold: never a field
(QUALITY.md A7). python-docx has no footnote API, so the footnotes part is written here.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from lxml import etree

from services.common.queries import vn_date
from services.indicators.achievement import Band
from services.indicators.standings import band_lines
from services.plans.statuses import STATUS_LABELS, Status
from services.publication.content import OverdueLine, ReportContent
from services.reporting.rollup import report_sentence

FONT = "Times New Roman"
BODY_PT, TABLE_PT, NOTE_PT, SMALL_PT = 14, 13, 12, 11
PAGE = (Cm(21), Cm(29.7))  # A4
MARGINS = {"top_margin": Cm(2), "bottom_margin": Cm(2), "left_margin": Cm(3), "right_margin": Cm(1.5)}
HEADING_WIDTHS = (Cm(6.5), Cm(10))  # the portrait text width: 21 − 3 − 1,5 cm
TARGET_COLUMNS = (("TT", 1.5), ("Tên mục tiêu", 12.2), ("Đơn vị tính", 2.5), ("Mục tiêu", 3.0), ("Kết quả", 3.0),
                  ("So sánh kế hoạch giao", 3.0))
TASK_COLUMNS = (("STT", 1.5), ("Nhiệm vụ", 8.0), ("Cơ quan chủ trì", 4.2), ("Thời hạn", 2.8), ("Tình trạng", 2.7),
                ("Kết quả/Lý do", 6.0))
RECIPIENTS = ("- UBND tỉnh;", "- Các thành viên Ban Chỉ đạo;", "- Các sở, ban, ngành; UBND các xã, phường;",
              "- Lưu: VT.")
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
LEFT, CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY


def clean(text: object) -> str:
    """Text as Word can hold it: the characters XML 1.0 forbids (controls, lone surrogates) dropped."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def render_docx(content: ReportContent) -> bytes:
    document = new_document(f"Báo cáo kết quả thực hiện {content.plan_title} {content.as_of_phrase}",
                            content.province, content.generated_at)
    footnotes: list[str] = []
    _heading(document, content)
    _results(document, content, footnotes)
    _targets(document, content)
    _limitations(document, content)
    _next_period(document, content)
    _signature(document, content)
    _appendices(document, content)
    _add_footnotes(document, footnotes)
    return saved(document)


def saved(document: DocumentObject) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- layout ----

def _set_fonts(rpr, size: int | None = None) -> None:
    """Times New Roman for every script (Vietnamese is Latin, but Word picks eastAsia/cs fonts by
    character class and language), replacing the template's theme fonts."""
    fonts = rpr.get_or_add_rFonts()
    for name in list(fonts.attrib):
        del fonts.attrib[name]
    for script in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{script}"), FONT)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            element = rpr.find(qn(tag))
            if element is None:
                element = OxmlElement(tag)
                rpr.append(element)
            element.set(qn("w:val"), str(size * 2))


def page_setup(section, landscape: bool = False) -> None:
    width, height = PAGE
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    for name, value in MARGINS.items():
        setattr(section, name, value)


def new_document(title: str, province: str, created: datetime) -> DocumentObject:
    """A portrait A4 document in Times New Roman with the report's properties (no author's name)."""
    document = Document()
    page_setup(document.sections[0])
    defaults = document.styles.element.find(qn("w:docDefaults"))
    _set_fonts(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), BODY_PT)
    normal = document.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), BODY_PT)
    normal.paragraph_format.space_before, normal.paragraph_format.space_after = Pt(0), Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    properties = document.core_properties
    properties.title = clean(title)[:255]
    properties.author = properties.last_modified_by = clean(f"Ban Chỉ đạo chuyển đổi số tỉnh {province}")
    properties.comments = properties.keywords = properties.subject = ""
    properties.created = properties.modified = created
    return document


def add_run(paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False, size: int | None = None):
    run = paragraph.add_run(clean(text))
    run.bold, run.italic = bold or None, italic or None
    if size is not None:
        run.font.size = Pt(size)
    return run


def para(container, text: str = "", *, bold: bool = False, italic: bool = False, size: int | None = None,
         align=JUSTIFY, indent: bool = True, after: int | None = None) -> Paragraph:
    """A body paragraph (first line indented, justified) or, with other settings, a heading line.
    In a fresh table cell the cell's own first paragraph is used."""
    if isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.paragraphs[0].text:
        paragraph = container.paragraphs[0]
    else:
        paragraph = container.add_paragraph()
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    if after is not None:
        paragraph.paragraph_format.space_after = Pt(after)
    if text:
        add_run(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def part_title(document: DocumentObject, text: str) -> None:
    """A part's heading: "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ"."""
    para(document, text, bold=True, indent=True).paragraph_format.space_before = Pt(6)


def frameless(document: DocumentObject, widths) -> Table:
    """A layout table without borders (the heading block, the signature block)."""
    table = document.add_table(rows=1, cols=len(widths))
    table.autofit = False
    for index, width in enumerate(widths):
        table.columns[index].width = width
        table.rows[0].cells[index].width = width
    return table


def month_year(day: date) -> str:
    """"tháng 11 năm 2026" of the day the report is drawn up, the day itself left blank for the
    signature; months 1 and 2 with a leading zero (Nghị định 30/2020)."""
    return f"tháng {day.month:02d} năm {day.year}" if day.month < 3 else f"tháng {day.month} năm {day.year}"


# ---- the report ----

def heading_block(document: DocumentObject, province: str, day: date) -> None:
    """The issuer (UBND TỈNH … / BAN CHỈ ĐẠO …, "Số: /BC-BCĐ") beside the national motto and the
    place and date line, the day left blank for signing."""
    left, right = frameless(document, HEADING_WIDTHS).rows[0].cells
    for text, bold in ((f"UBND TỈNH {province.upper()}", False), ("BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ", True),
                       ("Số:      /BC-BCĐ", False)):
        para(left, text, bold=bold, size=13, align=CENTER, indent=False, after=0)
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13, align=CENTER, indent=False, after=0)
    para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, align=CENTER, indent=False, after=6)
    para(right, f"{province}, ngày      {month_year(day)}", italic=True, align=CENTER, indent=False, after=0)
    para(document, "", indent=False)


def _heading(document: DocumentObject, content: ReportContent) -> None:
    heading_block(document, content.province, content.generated_at)
    para(document, "BÁO CÁO", bold=True, align=CENTER, indent=False, after=0)
    para(document, f"Kết quả thực hiện {content.plan_title} {content.as_of_phrase}", bold=True, align=CENTER,
         indent=False)
    if content.published:  # a closed period: what was published, and how a later back-dated change differs
        para(document, content.published, italic=True, align=CENTER, indent=False)
    if content.corrections:
        para(document, content.corrections_note, italic=True)
    para(document, f"Kính gửi: Ủy ban nhân dân tỉnh {content.province}.", align=CENTER, indent=False)
    para(document, f"Trên cơ sở báo cáo của các cơ quan, đơn vị, địa phương (số liệu tổng hợp đến hết ngày "
                   f"{vn_date(content.day)}), Ban Chỉ đạo chuyển đổi số tỉnh báo cáo kết quả thực hiện "
                   f"{content.plan_title} {content.as_of_phrase} như sau:")


def _results(document: DocumentObject, content: ReportContent, footnotes: list[str]) -> None:
    counts, quarter = content.counts, content.quarter_counts
    part_title(document, "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ")
    para(document, "1. Tình hình thực hiện", bold=True)
    para(document, f"Tổng số nhiệm vụ: {counts.total:02d} nhiệm vụ.")
    not_started = content.tasks_in("not_started")
    for sentence in _sentences(report_sentence(counts)):
        paragraph = para(document, f"- {sentence}")
        if sentence.startswith(STATUS_LABELS[Status.NOT_STARTED]) and not_started:
            footnotes.append(not_started_note(not_started))
            _footnote_reference(paragraph, len(footnotes))
    open_ongoing = sum(1 for line in content.tasks_in("ongoing") if "done" not in line.categories)
    open_dated = counts.total - counts.done - open_ongoing
    para(document, f"- Theo thời hạn: đã hoàn thành {counts.done:02d} nhiệm vụ (đúng hạn: {counts.done_on_time:02d}, "
                   f"quá hạn: {counts.done_late:02d}); chưa hoàn thành {open_dated:02d} nhiệm vụ (trong hạn: "
                   f"{open_dated - counts.overdue:02d}, quá hạn: {counts.overdue:02d}).")
    para(document, f"- Nhiệm vụ thực hiện thường xuyên (không có thời hạn hoàn thành): {counts.ongoing:02d} "
                   "nhiệm vụ.")
    para(document, f"- Nhiệm vụ đến hạn trong {content.quarter_label}: {quarter.total:02d} nhiệm vụ; đã hoàn thành "
                   f"{quarter.done:02d} (đúng hạn: {quarter.done_on_time:02d}, quá hạn: {quarter.done_late:02d}); "
                   f"quá hạn: {quarter.overdue:02d}.")

    para(document, "2. So với kỳ trước", bold=True)
    for key, label in (("done", "Đã hoàn thành"), ("in_progress", "Đang thực hiện"),
                       ("not_started", "Chưa thực hiện"), ("overdue", "Quá hạn")):
        para(document, f"- {label}: {content.change(key)}.")

    para(document, "3. Nhiệm vụ quá hạn", bold=True)
    if not content.overdue_total:
        para(document, f"Đến hết ngày {vn_date(content.day)}, không có nhiệm vụ quá hạn.")
        return
    para(document, f"Đến hết ngày {vn_date(content.day)}, có {counts.overdue:02d} nhiệm vụ quá hạn "
                   f"({content.overdue_total:02d} phần việc của các cơ quan chủ trì), gồm:")
    for sentence in overdue_sentences(content.overdue):
        para(document, sentence)
    if content.overdue_total > len(content.overdue):
        para(document, f"- Và {content.overdue_total - len(content.overdue)} phần việc quá hạn khác (xem danh sách "
                       "trên hệ thống).")


def not_started_note(lines) -> str:
    """The footnote naming the tasks behind "Chưa thực hiện": "Nhiệm vụ 3: <title> (<lead>); ..."."""
    return "; ".join(f"Nhiệm vụ {line.stt}: {line.title} ({line.lead})" for line in lines) + "."


def overdue_sentences(lines: Iterable[OverdueLine]) -> list[str]:
    """One line per overdue task, its late leads together: "- Nhiệm vụ 31: <title> (thời hạn Quý II/2026,
    quá hạn 148 ngày; cơ quan chủ trì: Công an tỉnh, Sở Y tế)." A recurring task overdue for want of
    a report has no day count."""
    tasks: dict[tuple[str, str], list[OverdueLine]] = {}
    for line in lines:
        tasks.setdefault((line.stt, line.title), []).append(line)
    sentences = []
    for (stt, title), parts in tasks.items():
        first = parts[0]
        late = f", quá hạn {first.days} ngày" if first.days > 0 else ", chưa có kết quả của kỳ đã qua"
        agencies = ", ".join(dict.fromkeys(part.agency for part in parts))
        sentences.append(f"- Nhiệm vụ {stt}: {title} (thời hạn {first.deadline_text or first.due_date}{late}; "
                         f"cơ quan chủ trì: {agencies}).")
    return sentences


def _sentences(text: str) -> list[str]:
    """report_sentence's three counts, one per line: "Đã hoàn thành: 04/16 nhiệm vụ."."""
    return [part if part.endswith(".") else part + "." for part in text.split(". ")]


def _bands(content: ReportContent) -> tuple[dict[Band, int], dict[Band, int]]:
    current = {band: content.bands.get(band.value, 0) for band in Band}
    previous = {band: content.previous_bands.get(band.value, 0) for band in Band}
    return current, previous


def _targets(document: DocumentObject, content: ReportContent) -> None:
    part_title(document, "II. KẾT QUẢ THỰC HIỆN MỤC TIÊU, CHỈ TIÊU")
    para(document, f"Tổng số mục tiêu, chỉ tiêu: {len(content.targets):02d} mục tiêu, trong đó:")
    for line in band_lines(*_bands(content), content.compared_with):
        para(document, f"- {line}.")
    para(document, "(Chi tiết tại Phụ lục 01 kèm theo)", italic=True)


def _limitations(document: DocumentObject, content: ReportContent) -> None:
    current, _ = _bands(content)
    part_title(document, "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN")
    para(document, "1. Tồn tại, hạn chế", bold=True)
    para(document, f"- Còn {content.counts.not_started:02d} nhiệm vụ chưa thực hiện, {content.counts.overdue:02d} "
                   "nhiệm vụ quá hạn.")
    para(document, f"- {current[Band.UNDER_50]} mục tiêu thực hiện dưới 50% kế hoạch giao; "
                   f"{current[Band.NO_DATA]} mục tiêu chưa có số liệu.")
    para(document, "2. Nguyên nhân", bold=True)
    if not content.causes:
        para(document, "Các cơ quan, đơn vị chưa nêu lý do chậm tiến độ.")
    for letter, cause in zip("abcdefghijklmnopqrstuvwxyz", content.causes):
        para(document, f"{letter}) {cause.label}:", italic=True)
        for reason in cause.reasons:
            para(document, f"- {reason}")


def _next_period(document: DocumentObject, content: ReportContent) -> None:
    part_title(document, f"IV. NHIỆM VỤ TRỌNG TÂM {content.next_label.upper()}")
    if content.next_tasks:
        para(document, f"Tập trung hoàn thành {len(content.next_tasks):02d} nhiệm vụ đến hạn trong "
                       f"{content.next_label}:")
    else:
        para(document, f"Không có nhiệm vụ đến hạn trong {content.next_label} còn phải thực hiện.")
    for line in content.next_tasks:
        para(document, f"- Nhiệm vụ {line.stt}: {line.title} ({line.lead}; thời hạn: {line.deadline_text}).")
    if content.counts.overdue:
        para(document, f"- Khẩn trương hoàn thành {content.counts.overdue:02d} nhiệm vụ quá hạn; các cơ quan, đơn vị "
                       "cập nhật đầy đủ kết quả, lý do chậm tiến độ trên hệ thống.")
    para(document, f"Trên đây là báo cáo kết quả thực hiện {content.plan_title} {content.as_of_phrase} của Ban Chỉ "
                   f"đạo chuyển đổi số tỉnh {content.province}./.")


def _signature(document: DocumentObject, content: ReportContent) -> None:
    left, right = frameless(document, HEADING_WIDTHS).rows[0].cells
    para(left, "Nơi nhận:", bold=True, italic=True, size=NOTE_PT, align=LEFT, indent=False, after=0)
    for line in RECIPIENTS:
        para(left, line, size=SMALL_PT, align=LEFT, indent=False, after=0)
    for text in ("TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"):
        para(right, text, bold=True, align=CENTER, indent=False, after=0)


# ---- appendices ----

def _appendices(document: DocumentObject, content: ReportContent) -> None:
    page_setup(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    caption = (f"(Kèm theo Báo cáo số      /BC-BCĐ ngày      {month_year(content.generated_at)} của Ban Chỉ đạo "
               f"chuyển đổi số tỉnh {content.province}; số liệu {content.as_of_phrase})")
    _appendix(document, "Phụ lục 01: Kết quả thực hiện mục tiêu, chỉ tiêu", caption, TARGET_COLUMNS,
              ((heading, (line.stt, line.name, line.unit, line.target_text, line.value_text, line.achievement))
               for heading, line in content.appendix_targets()), centered=(0, 2, 3, 4, 5))
    para(document, "", indent=False).add_run().add_break(WD_BREAK.PAGE)
    _appendix(document, "Phụ lục 02: Tình hình thực hiện nhiệm vụ", caption, TASK_COLUMNS,
              ((heading, (line.stt, line.title, line.lead, line.deadline_text, line.status, line.result))
               for heading, line in content.appendix_tasks()), centered=(0, 3, 4))


def _appendix(document: DocumentObject, title: str, caption: str, columns, rows, centered: tuple[int, ...]) -> None:
    """One appendix: its title and caption, then the table, a section's heading row before its first line."""
    para(document, title, bold=True, align=CENTER, indent=False, after=0)
    para(document, caption, italic=True, size=NOTE_PT, align=CENTER, indent=False)
    table = grid(document, columns)
    for heading, cells in rows:
        if heading:
            section_row(table, *heading)
        table_row(table, cells, centered=centered)


def grid(document: DocumentObject, columns) -> Table:
    """A bordered appendix table whose header row Word and LibreOffice repeat on every page."""
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, (name, width) in enumerate(columns):
        table.columns[index].width = Cm(width)
        cell = table.rows[0].cells[index]
        cell.width = Cm(width)
        para(cell, name, bold=True, size=TABLE_PT, align=CENTER, indent=False, after=0)
    _row_properties(table.rows[0], header=True)
    return table


def _row_properties(row: _Row, header: bool = False) -> None:
    """A row is never split across pages; the header row repeats (cantSplit before tblHeader, as the
    schema orders them)."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def table_row(table: Table, values, centered=()) -> None:
    row = table.add_row()
    _row_properties(row)
    for index, (cell, value) in enumerate(zip(row.cells, values)):
        cell.width = table.columns[index].width
        paragraph = para(cell, align=CENTER if index in centered else LEFT, indent=False, after=0)
        if value:
            add_run(paragraph, value, size=TABLE_PT)


def section_row(table: Table, code: str, title: str) -> None:
    """A group's heading inside the table: its numbering, then its name across the other columns."""
    row = table.add_row()
    _row_properties(row)
    cells = row.cells
    for index, cell in enumerate(cells):
        cell.width = table.columns[index].width
    merged = cells[1].merge(cells[-1])
    for cell, text, align in ((cells[0], code, CENTER), (merged, title, LEFT)):
        paragraph = para(cell, align=align, indent=False, after=0)
        if text:
            add_run(paragraph, text, bold=True, size=TABLE_PT)


# ---- footnotes ----

def _footnote_reference(paragraph: Paragraph, number: int) -> None:
    run = paragraph.add_run()
    run.font.superscript = True
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(number))
    run._r.append(reference)


def _w(parent, tag: str, **attributes) -> etree._Element:
    return etree.SubElement(parent, f"{{{W_NS}}}{tag}", {f"{{{W_NS}}}{k}": v for k, v in attributes.items()})


def footnotes_xml(notes: list[str]) -> bytes:
    """word/footnotes.xml as Word writes it: the separator (-1) and continuation separator (0), then
    one footnote per note from 1, its number a superscript footnoteRef."""
    root = etree.Element(f"{{{W_NS}}}footnotes", nsmap={"w": W_NS})
    for number, kind in ((-1, "separator"), (0, "continuationSeparator")):
        paragraph = _w(_w(root, "footnote", type=kind, id=str(number)), "p")
        _w(_w(paragraph, "pPr"), "spacing", after="0", line="240", lineRule="auto")
        _w(_w(paragraph, "r"), kind)
    for number, note in enumerate(notes, start=1):
        paragraph = _w(_w(root, "footnote", id=str(number)), "p")
        properties = _w(paragraph, "pPr")
        _w(properties, "spacing", after="0", line="240", lineRule="auto")
        _w(properties, "jc", val="both")
        for text in (None, " " + " ".join(clean(note).split())):
            run = _w(paragraph, "r")
            fonts = _w(run, "rPr")
            _w(fonts, "rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT)
            _w(fonts, "sz", val=str(NOTE_PT * 2))
            _w(fonts, "szCs", val=str(NOTE_PT * 2))
            if text is None:
                _w(fonts, "vertAlign", val="superscript")
                _w(run, "footnoteRef")
            else:
                element = _w(run, "t")
                element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_footnotes(document: DocumentObject, notes: list[str]) -> None:
    """The footnotes part and its relationship from the document (its content type follows the part)."""
    if not notes:
        return
    part = Part(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, footnotes_xml(notes),
                document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
