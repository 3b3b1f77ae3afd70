"""Nhập từ tệp: upload, table, mapping, preview, confirm — secretariat and admins only.

The file is decoded and stored (services.plans.uploads) once; every later step reads the stored
copy of this user's upload, outside any write transaction. Only the confirm step writes, and it
re-reads, re-checks and writes in one transaction exactly what the preview showed: all or nothing.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.files import failure, upload_dir
from callbacks.guard import Policy, browser_callback, guarded_callback, refuse
from layouts import imports as view
from layouts.controls import alert
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import PLAN_WRITE_ROLES, Actor, NotAllowed
from services.common.clock import today
from services.common.inputs import id_from_text, index_from_text, strict_int
from services.plans import imports as engine
from services.plans.catalogue import PLAN_KINDS, PlanArchived
from services.plans.spreadsheet import MAX_UPLOAD_BYTES, ImportFailed, propose_mapping, read_tables
from services.plans.uploads import decode_upload, discard_upload, store_upload, stored_upload

PAGE = view.PAGE
READ_FOR_IMPORT = Policy(PLAN_WRITE_ROLES, description="Tổ giúp việc, quản trị: đọc tệp nhập")
WRITE_IMPORT = Policy(PLAN_WRITE_ROLES, writes=True, description="Tổ giúp việc, quản trị: tải tệp, ghi kế hoạch")
SHOWN = {"display": "block"}
HIDDEN = {"display": "none"}

# The browser checks the size before sending the file: an oversized file never leaves the phone.
CHECK_SIZE = """function(contents, filename) {
    if (!contents) { return [window.dash_clientside.no_update, ""]; }
    var bytes = Math.floor((contents.length - contents.indexOf(',') - 1) * 3 / 4);
    if (bytes > %d) {
        var mb = (bytes / 1048576).toFixed(1).replace('.', ',');
        return [null, 'Tệp “' + filename + '” quá lớn (' + mb + ' MB); mỗi lần nhập tối đa %d MB.'];
    }
    return [{contents: contents, filename: filename}, 'Đang đọc tệp “' + filename + '”…'];
}""" % (MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES // (1024 * 1024))


def receive_file(actor: Actor, _db: Database, data, what):
    """Returns (file store, table options, table value, message, steps style): the file is
    checked, stored for this user, and its tables listed, the likeliest one chosen."""
    try:
        payload = data if isinstance(data, dict) else {}
        content, suffix = decode_upload(payload.get("contents"), payload.get("filename"))
        token = store_upload(upload_dir(), actor.id, content, suffix)
        tables = read_tables(stored_upload(upload_dir(), actor.id, token))
    except ImportFailed as exc:
        return None, [], None, failure(exc, f"{PAGE}-file-alert"), HIDDEN
    name = Path(str(payload.get("filename"))).name
    options = [{"label": table.label, "value": str(i)} for i, table in enumerate(tables)]
    chosen = engine.likeliest_table(tables, engine.columns_for(what, today().year))
    found = f"{len(tables)} bảng" if len(tables) > 1 else "1 bảng"
    message = alert(f"Đã nhận tệp “{name}” ({found}).", "info", None, f"{PAGE}-file-alert")
    return {"token": token, "name": name}, options, str(chosen), message, SHOWN


def switch_kind(actor: Actor, db: Database, what, search):
    """Returns (plan fields style, target fields style, target plan options and value, kind
    options, year): a task appendix makes a new plan; a target table goes into one of the
    province's open plans."""
    with db.read() as session:
        options = [{"label": f"{plan.title} ({plan.year})", "value": str(plan.id)}
                   for plan in engine.open_plans(session, actor)]
    requested = id_from_text(_query(search).get("ke-hoach"))
    chosen = next((o["value"] for o in options if o["value"] == str(requested)), options[0]["value"] if options else None)
    kinds = [{"label": label, "value": key} for key, label in PLAN_KINDS.items()]
    targets = what == "targets"
    return (HIDDEN if targets else SHOWN), (SHOWN if targets else HIDDEN), options, chosen, kinds, today().year


