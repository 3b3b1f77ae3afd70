"""Home page data: rollup for everyone, the agency's own assignments (returned completions first)
for an agency user."""
from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks.guard import READ_ANY_ROLE, guarded_callback
from callbacks.selector import linked_plan, url_plan
from layouts import home
from models import Database
from services.accounts.permissions import READ_ALL_ROLES, Actor
from services.common.clock import today
from services.common.queries import agency_name
from services.indicators.standings import due_indicators
from services.reporting.rollup import agency_rollup, plan_rollup, report_sentence
from services.tasks.review import returned_tasks


def load_home(actor: Actor, db: Database, _ready, search):
    """Returns (title, sentence, tiles, agency section) for the URL's plan: the agency part only for
    an agency user's own. The tiles link to the lists behind them for the roles that may read them
    (an agency's user cannot open the province's lists; its own counts link to its task list)."""
    with db.read() as session:
        plan = url_plan(session, actor, search)
        if plan is None:
            return "", "", [], home.no_plan()
        counts = plan_rollup(session, plan)
        agency_part = None
        if actor.is_agency and actor.agency_id is not None:
            own = agency_rollup(session, plan, agency_id=actor.agency_id)
            due = due_indicators(session, actor, plan, today())
            agency_part = home.agency_section(agency_name(session, actor.agency_id),
                                              own[0].counts.as_dict() if own else None,
                                              (due.period.label, due.reported, len(due.rows)) if due else None,
                                              linked_plan(plan, search),
                                              returned_tasks(session, actor, plan, actor.agency_id))
        linked = linked_plan(plan, search)
        tiles = home.tiles(counts.as_dict(), linked, linked=actor.role in READ_ALL_ROLES)
        return plan.title, report_sentence(counts), tiles, agency_part


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_ANY_ROLE,
        Output(f"{home.PAGE}-plan-title", "children"), Output(f"{home.PAGE}-sentence", "children"),
        Output(f"{home.PAGE}-tiles", "children"), Output(f"{home.PAGE}-agency-section", "children"),
        Input(f"{home.PAGE}-ready", "data"), State("url", "search"),
    )(load_home)
