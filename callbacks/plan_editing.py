"""Sửa kế hoạch: the plan's tasks, one task's forms (edit, extension, withdrawal) and history, and
adding a task. Only the secretariat and admins reach these callbacks (the policy refuses anyone
else before a query runs); the plan is the URL's (`?ke-hoach=ID`, checked against the province) and
every task id from the browser is checked again by services.plans.editing, which raises NotAllowed.
"""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import Policy, browser_callback, guarded_callback, refuse
from callbacks.selector import plan_to_write, url_plan
from layouts import plan_editing as view
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import PLAN_WRITE_ROLES, Actor, NotAllowed
from services.common.inputs import id_from_text, strict_int
from services.common.queries import plan_sections
from services.common.saving import Outcome, SaveResult
from services.plans.catalogue import PlanArchived, archived_message
from services.plans.editing import (
    LABELS,
    add_task,
    describe_changes,
    edit_task,
    extend_deadline,
    plan_task_rows,
    search_rows,
    task_detail,
    task_history,
    withdraw_task,
)

READ_PLAN = Policy(PLAN_WRITE_ROLES, description="Tổ giúp việc, quản trị: kế hoạch của tỉnh mình")
WRITE_PLAN = Policy(PLAN_WRITE_ROLES, writes=True, description="Tổ giúp việc, quản trị: sửa kế hoạch của tỉnh mình")
PAGE, FORM, ADD, EXTEND, WITHDRAW = view.PAGE, view.FORM, view.ADD, view.EXTEND, view.WITHDRAW
TASK_KEYS = [key for key, _, _, _ in view.TASK_INPUTS]
DECISION_KEYS = ["decision", "decided", "effective"]  # form keys → decision, decided_on, effective_on
# What opening a task fills, by name (returned in this order).
DETAIL_OUTPUTS = {
    "panel": (f"{PAGE}-panel", "style"), "heading": (f"{PAGE}-title", "children"),
    "detail": (f"{PAGE}-detail", "children"), "history": (f"{PAGE}-history", "children"),
    "version": (f"{PAGE}-version", "data"), "loaded": (f"{PAGE}-loaded", "data"),
    "section": (view.field_id(FORM, "section"), "value"),
    **{key: (view.field_id(FORM, key), "value") for key in TASK_KEYS},
    "effective": (view.field_id(FORM, "effective"), "value"), "carry": (view.field_id(FORM, "carry"), "value"),
    "extend_deadline": (view.field_id(EXTEND, "deadline"), "value"),
    **{f"extend_{key}": (view.field_id(EXTEND, key), "value") for key in DECISION_KEYS},
    "withdraw_reason": (view.field_id(WITHDRAW, "reason"), "value"),
    **{f"withdraw_{key}": (view.field_id(WITHDRAW, key), "value") for key in DECISION_KEYS},
    "edit_alert": (view.field_id(FORM, "alert"), "children"),
    "extend_alert": (view.field_id(EXTEND, "alert"), "children"),
    "withdraw_alert": (view.field_id(WITHDRAW, "alert"), "children"),
    "edit_disabled": (view.field_id(FORM, "save"), "disabled"),
    "extend_disabled": (view.field_id(EXTEND, "save"), "disabled"),
    "withdraw_disabled": (view.field_id(WITHDRAW, "open"), "disabled"),
}
assert len(DETAIL_OUTPUTS) == len(set(DETAIL_OUTPUTS.values())), "each output once"


def _bump(refresh) -> int:
    return (strict_int(refresh) or 0) + 1


def _task_raw(values) -> dict:
    """The edit or add form's values, as services.plans.editing names them."""
    section, *texts = values[:1 + len(TASK_KEYS)]
    effective = values[1 + len(TASK_KEYS)]
    return {"section_id": section, **{field: text for (_, field, _, _), text in zip(view.TASK_INPUTS, texts)},
            "effective_on": effective}


