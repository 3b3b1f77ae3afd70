"""Importing a year's DTI ranking as the decision prints it (seed 004), from the tables of an .xlsx,
.csv or .docx file, all-or-nothing.

The decision prints one table per group: the group's heading ("2.1. Nhóm các cơ quan, đơn vị có thủ
tục hành chính") above it, the header "TT xếp hạng DTI | Tên cơ quan | Tổng điểm | Tỷ lệ so với điểm
tối đa | Mức độ xếp hạng" ("Địa phương" for the districts), one row per agency, then "Điểm trung bình".
Typed into Word, each heading is a paragraph above its table (the table's caption) or a row of it;
typed into Excel, the groups follow each other on one sheet (the header repeated) or take a sheet
each. Every table of the file is read in order; a heading opens a group, a header row says which
column is which until the next one.

The app keeps each agency's score (and the maximum: a "Điểm tối đa" column's, else the scale the
printed score and percentage imply) and works out the rest (services.dti.rules): percentage, level,
rank and the group's average. A printed value that disagrees is listed, never taken. A malformed
row, an unknown agency (unless added), a group without a maximum refuse the whole file, every
reason named with its table and row.

`parse_ranking` reads without the database; `preview_ranking` adds what the database decides
(agencies, an existing ranking of that year) read-only; `write_ranking` checks again and writes.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import DtiGroup, DtiRanking, DtiScore, Province
from services.accounts.permissions import Actor, NotAllowed, can_manage_province
from services.common.clock import now
from services.common.inputs import id_from_text
from services.common.text import fold
from services.dti.rules import (
    HUNDREDTHS,
    LEVEL_LABELS,
    average,
    average_differences,
    level_of,
    nearest_scale,
    percent_text,
    points_text,
    ranks,
    row_differences,
    scale_text,
)
from services.indicators.achievement import parse_number
from services.plans.agencies import AgencyDirectory
from services.plans.spreadsheet import Column, ImportFailed, RowError, Table, cell, header_fields
from services.tasks.history import record_change

DTI_COLUMNS = [
    Column("rank", ("tt xep hang dti", "tt xep hang", "xep hang dti", "xep hang", "thu hang", "tt", "stt"),
           label="TT xếp hạng DTI"),
    Column("name", ("ten co quan", "dia phuong", "ten don vi", "co quan, don vi", "don vi", "ten co quan, don vi",
                    "ten dia phuong", "co quan"), label="Tên cơ quan"),
    Column("score", ("tong diem", "diem", "diem danh gia", "tong diem dti"), label="Tổng điểm"),
    Column("maximum", ("diem toi da", "thang diem", "thang diem toi da"), required=False, label="Điểm tối đa"),
    Column("percent", ("ty le", "ti le"), required=False, prefix=True, label="Tỷ lệ so với điểm tối đa"),
    Column("level", ("muc do xep hang", "muc do", "muc xep hang", "xep loai", "muc do chuyen doi so"),
           required=False, label="Mức độ xếp hạng"),
]
_NUMBERED = re.compile(r"^\d+(\.\d+)+\.?\s+")  # "2.1. " before a group's name
_HEADING = re.compile(r"^(\d+(\.\d+)*\.?\s+)?nhom\b")  # folded: "2.1. nhom cac co quan ..."
_AVERAGE = "diem trung binh"
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(eq=False)
class _Row:
    place: str  # "Bảng 2, dòng 5": where a message points
    printed_rank: str
    name: str
    score: int | None
    maximum: int | None  # from a "Điểm tối đa" column, else the group's
    printed_percent: str
    percent: Decimal | None
    printed_level: str
    problems: list[str] = field(default_factory=list)


@dataclass(eq=False)
class _Group:
    place: str
    title: str
    rows: list[_Row] = field(default_factory=list)
    printed_average: str = ""
    closed: bool = False  # its "Điểm trung bình" row was read


@dataclass
class ParsedRanking:
    year: int
    source_name: str
    groups: list[_Group]
    errors: list[RowError]


@dataclass
class RankingPreview:
    rows: list[dict]  # every agency row as it would be imported, with the app's figures and the printed ones
    groups: list[dict]  # title, rows, maximum, average (the app's and as printed)
    disagreements: list[str]  # every printed value the app does not reproduce, named
    errors: list[RowError]
    levels: dict[str, int]  # level label → agencies
    created_agencies: list[str]
    replaces: str = ""  # the ranking of that year already held, if any

    def summary_lines(self) -> list[str]:
        rows = sum(g["rows"] for g in self.groups)
        lines = [f"{len(self.groups)} nhóm, {rows} cơ quan, đơn vị."]
        lines += [f"{g['title']}: {g['rows']} đơn vị, điểm tối đa {g['maximum']}, điểm trung bình {g['average']}"
                  + (f" (in: {g['printed_average']})" if g["printed_average"] else "") for g in self.groups]
        lines.append("Mức độ: " + ", ".join(f"{label} {count}" for label, count in self.levels.items()) + ".")
        if self.created_agencies:
            lines.append(f"Thêm {len(self.created_agencies)} cơ quan vào danh mục: "
                         + ", ".join(f"“{name}”" for name in self.created_agencies) + ".")
        lines.append(f"Giá trị in khác với giá trị tính lại: {len(self.disagreements)}." if self.disagreements
                     else "Mọi tỷ lệ, mức độ, thứ hạng và điểm trung bình in trong văn bản khớp với giá trị tính lại.")
        if self.replaces:
            lines.append(self.replaces)
        return lines


def _place(table: Table, line: int, several: bool) -> str:
    return f"{table.label.split(' (')[0]}, dòng {line}" if several else f"Dòng {line}"


def _hundredths(text: str, label: str, problems: list[str]) -> int | None:
    """A printed score ("731,61", "1.000") in hundredths; a problem named when it is not one."""
    number = parse_number(text)
    if number is None:
        problems.append(f"{label} “{text}” không phải là số" if text else f"thiếu {label.lower()}")
        return None
    hundredths = number * HUNDREDTHS
    if hundredths != hundredths.to_integral_value() or number < 0:
        problems.append(f"{label} “{text}” phải là số không âm, tối đa hai chữ số thập phân")
        return None
    return int(hundredths)


def _heading(cells: list[str]) -> str | None:
    """The group's name when the row is a group heading: one text (merged across, or alone), numbered
    "2.1." or beginning "Nhóm"; the numbering is left out."""
    texts = {c for c in cells if c}
    if len(texts) != 1:
        return None
    text = texts.pop()
    if not (_HEADING.match(fold(text)) or _NUMBERED.match(text)):
        return None
    return _NUMBERED.sub("", text).strip() or None


def parse_ranking(tables: list[Table], year: int, source_name: str = "") -> ParsedRanking:
    """Read every table of a file for the decision's groups and rows, and check each row. Bad rows
    are kept with their problems, to be listed with the rest."""
    errors: list[RowError] = []
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(RowError(0, f"Năm xếp hạng phải từ {MIN_YEAR} đến {MAX_YEAR}."))
    several = len(tables) > 1
    groups: list[_Group] = []
    group: _Group | None = None
    for table in tables:
        mapping: dict[str, int] | None = None
        if table.caption and (title := _heading([table.caption])):
            group = _Group(_place(table, 1, several), title)
            groups.append(group)
        for row in table.rows:
            place = _place(table, row.line, several)
            if (fields := header_fields(row.cells, DTI_COLUMNS)) is not None:
                mapping = fields
                continue
            if (title := _heading(row.cells)) is not None:
                if group is not None and not group.rows and not group.closed:
                    groups.remove(group)  # a numbered line of the text above the tables ("1.1. Thang điểm")
                group = _Group(place, title)
                groups.append(group)
                continue
            if mapping is None:
                continue  # title rows above the first header
            if any(fold(c) == _AVERAGE for c in row.cells):
                if group is not None:
                    group.printed_average = next((c for c in row.cells if parse_number(c) is not None), "")
                    group.closed = True
                continue
            parsed = _read_row(row.cells, mapping, place)
            if group is None or group.closed:
                parsed.problems.append("chưa có dòng tên nhóm phía trên (ví dụ “2.1. Nhóm các cơ quan, đơn vị có "
                                       "thủ tục hành chính”)" if group is None else
                                       f"nằm sau dòng “Điểm trung bình” của nhóm “{group.title}”: thiếu dòng "
                                       "tên nhóm mới")
                errors.append(RowError(0, f"{place}: " + "; ".join(parsed.problems) + "."))
                continue
            group.rows.append(parsed)
    if not groups and not errors:
        names = ", ".join(f"“{c.label}”" for c in DTI_COLUMNS if c.required)
        errors.append(RowError(0, f"Không tìm thấy bảng xếp hạng: cần dòng tiêu đề có các cột {names}, và dòng tên "
                                  "nhóm phía trên mỗi bảng."))
    for group in groups:
        _check_group(group, errors)
    _check_twins(groups, errors)
    return ParsedRanking(year, source_name, groups, errors)


def _read_row(cells: list[str], mapping: dict[str, int], place: str) -> _Row:
    problems: list[str] = []
    name = cell(cells, mapping, "name")
    if not name:
        problems.append("thiếu tên cơ quan")
    score = _hundredths(cell(cells, mapping, "score"), "Tổng điểm", problems)
    maximum = _hundredths(cell(cells, mapping, "maximum"), "Điểm tối đa", problems) if "maximum" in mapping else None
    if maximum == 0:
        problems.append("Điểm tối đa phải lớn hơn 0")
        maximum = None
    printed_percent = cell(cells, mapping, "percent")
    percent = parse_number(printed_percent)
    if printed_percent and percent is None:
        problems.append(f"Tỷ lệ “{printed_percent}” không phải là số")
    return _Row(place, cell(cells, mapping, "rank"), name, score, maximum, printed_percent, percent,
                cell(cells, mapping, "level"), problems)


def _check_group(group: _Group, errors: list[RowError]) -> None:
    """The group's maximum where no column gives it: the scale most rows' score and percentage imply;
    then every row's problems, as errors."""
    if not group.rows:
        errors.append(RowError(0, f"{group.place}: nhóm “{group.title}” không có cơ quan nào."))
        return
    if any(row.maximum is None for row in group.rows):
        implied = Counter(scale for row in group.rows if row.score is not None and row.percent is not None
                          and (scale := nearest_scale(row.score, row.percent)) is not None)
        if implied:
            scale = implied.most_common(1)[0][0]
            for row in group.rows:
                row.maximum = row.maximum or scale
        else:
            errors.append(RowError(0, f"{group.place}: không xác định được điểm tối đa của nhóm “{group.title}”: "
                                      "cần cột “Điểm tối đa”, hoặc cột “Tỷ lệ so với điểm tối đa” ứng với thang "
                                      "1.000 hoặc 800 điểm."))
    for row in group.rows:
        if row.score is not None and row.maximum is not None and row.score > row.maximum:
            row.problems.append(f"Tổng điểm {points_text(row.score)} lớn hơn điểm tối đa {points_text(row.maximum)}")
        if row.problems:
            errors.append(RowError(0, f"{row.place}" + (f" ({row.name})" if row.name else "") + ": "
                                      + "; ".join(row.problems) + "."))


