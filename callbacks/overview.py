"""Tổng hợp: the period selector, the plan as of that period, click-through lists, the report
downloads, and closing a period (chốt số liệu).

Leaders, the secretariat and admins see the whole province; agency users have no access (their
own workspace shows their part), so the policy refuses them before any query runs. What a period
shows comes from its report content (services.publication): the published one when the period is
closed, else worked out live, so the screen, the downloads and a later closed view say the same.
Only the province's secretariat closes and reopens (the policy, then services.publication.closing).
"""
from __future__ import annotations

from datetime import date

from dash import ALL, Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from callbacks import selector
from callbacks.guard import Policy, browser_callback, guarded_callback, refuse
from callbacks.selector import NoPeriod, chosen, linked_plan, province_plan, query
from layouts import home as home_view
from layouts import indicators as indicator_view
from layouts import overview as view
from layouts import tasks as tasks_view
from layouts.shell import plan_href
from models import Database, Plan
from models.base import DatabaseBusy
from services.accounts.permissions import READ_ALL_ROLES, Actor, NotAllowed, can_publish
from services.common.clock import now, today
from services.common.inputs import id_from_text
from services.common.queries import vn_date, vn_number
from services.indicators.achievement import Band
from services.indicators.standings import band_lines
from services.plans.catalogue import PlanArchived
from services.plans.deadlines import parse_date
from services.publication.closing import (
    ClosingRefused,
    Published,
    close_period,
    closed_periods,
    publication,
    reopen_period,
)
from services.publication.content import ReportContent, TaskLine, gather, section_parts
from services.publication.report import marked, report_file
from services.plans.statuses import STATUS_LABELS, Status
from services.reporting.dashboard import (
    CATEGORY_LABELS,
    as_of_for,
    completion_series,
    compliance,
    days_late,
    drill_row_id,
    overdue_board,
    part_agency,
    parts_to_open,
    roots_of,
    tasks_behind,
)
from services.reporting.periods import parse_period, period_containing, week_scheme
from services.reporting.rollup import report_sentence, review_counts
from services.reporting.stored import remembered

READ_PROVINCE = Policy(READ_ALL_ROLES, description="Lãnh đạo, Tổ giúp việc, quản trị: toàn tỉnh")
PUBLISH = Policy(frozenset({"secretariat"}), writes=True, description="Tổ giúp việc của tỉnh: chốt, mở lại kỳ")
PAGE = view.PAGE
FORMATS = {f"{PAGE}-export": "xlsx", f"{PAGE}-export-word": "docx"}
LOAD_OUTPUTS = {
    "sentence": ("sentence", "children"), "change": ("change", "children"), "review": ("review", "children"),
    "tiles": ("tiles", "children"), "quarter_title": ("quarter-title", "children"),
    "quarter": ("quarter", "children"),
    "agencies": ("agencies", "rowData"), "sections": ("sections", "rowData"), "overdue": ("overdue", "rowData"),
    "overdue_note": ("overdue-note", "children"), "compliance": ("compliance", "rowData"),
    "compliance_columns": ("compliance", "columnDefs"), "compliance_note": ("compliance-note", "children"),
    "bands": ("indicator-bands", "children"), "banner": ("banner", "children"),
    "close_label": ("close-open", "children"), "close_style": ("close-open", "style"),
    "reopen_style": ("reopen-open", "style"), "close_body": ("close-body", "children"),
    "closed": ("closed", "rowData"),
}


def _key(kind, period_key, day) -> str:
    """What the selection names: a day for "any date", else the period's key."""
    return day if kind == "date" else period_key


def _published(session, plan, kind, period_key) -> Published | None:
    """The selected period's published figures, if it is closed (a day is never closed)."""
    return None if kind == "date" else publication(session, plan, period_key)


def _overdue_rows(content: ReportContent) -> list[dict]:
    """The published overdue parts as the board's rows (their status was not kept: not done)."""
    return [{"row_id": str(index), "stt": line.stt, "title": line.title, "agency": line.agency,
             "deadline_text": line.deadline_text, "due_date": line.due_date, "days": line.days, "band": line.band,
             "status": "", "last_update": line.last_update, "delay_reason": line.delay_reason}
            for index, line in enumerate(content.overdue)]


