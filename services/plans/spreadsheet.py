"""Reading the tables of a CSV, an Excel workbook or a Word document (services.plans.word), whose
columns are found by their Vietnamese headers.

Header matching ignores case, diacritics and spacing; the header row may sit below title rows,
as in a printed appendix. Row numbers are the file's own line/row numbers, for error messages.

Every file is bounded: its size and, for an .xlsx or a .docx, what it unpacks to (zip bombs) before it is
read; its rows while it is streamed, stopping at the first row past the limit. A refused file so
costs little time or memory. The limits are the product's, for any file it takes in (imports,
uploads).
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile, ZipFile
from zlib import error as ZlibError

from lxml import etree

from services.common.queries import vn_number
from services.common.text import clean_cell, fold

MEGABYTE = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MEGABYTE  # the file as stored
MAX_UNCOMPRESSED_BYTES = 50 * MEGABYTE  # everything inside an .xlsx once unpacked
MAX_COMPRESSION_RATIO = 100  # real sheets unpack to 5-20x; far more is a zip bomb ...
RATIO_CHECKED_FROM = MEGABYTE  # ... for a part large enough to matter (small XML parts compress very well)
MAX_ROWS = 20_000  # rows of the sheet (empty rows included) or records of the CSV
MAX_COLUMNS = 100  # columns read per row; an appendix has about ten
MAX_MERGES = 100_000  # merged ranges spanning rows, per sheet; an appendix has a few dozen
HEADER_SEARCH_ROWS = 30
LABEL_CELL_CHARS, LABEL_HEAD_CHARS = 60, 90  # a table's label shows its first row up to these lengths

NOT_XLSX = ("Không đọc được tệp Excel: tệp không phải .xlsx hợp lệ (có thể là tệp .xls cũ, tệp đặt mật khẩu "
            "hoặc tệp bị hỏng). Hãy mở bằng Excel và lưu lại dạng Excel Workbook (.xlsx).")


@dataclass(frozen=True)
class Column:
    field: str
    headers: tuple[str, ...]  # folded header texts that name this column
    required: bool = True
    prefix: bool = False  # match headers that start with one of `headers`
    matches: Callable[[str], bool] | None = None  # or any folded header this accepts
    label: str = ""  # what the mapping form calls it ("Cơ quan chủ trì")

    def names(self, header: str) -> bool:
        return (header in self.headers or (self.prefix and any(header.startswith(h) for h in self.headers))
                or (self.matches is not None and self.matches(header)))


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"Dòng {self.line}: {self.reason}" if self.line else self.reason


class ImportFailed(Exception):
    """The whole import was refused; `errors` names every bad row and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class TableRow:
    """A non-empty row of a table: its number in the file (sheet row, CSV line, or row of the
    Word table), its cleaned cells, and the columns whose cell continues a vertical merge from the
    row above (the merge's text is repeated in `cells`)."""
    line: int
    cells: list[str]
    continued: frozenset[int] = frozenset()


# A row as a reader streams it: (its table's name, its number, its cells as read, continued columns).
RawRow = tuple[str, int, list[object], frozenset[int]]


@dataclass(frozen=True)
class Table:
    """One table of a file: a CSV, a worksheet, or a table of a Word document."""
    label: str  # how the user picks it: "Bảng 2 (58 dòng): STT | Nhiệm vụ | ..."
    rows: list[TableRow]
    caption: str = ""  # a Word table's caption: the paragraph printed above it (services.plans.word)


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds which field, as proposed from the headers or corrected by the user."""
    header_line: int
    headers: tuple[str, ...]  # the header row's cells as printed
    fields: dict[str, int]  # field → column index

    @property
    def unused(self) -> list[tuple[int, str]]:
        """(index, printed header) of the headed columns no field takes: listed, never dropped silently."""
        taken = set(self.fields.values())
        return [(i, h) for i, h in enumerate(self.headers) if h and i not in taken]


def refuse(reason: str, line: int = 0) -> ImportFailed:
    """The whole file refused for one reason (a file over a limit, of a type not read, ...)."""
    return ImportFailed([RowError(line, reason)])


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".replace(".", ",")


def read_tables(path: str | Path) -> list[Table]:
    """Every table of the file that has a non-empty row: the CSV, each worksheet, each top-level
    table of a Word document, in the file's order.

    Refuses (ImportFailed) a file over the limits above, checked before reading where they can be
    (size, unpacked size) and while streaming otherwise (rows): reading stops at the first row
    past MAX_ROWS, counted over all the file's tables. Columns past MAX_COLUMNS are not read."""
    path = Path(path)
    if not path.is_file():
        raise refuse(f"Không tìm thấy tệp “{path}”.")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise refuse(f"Tệp quá lớn ({_megabytes(size)} MB); mỗi lần nhập tối đa "
                     f"{MAX_UPLOAD_BYTES // MEGABYTE} MB.")
    suffix = path.suffix.lower()
    captions: dict[str, str] = {}
    if suffix == ".csv":
        reader = (("Tệp CSV", line, cells, frozenset()) for line, cells in _read_csv(path))
    elif suffix == ".xlsx":
        reader = _read_xlsx(path)
    elif suffix == ".docx":
        from services.plans.word import read_docx

        reader = read_docx(path, captions)
    else:
        raise refuse("Chỉ nhận tệp .xlsx, .csv hoặc .docx.")
    tables: list[Table] = []
    name, rows = "", []
    with closing(reader) as raw_rows:
        for count, (table, line, cells, continued) in enumerate(raw_rows, 1):
            if count > MAX_ROWS:
                raise too_many_rows()
            if table != name:
                _add_table(tables, name, rows, captions.get(name, ""))
                name, rows = table, []
            cleaned = [clean_cell(c) for c in cells[:MAX_COLUMNS]]
            if any(cleaned):
                rows.append(TableRow(line, cleaned, continued))
    _add_table(tables, name, rows, captions.get(name, ""))
    return tables


