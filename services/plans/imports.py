"""A browser import's steps over one stored table: which table of a file, the preview and
the write — the same engines as the command line (services.plans.importer for a task appendix,
services.indicators.importer for a target table), behind one shape the import page shows.

`request` is what the page sent: the table, the mapping corrections and, for a task appendix,
the new plan's particulars; every part of it is checked here, as any input from a browser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from models import Plan, Province
from services.accounts.permissions import Actor, NotAllowed, can_manage_province
from services.common.inputs import id_from_text, index_from_text, strict_int
from services.indicators import importer as targets
from services.plans import importer as tasks
from services.plans.catalogue import PLAN_KINDS, ensure_open, plans_for, visible_plan
from services.plans.spreadsheet import (
    Column,
    ImportFailed,
    RowError,
    Table,
)
from services.reporting.periods import CADENCES, WEEK_NUMBERINGS, WEEKDAY_LABELS

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class Preview:
    lines: list[str]  # the summary, one fact per line, the columns left out named
    errors: list[str]
    rows: list[dict] = field(default_factory=list)
    seen: list[int] | None = None  # what the plan's targets were when previewed (targets_state)


@dataclass
class Written:
    message: str
    details: list[str]


def columns_for(what: object, plan_year: int) -> list[Column]:
    return targets.indicator_columns(plan_year) if what == "targets" else tasks.TASK_COLUMNS


def likeliest_table(tables: list[Table], columns: list[Column]) -> int:
    """The index of the first table whose headers name every required column; else 0."""
    return tables.index(tasks.pick_table(tables, None, columns))


def open_plans(session: Session, actor: Actor) -> list[Plan]:
    """The plans a target table may go into: the actor's province's, not archived."""
    return [plan for plan in plans_for(session, actor) if plan.archived_at is None]


def target_plan(session: Session, actor: Actor, plan_id: int | None) -> Plan | None:
    """The plan the target table goes into: one the actor may see (NotAllowed otherwise)."""
    return visible_plan(session, actor, plan_id) if plan_id is not None else None


def preview(session: Session, actor: Actor, table: Table, request: dict) -> Preview:
    _require_manager(actor)
    if request.get("what") == "targets":
        plan = _target(session, actor, request)
        shown = targets.preview_indicators(session, plan, table, overrides=_overrides(request),
                                           create_agencies=request.get("create_agencies") is True)
        return Preview(targets.summary_lines(shown), [str(e) for e in shown.errors], shown.rows,
                       targets.targets_state(session, plan))
    parsed = tasks.parse_plan(table, _spec(session, actor, request), _overrides(request))
    shown = tasks.preview_plan(session, parsed, create_agencies=request.get("create_agencies") is True)
    return Preview(tasks.summary_lines(shown), [str(e) for e in shown.errors], shown.rows)


def write(session: Session, actor: Actor, table: Table, request: dict) -> Written:
    """Write what `preview` showed, checked again inside the write transaction. Raises ImportFailed."""
    _require_manager(actor)
    create = request.get("create_agencies") is True
    if request.get("what") == "targets":
        plan = _target(session, actor, request)
        if request.get("seen") != targets.targets_state(session, plan):
            raise ImportFailed([RowError(0, "Mục tiêu của kế hoạch vừa được cập nhật sau khi xem trước (có người "
                                            "nhập kết quả hoặc sửa mục tiêu); chưa ghi gì. Hãy bấm “Xem trước” "
                                            "lại để thấy những gì sẽ thay đổi.")])
        summary = targets.write_indicators(session, plan, table, overrides=_overrides(request),
                                           create_agencies=create, user_id=actor.id)
        return Written(f"Đã nhập mục tiêu vào “{plan.title}”.", targets.summary_lines(summary))
    parsed = tasks.parse_plan(table, _spec(session, actor, request), _overrides(request))
    summary = tasks.write_plan(session, parsed, create_agencies=create, user_id=actor.id)
    return Written(f"Đã tạo kế hoạch “{parsed.spec.title}”.", tasks.summary_lines(summary))


def _overrides(request: dict) -> dict | None:
    """The mapping corrections, if the request carries them as an object (remap checks each one)."""
    overrides = request.get("overrides")
    return overrides if isinstance(overrides, dict) and overrides else None


def _require_manager(actor: Actor) -> None:
    """The actor's own province (a target plan's is checked again by visible_plan)."""
    if not can_manage_province(actor, actor.province_id):
        raise NotAllowed(f"user {actor.username} may not import into province {actor.province_id}")


def _target(session: Session, actor: Actor, request: dict) -> Plan:
    plan = target_plan(session, actor, id_from_text(request.get("target_plan")))
    if plan is None:
        raise ImportFailed([RowError(0, "Chọn kế hoạch để nhập mục tiêu vào.")])
    ensure_open(plan)
    return plan


def _spec(session: Session, actor: Actor, request: dict) -> tasks.PlanSpec:
    """The new plan's particulars from the form, or ImportFailed naming every one that is wrong."""
    problems = []
    title = request.get("title")
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        problems.append("Nhập tên kế hoạch.")
    elif len(title) > 400:
        problems.append("Tên kế hoạch dài quá 400 ký tự.")
    year = strict_int(request.get("year"))
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"Năm kế hoạch phải là một năm từ {MIN_YEAR} đến {MAX_YEAR}.")
    kind = request.get("kind") or "annual"
    if not isinstance(kind, str) or kind not in PLAN_KINDS:
        problems.append("Loại kế hoạch không hợp lệ.")
    cadence = request.get("cadence") or "monthly"
    if not isinstance(cadence, str) or cadence not in CADENCES:
        problems.append("Kỳ báo cáo phải là hằng tuần, hằng tháng hoặc hằng quý.")
    week_start = index_from_text(request.get("week_start") if request.get("week_start") is not None else 1)
    if week_start not in WEEKDAY_LABELS:
        problems.append("Ngày bắt đầu tuần phải là một ngày từ Thứ Hai đến Chủ nhật.")
    week_numbering = request.get("week_numbering") or "majority"
    if not isinstance(week_numbering, str) or week_numbering not in WEEK_NUMBERINGS:
        problems.append("Cách đánh số tuần không hợp lệ.")
    day = strict_int(request.get("deadline_day") if request.get("deadline_day") is not None else 20)
    if day is None or not 1 <= day <= 28:
        problems.append("Hạn báo cáo phải là một ngày từ 1 đến 28.")
    issued = None
    if request.get("issued"):
        try:
            issued = date.fromisoformat(str(request["issued"]))
        except ValueError:
            problems.append("Ngày ban hành không đúng dạng ngày.")
    number = request.get("number")
    number = number.strip()[:120] if isinstance(number, str) and number.strip() else None
    province = session.get(Province, actor.province_id) if actor.province_id is not None else None
    if province is None:
        problems.append("Tài khoản không thuộc tỉnh nào: kế hoạch mới phải nhập bằng lệnh "
                        "“flask import-plan --province …”.")
    if problems:
        raise ImportFailed([RowError(0, p) for p in problems])
    return tasks.PlanSpec(province=province.name, year=year, title=title, issued_on=issued, document_number=number,
                          reporting_cadence=cadence, report_deadline_day=day, kind=kind,
                          week_start=week_start, week_numbering=week_numbering)