def _query(search) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(search.lstrip("?") if isinstance(search, str) else "").items()}


def show_mapping(actor: Actor, db: Database, table_value, what, target_plan, year, file):
    """Returns the mapping form: the columns the headers propose, each correctable."""
    try:
        table = _table(actor, file, table_value)
        plan_year = _plan_year(actor, db, what, target_plan, year)
        columns = engine.columns_for(what, plan_year)
        mapping = propose_mapping(table.rows, columns)
    except ImportFailed as exc:
        return failure(exc, f"{PAGE}-mapping-alert")
    except NotAllowed as exc:
        refuse(str(exc))
    fields = [(c.field, c.label, c.required) for c in columns]
    return view.mapping_form(fields, list(mapping.headers), mapping.fields, [h for _, h in mapping.unused])


def _table(actor: Actor, file, table_value):
    if not isinstance(file, dict):
        raise PreventUpdate
    tables = read_tables(stored_upload(upload_dir(), actor.id, file.get("token")))
    index = index_from_text(table_value)
    if index is None or index >= len(tables):
        index = 0
    return tables[index]


def _plan_year(actor: Actor, db: Database, what, target_plan, year) -> int:
    if what == "targets":
        with db.read() as session:
            plan = engine.target_plan(session, actor, id_from_text(target_plan))
        return plan.year if plan else today().year
    return strict_int(year) or today().year


def _overrides(ids, values) -> dict[str, int | None]:
    """The mapping form's choices: field → column index, or None for "not in this file"."""
    overrides = {}
    for component_id, value in zip(ids or [], values or []):
        if isinstance(component_id, dict) and isinstance(component_id.get("field"), str):
            overrides[component_id["field"]] = index_from_text(value) if value not in (None, view.UNUSED) else None
    return overrides


def _request(file, table_value, what, map_ids, map_values, title, year, kind, number, issued, cadence,
             deadline_day, week_start, week_numbering, target_plan, create_agencies) -> dict:
    """Everything the preview was made from, kept so that the confirm writes exactly that."""
    return {
        "file": file, "table": table_value, "what": what, "overrides": _overrides(map_ids, map_values),
        "title": title, "year": year, "kind": kind, "number": number, "issued": issued, "cadence": cadence,
        "deadline_day": deadline_day, "week_start": week_start, "week_numbering": week_numbering,
        "target_plan": target_plan, "create_agencies": create_agencies is True,
    }


def preview(actor: Actor, db: Database, _clicks, *fields):
    """Returns (preview box style, summary, rows, columns, confirm disabled, previewed request,
    result): every row as it would be imported, with its problems; nothing is written."""
    request = _request(*fields)
    try:
        table = _table(actor, request["file"], request["table"])
        with db.read() as session:
            shown = engine.preview(session, actor, table, request)
    except ImportFailed as exc:
        return HIDDEN, "", [], no_update, True, None, failure(exc, f"{PAGE}-preview-alert")
    except PlanArchived as exc:
        return HIDDEN, "", [], no_update, True, None, alert(str(exc), "warning", None, f"{PAGE}-preview-alert")
    except NotAllowed as exc:
        refuse(str(exc))
    columns = view.TARGET_PREVIEW_COLUMNS if request["what"] == "targets" else view.TASK_PREVIEW_COLUMNS
    card = view.summary_card(shown.lines, shown.errors)
    previewed = None if shown.errors else {**request, "seen": shown.seen}
    return SHOWN, card, shown.rows, columns, bool(shown.errors), previewed, ""