def _decision_raw(decision, decided, effective) -> dict:
    return {"decision": decision, "decided_on": decided, "effective_on": effective}


def _problem(result: SaveResult, form: str):
    """The alert for anything but a save: what to fix, someone else's save, or nothing to save."""
    if result.outcome is Outcome.INVALID:
        details = [f"{LABELS.get(name, name)}: {text}" for name, text in result.errors.items()]
        return view.message(result.message, "danger", details or None, form)
    if result.outcome is Outcome.CONFLICT:
        return view.message(result.message, "warning", None, form)
    return view.message(result.message, "info", None, form)


def load_tasks(actor: Actor, db: Database, search, _refresh, url_search):
    """Returns (heading, rows, count, edit form's sections, add form's sections)."""
    try:
        with db.read() as session:
            plan = url_plan(session, actor, url_search)
            if plan is None:
                return "Chưa có kế hoạch nào.", [], "", [], []
            rows = plan_task_rows(session, actor, plan)
            sections = view.section_options(plan_sections(session, plan))
            heading = view.heading(plan.title, archived_message(plan) if plan.archived_at else "")
    except NotAllowed as exc:
        refuse(str(exc))
    shown = search_rows(rows, search)
    count = f"Hiển thị {len(shown)}/{len(rows)} nhiệm vụ. Bấm vào một dòng để sửa, gia hạn hoặc rút nhiệm vụ."
    return heading, shown, count, sections, sections


def open_task(actor: Actor, db: Database, task_id, _refresh):
    """Returns DETAIL_OUTPUTS' values: the chosen task's forms filled, its history, its version."""
    if id_from_text(task_id) is None:
        raise PreventUpdate
    try:
        with db.read() as session:
            task = task_detail(session, actor, task_id)
            history = task_history(session, actor, task_id)
    except NotAllowed as exc:
        refuse(str(exc))
    values = task["values"]
    filled = {
        "panel": {"display": "block"}, "heading": f"STT {task['stt']}. {task['title']}",
        "detail": view.detail(task), "history": view.history(history), "version": task["version"],
        "loaded": values, "section": values["section_id"],
        **{key: values[field] for key, field, _, _ in view.TASK_INPUTS},
        "effective": "", "carry": [], "extend_deadline": "", "withdraw_reason": "",
        **{f"{form}_{key}": "" for form in ("extend", "withdraw") for key in DECISION_KEYS},
        "edit_alert": None, "extend_alert": None, "withdraw_alert": None,
        **dict.fromkeys(("edit_disabled", "extend_disabled", "withdraw_disabled"), task["read_only"]),
    }
    return tuple(filled[name] for name in DETAIL_OUTPUTS)


def save_task(actor: Actor, db: Database, n_clicks, task_id, version, loaded, refresh, *values):
    """Returns (alert, version, loaded, refresh, toast open, toast text)."""
    if not n_clicks:
        raise PreventUpdate
    raw = {**_task_raw(values), "carry_over": values[-1] == ["carry"]}
    try:
        with db.write() as session:
            result = edit_task(session, actor, task_id, version, raw)
    except PlanArchived as exc:
        return view.message(str(exc), "warning"), no_update, no_update, no_update, False, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning"), no_update, no_update, no_update, False, no_update
    if result.outcome is Outcome.SAVED:
        return None, result.version, result.current, _bump(refresh), True, result.message
    if result.outcome is Outcome.CONFLICT:
        changes = describe_changes(loaded if isinstance(loaded, dict) else {}, result.current)
        alert = view.message(result.message, "warning", ["Bản đã lưu khác với lúc bạn mở:", *changes]
                             if changes else None)
        return alert, result.version, result.current, no_update, False, no_update
    return _problem(result, FORM), no_update, no_update, no_update, False, no_update