def load_overview(actor: Actor, db: Database, kind, period_key, day, _refresh, search) -> dict:
    """Everything the page shows for the selection, from its report content (published if the
    period is closed); the reporting compliance is always today's. The trend loads on its own."""
    now_day = today()
    with db.read() as session:
        plan = province_plan(session, actor, search)
        try:
            chosen(kind, period_key, day, plan)
        except NoPeriod as exc:
            if not exc.reason:
                raise
            refusal = view.message(exc.reason, "warning", f"{PAGE}-period-message")
            return {**{name: no_update for name in LOAD_OUTPUTS}, "sentence": refusal}
        # A day and a week are never closed (services.publication.closing refuses them).
        may_close = kind not in ("date", "week") and plan.archived_at is None and can_publish(actor, plan.province_id)
        # The whole answer, figures built, is kept until the plan changes (services.reporting.stored).
        return remembered(session, plan.id, now_day, ("overview", kind, period_key, day, may_close),
                          lambda: _overview(session, plan, kind, period_key, day, now_day, may_close))


def _content(session: Session, plan: Plan, kind, period_key, day, now_day: date
             ) -> tuple[ReportContent, Published | None]:
    """The selection's report content: a closed period's published one (marked, with how the figures
    counted again today differ), else worked out live."""
    published = _published(session, plan, kind, period_key)
    if published:
        return marked(session, plan, published), published
    return gather(session, plan, _key(kind, period_key, day), now_day, lists=False), None


def _overview(session: Session, plan: Plan, kind, period_key, day, now_day: date, may_close: bool) -> dict:
    content, published = _content(session, plan, kind, period_key, day, now_day)
    if published:
        review = published.summary["review"]
        late_rows, late_total = _overdue_rows(content), content.overdue_total
    else:
        review = review_counts(session, plan, as_of_for(content.day, now_day)).as_dict()
        late = overdue_board(session, plan, content.day, now_day)
        late_rows, late_total = late.rows, late.total
    reports = compliance(session, plan, now_day)
    closes = closed_periods(session, plan)
    deadline_note = {"weekly": "Hạn nhập số liệu: ngày cuối của mỗi tuần.",
                     "monthly": f"Hạn nộp: ngày {plan.report_deadline_day} của mỗi tháng."}.get(
        plan.reporting_cadence, f"Hạn nộp: ngày {plan.report_deadline_day} của tháng cuối mỗi quý.")
    counts, quarter = content.counts.as_dict(), content.quarter_counts.as_dict()
    changes = "; ".join(f"{CATEGORY_LABELS[k]}: {content.change(k)}" for k in ("done", "in_progress", "overdue"))
    shown = f" (hiển thị {vn_number(len(late_rows))} phần việc trễ lâu nhất)." if late_total > len(late_rows) else "."
    bands = {band: content.bands.get(band.value, 0) for band in Band}
    previous_bands = {band: content.previous_bands.get(band.value, 0) for band in Band}
    return {
        "sentence": f"Tính đến {content.period_label} ({content.day:%d/%m/%Y}): {report_sentence(content.counts)}",
        "change": changes + ".",
        "review": view.review_line(review),
        "tiles": view.tiles(counts, counts["total"], "plan", view.TILES),
        "quarter_title": f"Nhiệm vụ đến hạn trong {content.quarter_label}: {quarter['total']:02d}",
        "quarter": view.tiles(quarter, quarter["total"], "quarter", view.QUARTER_TILES),
        "agencies": list(content.agencies), "sections": list(content.sections),
        "overdue": late_rows,
        "overdue_note": f"{vn_number(late_total)} phần việc quá hạn tính đến {content.day:%d/%m/%Y}" + shown,
        "compliance": reports.rows,
        "compliance_columns": view.compliance_columns([(p.key, p.label) for p in reports.periods]),
        "compliance_note": deadline_note,
        "bands": indicator_view.band_summary(band_lines(bands, previous_bands, content.compared_with), bands),
        "banner": view.banner(content.published, content.corrections_note) if published else None,
        "close_label": f"Chốt số liệu {content.period_label}",
        "close_style": view.SHOWN if may_close and not published else view.HIDDEN,
        "reopen_style": view.SHOWN if may_close and published else view.HIDDEN,
        "close_body": (f"Chốt số liệu {content.as_of_phrase}: các con số, tình trạng từng nhiệm vụ và kết quả từng "
                       "mục tiêu hiện nay được lưu làm số đã phát hành; nội dung tính trong kỳ không cập nhật được "
                       "nữa cho đến khi mở lại kỳ."),
        "closed": closes,
    }


