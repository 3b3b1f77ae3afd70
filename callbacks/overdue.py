"""Nhiệm vụ quá hạn: the overdue board and what falls due soon, filtered by section, agency and
age band; a grid on an office screen, cards on a phone."""
from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks.guard import browser_callback, guarded_callback
from callbacks.overview import READ_PROVINCE
from callbacks.selector import linked_plan, province_plan
from layouts import overdue as view
from models import Database
from services.accounts.permissions import Actor
from services.common.clock import today
from services.common.inputs import id_from_text, index_from_text, strict_int
from services.common.queries import plan_agencies, plan_sections, vn_number
from services.reporting.dashboard import BOARD_LIMIT, OVERDUE_BANDS, overdue_board

PAGE = view.PAGE
BOARD_OUTPUTS = {
    "summary": ("summary", "children"), "bands": ("band", "options"),
    "rows": ("board", "rowData"), "grid_style": ("board-box", "style"), "cards": ("cards", "children"),
    "more_style": ("more", "style"),
    "soon_summary": ("soon-summary", "children"), "soon_rows": ("soon", "rowData"),
    "soon_style": ("soon-box", "style"), "soon_cards": ("soon-cards", "children"),
}


def load_filters(actor: Actor, db: Database, _ready, search):
    """Returns (section options, agency options), once per page load (a province has ~100 agencies)."""
    with db.read() as session:
        plan = province_plan(session, actor, search)
        return (view.options(plan_sections(session, plan), "Mọi nhóm"),
                view.options(plan_agencies(session, plan), "Mọi đơn vị"))


def load_board(actor: Actor, db: Database, section, agency, band, narrow, limit, search) -> dict:
    """The overdue parts (of one age band, if one is chosen) and those due soon, for the URL's plan:
    in the grids, or as cards on a phone (`limit` of them, more on request)."""
    now = today()
    section_id, agency_id = id_from_text(section), id_from_text(agency)
    band_index = index_from_text(band)
    band_index = band_index if band_index is not None and band_index < len(OVERDUE_BANDS) else None
    with db.read() as session:
        plan = province_plan(session, actor, search)
        late = overdue_board(session, plan, now, now, "overdue", section_id, agency_id, band_index)
        soon = overdue_board(session, plan, now, now, "due_soon", section_id, agency_id)
        due_soon_days, linked = plan.due_soon_days, linked_plan(plan, search)
    phone = narrow is True
    shown = min(max(strict_int(limit) or view.CARD_STEP, view.CARD_STEP), BOARD_LIMIT) if phone else BOARD_LIMIT
    if band_index is None:
        what = f"{vn_number(late.total)} phần việc quá hạn"
    else:
        what = (f"{vn_number(late.total)}/{vn_number(late.every_band)} phần việc quá hạn ở mức "
                f"“{OVERDUE_BANDS[band_index][1]}”")
    capped = min(len(late.rows), shown)
    more = f"; đang hiện {vn_number(capped)} phần việc trễ lâu nhất" if late.total > capped else ""
    return {
        "summary": f"{what} tính đến {now:%d/%m/%Y}{more}.", "bands": view.band_options(late.every_band, late.bands),
        "rows": [] if phone else late.rows, "grid_style": view.HIDDEN if phone else view.SHOWN,
        "cards": view.cards(late.rows[:shown], linked, late=True) if phone else [],
        "more_style": view.SHOWN if phone and len(late.rows) > shown else view.HIDDEN,
        "soon_summary": f"{vn_number(soon.total)} phần việc đến hạn trong {due_soon_days} ngày tới.",
        "soon_rows": [] if phone else soon.rows, "soon_style": view.HIDDEN if phone else view.SHOWN,
        "soon_cards": view.cards(soon.rows[:shown], linked, late=False) if phone else [],
    }


def register(app: Dash) -> None:
    browser_callback(app, "function(_) { return window.innerWidth < 768; }",
                     Output(f"{PAGE}-narrow", "data"), Input(f"{PAGE}-ready", "data"))
    browser_callback(app, f"function(_, shown) {{ return (shown || 0) + {view.CARD_STEP}; }}",
                     Output(f"{PAGE}-limit", "data"), Input(f"{PAGE}-more", "n_clicks"),
                     State(f"{PAGE}-limit", "data"), prevent_initial_call=True)
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-section", "options"), Output(f"{PAGE}-agency", "options"), Input(f"{PAGE}-ready", "data"),
        State("url", "search"),
    )(load_filters)
    guarded_callback(
        app, READ_PROVINCE,
        output={name: Output(f"{PAGE}-{component}", prop) for name, (component, prop) in BOARD_OUTPUTS.items()},
        inputs=[Input(f"{PAGE}-section", "value"), Input(f"{PAGE}-agency", "value"), Input(f"{PAGE}-band", "value"),
                Input(f"{PAGE}-narrow", "data"), Input(f"{PAGE}-limit", "data")],
        state=[State("url", "search")],
    )(load_board)
