"""Application factory: `create_app(config)` builds a Dash app on its own Flask server.

`server` is the WSGI entry point for gunicorn (`gunicorn app:server`); `flask --app app ...`
finds it for the command line.
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import dash_bootstrap_components as dbc  # noqa: F401  (registers the component suite)
from dash import Dash
from dash_ag_grid import AgGrid
from flask import Flask, has_request_context, request

import callbacks
from layouts import shell
from layouts.pages import PAGES
from models import Database
from web.answers import init_answers
from web.auth import init_auth
from web.cli import register_cli
from web.errors import init_errors
from web.headers import init_headers
from web.static import init_static

ROOT = Path(__file__).resolve().parent


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/ (shared
    by all workers, stable across restarts)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# Dash's page with the document's language set (screen readers pronounce Vietnamese, axe's html-has-lang)
# and no Internet Explorer warning; the placeholders are Dash's own.
INDEX = """<!DOCTYPE html>
<html lang="vi">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


GRID_SCRIPT = re.compile(r'<script src="([^"]*/dash_ag_grid/)(dash_ag_grid\.[^"]*\.js)"></script>\s*')
GRID_CHUNK = "async-community.js"  # the grid itself, which the library's script fetches when a grid renders
# Dash names dash_table's loader on every page; no page of this app has a DataTable.
TABLE_SCRIPT = re.compile(r'<script src="[^"]*/dash/dash_table/bundle\.[^"]*\.js"></script>\s*')


def grid_paths() -> frozenset[str]:
    """The pages whose layout holds a grid."""
    return frozenset(page.path for page in PAGES
                     if any(isinstance(component, AgGrid) for component in page.layout()._traverse()))


class App(Dash):
    def interpolate_index(self, **kwargs) -> str:
        """Dash's placeholder while its scripts load, in Vietnamese; no dash_table; the grid library
        named, not loaded: assets/lazyGrid.js loads it when a page first shows a grid. A page with a grid
        has the browser fetch the library and its chunk at once, alongside Dash's scripts (the page's
        callbacks run meanwhile), instead of after its first callbacks: its rows come a second sooner on
        a slow link."""
        kwargs["app_entry"] = kwargs["app_entry"].replace("Loading...", "Đang tải…")
        kwargs["scripts"] = TABLE_SCRIPT.sub("", kwargs["scripts"])
        grid = GRID_SCRIPT.search(kwargs["scripts"])
        if grid:
            folder, bundle = grid.groups()
            kwargs["scripts"] = GRID_SCRIPT.sub("", kwargs["scripts"])
            kwargs["metas"] += f'<meta name="cds-grid-bundle" content="{folder}{bundle}">'
            if has_request_context() and request.path in self.grid_paths:
                kwargs["metas"] += "".join(f'<link rel="preload" as="script" href="{folder}{name}" fetchpriority="low">'
                                           for name in (bundle, GRID_CHUNK))
        return super().interpolate_index(**kwargs)


def create_app(config: Mapping | None = None) -> Dash:
    server = Flask(__name__, instance_path=str(ROOT / "instance"))
    instance = Path(server.instance_path)
    server.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'app.db'}"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        COOKIE_SECURE=os.environ.get("COOKIE_SECURE", "auto"),  # "1" always, "0" never, else over HTTPS
        TRUST_PROXY=os.environ.get("TRUST_PROXY", "") == "1",  # behind nginx: X-Forwarded-For/-Proto
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # A 10 MB upload travels base64-encoded in a callback (13,4 MB); nothing else comes near.
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if config:
        server.config.update(config)
    if not server.config.get("SECRET_KEY"):
        server.config["SECRET_KEY"] = _secret_key(instance)
    if server.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(server.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    server.extensions["cds_db"] = Database(server.config["DATABASE_URL"])

    init_auth(server)
    register_cli(server)
    init_errors(server)

    app = App(
        __name__, server=server, title="Theo dõi Kế hoạch Chuyển đổi số", index_string=INDEX,
        # assets/vendor holds plotly.js, served on demand by web/static.py, never on every page.
        assets_folder=str(ROOT / "assets"), assets_path_ignore=["vendor"], suppress_callback_exceptions=True,
        update_title=None, serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell.layout
    app.grid_paths = grid_paths()
    callbacks.register(app)
    init_static(app)
    init_headers(app)
    init_answers()
    return app


app = create_app()
server = app.server
