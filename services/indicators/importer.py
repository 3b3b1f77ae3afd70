"""Import of a plan's targets (Phụ lục 01 layout) and of the values reported for them, all-or-nothing.

Columns are found by their Vietnamese headers: Nhóm, STT, Tên mục tiêu (or Mục tiêu / Chỉ tiêu),
Đơn vị tính, Kết quả năm trước (or "Kết quả năm 2025" before the plan year), Mục tiêu năm (or
"Mục tiêu" beside "Tên mục tiêu", "Kế hoạch năm 2026"), Cơ quan chủ trì, Cơ quan theo dõi, and
optionally Kỳ báo cáo, Kết quả (or "Kết quả Quý II/2026", whose header names the period), Đánh giá,
Nguồn số liệu, Chiều đánh giá.

A row naming an indicator the plan already has (same name, diacritics, case and "tỉ/tỷ" aside)
updates it instead of adding a twin: importing one file twice changes nothing, and a table of
results for a period adds its values to the targets loaded before. Every row is checked before
anything is written; one bad row refuses the file and every bad row is named with its reason.

The file is read (bounded, `read_rows`) before any transaction. A row is read against the targets
the plan already has, so `check_indicators` does that in a read session, and `write_indicators`
does it again in the write transaction (a target may have changed meanwhile), then writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Indicator, IndicatorAgency, IndicatorValue, Plan, Province, Section
from services.common.clock import now, today
from services.common.text import fold
from services.indicators.achievement import InvalidValue, TargetKind, parse_assessment, parse_target
from services.indicators.updates import ValueEntry, new_value_row, period_problem, read_value, record_value
from services.plans.agencies import AgencyDirectory
from services.plans.importer import SECTION_IN_TEXT, is_roman, unknown_agency_errors
from services.plans.spreadsheet import Column, ImportFailed, RowError, cell, map_columns, read_rows
from services.reporting.periods import InvalidPeriod, Period, parse_period
from services.tasks.history import apply_changes

NUMBERED = re.compile(r"^\d+(\.\d+)*\.?$")
DETAIL_STT = re.compile(r"^([-+*•–]|[a-zđ]\)?)$")  # breakdown lines under a target ("- Tổng số TTHC ...")
_YEAR_RESULT = re.compile(r"^(?:ket qua|thuc hien|kq|th)(?: nam)? (\d{4})$")
_TARGET = re.compile(r"^(?:muc tieu|ke hoach|chi tieu|kh)(?: ke hoach| giao)?(?: nam)?(?: \d{4})?$")
_VALUE = re.compile(r"^(?:ket qua(?: thuc hien| dat duoc)?|(?:uoc )?thuc hien|uoc dat|uoc th|kq|th)(?: (.+))?$")
_DIRECTIONS = {"cang cao cang tot": True, "tang": True, "cao hon la tot": True,
               "cang thap cang tot": False, "giam": False, "thap hon la tot": False}


def indicator_key(name: str) -> str:
    """Matching key for indicator names: folded, and "tỉ lệ" = "tỷ lệ"."""
    return re.sub(r"\bti\b", "ty", fold(name)).strip(" .;:")


def header_period(header: str, plan_year: int) -> Period | None:
    """The period a result column's header names ("Kết quả 6 tháng đầu năm 2026"), in the plan year."""
    match = _VALUE.match(header)
    if not match or not match[1]:
        return None
    try:
        period = parse_period(match[1])
    except InvalidPeriod:
        return None
    return period if period.year == plan_year else None


def _columns(plan_year: int) -> list[Column]:
    def is_baseline(header: str) -> bool:
        match = _YEAR_RESULT.match(header)
        return bool(match) and int(match[1]) < plan_year

    def is_value(header: str) -> bool:
        match = _VALUE.match(header)
        return bool(match) and (not match[1] or header_period(header, plan_year) is not None)

    return [
        Column("group", ("nhom", "nhom muc tieu", "linh vuc"), required=False),
        Column("stt", ("stt", "tt", "so tt")),
        Column("name", ("ten muc tieu", "ten chi tieu", "muc tieu, chi tieu", "ten muc tieu, chi tieu", "chi tieu",
                        "noi dung", "noi dung chi tieu", "muc tieu")),
        Column("unit", ("don vi tinh", "dvt", "don vi"), required=False),
        Column("baseline", ("ket qua nam truoc", "thuc hien nam truoc"), required=False, matches=is_baseline),
        Column("target", (), required=False, matches=_TARGET.match),
        Column("lead", ("co quan chu tri", "co quan, don vi, dia phuong chu tri", "co quan, don vi chu tri",
                        "don vi chu tri"), required=False, prefix=True),
        Column("monitor", ("co quan theo doi", "co quan tong hop", "don vi theo doi"), required=False, prefix=True),
        Column("period", ("ky bao cao", "ky"), required=False),
        Column("value", (), required=False, matches=is_value),
        Column("assessment", ("danh gia",), required=False, prefix=True),
        Column("note", ("nguon so lieu", "nguon", "ghi chu"), required=False),
        Column("direction", ("chieu danh gia", "chieu"), required=False),
    ]


