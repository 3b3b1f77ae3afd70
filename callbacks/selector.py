"""The period selector (month, quarter, half-year, year or any date) that several pages share,
and the plan those pages show."""
from __future__ import annotations

from dash import Dash, Input, Output
from dash.exceptions import PreventUpdate

from callbacks.guard import Policy, guarded_callback
from models import Database, Plan
from services.accounts.permissions import Actor
from services.common.clock import today
from services.common.queries import active_plan
from services.reporting.dashboard import Selection, periods_of, selection_for
from services.reporting.periods import InvalidPeriod


def chosen(kind, period_key, day) -> Selection:
    """The selector's choice; no update while it is incomplete or not a valid period."""
    key = day if kind == "date" else period_key
    try:
        if isinstance(key, str):
            return selection_for(key)
    except InvalidPeriod:
        pass
    raise PreventUpdate


def province_plan(session, actor: Actor) -> Plan:
    """The plan the province views show; no update when there is none yet."""
    plan = active_plan(session, actor)
    if plan is None:
        raise PreventUpdate
    return plan


def period_options(actor: Actor, db: Database, kind):
    """Returns (options, value, period box style, date box style) for the chosen kind."""
    if kind == "date":
        return [], None, {"display": "none"}, {"display": "block"}
    with db.read() as session:
        plan = active_plan(session, actor)
        kind = kind if kind in ("month", "quarter", "half", "year") else "quarter"  # a tuple: any JSON compares
        periods = periods_of(plan, kind, today()) if plan else []
    options = [{"label": p.label, "value": p.key} for p in periods]
    return options, options[0]["value"] if options else None, {"display": "block"}, {"display": "none"}


def register(app: Dash, page: str, policy: Policy) -> None:
    guarded_callback(
        app, policy,
        Output(f"{page}-period", "options"), Output(f"{page}-period", "value"),
        Output(f"{page}-period-box", "style"), Output(f"{page}-date-box", "style"),
        Input(f"{page}-kind", "value"),
    )(period_options)