def read_rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """(row number, cleaned cells) of the first table's non-empty rows; read_tables' bounds apply."""
    tables = read_tables(path)
    return [(row.line, row.cells) for row in tables[0].rows] if tables else []


def too_many_rows() -> ImportFailed:
    return refuse(f"Tệp có hơn {vn_number(MAX_ROWS)} dòng (kể cả dòng trống); mỗi lần nhập tối đa "
                  f"{vn_number(MAX_ROWS)} dòng: hãy chia thành nhiều tệp hoặc xóa các dòng thừa.")


def _add_table(tables: list[Table], name: str, rows: list[TableRow], caption: str) -> None:
    """Add the table if it has rows, labelled by its name, size and first row (shortened)."""
    if not rows:
        return
    head = ""
    for text in (c for c in rows[0].cells if c):
        text = text if len(text) <= LABEL_CELL_CHARS else text[:LABEL_CELL_CHARS - 1] + "…"
        if head and len(head) + len(text) > LABEL_HEAD_CHARS:
            head += " | …"
            break
        head = f"{head} | {text}" if head else text
    tables.append(Table(f"{name} ({vn_number(len(rows))} dòng): {head}", rows, clean_cell(caption)))


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record, streamed; the dialect is sniffed from the first 4 KB."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        try:
            head = stream.read(4096)
            if "\x00" in head:
                raise refuse("Tệp không phải là CSV văn bản.")
            try:
                dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            stream.seek(0)
            reader = csv.reader(stream, dialect)
            for row in reader:
                if any("\x00" in value for value in row):
                    raise refuse("Tệp không phải là CSV văn bản.")
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise refuse("Tệp CSV phải mã hóa UTF-8.") from None
        except csv.Error:  # only the reader raises it here: the sniffer's is handled above
            raise refuse(f"ô quá dài (tối đa {vn_number(csv.field_size_limit())} ký tự) hoặc dấu ngoặc kép "
                         "không khớp.", reader.line_num) from None


def check_archive(path: Path, kind: str, unreadable: str) -> None:
    """Refuse a file that is not a zip (with `unreadable`), or unpacks to more than the limits, from
    its directory alone (nothing is unpacked); `kind` names it ("Excel", "Word"). Reading trusts
    these sizes: zipfile never inflates a member past the size its directory declares."""
    try:
        with ZipFile(path) as archive:
            members = archive.infolist()
    except (BadZipFile, OSError, ValueError, EOFError):
        raise refuse(unreadable) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise refuse(f"Tệp {kind} khi giải nén lớn {_megabytes(unpacked)} MB, vượt giới hạn "
                     f"{MAX_UNCOMPRESSED_BYTES // MEGABYTE} MB (tệp hỏng hoặc cố ý gây quá tải); không đọc tệp "
                     "này. Hãy lưu lại tệp chỉ với bảng cần nhập.")
    for member in members:
        if member.file_size > max(RATIO_CHECKED_FROM, MAX_COMPRESSION_RATIO * member.compress_size):
            ratio = member.file_size // max(member.compress_size, 1)
            raise refuse(f"Tệp {kind} có phần “{member.filename}” nén tới {vn_number(ratio)} lần (giới hạn "
                         f"{MAX_COMPRESSION_RATIO} lần), dấu hiệu tệp hỏng hoặc cố ý gây quá tải; không đọc tệp này.")


