"""Bảng điểm đơn vị: the ranking of agencies, or one agency's scorecard (`?co-quan=ID`).

Every role reaches the page; what it gets is decided here, from the logged-in user: an agency user
its own scorecard (another agency's id is refused with a logged 403, never swapped for its own), the
others the ranking or the scorecard of an agency of their province (services.reporting.scorecards).
"""
from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks.guard import READ_ANY_ROLE, guarded_callback, refuse
from callbacks.selector import linked_plan, province_plan, query
from layouts import scorecards as view
from models import Database
from services.accounts.permissions import Actor, NotAllowed
from services.common.clock import today
from services.reporting.scorecards import ranking, scorecard

PAGE = view.PAGE


def load(actor: Actor, db: Database, _ready, search):
    """Returns the page's content: the ranking, or one agency's scorecard."""
    requested = query(search).get(view.AGENCY_PARAMETER)
    with db.read() as session:
        plan = province_plan(session, actor, search)
        linked = linked_plan(plan, search)
        try:
            if actor.is_agency or requested is not None:
                chosen = actor.agency_id if actor.is_agency and requested is None else requested
                return view.card_view(scorecard(session, actor, plan, chosen, today()), linked, not actor.is_agency)
            return view.ranking_view(ranking(session, actor, plan, today()), linked)
        except NotAllowed as exc:
            refuse(str(exc))


def register(app: Dash) -> None:
    guarded_callback(app, READ_ANY_ROLE, Output(f"{PAGE}-content", "children"), Input(f"{PAGE}-ready", "data"),
                     State("url", "search"))(load)
