"""Dash callbacks, registered explicitly per page (one app per test works)."""
from dash import Dash

from callbacks import home, indicators, overdue, overview, router, tasks
from callbacks.guard import install_deny_by_default


def register(app: Dash) -> None:
    install_deny_by_default(app)
    router.register(app)
    home.register(app)
    tasks.register(app)
    overview.register(app)
    overdue.register(app)
    indicators.register(app)
