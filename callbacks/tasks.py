"""Nhiệm vụ của đơn vị: load an agency's tasks, open and save the update form, report ticked tasks
"Không thay đổi trong kỳ", and submit the report after a question saying what is left.

Identity comes from the logged-in actor only. The agency chosen in the dropdown (secretariat,
leaders) and the assignment id in a click are requests, checked by the services, which raise
NotAllowed; every refusal is logged and answered 403.
"""
from __future__ import annotations

from collections import Counter

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import READ_ANY_ROLE, Policy, browser_callback, guarded_callback, refuse
from callbacks.selector import plan_to_write, query, url_plan
from layouts import tasks as view
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import AGENCY_WRITE_ROLES, Actor, NotAllowed, can_act_for_agency
from services.plans.statuses import status_from
from services.common.clock import now, today
from services.common.inputs import id_from_text, strict_int
from services.common.queries import agency_name, vn_date
from services.common.saving import Outcome
from services.plans.catalogue import PlanArchived
from services.reporting.periods import parse_period
from services.reporting.rollup import agency_rollup, plan_rollup, report_sentence
from services.tasks.submissions import report_status, submit_report
from services.tasks.updates import FORM_FIELDS, confirm_unchanged, describe_changes, required_by_status, save_update
from services.tasks.workspace import (
    TaskFilter,
    agency_options,
    agency_rows,
    assignment_detail,
    assignment_history,
    coordinated_rows,
)

WRITE_FOR_AGENCY = Policy(AGENCY_WRITE_ROLES, writes=True,
                          description="đơn vị cho chính mình, hoặc Tổ giúp việc thay mặt đơn vị")
ASK_FOR_AGENCY = Policy(AGENCY_WRITE_ROLES, description="đơn vị, hoặc Tổ giúp việc thay mặt đơn vị: câu hỏi trước khi nộp")
PAGE, FORM = view.PAGE, view.FORM


def _bump(refresh) -> int:
    """A new value for the refresh store, which reloads the grid, summary and report panel."""
    return (strict_int(refresh) or 0) + 1


def _agency_for(actor: Actor, requested) -> int | None:
    """An agency user always works on its own agency; other roles pick one (checked later)."""
    return actor.agency_id if actor.is_agency else id_from_text(requested)


def first_view(actor: Actor, search) -> tuple[list[str], str]:
    """The quick filters and status the page opens with: what the URL asks ("?loc=qua-han",
    "?loc=tat-ca", "?tinh-trang=done": the home page's counts), else, for an agency during its
    period, the tasks it has not updated yet; the others see every task."""
    params = query(search)
    status = status_from(params.get(view.STATUS_PARAMETER))
    word = params.get(view.FLAG_PARAMETER)
    if word in view.FLAG_WORDS:
        flag = view.FLAG_WORDS[word]
        flags = [flag] if flag else []
    else:
        flags = ["needs_update"] if actor.is_agency and status is None else []
    return flags, status.value if status else view.ALL


def choose_agency(actor: Actor, db: Database, _ready, search):
    """Returns (options, chosen, box style, linked assignment, flags, status): only secretariat,
    leaders and admins choose an agency among the leads of the URL's plan; "?don-vi=ID" (a click on
    the overview) preselects one. "?phan-cong=ID" (a reminder's or the overview's link) asks to open
    that assignment's form, as a click on its row would (`open_linked`, which checks it). The
    filters are the first view's (`first_view`)."""
    linked = query(search).get(view.ASSIGNMENT_PARAMETER)
    flags, status = first_view(actor, search)
    if actor.is_agency:
        return [], None, {"display": "none"}, linked, flags, status
    with db.read() as session:
        plan = url_plan(session, actor, search)
        options = agency_options(session, actor, plan) if plan else []
    requested = id_from_text(query(search).get(view.AGENCY_PARAMETER))
    chosen = requested if any(o["value"] == requested for o in options) else None
    return options, chosen, {"display": "block"}, linked, flags, status


LOAD_OUTPUTS = {
    "heading": ("heading", "children"), "report": ("report", "children"), "submitted": ("submitted", "children"),
    "open_disabled": ("report-open", "disabled"), "submit_disabled": ("report-submit", "disabled"),
    "summary": ("summary", "children"), "rows": ("grid", "rowData"), "columns": ("grid", "columnDefs"),
    "sections": ("section", "options"), "coordinated": ("coordinated", "rowData"), "count": ("count", "children"),
}


