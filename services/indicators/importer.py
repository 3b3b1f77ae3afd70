"""Import of a plan's targets (Phụ lục 01, and target tables as reports print them) and of the
values reported for them, from a table of an .xlsx, .csv or .docx file, all-or-nothing.

Columns are found by their Vietnamese headers (`indicator_columns`): STT, the target's name (Tên
mục tiêu, Mục tiêu, Chỉ tiêu), Đơn vị tính, last year's result (Kết quả năm trước, or "Kết quả năm
2025" before the plan year), the year's target (Mục tiêu năm, "Mục tiêu" beside "Tên mục tiêu",
"Mục tiêu 2025", "Kế hoạch năm 2026"), Cơ quan chủ trì, Cơ quan theo dõi, and optionally Nhóm, Kỳ
báo cáo, Kết quả, Đánh giá, Nguồn số liệu, Chiều đánh giá. A target column naming another year or
another document ("Mục tiêu 2024", "Mục tiêu ĐA 08/ Nghị quyết 20") is not the plan's target.

A results column may name its period, with or without the year ("Kết quả Quý II/2026", "Kết quả 6
tháng (ước t/h)", "Ước thực hiện năm": then the plan year's), and say that its figures are
estimates ("ước"); beside the "Kết quả" column, every other column naming a period of the plan year
gives that period's values. "So sánh kế hoạch giao" is what the app computes (actual ÷ target) and
is never read. Every headed column the import leaves out is listed with the reason, never dropped
silently.

Group rows ("I | Hạ tầng và nền tảng số", "a) Phát triển hạ tầng số", a title merged across the
row) make sections; breakdown lines under a target ("- Tổng số TTHC ...") are skipped and listed.
A row naming an indicator the plan already has (same name, diacritics, case and "tỉ/tỷ" aside)
updates it instead of adding a twin: importing one file twice changes nothing, and a table of
results for a period adds its values to the targets loaded before. One bad row refuses the file,
and every bad row is named with its reason; a value it would change for a closed period (chốt số
liệu) makes its row bad.

The file is read (bounded, `read_tables`) before any transaction. A row is read against the targets
the plan already has, so `preview_indicators` does that in a read session and shows, row by row,
what the import would do; `write_indicators` does it again in the write transaction (a target may
have changed meanwhile), then writes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Indicator, IndicatorAgency, IndicatorValue, PeriodClose, Plan, Province, Section
from services.common.clock import now, today
from services.common.text import fold
from services.indicators.achievement import (
    ASSESSMENT_LABELS,
    InvalidValue,
    Target,
    TargetKind,
    display_value,
    parse_assessment,
    parse_target,
)
from services.indicators.updates import ValueEntry, new_value_row, period_problem, read_value, record_value
from services.plans.agencies import AgencyDirectory
from services.plans.catalogue import PlanArchived, ensure_open
from services.plans.importer import is_roman, pick_table, unknown_agency_errors
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
from services.publication.closing import close_from
from services.publication.published import close_covering, closed_message
from services.reporting.periods import InvalidPeriod, Period, parse_period_in_year
from services.tasks.history import apply_changes

BANDING_FIELDS = ("target_text", "higher_is_better")  # a change re-bands the target on every day
NUMBERED = re.compile(r"^\d+(\.\d+)*\.?$")
BULLET = re.compile(r"^[-+*•–]")
DETAIL_STT = re.compile(r"^([-+*•–]|[a-zđ]\)?)$")  # breakdown lines under a target ("- Tổng số TTHC ...")
GROUP_STT = re.compile(r"^[a-zđ][.)]?$", re.I)  # "a)", "b.", "A": a lettered group
# A group's title: "I. Hạ tầng và nền tảng số", "II Nhân lực số", "a) Phát triển hạ tầng số".
GROUP_IN_TEXT = re.compile(r"^(?:([IVXLC]+)\s*[.:\-–]?|([a-zđA-ZĐ])\s*[.)])\s+(.+)$")
_YEAR_RESULT = re.compile(r"^(?:ket qua|thuc hien|kq|th)(?: nam)? (\d{4})$")
_TARGET = re.compile(r"^(?:muc tieu|ke hoach|chi tieu|kh)(?: ke hoach| giao)?(?: nam)?(?: (\d{4}))?$")
_OTHER_TARGET = re.compile(r"^(?:muc tieu|chi tieu|ke hoach)\b")  # "Mục tiêu ĐA 08/ Nghị quyết 20"
_RESULT = re.compile(r"^(?:ket qua(?: thuc hien| dat duoc)?|thuc hien|kq|th)(?: (.+))?$")
_ESTIMATE_NOTE = re.compile(r"\([^)]*\buoc\b[^)]*\)")  # "(ước t/h)", "(số ước)"
_ESTIMATE_WORD = re.compile(r"\buoc(?: (?:dat|tinh|t/h|th)\b)?")  # "Ước thực hiện", "Ước đạt"
_REMARK = re.compile(r"\([^)]*\)")  # "(%)", "(ước t/h)": a header's remarks
# The app's own output: achievement = actual ÷ target ("So sánh kế hoạch giao", "Tỷ lệ đạt (%)").
_COMPUTED = re.compile(r"^(?:so sanh|so voi ke hoach|ty le (?:dat|hoan thanh|so voi)|% (?:so voi|dat|hoan thanh)"
                       r"|muc do (?:dat|hoan thanh))")
_DIRECTIONS = {"cang cao cang tot": True, "tang": True, "cao hon la tot": True,
               "cang thap cang tot": False, "giam": False, "thap hon la tot": False}
COMPUTED_REASON = "do ứng dụng tự tính (kết quả ÷ mục tiêu), không đọc từ tệp"
KIND_LABELS = {"target": "Mục tiêu", "group": "Nhóm", "detail": "Dòng chi tiết"}
ACTION_LABELS = {"new": "Thêm mới", "update": "Cập nhật", "unchanged": "Không đổi", "skipped": "Bỏ qua"}
TARGET_KIND_LABELS = {TargetKind.NUMBER: "Số", TargetKind.LEVELS: "Nhiều cấp", TargetKind.TEXT: "Chữ"}
LIMITS = {"unit": ("Đơn vị tính", 60), "baseline_text": ("Kết quả năm trước", 120),
          "target_text": ("Mục tiêu năm", 120)}


def indicator_key(name: str) -> str:
    """Matching key for indicator names: folded, and "tỉ lệ" = "tỷ lệ"."""
    return re.sub(r"\bti\b", "ty", fold(name)).strip(" .;:")


@dataclass(frozen=True)
class ResultHeader:
    """What a results column's header says: its period (None when it names none or cannot be
    read), whether its figures are estimates, and the period's words as printed (folded)."""
    period: Period | None
    estimate: bool
    named: str