@dataclass
class _Row:
    line: int
    key: str
    stt: str
    section: str | None
    definition: dict[str, str]  # the indicator's printed cells the file fills (name only when new)
    higher_is_better: bool | None
    entries: list[ValueEntry] = field(default_factory=list)


@dataclass
class IndicatorImportSummary:
    plan_id: int
    indicators: int = 0
    created: int = 0
    updated: int = 0
    values: int = 0
    sections: int = 0
    created_agencies: list[str] = field(default_factory=list)
    ignored_lines: list[int] = field(default_factory=list)  # breakdown lines, not targets
    ignored_assessments: list[int] = field(default_factory=list)  # numeric targets are assessed by number


def import_indicators(session: Session, plan: Plan, path: str | Path, *, create_agencies: bool = False,
                      period: Period | None = None, user_id: int | None = None) -> IndicatorImportSummary:
    """Add or update the plan's indicators and values from `path`, in the caller's transaction (the
    demo, tests). Raises ImportFailed. `period` is the reporting period of a "Kết quả" column whose
    rows and header name none."""
    return write_indicators(session, plan, read_rows(path), create_agencies=create_agencies, period=period,
                            user_id=user_id)


@dataclass
class CheckedIndicators:
    """The rows of a file read against the plan, and what writing them needs."""
    rows: list[_Row]
    existing: dict[str, Indicator]
    directory: AgencyDirectory
    unknown: list[str]  # agency names to create
    silent: set[str]  # fields the file says nothing of
    summary: IndicatorImportSummary


def check_indicators(session: Session, plan: Plan, rows: list[tuple[int, list[str]]], *,
                     create_agencies: bool = False, period: Period | None = None) -> CheckedIndicators:
    """Read every row of the file (`read_rows`) against the plan, its indicators and the agency
    directory, writing nothing. Raises ImportFailed listing every bad row."""
    header_line, mapping, body = map_columns(rows, _columns(plan.year))
    header = [fold(c) for c in next(cells for number, cells in rows if number == header_line)]
    # The "Kết quả" column, and beside it any column whose header names a period of the plan year.
    value_columns = [(index, header_period(text, plan.year)) for index, text in enumerate(header)
                     if index == mapping.get("value")
                     or (index not in mapping.values() and header_period(text, plan.year) is not None)]
    existing = {indicator_key(i.name): i
                for i in session.scalars(select(Indicator).where(Indicator.plan_id == plan.id))}
    directory = AgencyDirectory(session, session.get(Province, plan.province_id))
    reader = _RowReader(plan, mapping, value_columns, existing, period)
    errors: list[RowError] = []
    unknown: dict[str, list[int]] = {}
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    section: str | None = None
    for line, cells in body:
        get = lambda name: cell(cells, mapping, name)  # noqa: E731
        stt, name = get("stt"), get("name")
        if fold(stt) in ("stt", "tt"):
            continue  # a header repeated on every printed page
        if get("group"):
            section = get("group")
        describes = any(get(f) for f in ("target", "lead", "monitor", "unit", "baseline", "assessment")) or \
            any(cells[i] for i, _ in value_columns if i < len(cells))
        if is_roman(stt) and not describes:
            section = f"{stt.rstrip('.')} {name}"
            continue
        if not stt and not describes and SECTION_IN_TEXT.match(name):
            section = name
            continue
        if DETAIL_STT.match(fold(stt)) or (not stt and not name):
            reader.summary.ignored_lines.append(line)
            continue
        problems: list[str] = []
        row = reader.read(line, cells, section, problems)
        if row is not None and row.key in seen:
            problems.append(f"trùng tên mục tiêu với dòng {seen[row.key]}")
        for text in (get("lead"), get("monitor")):
            for missing in directory.resolve(text).unknown:
                unknown.setdefault(missing, []).append(line)
        if problems:
            errors.append(RowError(line, "; ".join(problems) + "."))
            continue
        seen[row.key] = line
        parsed.append(row)
    if unknown and not create_agencies:
        errors.extend(unknown_agency_errors(unknown))
    if not parsed and not errors:
        errors.append(RowError(header_line, "Tệp không có mục tiêu nào dưới dòng tiêu đề."))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    # Without the column the file says nothing of notes or assessments: keep what was entered.
    silent = {f for f, column in (("source_note", "note"), ("assessment", "assessment")) if column not in mapping}
    return CheckedIndicators(parsed, existing, directory, list(unknown), silent, reader.summary)