def _empty_page(message: str, columns: list[dict], report="") -> dict:
    return {"heading": message, "report": report, "submitted": "", "open_disabled": True, "submit_disabled": True,
            "summary": [], "rows": [], "columns": columns, "sections": view.section_options([]), "coordinated": [],
            "count": ""}


def load_tasks(actor: Actor, db: Database, agency_value, text, status, section, flags, _refresh, narrow,
               search) -> dict:
    """The agency's page for the URL's plan (see LOAD_OUTPUTS); nobody submits to an archived plan,
    and only those who may write get the rows' checkboxes."""
    columns = view.task_columns(narrow is True)
    agency_id = _agency_for(actor, agency_value)
    day = today()
    try:
        with db.read() as session:
            plan = url_plan(session, actor, search)
            if plan is None:
                return _empty_page("Chưa có kế hoạch nào.", columns)
            if agency_id is None:  # the plan's standing while nobody is chosen: figures from the first answer
                return _empty_page("Chọn một đơn vị để xem nhiệm vụ.", columns,
                                   view.plan_line(report_sentence(plan_rollup(session, plan))))
            rows = agency_rows(session, actor, plan, agency_id, day)
            coordinated = coordinated_rows(session, actor, plan, agency_id)
            report = report_status(session, actor, plan, agency_id, day)
            totals = agency_rollup(session, plan, agency_id=agency_id)
            name = agency_name(session, agency_id)
            can_write = plan.archived_at is None and can_act_for_agency(actor, agency_id, plan.province_id)
    except NotAllowed as exc:
        refuse(str(exc))
    sections = {row["section_id"]: row["section"] for row in rows if row["section_id"]}
    task_filter = TaskFilter.from_inputs(text, status, section, flags)
    shown = [{**{k: v for k, v in row.items() if k != "search"}, "selectable": can_write and row["selectable"]}
             for row in rows if task_filter.keeps(row)]
    tiles = Counter(row["situation"] for row in rows)
    tiles["due_soon"] = sum(row["due_soon"] for row in rows)
    sentence = report_sentence(totals[0].counts) if totals else "Đơn vị chưa được giao nhiệm vụ chủ trì."
    submitted = "Chưa nộp báo cáo kỳ này."
    if report.submission:
        sub = report.submission
        submitted = (f"Đã nộp lúc {vn_date(sub.submitted_at)} bởi {sub.submitted_by} "
                     f"({'nộp muộn' if sub.is_late else 'đúng hạn'}); đã nộp {sub.times} lần trong kỳ.")
    return {
        "heading": view.heading(name),
        "report": view.report_line(report.period.label, vn_date(report.deadline), report.days_left, report.pending,
                                   report.assignments),
        "submitted": submitted, "open_disabled": not can_write, "submit_disabled": not can_write,
        "summary": view.summary(sentence, tiles), "rows": shown, "columns": columns,
        "sections": view.section_options(list(sections.items())), "coordinated": coordinated,
        "count": view.count_text(len(shown), len(rows), task_filter.flags, can_write,
                                 sum(row["needs_update"] for row in rows)),
    }


def _form(actor: Actor, db: Database, assignment_id) -> tuple:
    """Returns (open, title, task info, *field values, *invalid, *feedback, alert, assignment id,
    version, loaded values, rules, history, save disabled); an assignment the actor may not see is
    a logged 403 (the service checks). The rules say which fields each status requires, so the form
    marks them before a save is refused."""
    try:
        with db.read() as session:
            detail = assignment_detail(session, actor, assignment_id, today())
            history = assignment_history(session, actor, detail["id"])
    except NotAllowed as exc:
        refuse(str(exc))
    values = detail["values"]
    read_only = None if detail["can_edit"] else (
        detail["archived"] or "Bạn chỉ có quyền xem nhiệm vụ này; đơn vị chủ trì hoặc Tổ giúp việc cập nhật.")
    if detail["review"]["state"] == "returned":  # what to fix comes first
        notice = view.message(view.returned_text(detail["review"]), "warning", [read_only] if read_only else None)
    else:
        notice = view.message(read_only, "secondary") if read_only else None
    return (
        True, f"STT {detail['stt']}. {detail['title']}",
        view.form_task(detail),
        *[values[name] for name in FORM_FIELDS], *[False] * len(FORM_FIELDS), *[""] * len(FORM_FIELDS),
        notice, detail["id"], detail["version"], values,
        view.form_rules(required_by_status(detail["deadline_passed"]), vn_date(today())),
        view.history(history), not detail["can_edit"],
    )


