"""Mục tiêu, chỉ tiêu: the targets as of a period, one target's page, entering values, the direction.

Everyone logged in reads the province's targets (the plan publishes them). Values are written by
the indicator's monitoring agency or the secretariat, the direction by the secretariat: the
services check it with the actor from the database, whatever id or role the browser sends, and
every refusal is logged and answered 403.
"""
from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks import selector
from callbacks.guard import READ_ANY_ROLE, Policy, browser_callback, guarded_callback, refuse
from callbacks.selector import chosen, linked_plan, province_plan, query, requested_plan
from layouts import indicators as view
from layouts.controls import alert, history_table
from models import Database, Plan
from models.base import DatabaseBusy
from services.accounts.permissions import AGENCY_WRITE_ROLES, Actor, NotAllowed
from services.common.clock import today
from services.common.inputs import id_from_text, strict_int
from services.common.queries import plan_sections, vn_date
from services.common.saving import Outcome
from services.common.text import search_words
from services.indicators.achievement import ASSESSMENT_LABELS, Band
from services.indicators.standings import (
    TableFilter,
    band_counts,
    band_from,
    band_lines,
    due_indicators,
    indicator_detail,
    indicator_history,
    indicator_table,
    reporting_status,
    tally,
    value_form,
    visible_indicator,
)
from services.indicators.updates import FIELD_LABELS, FORM_FIELDS, save_value, set_direction
from services.plans.catalogue import PlanArchived, archived_message, visible_plan
from services.reporting.periods import (
    CADENCES,
    InvalidPeriod,
    Period,
    parse_period,
    period_containing,
    periods_of_year,
    week_scheme,
)

REPORT_INDICATOR = Policy(AGENCY_WRITE_ROLES, writes=True,
                          description="cơ quan theo dõi, tổng hợp chỉ tiêu, hoặc Tổ giúp việc")
CONFIGURE_INDICATORS = Policy(frozenset({"secretariat"}), writes=True, description="Tổ giúp việc")
PAGE, DETAIL, FORM = view.PAGE, view.DETAIL, view.FORM
CHECKED_FIELDS = ("period", "value", "assessment", "source_note")  # the inputs that show a message
ENTRY_KINDS = ("month", "quarter", "half", "year")
DIRECTIONS = {"higher": True, "lower": False}


def _bump(refresh) -> int:
    return (strict_int(refresh) or 0) + 1


def load_list(actor: Actor, db: Database, kind, period_key, day, text, section, band, own, narrow, search):
    """Returns (heading, bands, rows, columns, count, section options, reporting rows, reporting note,
    due panel, own switch box style) for the URL's plan."""
    now = today()
    with db.read() as session:
        plan = province_plan(session, actor, search)
        selection = chosen(kind, period_key, day, plan)
        period = _chosen_period(kind, period_key, plan) or period_containing(
            selection.day, CADENCES[plan.reporting_cadence], week_scheme(plan))
        rows = indicator_table(session, actor, plan, selection.day, period)
        previous = band_counts(session, plan, selection.previous_day)
        reporting = reporting_status(session, plan, period)
        due = due_indicators(session, actor, plan, now)
        sections = plan_sections(session, plan, "indicators")
        linked = linked_plan(plan, search)
    current = tally(Band(row["band"]) for row in rows)
    mine = {row["id"] for row in rows if row["own"]}
    table_filter = TableFilter(search_words(text), id_from_text(section),
                               band_from(band), mine if own is True and actor.is_agency else None)
    shown = [{k: v for k, v in row.items() if k not in ("search", "own")} for row in rows if table_filter.keeps(row)]
    missing = sum(row["missing"] for row in reporting)
    return (
        f"Tính đến {selection.label} ({vn_date(selection.day)}): {len(rows)} mục tiêu, chỉ tiêu",
        view.band_summary(band_lines(current, previous, selection.previous_label), current),
        shown, view.columns(narrow is True), f"Hiển thị {len(shown)}/{len(rows)} mục tiêu. Bấm vào một dòng để "
                                             "xem chi tiết và nhập kết quả.",
        view.section_options(sections), reporting,
        f"Số liệu kỳ {period.label}: còn {missing} lượt chỉ tiêu chưa nhập (theo cơ quan theo dõi, tổng hợp).",
        view.due_panel(due.period.label, due.rows, linked) if due else None,
        {"display": "block"} if actor.is_agency else {"display": "none"},
    )


