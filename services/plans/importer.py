"""Import of a plan's task appendix (Phụ lục 02 and tables like it) from a table of an .xlsx, .csv
or .docx file, all-or-nothing.

Every row is checked before anything is written; one bad row refuses the whole file and every bad
row is named with its line and reason. The caller's transaction makes a crash leave nothing.

The steps, so that the write lock is held only while writing: `parse_plan` reads and checks a
table without the database, `preview_plan` adds what the database decides (an existing plan,
unknown agencies, what each lead expands to) in a read session, without writing, and `write_plan`,
in the write transaction, checks that again (the directory may have changed meanwhile) and writes.

Tables as people have them (DOMAIN.md): the same columns carry different headers (TASK_COLUMNS).
A task split into parts is printed as a row whose STT (and name) is merged over, or left empty on,
the rows of its parts, each with its own lead, deadline and status: the task becomes a heading with
no assignment of its own, and each part a sub-task labelled "a", "b", ... — a generated label,
since the printed STT is empty and the task list and rollups need one. A row with no STT, lead or
deadline of its own is a cell wrapped onto the next printed row, and is joined to the row above.
Section rows, repeated page headers and title rows above the header are recognised.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Province, Section, Task, TaskCoordinator
from services.common.clock import now
from services.common.text import fold
from services.plans.agencies import AgencyDirectory, get_or_create_province
from services.plans.catalogue import PLAN_KINDS
from services.plans.deadlines import DEADLINE_KIND_LABELS, Deadline, DeadlineKind, parse_date, parse_deadline
from services.plans.spreadsheet import (
    Column,
    ColumnMapping,
    ImportFailed,
    RowError,
    Table,
    TableRow,
    propose_mapping,
    read_tables,
    remap,
    rows_below,
)
from services.plans.statuses import STATUS_LABELS, Status, UnknownStatus, parse_status
from services.tasks.history import apply_assignment_change, open_first_state

TASK_COLUMNS = [
    Column("group", ("nhom", "nhom nhiem vu", "linh vuc"), required=False, label="Nhóm, lĩnh vực"),
    Column("stt", ("stt", "tt", "so tt", "so thu tu"), label="STT"),
    Column("title", ("nhiem vu", "nhiem vu cu the", "ten nhiem vu", "noi dung", "noi dung nhiem vu",
                     "ten san pham"), label="Nhiệm vụ"),
    Column("lead", ("co quan chu tri", "don vi chu tri", "chu tri", "co quan, don vi chu tri"),
           label="Cơ quan chủ trì"),
    Column("coordinators", ("co quan phoi hop", "don vi phoi hop", "phoi hop"), required=False,
           label="Cơ quan phối hợp"),
    Column("deadline", ("thoi han hoan thanh", "thoi han", "thoi gian thuc hien", "thoi gian hoan thanh",
                        "tien do", "tien do thuc hien"), required=False, label="Thời hạn hoàn thành"),
    # A report calls the status "Kết quả thực hiện"; a plain "Kết quả" is the expected product.
    Column("status", ("tinh trang", "tinh trang thuc hien", "trang thai", "ket qua thuc hien"), required=False,
           label="Tình trạng"),
    # "Mục tiêu" is the expected product of a table whose tasks are named "Tên sản phẩm" (Lai Châu):
    # the title column is required, so it is never taken for the task's name.
    Column("product", ("san pham/ket qua", "san pham / ket qua", "san pham", "ket qua/san pham",
                       "san pham, ket qua", "san pham dau ra", "san pham/ket qua dau ra", "ket qua",
                       "san pham du kien", "muc tieu"), required=False, label="Sản phẩm/Kết quả"),
    Column("reason", ("ly do chua hoan thanh", "ly do"), required=False, prefix=True, label="Lý do chưa hoàn thành"),
    Column("updated_on", ("ngay cap nhat",), required=False, label="Ngày cập nhật"),
]
_STT_HEADERS = next(c.headers for c in TASK_COLUMNS if c.field == "stt")

ROMAN = re.compile(r"^(?=[ivxlc]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
SECTION_IN_TEXT = re.compile(r"^([IVXLC]+)\s*[.:\-–]?\s+(.+)$")
NUMBERED_STT = re.compile(r"^\d+(\.\d+)*\.?$")
LETTERED_STT = re.compile(r"^[a-zđ]\)?$")
COLUMN_NUMBER = re.compile(r"^\(?(\d{1,2})\)?$")
MAX_TEXT = 5000

# How a row of the preview calls what the row is.
KIND_LABELS = {"section": "Nhóm", "task": "Nhiệm vụ", "heading": "Mục", "part": "Phần", "sub_item": "Mục con"}
# What a part takes from its heading's row when its own cell is empty (the heading's row spoke for the block).
_BLOCK_FIELDS = ("deadline", "product", "coordinators", "status", "reason")


@dataclass
class PlanSpec:
    province: str
    year: int
    title: str
    issued_on: date | None = None
    document_number: str | None = None
    reporting_cadence: str = "monthly"
    report_deadline_day: int = 20
    kind: str = "annual"  # a key of services.plans.catalogue.PLAN_KINDS
    week_start: int = 1  # services.reporting.periods.WeekScheme: ISO 8601 weeks unless the plan says
    week_numbering: str = "majority"


@dataclass(eq=False)
class _Row:
    """One row of the table as the import reads it: a section, a task, a heading (a task with
    parts), a part, or a printed sub-item (2.1, a)). `cells` are the table row's, with any wrapped
    rows joined; the other fields are read from them."""
    line: int
    kind: str
    cells: list[str]
    continued: frozenset[int] = frozenset()
    parent: _Row | None = None
    parts: list[_Row] = field(default_factory=list)
    section_key: str | None = None
    stt: str = ""
    title: str = ""
    lead: str = ""
    coordinators: str = ""
    deadline: Deadline = Deadline("", DeadlineKind.UNPARSED, None)
    deadline_inherited: bool = False  # from the parent (sub-item) or from the parts (heading)
    product: str = ""
    status_text: str = ""
    status: Status | None = None
    remark: str = ""
    reason: str = ""
    updated_on: date | None = None
    problems: list[str] = field(default_factory=list)
    leads: list[Agency] = field(default_factory=list)
    coordinating: list[Agency] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How messages name the row: a part by its heading's STT and its letter ("5b")."""
        return f"{self.parent.stt}{self.stt}" if self.kind == "part" and self.parent else self.stt


