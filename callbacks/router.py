"""Routing: the URL → a page layout, if the logged-in user's role may see it."""
from __future__ import annotations

from dash import Dash, Input, Output

from callbacks.guard import READ_ANY_ROLE, guarded_callback
from layouts import shell
from layouts.pages import PAGES, page_for
from models import Database
from services.accounts.permissions import Actor
from services.accounts.users import ROLES


def render_page(actor: Actor, _db: Database, pathname: str | None):
    """Returns (content, nav links, user label)."""
    visible = [(p.title, p.path) for p in PAGES if actor.role in p.roles and p.in_nav]
    user_label = f"{actor.full_name or actor.username} · {ROLES[actor.role]}"
    page = page_for(pathname)
    if page is None:
        content = shell.not_found()
    elif actor.role not in page.roles:
        content = shell.forbidden()
    else:
        content = page.layout()
    return content, shell.nav_links(visible), user_label


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_ANY_ROLE,
        Output("page-content", "children"), Output(f"{shell.PAGE}-nav", "children"),
        Output(f"{shell.PAGE}-user", "children"),
        Input("url", "pathname"),
    )(render_page)
