"""Người dùng: accounts of a province, for admins and the secretariat only.

A temporary password leaves the server in exactly one answer: the alert after creating or resetting
one account, or the .xlsx download after creating the accounts of a list. No store, grid or later
answer carries it, and nothing logs it. The focal points' list is stored as the user's upload
(services.plans.uploads), previewed without writing, then created all or nothing.
"""
from __future__ import annotations

import secrets

from dash import Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks.files import failure, preview_upload, upload_dir
from callbacks.guard import Policy, guarded_callback, refuse
from layouts import accounts as view
from layouts.controls import alert, list_count
from models import Database
from models.base import DatabaseBusy
from services.accounts import management
from services.accounts.permissions import PLAN_WRITE_ROLES, Actor, NotAllowed
from services.accounts.users import UserError
from services.common.clock import today
from services.common.inputs import id_from_text
from services.plans.agencies import provinces_for
from services.plans.spreadsheet import ImportFailed
from services.plans.uploads import discard_upload, stored_upload

PAGE = view.PAGE
READ_ACCOUNTS = Policy(PLAN_WRITE_ROLES, description="Quản trị, Tổ giúp việc: xem tài khoản trong tỉnh")
WRITE_ACCOUNTS = Policy(PLAN_WRITE_ROLES, writes=True,
                        description="Quản trị, Tổ giúp việc: tạo, đặt lại mật khẩu, khóa, mở tài khoản")
SHOWN = {"display": "block"}
ACTIONS = {f"{PAGE}-{name}" for name in ("reset", "deactivate", "reactivate", "unlock")}


def load_scope(actor: Actor, db: Database, _ready):
    """Returns (province options, province, picker style): the actor's province, or a choice of
    every province for an admin without one."""
    with db.read() as session:
        options = [{"label": p.name, "value": str(p.id)} for p in provinces_for(session, actor)]
    return options, (options[0]["value"] if options else None), (SHOWN if len(options) > 1 else view.HIDDEN)


def load_choices(actor: Actor, db: Database, province):
    """Returns (role options, agency options) of the create form for the province."""
    if province in (None, ""):
        raise PreventUpdate
    try:
        with db.read() as session:
            agencies = management.agency_choices(session, actor, province)
    except NotAllowed as exc:
        refuse(str(exc))
    roles = management.role_choices(actor, id_from_text(province))
    return ([{"label": label, "value": code} for code, label in roles],
            [{"label": name, "value": str(agency_id)} for agency_id, name in agencies])


def list_accounts(actor: Actor, db: Database, province, search, _refresh):
    """Returns (the accounts grid's rows, how many), filtered by the search (diacritics ignored)."""
    if province in (None, ""):
        raise PreventUpdate
    try:
        with db.read() as session:
            rows = management.account_rows(session, actor, province, search)
    except NotAllowed as exc:
        refuse(str(exc))
    return rows, list_count(len(rows), "tài khoản", "Chọn một dòng rồi bấm thao tác.")


def create(actor: Actor, db: Database, _clicks, province, username, full_name, role, agency, email, phone):
    """Returns (message, grid refresh, username, full name, email, phone): the new account's
    temporary password shown once, the form emptied; or every problem, nothing written."""
    values = {"username": username, "full_name": full_name, "role": role, "agency": agency, "email": email,
              "phone": phone}
    try:
        with db.write() as session:
            issued = management.create_account(session, actor, province, values)
    except NotAllowed as exc:
        refuse(str(exc))
    except management.AccountInvalid as exc:
        return (alert("Chưa tạo tài khoản:", "danger", exc.problems, f"{PAGE}-create-alert"),
                no_update, no_update, no_update, no_update, no_update)
    except (UserError, DatabaseBusy) as exc:
        message = str(exc)
        return alert(message, "danger", None, f"{PAGE}-create-alert"), no_update, no_update, no_update, no_update, \
            no_update
    notice = view.password_notice(issued.username, issued.password, f"{PAGE}-create-alert")
    return notice, secrets.token_hex(4), "", "", "", ""


def act(actor: Actor, db: Database, _reset, _deactivate, _reactivate, _unlock, selected):
    """Returns (message, grid refresh): the chosen action on the selected account."""
    row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else {}
    action = ctx.triggered_id
    if action not in ACTIONS:
        raise PreventUpdate
    try:
        with db.write() as session:
            if action == f"{PAGE}-reset":
                issued = management.reset_password(session, actor, row.get("id"))
                return view.password_notice(issued.username, issued.password, f"{PAGE}-action-alert"), \
                    secrets.token_hex(4)
            if action == f"{PAGE}-unlock":
                was_locked = management.unlock_account(session, actor, row.get("id"))
                message = "Đã gỡ tạm khóa đăng nhập." if was_locked else "Tài khoản không bị tạm khóa."
            else:
                user = management.set_active(session, actor, row.get("id"), action == f"{PAGE}-reactivate")
                message = (f"Đã mở lại tài khoản “{user.username}”." if user.active else
                           f"Đã khóa tài khoản “{user.username}”; mọi phiên đăng nhập của tài khoản đã kết thúc.")
    except NotAllowed as exc:
        refuse(str(exc))
    except (UserError, DatabaseBusy) as exc:
        return alert(str(exc), "warning", None,
                     f"{PAGE}-action-alert"), no_update
    return alert(message, "success", None, f"{PAGE}-action-alert"), secrets.token_hex(4)


