"""Home: the plan's rollup in the reports' wording and, for an agency, its own assignments."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.grid import GRID_LOCALE

PAGE = "home"

COUNT_TILES = [
    ("total", "Tổng số nhiệm vụ", "secondary"),
    ("done", "Đã hoàn thành", "success"),
    ("in_progress", "Đang thực hiện", "primary"),
    ("not_started", "Chưa thực hiện", "warning"),
    ("overdue", "Quá hạn", "danger"),
    ("ongoing", "Thường xuyên", "info"),
]

ASSIGNMENT_COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 80},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 260, "wrapText": True,
     "autoHeight": True},
    {"field": "section", "headerName": "Nhóm", "flex": 1, "minWidth": 160},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 130},
    {"field": "due_date", "headerName": "Hạn", "width": 110},
    {"field": "status", "headerName": "Tình trạng", "width": 150},
    {"field": "progress", "headerName": "Tiến độ (%)", "width": 110, "type": "numericColumn"},
    {"field": "product", "headerName": "Sản phẩm/Kết quả", "flex": 2, "minWidth": 200,
     "wrapText": True, "autoHeight": True},
    {"field": "updated_at", "headerName": "Cập nhật lần cuối", "width": 150},
]


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        html.H1(id=f"{PAGE}-plan-title", className="h4"),
        dbc.Card(dbc.CardBody([
            html.H2("Tình hình thực hiện", className="h6 text-muted"),
            html.P(id=f"{PAGE}-sentence", className="fs-6 mb-3"),
            dbc.Row(id=f"{PAGE}-tiles", className="g-2"),
        ]), className="mb-3"),
        html.Div(id=f"{PAGE}-agency-section"),
    ])


def tiles(counts: dict[str, int]) -> list:
    return [
        dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-muted"),
            html.Div(f"{counts[key]:02d}", className=f"fs-4 fw-bold text-{color}",
                     id=f"{PAGE}-count-{key}"),
        ])), xs=6, md=4, lg=2)
        for key, label, color in COUNT_TILES
    ]


def agency_section(agency_name: str, rows: list[dict]) -> html.Div:
    return html.Div([
        html.H2(f"Nhiệm vụ của đơn vị: {agency_name}", className="h5"),
        html.P(f"{len(rows)} nhiệm vụ được giao chủ trì.", className="text-muted small"),
        dag.AgGrid(
            id=f"{PAGE}-grid",
            rowData=rows,
            columnDefs=ASSIGNMENT_COLUMNS,
            getRowId="params.data.id",
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"localeText": GRID_LOCALE, "domLayout": "autoHeight",
                             "pagination": True, "paginationPageSize": 20},
            style={"width": "100%"},
        ),
    ])


def no_plan() -> dbc.Alert:
    return dbc.Alert("Chưa có kế hoạch nào. Tổ giúp việc cần nhập kế hoạch trước.", color="info")