def result_header(header: str, plan_year: int) -> ResultHeader | None:
    """A folded header read as a results column ("ket qua 6 thang (uoc t/h)" → the first half of
    the plan year, estimated), or None when it is not one."""
    estimate = bool(_ESTIMATE_NOTE.search(header) or _ESTIMATE_WORD.search(header))
    text = " ".join(_ESTIMATE_WORD.sub(" ", _REMARK.sub(" ", header)).split())
    match = _RESULT.match(text)
    if match is None and not estimate:
        return None
    named = (match[1] or "") if match else text
    if not named:
        return ResultHeader(None, estimate, "")
    try:
        return ResultHeader(parse_period_in_year(named, plan_year), estimate, named)
    except InvalidPeriod:
        return ResultHeader(None, estimate, named)


def indicator_columns(plan_year: int) -> list[Column]:
    """The columns of a target table for a plan of `plan_year`: which headers name the year's
    target, last year's result and the results depends on it."""
    def is_baseline(header: str) -> bool:
        match = _YEAR_RESULT.match(header)
        return bool(match) and int(match[1]) < plan_year

    def is_target(header: str) -> bool:
        match = _TARGET.match(header)
        return bool(match) and (match[1] is None or int(match[1]) == plan_year)

    def is_value(header: str) -> bool:
        result = result_header(header, plan_year)
        return result is not None and (result.period.year == plan_year if result.period else not result.named)

    return [
        Column("group", ("nhom", "nhom muc tieu", "linh vuc"), required=False, label="Nhóm, lĩnh vực"),
        Column("stt", ("stt", "tt", "so tt"), label="STT"),
        Column("name", ("ten muc tieu", "ten chi tieu", "muc tieu, chi tieu", "ten muc tieu, chi tieu", "chi tieu",
                        "noi dung", "noi dung chi tieu", "muc tieu"), label="Tên mục tiêu, chỉ tiêu"),
        Column("unit", ("don vi tinh", "dvt", "don vi"), required=False, label="Đơn vị tính"),
        Column("baseline", ("ket qua nam truoc", "thuc hien nam truoc"), required=False, matches=is_baseline,
               label="Kết quả năm trước"),
        Column("target", (), required=False, matches=is_target, label=f"Mục tiêu năm {plan_year}"),
        Column("lead", ("co quan chu tri", "co quan, don vi, dia phuong chu tri", "co quan, don vi chu tri",
                        "don vi chu tri"), required=False, prefix=True, label="Cơ quan chủ trì"),
        Column("monitor", ("co quan theo doi", "co quan tong hop", "don vi theo doi"), required=False, prefix=True,
               label="Cơ quan theo dõi, tổng hợp"),
        Column("period", ("ky bao cao", "ky"), required=False, label="Kỳ báo cáo"),
        Column("value", (), required=False, matches=is_value, label="Kết quả"),
        Column("assessment", ("danh gia",), required=False, prefix=True, label="Đánh giá (Đạt/Không đạt)"),
        Column("note", ("nguon so lieu", "nguon", "ghi chu"), required=False, label="Nguồn số liệu, ghi chú"),
        Column("direction", ("chieu danh gia", "chieu"), required=False, label="Chiều đánh giá"),
    ]


