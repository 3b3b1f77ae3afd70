"""The tables of a Word document (.docx), read as grids the way the document shows them.

The document part is streamed (lxml's iterparse with python-docx's element classes, so that a
cell's text is python-docx's `cell.text`), and each row is dropped once read: a document near the size
limits is read in little memory, and one with too many rows is refused at the first row past the
limit. Merged cells become what a reader of the printed table sees: a horizontal span's text in its
first grid column; a vertical merge's text repeated down the rows it covers, those columns listed
as continued.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zipfile import BadZipFile, ZipFile
from zlib import error as ZlibError

from docx.exceptions import InvalidXmlError
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import element_class_lookup
from docx.oxml.simpletypes import ST_Merge
from lxml import etree

from services.plans.spreadsheet import MAX_COLUMNS, RawRow, check_archive, free, refuse, xml_events

NOT_DOCX = ("Không đọc được tệp Word: tệp không phải .docx hợp lệ (có thể là tệp .doc cũ, tệp đặt mật khẩu "
            "hoặc tệp bị hỏng). Hãy mở bằng Word và lưu lại dạng .docx.")
NO_TABLE = "Tệp Word không có bảng nào."

_DOCUMENT, _TBL, _TR, _TC, _P = qn("w:document"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:p")
_BODY = qn("w:body")
_GRID, _GRID_COLUMN, _GRID_SPAN = qn("w:tblGrid"), qn("w:gridCol"), qn("w:gridSpan")
# A cell's w:gridSpan and w:vMerge, in one XPath; their `val` is python-docx's (1 and "continue" by default).
_MERGING = etree.XPath("w:tcPr/w:gridSpan | w:tcPr/w:vMerge", namespaces={"w": nsmap["w"]})
# What python-docx reads as a paragraph's text (CT_P.text: its runs', its hyperlinks' runs'), in one
# XPath; each element's str() is its text in python-docx's element classes ("\t" for w:tab, ...).
_TEXT_OF_PARAGRAPH = etree.XPath("(w:r | w:hyperlink/w:r)/*[self::w:t or self::w:tab or self::w:br or self::w:cr "
                                 "or self::w:noBreakHyphen or self::w:ptab]", namespaces={"w": nsmap["w"]})
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# What zipfile, lxml and python-docx's element classes raise on a damaged or forged document.
_ERRORS = (BadZipFile, etree.LxmlError, InvalidXmlError, ZlibError, OSError, EOFError, KeyError, ValueError,
           TypeError)


def read_docx(path: Path, captions: dict[str, str] | None = None) -> Iterator[RawRow]:
    """Every row of each top-level table of the document body ("Bảng 1", "Bảng 2", ... in document
    order), empty rows included, numbered from 1 within its table. Tables nested in a cell, or in a
    text box, are not rows of their own and add nothing to the cell's text. `captions`, if given,
    receives each table's caption: the last non-empty paragraph of the body before it (a group's
    heading printed above its table, "2.1. Nhóm các cơ quan ...")."""
    check_archive(path, "Word", NOT_DOCX)
    try:
        with ZipFile(path) as archive, archive.open(_main_part(archive)) as source:
            yield from _rows(source, {} if captions is None else captions)
    except _ERRORS:
        raise refuse(NOT_DOCX) from None


def _main_part(archive: ZipFile) -> str:
    """The document part's name, from the package's relationships (word/document.xml when Word saved it)."""
    with archive.open("_rels/.rels") as source:
        for _, relationship in xml_events(source, ("end",), (_PACKAGE_RELS,)):
            if relationship.get("Type") == RELATIONSHIP_TYPE.OFFICE_DOCUMENT:
                return relationship.get("Target", "").lstrip("/")
    raise refuse(NOT_DOCX)


def _rows(source, captions: dict[str, str]) -> Iterator[RawRow]:
    events = xml_events(source, ("start", "end"), (_DOCUMENT, _TBL, _TR, _TC, _P), element_class_lookup)
    first = next(events, None)
    if first is None or first[1].tag != _DOCUMENT:
        raise refuse(NOT_DOCX)
    number = 0  # top-level tables seen
    table = row = None  # the top-level table being read, and its row
    nested = 0  # tables open inside it
    line = width = 0  # rows of the table seen, and the width of its grid
    above: list[str] = []  # the previous row's grid, for vertical merges
    cells: list[str] = []  # the current row's grid
    continued: set[int] = set()
    column = 0  # the current cell's grid column
    paragraphs: list[str] = []  # the current cell's paragraphs
    caption = ""  # the body's last non-empty paragraph outside tables
    for event, element in events:
        tag = element.tag
        # A start event may come before the element's children are parsed: the table's grid is read
        # at its first row, a row's properties at its first cell.
        if event == "start":
            if tag == _TBL:
                if table is not None:
                    nested += 1
                elif next(element.iterancestors(_P), None) is None:  # not in a text box
                    table, number, line, above = element, number + 1, 0, []
                    captions[f"Bảng {number}"], caption = caption, ""
            elif table is None or nested:
                pass
            elif tag == _TR:
                if line == 0:
                    width = min(len(table.findall(f"{_GRID}/{_GRID_COLUMN}")), MAX_COLUMNS)
                row, cells, continued, column = element, [], set(), -1
            elif tag == _TC:
                if column < 0:  # the grid columns the row leaves empty before its first cell
                    column = min(row.grid_before, MAX_COLUMNS)
                    cells += [""] * column
                paragraphs = []
            continue
        if tag == _P:
            if table is not None and not nested and element.getparent().tag == _TC:
                paragraphs.append("".join(map(str, _TEXT_OF_PARAGRAPH(element))))
            elif table is None and element.getparent().tag == _BODY:
                caption = "".join(map(str, _TEXT_OF_PARAGRAPH(element))).strip() or caption
        elif tag == _TBL:
            if element is table:
                table = None
            elif table is not None:
                nested -= 1
        elif table is None or nested:
            pass
        elif tag == _TR:
            line += 1
            cells += [""] * (width - len(cells))
            yield f"Bảng {number}", line, cells, frozenset(continued)
            above = cells
        elif tag == _TC:
            span, merge = 1, None
            for merging in _MERGING(element):
                if merging.tag == _GRID_SPAN:
                    span = merging.val
                else:
                    merge = merging.val
            span = max(1, min(span, MAX_COLUMNS - column))
            if column < MAX_COLUMNS:
                if merge in (None, ST_Merge.RESTART):
                    cells += ["\n".join(paragraphs)] + [""] * (span - 1)
                else:
                    cells += (above[column:column + span] + [""] * span)[:span]
                    continued.update(range(column, min(column + span, len(above))))
            column += span
        free(element)
    if number == 0:
        raise refuse(NO_TABLE)