def save_extension(actor: Actor, db: Database, n_clicks, task_id, version, refresh, deadline, *decision):
    """Returns (alert, version, refresh, toast open, toast text)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            result = extend_deadline(session, actor, task_id, version,
                                     {"deadline_text": deadline, **_decision_raw(*decision)})
    except PlanArchived as exc:
        return view.message(str(exc), "warning", form=EXTEND), no_update, no_update, False, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning", form=EXTEND), no_update, no_update, False, no_update
    if result.outcome is Outcome.SAVED:
        return None, result.version, _bump(refresh), True, result.message
    return _problem(result, EXTEND), result.version, no_update, False, no_update


def confirm_withdrawal(actor: Actor, db: Database, n_clicks, task_id, version, refresh, reason, *decision):
    """Returns (alert, modal open, version, refresh, toast open, toast text)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            result = withdraw_task(session, actor, task_id, version, {"reason": reason, **_decision_raw(*decision)})
    except PlanArchived as exc:
        return view.message(str(exc), "warning", form=WITHDRAW), False, no_update, no_update, False, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning", form=WITHDRAW), False, no_update, no_update, False, no_update
    if result.outcome is Outcome.SAVED:
        return None, False, result.version, _bump(refresh), True, result.message
    return _problem(result, WITHDRAW), False, result.version, no_update, False, no_update