def pick_indicator_table(tables: list[Table], number: int | None, plan_year: int) -> Table:
    """The table numbered `number` (from 1), or else the first whose headers name a target table's."""
    return pick_table(tables, number, indicator_columns(plan_year))


@dataclass(frozen=True)
class ValueColumn:
    index: int
    period: Period | None  # named by the header; else the row's "Kỳ báo cáo" or the caller's
    estimate: bool  # the header says its figures are estimates ("ước")


@dataclass(frozen=True)
class UnusedColumn:
    """A headed column the import leaves out, and why (shown in the preview and the summary)."""
    index: int
    header: str  # as printed
    reason: str

    def __str__(self) -> str:
        return f"“{self.header}” ({self.reason})"


@dataclass
class IndicatorCounts:
    """What a target table does to the plan, told the same way by the preview and by the import."""
    indicators: int = 0  # targets in the table
    created: int = 0
    updated: int = 0  # known targets whose definition changes
    values: int = 0  # values added or changed
    estimates: int = 0  # of which marked as estimates
    value_periods: dict[str, int] = field(default_factory=dict)  # period label → values added or changed
    sections: int = 0  # sections created
    ignored_lines: list[int] = field(default_factory=list)  # breakdown lines, not targets
    ignored_assessments: list[int] = field(default_factory=list)  # numeric targets are assessed by number
    unused_columns: list[UnusedColumn] = field(default_factory=list)


@dataclass
class IndicatorImportSummary(IndicatorCounts):
    plan_id: int = 0
    created_agencies: list[str] = field(default_factory=list)


@dataclass
class IndicatorPreviewSummary(IndicatorCounts):
    unchanged: int = 0  # known targets the table changes nothing of
    unknown_agencies: list[str] = field(default_factory=list)
    errors: int = 0


@dataclass
class IndicatorPreview:
    """What the import would do, row by row (plain dicts for a grid), and why it would refuse."""
    mapping: ColumnMapping
    rows: list[dict]
    summary: IndicatorPreviewSummary
    errors: list[RowError]


def import_indicators(session: Session, plan: Plan, path: str | Path, *, create_agencies: bool = False,
                      period: Period | None = None, user_id: int | None = None) -> IndicatorImportSummary:
    """Add or update the plan's indicators and values from the file's target table, in the
    caller's transaction (the demo, tests). Raises ImportFailed. `period` is the reporting period
    of a "Kết quả" column whose rows and header name none."""
    table = pick_indicator_table(read_tables(path), None, plan.year)
    return write_indicators(session, plan, table, create_agencies=create_agencies, period=period, user_id=user_id)


def preview_indicators(session: Session, plan: Plan, table: Table | Sequence[TableRow], *,
                       overrides: Mapping[str, int | None] | None = None, period: Period | None = None,
                       create_agencies: bool = False) -> IndicatorPreview:
    """What `write_indicators` would do and every reason it would refuse, read-only. Raises
    ImportFailed only for a table without a header row or a wrong column mapping."""
    checked = _check(session, plan, table, overrides, period, create_agencies)
    summary = IndicatorPreviewSummary(**vars(_table_counts(checked)))
    summary.unknown_agencies = list(checked.unknown)
    summary.errors = len(checked.errors)
    actions = _dry_run(session, plan, checked, summary)
    rows = [_shown(index, row, checked, actions.get(row.line, "skipped" if row.kind == "detail" else ""))
            for index, row in enumerate(checked.rows)]
    return IndicatorPreview(checked.mapping, rows, summary, checked.errors)


def check_indicators(session: Session, plan: Plan, table: Table | Sequence[TableRow], *,
                     overrides: Mapping[str, int | None] | None = None, period: Period | None = None,
                     create_agencies: bool = False) -> IndicatorPreview:
    """The preview, refused (ImportFailed listing every problem) when it has errors."""
    preview = preview_indicators(session, plan, table, overrides=overrides, period=period,
                                 create_agencies=create_agencies)
    if preview.errors:
        raise ImportFailed(preview.errors)
    return preview


