"""Reading CSV/XLSX tables whose columns are found by their Vietnamese headers.

Header matching ignores case, diacritics and spacing; the header row may sit below title rows,
as in a printed appendix. Row numbers are the file's own line/row numbers, for error messages.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.text import clean_cell, fold

MAX_FILE_BYTES = 20 * 1024 * 1024
HEADER_SEARCH_ROWS = 30


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


def read_rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """All non-empty rows of the first sheet (or the CSV) as (row number, cleaned cells)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed([RowError(0, f"Không tìm thấy tệp “{path}”.")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFailed([RowError(0, "Tệp quá lớn (tối đa 20 MB).")])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw_rows = _read_csv(path)
    elif suffix == ".xlsx":
        raw_rows = _read_xlsx(path)
    else:
        raise ImportFailed([RowError(0, "Chỉ nhận tệp .xlsx hoặc .csv.")])
    rows = []
    for number, cells in raw_rows:
        cleaned = [clean_cell(c) for c in cells]
        if any(cleaned):
            rows.append((number, cleaned))
    return rows


def _read_csv(path: Path) -> list[tuple[int, list[object]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([RowError(0, "Tệp CSV phải mã hóa UTF-8.")]) from None
    if "\x00" in text:
        raise ImportFailed([RowError(0, "Tệp không phải là CSV văn bản.")])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    return [(reader.line_num, row) for row in reader]


def _read_xlsx(path: Path) -> list[tuple[int, list[object]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportFailed([RowError(0, f"Không đọc được tệp Excel ({exc.__class__.__name__}).")]) from None
    try:
        sheet = workbook.worksheets[0]
        return [(index, [_cell_value(c) for c in row]) for index, row in enumerate(sheet.iter_rows(), 1)]
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
