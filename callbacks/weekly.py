"""Báo cáo tuần: the agency's weekly form, the annex, parts II–V and the Word download.

Every handler reads the plan from the URL through services.weekly.entries.weekly_plan (province
wall) and passes the actor to the services, which check the agency itself: a forged agency id,
indicator id or plan is refused with a logged 403 and changes nothing.
"""
from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks.guard import READ_ANY_ROLE, Policy, guarded_callback, refuse
from callbacks.selector import query
from layouts import weekly as view
from layouts.shell import PLAN_PARAMETER
from models import Database, Plan
from models.base import DatabaseBusy
from services.accounts.permissions import AGENCY_WRITE_ROLES, READ_ALL_ROLES, Actor, NotAllowed
from services.common.clock import today
from services.common.inputs import id_from_text, strict_int
from services.common.saving import Outcome
from services.plans.catalogue import PlanArchived
from services.reporting.dashboard import periods_of
from services.reporting.periods import CADENCES, InvalidPeriod
from services.weekly.entries import (
    NOTE_LABELS,
    agency_form,
    entering_agencies,
    latest_period,
    plan_period,
    save_notes,
    save_period,
    weekly_plan,
)
from services.weekly.figures import annex
from services.weekly.report import notes_of, report_name, weekly_docx

PAGE = view.PAGE
ENTER_WEEK = Policy(AGENCY_WRITE_ROLES, writes=True, description="đơn vị: số liệu tuần của mình; Tổ giúp việc thay mặt")
READ_ANNEX = Policy(READ_ALL_ROLES, description="Lãnh đạo, Tổ giúp việc, quản trị: phụ lục của tỉnh mình")
WRITE_NOTES = Policy(frozenset({"secretariat"}), writes=True, description="Tổ giúp việc: phần II–V của báo cáo tuần")
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def _plan(session, actor: Actor, search) -> Plan:
    try:
        plan = weekly_plan(session, actor, query(search).get(PLAN_PARAMETER))
    except NotAllowed as exc:
        refuse(str(exc))
    if plan is None:
        raise PreventUpdate
    return plan


def _period(plan: Plan, key):
    try:
        return plan_period(plan, key)
    except InvalidPeriod:
        raise PreventUpdate from None


def load(actor: Actor, db: Database, _ready, search):
    """The plan's weeks (newest first), the agencies the actor may open and which parts it sees."""
    with db.read() as session:
        try:
            plan = weekly_plan(session, actor, query(search).get(PLAN_PARAMETER))
        except NotAllowed as exc:
            refuse(str(exc))
        if plan is None:
            return dict(plan="Tỉnh chưa có kế hoạch báo cáo tuần theo đơn vị.", periods=[], period=None, agencies=[],
                        agency=None, annex=HIDDEN, notes=HIDDEN)
        kind = CADENCES.get(plan.reporting_cadence, "week")
        periods = [{"label": f"{p.label} ({p.dates_label})", "value": p.key}
                   for p in periods_of(plan, kind if kind in ("week", "month") else "month", today())]
        agencies = [{"label": name, "value": agency_id} for agency_id, name in entering_agencies(session, actor, plan)]
        title, latest = plan.title, latest_period(session, plan)
    own = next((a["value"] for a in agencies if a["value"] == actor.agency_id), None)
    keys = [p["value"] for p in periods]
    return dict(plan=title, periods=periods, period=latest if latest in keys else (keys[0] if keys else None),
                agencies=agencies,
                agency=own if own is not None else (agencies[0]["value"] if agencies else None),
                annex=SHOWN if actor.role in READ_ALL_ROLES else HIDDEN,
                notes=SHOWN if actor.role == "secretariat" else HIDDEN)


def form(actor: Actor, db: Database, period_key, agency_id, _refresh, search):
    """Returns (the form, the versions it was loaded at)."""
    with db.read() as session:
        plan = _plan(session, actor, search)
        period = _period(plan, period_key)
        try:
            lines = agency_form(session, actor, plan, agency_id, period)
        except NotAllowed as exc:
            refuse(str(exc))
        editable = actor.role in ("agency", "secretariat") and plan.archived_at is None
    return view.entry_form(lines, editable), {str(line.indicator_id): line.version for line in lines}


def save(actor: Actor, db: Database, n_clicks, values, fields, versions, period_key, agency_id, refresh, search):
    """Returns (message, refresh): the agency's week, all or nothing."""
    if not n_clicks or not isinstance(values, list) or not isinstance(fields, list) or not isinstance(versions, dict):
        raise PreventUpdate
    typed = {str(field.get("indicator")): {"value": value, "version": versions.get(str(field.get("indicator")))}
             for field, value in zip(fields, values) if isinstance(field, dict)}
    message, saved = _written(db, actor, search, lambda session, plan: save_period(
        session, actor, plan, id_from_text(agency_id), period_key, typed))
    return message, ((strict_int(refresh) or 0) + 1 if saved else no_update)