@dataclass
class PlanCounts:
    """What a plan's table holds, told the same way by the preview and by the import."""
    sections: int = 0
    tasks: int = 0  # top-level tasks, headings included (what rollups count)
    headings: int = 0  # tasks split into parts
    parts: int = 0
    sub_items: int = 0  # printed sub-items (2.1, a))
    assignments: int = 0
    assignments_from_groups: int = 0
    unparsed_deadlines: list[str] = field(default_factory=list)  # "stt: “printed”"
    unused_columns: list[str] = field(default_factory=list)  # printed headers no field takes


@dataclass
class ImportSummary(PlanCounts):
    plan_id: int = 0
    created_agencies: list[str] = field(default_factory=list)


@dataclass
class PreviewSummary(PlanCounts):
    unknown_agencies: list[str] = field(default_factory=list)
    errors: int = 0


@dataclass
class PlanPreview:
    """What the import would do, row by row, and why it would refuse (`errors`)."""
    rows: list[dict]
    summary: PreviewSummary
    errors: list[RowError]


def is_roman(text: str) -> bool:
    return bool(text) and bool(ROMAN.match(fold(text).rstrip(".")))


@dataclass
class ParsedPlan:
    """A task table read and checked without the database: every body row, each with its problems;
    `errors` are those problems (and the table's own), which refuse the import."""
    spec: PlanSpec
    starts_on: date
    mapping: ColumnMapping
    sections: dict[str, tuple[str, str]]  # key → (code, title), in order of appearance
    rows: list[_Row]
    errors: list[RowError]

    @property
    def tasks(self) -> list[_Row]:
        return [row for row in self.rows if row.kind != "section"]


def import_plan(
    session: Session, path: str | Path, spec: PlanSpec, *, create_agencies: bool = False,
    user_id: int | None = None,
) -> ImportSummary:
    """Create the plan described by `spec` from the file's task table, in the caller's
    transaction (the demo, tests). Raises ImportFailed."""
    table = pick_table(read_tables(path))
    return write_plan(session, parse_plan(table, spec), create_agencies=create_agencies, user_id=user_id)