def save_new_task(actor: Actor, db: Database, n_clicks, refresh, url_search, stt, *values):
    """Returns (alert, modal open, refresh, toast open, toast text, chosen task)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            plan = plan_to_write(session, actor, url_search)
            result = add_task(session, actor, plan, {"stt": stt, **_task_raw(values)})
    except PlanArchived as exc:
        return view.message(str(exc), "warning", form=ADD), True, no_update, False, no_update, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning", form=ADD), True, no_update, False, no_update, no_update
    if result.outcome is Outcome.SAVED:
        return None, False, _bump(refresh), True, result.message, str(result.current["id"])
    return _problem(result, ADD), True, no_update, False, no_update, no_update


def register(app: Dash) -> None:
    browser_callback(app, "function(cell) { return (cell && cell.rowId) || window.dash_clientside.no_update; }",
                     Output(f"{PAGE}-task", "data"), Input(f"{PAGE}-grid", "cellClicked"), prevent_initial_call=True)
    browser_callback(app, "function(_) { return true; }", Output(view.field_id(ADD, "modal"), "is_open"),
                     Input(view.field_id(ADD, "open"), "n_clicks"), prevent_initial_call=True)
    browser_callback(app, "function(_) { return false; }",
                     Output(view.field_id(ADD, "modal"), "is_open", allow_duplicate=True),
                     Input(view.field_id(ADD, "close"), "n_clicks"), prevent_initial_call=True)
    browser_callback(app, "function(_) { return false; }",
                     Output(view.field_id(WITHDRAW, "modal"), "is_open", allow_duplicate=True),
                     Input(view.field_id(WITHDRAW, "cancel"), "n_clicks"), prevent_initial_call=True)
    browser_callback(
        app,
        """function(_, title, reason, decision, decided, effective) {
            const shown = (text) => (text && text.trim()) || '(chưa nhập)';
            return [true, [title || '', ' sẽ không còn tính trong các số liệu từ ngày ',
                           shown(effective || decided), '. Văn bản: ', shown(decision), '. Lý do: ', shown(reason),
                           '.']];
        }""",
        Output(view.field_id(WITHDRAW, "modal"), "is_open"), Output(view.field_id(WITHDRAW, "summary"), "children"),
        Input(view.field_id(WITHDRAW, "open"), "n_clicks"), State(f"{PAGE}-title", "children"),
        State(view.field_id(WITHDRAW, "reason"), "value"),
        *[State(view.field_id(WITHDRAW, key), "value") for key in DECISION_KEYS], prevent_initial_call=True,
    )
    guarded_callback(
        app, READ_PLAN,
        Output(f"{PAGE}-heading", "children"), Output(f"{PAGE}-grid", "rowData"), Output(f"{PAGE}-count", "children"),
        Output(view.field_id(FORM, "section"), "options"), Output(view.field_id(ADD, "section"), "options"),
        Input(f"{PAGE}-search", "value"), Input(f"{PAGE}-refresh", "data"), State("url", "search"),
    )(load_tasks)
    guarded_callback(
        app, READ_PLAN,
        *[Output(component, prop) for component, prop in DETAIL_OUTPUTS.values()],
        Input(f"{PAGE}-task", "data"), Input(f"{PAGE}-refresh", "data"), prevent_initial_call=True,
    )(open_task)
    toast = [Output(f"{PAGE}-toast", "is_open", allow_duplicate=True),
             Output(f"{PAGE}-toast", "children", allow_duplicate=True)]
    refresh = Output(f"{PAGE}-refresh", "data", allow_duplicate=True)
    version = Output(f"{PAGE}-version", "data", allow_duplicate=True)
    task_states = [State(view.field_id(FORM, "section"), "value"),
                   *[State(view.field_id(FORM, key), "value") for key in TASK_KEYS],
                   State(view.field_id(FORM, "effective"), "value"), State(view.field_id(FORM, "carry"), "value")]
    guarded_callback(
        app, WRITE_PLAN,
        Output(view.field_id(FORM, "alert"), "children", allow_duplicate=True), version,
        Output(f"{PAGE}-loaded", "data", allow_duplicate=True), refresh, *toast,
        Input(view.field_id(FORM, "save"), "n_clicks"), State(f"{PAGE}-task", "data"), State(f"{PAGE}-version", "data"),
        State(f"{PAGE}-loaded", "data"), State(f"{PAGE}-refresh", "data"), *task_states, prevent_initial_call=True,
    )(save_task)
    guarded_callback(
        app, WRITE_PLAN,
        Output(view.field_id(EXTEND, "alert"), "children", allow_duplicate=True), version, refresh, *toast,
        Input(view.field_id(EXTEND, "save"), "n_clicks"), State(f"{PAGE}-task", "data"),
        State(f"{PAGE}-version", "data"), State(f"{PAGE}-refresh", "data"),
        State(view.field_id(EXTEND, "deadline"), "value"),
        *[State(view.field_id(EXTEND, key), "value") for key in DECISION_KEYS], prevent_initial_call=True,
    )(save_extension)
    guarded_callback(
        app, WRITE_PLAN,
        Output(view.field_id(WITHDRAW, "alert"), "children", allow_duplicate=True),
        Output(view.field_id(WITHDRAW, "modal"), "is_open", allow_duplicate=True), version, refresh, *toast,
        Input(view.field_id(WITHDRAW, "confirm"), "n_clicks"), State(f"{PAGE}-task", "data"),
        State(f"{PAGE}-version", "data"), State(f"{PAGE}-refresh", "data"),
        State(view.field_id(WITHDRAW, "reason"), "value"),
        *[State(view.field_id(WITHDRAW, key), "value") for key in DECISION_KEYS], prevent_initial_call=True,
    )(confirm_withdrawal)
    guarded_callback(
        app, WRITE_PLAN,
        Output(view.field_id(ADD, "alert"), "children"),
        Output(view.field_id(ADD, "modal"), "is_open", allow_duplicate=True), refresh, *toast,
        Output(f"{PAGE}-task", "data", allow_duplicate=True),
        Input(view.field_id(ADD, "save"), "n_clicks"), State(f"{PAGE}-refresh", "data"), State("url", "search"),
        State(view.field_id(ADD, "stt"), "value"), State(view.field_id(ADD, "section"), "value"),
        *[State(view.field_id(ADD, key), "value") for key in TASK_KEYS],
        State(view.field_id(ADD, "effective"), "value"), prevent_initial_call=True,
    )(save_new_task)
