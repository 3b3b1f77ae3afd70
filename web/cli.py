"""Command line: `flask --app app <command>`. DATABASE_URL selects the database."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from models import Database, Plan, Province
from models.base import DatabaseBusy
from services.accounts.users import ROLES, UserError, create_user, new_user_scope, unlock_address, unlock_user
from services.common import schema
from services.common.clock import today
from services.dti.importer import parse_ranking, preview_ranking, write_ranking
from services.dti.rankings import level_counts, ranking_rows
from services.indicators.importer import check_indicators, pick_indicator_table, write_indicators
from services.indicators.standings import band_counts, band_lines
from services.plans.agencies import find_province
from services.plans.catalogue import PLAN_KINDS
from services.plans.demo import DEMO_PASSWORD, load_demo
from services.plans.importer import PlanSpec, check_plan, parse_plan, pick_table, write_plan
from services.plans.spreadsheet import ImportFailed, read_tables
from services.plans.synthetic import SYNTHETIC_PASSWORD, make_synthetic
from services.publication.report import RENDERERS, report_content
from services.reminders.job import run_reminders
from services.reminders.mail import MailSettings, MailSettingsError, base_url_from, smtp_sender
from services.reporting.dashboard import Selection, selection_for
from services.reporting.periods import (
    CADENCES,
    ISO_WEEKS,
    WEEK_NUMBERING_LABELS,
    WEEK_NUMBERINGS,
    InvalidPeriod,
    Period,
    WeekScheme,
    parse_period,
    week_scheme,
)
from services.weekly.demo import load_weekly_demo
from services.weekly.report import weekly_docx
from services.reporting.rollup import GROUPINGS, rollup


def _db() -> Database:
    return current_app.extensions["cds_db"]


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _plan(session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        _fail(f"Không có kế hoạch mã {plan_id}.")
    return plan


def _week(plan: Plan, period: str) -> Period | None:
    """The week a period names ("2025-W05", "Tuần 05/2025"), numbered as the plan numbers its weeks;
    None for any other period or day."""
    try:
        chosen = parse_period(period, week_scheme(plan))
    except InvalidPeriod:
        return None
    return chosen if chosen.kind == "week" else None


def _selection(period: str, weeks: WeekScheme = ISO_WEEKS) -> Selection:
    """A period key or a date from the command line (a week numbered as `weeks`, the plan's, says);
    the Vietnamese message and exit 1 otherwise."""
    try:
        return selection_for(period, weeks)
    except InvalidPeriod as exc:
        _fail(str(exc))


@click.command("init-db")
@with_appcontext
@click.option("--demo", is_flag=True, help="Nạp kế hoạch mẫu Lào Cai 2026, cơ quan và tài khoản mẫu.")
def init_db(demo: bool) -> None:
    """Create or upgrade the schema through the migrations; optionally load the demo."""
    db = _db()
    schema.upgrade(db)
    click.echo("Đã tạo/cập nhật cơ sở dữ liệu.")
    if not demo:
        return
    with db.read() as session:
        if session.scalar(select(Plan.id).limit(1)) is not None:
            click.echo("Cơ sở dữ liệu đã có kế hoạch; không nạp lại dữ liệu mẫu.")
            return
    try:
        with db.write() as session:
            summary = load_demo(session)
            weekly = load_weekly_demo(session, session.get(Plan, summary.plan_id).province_id)
    except ImportFailed as exc:
        _fail(f"Không nạp được dữ liệu mẫu:\n{exc}")
    db.analyze()
    click.echo(f"Đã nạp kế hoạch mẫu (mã {summary.plan_id}): {summary.tasks.tasks} nhiệm vụ, "
               f"{summary.tasks.sections} nhóm, {summary.tasks.assignments} phân công, "
               f"{summary.indicators} mục tiêu, xếp hạng DTI 2023 của {summary.dti_rows} đơn vị; "
               f"{len(summary.users)} tài khoản mẫu, "
               f"mật khẩu {DEMO_PASSWORD}")
    click.echo(f"Đã nạp báo cáo tuần mẫu (mã {weekly.plan_id}, tuần 05/2025): {weekly.targets} mục tiêu, "
               f"{weekly.components} dòng thành phần ({weekly.target_values} số liệu), {weekly.annex_rows} dòng phụ lục, "
               f"{weekly.values} số liệu phụ lục ({weekly.not_applicable} ô “-”, {weekly.blanks} ô trống), "
               f"{weekly.entered} đơn vị “Đã nhập”, {weekly.created_agencies} cơ quan thêm vào danh mục.")
    for difference in weekly.differences:
        click.echo(f"Khác bản in: {difference}")


@click.command("import-plan")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--province", required=True, help="Tỉnh, ví dụ “Lào Cai”.")
@click.option("--year", required=True, type=int)
@click.option("--title", required=True)
@click.option("--kind", type=click.Choice(list(PLAN_KINDS)), default="annual",
              help="Loại kế hoạch: " + ", ".join(f"{k} ({v})" for k, v in PLAN_KINDS.items()) + ".")
@click.option("--table", "table_number", type=click.IntRange(1), default=None,
              help="Số thứ tự bảng trong tệp (từ 1); mặc định là bảng đầu tiên có dòng tiêu đề nhận ra được.")
@click.option("--issued-on", default=None, help="Ngày ban hành dd/mm/yyyy.")
@click.option("--cadence", type=click.Choice(list(CADENCES)), default="monthly")
@click.option("--deadline-day", type=click.IntRange(1, 28), default=20)
@click.option("--week-start", type=click.IntRange(1, 7), default=1,
              help="Ngày bắt đầu tuần: 1 = Thứ Hai … 7 = Chủ nhật (Lào Cai: 5, Thứ Sáu).")
@click.option("--week-numbering", type=click.Choice(list(WEEK_NUMBERINGS)), default="majority",
              help="; ".join(f"{k}: {v}" for k, v in WEEK_NUMBERING_LABELS.items()) + ".")
@click.option("--create-agencies", is_flag=True, help="Tạo các cơ quan chưa có trong danh mục.")
def import_plan_command(file, province, year, title, kind, table_number, issued_on, cadence, deadline_day,
                        week_start, week_numbering, create_agencies):
    """Import a task appendix (a table of an .xlsx, .csv or .docx). All-or-nothing: any bad row
    aborts, all are listed."""
    issued = None
    if issued_on:
        try:
            issued = datetime.strptime(issued_on, "%d/%m/%Y").date()
        except ValueError:
            _fail(f"Ngày ban hành “{issued_on}” không đúng dạng dd/mm/yyyy.")
    spec = PlanSpec(province=province, year=year, title=title, issued_on=issued,
                    reporting_cadence=cadence, report_deadline_day=deadline_day, kind=kind,
                    week_start=week_start, week_numbering=week_numbering)
    # The file is read and checked before the write transaction, which then only writes: other
    # users' saves wait for the write lock no longer than the writing itself.
    try:
        parsed = parse_plan(pick_table(read_tables(file), table_number), spec)
        with _db().read() as session:
            check_plan(session, parsed, create_agencies=create_agencies)
        with _db().write() as session:
            summary = write_plan(session, parsed, create_agencies=create_agencies)
    except (ImportFailed, DatabaseBusy) as exc:
        _fail(f"Không nhập kế hoạch; không có thay đổi nào được lưu.\n{exc}")
    _db().analyze()
    click.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))


@click.command("rollup")
@with_appcontext
@click.option("--plan", "plan_id", required=True, type=int)
@click.option("--as-of", default=None, help="YYYY-MM-DD; mặc định là hôm nay.")
@click.option("--by", type=click.Choice(GROUPINGS), default="plan")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def rollup_command(plan_id, as_of, by, as_json):
    """Counts of top-level tasks (total = done + in_progress + not_started), as of a date."""
    as_of_date = None
    if as_of:
        try:
            as_of_date = date.fromisoformat(as_of)
        except ValueError:
            _fail(f"Ngày “{as_of}” không đúng dạng YYYY-MM-DD.")
    with _db().read() as session:
        result = rollup(session, _plan(session, plan_id), by=by, as_of=as_of_date)
    data = result.as_dict() if by == "plan" else [group.as_dict() for group in result]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        rows = [data] if by == "plan" else data
        for row in rows:
            click.echo(", ".join(f"{k}={v}" for k, v in row.items()))


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(sorted(ROLES)))
@click.option("--agency", "agency_name", default=None, help="Tên (hoặc tên viết tắt) cơ quan.")
@click.option("--province", default=None, help="Tỉnh của tài khoản; bắt buộc khi có nhiều tỉnh.")
@click.option("--all-provinces", is_flag=True, help="Chỉ cho quản trị hệ thống: làm việc với mọi tỉnh.")
@click.option("--password", required=True)
@click.option("--full-name", default="")
def create_user_command(username, role, agency_name, province, all_provinces, password, full_name):
    """Create a user in one province (an agency user in its agency's); only an admin may be
    province-less, and only when asked for with --all-provinces."""
    try:
        with _db().write() as session:
            province_id, agency = new_user_scope(session, role, province_name=province, agency_name=agency_name,
                                                 all_provinces=all_provinces)
            user = create_user(session, username, role, password, full_name=full_name,
                               agency=agency, province_id=province_id)
            label = f" ({agency.name})" if agency else ""
            where = f", tỉnh {session.get(Province, user.province_id).name}" if user.province_id else ", mọi tỉnh"
            click.echo(f"Đã tạo tài khoản {user.username}, vai trò {role}{label}{where}.")
    except UserError as exc:
        _fail(str(exc))


@click.command("make-synthetic")
@with_appcontext
@click.option("--tasks", required=True, type=click.IntRange(1))
@click.option("--agencies", required=True, type=click.IntRange(1))
@click.option("--updates", default=0, type=click.IntRange(0), help="Số lần cập nhật có ngày (lịch sử).")
@click.option("--leads", default=1, type=click.IntRange(1), help="Số cơ quan chủ trì mỗi nhiệm vụ.")
@click.option("--seed", default=1, type=int, help="Cùng seed cho cùng dữ liệu.")
@click.option("--indicators", default=0, type=click.IntRange(0), help="Số chỉ tiêu (mỗi tháng một kết quả).")
def make_synthetic_command(tasks, agencies, updates, leads, seed, indicators):
    """Create a synthetic province and plan at scale, for benchmarks (reproducible with --seed)."""
    schema.upgrade(_db())
    try:
        with _db().write() as session:
            summary = make_synthetic(session, tasks=tasks, agencies=agencies, updates=updates,
                                     leads_per_task=leads, seed=seed, indicators=indicators)
    except ValueError as exc:
        _fail(str(exc))
    _db().analyze()
    click.echo(json.dumps({**asdict(summary), "password": SYNTHETIC_PASSWORD}, ensure_ascii=False, indent=2))


@click.command("export-report")
@with_appcontext
@click.option("--plan", "plan_id", required=True, type=int)
@click.option("--period", required=True,
              help="2025-W05 (báo cáo tuần), 2026-Q2, 2026-06, 2026-H1, 2026 hoặc một ngày 2026-05-15.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Tệp cần ghi: .docx (báo cáo Word) hoặc .xlsx (Excel), theo phần mở rộng.")
def export_report_command(plan_id, period, out):
    """Write the period's report, Word or Excel by the file's extension: the published figures of a
    closed period (marked, with how the figures counted today differ), else as of the period's end (today
    for a period still running)."""
    fmt = Path(out).suffix.lower().removeprefix(".")
    with _db().read() as session:
        plan = _plan(session, plan_id)
        week = _week(plan, period)
        if week is not None:
            if fmt != "docx":
                _fail(f"Báo cáo tuần xuất dạng Word (.docx), không xuất được “{out}”.")
            Path(out).write_bytes(weekly_docx(session, plan, week))
            click.echo(f"Đã ghi báo cáo {week.label} ({week.dates_label}) vào {out}.")
            return
    if fmt not in RENDERERS:
        _fail(f"Tệp “{out}” không phải .docx hoặc .xlsx: báo cáo xuất được dạng Word (.docx) hoặc Excel (.xlsx).")
    selection = _selection(period)
    with _db().read() as session:
        content = report_content(session, _plan(session, plan_id), period, today())
    Path(out).write_bytes(RENDERERS[fmt](content))
    click.echo(f"Đã ghi báo cáo {selection.label} vào {out}.")
    for mark in (content.published, content.corrections_note):
        if mark:
            click.echo(mark)


@click.command("import-indicators")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_id", required=True, type=int)
@click.option("--period", default=None,
              help="Kỳ của cột Kết quả khi tệp không ghi: 2026-Q2, Quý II/2026, 6 tháng đầu năm 2026, ...")
@click.option("--table", "table_number", type=click.IntRange(1), default=None,
              help="Số thứ tự bảng trong tệp (từ 1); mặc định là bảng đầu tiên có dòng tiêu đề của bảng mục tiêu.")
@click.option("--create-agencies", is_flag=True, help="Tạo các cơ quan chưa có trong danh mục.")
def import_indicators_command(file, plan_id, period, table_number, create_agencies):
    """Import targets (Phụ lục 01, or a target table of a report) and reported values from a table of
    an .xlsx, .csv or .docx file. All-or-nothing: any bad row aborts, all are listed. The summary
    lists the columns left out (unused_columns) and why."""
    try:
        default_period = parse_period(period) if period else None
    except InvalidPeriod as exc:
        _fail(str(exc))
    try:  # read and checked before the write transaction, as for import-plan
        tables = read_tables(file)
        with _db().read() as session:
            plan = _plan(session, plan_id)
            table = pick_indicator_table(tables, table_number, plan.year)
            check_indicators(session, plan, table, create_agencies=create_agencies, period=default_period)
        with _db().write() as session:
            summary = write_indicators(session, _plan(session, plan_id), table, create_agencies=create_agencies,
                                       period=default_period)
    except (ImportFailed, DatabaseBusy) as exc:
        _fail(f"Không nhập mục tiêu; không có thay đổi nào được lưu.\n{exc}")
    click.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))


@click.command("indicator-bands")
@with_appcontext
@click.option("--plan", "plan_id", required=True, type=int)
@click.option("--period", required=True, help="2026-Q2, 2026-06, 2026-H1, 2026 hoặc một ngày 2026-05-15.")
@click.option("--json", "as_json", is_flag=True, help="In số mục tiêu theo từng mức dạng JSON.")
def indicator_bands_command(plan_id, period, as_json):
    """How many targets stand in each band at the period's end, and the change since the previous one."""
    with _db().read() as session:
        plan = _plan(session, plan_id)
        selection = _selection(period, week_scheme(plan))
        current = band_counts(session, plan, selection.day)
        previous = band_counts(session, plan, selection.previous_day)
    if as_json:
        click.echo(json.dumps({band.value: count for band, count in current.items()}, indent=2))
    else:
        click.echo("\n".join(band_lines(current, previous, selection.previous_label)))


@click.command("unlock-user")
@with_appcontext
@click.argument("username")
@click.option("--address", default=None, help="Cũng mở khóa một địa chỉ IP bị tạm khóa (ví dụ mạng chung của cơ quan).")
def unlock_user_command(username, address):
    """End an account's temporary login lock (and, with --address, a client address's)."""
    try:
        with _db().write() as session:
            was_locked = unlock_user(session, None, username)
            address_locked = unlock_address(session, None, address) if address else False
    except UserError as exc:
        _fail(str(exc))
    name = username.strip().lower()
    click.echo(f"Đã mở khóa tài khoản {name}; có thể đăng nhập lại ngay." if was_locked
               else f"Tài khoản {name} không bị khóa; đã đặt lại số lần nhập sai mật khẩu.")
    if address:
        click.echo(f"Đã mở khóa địa chỉ {address}." if address_locked else f"Địa chỉ {address} không bị khóa.")


@click.command("send-reminders")
@with_appcontext
@click.option("--as-of", default=None, help="YYYY-MM-DD; mặc định là hôm nay. Xem trước những gì sẽ gửi ngày đó.")
@click.option("--dry-run", is_flag=True, help="Chỉ tính những gì sẽ tạo và gửi; không ghi, không gửi gì.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON (created, emailed, failed, by_kind, ...).")
def send_reminders_command(as_of, dry_run, as_json):
    """Create the day's reminders (each exactly once) and e-mail each user one digest; cron calls it
    daily. Exit 2 when some digests failed (logged; the next run retries them)."""
    try:
        day = date.fromisoformat(as_of) if as_of else today()
    except ValueError:
        _fail(f"Ngày “{as_of}” không đúng dạng YYYY-MM-DD.")
    try:
        settings = MailSettings.from_env()
    except MailSettingsError as exc:
        _fail(str(exc))
    try:
        summary = run_reminders(_db(), day, dry_run=dry_run, send=smtp_sender(settings) if settings else None,
                                sender=settings.sender if settings else "", base_url=base_url_from())
    except DatabaseBusy as exc:
        _fail(f"Không chạy được nhắc việc: {exc}")
    click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2) if as_json else "\n".join(summary.lines()))
    if summary.failed:
        sys.exit(2)