def open_form(actor: Actor, db: Database, cell):
    """The update form of the clicked row (see `_form`); a click in the tick-box column ticks and opens nothing,
    Enter there opens the row like anywhere else (a keyboard user's first cell is the tick box)."""
    if not isinstance(cell, dict) or cell.get("rowId") is None:
        raise PreventUpdate
    if cell.get("colId") == view.SELECTION_COLUMN and cell.get("key") != "Enter":
        raise PreventUpdate
    return _form(actor, db, id_from_text(cell.get("rowId")))


def open_linked(actor: Actor, db: Database, linked):
    """The update form of the assignment the URL names (see `choose_agency`), once the page is loaded."""
    if linked is None:
        raise PreventUpdate
    return _form(actor, db, id_from_text(linked))


def save_form(actor: Actor, db: Database, n_clicks, assignment_id, version, loaded, refresh, *values):
    """Returns (*invalid, *feedback, alert, version, loaded, open, refresh, toast open, toast text)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            result = save_update(session, actor, assignment_id, version, dict(zip(FORM_FIELDS, values)))
    except PlanArchived as exc:  # the plan was archived while the form was open: say so, keep the text
        return (*[no_update] * (2 * len(FORM_FIELDS)), view.message(str(exc), "warning"), no_update, no_update,
                True, no_update, False, no_update)
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:  # nothing saved; the form stays open with what was typed
        return (*[no_update] * (2 * len(FORM_FIELDS)), view.message(str(exc), "warning"), no_update, no_update,
                True, no_update, False, no_update)
    invalid = [name in result.errors for name in FORM_FIELDS]
    feedback = [result.errors.get(name, "") for name in FORM_FIELDS]
    bumped = _bump(refresh)
    if result.outcome is Outcome.SAVED:
        return (*invalid, *feedback, None, result.version, result.current, False, bumped, True,
                "Đã lưu cập nhật nhiệm vụ.")
    if result.outcome is Outcome.CONFLICT:
        changes = describe_changes(loaded if isinstance(loaded, dict) else {}, result.current)
        message = view.message(result.message, "warning",
                             ["Bản đã lưu khác với lúc bạn mở:", *changes] if changes else None)
        return (*invalid, *feedback, message, result.version, result.current, True, bumped, False, no_update)
    color = "danger" if result.outcome is Outcome.INVALID else "info"
    return (*invalid, *feedback, view.message(result.message, color), no_update, no_update, True, no_update,
            False, no_update)


def ask_submit(actor: Actor, db: Database, n_clicks, agency_value, search):
    """Returns (dialog open, question): before the report goes, how many tasks are still not
    updated this period (counted now, by the service that checks who may see the agency)."""
    if not n_clicks:
        raise PreventUpdate
    agency_id = _agency_for(actor, agency_value)
    if agency_id is None:
        raise PreventUpdate
    try:
        with db.read() as session:
            plan = url_plan(session, actor, search)
            if plan is None:
                raise PreventUpdate
            report = report_status(session, actor, plan, agency_id, today())
    except NotAllowed as exc:
        refuse(str(exc))
    return True, view.submit_question(report.period.label, report.pending, report.assignments)


def submit(actor: Actor, db: Database, n_clicks, agency_value, refresh, search):
    """Returns (refresh, toast open, toast text, dialog open): the report to the URL's plan."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            plan = plan_to_write(session, actor, search)
            result = submit_report(session, actor, plan, _agency_for(actor, agency_value), now())
    except (PlanArchived, DatabaseBusy) as exc:
        return no_update, True, str(exc), False
    except NotAllowed as exc:
        refuse(str(exc))
    submission, label = result.submission, parse_period(result.submission.period).label
    if not result.changed:
        return no_update, True, (f"Báo cáo kỳ {label} đã nộp lúc {vn_date(submission.submitted_at)}; "
                                 "nội dung không thay đổi nên không nộp lại."), False
    timing = "nộp muộn" if submission.is_late else "đúng hạn"
    return _bump(refresh), True, f"Đã nộp báo cáo kỳ {label} ({timing}).", False