def _check_twins(groups: list[_Group], errors: list[RowError]) -> None:
    seen: dict[str, _Row] = {}
    for row in (row for group in groups for row in group.rows if row.name):
        key = fold(row.name)
        if key in seen:
            errors.append(RowError(0, f"{row.place}: “{row.name}” đã có ở {seen[key].place.lower()}; mỗi cơ quan một "
                                      "dòng."))
        seen.setdefault(key, row)


def _compare(group: _Group, computed_ranks: list[int], computed_average: int) -> list[str]:
    """Every printed value of the group the app does not reproduce, in Vietnamese."""
    found = [difference for row, rank in zip(group.rows, computed_ranks)
             for difference in row_differences(f"{row.place} ({row.name})", row.score, row.maximum, rank,
                                               row.printed_rank, row.printed_percent, row.printed_level)]
    return found + average_differences(f"{group.place} (nhóm “{group.title}”)", computed_average,
                                       group.printed_average)


def preview_ranking(session: Session, province: Province, parsed: ParsedRanking, *,
                    create_agencies: bool = False, replace: bool = False) -> RankingPreview:
    """What `write_ranking` would write and every reason it would refuse, without writing."""
    directory = AgencyDirectory(session, province)
    errors = list(parsed.errors)
    unknown: list[str] = []
    matched: dict[int, _Row] = {}
    for row in (row for group in parsed.groups for row in group.rows if row.name):
        agency = directory.lookup(row.name)
        if agency is not None and matched.setdefault(agency.id, row) is not row:
            errors.append(RowError(0, f"{row.place}: “{row.name}” và “{matched[agency.id].name}” "
                                      f"({matched[agency.id].place.lower()}) cùng là “{agency.name}”; mỗi cơ quan "
                                      "một dòng."))
        if agency is None:
            unknown.append(row.name)
            if not create_agencies:
                errors.append(RowError(0, f"{row.place}: cơ quan chưa có trong danh mục: “{row.name}”; thêm vào danh "
                                          "mục (trang Cơ quan, đơn vị), hoặc chọn thêm các cơ quan chưa có khi nhập "
                                          "(lệnh: --create-agencies)."))
        elif agency.is_group:
            errors.append(RowError(0, f"{row.place}: “{row.name}” là một nhóm cơ quan, không phải một cơ quan."))
    existing = _existing(session, province, parsed.year)
    replaces = ""
    if existing is not None:
        replaces = (f"Thay thế kết quả xếp hạng năm {parsed.year} đã nhập ngày "
                    f"{existing.imported_at:%d/%m/%Y}.")
        if not replace:
            errors.append(RowError(0, f"Đã có kết quả xếp hạng DTI năm {parsed.year} của {province.name} (nhập ngày "
                                      f"{existing.imported_at:%d/%m/%Y}); chọn thay thế nếu muốn nhập lại "
                                      "(lệnh: --replace)."))
    rows, groups, disagreements = [], [], []
    levels = {label: 0 for label in LEVEL_LABELS.values()}
    if not parsed.errors:
        for group in parsed.groups:
            computed = ranks([row.score for row in group.rows])
            mean = average([row.score for row in group.rows])
            disagreements += _compare(group, computed, mean)
            maxima = sorted({row.maximum for row in group.rows})
            groups.append({"title": group.title, "rows": len(group.rows), "average": points_text(mean),
                           "printed_average": group.printed_average,
                           "maximum": " / ".join(scale_text(m) for m in maxima)})
            for row, rank in zip(group.rows, computed):
                level = LEVEL_LABELS[level_of(row.score, row.maximum)]
                levels[level] += 1
                agency = directory.lookup(row.name)
                rows.append({"place": row.place, "group": group.title, "rank": rank, "printed_rank": row.printed_rank,
                             "name": row.name, "agency": agency.name if agency else f"(thêm mới) {row.name}",
                             "score": points_text(row.score), "maximum": scale_text(row.maximum),
                             "percent": percent_text(row.score, row.maximum), "printed_percent": row.printed_percent,
                             "level": level, "printed_level": row.printed_level})
    return RankingPreview(rows, groups, disagreements, errors, levels, unknown if create_agencies else [], replaces)


