"""Tổng hợp: the period selector, the plan as of that period, click-through lists and the export.

Leaders, the secretariat and admins see the whole province; agency users have no access (their
own workspace shows their part), so the policy refuses them before any query runs.
"""
from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks import selector
from callbacks.guard import Policy, guarded_callback
from callbacks.selector import chosen, linked_plan, province_plan
from layouts import indicators as indicator_view
from layouts import overview as view
from layouts import tasks as tasks_view
from layouts.shell import plan_href
from models import Database
from services.accounts.permissions import READ_ALL_ROLES, Actor
from services.common.clock import today
from services.common.inputs import id_from_text
from services.common.queries import vn_number
from services.indicators.standings import band_counts, band_lines
from services.reporting.dashboard import (
    CATEGORY_LABELS,
    Selection,
    agency_table,
    as_of_for,
    completion_series,
    compliance,
    overdue_board,
    overview,
    section_table,
    tasks_behind,
)
from services.reporting.export import ReportRequest, build_report
from services.reporting.periods import period_containing
from services.reporting.rollup import report_sentence

READ_PROVINCE = Policy(READ_ALL_ROLES, description="Lãnh đạo, Tổ giúp việc, quản trị: toàn tỉnh")
PAGE = view.PAGE


def load_overview(actor: Actor, db: Database, kind, period_key, day, search):
    """Returns (sentence, change, tiles, quarter title, quarter tiles, 2 figures, agencies, sections,
    overdue rows and note, compliance rows, columns and note) for the URL's plan. The trend line
    loads on its own."""
    selection = chosen(kind, period_key, day)
    now = today()
    with db.read() as session:
        plan = province_plan(session, actor, search)
        result = overview(session, plan, selection, now)
        as_of = as_of_for(result.current.day, now)
        agencies = agency_table(session, plan, as_of)
        sections = section_table(session, plan, as_of)
        late = overdue_board(session, plan, result.current.day, now)
        reports = compliance(session, plan, now)
        deadline_note = (f"Hạn nộp: ngày {plan.report_deadline_day} của "
                         f"{'mỗi tháng' if plan.reporting_cadence == 'monthly' else 'tháng cuối mỗi quý'}.")
    counts = result.current.counts.as_dict()
    changes = "; ".join(f"{CATEGORY_LABELS[key]}: {result.change(key)}" for key in ("done", "in_progress", "overdue"))
    quarter = result.quarter_counts.as_dict()
    return (
        f"Tính đến {result.current.label} ({result.current.day:%d/%m/%Y}): {report_sentence(result.current.counts)}",
        changes + ".",
        view.tiles(counts, counts["total"], "plan", view.TILES),
        f"Nhiệm vụ đến hạn trong {result.quarter.label}: {quarter['total']:02d}",
        view.tiles(quarter, quarter["total"], "quarter", view.QUARTER_TILES),
        view.section_bars(sections), view.donut(counts),
        agencies, sections,
        late.rows, f"{vn_number(late.total)} phần việc quá hạn tính đến {result.current.day:%d/%m/%Y}"
                   + (f" (hiển thị {vn_number(len(late.rows))} phần việc trễ lâu nhất)." if late.total > len(late.rows)
                      else "."),
        reports.rows, view.compliance_columns([(p.key, p.label) for p in reports.periods]), deadline_note,
    )


def load_trend(actor: Actor, db: Database, kind, period_key, day, search):
    """The completion line: one as-of rollup per month end, so it arrives after the numbers."""
    selection = chosen(kind, period_key, day)
    now = today()
    with db.read() as session:
        series = completion_series(session, province_plan(session, actor, search), min(selection.day, now), now)
    return view.trend(series)


def load_indicator_bands(actor: Actor, db: Database, kind, period_key, day, search):
    """The targets of Phụ lục 01 by band at the selection's end, with the change since the previous."""
    selection = chosen(kind, period_key, day)
    with db.read() as session:
        plan = province_plan(session, actor, search)
        current = band_counts(session, plan, selection.day)
        previous = band_counts(session, plan, selection.previous_day)
    return indicator_view.band_summary(band_lines(current, previous, selection.previous_label), current)


