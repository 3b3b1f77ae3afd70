"""What several pages share: the plan the URL names (`?ke-hoach=ID`), checked against the actor's
province, and the period selector (week, month, quarter, half-year, year or any date; weeks as the plan
numbers them).

Every callback that reads a plan takes State("url", "search") and calls `url_plan` or
`province_plan`: a plan id from the browser is a request like any other.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.guard import Policy, guarded_callback, refuse
from layouts.shell import PLAN_PARAMETER
from models import Database, Plan
from services.accounts.permissions import Actor, NotAllowed
from services.common.clock import today
from services.common.inputs import id_from_text
from services.plans.catalogue import plan_for
from services.reporting.dashboard import Selection, periods_of, selection_for
from services.reporting.periods import InvalidPeriod, week_scheme

SELECTOR_KINDS = ("week", "month", "quarter", "half", "year")  # besides "date"


def query(search) -> dict[str, str]:
    """The URL's query string as {name: first value}; empty for anything but text."""
    if not isinstance(search, str):
        return {}
    return {name: values[0] for name, values in parse_qs(search.lstrip("?")).items()}


def requested_plan(search) -> int | None:
    """The plan id the URL names, if it is an id at all."""
    return id_from_text(query(search).get(PLAN_PARAMETER))


def url_plan(session, actor: Actor, search) -> Plan | None:
    """The plan the URL names or the default one (None when the province has none yet); another
    province's plan is refused with a logged 403."""
    try:
        return plan_for(session, actor, requested_plan(search))
    except NotAllowed as exc:
        refuse(str(exc))


def plan_to_write(session, actor: Actor, search) -> Plan:
    """As `url_plan`, for a write: NotAllowed (the caller's logged 403) when there is no plan."""
    plan = url_plan(session, actor, search)
    if plan is None:
        raise NotAllowed("no plan")
    return plan


def province_plan(session, actor: Actor, search) -> Plan:
    """As `url_plan`, for views with nothing to show without a plan: no update then."""
    plan = url_plan(session, actor, search)
    if plan is None:
        raise PreventUpdate
    return plan


def linked_plan(plan: Plan | None, search) -> int | None:
    """The plan id links from this page carry: the URL's, if it names one (else links stay plain
    and follow the default plan)."""
    return plan.id if plan is not None and requested_plan(search) is not None else None


class NoPeriod(PreventUpdate):
    """The selector names no period of the plan: no update, and `reason` in words when it is not
    merely incomplete (a forged week, one the plan's numbering lacks such as "2025-W54")."""

    def __init__(self, reason: str = ""):
        super().__init__(reason)
        self.reason = reason


def chosen(kind, period_key, day, plan: Plan) -> Selection:
    """The selector's choice, a week as the plan numbers its weeks (never ISO weeks for a plan
    whose weeks start on Friday). NoPeriod while it is incomplete or not a valid period."""
    key = day if kind == "date" else period_key
    if not isinstance(key, str):
        raise NoPeriod
    try:
        return selection_for(key, week_scheme(plan))
    except InvalidPeriod as exc:
        raise NoPeriod(str(exc)) from None


def period_options(actor: Actor, db: Database, kind, search):
    """Returns (options, value, period box style, date box style) for the chosen kind."""
    if kind == "date":
        return [], None, {"display": "none"}, {"display": "block"}
    with db.read() as session:
        plan = url_plan(session, actor, search)
        kind = kind if kind in SELECTOR_KINDS else "quarter"  # a tuple: any JSON compares
        periods = periods_of(plan, kind, today()) if plan else []
    options = [{"label": p.choice_label, "value": p.key} for p in periods]
    return options, options[0]["value"] if options else None, {"display": "block"}, {"display": "none"}


def register(app: Dash, page: str, policy: Policy) -> None:
    guarded_callback(
        app, policy,
        Output(f"{page}-period", "options"), Output(f"{page}-period", "value"),
        Output(f"{page}-period-box", "style"), Output(f"{page}-date-box", "style"),
        Input(f"{page}-kind", "value"), State("url", "search"),
    )(period_options)
