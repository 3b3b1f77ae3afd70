"""Xếp hạng DTI: the year's ranking for the secretariat, leaders and admins of the province; the
import (file, preview, confirm) for the secretariat and admins only, with the import page's pattern:
the file is checked in the browser for its size, stored once for this user (services.plans.uploads),
read outside any write transaction, and written in one transaction on confirm, all or nothing.
"""
from __future__ import annotations

from pathlib import Path

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.files import failure, upload_dir
from callbacks.guard import Policy, browser_callback, guarded_callback, refuse
from callbacks.imports import CHECK_SIZE
from callbacks.selector import province_plan
from layouts import dti as view
from layouts.controls import alert
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import PLAN_WRITE_ROLES, READ_ALL_ROLES, Actor, NotAllowed, can_manage_province
from services.common.inputs import id_from_text
from services.dti.importer import preview_upload, write_upload
from services.dti.rankings import group_summaries, level_counts, ranking_rows, ranking_years
from services.plans import spreadsheet
from services.plans.spreadsheet import ImportFailed
from services.plans.uploads import decode_upload, discard_upload, store_upload, stored_upload

PAGE = view.PAGE
READ_RANKING = Policy(READ_ALL_ROLES, description="Tổ giúp việc, lãnh đạo, quản trị: xem xếp hạng DTI")
READ_FOR_IMPORT = Policy(PLAN_WRITE_ROLES, description="Tổ giúp việc, quản trị: đọc tệp xếp hạng DTI")
WRITE_IMPORT = Policy(PLAN_WRITE_ROLES, writes=True, description="Tổ giúp việc, quản trị: tải tệp, ghi xếp hạng DTI")
SHOWN, HIDDEN = {"display": "block"}, {"display": "none"}


def load_years(actor: Actor, db: Database, _refresh, search):
    """Returns (year options, year shown, import card style): the province's years, newest first; the
    import card only for those who may import."""
    with db.read() as session:
        province_id = province_plan(session, actor, search).province_id
        years = ranking_years(session, province_id)
    options = [{"label": str(year), "value": str(year)} for year in years]
    card = SHOWN if can_manage_province(actor, province_id) else HIDDEN
    return options, options[0]["value"] if options else None, card


def load_ranking(actor: Actor, db: Database, year, search):
    """Returns the chosen year's ranking (nothing to show: the empty state)."""
    chosen = id_from_text(year)
    with db.read() as session:
        province_id = province_plan(session, actor, search).province_id
        if chosen is None:
            return view.ranking_view(0, {}, [], [])
        return view.ranking_view(chosen, level_counts(session, province_id, chosen),
                                 group_summaries(session, province_id, chosen),
                                 ranking_rows(session, province_id, chosen))


def receive_file(actor: Actor, _db: Database, data):
    """Returns (file store, message): the file checked and stored for this user."""
    payload = data if isinstance(data, dict) else {}
    try:
        content, suffix = decode_upload(payload.get("contents"), payload.get("filename"))
    except ImportFailed as exc:
        return None, failure(exc, f"{PAGE}-file-alert")
    token = store_upload(upload_dir(), actor.id, content, suffix)
    name = Path(str(payload.get("filename"))).name
    return {"token": token, "name": name}, alert(f"Đã nhận tệp “{name}”. Bấm “Xem trước”.", "info", None,
                                                 f"{PAGE}-file-alert")


def _stored(actor: Actor, file) -> tuple[list, str]:
    """The tables of this user's stored upload, and its name."""
    if not isinstance(file, dict):
        raise spreadsheet.refuse("Chưa chọn tệp.")
    tables = spreadsheet.read_tables(stored_upload(upload_dir(), actor.id, file.get("token")))
    return tables, Path(str(file.get("name", ""))).name[:300]


def _request(file, year, create_agencies, replace) -> dict:
    return {"file": file, "year": year, "create_agencies": create_agencies is True, "replace": replace is True}


def preview(actor: Actor, db: Database, _clicks, file, year, create_agencies, replace):
    """Returns (summary, confirm disabled, previewed request, result): nothing is written."""
    request = _request(file, year, create_agencies, replace)
    try:
        tables, name = _stored(actor, file)
        with db.read() as session:
            shown = preview_upload(session, actor, tables, request, name)
    except ImportFailed as exc:
        return "", True, None, failure(exc, f"{PAGE}-preview-alert")
    except NotAllowed as exc:
        refuse(str(exc))
    errors = [str(e) for e in shown.errors]
    return (view.preview_view(shown.summary_lines(), shown.disagreements, errors, shown.rows), bool(errors),
            None if errors else request, "")


def confirm(actor: Actor, db: Database, _clicks, request, refresh):
    """Returns (result, confirm disabled, summary, refresh): the previewed file written in one
    transaction, or refused whole with every reason."""
    if not isinstance(request, dict):
        raise PreventUpdate
    try:
        tables, name = _stored(actor, request.get("file"))
        with db.write() as session:
            written = write_upload(session, actor, tables, request, name)
    except ImportFailed as exc:
        return failure(exc, f"{PAGE}-done-alert"), True, no_update, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return alert(str(exc), "warning", None, f"{PAGE}-done-alert"), False, no_update, no_update
    discard_upload(upload_dir(), actor.id, request["file"].get("token"))
    message = alert(f"Đã nhập kết quả xếp hạng DTI năm {request['year']}.", "success",
                    written.summary_lines(), f"{PAGE}-done-alert")
    return message, True, "", (refresh or 0) + 1


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_RANKING,
        Output(f"{PAGE}-year", "options"), Output(f"{PAGE}-year", "value"), Output(f"{PAGE}-import", "style"),
        Input(f"{PAGE}-refresh", "data"), State("url", "search"),
    )(load_years)
    guarded_callback(app, READ_RANKING, Output(f"{PAGE}-content", "children"),
                     Input(f"{PAGE}-year", "value"), State("url", "search"))(load_ranking)
    browser_callback(app, CHECK_SIZE, Output(f"{PAGE}-data", "data"), Output(f"{PAGE}-size-message", "children"),
                     Input(f"{PAGE}-upload", "contents"), State(f"{PAGE}-upload", "filename"),
                     prevent_initial_call=True)
    guarded_callback(app, WRITE_IMPORT, Output(f"{PAGE}-file", "data"), Output(f"{PAGE}-file-message", "children"),
                     Input(f"{PAGE}-data", "data"), prevent_initial_call=True)(receive_file)
    guarded_callback(
        app, READ_FOR_IMPORT,
        Output(f"{PAGE}-summary", "children"), Output(f"{PAGE}-confirm", "disabled"),
        Output(f"{PAGE}-previewed", "data"), Output(f"{PAGE}-result", "children"),
        Input(f"{PAGE}-preview", "n_clicks"), State(f"{PAGE}-file", "data"), State(f"{PAGE}-import-year", "value"),
        State(f"{PAGE}-create-agencies", "value"), State(f"{PAGE}-replace", "value"), prevent_initial_call=True,
    )(preview)
    guarded_callback(
        app, WRITE_IMPORT,
        Output(f"{PAGE}-result", "children", allow_duplicate=True),
        Output(f"{PAGE}-confirm", "disabled", allow_duplicate=True),
        Output(f"{PAGE}-summary", "children", allow_duplicate=True), Output(f"{PAGE}-refresh", "data"),
        Input(f"{PAGE}-confirm", "n_clicks"), State(f"{PAGE}-previewed", "data"), State(f"{PAGE}-refresh", "data"),
        prevent_initial_call=True,
    )(confirm)