def drill_down(actor: Actor, db: Database, _clicks, kind, period_key, day, search):
    """Returns (title, rows, box style): the tasks behind the clicked tile."""
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(_clicks or []):
        raise PreventUpdate
    selection = chosen(kind, period_key, day)
    category, scope = clicked.get("key"), clicked.get("scope")
    if category not in CATEGORY_LABELS or scope not in {"plan", "quarter"}:
        raise PreventUpdate
    if scope == "plan":
        return _drill(actor, db, search, selection, category, "toàn kế hoạch")
    quarter = period_containing(min(selection.day, today()), "quarter")
    return _drill(actor, db, search, selection, category, f"đến hạn trong {quarter.label}",
                  due_between=(quarter.start, quarter.end))


def export(actor: Actor, db: Database, n_clicks, kind, period_key, day, search):
    """The Excel report of the URL's plan (an archived plan's too: it is read, not written)."""
    if not n_clicks:
        raise PreventUpdate
    selection = chosen(kind, period_key, day)
    with db.read() as session:
        data = build_report(session, province_plan(session, actor, search),
                            ReportRequest(selection, today()))
    return dcc.send_bytes(data, f"bao-cao-cds-{(day if kind == 'date' else period_key)}.xlsx")


def _drill(actor: Actor, db: Database, search, selection: Selection, category: str, where: str, **scope) -> tuple:
    """(title, rows, box style) for the tasks behind one number."""
    now = today()
    with db.read() as session:
        rows = tasks_behind(session, province_plan(session, actor, search), category,
                            as_of_for(min(selection.day, now), now), **scope)
    return (f"{CATEGORY_LABELS[category]} — {where} (tính đến {selection.label}): {len(rows)} nhiệm vụ",
            rows, {"display": "block"})


def click_section(actor: Actor, db: Database, cell, kind, period_key, day, search):
    """A number in the by-section table lists its tasks."""
    section_id = id_from_text(cell.get("rowId")) if isinstance(cell, dict) else None
    category = cell.get("colId") if isinstance(cell, dict) else None
    if section_id is None or category not in CATEGORY_LABELS:
        raise PreventUpdate
    return _drill(actor, db, search, chosen(kind, period_key, day), category, "nhóm nhiệm vụ đã chọn",
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
        return plan_href(tasks_view.PATH, linked, {"don-vi": agency_id}), no_update, no_update, no_update
    return (no_update, *_drill(actor, db, search, chosen(kind, period_key, day), category, "đơn vị đã chọn",
                               agency_id=agency_id))


def register(app: Dash) -> None:
    selector_states = [State(f"{PAGE}-kind", "value"), State(f"{PAGE}-period", "value"), State(f"{PAGE}-date", "value"),
                       State("url", "search")]
    selected = [Input(f"{PAGE}-kind", "value"), Input(f"{PAGE}-period", "value"), Input(f"{PAGE}-date", "value"),
                State("url", "search")]
    selector.register(app, PAGE, READ_PROVINCE)
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-sentence", "children"), Output(f"{PAGE}-change", "children"),
        Output(f"{PAGE}-tiles", "children"), Output(f"{PAGE}-quarter-title", "children"),
        Output(f"{PAGE}-quarter", "children"), Output(f"{PAGE}-by-section", "figure"),
        Output(f"{PAGE}-donut", "figure"),
        Output(f"{PAGE}-agencies", "rowData"), Output(f"{PAGE}-sections", "rowData"),
        Output(f"{PAGE}-overdue", "rowData"), Output(f"{PAGE}-overdue-note", "children"),
        Output(f"{PAGE}-compliance", "rowData"), Output(f"{PAGE}-compliance", "columnDefs"),
        Output(f"{PAGE}-compliance-note", "children"), *selected,
    )(load_overview)
    guarded_callback(app, READ_PROVINCE, Output(f"{PAGE}-trend", "figure"), *selected)(load_trend)
    guarded_callback(app, READ_PROVINCE, Output(f"{PAGE}-indicator-bands", "children"), *selected)(
        load_indicator_bands)
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-drill-title", "children"), Output(f"{PAGE}-drill", "rowData"),
        Output(f"{PAGE}-drill-box", "style"),
        Input({"type": f"{PAGE}-tile", "scope": ALL, "key": ALL}, "n_clicks"), *selector_states,
        prevent_initial_call=True,
    )(drill_down)
    guarded_callback(
        app, READ_PROVINCE, Output(f"{PAGE}-download", "data"), Input(f"{PAGE}-export", "n_clicks"), *selector_states,
        prevent_initial_call=True,
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