def _existing(session: Session, province: Province, year: int) -> DtiRanking | None:
    return session.scalar(select(DtiRanking).where(DtiRanking.province_id == province.id, DtiRanking.year == year))


def write_ranking(session: Session, province: Province, parsed: ParsedRanking, *, create_agencies: bool = False,
                  replace: bool = False, user_id: int | None = None) -> RankingPreview:
    """Check `parsed` against the database again and write the ranking, replacing the year's if asked.
    Raises ImportFailed naming every problem; logged in the change log."""
    preview = preview_ranking(session, province, parsed, create_agencies=create_agencies, replace=replace)
    if preview.errors:
        raise ImportFailed(preview.errors)
    directory = AgencyDirectory(session, province)
    for name in preview.created_agencies:
        directory.add(name, kind="other")
    recorded_at = now()
    old = _existing(session, province, parsed.year)
    if old is not None:
        groups = select(DtiGroup.id).where(DtiGroup.ranking_id == old.id)
        session.execute(delete(DtiScore).where(DtiScore.group_id.in_(groups)))
        session.execute(delete(DtiGroup).where(DtiGroup.ranking_id == old.id))
        session.delete(old)
        session.flush()
    ranking = DtiRanking(province_id=province.id, year=parsed.year, source_name=parsed.source_name[:300],
                         imported_at=recorded_at, imported_by_id=user_id)
    session.add(ranking)
    session.flush()
    for position, group in enumerate(parsed.groups, 1):
        scores = [row.score for row in group.rows]
        stored = DtiGroup(ranking_id=ranking.id, position=position, title=group.title[:400],
                          average_hundredths=average(scores), printed_average=group.printed_average[:40])
        session.add(stored)
        session.flush()
        for index, (row, rank) in enumerate(zip(group.rows, ranks(scores)), 1):
            session.add(DtiScore(
                group_id=stored.id, agency_id=directory.lookup(row.name).id, position=index, printed_name=row.name,
                score_hundredths=row.score, maximum_hundredths=row.maximum,
                level=level_of(row.score, row.maximum).value, rank=rank, printed_rank=row.printed_rank[:20],
                printed_percent=row.printed_percent[:40], printed_level=row.printed_level[:60]))
    record_change(session, "dti_ranking", ranking.id, "import",
                  f"{old.source_name} ({old.imported_at:%d/%m/%Y})" if old else None,
                  f"{parsed.source_name}: năm {parsed.year}, {len(preview.rows)} đơn vị",
                  when=recorded_at, recorded_at=recorded_at, user_id=user_id, source="import")
    return preview