def write_indicators(session: Session, plan: Plan, rows: list[tuple[int, list[str]]], *,
                     create_agencies: bool = False, period: Period | None = None,
                     user_id: int | None = None) -> IndicatorImportSummary:
    """Check the file's rows again in the write transaction and write them. Raises ImportFailed."""
    checked = check_indicators(session, plan, rows, create_agencies=create_agencies, period=period)
    for name in checked.unknown:
        checked.directory.add(name, kind="other")
    checked.summary.created_agencies = checked.unknown
    _write(session, plan, checked.rows, checked.existing, checked.directory, checked.summary, checked.silent,
           user_id)
    return checked.summary


LIMITS = {"unit": ("Đơn vị tính", 60), "baseline_text": ("Kết quả năm trước", 120),
          "target_text": ("Mục tiêu năm", 120)}


class _RowReader:
    """Checks one row at a time against the plan, the header and the indicators already loaded."""

    def __init__(self, plan: Plan, mapping: dict[str, int], value_columns: list[tuple[int, Period | None]],
                 existing: dict[str, Indicator], default_period: Period | None):
        self.plan, self.mapping, self.value_columns = plan, mapping, value_columns
        self.existing, self.default_period = existing, default_period
        self.summary = IndicatorImportSummary(plan.id)

    def read(self, line: int, cells: list[str], section: str | None, problems: list[str]) -> _Row | None:
        """The row's definition and values; what is wrong goes to `problems`."""
        def get(name: str) -> str:
            return cell(cells, self.mapping, name)

        stt, name = get("stt").rstrip("."), get("name")
        if not NUMBERED.match(stt):
            problems.append(f"STT “{stt}” không hợp lệ" if stt else "thiếu STT")
        if not name:
            problems.append("thiếu tên mục tiêu")
            return None
        known = self.existing.get(indicator_key(name))
        definition = {field_name: get(column) for field_name, column in (
            ("unit", "unit"), ("baseline_text", "baseline"), ("target_text", "target"), ("lead_text", "lead"),
            ("monitor_text", "monitor")) if get(column)}
        if known is None:
            definition["name"] = name
        for field_name, (label, limit) in LIMITS.items():
            if len(definition.get(field_name, "")) > limit:
                problems.append(f"cột “{label}” dài quá {limit} ký tự")
        target_text = definition.get("target_text") or (known.target_text if known else "")
        if not target_text:
            problems.append("thiếu mục tiêu năm")
        target = parse_target(target_text)
        direction = None
        if get("direction"):
            direction = _DIRECTIONS.get(fold(get("direction")))
            if direction is None:
                problems.append(f"chiều đánh giá “{get('direction')}” không phải Càng cao càng tốt / "
                                "Càng thấp càng tốt")
        elif known is None:
            direction = not target.lower_is_better
        return _Row(line, indicator_key(name), stt, section, definition, direction,
                    self._entries(line, get, cells, target, problems))

    def _entries(self, line, get, cells, target, problems) -> list[ValueEntry]:
        try:
            assessment = parse_assessment(get("assessment"))
        except ValueError:
            assessment = None
            problems.append(f"đánh giá “{get('assessment')}” không phải Đạt / Không đạt")
        if assessment is not None and target.kind is TargetKind.NUMBER:
            self.summary.ignored_assessments.append(line)
            assessment = None
        row_period = None
        if get("period"):
            try:
                row_period = parse_period(get("period"))
            except InvalidPeriod as exc:
                problems.append(str(exc).rstrip("."))
        entries = []
        for position, (index, named) in enumerate(self.value_columns):
            text = cells[index] if index < len(cells) else ""
            given = assessment if position == len(self.value_columns) - 1 else None  # "Đánh giá": the last column
            if not text and given is None:
                continue
            period = named or row_period or self.default_period
            if period is None:
                problems.append("có kết quả nhưng không rõ kỳ báo cáo: thêm cột “Kỳ báo cáo” hoặc dùng --period")
                continue
            if problem := period_problem(self.plan, period, today()):
                problems.append(problem.rstrip("."))
                continue
            try:
                reading, estimate = read_value(text, target)
            except InvalidValue as exc:
                problems.append(f"kết quả “{text}”: {str(exc).rstrip('.')}")
                continue
            entry = ValueEntry(period, reading, estimate, given, get("note"))
            if entry.has_data:
                entries.append(entry)
        return entries


