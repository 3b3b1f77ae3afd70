"""Import of a plan's task appendix (Phụ lục 02 layout) from .xlsx or .csv, all-or-nothing.

Every row is checked before anything is written; one bad row refuses the whole file and every bad
row is named with its line and reason. The caller's transaction makes a crash leave nothing.

Three steps, so that the write lock is held only while writing: `parse_plan` reads and checks the
file without the database, `check_plan` adds what the database decides (an existing plan, unknown
agencies) in a read session, and `write_plan`, in the write transaction, checks that again (the
directory may have changed meanwhile) and writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, Province, Section, Task, TaskCoordinator
from services.common.clock import now
from services.common.text import fold
from services.plans.agencies import AgencyDirectory, get_or_create_province
from services.plans.deadlines import Deadline, DeadlineKind, parse_date, parse_deadline
from services.plans.spreadsheet import (
    Column,
    ImportFailed,
    RowError,
    cell,
    map_columns,
    read_rows,
)
from services.plans.statuses import Status, UnknownStatus, parse_status
from services.tasks.history import apply_assignment_change, open_first_state

TASK_COLUMNS = [
    Column("group", ("nhom", "nhom nhiem vu", "linh vuc"), required=False),
    Column("stt", ("stt", "tt", "so tt", "so thu tu")),
    Column("title", ("nhiem vu", "nhiem vu cu the", "ten nhiem vu", "noi dung nhiem vu")),
    Column("lead", ("co quan chu tri", "don vi chu tri", "co quan, don vi chu tri")),
    Column("coordinators", ("co quan phoi hop", "don vi phoi hop"), required=False),
    Column("deadline", ("thoi han hoan thanh", "thoi han", "thoi gian hoan thanh")),
    Column("product", ("san pham/ket qua", "san pham / ket qua", "san pham", "ket qua/san pham",
                       "san pham, ket qua", "san pham dau ra", "san pham/ket qua dau ra")),
    Column("status", ("tinh trang", "tinh trang thuc hien", "trang thai"), required=False),
    Column("reason", ("ly do chua hoan thanh", "ly do"), required=False, prefix=True),
    Column("updated_on", ("ngay cap nhat",), required=False),
]

ROMAN = re.compile(r"^(?=[ivxlc]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
SECTION_IN_TEXT = re.compile(r"^([IVXLC]+)\s*[.:\-–]?\s+(.+)$")
NUMBERED_STT = re.compile(r"^\d+(\.\d+)*\.?$")
LETTERED_STT = re.compile(r"^[a-zđ]\)?$")
MAX_TEXT = 5000
@dataclass
class PlanSpec:
    province: str
    year: int
    title: str
    issued_on: date | None = None
    document_number: str | None = None
    reporting_cadence: str = "monthly"
    report_deadline_day: int = 20


@dataclass
class _Row:
    line: int
    stt: str
    title: str
    lead: str
    coordinators: str
    deadline: Deadline
    product: str
    section_key: str | None
    parent_line: int | None = None
    status: Status | None = None
    remark: str = ""
    reason: str = ""
    updated_on: date | None = None
    leads: list[Agency] = field(default_factory=list)
    coordinating: list[Agency] = field(default_factory=list)


@dataclass
class ImportSummary:
    plan_id: int
    sections: int
    tasks: int
    sub_items: int
    assignments: int
    assignments_from_groups: int
    unparsed_deadlines: list[str]
    created_agencies: list[str]


def is_roman(text: str) -> bool:
    return bool(text) and bool(ROMAN.match(fold(text).rstrip(".")))


@dataclass
class ParsedPlan:
    """A task appendix read and checked without the database; `errors` are its bad rows."""
    spec: PlanSpec
    starts_on: date
    sections: dict[str, tuple[str, str]]  # key → (code, title), in order of appearance
    rows: list[_Row]
    errors: list[RowError]


def import_plan(
    session: Session, path: str | Path, spec: PlanSpec, *, create_agencies: bool = False,
    user_id: int | None = None,
) -> ImportSummary:
    """Create the plan described by `spec` from the file at `path`, in the caller's transaction
    (the demo, tests). Raises ImportFailed."""
    return write_plan(session, parse_plan(path, spec), create_agencies=create_agencies, user_id=user_id)


def parse_plan(path: str | Path, spec: PlanSpec) -> ParsedPlan:
    """Read and check the file (bounded, see services.plans.spreadsheet). Raises ImportFailed for a file
    that cannot be read or has no header; bad rows are collected, to be listed with the rest."""
    header_line, mapping, body = map_columns(read_rows(path), TASK_COLUMNS)
    starts_on = min(date(spec.year, 1, 1), spec.issued_on or date(spec.year, 1, 1))
    errors: list[RowError] = []
    sections: dict[str, tuple[str, str]] = {}
    rows = _parse_rows(body, mapping, spec.year, starts_on, sections, errors)
    if not rows and not errors:
        errors.append(RowError(header_line, "Tệp không có nhiệm vụ nào dưới dòng tiêu đề."))
    return ParsedPlan(spec, starts_on, sections, rows, errors)


def check_plan(session: Session, parsed: ParsedPlan, *, create_agencies: bool = False) -> None:
    """Refuse, without writing, what the database already tells: the plan exists, agencies are
    unknown, a group has no members. Raises ImportFailed listing every problem. A province not yet
    in the database is left to `write_plan`, which creates it."""
    province = session.scalar(select(Province).where(Province.name == parsed.spec.province.strip()))
    errors = list(parsed.errors)
    if province is not None:
        _refuse_existing_plan(session, province, parsed.spec)
        _resolve_agencies(AgencyDirectory(session, province), parsed.rows, create_agencies, errors, add=False)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))


def write_plan(session: Session, parsed: ParsedPlan, *, create_agencies: bool = False,
               user_id: int | None = None) -> ImportSummary:
    """Check `parsed` against the database again and write the plan. Raises ImportFailed."""
    spec, starts_on, sections, rows = parsed.spec, parsed.starts_on, parsed.sections, parsed.rows
    province = get_or_create_province(session, spec.province)
    _refuse_existing_plan(session, province, spec)
    directory = AgencyDirectory(session, province)
    errors = list(parsed.errors)
    created = _resolve_agencies(directory, rows, create_agencies, errors, add=True)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))

    recorded_at = now()
    plan = Plan(
        province_id=province.id, year=spec.year, title=spec.title.strip(),
        document_number=spec.document_number, issued_on=spec.issued_on, starts_on=starts_on,
        reporting_cadence=spec.reporting_cadence, report_deadline_day=spec.report_deadline_day,
        created_at=recorded_at,
    )
    session.add(plan)
    session.flush()
    section_ids = {}
    for position, (key, (code, title)) in enumerate(sections.items(), 1):
        section = Section(plan_id=plan.id, appendix="tasks", code=code, title=title, position=position)
        session.add(section)
        session.flush()
        section_ids[key] = section.id

    summary = ImportSummary(plan.id, len(sections), 0, 0, 0, 0, [], created)
    task_by_line: dict[int, Task] = {}
    plan_start = datetime.combine(starts_on, datetime.min.time())
    for position, row in enumerate(rows, 1):
        parent = task_by_line.get(row.parent_line) if row.parent_line else None
        deadline = row.deadline
        if parent is not None and not row.deadline.text:
            deadline = Deadline("", DeadlineKind(parent.deadline_kind), parent.due_date)
        task = Task(
            plan_id=plan.id, section_id=section_ids.get(row.section_key), parent_id=parent.id if parent else None,
            stt=row.stt, position=position, title=row.title, lead_text=row.lead,
            coordinators_text=row.coordinators, deadline_text=row.deadline.text,
            due_date=deadline.due_date, deadline_kind=deadline.kind.value, expected_product=row.product,
        )
        session.add(task)
        session.flush()
        task.root_id = parent.root_id if parent else task.id
        task_by_line[row.line] = task
        if parent:
            summary.sub_items += 1
        else:
            summary.tasks += 1
        if deadline.needs_review and parent is None:
            summary.unparsed_deadlines.append(f"{row.stt}: “{row.deadline.text}”")
        for agency in row.coordinating:
            session.add(TaskCoordinator(task_id=task.id, agency_id=agency.id))
        for lead in row.leads:
            for member in directory.expand(lead):
                if any(a.agency_id == member.id for a in task.assignments):
                    continue
                task.assignments.append(Assignment(
                    task_id=task.id, agency_id=member.id,
                    via_group_id=lead.id if lead.is_group else None,
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


def _refuse_existing_plan(session: Session, province: Province, spec: PlanSpec) -> None:
    existing = session.scalar(select(Plan.id).where(
        Plan.province_id == province.id, Plan.year == spec.year, Plan.title == spec.title.strip()
    ))
    if existing is not None:
        raise ImportFailed([RowError(0, f"Kế hoạch “{spec.title}” năm {spec.year} của {spec.province} "
                                        f"đã có (mã {existing}); không nhập trùng.")])


def _parse_rows(body, mapping, year, starts_on, sections, errors) -> list[_Row]:
    rows: list[_Row] = []
    current_section: str | None = None
    seen_stt: dict[tuple[str | None, str], int] = {}
    last_numbered: dict[str | None, int] = {}
    today = now().date()
    for line, cells in body:
        get = lambda name: cell(cells, mapping, name)  # noqa: E731
        stt, title, lead = get("stt"), get("title"), get("lead")
        deadline_text, product = get("deadline"), get("product")
        if fold(stt) in ("stt", "tt"):
            continue  # a repeated header row, as on every printed page
        group = get("group")
        if group:
            current_section = _open_section(sections, group)
        task_cells_empty = not (lead or deadline_text or product)
        if is_roman(stt) and task_cells_empty:
            if not title:
                errors.append(RowError(line, f"Dòng mục {stt} thiếu tên mục (cột “Nhiệm vụ”)."))
                continue
            current_section = _open_section(sections, f"{stt.rstrip('.')} {title}")
            continue
        if not stt and task_cells_empty and SECTION_IN_TEXT.match(title):
            current_section = _open_section(sections, title)
            continue

        problems = []
        parent_line = None
        if not stt:
            problems.append("thiếu STT")
        elif NUMBERED_STT.match(stt):
            stt = stt.rstrip(".")
            if "." in stt:
                parent_stt = stt.rsplit(".", 1)[0]
                parent_line = seen_stt.get((current_section, parent_stt))
                if parent_line is None:
                    problems.append(f"mục con {stt} không có nhiệm vụ {parent_stt} đứng trước")
            else:
                last_numbered[current_section] = line
        elif LETTERED_STT.match(fold(stt)):
            parent_line = last_numbered.get(current_section)
            if parent_line is None:
                problems.append(f"mục con {stt} không có nhiệm vụ đứng trước")
        else:
            problems.append(f"STT “{stt}” không hợp lệ")
        if stt and (current_section, stt) in seen_stt:
            problems.append(f"STT {stt} trùng với dòng {seen_stt[(current_section, stt)]}")
        if not title:
            problems.append("thiếu nội dung nhiệm vụ")
        if not lead:
            problems.append("thiếu cơ quan chủ trì")
        for label, value in (("Nhiệm vụ", title), ("Sản phẩm/Kết quả", product), ("Cơ quan phối hợp", get("coordinators"))):
            if len(value) > MAX_TEXT:
                problems.append(f"cột “{label}” dài quá {MAX_TEXT} ký tự")

        status = remark = None
        if get("status"):
            try:
                parsed = parse_status(get("status"))
                status, remark = parsed.status, parsed.remark
            except UnknownStatus:
                problems.append(f"tình trạng “{get('status')}” không thuộc Chưa thực hiện / Đang thực hiện / Đã hoàn thành")
        updated_on = None
        try:
            updated_on = parse_date(get("updated_on"))
        except ValueError:
            problems.append(f"ngày cập nhật “{get('updated_on')}” không đúng dạng dd/mm/yyyy")
        if updated_on is not None:
            if status is None:
                problems.append("có ngày cập nhật nhưng không có tình trạng")
            elif updated_on < starts_on:
                problems.append(f"ngày cập nhật {updated_on:%d/%m/%Y} trước ngày bắt đầu kế hoạch {starts_on:%d/%m/%Y}")
            elif updated_on > today:
                problems.append(f"ngày cập nhật {updated_on:%d/%m/%Y} ở tương lai")

        if problems:
            errors.append(RowError(line, "; ".join(problems) + "."))
            continue
        seen_stt[(current_section, stt)] = line
        rows.append(_Row(
            line=line, stt=stt, title=title, lead=lead, coordinators=get("coordinators"),
            deadline=parse_deadline(deadline_text, year), product=product,
            section_key=current_section, parent_line=parent_line, status=status,
            remark=remark or "", reason=get("reason"), updated_on=updated_on,
        ))
    return rows


def _open_section(sections: dict[str, tuple[str, str]], text: str) -> str:
    match = SECTION_IN_TEXT.match(text.strip())
    code, title = (match[1], match[2].strip()) if match and is_roman(match[1]) else ("", text.strip())
    key = fold(title)
    sections.setdefault(key, (code, title))
    return key


def _resolve_agencies(directory: AgencyDirectory, rows: list[_Row], create: bool,
                      errors: list[RowError], *, add: bool) -> list[str]:
    """Attach agencies to rows; unknown names are errors unless `create`, and then added (kind
    other) when `add` (the write; a read session only checks)."""
    unknown_lines: dict[str, list[int]] = {}
    for row in rows:
        for name in _attach_agencies(directory, row):
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
        for lead in row.leads:
            if lead.is_group and not directory.expand(lead):
                errors.append(RowError(row.line, f"nhóm “{lead.name}” chưa có cơ quan thành viên nên "
                                                 "không chia được nhiệm vụ cho từng cơ quan."))
    return list(unknown_lines)


def unknown_agency_errors(unknown_lines: dict[str, list[int]]) -> list[RowError]:
    """One error per unknown agency name, at its first line, listing every line that uses it."""
    return [
        RowError(lines[0], f"cơ quan chưa có trong danh mục: “{name}” "
                           f"(các dòng {', '.join(map(str, lines))}); "
                           "thêm vào danh mục hoặc dùng --create-agencies.")
        for name, lines in unknown_lines.items()
    ]


def _attach_agencies(directory: AgencyDirectory, row: _Row) -> list[str]:
    leads = directory.resolve(row.lead)
    coordinating = directory.resolve(row.coordinators)
    row.leads, row.coordinating = leads.agencies, coordinating.agencies
    return leads.unknown + coordinating.unknown


def _apply_imported_status(session: Session, assignment: Assignment, row: _Row,
                           recorded_at: datetime, user_id: int | None) -> None:
    effective = datetime.combine(row.updated_on, datetime.min.time()) if row.updated_on else recorded_at
    changes = {"status": row.status.value, "note": row.remark, "delay_reason": row.reason}
    if row.status is Status.DONE:
        changes |= {"progress": 100, "completed_on": effective.date()}
    apply_assignment_change(session, assignment, changes, when=effective, recorded_at=recorded_at,
                            user_id=user_id, source="import")
