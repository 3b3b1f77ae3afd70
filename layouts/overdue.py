"""Nhiệm vụ quá hạn: the leaders' first stop — every overdue assignment, how late and why, and
what falls due soon. Components only."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.grid import grid

PAGE = "overdue"
ALL = "all"
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


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        html.H1("Nhiệm vụ quá hạn", className="h4"),
        dbc.Row([
            dbc.Col(dbc.Select(id=f"{PAGE}-section", value=ALL, options=[{"label": "Mọi nhóm", "value": ALL}]),
                    xs=12, md=4),
            dbc.Col(dbc.Select(id=f"{PAGE}-agency", value=ALL, options=[{"label": "Mọi đơn vị", "value": ALL}]),
                    xs=12, md=4),
        ], className="g-2 mb-2"),
        html.P(id=f"{PAGE}-summary", className="mb-1"),
        dbc.Row(id=f"{PAGE}-bands", className="g-2 mb-2"),
        grid(f"{PAGE}-board", BOARD_COLUMNS, 25),
        html.H2("Sắp đến hạn", className="h5 mt-4"),
        html.P(id=f"{PAGE}-soon-summary", className="small text-muted"),
        grid(f"{PAGE}-soon", SOON_COLUMNS, 25),
    ])


def options(choices: list[tuple[int, str]], everything: str) -> list[dict]:
    return [{"label": everything, "value": ALL}] + [{"label": name, "value": str(key)} for key, name in choices]


def bands(counts: dict[str, int]) -> list:
    return [dbc.Col(dbc.Badge(f"{label}: {count}", color="danger" if i < 2 else "warning", className="p-2 w-100 "
                              "text-wrap"), xs=6, md=3, id=f"{PAGE}-band-{i}")
            for i, (label, count) in enumerate(counts.items())]