def receive_sheet(actor: Actor, db: Database, contents, filename, province):
    """Returns (stored list, preview rows, preview style, confirm disabled, message): every row of
    the list checked; nothing is created."""
    def check(path):
        sheet = management.read_account_sheet(path)
        with db.read() as session:
            return management.check_sheet(session, actor, province, sheet)
    try:
        shown = preview_upload(actor.id, contents, filename, check, f"{PAGE}-sheet-alert", "chưa tạo tài khoản nào")
    except NotAllowed as exc:
        refuse(str(exc))
    if shown.token is None:
        return None, shown.rows, (SHOWN if shown.rows else view.HIDDEN), True, shown.refusal
    message = alert(f"“{shown.name}”: {len(shown.rows)} tài khoản, không có lỗi. Bấm “Tạo các tài khoản” để tạo.",
                    "info", None, f"{PAGE}-sheet-alert")
    return {"token": shown.token, "name": shown.name}, shown.rows, SHOWN, False, message


def confirm_sheet(actor: Actor, db: Database, _clicks, stored, province):
    """Returns (download, message, confirm disabled, preview style, grid refresh): every account of
    the previewed list created in one transaction, their temporary passwords in the download only."""
    if not isinstance(stored, dict):
        raise PreventUpdate
    try:
        sheet = management.read_account_sheet(stored_upload(upload_dir(), actor.id, stored.get("token")))
        with db.write() as session:
            issued = management.create_from_sheet(session, actor, province, sheet)
    except NotAllowed as exc:
        refuse(str(exc))
    except ImportFailed as exc:
        return no_update, failure(exc, f"{PAGE}-confirm-alert"), True, no_update, no_update
    except DatabaseBusy as exc:
        return no_update, alert(str(exc), "warning", None, f"{PAGE}-confirm-alert"), False, no_update, no_update
    discard_upload(upload_dir(), actor.id, stored.get("token"))  # used up; it holds people's contacts
    filename = f"tai-khoan-moi-{today():%Y%m%d}.xlsx"
    download = dcc.send_bytes(management.issued_workbook(issued), filename)
    message = alert(f"Đã tạo {len(issued)} tài khoản. Mật khẩu tạm thời có trong tệp “{filename}” vừa tải về và "
                    "không hiện lại; hãy chuyển cho từng người.", "success", management.issued_lines(issued),
                    f"{PAGE}-confirm-alert")
    return download, message, True, view.HIDDEN, secrets.token_hex(4)


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_ACCOUNTS,
        Output(f"{PAGE}-province", "options"), Output(f"{PAGE}-province", "value"),
        Output(f"{PAGE}-province-box", "style"), Input(f"{PAGE}-ready", "data"),
    )(load_scope)
    guarded_callback(
        app, READ_ACCOUNTS,
        Output(f"{PAGE}-role", "options"), Output(f"{PAGE}-agency", "options"), Input(f"{PAGE}-province", "value"),
    )(load_choices)
    guarded_callback(
        app, READ_ACCOUNTS,
        Output(f"{PAGE}-grid", "rowData"), Output(f"{PAGE}-count", "children"),
        Input(f"{PAGE}-province", "value"), Input(f"{PAGE}-search", "value"), Input(f"{PAGE}-refresh", "data"),
    )(list_accounts)
    guarded_callback(
        app, WRITE_ACCOUNTS,
        Output(f"{PAGE}-create-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-username", "value"), Output(f"{PAGE}-full-name", "value"),
        Output(f"{PAGE}-email", "value"), Output(f"{PAGE}-phone", "value"),
        Input(f"{PAGE}-create", "n_clicks"),
        State(f"{PAGE}-province", "value"), State(f"{PAGE}-username", "value"), State(f"{PAGE}-full-name", "value"),
        State(f"{PAGE}-role", "value"), State(f"{PAGE}-agency", "value"), State(f"{PAGE}-email", "value"),
        State(f"{PAGE}-phone", "value"), prevent_initial_call=True,
    )(create)
    guarded_callback(
        app, WRITE_ACCOUNTS,
        Output(f"{PAGE}-action-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Input(f"{PAGE}-reset", "n_clicks"), Input(f"{PAGE}-deactivate", "n_clicks"),
        Input(f"{PAGE}-reactivate", "n_clicks"), Input(f"{PAGE}-unlock", "n_clicks"),
        State(f"{PAGE}-grid", "selectedRows"), prevent_initial_call=True,
    )(act)
    guarded_callback(
        app, WRITE_ACCOUNTS,
        Output(f"{PAGE}-sheet", "data"), Output(f"{PAGE}-preview", "rowData"),
        Output(f"{PAGE}-preview-box", "style"), Output(f"{PAGE}-confirm", "disabled"),
        Output(f"{PAGE}-sheet-message", "children"),
        Input(f"{PAGE}-upload", "contents"), State(f"{PAGE}-upload", "filename"), State(f"{PAGE}-province", "value"),
        prevent_initial_call=True,
    )(receive_sheet)
    guarded_callback(
        app, WRITE_ACCOUNTS,
        Output(f"{PAGE}-download", "data"), Output(f"{PAGE}-confirm-message", "children"),
        Output(f"{PAGE}-confirm", "disabled", allow_duplicate=True),
        Output(f"{PAGE}-preview-box", "style", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Input(f"{PAGE}-confirm", "n_clicks"), State(f"{PAGE}-sheet", "data"), State(f"{PAGE}-province", "value"),
        prevent_initial_call=True,
    )(confirm_sheet)