def show_charts(actor: Actor, db: Database, opened):
    """The charts' places, once their tab is first opened (their callbacks then fill them)."""
    if not opened:
        raise PreventUpdate
    return view.charts()


def load_charts(actor: Actor, db: Database, kind, period_key, day, _refresh, search):
    """Returns (status by section, donut) for the selection, from the same content as the numbers."""
    now_day = today()
    with db.read() as session:
        plan = province_plan(session, actor, search)
        chosen(kind, period_key, day, plan)

        def figures():
            content, _ = _content(session, plan, kind, period_key, day, now_day)
            return view.section_bars(list(content.sections)), view.donut(content.counts.as_dict())
        return remembered(session, plan.id, now_day, ("charts", kind, period_key, day), figures)


def load_trend(actor: Actor, db: Database, kind, period_key, day, search):
    """The completion line: the plan at each month end (past ones stored once), so it arrives after
    the numbers. It is counted from today's history, closed period or not."""
    now_day = today()
    with db.read() as session:
        plan = province_plan(session, actor, search)
        until = min(chosen(kind, period_key, day, plan).day, now_day)
        return remembered(session, plan.id, now_day, ("trend", until),
                          lambda: view.trend(completion_series(session, plan, until, now_day)))


def drill_down(actor: Actor, db: Database, _clicks, kind, period_key, day, search):
    """Returns (title, rows, box style): the tasks behind the clicked tile."""
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(_clicks or []):
        raise PreventUpdate
    category, scope = clicked.get("key"), clicked.get("scope")
    if category not in CATEGORY_LABELS or scope not in {"plan", "quarter"}:
        raise PreventUpdate
    return _drill(actor, db, search, (kind, period_key, day), category, "toàn kế hoạch", in_quarter=scope == "quarter")


def export(actor: Actor, db: Database, _excel, _word, kind, period_key, day, search):
    """The report of the selection as Word or Excel (an archived plan's too: it is read, not
    written); a closed period's is the published one."""
    fmt = FORMATS.get(ctx.triggered_id)
    key = _key(kind, period_key, day)
    if fmt is None or not isinstance(key, str):
        raise PreventUpdate
    with db.read() as session:
        plan = province_plan(session, actor, search)
        chosen(kind, period_key, day, plan)
        data, filename = report_file(session, plan, key, today(), fmt)
    return dcc.send_bytes(data, filename)


def _published_lines(content: ReportContent, category: str, due_between: tuple[date, date] | None,
                     section_code: str | None, opened: dict[int, int]) -> list[dict]:
    """The published tasks behind one published number, as the drill-down grid's rows (days late
    at the published day, the result or reason as published; a click opens today's part)."""
    def kept(line: TaskLine) -> bool:
        if section_code is not None and line.section != section_code:
            return False
        if due_between is None:
            return True
        due = parse_date(line.due_date) if line.due_date else None
        return due is not None and due_between[0] <= due <= due_between[1]

    return [{"id": line.task_id, "row_id": drill_row_id(line.task_id, opened.get(line.task_id)), "stt": line.stt,
             "section": line.section, "title": line.title, "lead": line.lead, "deadline_text": line.deadline_text,
             "due_date": line.due_date, "status": line.status, "last_update": "", "reason": line.result,
             "days_late": days_late(parse_date(line.due_date) if line.due_date else None,
                                    line.status == STATUS_LABELS[Status.DONE], content.day)}
            for line in content.tasks_in(category) if kept(line)]