def pick_table(tables: list[Table], number: int | None = None, columns: list[Column] | None = None) -> Table:
    """The table numbered `number` (from 1, as people count), or else the first whose headers name
    every required column of `columns` (a task table's by default; the first table when none does:
    its parse then says what is missing)."""
    if not tables:
        raise ImportFailed([RowError(0, "Tệp không có bảng nào.")])
    if number is not None:
        if not 1 <= number <= len(tables):
            raise ImportFailed([RowError(0, f"Tệp có {len(tables)} bảng; không có bảng số {number}.")])
        return tables[number - 1]
    for table in tables:
        try:
            propose_mapping(table.rows, columns or TASK_COLUMNS)
        except ImportFailed:
            continue
        return table
    return tables[0]


def parse_plan(table: Table, spec: PlanSpec, overrides: Mapping[str, int | None] | None = None) -> ParsedPlan:
    """Read and check a table. Raises ImportFailed for a table without a header row or a wrong
    column mapping; bad rows are kept, each with its problems, to be listed with the rest."""
    mapping = propose_mapping(table.rows, TASK_COLUMNS)
    if overrides:
        mapping = remap(mapping, TASK_COLUMNS, overrides)
    starts_on = min(date(spec.year, 1, 1), spec.issued_on or date(spec.year, 1, 1))
    sections: dict[str, tuple[str, str]] = {}
    rows = _blocks(rows_below(table.rows, mapping), mapping)
    _read_rows(rows, mapping.fields, spec.year, starts_on, sections)
    errors = [RowError(row.line, "; ".join(row.problems) + ".") for row in rows if row.problems]
    if spec.kind not in PLAN_KINDS:
        errors.insert(0, RowError(0, f"Loại kế hoạch “{spec.kind}” không hợp lệ."))
    if not any(row.kind != "section" for row in rows) and not errors:
        errors.append(RowError(mapping.header_line, "Bảng không có nhiệm vụ nào dưới dòng tiêu đề."))
    return ParsedPlan(spec, starts_on, mapping, sections, rows, errors)


def preview_plan(session: Session, parsed: ParsedPlan, *, create_agencies: bool = False) -> PlanPreview:
    """What `write_plan` would do and every reason it would refuse, read-only: each row with its
    leads resolved (groups expanded), the counts, unknown agencies, deadlines to review."""
    spec = parsed.spec
    province = session.scalar(select(Province).where(Province.name == spec.province.strip()))
    errors = list(parsed.errors)
    if province is not None and (existing := _existing_plan_error(session, province, spec)):
        errors.append(existing)
    # A province not yet in the database knows no agency; it is created by `write_plan`.
    directory = AgencyDirectory(session, province or Province(name=spec.province.strip()))
    row_problems: dict[_Row, list[str]] = {}
    unknown_lines: dict[str, list[int]] = {}
    shown: dict[_Row, tuple[str, str]] = {}
    summary = PreviewSummary(**vars(_counts(parsed)))
    for row in parsed.tasks:
        lead_unknown, coordinator_unknown = _attach_agencies(directory, row)
        problems = row_problems.setdefault(row, list(row.problems))
        for name in lead_unknown + coordinator_unknown:
            unknown_lines.setdefault(name, []).append(row.line)
            problems.append(f"cơ quan chưa có trong danh mục: “{name}”")
        for lead in _empty_groups(directory, row):
            problems.append(_empty_group_reason(lead))
            errors.append(RowError(row.line, _empty_group_reason(lead) + "."))
        assignees = directory.assignees(row.leads)
        summary.assignments += len(assignees) + (len(lead_unknown) if create_agencies else 0)
        summary.assignments_from_groups += sum(lead.is_group for _, lead in assignees)
        shown[row] = (_resolved(directory, row.leads, lead_unknown),
                      _resolved(directory, row.coordinating, coordinator_unknown))
    summary.unknown_agencies = list(unknown_lines)
    if unknown_lines and not create_agencies:
        errors.extend(unknown_agency_errors(unknown_lines))
    errors.sort(key=lambda e: e.line)
    summary.errors = len(errors)
    rows = [_preview_row(index, row, parsed.sections, row_problems.get(row, row.problems), shown.get(row))
            for index, row in enumerate(parsed.rows)]
    return PlanPreview(rows, summary, errors)


def check_plan(session: Session, parsed: ParsedPlan, *, create_agencies: bool = False) -> PlanPreview:
    """The preview, refused (ImportFailed listing every problem) when it has errors."""
    preview = preview_plan(session, parsed, create_agencies=create_agencies)
    if preview.errors:
        raise ImportFailed(preview.errors)
    return preview


