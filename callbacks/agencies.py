"""Cơ quan, đơn vị: the province's agency directory, for admins and the secretariat only.

Every change goes through services.plans.agencies.AgencyEditor, which checks the province and logs
who changed what and when; the communes' list is stored as the user's upload, previewed without
writing, then loaded all or nothing.
"""
from __future__ import annotations

import secrets

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.accounts import SHOWN, load_scope
from callbacks.files import failure, preview_upload, upload_dir
from callbacks.guard import Policy, guarded_callback, refuse
from layouts import agencies as view
from layouts.controls import alert, list_count
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import PLAN_WRITE_ROLES, Actor, NotAllowed
from services.common.inputs import id_from_text
from services.plans.agencies import AgencyEditor, MembersChanged, MembersSaved, read_commune_sheet
from services.plans.spreadsheet import ImportFailed
from services.plans.uploads import discard_upload, stored_upload

PAGE = view.PAGE
READ_DIRECTORY = Policy(PLAN_WRITE_ROLES, description="Quản trị, Tổ giúp việc: xem danh mục cơ quan để sửa")
WRITE_DIRECTORY = Policy(PLAN_WRITE_ROLES, writes=True,
                         description="Quản trị, Tổ giúp việc: thêm, đổi tên, sáp nhập cơ quan, sửa nhóm")


def _options(choices: list[tuple[int, str, bool]], groups: bool | None = None, but: int | None = None) -> list[dict]:
    return [{"label": name, "value": str(agency_id)} for agency_id, name, is_group in choices
            if (groups is None or is_group == groups) and agency_id != but]


def list_directory(actor: Actor, db: Database, province, search, _refresh):
    """Returns (grid rows, how many, agency options for rename and merge (twice), group options (twice),
    the communes' group preselected)."""
    if province in (None, ""):
        raise PreventUpdate
    try:
        with db.read() as session:
            editor = AgencyEditor(session, actor, province)
            rows, choices = editor.rows(search), editor.choices()
            communes = editor.communes_group()
            chosen = str(communes.id) if communes else None
    except NotAllowed as exc:
        refuse(str(exc))
    agencies, groups = _options(choices), _options(choices, groups=True)
    return rows, list_count(len(rows), "cơ quan, đơn vị"), agencies, agencies, agencies, groups, groups, chosen


def _loaded(group, members: list[int]) -> dict:
    """What the page keeps of a group's members as loaded, and sends back with the save."""
    return {"group": str(group), "members": members}


def show_members(actor: Actor, db: Database, group, province):
    """Returns (member options, the group's members, the members as loaded): every current agency
    but the group itself."""
    if group in (None, "") or province in (None, ""):
        return [], [], None
    try:
        with db.read() as session:
            editor = AgencyEditor(session, actor, province)
            members = editor.members_of(group)
            options = _options(editor.choices(), but=id_from_text(group))
    except NotAllowed as exc:
        refuse(str(exc))
    except ValueError:
        return [], [], None
    return options, [str(m) for m in members], _loaded(group, members)


def _write(actor: Actor, db: Database, province, message_id: str, change):
    """Run `change(editor)` in one write transaction; (alert, refresh) with its message or the reason
    it was refused. A forged province or agency is a logged 403."""
    try:
        with db.write() as session:
            message = change(AgencyEditor(session, actor, province))
    except NotAllowed as exc:
        refuse(str(exc))
    except ImportFailed as exc:
        return failure(exc, message_id), no_update
    except (ValueError, DatabaseBusy) as exc:
        return alert(str(exc), "danger", None, message_id), no_update
    return alert(message, "success", None, message_id), secrets.token_hex(4)


def add(actor: Actor, db: Database, _clicks, province, name, kind):
    """Returns (message, refresh, name box): a new agency, unless its name or an alias is known."""
    def change(editor: AgencyEditor) -> str:
        return f"Đã thêm “{editor.add(name, kind).name}”."
    shown, refresh = _write(actor, db, province, f"{PAGE}-add-alert", change)
    return shown, refresh, ("" if refresh is not no_update else no_update)


