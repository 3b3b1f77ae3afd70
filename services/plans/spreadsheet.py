"""Reading CSV/XLSX tables whose columns are found by their Vietnamese headers.

Header matching ignores case, diacritics and spacing; the header row may sit below title rows,
as in a printed appendix. Row numbers are the file's own line/row numbers, for error messages.

Every file is bounded: its size and, for an .xlsx, what it unpacks to (zip bombs) before it is
read; its rows while it is streamed, stopping at the first row past the limit. A refused file so
costs little time or memory. The limits are the product's, for any file it takes in (imports,
uploads).
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile, ZipFile
from zlib import error as ZlibError

from services.common.queries import vn_number
from services.common.text import clean_cell, fold

MEGABYTE = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MEGABYTE  # the file as stored
MAX_UNCOMPRESSED_BYTES = 50 * MEGABYTE  # everything inside an .xlsx once unpacked
MAX_COMPRESSION_RATIO = 100  # real sheets unpack to 5-20x; far more is a zip bomb ...
RATIO_CHECKED_FROM = MEGABYTE  # ... for a part large enough to matter (small XML parts compress very well)
MAX_ROWS = 20_000  # rows of the sheet (empty rows included) or records of the CSV
MAX_COLUMNS = 100  # columns read per row; an appendix has about ten
HEADER_SEARCH_ROWS = 30

NOT_XLSX = ("Không đọc được tệp Excel: tệp không phải .xlsx hợp lệ (có thể là tệp .xls cũ, tệp đặt mật khẩu "
            "hoặc tệp bị hỏng). Hãy mở bằng Excel và lưu lại dạng Excel Workbook (.xlsx).")


@dataclass(frozen=True)
class Column:
    field: str
    headers: tuple[str, ...]  # folded header texts that name this column
    required: bool = True
    prefix: bool = False  # match headers that start with one of `headers`
    matches: Callable[[str], bool] | None = None  # or any folded header this accepts

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


def _refuse(reason: str, line: int = 0) -> ImportFailed:
    return ImportFailed([RowError(line, reason)])


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".replace(".", ",")


def read_rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """All non-empty rows of the first sheet (or the CSV) as (row number, cleaned cells).

    Refuses (ImportFailed) a file over the limits above, checked before reading where they can be
    (size, unpacked size) and while streaming otherwise (rows): reading stops at the first row
    past MAX_ROWS. Columns past MAX_COLUMNS are not read."""
    path = Path(path)
    if not path.is_file():
        raise _refuse(f"Không tìm thấy tệp “{path}”.")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise _refuse(f"Tệp quá lớn ({_megabytes(size)} MB); mỗi lần nhập tối đa "
                      f"{MAX_UPLOAD_BYTES // MEGABYTE} MB.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = _read_csv(path)
    elif suffix == ".xlsx":
        reader = _read_xlsx(path)
    else:
        raise _refuse("Chỉ nhận tệp .xlsx hoặc .csv.")
    rows = []
    with closing(reader) as raw_rows:
        for count, (number, cells) in enumerate(raw_rows, 1):
            if count > MAX_ROWS:
                raise _refuse(f"Tệp có hơn {vn_number(MAX_ROWS)} dòng (kể cả dòng trống); mỗi lần nhập "
                              f"tối đa {vn_number(MAX_ROWS)} dòng: hãy chia thành nhiều tệp hoặc xóa các "
                              "dòng thừa.")
            cleaned = [clean_cell(c) for c in cells]
            if any(cleaned):
                rows.append((number, cleaned))
    return rows


def _read_csv(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(line number, cells) of each record, streamed; the dialect is sniffed from the first 4 KB."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        try:
            head = stream.read(4096)
            if "\x00" in head:
                raise _refuse("Tệp không phải là CSV văn bản.")
            try:
                dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            stream.seek(0)
            reader = csv.reader(stream, dialect)
            for row in reader:
                if any("\x00" in value for value in row):
                    raise _refuse("Tệp không phải là CSV văn bản.")
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise _refuse("Tệp CSV phải mã hóa UTF-8.") from None
        except csv.Error:  # only the reader raises it here: the sniffer's is handled above
            raise _refuse(f"ô quá dài (tối đa {vn_number(csv.field_size_limit())} ký tự) hoặc dấu ngoặc kép "
                          "không khớp.", reader.line_num) from None


def _check_xlsx_archive(path: Path) -> None:
    """Refuse a file that is not a zip, or unpacks to more than the limits, from its directory
    alone (nothing is unpacked). Reading trusts these sizes: zipfile never inflates a member past
    the size its directory declares."""
    try:
        with ZipFile(path) as archive:
            members = archive.infolist()
    except (BadZipFile, OSError, ValueError, EOFError):
        raise _refuse(NOT_XLSX) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(f"Tệp Excel khi giải nén lớn {_megabytes(unpacked)} MB, vượt giới hạn "
                      f"{MAX_UNCOMPRESSED_BYTES // MEGABYTE} MB (tệp hỏng hoặc cố ý gây quá tải); không đọc tệp "
                      "này. Hãy lưu lại tệp chỉ với bảng cần nhập.")
    for member in members:
        if member.file_size > max(RATIO_CHECKED_FROM, MAX_COMPRESSION_RATIO * member.compress_size):
            ratio = member.file_size // max(member.compress_size, 1)
            raise _refuse(f"Tệp Excel có phần “{member.filename}” nén tới {vn_number(ratio)} lần (giới hạn "
                          f"{MAX_COMPRESSION_RATIO} lần), dấu hiệu tệp hỏng hoặc cố ý gây quá tải; không đọc tệp này.")


# What openpyxl and zipfile raise on a damaged or forged workbook (a member failing its CRC, bad XML, ...).
_XLSX_ERRORS = (BadZipFile, ParseError, ZlibError, OSError, EOFError, KeyError, IndexError, ValueError,
                TypeError, OverflowError, NotImplementedError)


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) of the first sheet, streamed (openpyxl read-only): every row from the
    first, empty ones included, up to MAX_ROWS + 1 so that the caller sees a file that has more."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_archive(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_ERRORS):
        raise _refuse(NOT_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared width when sane; a row is padded to it, so "A1:XFD1" must not be taken at its word.
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        for number, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=width), 1):
            yield number, [_cell_value(c) for c in row]
    except _XLSX_ERRORS:
        raise _refuse(NOT_XLSX) from None
    finally:
        workbook.close()


def _cell_value(cell) -> object:
    """A cell as shown: a number formatted as a percentage (0.95 shown "95%") reads "95%"."""
    value = getattr(cell, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        shown = f"{value * 100:.6f}".rstrip("0").rstrip(".")
        return shown.replace(".", ",") + "%"
    return value


def map_columns(
    rows: list[tuple[int, list[str]]], columns: list[Column]
) -> tuple[int, dict[str, int], list[tuple[int, list[str]]]]:
    """Find the header row; return its number, field → column index, and the rows below it.

    Each header goes to the first column in `columns` that names it and is still free, so a
    second header naming the same thing falls through to the next column that accepts it."""
    required = [c for c in columns if c.required]
    for position, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        folded = [fold(c) for c in cells]
        mapping = _match(folded, columns)
        if all(c.field in mapping for c in required):
            return number, mapping, rows[position + 1:]
    names = ", ".join(f"“{c.headers[0]}”" for c in required)
    raise ImportFailed([RowError(0, f"Không tìm thấy dòng tiêu đề có đủ các cột {names}.")])


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
