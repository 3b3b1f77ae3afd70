"""Kế hoạch: the province's plans, and archiving or restoring one (with a confirm step).

Leaders, the secretariat and admins list their province's plans; the secretariat and admins of
the province archive and restore. A plan id from a button is a request: the catalogue checks it
against the actor's province and role, and every refusal is logged and answered 403.
"""
from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import Policy, browser_callback, guarded_callback, refuse
from callbacks.overview import READ_PROVINCE
from callbacks.selector import url_plan
from layouts import plans as view
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import PLAN_WRITE_ROLES, Actor, NotAllowed
from services.common.inputs import strict_int
from services.plans.catalogue import archive_plan, may_archive, plan_rows, restore_plan, visible_plan

MANAGE_PLANS = Policy(PLAN_WRITE_ROLES, description="Tổ giúp việc, quản trị của tỉnh")
ARCHIVE_PLANS = Policy(PLAN_WRITE_ROLES, writes=True, description="Tổ giúp việc, quản trị của tỉnh")
PAGE = view.PAGE


def load_plans(actor: Actor, db: Database, _ready, _refresh, search):
    """The table of the province's plans, the one on show marked."""
    with db.read() as session:
        rows = plan_rows(session, actor)
        shown = url_plan(session, actor, search)
        shown_id = shown.id if shown else None
    return view.table(rows, shown_id)


def ask(actor: Actor, db: Database, clicks):
    """Returns (open, title, body, pending): what the clicked button would do, to confirm."""
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(isinstance(n, int) and n > 0 for n in clicks or []):
        raise PreventUpdate
    try:
        with db.read() as session:
            plan = visible_plan(session, actor, clicked.get("plan"))
            if not may_archive(actor, plan):
                raise NotAllowed(f"user {actor.username} may not archive plan {plan.id}")
            pending = {"plan": plan.id, "archive": plan.archived_at is None}
            title, body = view.confirm_text(plan.title, pending["archive"])
    except NotAllowed as exc:
        refuse(str(exc))
    return True, title, body, pending


def apply(actor: Actor, db: Database, n_clicks, pending, refresh):
    """Returns (message, modal open, refresh): archive or restore the confirmed plan."""
    if not n_clicks:
        raise PreventUpdate
    plan_id = strict_int(pending.get("plan")) if isinstance(pending, dict) else None
    archive = pending.get("archive") if isinstance(pending, dict) else None
    if plan_id is None or not isinstance(archive, bool):
        raise PreventUpdate
    try:
        with db.write() as session:
            text = (archive_plan if archive else restore_plan)(session, actor, plan_id)
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning"), False, no_update
    return view.message(text, "success"), False, (strict_int(refresh) or 0) + 1


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_PROVINCE, Output(f"{PAGE}-table", "children"),
        Input(f"{PAGE}-ready", "data"), Input(f"{PAGE}-refresh", "data"), State("url", "search"),
    )(load_plans)
    guarded_callback(
        app, MANAGE_PLANS,
        Output(f"{PAGE}-confirm-modal", "is_open"), Output(f"{PAGE}-confirm-title", "children"),
        Output(f"{PAGE}-confirm-body", "children"), Output(f"{PAGE}-pending", "data"),
        Input(view.toggle_id(ALL), "n_clicks"), prevent_initial_call=True,
    )(ask)
    guarded_callback(
        app, ARCHIVE_PLANS,
        Output(f"{PAGE}-alert", "children"), Output(f"{PAGE}-confirm-modal", "is_open", allow_duplicate=True),
        Output(f"{PAGE}-refresh", "data"),
        Input(f"{PAGE}-confirm", "n_clicks"), State(f"{PAGE}-pending", "data"), State(f"{PAGE}-refresh", "data"),
        prevent_initial_call=True,
    )(apply)
    browser_callback(app, "function(_) { return false; }",
                     Output(f"{PAGE}-confirm-modal", "is_open", allow_duplicate=True),
                     Input(f"{PAGE}-cancel", "n_clicks"), prevent_initial_call=True)