def _chosen_period(kind, period_key, plan: Plan) -> Period | None:
    """The period picked in the selector (None for a date), a week as the plan numbers its weeks:
    "entered for this period" means it."""
    try:
        return parse_period(period_key, week_scheme(plan)) if kind != "date" and isinstance(period_key, str) else None
    except InvalidPeriod:
        return None


def open_indicator(actor: Actor, db: Database, cell, search):
    """A click on a row opens that target's page (if the actor may see it), in its plan."""
    indicator_id = id_from_text(cell.get("rowId")) if isinstance(cell, dict) else None
    if indicator_id is None:
        raise PreventUpdate
    try:
        with db.read() as session:
            plan_id = visible_indicator(session, actor, indicator_id).plan_id
    except NotAllowed as exc:
        refuse(str(exc))
    return view.detail_href(indicator_id, plan_id if requested_plan(search) is not None else None)


def load_detail(actor: Actor, db: Database, _refresh, search):
    """Returns (title, info, chart, value rows, history, id, version, period options, period, direction,
    direction box style, save disabled, notice, assessment box style). A target of an archived plan
    is shown read-only."""
    indicator_id = id_from_text(query(search).get("ma"))
    if indicator_id is None:
        raise PreventUpdate
    try:
        with db.read() as session:
            detail = indicator_detail(session, actor, indicator_id, today())
            history = indicator_history(session, actor, indicator_id)
            plan = visible_plan(session, actor, visible_indicator(session, actor, indicator_id).plan_id)
            closed = archived_message(plan) if plan.archived_at else ""
    except NotAllowed as exc:
        refuse(str(exc))
    options = [{"label": p.label, "value": p.key} for p in periods_of_year(detail["plan_year"], ENTRY_KINDS, today())]
    keys = [o["value"] for o in options]
    first = ctx.triggered_id != f"{DETAIL}-refresh"
    period = (detail["due_period"] if detail["due_period"] in keys else (keys[0] if keys else None)) if first \
        else no_update
    can_report = detail["can_report"] and not closed
    notice = None if can_report else alert(
        closed or "Bạn chỉ xem chỉ tiêu này; cơ quan theo dõi, tổng hợp hoặc Tổ giúp việc nhập kết quả.",
        "secondary", None, f"{FORM}-readonly")
    return (
        f"{detail['stt']}. {detail['name']}", view.info(detail), view.chart(detail),
        view.values_table(detail["values"]),
        history_table(history, f"{DETAIL}-history-table"), detail["id"], detail["version"], options, period,
        "higher" if detail["higher_is_better"] else "lower",
        {"display": "block"} if detail["can_configure"] and not closed else {"display": "none"},
        not can_report, notice,
        {"display": "block"} if detail["takes_assessment"] else {"display": "none"},
    )


def load_value(actor: Actor, db: Database, period, indicator_id):
    """The saved value of the chosen period. Returns (*field values, version, loaded, *invalid,
    *feedback, alert)."""
    if indicator_id is None or not isinstance(period, str):
        raise PreventUpdate
    try:
        with db.read() as session:
            values = value_form(session, actor, indicator_id, period)
    except NotAllowed as exc:
        refuse(str(exc))
    except InvalidPeriod:
        raise PreventUpdate from None
    return (values["value"], values["is_estimate"], values["assessment"], values["source_note"], values["version"],
            values, *[False] * len(CHECKED_FIELDS), *[""] * len(CHECKED_FIELDS), None)