def _drill(actor: Actor, db: Database, search, selector_values: tuple, category: str, where: str,
           in_quarter: bool = False, section_id: int | None = None, agency_id: int | None = None) -> tuple:
    """(title, rows, box style) for the tasks behind one number (`in_quarter`: of those due in the
    quarter of the selection): a closed period's published tasks (an agency's parts were not
    published: those are counted again from the history)."""
    kind, period_key, day = selector_values
    now_day = today()
    due_between = None
    with db.read() as session:
        plan = province_plan(session, actor, search)
        selection = chosen(kind, period_key, day, plan)
        if in_quarter:
            quarter = period_containing(min(selection.day, now_day), "quarter")
            where, due_between = f"đến hạn trong {quarter.label}", (quarter.start, quarter.end)
        published = _published(session, plan, kind, period_key) if agency_id is None else None
        if published:
            codes = {row["id"]: section_parts(row["name"])[0] for row in published.content.sections}
            if section_id is not None and section_id not in codes:
                raise PreventUpdate
            opened = parts_to_open(session, plan, roots_of([line.task_id for line in
                                                           published.content.tasks_in(category)]), now_day)
            rows = _published_lines(published.content, category, due_between,
                                    codes[section_id] if section_id is not None else None, opened)
        else:
            rows = tasks_behind(session, plan, category, as_of_for(min(selection.day, now_day), now_day),
                                due_between=due_between, section_id=section_id, agency_id=agency_id)
    mark = " — số đã chốt" if published else ""
    return (f"{CATEGORY_LABELS[category]} — {where} (tính đến {selection.label}{mark}): {len(rows)} nhiệm vụ",
            rows, {"display": "block"})


def click_section(actor: Actor, db: Database, cell, kind, period_key, day, search):
    """A number in the by-section table lists its tasks."""
    section_id = id_from_text(cell.get("rowId")) if isinstance(cell, dict) else None
    category = cell.get("colId") if isinstance(cell, dict) else None
    if section_id is None or category not in CATEGORY_LABELS:
        raise PreventUpdate
    return _drill(actor, db, search, (kind, period_key, day), category, "nhóm nhiệm vụ đã chọn",
                  section_id=section_id)


def click_agency(actor: Actor, db: Database, cell, kind, period_key, day, search):
    """Returns (href, drill title, rows, box style). A number lists that agency's tasks behind it;
    the name opens the agency's workspace in the same plan, read-only for leaders (that page checks
    again)."""
    agency_id = id_from_text(cell.get("rowId")) if isinstance(cell, dict) else None
    if agency_id is None:
        raise PreventUpdate
    category = cell.get("colId")
    if category not in CATEGORY_LABELS:
        with db.read() as session:
            linked = linked_plan(province_plan(session, actor, search), search)
        return plan_href(tasks_view.PATH, linked, {tasks_view.AGENCY_PARAMETER: agency_id}), no_update, no_update, no_update
    return (no_update, *_drill(actor, db, search, (kind, period_key, day), category, "đơn vị đã chọn",
                               agency_id=agency_id))


def open_drilled(actor: Actor, db: Database, cell, search):
    """A row of the click-through list opens its task: the part its id names ("task-assignment"), in
    the agency's workspace of the same plan (read-only for leaders; that page checks again). A part
    not in the URL's plan opens nothing."""
    row_id = cell.get("rowId") if isinstance(cell, dict) else None
    assignment_id = id_from_text(row_id.partition("-")[2]) if isinstance(row_id, str) else None
    if assignment_id is None:
        raise PreventUpdate
    with db.read() as session:
        plan = province_plan(session, actor, search)
        agency_id = part_agency(session, plan, assignment_id)
        linked = linked_plan(plan, search)
    if agency_id is None:
        raise PreventUpdate
    return plan_href(tasks_view.PATH, linked, {tasks_view.AGENCY_PARAMETER: agency_id,
                                               tasks_view.ASSIGNMENT_PARAMETER: assignment_id})