def write_plan(session: Session, parsed: ParsedPlan, *, create_agencies: bool = False,
               user_id: int | None = None) -> ImportSummary:
    """Check `parsed` against the database again and write the plan. Raises ImportFailed."""
    spec, starts_on, rows = parsed.spec, parsed.starts_on, parsed.tasks
    province = get_or_create_province(session, spec.province)
    if existing := _existing_plan_error(session, province, spec):
        raise ImportFailed([existing])
    directory = AgencyDirectory(session, province)
    errors = list(parsed.errors)
    created = _resolve_agencies(directory, rows, create_agencies, errors, add=True)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))

    recorded_at = now()
    plan = Plan(
        province_id=province.id, year=spec.year, title=spec.title.strip(), kind=spec.kind,
        document_number=spec.document_number, issued_on=spec.issued_on, starts_on=starts_on,
        reporting_cadence=spec.reporting_cadence, report_deadline_day=spec.report_deadline_day,
        week_start=spec.week_start, week_numbering=spec.week_numbering, created_at=recorded_at,
    )
    session.add(plan)
    session.flush()
    section_ids = {}
    for position, (key, (code, title)) in enumerate(parsed.sections.items(), 1):
        section = Section(plan_id=plan.id, appendix="tasks", code=code, title=title, position=position)
        session.add(section)
        session.flush()
        section_ids[key] = section.id

    summary = ImportSummary(**vars(_counts(parsed)), plan_id=plan.id, created_agencies=created)
    task_of: dict[_Row, Task] = {}
    plan_start = datetime.combine(starts_on, datetime.min.time())
    for position, row in enumerate(rows, 1):
        parent = task_of.get(row.parent) if row.parent else None
        task = Task(
            plan_id=plan.id, section_id=section_ids.get(row.section_key), parent_id=parent.id if parent else None,
            stt=row.stt, position=position, title=row.title, lead_text=row.lead,
            coordinators_text=row.coordinators, deadline_text=row.deadline.text,
            due_date=row.deadline.due_date, deadline_kind=row.deadline.kind.value, expected_product=row.product,
        )
        session.add(task)
        session.flush()
        task.root_id = parent.root_id if parent else task.id
        task_of[row] = task
        for agency in row.coordinating:
            session.add(TaskCoordinator(task_id=task.id, agency_id=agency.id))
        for member, lead in directory.assignees(row.leads):
            task.assignments.append(Assignment(
                task_id=task.id, agency_id=member.id, via_group_id=lead.id if lead.is_group else None,
            ))
            summary.assignments_from_groups += lead.is_group
        session.flush()  # the task's assignments in one statement: the write lock is held for less
        for assignment in task.assignments:
            open_first_state(session, assignment, plan_start)
            if row.status is not None:
                _apply_imported_status(session, assignment, row, recorded_at, user_id)
        summary.assignments += len(task.assignments)
    session.flush()
    return summary


def summary_lines(result: PlanPreview | ImportSummary) -> list[str]:
    """The counts in the users' words, one fact per line (the import page, the preview)."""
    counts = result.summary if isinstance(result, PlanPreview) else result
    lines = [f"{counts.tasks} nhiệm vụ trong {counts.sections} nhóm."]
    if counts.headings:
        lines.append(f"{counts.headings} nhiệm vụ chia thành {counts.parts} phần, mỗi phần có cơ quan chủ trì, "
                     "thời hạn và tình trạng riêng.")
    if counts.sub_items:
        lines.append(f"{counts.sub_items} mục con.")
    lines.append(f"{counts.assignments} phân công cho cơ quan ({counts.assignments_from_groups} từ nhóm cơ quan, "
                 "mỗi cơ quan thành viên một phân công).")
    if counts.unparsed_deadlines:
        lines.append("Thời hạn chưa đọc được, cần đặt lại: " + "; ".join(counts.unparsed_deadlines) + ".")
    if counts.unused_columns:
        lines.append("Cột không nhập: " + ", ".join(f"“{h}”" for h in counts.unused_columns) + ".")
    if isinstance(result, PlanPreview):
        if counts.unknown_agencies:
            lines.append("Cơ quan chưa có trong danh mục: " + ", ".join(counts.unknown_agencies) + ".")
        if counts.errors:
            lines.append(f"{counts.errors} lỗi: chưa nhập được cho đến khi sửa hết.")
    elif counts.created_agencies:
        lines.append("Cơ quan mới tạo: " + ", ".join(counts.created_agencies) + ".")
    return lines


