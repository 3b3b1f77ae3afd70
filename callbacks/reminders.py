"""Nhắc việc: the navbar's bell and the reminders page, for the logged-in user's own reminders only.

Every handler passes the actor to services.reminders.inbox, which reads and writes the actor's rows
and nothing else: a reminder id from the browser that is not the actor's is refused (logged 403).
Nothing here sends mail: only the `send-reminders` job does.
"""
from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import READ_ANY_ROLE, Policy, guarded_callback, refuse
from layouts import reminders as view
from layouts import shell
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import ALL_ROLES, Actor, NotAllowed
from services.common.clock import now
from services.common.inputs import strict_int
from services.reminders.inbox import (
    email_choice,
    mark_all_read,
    mark_read,
    reminder_rows,
    set_email_choice,
    unread_count,
)

OWN_REMINDERS = Policy(ALL_ROLES, writes=True, description="mọi người dùng, chỉ nhắc việc của chính mình")
PAGE = view.PAGE
CHANGED = f"{shell.PAGE}-reminders-changed"


def bell(actor: Actor, db: Database, _pathname, _changed):
    """Returns (count text, count style, accessible name) of the actor's unread reminders."""
    with db.read() as session:
        unread = unread_count(session, actor)
    return str(unread), {"display": "inline-block" if unread else "none"}, view.bell_label(unread)


def load(actor: Actor, db: Database, _ready, _refresh):
    """Returns (list, e-mail switch, note under it)."""
    with db.read() as session:
        rows = reminder_rows(session, actor)
        enabled, has_email = email_choice(session, actor)
    return view.reminder_list(rows), enabled, view.email_note(has_email)


def _bumped(value) -> int:
    return (strict_int(value) or 0) + 1


def read_one(actor: Actor, db: Database, clicks, refresh, changed):
    """Returns (message, refresh, bell refresh): mark the clicked reminder read."""
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(isinstance(n, int) and n > 0 for n in clicks or []):
        raise PreventUpdate
    try:
        with db.write() as session:
            mark_read(session, actor, clicked.get("reminder"), now())
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning"), no_update, no_update
    return None, _bumped(refresh), _bumped(changed)


def read_all(actor: Actor, db: Database, n_clicks, refresh, changed):
    """Returns (message, refresh, bell refresh): mark every unread reminder of the actor read."""
    if not n_clicks:
        raise PreventUpdate
    try:
        with db.write() as session:
            count = mark_all_read(session, actor, now())
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning"), no_update, no_update
    text = f"Đã đánh dấu {count} nhắc việc là đã đọc." if count else "Không còn nhắc việc chưa đọc."
    return view.message(text), _bumped(refresh), _bumped(changed)


def choose_email(actor: Actor, db: Database, enabled):
    """The daily digest switch; nothing when it already says so (e.g. the page just loaded it)."""
    try:
        with db.write() as session:
            changed = set_email_choice(session, actor, enabled, now())
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning")
    if not changed:
        raise PreventUpdate
    return view.message("Đã bật nhận thư tổng hợp hằng ngày." if enabled else
                        "Đã tắt nhận thư tổng hợp; nhắc việc vẫn hiện trong ứng dụng.")


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{shell.PAGE}-bell-count", "children"), Output(f"{shell.PAGE}-bell-count", "style"),
        Output(f"{shell.PAGE}-bell", "aria-label"),
        # href, not pathname: it changes with every page too, and leaves "url.pathname" to the router.
        Input("url", "href"), Input(CHANGED, "data"),
    )(bell)
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{PAGE}-list", "children"), Output(f"{PAGE}-email", "value"), Output(f"{PAGE}-email-note", "children"),
        Input(f"{PAGE}-ready", "data"), Input(f"{PAGE}-refresh", "data"),
    )(load)
    guarded_callback(
        app, OWN_REMINDERS,
        Output(f"{PAGE}-alert", "children"), Output(f"{PAGE}-refresh", "data"),
        Output(CHANGED, "data", allow_duplicate=True),
        Input(view.read_id(ALL), "n_clicks"), State(f"{PAGE}-refresh", "data"), State(CHANGED, "data"),
        prevent_initial_call=True,
    )(read_one)
    guarded_callback(
        app, OWN_REMINDERS,
        Output(f"{PAGE}-alert", "children", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data", allow_duplicate=True), Output(CHANGED, "data", allow_duplicate=True),
        Input(f"{PAGE}-read-all", "n_clicks"), State(f"{PAGE}-refresh", "data"), State(CHANGED, "data"),
        prevent_initial_call=True,
    )(read_all)
    guarded_callback(
        app, OWN_REMINDERS,
        Output(f"{PAGE}-alert", "children", allow_duplicate=True),
        Input(f"{PAGE}-email", "value"), prevent_initial_call=True,
    )(choose_email)