def xml_events(source: IO[bytes], events: tuple[str, ...], tags: Sequence[str],
               lookup: etree.ElementClassLookup | None = None) -> Iterator[tuple[str, Any]]:
    """(event, element) of the given tags, streamed from an XML part of an archive, with a parser that
    resolves no entity, fetches nothing and keeps libxml2's limits on depth and text size; elements
    are of the classes `lookup` gives (python-docx's for a Word document)."""
    parser = etree.iterparse(source, events=events, tag=tags, resolve_entities=False, no_network=True,
                             huge_tree=False, load_dtd=False)
    if lookup is not None:
        parser.set_element_class_lookup(lookup)
    return parser


def free(element: Any) -> None:
    """Drop a streamed element that has been read, and the read siblings before it, so that memory
    stays flat however long the part is; property elements (w:tcPr, ...) are kept for their parent."""
    element.clear()
    parent = element.getparent()
    previous = element.getprevious()
    while previous is not None:
        before = previous.getprevious()
        if not isinstance(previous.tag, str) or not previous.tag.endswith("Pr"):
            parent.remove(previous)
        previous = before


# What openpyxl, lxml and zipfile raise on a damaged or forged workbook (a member failing its CRC, bad XML, ...).
_XLSX_ERRORS = (BadZipFile, ParseError, etree.LxmlError, ZlibError, OSError, EOFError, KeyError, IndexError,
                ValueError, TypeError, OverflowError, NotImplementedError)


