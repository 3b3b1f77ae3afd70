"""Controls several pages share. Components only."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

KINDS = [("month", "Tháng"), ("quarter", "Quý"), ("half", "6 tháng"), ("year", "Năm"), ("date", "Ngày bất kỳ")]


def period_selector(page: str, kind: str = "quarter") -> list[dbc.Col]:
    """Kind (month … any date), then the period or the date; callbacks.selector fills the periods."""
    return [
        dbc.Col(dbc.Select(id=f"{page}-kind", value=kind,
                           options=[{"label": label, "value": key} for key, label in KINDS]), xs=6, md=2),
        dbc.Col(dbc.Select(id=f"{page}-period"), xs=6, md=3, id=f"{page}-period-box"),
        dbc.Col(dbc.Input(id=f"{page}-date", type="date"), xs=6, md=3, id=f"{page}-date-box",
                style={"display": "none"}),
    ]


def tasks_and_parts(page: str) -> html.P:
    """The one sentence saying why a count of tasks and a count of agencies' parts differ, shown
    wherever both appear (the home page's tiles and the overdue board, the overview's tiles and its
    tables by agency and overdue list)."""
    return html.P("Số nhiệm vụ đếm mỗi nhiệm vụ một lần; số phần việc đếm riêng từng cơ quan được giao (nhiệm vụ "
                  "giao cho nhiều cơ quan có nhiều phần việc), nên số phần việc thường lớn hơn số nhiệm vụ.",
                  className="small text-muted mb-0", id=f"{page}-parts-note")


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