def rename(actor: Actor, db: Database, _clicks, province, agency, name):
    """Returns (message, refresh, name box): the old name is kept as a former name."""
    def change(editor: AgencyEditor) -> str:
        old, renamed = editor.rename(agency, name)
        return f"Đã đổi tên “{old}” thành “{renamed.name}”; tên cũ vẫn được nhận ra."
    shown, refresh = _write(actor, db, province, f"{PAGE}-rename-alert", change)
    return shown, refresh, ("" if refresh is not no_update else no_update)


def merge(actor: Actor, db: Database, _clicks, province, source, target):
    """Returns (message, refresh)."""
    def change(editor: AgencyEditor) -> str:
        merged, into = editor.merge(source, target)
        return (f"Đã sáp nhập “{merged.name}” vào “{into.name}”. Nhiệm vụ, tài khoản và lịch sử của “{merged.name}” "
                "giữ nguyên; tên của nó từ nay chỉ về cơ quan nhận.")
    return _write(actor, db, province, f"{PAGE}-merge-alert", change)


def save_members(actor: Actor, db: Database, _clicks, province, group, members, loaded):
    """Returns (message, refresh, members shown, members as loaded). Saved only if the group's
    members are still those the page loaded; otherwise the page shows them as they now are."""
    loaded_ids = loaded.get("members") if isinstance(loaded, dict) and loaded.get("group") == group else None
    saved: list[MembersSaved] = []

    def change(editor: AgencyEditor) -> str:
        saved.append(editor.set_members(group, members, loaded_ids))
        added, removed = saved[0].added, saved[0].removed
        if not added and not removed:
            return "Thành viên của nhóm không thay đổi."
        parts = ([f"thêm {', '.join(added)}"] if added else []) + ([f"bỏ {', '.join(removed)}"] if removed else [])
        return f"Đã lưu thành viên của nhóm: {'; '.join(parts)}."
    try:
        shown, refresh = _write(actor, db, province, f"{PAGE}-members-alert", change)
    except MembersChanged as exc:
        return (alert(str(exc), "warning", None, f"{PAGE}-members-alert"), secrets.token_hex(4),
                [str(m) for m in exc.current], _loaded(group, exc.current))
    if refresh is no_update:
        return shown, refresh, no_update, no_update
    return shown, refresh, no_update, _loaded(group, saved[0].members)


def receive_communes(actor: Actor, db: Database, contents, filename, province, group):
    """Returns (stored list, preview rows, preview style, confirm disabled, message): nothing written."""
    message_id = f"{PAGE}-communes-alert"

    def check(path):
        sheet = read_commune_sheet(path)
        with db.read() as session:
            return AgencyEditor(session, actor, province).check_communes(group, sheet)
    try:
        shown = preview_upload(actor.id, contents, filename, check, message_id, "chưa nạp gì")
    except NotAllowed as exc:
        refuse(str(exc))
    except ValueError as exc:
        return None, [], view.HIDDEN, True, alert(str(exc), "danger", None, message_id)
    if shown.token is None:
        return None, shown.rows, (SHOWN if shown.rows else view.HIDDEN), True, shown.refusal
    new = sum(1 for row in shown.rows if row["action"] == "Thêm mới")
    return {"token": shown.token, "group": group}, shown.rows, SHOWN, False, alert(
        f"“{shown.name}”: {len(shown.rows)} xã, phường ({new} chưa có trong danh mục), không có lỗi. Bấm “Nạp vào "
        "danh mục” để ghi.", "info", None, message_id)


