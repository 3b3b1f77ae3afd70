"""Xác nhận kết quả: the review queue of the URL's plan, a row's details and history, and confirming
or returning the selected rows.

Leaders, the secretariat and admins read the queue; only the secretariat posts a review (the policy
refuses anyone else before a query runs) and services.tasks.review checks again that the actor
publishes for the plan's province and that every id sent belongs to the plan. The rows' versions
from the browser serve only to detect a change since the list was loaded.
"""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import Policy, guarded_callback, refuse
from callbacks.selector import plan_to_write, province_plan
from layouts import review as view
from models import Database
from models.base import DatabaseBusy
from services.accounts.permissions import READ_ALL_ROLES, Actor, NotAllowed, can_publish
from services.common.inputs import id_from_text, strict_int
from services.common.saving import Outcome
from services.plans.catalogue import PlanArchived
from services.tasks.review import confirm, return_, review_item, review_queue, waiting_by_agency
from services.tasks.workspace import assignment_history

READ_REVIEW = Policy(READ_ALL_ROLES, description="Lãnh đạo, Tổ giúp việc, quản trị: hàng chờ xác nhận của tỉnh mình")
WRITE_REVIEW = Policy(frozenset({"secretariat"}), writes=True,
                      description="Tổ giúp việc của tỉnh: xác nhận hoặc trả lại kết quả hoàn thành")
PAGE = view.PAGE


def load_queue(actor: Actor, db: Database, _ready, _refresh, search):
    """Returns (summary, rows, count, actions style): the buttons only for whoever may review."""
    try:
        with db.read() as session:
            plan = province_plan(session, actor, search)
            rows = review_queue(session, actor, plan)
            may_review = plan.archived_at is None and can_publish(actor, plan.province_id)
    except NotAllowed as exc:
        refuse(str(exc))
    hint = " Đánh dấu các dòng rồi bấm Xác nhận hoặc Trả lại." if may_review else ""
    count = f"{len(rows)} kết quả chờ xác nhận. Bấm vào một dòng để xem chi tiết và lịch sử.{hint}"
    return view.summary(waiting_by_agency(rows)), rows, count, view.actions_style(may_review)


def show_detail(actor: Actor, db: Database, cell, _refresh, search):
    """The clicked row's details and history, read again from the database (also after a review)."""
    if not isinstance(cell, dict) or id_from_text(cell.get("rowId")) is None:
        raise PreventUpdate
    try:
        with db.read() as session:
            plan = province_plan(session, actor, search)
            row = review_item(session, actor, plan, cell.get("rowId"))
            history = assignment_history(session, actor, row["id"])
    except NotAllowed as exc:
        refuse(str(exc))
    return view.detail(row, history)


def _decide(decision, actor: Actor, db: Database, n_clicks, selected, comment, refresh, search):
    """Returns (alert, refresh, comment): the result, a reload of the queue, the comment kept unless saved."""
    if not n_clicks:
        raise PreventUpdate
    items = [{"id": row.get("id"), "version": row.get("version")} if isinstance(row, dict) else row
             for row in selected] if isinstance(selected, list) else []
    try:
        with db.write() as session:
            plan = plan_to_write(session, actor, search)
            result = decision(session, actor, plan, items, comment)
    except PlanArchived as exc:
        return view.message(str(exc), "warning"), no_update, no_update
    except NotAllowed as exc:
        refuse(str(exc))
    except DatabaseBusy as exc:
        return view.message(str(exc), "warning"), no_update, no_update
    bumped = (strict_int(refresh) or 0) + 1
    if result.outcome is Outcome.SAVED:
        return view.message(result.message, "success"), bumped, ""
    if result.outcome is Outcome.CONFLICT:
        return view.message(result.message, "warning"), bumped, no_update
    return view.message(result.message, "danger"), no_update, no_update


def confirm_selected(actor: Actor, db: Database, n_clicks, selected, comment, refresh, search):
    return _decide(confirm, actor, db, n_clicks, selected, comment, refresh, search)


def return_selected(actor: Actor, db: Database, n_clicks, selected, comment, refresh, search):
    return _decide(return_, actor, db, n_clicks, selected, comment, refresh, search)


def register(app: Dash) -> None:
    guarded_callback(
        app, READ_REVIEW,
        Output(f"{PAGE}-summary", "children"), Output(f"{PAGE}-grid", "rowData"), Output(f"{PAGE}-count", "children"),
        Output(f"{PAGE}-actions", "style"),
        Input(f"{PAGE}-ready", "data"), Input(f"{PAGE}-refresh", "data"), State("url", "search"),
    )(load_queue)
    guarded_callback(
        app, READ_REVIEW,
        Output(f"{PAGE}-detail", "children"),
        Input(f"{PAGE}-grid", "cellClicked"), Input(f"{PAGE}-refresh", "data"), State("url", "search"),
        prevent_initial_call=True,
    )(show_detail)
    for button, handler in (("confirm", confirm_selected), ("return", return_selected)):
        guarded_callback(
            app, WRITE_REVIEW,
            Output(f"{PAGE}-alert", "children", allow_duplicate=True),
            Output(f"{PAGE}-refresh", "data", allow_duplicate=True),
            Output(f"{PAGE}-comment", "value", allow_duplicate=True),
            Input(f"{PAGE}-{button}", "n_clicks"), State(f"{PAGE}-grid", "selectedRows"),
            State(f"{PAGE}-comment", "value"), State(f"{PAGE}-refresh", "data"), State("url", "search"),
            prevent_initial_call=True,
        )(handler)