# ---- Reading the table ---------------------------------------------------------------------------

def _blocks(body: list[TableRow], mapping: ColumnMapping) -> list[_Row]:
    """The body's rows as sections, tasks and parts, with wrapped rows joined to the row above;
    repeated header rows (one per printed page) and column-number rows are left out."""
    fields = mapping.fields
    header = [fold(h) for h in mapping.headers]
    rows: list[_Row] = []
    task: _Row | None = None  # the task an STT-less row is a part of
    previous: _Row | None = None  # the row a wrapped row is joined to
    for table_row in body:
        cells = table_row.cells
        if _text(cells, fields, "stt") and fold(_text(cells, fields, "stt")) in _STT_HEADERS \
                or [fold(c) for c in cells] == header or _is_column_numbers(cells):
            continue
        if _section_title(cells, fields) is not None:
            rows.append(_Row(table_row.line, "section", list(cells), table_row.continued))
            task = previous = None
            continue
        follows = not _text(cells, fields, "stt") or fields["stt"] in table_row.continued
        if follows and task is not None:
            if not (_text(cells, fields, "lead") or _text(cells, fields, "deadline")):
                _join(previous, table_row)
                continue
            part = _Row(table_row.line, "part", list(cells), table_row.continued, parent=task)
            task.parts.append(part)
            rows.append(part)
            previous = part
            continue
        row = _Row(table_row.line, "task", list(cells), table_row.continued)
        rows.append(row)
        task = previous = row
    return rows


def _join(row: _Row, wrapped: TableRow) -> None:
    """A cell wrapped onto the next printed row: its text goes on a new line of the cell above."""
    for index, text in enumerate(wrapped.cells):
        if text and index not in wrapped.continued:
            row.cells.extend([""] * (index + 1 - len(row.cells)))
            row.cells[index] = f"{row.cells[index]}\n{text}" if row.cells[index] else text


def _is_column_numbers(cells: list[str]) -> bool:
    """The "(1) (2) (3) ..." row some tables print under their header."""
    filled = [c for c in cells if c]
    numbers = [COLUMN_NUMBER.match(c) for c in filled]
    return len(filled) >= 3 and all(numbers) and [int(m[1]) for m in numbers] == list(range(1, len(filled) + 1))


def _section_title(cells: list[str], fields: dict[str, int]) -> str | None:
    """The text of a section row — "I | Nhận thức số", or "I. NHẬN THỨC SỐ" alone in a cell merged
    across the row (a reader may repeat a merged cell's text in every column it spans) — or None."""
    stt, title = _text(cells, fields, "stt"), _text(cells, fields, "title")
    task_cells = [_text(cells, fields, name) for name in ("lead", "deadline", "product")]
    if is_roman(stt) and all(not c or c in (stt, title) for c in task_cells):
        return f"{stt.rstrip('.')} {title}" if title and title != stt else stt
    texts = {c for c in cells if c}
    if len(texts) == 1 and (match := SECTION_IN_TEXT.match(next(iter(texts)))) and is_roman(match[1]):
        return match[0]
    if not stt and not any(task_cells) and SECTION_IN_TEXT.match(title):
        return title
    return None


def _text(cells: list[str], fields: dict[str, int], name: str) -> str:
    index = fields.get(name)
    return cells[index] if index is not None and index < len(cells) else ""


def _read_rows(rows: list[_Row], fields: dict[str, int], year: int, starts_on: date,
               sections: dict[str, tuple[str, str]]) -> None:
    """Read each row's fields from its cells and note its problems; a task with parts becomes a
    heading, and its own row the first part when it names a lead."""
    current_section: str | None = None
    seen: dict[tuple[object, str], int] = {}  # (section key or parent row, stt) → line
    numbered: dict[tuple[str | None, str], _Row] = {}
    last_numbered: dict[str | None, _Row] = {}
    position = 0
    while position < len(rows):
        row = rows[position]
        position += 1
        if row.kind == "section":
            code_title = _section_title(row.cells, fields) or ""
            current_section = _open_section(sections, code_title)
            row.section_key = current_section
            row.stt, row.title = sections[current_section]
            if not row.title:
                row.problems.append(f"dòng mục {row.stt} thiếu tên mục (cột “Nhiệm vụ”)")
            continue
        if group := _text(row.cells, fields, "group"):
            current_section = _open_section(sections, group)
        row.section_key = current_section
        if row.kind == "part":
            _read_part(row, fields, year)
            _read_assignment_cells(row, fields, starts_on)
            continue
        _read_task(row, fields, year)
        _number(row, current_section, seen, numbered, last_numbered)
        if row.parts:
            if row.lead:  # the heading's own row carries the first part, and its cells are the part's
                first = _Row(row.line, "part", list(row.cells), row.continued, parent=row,
                             section_key=current_section)
                row.parts.insert(0, first)
                rows.insert(position, first)
                row.coordinators = row.product = ""
            row.kind = "heading"
            row.lead = ""
            _letter_parts(row)
        else:
            if not row.lead:
                row.problems.append("thiếu cơ quan chủ trì")
            _read_assignment_cells(row, fields, starts_on)
    for row in rows:
        if row.kind == "heading":
            _heading_deadline(row)


