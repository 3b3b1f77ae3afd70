"""The frame around every page: navbar, location, content slot."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

PAGE = "shell"


def layout() -> html.Div:
    """Static frame; who is logged in and which page shows are filled in by callbacks."""
    return html.Div([
        dcc.Location(id="url"),
        dbc.Navbar(
            dbc.Container([
                dbc.NavbarBrand("Chuyển đổi số — Theo dõi kế hoạch", href="/", className="fw-semibold"),
                dbc.Nav(id=f"{PAGE}-nav", className="me-auto", navbar=True),
                html.Span(id=f"{PAGE}-user", className="navbar-text small me-3"),
                html.Form(
                    html.Button("Đăng xuất", type="submit", className="btn btn-sm btn-outline-light",
                                id=f"{PAGE}-logout"),
                    method="POST", action="/logout",
                ),
            ], fluid=True),
            color="primary", dark=True, className="mb-3",
        ),
        dbc.Container(id="page-content", fluid=True, className="pb-4"),
    ])


def nav_links(pages: list[tuple[str, str]]) -> list:
    return [dbc.NavItem(dbc.NavLink(title, href=path)) for title, path in pages]


def forbidden() -> dbc.Alert:
    return dbc.Alert("Bạn không có quyền xem trang này.", color="warning")


def not_found() -> dbc.Alert:
    return dbc.Alert("Không tìm thấy trang.", color="secondary")
