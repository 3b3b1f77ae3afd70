"""Dash callbacks, registered explicitly per page (one app per test works)."""
from dash import Dash

from callbacks import (
    accounts,
    agencies,
    dti,
    home,
    imports,
    indicators,
    overdue,
    overview,
    plan_editing,
    plans,
    reminders,
    review,
    router,
    scorecards,
    tasks,
    weekly,
)
from callbacks.guard import install_deny_by_default


def register(app: Dash) -> None:
    install_deny_by_default(app)
    router.register(app)
    home.register(app)
    tasks.register(app)
    overview.register(app)
    overdue.register(app)
    review.register(app)
    reminders.register(app)
    indicators.register(app)
    scorecards.register(app)
    dti.register(app)
    plans.register(app)
    plan_editing.register(app)
    imports.register(app)
    accounts.register(app)
    agencies.register(app)
    weekly.register(app)