def _write(session: Session, plan: Plan, rows: list[_Row], existing: dict[str, Indicator],
           directory: AgencyDirectory, summary: IndicatorImportSummary, silent: set[str],
           user_id: int | None) -> None:
    when = now()
    log = {"when": when, "recorded_at": when, "user_id": user_id, "source": "import"}
    sections = _SectionMaker(session, plan)
    position = (session.scalar(select(func.max(Indicator.position)).where(Indicator.plan_id == plan.id)) or 0) + 1
    for row in rows:
        changes = dict(row.definition)
        if row.higher_is_better is not None:
            changes["higher_is_better"] = row.higher_is_better
        indicator = existing.get(row.key)
        if indicator is None:  # loading the plan is not a change to it: the log starts from here
            indicator = Indicator(plan_id=plan.id, stt=row.stt, position=position,
                                  section_id=sections.id_for(row.section), **changes)
            session.add(indicator)
            session.flush()
            existing[row.key] = indicator
            position += 1
            summary.created += 1
        elif apply_changes(session, "indicator", indicator, _differences(session, directory, indicator, changes),
                           **log):
            summary.updated += 1
        for role, text_field in (("lead", "lead_text"), ("monitor", "monitor_text")):
            if text_field in changes:
                _link_agencies(session, indicator, role, directory.resolve(getattr(indicator, text_field)).agencies)
        for entry in row.entries:
            value = session.scalar(select(IndicatorValue).where(
                IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == entry.period.key))
            value = value or new_value_row(indicator, entry.period, when, user_id)
            changes = {k: v for k, v in entry.changes().items() if k not in silent}
            summary.values += bool(record_value(session, value, changes, **log))
        summary.indicators += 1
    summary.sections = sections.created
    session.flush()


def _differences(session: Session, directory: AgencyDirectory, indicator: Indicator, changes: dict) -> dict:
    """What a file really changes in a known indicator: "90" for "90%", "Sở KH&CN" for "Sở Khoa học
    và Công nghệ" or "Đvt" in other case say the same thing and are left as first printed."""
    def same(field_name: str, new) -> bool:
        old = getattr(indicator, field_name)
        if field_name in ("target_text", "baseline_text"):
            a, b = parse_target(old), parse_target(new)
            return (a.kind, a.number, a.levels, a.lower_is_better, fold(a.text) if a.kind is TargetKind.TEXT else "") \
                == (b.kind, b.number, b.levels, b.lower_is_better, fold(b.text) if b.kind is TargetKind.TEXT else "")
        if field_name in ("lead_text", "monitor_text"):
            role = "lead" if field_name == "lead_text" else "monitor"
            linked = set(session.scalars(select(IndicatorAgency.agency_id).where(
                IndicatorAgency.indicator_id == indicator.id, IndicatorAgency.role == role)))
            return linked == {agency.id for agency in directory.resolve(new).agencies}
        if field_name == "unit":
            return fold(old) == fold(new)
        return old == new

    return {name: value for name, value in changes.items() if not same(name, value)}


class _SectionMaker:
    """The plan's indicator sections by title, created on first use ("I Hạ tầng và nền tảng số")."""

    def __init__(self, session: Session, plan: Plan):
        self.session, self.plan = session, plan
        self.by_title = {fold(s.title): s for s in session.scalars(
            select(Section).where(Section.plan_id == plan.id, Section.appendix == "indicators"))}
        self.next_position = max((s.position for s in self.by_title.values()), default=0) + 1
        self.created = 0

    def id_for(self, text: str | None) -> int | None:
        if not text:
            return None
        match = SECTION_IN_TEXT.match(text)
        code, title = (match[1], match[2].strip()) if match and is_roman(match[1]) else ("", text.strip())
        if fold(title) not in self.by_title:
            section = Section(plan_id=self.plan.id, appendix="indicators", code=code, title=title,
                              position=self.next_position)
            self.session.add(section)
            self.session.flush()
            self.by_title[fold(title)] = section
            self.next_position += 1
            self.created += 1
        return self.by_title[fold(title)].id


def _link_agencies(session: Session, indicator: Indicator, role: str, agencies) -> None:
    """The indicator's lead or monitoring agencies become exactly `agencies`."""
    links = session.scalars(select(IndicatorAgency).where(
        IndicatorAgency.indicator_id == indicator.id, IndicatorAgency.role == role)).all()
    wanted = {agency.id for agency in agencies}
    for link in links:
        if link.agency_id not in wanted:
            session.delete(link)
    for agency_id in wanted - {link.agency_id for link in links}:
        session.add(IndicatorAgency(indicator_id=indicator.id, agency_id=agency_id, role=role))