def targets_state(session: Session, plan: Plan) -> list[int]:
    """A fingerprint of the plan's targets and values: any save changes it (every save bumps a
    version), so a confirm can tell that someone entered a value after the preview was shown."""
    indicators = select(func.count(Indicator.id), func.coalesce(func.sum(Indicator.version), 0)).where(
        Indicator.plan_id == plan.id)
    values = select(func.count(IndicatorValue.id), func.coalesce(func.sum(IndicatorValue.version), 0)).join(
        Indicator, Indicator.id == IndicatorValue.indicator_id).where(Indicator.plan_id == plan.id)
    return [int(n) for n in (*session.execute(indicators).one(), *session.execute(values).one())]


def write_indicators(session: Session, plan: Plan, table: Table | Sequence[TableRow], *,
                     overrides: Mapping[str, int | None] | None = None, period: Period | None = None,
                     create_agencies: bool = False, user_id: int | None = None) -> IndicatorImportSummary:
    """Check the table again in the write transaction and write it. Raises ImportFailed, also for
    an archived plan (the command line as the page)."""
    try:
        ensure_open(plan)
    except PlanArchived as exc:
        raise ImportFailed([RowError(0, str(exc))]) from None
    checked = _check(session, plan, table, overrides, period, create_agencies)
    if checked.errors:
        raise ImportFailed(checked.errors)
    summary = IndicatorImportSummary(**vars(_table_counts(checked)), plan_id=plan.id)
    for name in checked.unknown:
        checked.directory.add(name, kind="other")
    summary.created_agencies = list(checked.unknown)
    _write(session, plan, checked, summary, user_id)
    return summary


def summary_lines(result: IndicatorPreview | IndicatorImportSummary) -> list[str]:
    """The counts in the users' words, one fact per line (the import page, the preview)."""
    counts = result.summary if isinstance(result, IndicatorPreview) else result
    lines = [f"{counts.indicators} mục tiêu: {counts.created} thêm mới, {counts.updated} cập nhật"
             + (f", {counts.unchanged} không đổi." if isinstance(counts, IndicatorPreviewSummary) else ".")]
    if counts.values:
        periods = ", ".join(f"{n} của {label}" for label, n in counts.value_periods.items())
        estimated = f" ({counts.estimates} là số ước tính)" if counts.estimates else ""
        lines.append(f"{counts.values} kết quả{estimated}: {periods}.")
    if counts.sections:
        lines.append(f"{counts.sections} nhóm mục tiêu mới.")
    if counts.ignored_lines:
        lines.append("Dòng chi tiết, không phải mục tiêu, bỏ qua: dòng "
                     + ", ".join(map(str, counts.ignored_lines)) + ".")
    if counts.ignored_assessments:
        lines.append("Đánh giá bỏ qua vì mục tiêu là số (đánh giá theo số liệu): dòng "
                     + ", ".join(map(str, counts.ignored_assessments)) + ".")
    if counts.unused_columns:
        lines.append("Cột không nhập: " + "; ".join(map(str, counts.unused_columns)) + ".")
    if isinstance(counts, IndicatorPreviewSummary):
        if counts.unknown_agencies:
            lines.append("Cơ quan chưa có trong danh mục: " + ", ".join(counts.unknown_agencies) + ".")
        if counts.errors:
            lines.append(f"{counts.errors} lỗi: chưa nhập được cho đến khi sửa hết.")
    elif counts.created_agencies:
        lines.append("Cơ quan mới tạo: " + ", ".join(counts.created_agencies) + ".")
    return lines


# ---- Reading the table ---------------------------------------------------------------------------