def confirm(actor: Actor, db: Database, _clicks, request):
    """Returns (result, confirm disabled, preview box style): the previewed import, written in one
    transaction, or refused whole with every reason."""
    if not isinstance(request, dict):
        raise PreventUpdate
    try:
        table = _table(actor, request.get("file"), request.get("table"))
        with db.write() as session:
            done = engine.write(session, actor, table, request)
    except ImportFailed as exc:
        return failure(exc, f"{PAGE}-done-alert"), True, no_update
    except PlanArchived as exc:
        return alert(str(exc), "warning", None, f"{PAGE}-done-alert"), True, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return alert(str(exc), "warning", None, f"{PAGE}-done-alert"), False, no_update
    discard_upload(upload_dir(), actor.id, request["file"].get("token"))  # imported: no step reads it again
    return alert(done.message, "success", done.details, f"{PAGE}-done-alert"), True, HIDDEN


def register(app: Dash) -> None:
    browser_callback(app, CHECK_SIZE, Output(f"{PAGE}-data", "data"), Output(f"{PAGE}-size-message", "children"),
                     Input(f"{PAGE}-upload", "contents"), State(f"{PAGE}-upload", "filename"),
                     prevent_initial_call=True)
    guarded_callback(
        app, WRITE_IMPORT,
        Output(f"{PAGE}-file", "data"), Output(f"{PAGE}-table", "options"), Output(f"{PAGE}-table", "value"),
        Output(f"{PAGE}-file-message", "children"), Output(f"{PAGE}-steps", "style"),
        Input(f"{PAGE}-data", "data"), State(f"{PAGE}-what", "value"), prevent_initial_call=True,
    )(receive_file)
    guarded_callback(
        app, READ_FOR_IMPORT,
        Output(f"{PAGE}-plan-fields", "style"), Output(f"{PAGE}-target-fields", "style"),
        Output(f"{PAGE}-target-plan", "options"), Output(f"{PAGE}-target-plan", "value"),
        Output(f"{PAGE}-kind", "options"), Output(f"{PAGE}-year", "value"),
        Input(f"{PAGE}-what", "value"), State("url", "search"),
    )(switch_kind)
    guarded_callback(
        app, READ_FOR_IMPORT,
        Output(f"{PAGE}-mapping", "children"),
        Input(f"{PAGE}-table", "value"), Input(f"{PAGE}-what", "value"), Input(f"{PAGE}-target-plan", "value"),
        Input(f"{PAGE}-year", "value"), State(f"{PAGE}-file", "data"), prevent_initial_call=True,
    )(show_mapping)
    guarded_callback(
        app, READ_FOR_IMPORT,
        Output(f"{PAGE}-preview-box", "style"), Output(f"{PAGE}-summary", "children"),
        Output(f"{PAGE}-rows", "rowData"), Output(f"{PAGE}-rows", "columnDefs"),
        Output(f"{PAGE}-confirm", "disabled"), Output(f"{PAGE}-previewed", "data"),
        Output(f"{PAGE}-result", "children"),
        Input(f"{PAGE}-preview", "n_clicks"),
        State(f"{PAGE}-file", "data"), State(f"{PAGE}-table", "value"), State(f"{PAGE}-what", "value"),
        State({"type": f"{PAGE}-map", "field": ALL}, "id"), State({"type": f"{PAGE}-map", "field": ALL}, "value"),
        State(f"{PAGE}-title", "value"), State(f"{PAGE}-year", "value"), State(f"{PAGE}-kind", "value"),
        State(f"{PAGE}-number", "value"), State(f"{PAGE}-issued", "value"), State(f"{PAGE}-cadence", "value"),
        State(f"{PAGE}-deadline-day", "value"), State(f"{PAGE}-week-start", "value"),
        State(f"{PAGE}-week-numbering", "value"), State(f"{PAGE}-target-plan", "value"),
        State(f"{PAGE}-create-agencies", "value"),
        prevent_initial_call=True,
    )(preview)
    guarded_callback(
        app, WRITE_IMPORT,
        Output(f"{PAGE}-result", "children", allow_duplicate=True), Output(f"{PAGE}-confirm", "disabled",
                                                                          allow_duplicate=True),
        Output(f"{PAGE}-preview-box", "style", allow_duplicate=True),
        Input(f"{PAGE}-confirm", "n_clicks"), State(f"{PAGE}-previewed", "data"), prevent_initial_call=True,
    )(confirm)