def _read_task(row: _Row, fields: dict[str, int], year: int) -> None:
    row.stt = _text(row.cells, fields, "stt")
    row.title = _text(row.cells, fields, "title")
    row.lead = _text(row.cells, fields, "lead")
    row.coordinators = _text(row.cells, fields, "coordinators")
    row.product = _text(row.cells, fields, "product")
    row.deadline = parse_deadline(_text(row.cells, fields, "deadline"), year)
    if not row.title:
        row.problems.append("thiếu nội dung nhiệm vụ")
    _check_lengths(row)


def _read_part(row: _Row, fields: dict[str, int], year: int) -> None:
    """A part's own cells; where it leaves one empty, its heading row's, when that row speaks for
    the whole block (it is not itself the first part), else only the deadline (as for a sub-item).
    Its title is its own when it prints one, else the heading's."""
    heading = row.parent
    if _carries_first_part(heading):
        block = {"deadline": heading.deadline.text}
    else:
        block = {name: _text(heading.cells, fields, name) for name in _BLOCK_FIELDS}
    own = {name: _text(row.cells, fields, name) or block.get(name, "") for name in _BLOCK_FIELDS}
    title = _text(row.cells, fields, "title")
    row.title = title if title and fields["title"] not in row.continued and title != heading.title else heading.title
    row.lead = _text(row.cells, fields, "lead")
    row.coordinators, row.product = own["coordinators"], own["product"]
    row.deadline = parse_deadline(own["deadline"], year)
    row.status_text, row.reason = own["status"], own["reason"]
    if not row.lead:
        row.problems.append("thiếu cơ quan chủ trì")
    _check_lengths(row)


def _carries_first_part(heading: _Row) -> bool:
    """The heading's own row names a lead: it is the first row of a merged block, and its cells
    are the first part's."""
    return heading.parts[0].line == heading.line


def _read_assignment_cells(row: _Row, fields: dict[str, int], starts_on: date) -> None:
    """Status, reason and the date of the update, which go to the row's assignments."""
    if row.kind != "part":
        row.status_text, row.reason = _text(row.cells, fields, "status"), _text(row.cells, fields, "reason")
    if row.status_text:
        try:
            parsed = parse_status(row.status_text)
            row.status, row.remark = parsed.status, parsed.remark
        except UnknownStatus:
            row.problems.append(f"tình trạng “{row.status_text}” không thuộc Chưa thực hiện / Đang thực hiện / "
                                "Đã hoàn thành")
    text = _text(row.cells, fields, "updated_on")
    try:
        row.updated_on = parse_date(text)
    except ValueError:
        row.problems.append(f"ngày cập nhật “{text}” không đúng dạng dd/mm/yyyy")
    if row.updated_on is not None:
        if row.status is None:
            row.problems.append("có ngày cập nhật nhưng không có tình trạng")
        elif row.updated_on < starts_on:
            row.problems.append(f"ngày cập nhật {row.updated_on:%d/%m/%Y} trước ngày bắt đầu kế hoạch "
                                f"{starts_on:%d/%m/%Y}")
        elif row.updated_on > now().date():
            row.problems.append(f"ngày cập nhật {row.updated_on:%d/%m/%Y} ở tương lai")


def _check_lengths(row: _Row) -> None:
    for label, value in (("Nhiệm vụ", row.title), ("Sản phẩm/Kết quả", row.product),
                         ("Cơ quan phối hợp", row.coordinators)):
        if len(value) > MAX_TEXT:
            row.problems.append(f"cột “{label}” dài quá {MAX_TEXT} ký tự")