@dataclass(eq=False)
class _Row:
    """A body row as the import reads it: a target, a group (section) or a breakdown line."""
    line: int
    kind: str  # target | group | detail
    section: str | None
    stt: str
    name: str
    printed: dict[str, str] = field(default_factory=dict)  # the row's cells by field
    key: str = ""
    definition: dict[str, str] = field(default_factory=dict)  # the cells the file fills (name only when new)
    higher_is_better: bool | None = None
    target: Target | None = None
    entries: list[ValueEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Checked:
    """A table read against the plan, its targets and the agency directory, and what writing needs."""
    mapping: ColumnMapping
    unused: list[UnusedColumn]
    rows: list[_Row]  # every body row but repeated headers, in order
    existing: dict[str, Indicator]
    directory: AgencyDirectory
    unknown: dict[str, list[int]]  # agency names to create → their lines
    silent: set[str]  # value fields the file says nothing of
    ignored_assessments: list[int]
    errors: list[RowError]

    @property
    def targets(self) -> list[_Row]:
        return [row for row in self.rows if row.kind == "target"]


def _check(session: Session, plan: Plan, table: Table | Sequence[TableRow],
           overrides: Mapping[str, int | None] | None, period: Period | None, create_agencies: bool) -> _Checked:
    """Read every row of the table against the plan, writing nothing. Raises ImportFailed only for
    the table itself (no header row, a wrong mapping); bad rows are kept with their problems."""
    table_rows = table.rows if isinstance(table, Table) else list(table)
    columns = indicator_columns(plan.year)
    mapping = propose_mapping(table_rows, columns)
    if overrides:
        mapping = remap(mapping, columns, overrides)
        _refuse_computed(mapping)
    value_columns = _value_columns(mapping, plan.year)
    unused = _unused_columns(mapping, columns, {c.index for c in value_columns}, plan.year)
    existing = {indicator_key(i.name): i
                for i in session.scalars(select(Indicator).where(Indicator.plan_id == plan.id))}
    directory = AgencyDirectory(session, session.get(Province, plan.province_id))
    reader = _RowReader(plan, mapping.fields, value_columns, existing, period)
    header = [fold(h) for h in mapping.headers]
    rows: list[_Row] = []
    unknown: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    section: str | None = None
    for table_row in rows_below(table_rows, mapping):
        cells = table_row.cells
        if fold(_cell(cells, mapping.fields, "stt")) in ("stt", "tt") or [fold(c) for c in cells] == header:
            continue  # a header repeated on every printed page
        section = _cell(cells, mapping.fields, "group") or section
        row = reader.read(table_row.line, cells, section)
        if row.kind == "group":
            section = row.name
        if row.kind != "target":
            rows.append(row)
            continue
        if row.key in seen:
            row.problems.append(f"trùng tên mục tiêu với dòng {seen[row.key]}")
        elif row.key and not row.problems:
            seen[row.key] = row.line
        for text in (row.printed["lead"], row.printed["monitor"]):
            for missing in directory.resolve(text).unknown:
                unknown.setdefault(missing, []).append(row.line)
                if not create_agencies:
                    row.problems.append(f"cơ quan chưa có trong danh mục: “{missing}”")
        rows.append(row)
    # Without the column the file says nothing of notes or assessments: keep what was entered.
    silent = {f for f, column in (("source_note", "note"), ("assessment", "assessment"))
              if column not in mapping.fields}
    closed = _closed_values(session, plan, rows, existing, silent, directory)
    errors = [RowError(row.line, "; ".join(_own_problems(row)) + ".") for row in rows if _own_problems(row)]
    errors.extend(closed)
    if unknown and not create_agencies:
        errors.extend(unknown_agency_errors(unknown))
    if not any(row.kind == "target" for row in rows) and not errors:
        errors.append(RowError(mapping.header_line, "Bảng không có mục tiêu nào dưới dòng tiêu đề."))
    return _Checked(mapping, unused, rows, existing, directory, unknown, silent, reader.ignored_assessments,
                    sorted(errors, key=lambda e: e.line))


def _closed_values(session: Session, plan: Plan, rows: list[_Row], existing: dict[str, Indicator],
                   silent: set[str], directory: AgencyDirectory) -> list[RowError]:
    """A value the file would change for a period ending inside a closed period is a problem of its
    row (services.publication.published); so is a known target whose target or direction the file
    changes while any period is closed, as that re-bands every day (services.publication.closing).
    A new target while any period is closed too: it adds a target to every closed day's counts. One
    line per close says who may reopen it. What the file repeats unchanged is no change and passes."""
    covering: dict[date, PeriodClose | None] = {}
    closes: dict[int, PeriodClose] = {}
    any_close = close_from(session, plan)
    for row in rows:
        indicator = existing.get(row.key) if row.kind == "target" else None
        if any_close is not None and row.kind == "target" and indicator is None:
            row.problems.append("mục tiêu mới làm thay đổi số liệu của kỳ đã chốt (thêm một mục tiêu vào mọi kỳ)")
            closes[any_close.id] = any_close
        elif any_close is not None and indicator is not None and _differences(
                session, directory, indicator, {name: value for name, value in _definition_changes(row).items()
                                                if name in BANDING_FIELDS}):
            row.problems.append("mục tiêu hoặc chiều đánh giá mới làm thay đổi số liệu của kỳ đã chốt")
            closes[any_close.id] = any_close
        for entry in row.entries if row.kind == "target" else ():
            end = entry.period.end
            if end not in covering:
                covering[end] = close_covering(session, plan.id, end)
            close = covering[end]
            if close is None or (indicator is not None and not _value_differs(session, indicator, entry, silent)):
                continue
            row.problems.append(f"kết quả {entry.period.label} thuộc kỳ đã chốt số liệu")
            closes[close.id] = close
    return [RowError(0, closed_message(close)) for close in closes.values()]


def _own_problems(row: _Row) -> list[str]:
    """A row's problems but unknown agencies, which are listed once for all their lines."""
    return [p for p in row.problems if not p.startswith("cơ quan chưa có trong danh mục")]


def _cell(cells: list[str], fields: Mapping[str, int], name: str) -> str:
    index = fields.get(name)
    return cells[index] if index is not None and index < len(cells) else ""


def _refuse_computed(mapping: ColumnMapping) -> None:
    """The user may not choose a column the app computes as a column to read."""
    problems = [RowError(0, f"Ghép cột: cột “{mapping.headers[i]}” {COMPUTED_REASON}.")
                for i in sorted(mapping.fields.values()) if _COMPUTED.match(fold(mapping.headers[i]))]
    if problems:
        raise ImportFailed(problems)


def _value_columns(mapping: ColumnMapping, plan_year: int) -> list[ValueColumn]:
    """The "Kết quả" column, and beside it every other column whose header names a period of the
    plan year; none when the user leaves "Kết quả" out."""
    if "value" not in mapping.fields:
        return []
    taken = set(mapping.fields.values())
    columns = []
    for index, header in enumerate(mapping.headers):
        result = result_header(fold(header), plan_year)
        if index == mapping.fields["value"]:
            named = result.period if result and result.period and result.period.year == plan_year else None
            columns.append(ValueColumn(index, named, bool(result and result.estimate)))
        elif index not in taken and result and result.period and result.period.year == plan_year:
            columns.append(ValueColumn(index, result.period, result.estimate))
    return columns


def _unused_columns(mapping: ColumnMapping, columns: list[Column], values: set[int],
                    plan_year: int) -> list[UnusedColumn]:
    taken = set(mapping.fields.values()) | values
    return [UnusedColumn(index, header, _why_unused(fold(header), mapping, columns, plan_year))
            for index, header in enumerate(mapping.headers) if header and index not in taken]


def _why_unused(header: str, mapping: ColumnMapping, columns: list[Column], plan_year: int) -> str:
    if _COMPUTED.match(header):
        return COMPUTED_REASON
    for column in columns:
        if column.names(header) and column.field in mapping.fields:
            return f"đã chọn cột “{mapping.headers[mapping.fields[column.field]]}” làm “{column.label}”"
    if (match := _TARGET.match(header)) and match[1]:
        return f"mục tiêu năm {match[1]}, không phải năm kế hoạch {plan_year}"
    if _OTHER_TARGET.match(header):
        return f"mục tiêu theo văn bản khác, không phải mục tiêu năm {plan_year} của kế hoạch"
    if result := result_header(header, plan_year):
        if result.period is not None and result.period.year != plan_year:
            return f"kết quả {result.period.label}, ngoài năm kế hoạch {plan_year}"
        if result.period is None and result.named:
            return "không rõ kỳ báo cáo của cột kết quả (ghi rõ kỳ, ví dụ “Kết quả Quý II”)"
        return "không chọn đọc cột kết quả"
    return "không ứng với thông tin nào của bảng mục tiêu"


def _group_title(cells: list[str], stt: str, name: str, describes: bool) -> str | None:
    """The title of a group row — "I | Hạ tầng số", "a) | Phát triển hạ tầng số", or "a) Phát
    triển hạ tầng số" alone, in the STT cell or merged across the row (a reader may repeat a merged
    cell's text in every column it spans) — or None."""
    texts = {c for c in cells if c}
    if len(texts) == 1:
        text = next(iter(texts))
        if (text == stt or cells.count(text) > 1) and not BULLET.match(text) and not NUMBERED.match(text):
            return text
    if describes or not name:
        return None
    if is_roman(stt) or GROUP_STT.match(stt):
        return f"{stt} {name}"
    if not stt and GROUP_IN_TEXT.match(name):
        return name
    return None


class _RowReader:
    """Reads one row at a time against the plan, the header and the indicators already loaded."""

    def __init__(self, plan: Plan, fields: dict[str, int], value_columns: list[ValueColumn],
                 existing: dict[str, Indicator], default_period: Period | None):
        self.plan, self.fields, self.value_columns = plan, fields, value_columns
        self.existing, self.default_period = existing, default_period
        self.ignored_assessments: list[int] = []

    def read(self, line: int, cells: list[str], section: str | None) -> _Row:
        """The row's kind and, for a target, its definition and values; what is wrong goes to its problems."""
        def get(name: str) -> str:
            return _cell(cells, self.fields, name)

        stt, name = get("stt"), get("name")
        printed = {f: get(f) for f in ("unit", "baseline", "target", "lead", "monitor")}
        describes = any(printed.values()) or bool(get("assessment")) or \
            any(cells[c.index] for c in self.value_columns if c.index < len(cells))
        if (title := _group_title(cells, stt, name, describes)) is not None:
            return _Row(line, "group", section, stt, title)
        if DETAIL_STT.match(fold(stt)) or (not stt and (not name or BULLET.match(name))):
            return _Row(line, "detail", section, stt, name, printed)
        row = _Row(line, "target", section, stt.rstrip("."), name, printed)
        if not NUMBERED.match(row.stt):
            row.problems.append(f"STT “{row.stt}” không hợp lệ" if row.stt else "thiếu STT")
        if not name:
            row.problems.append("thiếu tên mục tiêu")
            return row
        row.key = indicator_key(name)
        known = self.existing.get(row.key)
        row.definition = {field_name: printed[column] for field_name, column in (
            ("unit", "unit"), ("baseline_text", "baseline"), ("target_text", "target"), ("lead_text", "lead"),
            ("monitor_text", "monitor")) if printed[column]}
        if known is None:
            row.definition["name"] = name
        for field_name, (label, limit) in LIMITS.items():
            if len(row.definition.get(field_name, "")) > limit:
                row.problems.append(f"cột “{label}” dài quá {limit} ký tự")
        target_text = row.definition.get("target_text") or (known.target_text if known else "")
        if not target_text:
            row.problems.append("thiếu mục tiêu năm")
        row.target = parse_target(target_text)
        if get("direction"):
            row.higher_is_better = _DIRECTIONS.get(fold(get("direction")))
            if row.higher_is_better is None:
                row.problems.append(f"chiều đánh giá “{get('direction')}” không phải Càng cao càng tốt / "
                                    "Càng thấp càng tốt")
        elif known is None:
            row.higher_is_better = not row.target.lower_is_better
        row.entries = self._entries(line, get, cells, row.target, row.problems)
        return row

    def _entries(self, line, get, cells, target, problems) -> list[ValueEntry]:
        try:
            assessment = parse_assessment(get("assessment"))
        except ValueError:
            assessment = None
            problems.append(f"đánh giá “{get('assessment')}” không phải Đạt / Không đạt")
        if assessment is not None and target.kind is TargetKind.NUMBER:
            self.ignored_assessments.append(line)
            assessment = None
        row_period = None
        if get("period"):
            try:
                row_period = parse_period_in_year(get("period"), self.plan.year)
            except InvalidPeriod as exc:
                problems.append(str(exc).rstrip("."))
        entries = []
        for position, column in enumerate(self.value_columns):
            text = cells[column.index] if column.index < len(cells) else ""
            given = assessment if position == len(self.value_columns) - 1 else None  # "Đánh giá": the last column
            if not text and given is None:
                continue
            period = column.period or row_period or self.default_period
            if period is None:
                problems.append("có kết quả nhưng không rõ kỳ báo cáo: thêm cột “Kỳ báo cáo” hoặc dùng --period")
                continue
            if problem := period_problem(self.plan, period, today()):
                problems.append(problem.rstrip("."))
                continue
            try:
                reading, estimate = read_value(text, target, column.estimate)
            except InvalidValue as exc:
                problems.append(f"kết quả “{text}”: {str(exc).rstrip('.')}")
                continue
            entry = ValueEntry(period, reading, estimate, given, get("note"))
            if entry.has_data:
                entries.append(entry)
        return entries


# ---- What the table does to the plan -------------------------------------------------------------

def _table_counts(checked: _Checked) -> IndicatorCounts:
    return IndicatorCounts(indicators=len(checked.targets),
                           ignored_lines=[row.line for row in checked.rows if row.kind == "detail"],
                           ignored_assessments=list(checked.ignored_assessments), unused_columns=list(checked.unused))


def _value_changes(entry: ValueEntry, silent: set[str]) -> dict:
    return {k: v for k, v in entry.changes().items() if k not in silent}


def _count_value(counts: IndicatorCounts, entry: ValueEntry) -> None:
    counts.values += 1
    counts.estimates += entry.is_estimate
    counts.value_periods[entry.period.label] = counts.value_periods.get(entry.period.label, 0) + 1


def _dry_run(session: Session, plan: Plan, checked: _Checked, summary: IndicatorPreviewSummary) -> dict[int, str]:
    """What writing would do, counted into `summary`, without writing: line → new | update | unchanged."""
    actions = {}
    known_sections = {fold(title) for title in session.scalars(
        select(Section.title).where(Section.plan_id == plan.id, Section.appendix == "indicators"))}
    summary.sections = len({fold(_section_parts(row.section)[1]) for row in checked.targets if row.section}
                           - known_sections)
    for row in checked.targets:
        if not row.key or _own_problems(row):
            continue
        indicator = checked.existing.get(row.key)
        changed_values = [entry for entry in row.entries if indicator is None or _value_differs(
            session, indicator, entry, checked.silent)]
        for entry in changed_values:
            _count_value(summary, entry)
        if indicator is None:
            summary.created += 1
            actions[row.line] = "new"
            continue
        if _differences(session, checked.directory, indicator, _definition_changes(row)):
            summary.updated += 1
            actions[row.line] = "update"
        else:
            actions[row.line] = "update" if changed_values else "unchanged"
            summary.unchanged += not changed_values
    return actions


def _value_differs(session: Session, indicator: Indicator, entry: ValueEntry, silent: set[str]) -> bool:
    value = session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == entry.period.key))
    return value is None or any(getattr(value, k) != v for k, v in _value_changes(entry, silent).items())