def _read_xlsx(path: Path) -> Iterator[RawRow]:
    """The rows of each worksheet, streamed (openpyxl read-only): every row from the first, empty ones
    included, up to MAX_ROWS + 1 so that the caller sees a file that has more. The cells a vertical
    merge covers repeat its top cell (openpyxl gives them empty) and are listed as continued."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_archive(path, "Excel", NOT_XLSX)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_ERRORS):
        raise refuse(NOT_XLSX) from None
    try:
        read = 0
        for sheet in workbook.worksheets:
            name = f"Trang tính “{sheet.title}”"
            # The declared width when sane; a row is padded to it, so "A1:XFD1" must not be taken at its word.
            width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
            merges = _vertical_merges(sheet, width, MAX_ROWS - read)
            if merges is None:
                continue
            starting: dict[int, list[tuple[int, int, int]]] = {}
            for top, first, bottom, stop in merges:
                starting.setdefault(top, []).append((first, bottom, stop))
            open_merges: list[tuple[int, int, list[object]]] = []  # (bottom, first column, top cells)
            for number, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=width), 1):
                cells = [_cell_value(c) for c in row]
                open_merges = [m for m in open_merges if m[0] >= number]
                continued: set[int] = set()
                for _, first, top_cells in open_merges:
                    cells[first:first + len(top_cells)] = top_cells
                    continued.update(range(first, first + len(top_cells)))
                for first, bottom, stop in starting.pop(number, ()):
                    open_merges.append((bottom, first, cells[first:stop]))
                read += 1
                yield name, number, cells, frozenset(continued)
    except _XLSX_ERRORS:
        raise refuse(NOT_XLSX) from None
    finally:
        workbook.close()


def _vertical_merges(sheet, width: int, rows_left: int) -> list[tuple[int, int, int, int]] | None:
    """The sheet's merged ranges that span rows, as (top row, first column, bottom row, column after
    the last; columns 0-based, cut at `width`), read from its XML (openpyxl's read-only mode does not
    give them); None for a sheet without rows. Refuses a sheet of more rows than `rows_left`
    before any cell is read."""
    from openpyxl.utils.cell import range_boundaries

    merges, rows = [], 0
    with sheet._get_source() as source:  # the part openpyxl reads the sheet from
        for _, element in xml_events(source, ("end",), ("{*}row", "{*}mergeCell")):
            if element.tag.endswith("}row"):
                rows += 1
                if rows > rows_left:
                    raise too_many_rows()
            else:
                first, top, last, bottom = range_boundaries(element.get("ref", ""))
                if None not in (first, top, last, bottom) and bottom > top and first <= width:
                    if len(merges) >= MAX_MERGES:
                        raise refuse(f"Trang tính “{sheet.title}” có hơn {vn_number(MAX_MERGES)} vùng gộp ô; "
                                     "không đọc tệp này.")
                    merges.append((top, first - 1, bottom, min(last, width)))
            free(element)
    return merges if rows else None


def _cell_value(cell) -> object:
    """A cell as shown: a number formatted as a percentage (0.95 shown "95%") reads "95%"."""
    value = getattr(cell, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        shown = f"{value * 100:.6f}".rstrip("0").rstrip(".")
        return shown.replace(".", ",") + "%"
    return value


def propose_mapping(rows: Sequence[TableRow], columns: list[Column]) -> ColumnMapping:
    """The first row (among the first HEADER_SEARCH_ROWS) whose headers name every required
    column, and the mapping those headers give. Raises ImportFailed when there is none."""
    line, mapping, _ = map_columns([(row.line, row.cells) for row in rows], columns)
    headers = next(row.cells for row in rows if row.line == line)
    return ColumnMapping(line, tuple(headers), mapping)


def remap(mapping: ColumnMapping, columns: list[Column], overrides: Mapping[str, object]) -> ColumnMapping:
    """The user's corrections applied (field → column index, or None to leave a field out).
    Raises ImportFailed, naming the problem, for an unknown field, a column that does not exist,
    one column given to two fields, or a required field left without a column."""
    by_field = {c.field: c for c in columns}
    fields = dict(mapping.fields)
    problems = []
    for name, index in overrides.items():
        if name not in by_field:
            problems.append(f"không có trường “{name}”.")
        elif index is None or index == "":
            fields.pop(name, None)
        elif isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(mapping.headers):
            fields[name] = index
        else:
            problems.append(f"cột số {index} không có trong dòng tiêu đề.")
    seen: dict[int, str] = {}
    for name, index in fields.items():
        if index in seen:
            problems.append(f"cột “{mapping.headers[index]}” được chọn cho cả “{by_field[seen[index]].label}” "
                            f"và “{by_field[name].label}”.")
        seen[index] = name
    problems += [f"chưa chọn cột cho “{c.label}”." for c in columns if c.required and c.field not in fields]
    if problems:
        raise ImportFailed([RowError(0, f"Ghép cột: {p}") for p in problems])
    return ColumnMapping(mapping.header_line, mapping.headers, fields)


def rows_below(rows: Sequence[TableRow], mapping: ColumnMapping) -> list[TableRow]:
    return [row for row in rows if row.line > mapping.header_line]


def map_columns(
    rows: list[tuple[int, list[str]]], columns: list[Column]
) -> tuple[int, dict[str, int], list[tuple[int, list[str]]]]:
    """Find the header row; return its number, field → column index, and the rows below it.

    Each header goes to the first column in `columns` that names it and is still free, so a
    second header naming the same thing falls through to the next column that accepts it."""
    for position, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = header_fields(cells, columns)
        if mapping is not None:
            return number, mapping, rows[position + 1:]
    required = [c for c in columns if c.required]
    names = ", ".join(f"“{c.headers[0]}”" for c in required)
    raise ImportFailed([RowError(0, f"Không tìm thấy dòng tiêu đề có đủ các cột {names}.")])


def header_fields(cells: list[str], columns: list[Column]) -> dict[str, int] | None:
    """Field → column index when `cells` are a header row naming every required column, else None."""
    mapping = _match([fold(c) for c in cells], columns)
    return mapping if all(c.field in mapping for c in columns if c.required) else None


def _match(folded_cells: list[str], columns: list[Column]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, header in enumerate(folded_cells):
        column = next((c for c in columns if c.field not in mapping and c.names(header)), None)
        if column is not None:
            mapping[column.field] = index
    return mapping


def cell(cells: list[str], mapping: dict[str, int], field: str) -> str:
    index = mapping.get(field)
    return cells[index] if index is not None and index < len(cells) else ""


def first_mapped_table(path: str | Path, columns: list[Column], filled: Sequence[str],
                       what: str = "dòng") -> tuple[ColumnMapping, list[TableRow]]:
    """The mapping and the rows below the header of the file's first table whose header names
    `columns`, for a list uploaded as is (focal points, communes). Rows where none of the `filled`
    fields has text (a numbering alone, a note) are left out. ImportFailed: no such table (the first
    table's reason), or no row below its header (`what` names the rows: "xã, phường")."""
    first_failure = None
    for table in read_tables(path):
        try:
            mapping = propose_mapping(table.rows, columns)
        except ImportFailed as exc:
            first_failure = first_failure or exc
            continue
        rows = [row for row in rows_below(table.rows, mapping)
                if any(cell(row.cells, mapping.fields, name) for name in filled)]
        if not rows:
            raise refuse(f"Danh sách không có {what} nào dưới dòng tiêu đề.")
        return mapping, rows
    raise first_failure or refuse("Tệp không có bảng nào.")