def _number(row: _Row, section: str | None, seen: dict, numbered: dict, last_numbered: dict) -> None:
    """Check the printed STT and find a sub-item's parent: "2.1" under 2, "a)" under the last
    numbered task of its section. STTs are unique among top-level tasks of a section and among
    the sub-items of one parent."""
    stt = row.stt
    if not stt:
        row.problems.insert(0, "thiếu STT")
        return
    if NUMBERED_STT.match(stt):
        stt = row.stt = stt.rstrip(".")
        if "." in stt:
            parent_stt = stt.rsplit(".", 1)[0]
            row.parent = numbered.get((section, parent_stt))
            if row.parent is None:
                row.problems.insert(0, f"mục con {stt} không có nhiệm vụ {parent_stt} đứng trước")
        else:
            last_numbered[section] = row
        numbered.setdefault((section, stt), row)
    elif LETTERED_STT.match(fold(stt)):
        row.parent = last_numbered.get(section)
        if row.parent is None:
            row.problems.insert(0, f"mục con {stt} không có nhiệm vụ đứng trước")
    else:
        row.problems.insert(0, f"STT “{stt}” không hợp lệ")
        return
    if row.parent is not None:
        row.kind = "sub_item"
        if not row.deadline.text:  # a sub-item without a deadline has its task's
            row.deadline = Deadline("", row.parent.deadline.kind, row.parent.deadline.due_date)
            row.deadline_inherited = True
    key = (row.parent if row.parent is not None else section, stt)
    if key in seen:
        row.problems.append(f"STT {stt} trùng với dòng {seen[key]}")
    else:
        seen[key] = row.line


def _letter_parts(heading: _Row) -> None:
    """Label the parts "a", "b", ..., "z", "aa", ... in their printed order."""
    for index, part in enumerate(heading.parts):
        label = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            label = chr(ord("a") + rest) + label
        part.stt = label


def _heading_deadline(heading: _Row) -> None:
    """A heading without a printed deadline of its own is due when its last part is."""
    if heading.deadline.text and not _carries_first_part(heading):
        return
    dated = [p.deadline for p in heading.parts if p.deadline.due_date is not None]
    kinds = {p.deadline.kind for p in heading.parts}
    if dated:
        latest = max(dated, key=lambda d: d.due_date)
        heading.deadline = Deadline("", latest.kind, latest.due_date)
    else:
        heading.deadline = Deadline("", kinds.pop() if len(kinds) == 1 else DeadlineKind.UNPARSED, None)
    heading.deadline_inherited = True


def _open_section(sections: dict[str, tuple[str, str]], text: str) -> str:
    match = SECTION_IN_TEXT.match(text.strip())
    code, title = (match[1], match[2].strip()) if match and is_roman(match[1]) else ("", text.strip())
    if not match and is_roman(text):  # a section row without its name (refused by the caller)
        code, title = text.strip().rstrip("."), ""
    key = fold(title) or fold(code)
    sections.setdefault(key, (code, title))
    return key


def _counts(parsed: ParsedPlan) -> PlanCounts:
    tasks = parsed.tasks
    return PlanCounts(
        sections=len(parsed.sections),
        tasks=sum(row.parent is None for row in tasks),
        headings=sum(row.kind == "heading" for row in tasks),
        parts=sum(row.kind == "part" for row in tasks),
        sub_items=sum(row.parent is not None and row.kind != "part" for row in tasks),
        unparsed_deadlines=[_unparsed(row) for row in tasks if row.deadline.needs_review and not row.deadline_inherited],
        unused_columns=[header for _, header in parsed.mapping.unused],
    )


def _unparsed(row: _Row) -> str:
    return f"{row.label}: “{row.deadline.text}”" if row.deadline.text else f"{row.label}: (không ghi thời hạn)"


# ---- The database's part -------------------------------------------------------------------------

def _existing_plan_error(session: Session, province: Province, spec: PlanSpec) -> RowError | None:
    existing = session.scalar(select(Plan.id).where(
        Plan.province_id == province.id, Plan.year == spec.year, Plan.title == spec.title.strip()
    ))
    if existing is None:
        return None
    return RowError(0, f"Kế hoạch “{spec.title}” năm {spec.year} của {spec.province} đã có (mã {existing}); "
                       "không nhập trùng.")


