"""Routing: the URL → a page layout, if the logged-in user's role may see it, and the plan it shows.

The plan is part of the URL (`?ke-hoach=ID`, else the default plan), so a link or a reload shows the
same plan; the navbar's selector lists the province's plans and picking one changes the URL, which
renders the page again for that plan without reloading the browser.
"""
from __future__ import annotations

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.guard import READ_ANY_ROLE, guarded_callback, log_refusal
from callbacks.selector import linked_plan, query, requested_plan
from layouts import shell
from layouts.pages import PAGES, page_for
from models import Database
from services.accounts.permissions import Actor, NotAllowed
from services.accounts.users import ROLES
from services.common.inputs import id_from_text
from services.plans.catalogue import archived_message, plan_for, plan_label, plans_for


def render_page(actor: Actor, db: Database, pathname: str | None, search):
    """Returns (content, nav links, user label, plan options, plan shown, selector style, plan shown).

    A URL naming another province's plan shows a refusal instead of the page (logged); its title is
    never read out."""
    with db.read() as session:
        plans = [(plan.id, plan_label(plan)) for plan in plans_for(session, actor)]
        try:
            shown = plan_for(session, actor, requested_plan(search))
        except NotAllowed as exc:
            log_refusal(str(exc))
            shown, refused = None, True
        else:
            refused = False
        banner = archived_message(shown) if shown is not None and shown.archived_at is not None else None
        value, linked = (shown.id if shown is not None else None), linked_plan(shown, search)
    visible = [(p.title, p.path) for p in PAGES if actor.role in p.roles and p.in_nav]
    user_label = f"{actor.full_name or actor.username} · {ROLES[actor.role]}"
    page = page_for(pathname)
    if page is None:
        content = shell.not_found()
    elif actor.role not in page.roles:
        content = shell.forbidden()
    elif refused and page.shows_plan:
        content = shell.forbidden_plan()
    else:
        content = page.layout(plan_id=linked)
        if banner and page.shows_plan:
            content = [shell.archived_banner(banner), content]
    return (content, shell.nav_links(visible, linked), user_label, shell.plan_options(plans),
            str(value) if value is not None else None, shell.plan_box_style(len(plans) > 1), value)


def choose_plan(_actor: Actor, _db: Database, value, shown, pathname, search):
    """A plan picked in the navbar: the same page for that plan, other parameters kept (a page about
    one item of a plan, such as one target, goes up to its list). Nothing for the plan on show; the
    pages check the plan again when they read it."""
    plan_id = id_from_text(value)
    if plan_id is None or plan_id == id_from_text(shown):
        raise PreventUpdate
    page = page_for(pathname) or page_for("/")
    if page.up:
        return shell.plan_href(page.up, plan_id)
    params = {name: text for name, text in query(search).items() if name != shell.PLAN_PARAMETER}
    return shell.plan_href(page.path, plan_id, params)


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_ANY_ROLE,
        Output("page-content", "children"), Output(f"{shell.PAGE}-nav", "children"),
        Output(f"{shell.PAGE}-user", "children"), Output(f"{shell.PAGE}-plan", "options"),
        Output(f"{shell.PAGE}-plan", "value"), Output(f"{shell.PAGE}-plan-box", "style"),
        Output(f"{shell.PAGE}-plan-shown", "data"),
        Input("url", "pathname"), Input("url", "search"),
    )(render_page)
    guarded_callback(
        app, READ_ANY_ROLE,
        Output("url", "href", allow_duplicate=True),
        Input(f"{shell.PAGE}-plan", "value"), State(f"{shell.PAGE}-plan-shown", "data"),
        State("url", "pathname"), State("url", "search"), prevent_initial_call=True,
    )(choose_plan)