def _province(session, name: str | None) -> Province:
    """The province named (as people type it), or the only one there is; exit 1 otherwise."""
    provinces = list(session.scalars(select(Province).order_by(Province.id)))
    if name:
        province = find_province(session, name)
        if province is None:
            _fail(f"Không có tỉnh “{name}” (các tỉnh hiện có: {', '.join(p.name for p in provinces) or 'chưa có'}).")
        return province
    if len(provinces) != 1:
        _fail("Chưa có tỉnh nào." if not provinces else
              f"Có {len(provinces)} tỉnh ({', '.join(p.name for p in provinces)}): hãy ghi --province.")
    return provinces[0]


@click.command("import-dti")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--year", required=True, type=int, help="Năm được xếp hạng, ví dụ 2023.")
@click.option("--province", default=None, help="Tỉnh; bỏ trống khi cơ sở dữ liệu chỉ có một tỉnh.")
@click.option("--create-agencies", is_flag=True, help="Thêm vào danh mục các cơ quan chưa có.")
@click.option("--replace", is_flag=True, help="Thay thế kết quả xếp hạng đã nhập của năm đó.")
def import_dti_command(file, year, province, create_agencies, replace):
    """Import a year's DTI ranking as the decision prints it (every table of an .xlsx, .csv or .docx).
    All-or-nothing: any bad row aborts, all are listed; printed values the app does not reproduce are
    listed too (the app's are kept)."""
    try:  # read and checked before the write transaction, as for import-plan
        parsed = parse_ranking(read_tables(file), year, Path(file).name)
        with _db().read() as session:
            found = preview_ranking(session, _province(session, province), parsed, create_agencies=create_agencies,
                                    replace=replace)
        if found.errors:
            raise ImportFailed(found.errors)
        with _db().write() as session:
            written = write_ranking(session, _province(session, province), parsed, create_agencies=create_agencies,
                                    replace=replace)
    except (ImportFailed, DatabaseBusy) as exc:
        _fail(f"Không nhập kết quả xếp hạng DTI; không có thay đổi nào được lưu.\n{exc}")
    click.echo("\n".join(written.summary_lines() + written.disagreements))


