"""Nhiệm vụ quá hạn: the overdue board and what falls due soon, filtered by section and agency."""
from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks.guard import guarded_callback
from callbacks.overview import READ_PROVINCE
from callbacks.selector import province_plan
from layouts import overdue as view
from models import Database
from services.accounts.permissions import Actor
from services.common.clock import today
from services.common.inputs import id_from_text
from services.common.queries import plan_agencies, plan_sections, vn_number
from services.reporting.dashboard import BOARD_LIMIT, overdue_board

PAGE = view.PAGE


def load_filters(actor: Actor, db: Database, _ready, search):
    """Returns (section options, agency options), once per page load (a province has ~100 agencies)."""
    with db.read() as session:
        plan = province_plan(session, actor, search)
        return (view.options(plan_sections(session, plan), "Mọi nhóm"),
                view.options(plan_agencies(session, plan), "Mọi đơn vị"))


def load_board(actor: Actor, db: Database, section, agency, search):
    """Returns (summary, bands, overdue rows, soon summary, soon rows) for the URL's plan."""
    now = today()
    section_id, agency_id = id_from_text(section), id_from_text(agency)
    with db.read() as session:
        plan = province_plan(session, actor, search)
        late = overdue_board(session, plan, now, now, "overdue", section_id, agency_id)
        soon = overdue_board(session, plan, now, now, "due_soon", section_id, agency_id)
        due_soon_days = plan.due_soon_days
    shown = (f" (hiển thị {vn_number(BOARD_LIMIT)} phần việc trễ lâu nhất; lọc theo nhóm hoặc đơn vị để xem hết)"
             if late.total > len(late.rows) else "")
    return (
        f"{vn_number(late.total)} phần việc quá hạn tính đến {now:%d/%m/%Y}{shown}.", view.bands(late.bands),
        late.rows, f"{vn_number(soon.total)} phần việc đến hạn trong {due_soon_days} ngày tới.", soon.rows,
    )


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-section", "options"), Output(f"{PAGE}-agency", "options"), Input(f"{PAGE}-ready", "data"),
        State("url", "search"),
    )(load_filters)
    guarded_callback(
        app, READ_PROVINCE,
        Output(f"{PAGE}-summary", "children"), Output(f"{PAGE}-bands", "children"),
        Output(f"{PAGE}-board", "rowData"), Output(f"{PAGE}-soon-summary", "children"),
        Output(f"{PAGE}-soon", "rowData"),
        Input(f"{PAGE}-section", "value"), Input(f"{PAGE}-agency", "value"), State("url", "search"),
    )(load_board)