def drill_from_link(actor: Actor, db: Database, _options, kind, period_key, day, search):
    """"/tong-hop?chi-tiet=done" (a home page tile): the list behind that count for the whole plan,
    once the period is chosen. The URL's plan is checked first, whatever the link asks."""
    with db.read() as session:
        province_plan(session, actor, search)
    category = query(search).get(home_view.DRILL_PARAMETER)
    if category not in CATEGORY_LABELS:
        raise PreventUpdate
    return _drill(actor, db, search, (kind, period_key, day), category, "toàn kế hoạch")


def _bump(refresh) -> int:
    return (refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0) + 1


def close(actor: Actor, db: Database, n_clicks, kind, period_key, search, refresh):
    """Returns (message, refresh, modal open): the selected period closed, or why not."""
    if not n_clicks:
        raise PreventUpdate
    if kind == "date":
        return view.message("Chỉ chốt số liệu theo kỳ (tháng, quý, 6 tháng, năm).", "warning"), no_update, False
    try:
        with db.write() as session:
            plan = province_plan(session, actor, search)
            done = close_period(session, actor, plan, period_key, when=now())
            label = parse_period(done.period, week_scheme(plan)).label
            text = f"Đã chốt số liệu {label} (số liệu đến ngày {vn_date(done.day)})."
    except (ClosingRefused, PlanArchived, DatabaseBusy) as exc:
        return view.message(str(exc), "warning"), no_update, False
    except NotAllowed as exc:
        refuse(str(exc))
    return view.message(text, "success"), _bump(refresh), False


