"""The frame around every page: navbar with the plan selector, location, content slot."""
from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

PAGE = "shell"
PLAN_PARAMETER = "ke-hoach"  # the plan a page shows is kept in the URL: a link or a reload shows the same


def layout() -> html.Div:
    """Static frame; who is logged in, the plans and which page shows are filled in by callbacks."""
    return html.Div([
        # Set by callbacks (the plan selector, clicks that open a page): navigate without a reload.
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id=f"{PAGE}-plan-shown"),
        dcc.Store(id=f"{PAGE}-reminders-changed", data=0),  # bumped when reminders are read: the bell recounts
        # Two rows: the brand, the plan on show and the user; then the pages, wrapping as they need
        # (the secretariat has many).
        dbc.Navbar(
            dbc.Container([
                dbc.NavbarBrand("Chuyển đổi số — Theo dõi kế hoạch", href="/", className="fw-semibold"),
                html.Div([
                    # A native select: a real <label>, the phone's own picker, and a long title is cut
                    # inside the box (Dash's Dropdown lets its value overflow a phone's width).
                    html.Div([
                        dbc.Label("Kế hoạch", html_for=f"{PAGE}-plan", className="visually-hidden"),
                        dbc.Select(id=f"{PAGE}-plan", size="sm", placeholder="Chọn kế hoạch…"),
                    ], id=f"{PAGE}-plan-box", style=plan_box_style(False)),
                    html.Span(id=f"{PAGE}-user", className="navbar-text small"),
                    bell(),
                    html.A("Đổi mật khẩu", href="/doi-mat-khau", id=f"{PAGE}-password",
                           className="btn btn-sm btn-outline-light"),
                    html.Form(
                        html.Button("Đăng xuất", type="submit", className="btn btn-sm btn-outline-light",
                                    id=f"{PAGE}-logout"),
                        method="POST", action="/logout",
                    ),
                ], className="d-flex flex-wrap align-items-center column-gap-3 row-gap-1 ms-auto mw-100"),
                dbc.Nav(id=f"{PAGE}-nav", navbar=True, className="flex-row flex-wrap column-gap-3 w-100"),
            ], fluid=True),
            color="primary", dark=True, expand=False, className="mb-3",
        ),
        dbc.Container(id="page-content", fluid=True, className="pb-4"),
    ])


def bell() -> html.A:
    """The user's unread reminders: text, not an icon, and a count a callback fills (hidden at 0)."""
    return html.A(["Nhắc việc", html.Span(id=f"{PAGE}-bell-count", className="badge rounded-pill text-bg-warning ms-1",
                                          style={"display": "none"})],
                  href="/nhac-viec", id=f"{PAGE}-bell", className="btn btn-sm btn-outline-light",
                  **{"aria-label": "Nhắc việc"})


def plan_box_style(visible: bool) -> dict:
    """Shown when there is a choice; never wider than a phone."""
    return {"display": "block" if visible else "none", "width": "22rem", "maxWidth": "100%"}


def plan_href(path: str, plan_id: int | None, params: dict | None = None) -> str:
    """A link inside the app that keeps the plan on show (`?ke-hoach=ID`) and any other parameters."""
    query = {key: value for key, value in {**(params or {}), PLAN_PARAMETER: plan_id}.items() if value is not None}
    return f"{path}?{urlencode(query)}" if query else path


def nav_links(pages: list[tuple[str, str]], plan_id: int | None = None) -> list:
    return [dbc.NavItem(dbc.NavLink(title, href=plan_href(path, plan_id))) for title, path in pages]


def plan_options(plans: list[tuple[int, str]]) -> list[dict]:
    """The selector's choices: (id, label as services.plans.catalogue.plan_label prints it); a
    select's values are text."""
    return [{"label": label, "value": str(plan_id)} for plan_id, label in plans]


def archived_banner(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="secondary", id=f"{PAGE}-archived", className="py-2")


def forbidden() -> dbc.Alert:
    return dbc.Alert("Bạn không có quyền xem trang này.", color="warning")


def forbidden_plan() -> dbc.Alert:
    return dbc.Alert("Bạn không có quyền xem kế hoạch này. Hãy chọn một kế hoạch của tỉnh trong danh sách.",
                     color="warning", id=f"{PAGE}-forbidden-plan")


def not_found() -> dbc.Alert:
    return dbc.Alert("Không tìm thấy trang.", color="secondary")