def _definition_changes(row: _Row) -> dict:
    changes = dict(row.definition)
    if row.higher_is_better is not None:
        changes["higher_is_better"] = row.higher_is_better
    return changes


def _shown(index: int, row: _Row, checked: _Checked, action: str) -> dict:
    """A row of the preview grid."""
    target = row.target
    return {
        "row_id": str(index),  # the grid's row id (layouts.grid)
        "line": row.line,
        "kind": KIND_LABELS[row.kind],
        "section": row.section or "",
        "stt": row.stt,
        "name": row.name,
        "unit": row.printed.get("unit", ""),
        "target": target.text if target else "",
        "target_kind": TARGET_KIND_LABELS[target.kind] if target and target.text else "",
        "target_reading": _target_reading(target) if target and target.text else "",
        "value": "; ".join(display_value(e.reading.text, e.is_estimate) if e.reading else
                           ASSESSMENT_LABELS[e.assessment] for e in row.entries),
        "period": "; ".join(e.period.label for e in row.entries),
        "estimate": any(e.is_estimate for e in row.entries),
        "lead_text": row.printed.get("lead", ""),
        "leads": _resolved(checked.directory, row.printed.get("lead", "")),
        "monitor_text": row.printed.get("monitor", ""),
        "monitors": _resolved(checked.directory, row.printed.get("monitor", "")),
        "action": action,
        "action_label": ACTION_LABELS.get(action, ""),
        "problems": "; ".join(row.problems),
    }