def confirm_communes(actor: Actor, db: Database, _clicks, stored, province):
    """Returns (message, confirm disabled, preview style, refresh): the previewed list, all or nothing,
    into the group it was previewed for."""
    if not isinstance(stored, dict):
        raise PreventUpdate
    try:
        sheet = read_commune_sheet(stored_upload(upload_dir(), actor.id, stored.get("token")))
    except ImportFailed as exc:
        return failure(exc, f"{PAGE}-communes-done-alert"), True, no_update, no_update

    def change(editor: AgencyEditor) -> str:
        added, joined = editor.load_communes(stored.get("group"), sheet)
        return f"Đã nạp danh sách: {added} xã, phường mới vào danh mục, {joined} đơn vị vào nhóm."
    shown, refresh = _write(actor, db, province, f"{PAGE}-communes-done-alert", change)
    done = refresh is not no_update
    if done:
        discard_upload(upload_dir(), actor.id, stored.get("token"))  # used up: confirming again loads nothing
    return shown, True, (view.HIDDEN if done else no_update), refresh


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_DIRECTORY,
        Output(f"{PAGE}-province", "options"), Output(f"{PAGE}-province", "value"),
        Output(f"{PAGE}-province-box", "style"), Input(f"{PAGE}-ready", "data"),
    )(load_scope)
    guarded_callback(
        app, READ_DIRECTORY,
        Output(f"{PAGE}-grid", "rowData"), Output(f"{PAGE}-count", "children"),
        Output(f"{PAGE}-rename-agency", "options"),
        Output(f"{PAGE}-merge-source", "options"), Output(f"{PAGE}-merge-target", "options"),
        Output(f"{PAGE}-group", "options"), Output(f"{PAGE}-commune-group", "options"),
        Output(f"{PAGE}-commune-group", "value"),
        Input(f"{PAGE}-province", "value"), Input(f"{PAGE}-search", "value"), Input(f"{PAGE}-refresh", "data"),
    )(list_directory)
    guarded_callback(
        app, READ_DIRECTORY,
        Output(f"{PAGE}-members", "options"), Output(f"{PAGE}-members", "value"),
        Output(f"{PAGE}-members-loaded", "data"),
        Input(f"{PAGE}-group", "value"), State(f"{PAGE}-province", "value"), prevent_initial_call=True,
    )(show_members)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-add-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-add-name", "value"),
        Input(f"{PAGE}-add", "n_clicks"), State(f"{PAGE}-province", "value"), State(f"{PAGE}-add-name", "value"),
        State(f"{PAGE}-add-kind", "value"), prevent_initial_call=True,
    )(add)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-rename-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-rename-name", "value"),
        Input(f"{PAGE}-rename", "n_clicks"), State(f"{PAGE}-province", "value"),
        State(f"{PAGE}-rename-agency", "value"), State(f"{PAGE}-rename-name", "value"), prevent_initial_call=True,
    )(rename)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-merge-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Input(f"{PAGE}-merge", "n_clicks"), State(f"{PAGE}-province", "value"),
        State(f"{PAGE}-merge-source", "value"), State(f"{PAGE}-merge-target", "value"), prevent_initial_call=True,
    )(merge)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-members-message", "children"), Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Output(f"{PAGE}-members", "value", allow_duplicate=True),
        Output(f"{PAGE}-members-loaded", "data", allow_duplicate=True),
        Input(f"{PAGE}-save-members", "n_clicks"), State(f"{PAGE}-province", "value"),
        State(f"{PAGE}-group", "value"), State(f"{PAGE}-members", "value"), State(f"{PAGE}-members-loaded", "data"),
        prevent_initial_call=True,
    )(save_members)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-communes", "data"), Output(f"{PAGE}-communes-preview", "rowData"),
        Output(f"{PAGE}-communes-box", "style"), Output(f"{PAGE}-communes-confirm", "disabled"),
        Output(f"{PAGE}-communes-message", "children"),
        Input(f"{PAGE}-upload", "contents"), State(f"{PAGE}-upload", "filename"), State(f"{PAGE}-province", "value"),
        State(f"{PAGE}-commune-group", "value"), prevent_initial_call=True,
    )(receive_communes)
    guarded_callback(
        app, WRITE_DIRECTORY,
        Output(f"{PAGE}-communes-done-message", "children"),
        Output(f"{PAGE}-communes-confirm", "disabled", allow_duplicate=True),
        Output(f"{PAGE}-communes-box", "style", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
        Input(f"{PAGE}-communes-confirm", "n_clicks"), State(f"{PAGE}-communes", "data"),
        State(f"{PAGE}-province", "value"), prevent_initial_call=True,
    )(confirm_communes)
