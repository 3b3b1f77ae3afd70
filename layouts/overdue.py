"""Nhiệm vụ quá hạn: the leaders' first stop — every overdue assignment, how late and why, and
what falls due soon. A grid on an office screen; on a phone one card per item (task, agency, days
late, band, reason), no sideways scroll. The age bands are filters. Components only."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import tasks as tasks_view
from layouts.controls import tasks_and_parts
from layouts.grid import grid
from layouts.shell import plan_href

PAGE = "overdue"
ALL = "all"
CARD_STEP = 50  # cards shown on a phone at first, and added by "Xem thêm"
BOARD_COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 70},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 240, "wrapText": True, "autoHeight": True},
    {"field": "agency", "headerName": "Cơ quan chủ trì", "flex": 1, "minWidth": 160, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "due_date", "headerName": "Hạn", "width": 104},
    {"field": "days", "headerName": "Số ngày quá hạn", "width": 110, "type": "numericColumn", "wrapHeaderText": True,
     "sort": "desc", "cellClassRules": {"cds-overdue": "params.value > 30"}},
    {"field": "band", "headerName": "Mức", "width": 150, "wrapText": True, "autoHeight": True},
    {"field": "status", "headerName": "Tình trạng", "width": 130},
    {"field": "last_update", "headerName": "Cập nhật lần cuối", "width": 140, "wrapText": True, "autoHeight": True},
    {"field": "delay_reason", "headerName": "Lý do", "flex": 2, "minWidth": 180, "wrapText": True,
     "autoHeight": True},
]
SOON_COLUMNS = [{**c, "headerName": "Còn (ngày)", "sort": "asc", "cellClassRules": {}} if c["field"] == "days" else c
                for c in BOARD_COLUMNS if c["field"] not in ("band", "delay_reason")]
SHOWN, HIDDEN = {"display": "block"}, {"display": "none"}


def _select(name: str, label: str, everything: str) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=f"{PAGE}-{name}", className="visually-hidden"),
                    dbc.Select(id=f"{PAGE}-{name}", value=ALL, options=[{"label": everything, "value": ALL}])],
                   xs=12, md=4)


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-narrow", data=False),
        dcc.Store(id=f"{PAGE}-limit", data=CARD_STEP),
        html.H1("Nhiệm vụ quá hạn", className="h4"),
        dbc.Row([_select("section", "Nhóm nhiệm vụ", "Mọi nhóm"), _select("agency", "Cơ quan, đơn vị", "Mọi đơn vị")],
                className="g-2 mb-2"),
        html.P(id=f"{PAGE}-summary", className="mb-1"),
        tasks_and_parts(PAGE),
        # The bands are filters: radio buttons drawn as buttons (a real group with a legend).
        html.Fieldset([
            html.Legend("Lọc theo mức quá hạn", className="small fw-semibold mb-1 mt-2 float-none"),
            dbc.RadioItems(id=f"{PAGE}-band", value=ALL, options=[{"label": "Tất cả", "value": ALL}], inline=True,
                           inputClassName="btn-check", labelClassName="btn btn-outline-danger btn-sm",
                           labelCheckedClassName="active", className="cds-chips"),
        ], className="mb-2"),
        html.Div(grid(f"{PAGE}-board", BOARD_COLUMNS, 25), id=f"{PAGE}-board-box"),
        html.Div(id=f"{PAGE}-cards"),
        dbc.Button(f"Xem thêm {CARD_STEP} phần việc", id=f"{PAGE}-more", color="secondary", outline=True, size="sm",
                   style=HIDDEN, className="mb-2"),
        html.H2("Sắp đến hạn", className="h5 mt-4"),
        html.P(id=f"{PAGE}-soon-summary", className="small text-muted"),
        html.Div(grid(f"{PAGE}-soon", SOON_COLUMNS, 25), id=f"{PAGE}-soon-box"),
        html.Div(id=f"{PAGE}-soon-cards"),
    ])


def options(choices: list[tuple[int, str]], everything: str) -> list[dict]:
    return [{"label": everything, "value": ALL}] + [{"label": name, "value": str(key)} for key, name in choices]


def band_options(total: int, counts: dict[str, int]) -> list[dict]:
    """"Tất cả" and each age band with its count; a band's value is its index in the board's bands."""
    return [{"label": f"Tất cả: {total}", "value": ALL}] + [
        {"label": f"{label}: {count}", "value": str(index)} for index, (label, count) in enumerate(counts.items())]


def cards(rows: list[dict], plan_id: int | None, late: bool) -> list:
    """One card per part on a phone: the task (a link to the agency's form for it), the agency, how
    late (or how soon due) and, for overdue parts, the band, the reason and the last update."""
    def line(label: str, value) -> html.Div:
        return html.Div([html.Span(f"{label}: ", className="text-muted"), value], className="small")

    result = []
    for row in rows:
        href = plan_href(tasks_view.PATH, plan_id, {tasks_view.AGENCY_PARAMETER: row["agency_id"],
                                                    tasks_view.ASSIGNMENT_PARAMETER: row["row_id"]})
        body = [
            html.Div(dcc.Link(f"{row['stt']}. {row['title']}", href=href), className="fw-semibold mb-1 cds-card-title"),
            line("Cơ quan", row["agency"]),
            line("Thời hạn", f"{row['deadline_text']} ({row['due_date']})" if row["due_date"] else row["deadline_text"]),
        ]
        if late:
            body += [
                html.Div([html.Strong(f"Quá hạn {row['days']} ngày"), f" — {row['band']}"],
                         className="small text-danger-emphasis"),
                line("Lý do", row["delay_reason"] or "chưa nêu lý do"),
                line("Cập nhật lần cuối", row["last_update"] or "chưa cập nhật"),
            ]
        else:
            body.append(html.Div(html.Strong(f"Còn {row['days']} ngày"), className="small"))
        result.append(dbc.Card(dbc.CardBody(body, className="p-2"), className="mb-2 cds-card"))
    return result