def _target_reading(target: Target) -> str:
    """How the app reads a target: "≥ 70", "≤ 2", "95/95/95", or the text it is compared with."""
    def number(value) -> str:
        return f"{value.normalize():f}".replace(".", ",")

    if target.kind is TargetKind.NUMBER:
        return f"{'≤' if target.lower_is_better else '≥'} {number(target.number)}"
    if target.kind is TargetKind.LEVELS:
        return "/".join(number(level) for level in target.levels)
    return target.text


def _resolved(directory: AgencyDirectory, text: str) -> str:
    resolution = directory.resolve(text)
    return ", ".join([a.name for a in resolution.agencies] + [f"{n} (chưa có trong danh mục)"
                                                            for n in resolution.unknown])


# ---- Writing -------------------------------------------------------------------------------------

def _write(session: Session, plan: Plan, checked: _Checked, summary: IndicatorImportSummary,
           user_id: int | None) -> None:
    when = now()
    log = {"when": when, "recorded_at": when, "user_id": user_id, "source": "import"}
    existing, directory = checked.existing, checked.directory
    sections = _SectionMaker(session, plan)
    position = (session.scalar(select(func.max(Indicator.position)).where(Indicator.plan_id == plan.id)) or 0) + 1
    for row in checked.targets:
        changes = _definition_changes(row)
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
            if record_value(session, value, _value_changes(entry, checked.silent), **log):
                _count_value(summary, entry)
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


def _section_parts(text: str) -> tuple[str, str]:
    """(code, title) of a group's printed title: "a) Phát triển hạ tầng số" → ("a", "Phát triển hạ tầng số")."""
    match = GROUP_IN_TEXT.match(text.strip())
    if match and (match[2] or is_roman(match[1])):
        return match[1] or match[2], match[3].strip()
    return "", text.strip()


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
        code, title = _section_parts(text)
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
