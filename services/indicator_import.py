"""Import of a plan's indicator appendix (Phụ lục 01 layout), all-or-nothing like the task import."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Indicator, IndicatorAgency, Plan, Province, Section
from services.agencies import AgencyDirectory
from services.plan_import import SECTION_IN_TEXT, is_roman, unknown_agency_errors
from services.spreadsheet import Column, ImportFailed, RowError, cell, map_columns, read_rows
from services.text import fold

INDICATOR_COLUMNS = [
    Column("group", ("nhom",), required=False),
    Column("stt", ("stt", "tt")),
    Column("name", ("ten muc tieu", "muc tieu", "chi tieu", "ten chi tieu", "muc tieu, chi tieu")),
    Column("unit", ("don vi tinh", "dvt"), required=False),
    Column("baseline", ("ket qua nam truoc", "ket qua nam"), required=False, prefix=True),
    Column("target", ("muc tieu nam", "ke hoach nam", "chi tieu nam"), prefix=True),
    Column("lead", ("co quan chu tri", "co quan, don vi, dia phuong chu tri"), required=False, prefix=True),
    Column("monitor", ("co quan theo doi",), required=False, prefix=True),
]
NUMBERED = re.compile(r"^\d+(\.\d+)*\.?$")


def import_indicators(session: Session, plan: Plan, path: str | Path, *,
                      create_agencies: bool = False) -> int:
    """Add the indicators in `path` to `plan`; return how many. Raises ImportFailed."""
    _, mapping, body = map_columns(read_rows(path), INDICATOR_COLUMNS)
    directory = AgencyDirectory(session, session.get(Province, plan.province_id))
    errors: list[RowError] = []
    parsed = []
    section_title = None
    unknown: dict[str, list[int]] = {}
    for line, cells in body:
        values = {column.field: cell(cells, mapping, column.field) for column in INDICATOR_COLUMNS}
        get = values.__getitem__
        stt, name = get("stt"), get("name")
        if fold(stt) in ("stt", "tt"):
            continue
        if get("group"):
            section_title = get("group")
        if is_roman(stt) and not (get("target") or get("lead") or get("monitor")):
            section_title = f"{stt.rstrip('.')} {name}"
            continue
        problems = []
        if not NUMBERED.match(stt):
            problems.append(f"STT “{stt}” không hợp lệ" if stt else "thiếu STT")
        if not name:
            problems.append("thiếu tên mục tiêu")
        if not get("target"):
            problems.append("thiếu mục tiêu năm")
        for text in (get("lead"), get("monitor")):
            for missing in directory.resolve(text).unknown:
                unknown.setdefault(missing, []).append(line)
        if problems:
            errors.append(RowError(line, "; ".join(problems) + "."))
            continue
        parsed.append((stt.rstrip("."), name, section_title, values))
    if unknown and not create_agencies:
        errors.extend(unknown_agency_errors(unknown))
    if not parsed and not errors:
        errors.append(RowError(0, "Tệp không có mục tiêu nào."))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    for name in unknown:
        directory.add(name, kind="other")

    sections: dict[str, Section] = {}
    next_position = (session.scalar(select(func.max(Section.position)).where(
        Section.plan_id == plan.id, Section.appendix == "indicators")) or 0) + 1
    for position, (stt, name, title, values) in enumerate(parsed, 1):
        section = None
        if title:
            key = fold(title)
            if key not in sections:
                match = SECTION_IN_TEXT.match(title)
                code, text = (match[1], match[2]) if match and is_roman(match[1]) else ("", title)
                sections[key] = Section(plan_id=plan.id, appendix="indicators", code=code,
                                        title=text, position=next_position)
                next_position += 1
                session.add(sections[key])
                session.flush()
            section = sections[key]
        indicator = Indicator(
            plan_id=plan.id, section_id=section.id if section else None, stt=stt, position=position,
            name=name, unit=values["unit"], baseline_text=values["baseline"], target_text=values["target"],
            lead_text=values["lead"], monitor_text=values["monitor"],
        )
        session.add(indicator)
        session.flush()
        for role, text in (("lead", values["lead"]), ("monitor", values["monitor"])):
            for agency in directory.resolve(text).agencies:
                session.add(IndicatorAgency(indicator_id=indicator.id, agency_id=agency.id, role=role))
    session.flush()
    return len(parsed)