def report_unchanged(actor: Actor, db: Database, n_clicks, selected, refresh, search):
    """Returns (refresh, toast open, toast text, selection): the ticked tasks reported "Không thay
    đổi trong kỳ", all or none (services.tasks.updates.confirm_unchanged checks every row)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            plan = plan_to_write(session, actor, search)
            result = confirm_unchanged(session, actor, plan, selected, when=now())
    except (PlanArchived, DatabaseBusy) as exc:
        return no_update, True, str(exc), no_update
    except NotAllowed as exc:
        refuse(str(exc))
    if result.outcome is Outcome.SAVED:
        return _bump(refresh), True, result.message, []
    # Nothing saved: the list reloads on a conflict (the rows changed), the ticks stay to be corrected.
    return (_bump(refresh) if result.outcome is Outcome.CONFLICT else no_update), True, result.message, no_update


# The status decides progress at its ends (done 100 %, not started 0 %), fills an empty completion
# date with today's when done, and marks in the labels the fields the rules require (view.form_rules).
FORM_RULES_SCRIPT = """function(status, rules, completed) {
    var skip = window.dash_clientside.no_update;
    var required = (rules && rules.required && rules.required[status]) || [];
    var has = function (name) { return required.indexOf(name) >= 0; };
    var mark = function (name) { return has(name) ? rules.mark : ''; };
    var progress = status === 'done' ? 100 : (status === 'not_started' ? 0 : skip);
    var day = status === 'done' && !completed && rules ? rules.today : skip;
    return [progress, day, mark('result'), mark('delay_reason'), has('result'), has('delay_reason')];
}"""


def register(app: Dash) -> None:
    browser_callback(app, "function(_) { var narrow = window.innerWidth < 768; return [narrow, !narrow]; }",
                     Output(f"{PAGE}-narrow", "data"), Output(f"{PAGE}-summary-box", "open"),
                     Input(f"{PAGE}-ready", "data"))
    browser_callback(app, "function(_) { return false; }",
                     Output(f"{FORM}-modal", "is_open", allow_duplicate=True), Input(f"{FORM}-close", "n_clicks"),
                     prevent_initial_call=True)
    browser_callback(app, "function(_) { return false; }",
                     Output(f"{PAGE}-report-modal", "is_open", allow_duplicate=True),
                     Input(f"{PAGE}-report-cancel", "n_clicks"), prevent_initial_call=True)
    browser_callback(
        app, FORM_RULES_SCRIPT,
        Output(view.field_id("progress"), "value", allow_duplicate=True),
        Output(view.field_id("completed_on"), "value", allow_duplicate=True),
        Output(f"{view.field_id('result')}-required", "children"),
        Output(f"{view.field_id('delay_reason')}-required", "children"),
        Output(view.field_id("result"), "required"), Output(view.field_id("delay_reason"), "required"),
        Input(view.field_id("status"), "value"), Input(f"{FORM}-rules", "data"),
        State(view.field_id("completed_on"), "value"), prevent_initial_call=True,
    )
    # How many rows are ticked, on the button that reports them (disabled with none).
    browser_callback(
        app, """function(rows) { var n = (rows || []).length; return [n === 0, n ? ' (' + n + ')' : '']; }""",
        Output(f"{PAGE}-unchanged", "disabled"), Output(f"{PAGE}-unchanged-count", "children"),
        Input(f"{PAGE}-grid", "selectedRows"),
    )
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{PAGE}-agency", "options"), Output(f"{PAGE}-agency", "value"),
        Output(f"{PAGE}-agency-box", "style"), Output(f"{PAGE}-linked", "data"),
        Output(f"{PAGE}-flags", "value"), Output(f"{PAGE}-status", "value"),
        Input(f"{PAGE}-ready", "data"), State("url", "search"),
    )(choose_agency)
    guarded_callback(
        app, READ_ANY_ROLE,
        output={name: Output(f"{PAGE}-{component}", prop) for name, (component, prop) in LOAD_OUTPUTS.items()},
        inputs=[Input(f"{PAGE}-agency", "value"), Input(f"{PAGE}-search", "value"), Input(f"{PAGE}-status", "value"),
                Input(f"{PAGE}-section", "value"), Input(f"{PAGE}-flags", "value"), Input(f"{PAGE}-refresh", "data"),
                Input(f"{PAGE}-narrow", "data")],
        state=[State("url", "search")],
    )(load_tasks)
    field_outputs = [Output(view.field_id(name), "value") for name in FORM_FIELDS]
    invalid_outputs = [Output(view.field_id(name), "invalid") for name in FORM_FIELDS]
    feedback_outputs = [Output(f"{view.field_id(name)}-feedback", "children") for name in FORM_FIELDS]
    form_outputs = [
        Output(f"{FORM}-modal", "is_open"), Output(f"{FORM}-title", "children"), Output(f"{FORM}-task", "children"),
        *field_outputs, *invalid_outputs, *feedback_outputs,
        Output(f"{FORM}-alert", "children"), Output(f"{FORM}-assignment", "data"),
        Output(f"{FORM}-version", "data"), Output(f"{FORM}-loaded", "data"), Output(f"{FORM}-rules", "data"),
        Output(f"{FORM}-history", "children"), Output(f"{FORM}-save", "disabled"),
    ]
    guarded_callback(app, READ_ANY_ROLE, *form_outputs, Input(f"{PAGE}-grid", "cellClicked"),
                     prevent_initial_call=True)(open_form)
    guarded_callback(
        app, READ_ANY_ROLE,
        *[Output(o.component_id, o.component_property, allow_duplicate=True) for o in form_outputs],
        Input(f"{PAGE}-linked", "data"), prevent_initial_call=True,
    )(open_linked)
    guarded_callback(
        app, WRITE_FOR_AGENCY,
        *[Output(o.component_id, o.component_property, allow_duplicate=True) for o in invalid_outputs],
        *[Output(o.component_id, o.component_property, allow_duplicate=True) for o in feedback_outputs],
        Output(f"{FORM}-alert", "children", allow_duplicate=True),
        Output(f"{FORM}-version", "data", allow_duplicate=True),
        Output(f"{FORM}-loaded", "data", allow_duplicate=True),
        Output(f"{FORM}-modal", "is_open", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-toast", "is_open"), Output(f"{PAGE}-toast", "children"),
        Input(f"{FORM}-save", "n_clicks"),
        State(f"{FORM}-assignment", "data"), State(f"{FORM}-version", "data"), State(f"{FORM}-loaded", "data"),
        State(f"{PAGE}-refresh", "data"), *[State(view.field_id(name), "value") for name in FORM_FIELDS],
        prevent_initial_call=True,
    )(save_form)
    guarded_callback(
        app, ASK_FOR_AGENCY,
        Output(f"{PAGE}-report-modal", "is_open"), Output(f"{PAGE}-report-question", "children"),
        Input(f"{PAGE}-report-open", "n_clicks"), State(f"{PAGE}-agency", "value"), State("url", "search"),
        prevent_initial_call=True,
    )(ask_submit)
    guarded_callback(
        app, WRITE_FOR_AGENCY,
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-toast", "is_open", allow_duplicate=True),
        Output(f"{PAGE}-toast", "children", allow_duplicate=True),
        Output(f"{PAGE}-report-modal", "is_open", allow_duplicate=True),
        Input(f"{PAGE}-report-submit", "n_clicks"), State(f"{PAGE}-agency", "value"), State(f"{PAGE}-refresh", "data"),
        State("url", "search"), prevent_initial_call=True,
    )(submit)
    guarded_callback(
        app, WRITE_FOR_AGENCY,
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-toast", "is_open", allow_duplicate=True),
        Output(f"{PAGE}-toast", "children", allow_duplicate=True),
        Output(f"{PAGE}-grid", "selectedRows"),
        Input(f"{PAGE}-unchanged", "n_clicks"), State(f"{PAGE}-grid", "selectedRows"),
        State(f"{PAGE}-refresh", "data"), State("url", "search"), prevent_initial_call=True,
    )(report_unchanged)