@click.command("dti")
@with_appcontext
@click.option("--year", required=True, type=int)
@click.option("--province", default=None, help="Tỉnh; bỏ trống khi cơ sở dữ liệu chỉ có một tỉnh.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON: rows và levels.")
def dti_command(year, province, as_json):
    """A year's DTI ranking: each agency's group, score, maximum, percentage as the decision writes it,
    level and rank within its group, and the count per level."""
    with _db().read() as session:
        chosen = _province(session, province)
        name, rows, levels = chosen.name, ranking_rows(session, chosen.id, year), level_counts(session, chosen.id, year)
    if not rows:
        _fail(f"Chưa có kết quả xếp hạng DTI năm {year} của {name}.")
    if as_json:
        click.echo(json.dumps({"rows": [{"agency": row["agency"], "group": row["group"], "score": row["score_number"],
                                         "maximum": row["maximum_number"], "percent": row["percent"],
                                         "level": row["level"], "rank": row["rank"]} for row in rows],
                               "levels": levels}, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(f"{row['rank']:>3}. {row['agency']}: {row['score']}/{row['maximum']} = {row['percent']}, "
                              f"{row['level']} ({row['group']})" for row in rows))
        click.echo(", ".join(f"{level}: {count}" for level, count in levels.items()))


def register_cli(server: Flask) -> None:
    for command in (init_db, import_plan_command, rollup_command, create_user_command, make_synthetic_command,
                    export_report_command, import_indicators_command, indicator_bands_command,
                    unlock_user_command, send_reminders_command, import_dti_command, dti_command):
        server.cli.add_command(command)