def _written(db: Database, actor: Actor, search, write) -> tuple:
    """Run `write(session, plan)` (services refuse nothing silently: an invalid or conflicting save
    writes nothing) and return (its message, whether it saved); a refused request is a logged 403."""
    try:
        with db.write() as session:
            result = write(session, _plan(session, actor, search))
    except (PlanArchived, DatabaseBusy) as exc:  # PlanArchived before NotAllowed, its base
        return view.message(str(exc), "warning"), None
    except NotAllowed as exc:
        refuse(str(exc))
    ok = result.outcome in (Outcome.SAVED, Outcome.UNCHANGED)
    return view.message(result.message, "success" if ok else "danger"), result if ok else None


def annex_view(actor: Actor, db: Database, period_key, _refresh, search):
    """The annex for the secretariat, leaders and admins (an agency user's page has no annex)."""
    if actor.role not in READ_ALL_ROLES:
        return None
    with db.read() as session:
        plan = _plan(session, actor, search)
        return view.annex_tables(annex(session, plan, _period(plan, period_key)))


def export(actor: Actor, db: Database, n_clicks, period_key, search):
    if not n_clicks:
        raise PreventUpdate
    with db.read() as session:
        plan = _plan(session, actor, search)
        period = _period(plan, period_key)
        if period.kind != "week":
            raise PreventUpdate
        data = weekly_docx(session, plan, period)
    return dcc.send_bytes(data, report_name(period))


def notes(actor: Actor, db: Database, period_key, search):
    """Returns the week's parts II–V and the version they were loaded at (the secretariat's only)."""
    if actor.role != "secretariat":
        return (*("" for _ in NOTE_LABELS), 0)
    with db.read() as session:
        plan = _plan(session, actor, search)
        row = notes_of(session, plan, _period(plan, period_key))
    return (*(getattr(row, name) if row else "" for name in NOTE_LABELS), row.version if row else 0)


def save_week_notes(actor: Actor, db: Database, n_clicks, period_key, version, search, *texts):
    if not n_clicks:
        raise PreventUpdate
    message, saved = _written(db, actor, search, lambda session, plan: save_notes(
        session, actor, plan, period_key, dict(zip(NOTE_LABELS, texts)), version))
    return message, saved.version if saved else no_update


def register(app: Dash) -> None:
    guarded_callback(app, READ_ANY_ROLE, output=dict(
        plan=Output(f"{PAGE}-plan", "children"), periods=Output(f"{PAGE}-period", "options"),
        period=Output(f"{PAGE}-period", "value"), agencies=Output(f"{PAGE}-agency", "options"),
        agency=Output(f"{PAGE}-agency", "value"), annex=Output(f"{PAGE}-annex-section", "style"),
        notes=Output(f"{PAGE}-notes-section", "style")),
        inputs=[Input(f"{PAGE}-ready", "data"), State("url", "search")])(load)
    guarded_callback(app, READ_ANY_ROLE, Output(f"{PAGE}-form", "children"), Output(f"{PAGE}-versions", "data"),
                     Input(f"{PAGE}-period", "value"), Input(f"{PAGE}-agency", "value"),
                     Input(f"{PAGE}-refresh", "data"), State("url", "search"))(form)
    guarded_callback(app, ENTER_WEEK, Output(f"{PAGE}-message", "children"), Output(f"{PAGE}-refresh", "data"),
                     Input(f"{PAGE}-save", "n_clicks"), State(view.value_id(ALL), "value"),
                     State(view.value_id(ALL), "id"), State(f"{PAGE}-versions", "data"),
                     State(f"{PAGE}-period", "value"), State(f"{PAGE}-agency", "value"),
                     State(f"{PAGE}-refresh", "data"), State("url", "search"), prevent_initial_call=True)(save)
    guarded_callback(app, READ_ANY_ROLE, Output(f"{PAGE}-annex", "children"), Input(f"{PAGE}-period", "value"),
                     Input(f"{PAGE}-refresh", "data"), State("url", "search"))(annex_view)
    guarded_callback(app, READ_ANNEX, Output(f"{PAGE}-download", "data"), Input(f"{PAGE}-export", "n_clicks"),
                     State(f"{PAGE}-period", "value"), State("url", "search"), prevent_initial_call=True)(export)
    guarded_callback(app, READ_ANY_ROLE, *(Output(f"{PAGE}-note-{name}", "value") for name in NOTE_LABELS),
                     Output(f"{PAGE}-notes-version", "data"), Input(f"{PAGE}-period", "value"),
                     State("url", "search"))(notes)
    guarded_callback(app, WRITE_NOTES, Output(f"{PAGE}-notes-message", "children"),
                     Output(f"{PAGE}-notes-version", "data", allow_duplicate=True),
                     Input(f"{PAGE}-notes-save", "n_clicks"), State(f"{PAGE}-period", "value"),
                     State(f"{PAGE}-notes-version", "data"), State("url", "search"),
                     *(State(f"{PAGE}-note-{name}", "value") for name in NOTE_LABELS),
                     prevent_initial_call=True)(save_week_notes)