def _describe(before: dict, after: dict) -> list[str]:
    """"Kết quả: 48% → 49%" for each field that differs between what the form loaded and what is saved."""
    def shown(name: str, value) -> str:
        if name == "is_estimate":
            return "Có" if value else "Không"
        return ASSESSMENT_LABELS.get(value, value) if value not in (None, "") else "(trống)"

    pairs = [(name, shown(name, before.get(name)), shown(name, after.get(name)))
             for name in ("value", "is_estimate", "assessment", "source_note")]
    return [f"{FIELD_LABELS[name]}: {old} → {new}" for name, old, new in pairs if old != new]


def save(actor: Actor, db: Database, n_clicks, indicator_id, version, loaded, refresh, *values):
    """Returns (*invalid, *feedback, alert, version, loaded, refresh, toast open, toast text)."""
    if not n_clicks:
        raise PreventUpdate
    raw = dict(zip(FORM_FIELDS, values))
    try:
        with db.write() as session:
            result = save_value(session, actor, indicator_id, version, raw)
    except PlanArchived as exc:  # archived while the page was open: say so, keep what was typed
        return (*[no_update] * (2 * len(CHECKED_FIELDS)), alert(str(exc), "warning", None, f"{FORM}-message"),
                no_update, no_update, no_update, False, no_update)
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:  # nothing saved; what was typed stays in the form
        return (*[no_update] * (2 * len(CHECKED_FIELDS)), alert(str(exc), "warning", None, f"{FORM}-message"),
                no_update, no_update, no_update, False, no_update)
    invalid = [name in result.errors for name in CHECKED_FIELDS]
    feedback = [result.errors.get(name, "") for name in CHECKED_FIELDS]
    if result.outcome is Outcome.SAVED:
        return (*invalid, *feedback, alert(result.message, "success", None, f"{FORM}-message"), result.version,
                result.current, _bump(refresh), True, result.message)
    if result.outcome is Outcome.CONFLICT:
        changes = _describe(loaded if isinstance(loaded, dict) else {}, result.current)
        message = alert(result.message, "warning", ["Bản đã lưu khác với lúc bạn mở:", *changes] if changes else None,
                        f"{FORM}-message")
        return (*invalid, *feedback, message, result.version, result.current, _bump(refresh), False, no_update)
    extra = [result.errors["is_estimate"]] if "is_estimate" in result.errors else None
    color = "danger" if result.outcome is Outcome.INVALID else "info"
    return (*invalid, *feedback, alert(result.message, color, extra, f"{FORM}-message"), no_update, no_update,
            no_update, False, no_update)