def _browser_import(session: Session, actor: Actor, tables: list[Table], request: dict,
                    source_name: str) -> tuple[Province, ParsedRanking, dict]:
    """The actor's province (the secretariat's or an admin's of a province), the parsed file and the
    options the page sent, each checked as any browser input. NotAllowed / ImportFailed otherwise."""
    if not can_manage_province(actor, actor.province_id):
        raise NotAllowed(f"user {actor.username} may not import a DTI ranking into province {actor.province_id}")
    province = session.get(Province, actor.province_id)
    if province is None:
        raise ImportFailed([RowError(0, "Tài khoản không thuộc tỉnh nào: hãy nhập bằng lệnh “flask import-dti”.")])
    year = id_from_text(request.get("year"))
    if year is None:
        raise ImportFailed([RowError(0, f"Nhập năm được xếp hạng (từ {MIN_YEAR} đến {MAX_YEAR}).")])
    options = {"create_agencies": request.get("create_agencies") is True, "replace": request.get("replace") is True}
    return province, parse_ranking(tables, year, source_name), options


def preview_upload(session: Session, actor: Actor, tables: list[Table], request: dict,
                   source_name: str) -> RankingPreview:
    """The import page's preview: nothing written."""
    province, parsed, options = _browser_import(session, actor, tables, request, source_name)
    return preview_ranking(session, province, parsed, **options)


def write_upload(session: Session, actor: Actor, tables: list[Table], request: dict,
                 source_name: str) -> RankingPreview:
    """The import page's confirm, checked again inside the write transaction."""
    province, parsed, options = _browser_import(session, actor, tables, request, source_name)
    return write_ranking(session, province, parsed, user_id=actor.id, **options)