def reopen(actor: Actor, db: Database, n_clicks, kind, period_key, reason, search, refresh):
    """Returns (message, refresh, modal open, the dialog's message, reason): the period reopened,
    or the dialog stays open saying why not."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            if kind == "date":
                raise ClosingRefused("Chọn kỳ đã chốt (tháng, quý, 6 tháng, năm) để mở lại.")
            plan = province_plan(session, actor, search)
            done = reopen_period(session, actor, plan, period_key, reason, when=now())
            text = f"Đã mở lại kỳ {parse_period(done.period, week_scheme(plan)).label}. Lý do: {done.reopen_reason}"
    except (ClosingRefused, PlanArchived, DatabaseBusy) as exc:
        return no_update, no_update, True, view.message(str(exc), "danger", f"{PAGE}-reopen-message"), no_update
    except NotAllowed as exc:
        refuse(str(exc))
    return view.message(text, "success"), _bump(refresh), False, None, ""


def register(app: Dash) -> None:
    selector_states = [State(f"{PAGE}-kind", "value"), State(f"{PAGE}-period", "value"), State(f"{PAGE}-date", "value"),
                       State("url", "search")]
    selected = [Input(f"{PAGE}-kind", "value"), Input(f"{PAGE}-period", "value"), Input(f"{PAGE}-date", "value"),
                State("url", "search")]
    selector.register(app, PAGE, READ_PROVINCE)
    guarded_callback(
        app, READ_PROVINCE,
        output={name: Output(f"{PAGE}-{component}", prop) for name, (component, prop) in LOAD_OUTPUTS.items()},
        inputs=[*selected[:3], Input(f"{PAGE}-refresh", "data")], state=[State("url", "search")],
    )(load_overview)
    guarded_callback(app, READ_PROVINCE, Output(f"{PAGE}-charts", "children"),
                     Input(f"{PAGE}-tabs-tab-charts", "n_clicks"), prevent_initial_call=True)(show_charts)
    guarded_callback(app, READ_PROVINCE, Output(f"{PAGE}-by-section", "figure"), Output(f"{PAGE}-donut", "figure"),
                     *selected[:3], Input(f"{PAGE}-refresh", "data"), State("url", "search"))(load_charts)
    guarded_callback(app, READ_PROVINCE, Output(f"{PAGE}-trend", "figure"), *selected)(load_trend)
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-drill-title", "children"), Output(f"{PAGE}-drill", "rowData"),
        Output(f"{PAGE}-drill-box", "style"),
        Input({"type": f"{PAGE}-tile", "scope": ALL, "key": ALL}, "n_clicks"), *selector_states,
        prevent_initial_call=True,
    )(drill_down)
    guarded_callback(
        app, READ_PROVINCE, Output(f"{PAGE}-download", "data"), Input(f"{PAGE}-export", "n_clicks"),
        Input(f"{PAGE}-export-word", "n_clicks"), *selector_states, prevent_initial_call=True,
    )(export)
    drill_outputs = [Output(f"{PAGE}-drill-title", "children", allow_duplicate=True),
                     Output(f"{PAGE}-drill", "rowData", allow_duplicate=True),
                     Output(f"{PAGE}-drill-box", "style", allow_duplicate=True)]
    guarded_callback(
        app, READ_PROVINCE, Output("url", "href"), *drill_outputs,
        Input(f"{PAGE}-agencies", "cellClicked"), *selector_states, prevent_initial_call=True,
    )(click_agency)
    guarded_callback(
        app, READ_PROVINCE, *drill_outputs, Input(f"{PAGE}-sections", "cellClicked"), *selector_states,
        prevent_initial_call=True,
    )(click_section)
    guarded_callback(
        app, READ_PROVINCE, *drill_outputs, Input(f"{PAGE}-period", "options"), *selector_states,
        prevent_initial_call=True,
    )(drill_from_link)
    guarded_callback(
        app, READ_PROVINCE, Output("url", "href", allow_duplicate=True), Input(f"{PAGE}-drill", "cellClicked"),
        State("url", "search"), prevent_initial_call=True,
    )(open_drilled)
    # A list that opens below the fold comes into view, its title focused for keyboards and readers.
    browser_callback(
        app, """function(title) {
            var box = document.getElementById('overview-drill-box');
            var heading = document.getElementById('overview-drill-title');
            if (box && title) {
                box.scrollIntoView({block: 'start'});
                if (heading) { heading.focus({preventScroll: true}); }
            }
            return title;
        }""",
        Output(f"{PAGE}-drill-shown", "data"), Input(f"{PAGE}-drill-title", "children"), prevent_initial_call=True)
    period_states = [State(f"{PAGE}-kind", "value"), State(f"{PAGE}-period", "value")]
    guarded_callback(
        app, PUBLISH,
        Output(f"{PAGE}-close-alert", "children"), Output(f"{PAGE}-refresh", "data"),
        Output(f"{PAGE}-close-modal", "is_open", allow_duplicate=True),
        Input(f"{PAGE}-close-confirm", "n_clicks"), *period_states, State("url", "search"),
        State(f"{PAGE}-refresh", "data"), prevent_initial_call=True,
    )(close)
    guarded_callback(
        app, PUBLISH,
        Output(f"{PAGE}-close-alert", "children", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-reopen-modal", "is_open", allow_duplicate=True),
        Output(f"{PAGE}-reopen-alert", "children"), Output(f"{PAGE}-reopen-reason", "value"),
        Input(f"{PAGE}-reopen-confirm", "n_clicks"), *period_states, State(f"{PAGE}-reopen-reason", "value"),
        State("url", "search"), State(f"{PAGE}-refresh", "data"), prevent_initial_call=True,
    )(reopen)
    for dialog in ("close", "reopen"):
        browser_callback(app, "function(_) { return true; }", Output(f"{PAGE}-{dialog}-modal", "is_open"),
                         Input(f"{PAGE}-{dialog}-open", "n_clicks"), prevent_initial_call=True)
        browser_callback(app, "function(_) { return false; }",
                         Output(f"{PAGE}-{dialog}-modal", "is_open", allow_duplicate=True),
                         Input(f"{PAGE}-{dialog}-cancel", "n_clicks"), prevent_initial_call=True)
