"""Controls several pages share. Components only."""
from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import html

from services.common.queries import vn_number

KINDS = [("week", "Tuần"), ("month", "Tháng"), ("quarter", "Quý"), ("half", "6 tháng"), ("year", "Năm"),
         ("date", "Ngày bất kỳ")]


def dom_id(component_id: dict) -> str:
    """A pattern-matching id as Dash writes it into the page (keys sorted, compact JSON): what a label's
    `html_for` must name, since a dict there would render as "[object Object]"."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def hidden_label(text: str, control_id: str) -> dbc.Label:
    """A label screen readers announce for a control whose purpose the page shows otherwise."""
    return dbc.Label(text, html_for=control_id, className="visually-hidden")


def period_selector(page: str, kind: str = "quarter") -> list[dbc.Col]:
    """Kind (week … any date), then the period or the date; callbacks.selector fills the periods."""
    return [
        dbc.Col([hidden_label("Loại kỳ", f"{page}-kind"),
                 dbc.Select(id=f"{page}-kind", value=kind,
                            options=[{"label": label, "value": key} for key, label in KINDS])], xs=6, md=2),
        dbc.Col([hidden_label("Kỳ", f"{page}-period"), dbc.Select(id=f"{page}-period")], xs=6, md=3,
                id=f"{page}-period-box"),
        dbc.Col([hidden_label("Ngày", f"{page}-date"), dbc.Input(id=f"{page}-date", type="date")], xs=6, md=3,
                id=f"{page}-date-box", style={"display": "none"}),
    ]


def tabs(tabs_id: str, items: list[tuple[str, str, list]], active: str, class_name: str = "") -> html.Div:
    """Tabs as the WAI-ARIA pattern has them: (key, label, children) each. Every panel is rendered and
    all but the selected one hidden; assets/a11y.js switches them on a click, Enter, Space and the
    arrow keys, and keeps only the selected tab in the Tab order. (dbc.Tabs points every tab at a
    "...-tabpane-null" and takes them all out of the Tab order.)"""
    def tab_id(key: str) -> str:
        return f"{tabs_id}-tab-{key}"

    def panel_id(key: str) -> str:
        return f"{tabs_id}-panel-{key}"

    return html.Div([
        html.Ul([
            html.Li(html.Button(label, id=tab_id(key), type="button", role="tab", tabIndex=0 if key == active else -1,
                                className="nav-link active" if key == active else "nav-link",
                                **{"aria-selected": "true" if key == active else "false",
                                   "aria-controls": panel_id(key)}),
                    className="nav-item", role="presentation")
            for key, label, _children in items
        ], className="nav nav-tabs", role="tablist"),
        *(html.Div(children, id=panel_id(key), role="tabpanel", className="pt-2", hidden=key != active,
                   **{"aria-labelledby": tab_id(key)})
          for key, _label, children in items),
    ], id=tabs_id, className=f"cds-tabs {class_name}".strip())


def dialog(dialog_id: str, title, body, footer, title_id: str | None = None, **options) -> dbc.Modal:
    """A modal dialog named by its title (aria-labelledby); Bootstrap keeps focus inside while it is
    open and gives it back to what opened it. The header's close button says "Đóng" (assets/a11y.js)."""
    title_id = title_id or f"{dialog_id}-title"
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(title, id=title_id, className="h6 mb-0")),
        dbc.ModalBody(body),
        dbc.ModalFooter(footer),
    ], id=dialog_id, labelledby=title_id, is_open=False, **options)


def tasks_and_parts(page: str) -> html.P:
    """The one sentence saying why a count of tasks and a count of agencies' parts differ, shown
    wherever both appear (the home page's tiles and the overdue board, the overview's tiles and its
    tables by agency and overdue list)."""
    return html.P("Số nhiệm vụ đếm mỗi nhiệm vụ một lần; số phần việc đếm riêng từng cơ quan được giao (nhiệm vụ "
                  "giao cho nhiều cơ quan có nhiều phần việc), nên số phần việc thường lớn hơn số nhiệm vụ.",
                  className="small text-muted mb-0", id=f"{page}-parts-note")


def list_count(count: int, what: str, hint: str = "") -> str:
    """How many rows a list shows, in words: a page's first figure, on screen from the list's own
    callback while the grid library may still be arriving."""
    return f"{vn_number(count)} {what}." + (f" {hint}" if hint else "")


def history_table(rows: list[dict], table_id: str):
    """A change log as people read it: when, who, what, old → new."""
    if not rows:
        return html.P("Chưa có thay đổi nào.", className="small text-muted mb-0")
    return dbc.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("Thời gian", "Người cập nhật", "Nội dung", "Cũ", "Mới")])),
        html.Tbody([html.Tr([html.Td(r[k]) for k in ("when", "who", "field", "old", "new")]) for r in rows]),
    ], size="sm", responsive=True, className="small mb-0", id=table_id)


def alert(message: str, color: str, details: list[str] | None, alert_id: str) -> dbc.Alert:
    """A form's message, with the lines that explain it (what changed, what is wrong)."""
    body = [html.Div(message)]
    if details:
        body.append(html.Ul([html.Li(line) for line in details], className="mb-0 mt-2"))
    return dbc.Alert(body, color=color, className="mb-3", id=alert_id)


def data_table(caption: str, headers: list[str], rows: list[list], table_id: str,
               footer: list | None = None) -> html.Div:
    """A plain table named for screen readers by its caption. On a narrow screen it scrolls inside its
    box, which takes the focus (Tab) so that a keyboard scrolls it too."""
    parts = [html.Caption(caption, className="visually-hidden"),
             html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
             html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])]
    if footer:
        parts.append(html.Tfoot(html.Tr([html.Td(c) for c in footer])))
    return html.Div(dbc.Table(parts, size="sm", striped=True, className="small mb-0", id=table_id),
                    className="table-responsive mb-2", tabIndex=0, role="region", **{"aria-label": caption})
