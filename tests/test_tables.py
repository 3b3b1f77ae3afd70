"""The tables of an upload (issue 12): each worksheet of an .xlsx and each top-level table of a .docx
becomes a table, merged cells read as a person reads them (a vertical merge's text repeated and its
columns marked continued, a horizontal span's text in its first column), and every file type bounded
in size, unpacked size, rows and columns, refused quickly and in little memory."""
from __future__ import annotations

import csv
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile

import pytest
from docx import Document
from openpyxl import Workbook

import services.plans.spreadsheet as spreadsheet
from services.plans.spreadsheet import MAX_COLUMNS, MEGABYTE, ImportFailed, TableRow, read_rows, read_tables
from services.plans.word import NO_TABLE, NOT_DOCX
from tests.real_tables import fill_sheet, fill_table

ROOT = Path(__file__).resolve().parent.parent
WRONG_TYPE = "Chỉ nhận tệp .xlsx, .csv hoặc .docx."
TOO_MANY_ROWS = "Tệp có hơn 20.000 dòng (kể cả dòng trống); mỗi lần nhập tối đa 20.000 dòng"

# A task appendix as printed: a header whose cell breaks a line, a section row whose name spans the
# task columns, task 1 with STT and name merged over its three parts, then task 2.
TASKS = [
    ["STT", "Nhiệm vụ", "Cơ quan\nchủ trì", "Thời hạn"],
    ["I", "NHẬN THỨC SỐ", "", ""],
    ["1", "Số hóa hồ sơ", "Văn phòng UBND tỉnh", "Quý I/2026"],
    ["", "", "Các sở, ngành", "Năm 2026"],
    ["", "", "UBND cấp xã", "Thường xuyên"],
    ["2", "Truyền thông", "Sở KH&CN", "Quý II/2026"],
]
TASK_MERGES = [(1, 1, 1, 3), (2, 0, 4, 0), (2, 1, 4, 1)]  # (first row, first column, last row, last column), 0-based
EXPECTED = [
    TableRow(1, ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn"]),
    TableRow(2, ["I", "NHẬN THỨC SỐ", "", ""]),
    TableRow(3, ["1", "Số hóa hồ sơ", "Văn phòng UBND tỉnh", "Quý I/2026"]),
    TableRow(4, ["1", "Số hóa hồ sơ", "Các sở, ngành", "Năm 2026"], frozenset({0, 1})),
    TableRow(5, ["1", "Số hóa hồ sơ", "UBND cấp xã", "Thường xuyên"], frozenset({0, 1})),
    TableRow(6, ["2", "Truyền thông", "Sở KH&CN", "Quý II/2026"]),
]


def tasks_xlsx(path: Path) -> Path:
    workbook = Workbook()
    workbook.active.title = "Phụ lục 02"
    fill_sheet(workbook.active, TASKS, TASK_MERGES)
    workbook.save(path)
    return path


def tasks_docx(path: Path) -> Path:
    document = Document()
    document.add_paragraph("UBND TỈNH LÀO CAI")
    fill_table(document, TASKS, TASK_MERGES)
    document.save(path)
    return path


@pytest.mark.parametrize("write", [tasks_xlsx, tasks_docx], ids=["xlsx", "docx"])
def test_merged_cells_read_as_printed(tmp_path, write):
    path = write(tmp_path / f"tasks.{write.__name__[-4:]}")
    [table] = read_tables(path)
    assert table.rows == EXPECTED
    assert table.label.endswith("(6 dòng): STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn")
    assert read_rows(path) == [(row.line, row.cells) for row in EXPECTED]


def test_a_merge_over_several_columns_and_rows_continues_in_all_its_columns(tmp_path):
    table = [["STT", "Nhiệm vụ", "Chủ trì"], ["1", "", "Sở A"], ["", "", "Sở B"]]
    workbook = Workbook()
    fill_sheet(workbook.active, table, [(1, 0, 2, 1)])
    workbook.save(tmp_path / "block.xlsx")
    document = Document()
    fill_table(document, table, [(1, 0, 2, 1)])
    document.save(tmp_path / "block.docx")
    for name in ("block.xlsx", "block.docx"):
        [read] = read_tables(tmp_path / name)
        assert read.rows[1:] == [TableRow(2, ["1", "", "Sở A"]), TableRow(3, ["1", "", "Sở B"], frozenset({0, 1}))]


def test_each_sheet_with_rows_is_a_table_labelled_by_its_name_size_and_first_row(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Phụ lục 01"
    fill_sheet(workbook.active, [["PHỤ LỤC 01: MỤC TIÊU, CHỈ TIÊU CHUYỂN ĐỔI SỐ NĂM 2026 CỦA TỈNH LÀO CAI"],
                                 [], ["STT", "Tên mục tiêu"], ["1", "Tỷ lệ"]])
    workbook.create_sheet("Trống")
    fill_sheet(workbook.create_sheet("Phụ lục 02"), TASKS, TASK_MERGES)
    workbook.save(tmp_path / "plan.xlsx")
    first, second = read_tables(tmp_path / "plan.xlsx")
    assert first.label == "Trang tính “Phụ lục 01” (3 dòng): PHỤ LỤC 01: MỤC TIÊU, CHỈ TIÊU CHUYỂN ĐỔI SỐ NĂM 2026 CỦA T…"
    assert [row.line for row in first.rows] == [1, 3, 4]  # sheet rows: the empty row 2 skipped
    assert second.label == "Trang tính “Phụ lục 02” (6 dòng): STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn"
    assert second.rows == EXPECTED


def test_each_top_level_table_of_a_document_is_a_table_and_nested_tables_are_ignored(tmp_path):
    document = Document()
    document.add_paragraph("PHỤ LỤC 01")
    targets = fill_table(document, [["STT", "Tên mục tiêu", "Đơn vị tính"], ["1", "Tỷ lệ", "%"], ["", "", ""]])
    nested = targets.cell(1, 1).add_table(rows=2, cols=2)
    nested.cell(0, 0).text = "bảng lồng"
    targets.cell(1, 1).add_paragraph("đoạn sau")
    document.add_paragraph("PHỤ LỤC 02")
    fill_table(document, [["", ""], ["", ""]])  # an empty table: no table of the file
    fill_table(document, TASKS, TASK_MERGES)
    path = tmp_path / "plan.docx"
    document.save(path)
    first, second = read_tables(path)
    assert first.label == "Bảng 1 (2 dòng): STT | Tên mục tiêu | Đơn vị tính"
    assert first.rows == [TableRow(1, ["STT", "Tên mục tiêu", "Đơn vị tính"]),
                          TableRow(2, ["1", "Tỷ lệ đoạn sau", "%"])]  # its paragraphs, not the nested table's
    assert second.label == "Bảng 3 (6 dòng): STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn"
    assert second.rows == EXPECTED


def test_a_cells_paragraphs_and_line_breaks_read_as_one_line(tmp_path):
    document = Document()
    grid = document.add_table(rows=1, cols=2)
    grid.cell(0, 0).text = "Cơ quan\nchủ trì"  # a line break in a run
    grid.cell(0, 1).text = "Thời gian"
    grid.cell(0, 1).add_paragraph("thực hiện")
    document.save(tmp_path / "breaks.docx")
    workbook = Workbook()
    workbook.active.append(["Cơ quan\nchủ trì", "Thời gian\r\nthực  hiện"])
    workbook.save(tmp_path / "breaks.xlsx")
    for name in ("breaks.docx", "breaks.xlsx"):
        assert read_tables(tmp_path / name)[0].rows == [TableRow(1, ["Cơ quan chủ trì", "Thời gian thực hiện"])]


# ---- Word's grid, written as Word writes it ------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def cell_xml(text: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:tc>"


def rows_xml(rows: Iterable[Iterable[str]]) -> Iterable[str]:
    for row in rows:
        yield "<w:tr>" + "".join(cell_xml(text) for text in row) + "</w:tr>"


def docx_with_body(path: Path, body: Iterable[str], doctype: str = "") -> Path:
    """A real python-docx package whose document body is `body`, streamed into the archive."""
    seed = path.with_suffix(".seed.docx")
    Document().save(seed)
    with ZipFile(seed) as source, ZipFile(path, "w", ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                target.writestr(member, source.read(member))
                continue
            with target.open("word/document.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<w:document xmlns:w="{W}">'
                           "<w:body>".encode())
                for chunk in body:
                    part.write(chunk.encode())
                part.write(b"</w:body></w:document>")
    seed.unlink()
    return path


def table_xml(rows: Iterable[Iterable[str]], columns: int) -> Iterable[str]:
    yield "<w:tbl><w:tblGrid>" + '<w:gridCol w:w="1000"/>' * columns + "</w:tblGrid>"
    yield from rows_xml(rows)
    yield "</w:tbl>"


def test_grid_before_spans_and_vertical_merges_in_word_xml(tmp_path):
    body = [f"<w:tbl><w:tblGrid>{'<w:gridCol/>' * 4}</w:tblGrid>",
            "<w:tr>" + "".join(cell_xml(t) for t in ("STT", "Nhiệm vụ", "Chủ trì", "Thời hạn")) + "</w:tr>",
            "<w:tr>" + cell_xml("I") + cell_xml("HẠ TẦNG SỐ", '<w:gridSpan w:val="3"/>') + "</w:tr>",
            "<w:tr>" + cell_xml("2", '<w:vMerge w:val="restart"/>') + cell_xml("Mạng 5G", '<w:vMerge w:val="restart"/>')
            + cell_xml("Sở KH&CN") + cell_xml("Năm 2026") + "</w:tr>",
            "<w:tr>" + cell_xml("", "<w:vMerge/>") + cell_xml("", '<w:vMerge w:val="continue"/>')
            + cell_xml("Công an tỉnh") + cell_xml("") + "</w:tr>",
            # a row that starts at the third grid column (w:gridBefore), as Word writes a short row
            '<w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>' + cell_xml("Ghi chú", '<w:gridSpan w:val="2"/>')
            + "</w:tr>",
            "<w:tr>" + cell_xml("") * 4 + "</w:tr>",
            "</w:tbl>"]
    [table] = read_tables(docx_with_body(tmp_path / "grid.docx", body))
    assert table.rows == [
        TableRow(1, ["STT", "Nhiệm vụ", "Chủ trì", "Thời hạn"]),
        TableRow(2, ["I", "HẠ TẦNG SỐ", "", ""]),
        TableRow(3, ["2", "Mạng 5G", "Sở KH&CN", "Năm 2026"]),
        TableRow(4, ["2", "Mạng 5G", "Công an tỉnh", ""], frozenset({0, 1})),
        TableRow(5, ["", "", "Ghi chú", ""]),
    ]


def test_columns_past_the_limit_are_not_read(tmp_path):
    wide = [[f"Cột {n}" for n in range(MAX_COLUMNS + 20)]]
    spanning = ['<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2000000000"/></w:tcPr><w:p/></w:tc>'
                + cell_xml("ngoài giới hạn") + "</w:tr></w:tbl>"]
    [table] = read_tables(docx_with_body(tmp_path / "wide.docx", table_xml(wide, MAX_COLUMNS + 20)))
    assert table.rows[0].cells == wide[0][:MAX_COLUMNS]
    assert read_tables(docx_with_body(tmp_path / "span.docx", spanning)) == []  # nothing within the limit
    with (tmp_path / "wide.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(wide)
    assert read_rows(tmp_path / "wide.csv") == [(1, wide[0][:MAX_COLUMNS])]


def test_word_xml_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("bí mật", encoding="utf-8")
    doctype = (f'<!DOCTYPE w:document [<!ENTITY outside SYSTEM "{secret.as_uri()}">'
               '<!ENTITY inside "nội bộ">]>')
    body = ["<w:tbl><w:tr>" + cell_xml("STT") + "<w:tc><w:p><w:r><w:t>&outside;|&inside;</w:t></w:r></w:p></w:tc>"
            "</w:tr></w:tbl>"]
    [table] = read_tables(docx_with_body(tmp_path / "entities.docx", body, doctype))
    assert "bí mật" not in table.rows[0].cells[1] and "nội bộ" not in table.rows[0].cells[1]


# ---- Files that are not what they say -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["garbage", "a workbook renamed", "a zip without a document", "truncated"])
def test_a_file_that_is_not_a_word_document_is_refused_with_a_clear_message(tmp_path, kind):
    path = tmp_path / "plan.docx"
    if kind == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "a workbook renamed":
        tasks_xlsx(tmp_path / "plan.xlsx").rename(path)
    elif kind == "a zip without a document":
        with ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "không phải Word")
    else:
        whole = tasks_docx(tmp_path / "whole.docx").read_bytes()
        path.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ImportFailed) as refused:
        read_tables(path)
    assert str(refused.value) == NOT_DOCX
    assert "Không đọc được tệp Word" in NOT_DOCX and "lưu lại dạng .docx" in NOT_DOCX


def test_a_document_without_a_table_is_refused(tmp_path):
    document = Document()
    document.add_paragraph("Kế hoạch chuyển đổi số")
    document.save(tmp_path / "text.docx")
    with pytest.raises(ImportFailed, match=NO_TABLE):
        read_tables(tmp_path / "text.docx")


@pytest.mark.parametrize("name", ["plan.doc", "plan.pdf", "plan.txt", "plan.xls", "plan"])
def test_other_file_types_are_refused(tmp_path, name):
    (tmp_path / name).write_bytes(b"STT,Nhiem vu\n1,a\n")
    with pytest.raises(ImportFailed) as refused:
        read_tables(tmp_path / name)
    assert str(refused.value) == WRONG_TYPE


# ---- Bounds -------------------------------------------------------------------------------------

def word_bomb(path: Path, unpacked_bytes: int) -> Path:
    """A document whose body is `unpacked_bytes` of one repeated row: a few hundred KB on disk."""
    rows = "".join(rows_xml([["x", "y"]])) * 100
    return docx_with_body(path, ["<w:tbl>"] + [rows] * (unpacked_bytes // len(rows.encode())) + ["</w:tbl>"])


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
@pytest.mark.parametrize("unpacked_mb, message", [
    (64, "khi giải nén lớn 64,"),
    (20, "có phần “{part}” nén tới"),
])
def test_a_zip_bomb_is_refused_from_its_directory_quickly_and_in_little_memory(tmp_path, suffix, unpacked_mb,
                                                                               message):
    from tests.test_import_bounds import zip_bomb

    bomb = word_bomb if suffix == ".docx" else zip_bomb
    path = bomb(tmp_path / f"bomb{suffix}", unpacked_mb * MEGABYTE)
    assert path.stat().st_size < 400_000
    kind, part = ("Word", "word/document.xml") if suffix == ".docx" else ("Excel", "xl/worksheets/sheet1.xml")
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImportFailed) as refused:
        read_tables(path)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(refused.value).startswith(f"Tệp {kind} ") and message.format(part=part) in str(refused.value)
    assert elapsed < 1 and peak < 5 * MEGABYTE, (elapsed, peak)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".docx"])
def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as f:
        f.truncate(11 * MEGABYTE)  # sparse: no time spent writing it
    started = time.perf_counter()
    with pytest.raises(ImportFailed) as refused:
        read_tables(path)
    assert time.perf_counter() - started < 0.5
    assert str(refused.value) == "Tệp quá lớn (11,0 MB); mỗi lần nhập tối đa 10 MB."


def write_task_rows(path: Path, count: int) -> Path:
    """A two-column task table of `count` rows, header included, as .csv, .xlsx or .docx."""
    rows = [["STT", "Nhiệm vụ"]] + [[str(n), f"Nhiệm vụ số {n * 7919 % 100_003}"] for n in range(1, count)]
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    elif path.suffix == ".xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        docx_with_body(path, table_xml(rows, 2))
    return path


# What reading the file costs a fresh interpreter, all allocators counted (lxml's libxml2 included).
MEASURE = """
import sys, time
from services.plans.spreadsheet import ImportFailed, read_tables

def kilobytes(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the peak resident size starts again from the current one
before = kilobytes("VmRSS:")
started = time.process_time()  # CPU time: the work done, not the wait on a loaded machine
try:
    tables = read_tables(sys.argv[1])
    outcome = f"{sum(len(t.rows) for t in tables)} rows"
except ImportFailed as refused:
    outcome = str(refused)
elapsed = time.process_time() - started
print(elapsed, (kilobytes("VmHWM:") - before) * 1024)
print(outcome)
"""


def measure(path: Path) -> tuple[float, int, str]:
    """(CPU seconds, bytes the peak resident memory grew by while reading, outcome) of read_tables(path)."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    figures, outcome = done.stdout.split("\n", 1)
    elapsed, grown = figures.split()
    return float(elapsed), int(grown), outcome.strip()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".docx"])
def test_fifty_thousand_rows_are_refused_quickly_in_bounded_memory(tmp_path, suffix):
    path = write_task_rows(tmp_path / f"rows{suffix}", 50_000)
    assert path.stat().st_size < 10 * MEGABYTE
    elapsed, grown, outcome = measure(path)
    assert outcome.startswith(TOO_MANY_ROWS), outcome
    assert elapsed < 5 and grown < 100 * MEGABYTE, (elapsed, grown)
    tracemalloc.start()
    with pytest.raises(ImportFailed) as refused:
        read_tables(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(refused.value).startswith(TOO_MANY_ROWS) and peak < 100 * MEGABYTE, peak


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".docx"])
def test_rows_up_to_the_limit_are_read_in_bounded_memory(tmp_path, suffix):
    path = write_task_rows(tmp_path / f"rows{suffix}", spreadsheet.MAX_ROWS)
    elapsed, grown, outcome = measure(path)
    assert outcome == "20000 rows"
    assert elapsed < 10 and grown < 150 * MEGABYTE, (elapsed, grown)


def test_the_row_limit_counts_every_table_of_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 5)
    three = [["STT", "Nhiệm vụ"], ["1", "a"], ["2", "b"]]
    workbook = Workbook()
    fill_sheet(workbook.active, three)
    fill_sheet(workbook.create_sheet("Hai"), three[:2])
    workbook.save(tmp_path / "five.xlsx")
    docx_with_body(tmp_path / "five.docx", [*table_xml(three, 2), *table_xml(three[:2], 2)])
    for name in ("five.xlsx", "five.docx"):
        assert [len(t.rows) for t in read_tables(tmp_path / name)] == [3, 2]
    fill_sheet(workbook.create_sheet("Ba"), three[:1])
    workbook.save(tmp_path / "six.xlsx")
    docx_with_body(tmp_path / "six.docx", [*table_xml(three, 2), *table_xml(three, 2)])
    for name in ("six.xlsx", "six.docx"):
        with pytest.raises(ImportFailed, match="Tệp có hơn 5 dòng"):
            read_tables(tmp_path / name)



def test_row_and_table_properties_are_read_wherever_the_stream_is_cut(tmp_path):
    """gridBefore and the grid's width sit in properties parsed after their row's or table's start:
    read at any point of a long part, each of many such rows starts at its third grid column."""
    rows = ('<w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>' + cell_xml(f"Ghi chú {n}") + "</w:tr>"
            for n in range(3000))
    body = [f"<w:tbl><w:tblPr/><w:tblGrid>{'<w:gridCol/>' * 4}</w:tblGrid>", *rows, "</w:tbl>"] * 3
    tables = read_tables(docx_with_body(tmp_path / "long.docx", body))
    assert [len(t.rows) for t in tables] == [3000] * 3
    assert all(row.cells == ["", "", f"Ghi chú {row.line - 1}", ""] for t in tables for row in t.rows)


def test_a_sheet_with_more_vertical_merges_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_MERGES", 2)
    workbook = Workbook()
    fill_sheet(workbook.active, TASKS, TASK_MERGES)  # two merges span rows, one spans columns only
    workbook.save(tmp_path / "two.xlsx")
    assert read_tables(tmp_path / "two.xlsx")[0].rows == EXPECTED
    workbook = Workbook()
    fill_sheet(workbook.active, TASKS, [*TASK_MERGES, (2, 3, 3, 3)])
    workbook.save(tmp_path / "three.xlsx")
    with pytest.raises(ImportFailed, match="Trang tính “Sheet” có hơn 2 vùng gộp ô"):
        read_tables(tmp_path / "three.xlsx")


def test_a_table_in_a_text_box_is_not_a_table_of_the_body(tmp_path):
    boxed = ["<w:p><w:r><w:pict><w:txbxContent>", *table_xml([["Trong khung", "x"]], 2),
             "</w:txbxContent></w:pict></w:r></w:p>"]
    [table] = read_tables(docx_with_body(tmp_path / "box.docx", [*boxed, *table_xml(TASKS[:2], 4)]))
    assert table.label.startswith("Bảng 1 (2 dòng): STT |")
    assert [row.cells[0] for row in table.rows] == ["STT", "I"]