def _resolve_agencies(directory: AgencyDirectory, rows: list[_Row], create: bool,
                      errors: list[RowError], *, add: bool) -> list[str]:
    """Attach agencies to rows; unknown names are errors unless `create`, and then added (kind
    other) when `add`."""
    unknown_lines: dict[str, list[int]] = {}
    for row in rows:
        for name in sum(_attach_agencies(directory, row), []):
            unknown_lines.setdefault(name, []).append(row.line)
    if unknown_lines and not create:
        errors.extend(unknown_agency_errors(unknown_lines))
        return []
    if add:
        for name in unknown_lines:
            directory.add(name, kind="other")
    for row in rows:
        if unknown_lines and add:
            _attach_agencies(directory, row)
        errors.extend(RowError(row.line, _empty_group_reason(lead) + ".") for lead in _empty_groups(directory, row))
    return list(unknown_lines)


def unknown_agency_errors(unknown_lines: dict[str, list[int]]) -> list[RowError]:
    """One error per unknown agency name, at its first line, listing every line that uses it."""
    return [
        RowError(lines[0], f"cơ quan chưa có trong danh mục: “{name}” "
                           f"(các dòng {', '.join(map(str, lines))}); "
                           "thêm vào danh mục (trang Cơ quan, đơn vị), hoặc chọn thêm các cơ quan chưa có khi nhập "
                           "(lệnh: --create-agencies).")
        for name, lines in unknown_lines.items()
    ]


def _attach_agencies(directory: AgencyDirectory, row: _Row) -> tuple[list[str], list[str]]:
    """Resolve the row's lead and coordinating agencies; returns the unknown names of each."""
    leads = directory.resolve(row.lead)
    coordinating = directory.resolve(row.coordinators)
    row.leads, row.coordinating = leads.agencies, coordinating.agencies
    return leads.unknown, coordinating.unknown


def _empty_groups(directory: AgencyDirectory, row: _Row) -> list[Agency]:
    return [lead for lead in row.leads if lead.is_group and not directory.expand(lead)]


def _empty_group_reason(group: Agency) -> str:
    return f"nhóm “{group.name}” chưa có cơ quan thành viên nên không chia được nhiệm vụ cho từng cơ quan"


def _resolved(directory: AgencyDirectory, agencies: list[Agency], unknown: list[str]) -> str:
    """Agencies as the directory knows them: "Sở KH&CN" → its name, a group → its members."""
    pieces = []
    for agency in agencies:
        if not agency.is_group:
            pieces.append(agency.name)
            continue
        members = directory.expand(agency)
        shown = (", ".join(m.name for m in members) if 0 < len(members) <= 3
                 else f"{len(members)} cơ quan" if members else "chưa có cơ quan thành viên")
        pieces.append(f"{agency.name} → {shown}")
    pieces += [f"“{name}” (chưa có trong danh mục)" for name in unknown]
    return "; ".join(pieces)


def _preview_row(index: int, row: _Row, sections: dict[str, tuple[str, str]], problems: list[str],
                 resolved: tuple[str, str] | None) -> dict:
    code, title = sections.get(row.section_key, ("", ""))
    status = STATUS_LABELS[row.status] if row.status else row.status_text
    if row.remark:
        status += f" ({row.remark})"
    shows_deadline = row.kind != "section"
    return {
        "row_id": str(index),  # the grid's row id (layouts.grid)
        "line": row.line,
        "section": f"{code}. {title}" if code and title else code or title,
        "stt": row.stt,
        "kind": KIND_LABELS[row.kind],
        "title": row.title,
        "lead_text": row.lead,
        "leads": resolved[0] if resolved else "",
        "coordinators_text": row.coordinators,
        "coordinators": resolved[1] if resolved else "",
        "deadline": row.deadline.text,
        "due_date": f"{row.deadline.due_date:%d/%m/%Y}" if row.deadline.due_date else "",
        "deadline_kind": DEADLINE_KIND_LABELS[row.deadline.kind] if shows_deadline else "",
        "status": status,
        "problems": "; ".join(problems),
    }


def _apply_imported_status(session: Session, assignment: Assignment, row: _Row,
                           recorded_at: datetime, user_id: int | None) -> None:
    effective = datetime.combine(row.updated_on, datetime.min.time()) if row.updated_on else recorded_at
    changes = {"status": row.status.value, "note": row.remark, "delay_reason": row.reason}
    if row.status is Status.DONE:
        changes |= {"progress": 100, "completed_on": effective.date()}
    apply_assignment_change(session, assignment, changes, when=effective, recorded_at=recorded_at,
                            user_id=user_id, source="import")