def save_direction(actor: Actor, db: Database, n_clicks, indicator_id, version, direction, refresh):
    """Returns (alert, version, refresh)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            result = set_direction(session, actor, indicator_id, version,
                                   DIRECTIONS.get(direction) if isinstance(direction, str) else direction)
    except PlanArchived as exc:
        return alert(str(exc), "warning", None, f"{DETAIL}-message"), no_update, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    color = {Outcome.SAVED: "success", Outcome.CONFLICT: "warning", Outcome.INVALID: "danger"}.get(result.outcome,
                                                                                                 "info")
    return alert(result.message, color, None, f"{DETAIL}-message"), result.version, _bump(refresh)


def register(app: Dash) -> None:
    selector.register(app, PAGE, READ_ANY_ROLE)
    browser_callback(app, "function(_) { return window.innerWidth < 768; }",
                     Output(f"{PAGE}-narrow", "data"), Input(f"{PAGE}-ready", "data"))
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{PAGE}-heading", "children"), Output(f"{PAGE}-bands", "children"),
        Output(f"{PAGE}-grid", "rowData"), Output(f"{PAGE}-grid", "columnDefs"), Output(f"{PAGE}-count", "children"),
        Output(f"{PAGE}-section", "options"), Output(f"{PAGE}-reporting", "rowData"),
        Output(f"{PAGE}-reporting-note", "children"), Output(f"{PAGE}-due", "children"),
        Output(f"{PAGE}-own-box", "style"),
        Input(f"{PAGE}-kind", "value"), Input(f"{PAGE}-period", "value"), Input(f"{PAGE}-date", "value"),
        Input(f"{PAGE}-search", "value"), Input(f"{PAGE}-section", "value"), Input(f"{PAGE}-band", "value"),
        Input(f"{PAGE}-own", "value"), Input(f"{PAGE}-narrow", "data"), State("url", "search"),
    )(load_list)
    guarded_callback(app, READ_ANY_ROLE, Output("url", "href", allow_duplicate=True),
                     Input(f"{PAGE}-grid", "cellClicked"), State("url", "search"),
                     prevent_initial_call=True)(open_indicator)
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{DETAIL}-title", "children"), Output(f"{DETAIL}-info", "children"),
        Output(f"{DETAIL}-chart", "figure"), Output(f"{DETAIL}-values", "children"),
        Output(f"{DETAIL}-history", "children"), Output(f"{DETAIL}-id", "data"), Output(f"{DETAIL}-version", "data"),
        Output(view.field_id("period"), "options"), Output(view.field_id("period"), "value"),
        Output(f"{DETAIL}-direction", "value"), Output(f"{DETAIL}-direction-box", "style"),
        Output(f"{FORM}-save", "disabled"), Output(f"{FORM}-notice", "children"),
        Output(f"{view.field_id('assessment')}-box", "style"),
        Input(f"{DETAIL}-refresh", "data"), State("url", "search"),
    )(load_detail)
    invalid = [Output(view.field_id(name), "invalid") for name in CHECKED_FIELDS]
    feedback = [Output(f"{view.field_id(name)}-feedback", "children") for name in CHECKED_FIELDS]
    guarded_callback(
        app, READ_ANY_ROLE,
        *[Output(view.field_id(name), "value") for name in FORM_FIELDS if name != "period"],
        Output(f"{FORM}-version", "data"), Output(f"{FORM}-loaded", "data"), *invalid, *feedback,
        Output(f"{FORM}-alert", "children"),
        Input(view.field_id("period"), "value"), Input(f"{DETAIL}-id", "data"),
    )(load_value)
    duplicate = {"allow_duplicate": True}
    guarded_callback(
        app, REPORT_INDICATOR,
        *[Output(o.component_id, o.component_property, **duplicate) for o in invalid + feedback],
        Output(f"{FORM}-alert", "children", **duplicate), Output(f"{FORM}-version", "data", **duplicate),
        Output(f"{FORM}-loaded", "data", **duplicate), Output(f"{DETAIL}-refresh", "data"),
        Output(f"{DETAIL}-toast", "is_open"), Output(f"{DETAIL}-toast", "children"),
        Input(f"{FORM}-save", "n_clicks"),
        State(f"{DETAIL}-id", "data"), State(f"{FORM}-version", "data"), State(f"{FORM}-loaded", "data"),
        State(f"{DETAIL}-refresh", "data"), *[State(view.field_id(name), "value") for name in FORM_FIELDS],
        prevent_initial_call=True,
    )(save)
    guarded_callback(
        app, CONFIGURE_INDICATORS,
        Output(f"{DETAIL}-alert", "children"), Output(f"{DETAIL}-version", "data", **duplicate),
        Output(f"{DETAIL}-refresh", "data", **duplicate),
        Input(f"{DETAIL}-direction-save", "n_clicks"),
        State(f"{DETAIL}-id", "data"), State(f"{DETAIL}-version", "data"), State(f"{DETAIL}-direction", "value"),
        State(f"{DETAIL}-refresh", "data"), prevent_initial_call=True,
    )(save_direction)
