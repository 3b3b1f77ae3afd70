"""Tổng hợp: the plan as of a period for the secretariat and leaders — counts in the reports'
words, the two-by-two, the quarter's own view, charts, by agency, by section, reporting compliance,
the report to download, and closing a period (chốt số liệu), whose published figures the page then shows."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.controls import alert, period_selector
from layouts.grid import grid
from layouts.indicators import PATH as INDICATORS_PATH
from layouts.overdue import BOARD_COLUMNS
from layouts.shell import plan_href

PAGE = "overview"
TILES = [
    ("total", "Tổng số", "secondary"), ("done_on_time", "Hoàn thành đúng hạn", "success"),
    ("done_late", "Hoàn thành quá hạn", "warning"), ("in_progress", "Đang thực hiện", "primary"),
    ("not_started", "Chưa thực hiện", "dark"), ("overdue", "Quá hạn", "danger"),
    ("ongoing", "Thường xuyên", "info"),
]
QUARTER_TILES = [("total", "Đến hạn trong quý", "secondary"), ("done_on_time", "Hoàn thành đúng hạn", "success"),
                 ("done_late", "Hoàn thành quá hạn", "warning"), ("overdue", "Quá hạn", "danger")]
STATUS_COLOURS = {"done": "#198754", "in_progress": "#0d6efd", "not_started": "#adb5bd"}
COUNT_COLUMNS = [
    {"field": "total", "headerName": "Tổng", "width": 80, "type": "numericColumn"},
    {"field": "done", "headerName": "Hoàn thành", "width": 108, "type": "numericColumn"},
    {"field": "in_progress", "headerName": "Đang thực hiện", "width": 118, "type": "numericColumn"},
    {"field": "not_started", "headerName": "Chưa thực hiện", "width": 118, "type": "numericColumn"},
    {"field": "overdue", "headerName": "Quá hạn", "width": 96, "type": "numericColumn",
     "cellClassRules": {"cds-overdue": "params.value > 0"}},
    {"field": "on_time_rate", "headerName": "Tỷ lệ đúng hạn (%)", "width": 130, "type": "numericColumn",
     "wrapHeaderText": True},
]
TASK_COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 70},
    {"field": "section", "headerName": "Nhóm", "width": 80},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 240, "wrapText": True, "autoHeight": True},
    {"field": "lead", "headerName": "Cơ quan chủ trì", "flex": 1, "minWidth": 160, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 120},
    {"field": "status", "headerName": "Tình trạng", "width": 140},
]
CLOSED_COLUMNS = [
    {"field": "period", "headerName": "Kỳ", "width": 150},
    {"field": "day", "headerName": "Số liệu đến ngày", "width": 130, "wrapHeaderText": True},
    {"field": "closed", "headerName": "Chốt lúc — người chốt", "flex": 1, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "state", "headerName": "Tình trạng", "width": 110},
    {"field": "reopened", "headerName": "Mở lại lúc — người mở", "flex": 1, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "reason", "headerName": "Lý do mở lại", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
]
HIDDEN, SHOWN = {"display": "none"}, {"display": "inline-block"}


def layout(plan_id: int | None = None, **_kwargs) -> html.Div:
    return html.Div([
        html.H1("Tổng hợp tình hình thực hiện", className="h4", id=f"{PAGE}-title"),
        dbc.Row([
            *period_selector(PAGE),
            dbc.Col(dbc.Button("Tải báo cáo Word", id=f"{PAGE}-export-word", color="primary", outline=True),
                    xs=6, md="auto"),
            dbc.Col(dbc.Button("Tải báo cáo Excel", id=f"{PAGE}-export", color="success", outline=True),
                    xs=6, md="auto"),
        ], className="g-2 mb-3 align-items-center"),
        dcc.Download(id=f"{PAGE}-download"),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        html.Div(id=f"{PAGE}-banner"),
        dbc.Card(dbc.CardBody([
            html.P(id=f"{PAGE}-sentence", className="fs-6 mb-1"),
            html.P(id=f"{PAGE}-change", className="small text-muted mb-1"),
            html.P(id=f"{PAGE}-review", className="small mb-2"),
            dbc.Row(id=f"{PAGE}-tiles", className="g-2"),
            html.H2(id=f"{PAGE}-quarter-title", className="h6 mt-3"),
            dbc.Row(id=f"{PAGE}-quarter", className="g-2"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Mục tiêu, chỉ tiêu (Phụ lục 01)", className="h6"),
            html.Div(id=f"{PAGE}-indicator-bands"),
            dcc.Link("Xem bảng mục tiêu, chỉ tiêu", href=plan_href(INDICATORS_PATH, plan_id), className="small",
                     id=f"{PAGE}-to-indicators"),
        ]), className="mb-3"),
        html.Div([html.H2(id=f"{PAGE}-drill-title", className="h6"), grid(f"{PAGE}-drill", TASK_COLUMNS, 10)],
                 id=f"{PAGE}-drill-box", style={"display": "none"}, className="mb-3"),
        dbc.Row([
            dbc.Col(dcc.Graph(id=f"{PAGE}-by-section", config={"displaylogo": False}), lg=6),
            dbc.Col(dcc.Graph(id=f"{PAGE}-trend", config={"displaylogo": False}), lg=4),
            dbc.Col(dcc.Graph(id=f"{PAGE}-donut", config={"displaylogo": False}), lg=2),
        ], className="g-2 mb-3"),
        dbc.Tabs([
            dbc.Tab([html.P("Bấm vào tên đơn vị để mở trang nhiệm vụ của đơn vị; bấm vào một con số để xem các "
                            "nhiệm vụ được đếm.", className="small text-muted"),
                     grid(f"{PAGE}-agencies", [{"field": "name", "headerName": "Cơ quan, đơn vị", "flex": 2,
                                                "minWidth": 200, "wrapText": True, "autoHeight": True},
                                               *COUNT_COLUMNS,
                                               {"field": "last_update", "headerName": "Cập nhật lần cuối",
                                                "width": 150}], 25)],
                    label="Theo đơn vị", tab_id="agencies", className="pt-2"),
            dbc.Tab([html.P("Bấm vào một con số để xem các nhiệm vụ được đếm.", className="small text-muted"),
                     grid(f"{PAGE}-sections", [{"field": "name", "headerName": "Nhóm nhiệm vụ", "flex": 2,
                                                "minWidth": 200}, *COUNT_COLUMNS])],
                    label="Theo nhóm nhiệm vụ", tab_id="sections", className="pt-2"),
            dbc.Tab([html.P(id=f"{PAGE}-overdue-note", className="small text-muted"),
                     grid(f"{PAGE}-overdue", BOARD_COLUMNS, 25)],
                    label="Quá hạn", tab_id="overdue", className="pt-2", label_class_name="overview-tab-overdue"),
            dbc.Tab([html.P(id=f"{PAGE}-compliance-note", className="small text-muted"),
                     grid(f"{PAGE}-compliance", [], 25)],
                    label="Nộp báo cáo kỳ", tab_id="compliance", className="pt-2"),
        ], active_tab="agencies", className="mb-3"),
        _closing(),
    ])


def _closing() -> dbc.Card:
    """Chốt số liệu: the buttons (the load callback shows them to the secretariat only), their
    confirm dialogs and the plan's closes."""
    return dbc.Card(dbc.CardBody([
        html.H2("Chốt số liệu", className="h6"),
        html.P("Khi đã phát hành báo cáo kỳ, Tổ giúp việc chốt số liệu: trang này và báo cáo tải về của kỳ đó "
               "giữ đúng số đã chốt; không cập nhật được nội dung tính trong kỳ cho đến khi mở lại kỳ.",
               className="small text-muted"),
        html.Div(id=f"{PAGE}-close-alert"),
        dbc.Button(id=f"{PAGE}-close-open", color="primary", className="me-2 mb-2", style=HIDDEN),
        dbc.Button("Mở lại kỳ", id=f"{PAGE}-reopen-open", color="secondary", outline=True, className="mb-2",
                   style=HIDDEN),
        grid(f"{PAGE}-closed", CLOSED_COLUMNS, 10),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Chốt số liệu?", className="h6 mb-0")),
            dbc.ModalBody(id=f"{PAGE}-close-body"),
            dbc.ModalFooter([
                dbc.Button("Hủy", id=f"{PAGE}-close-cancel", color="secondary", outline=True),
                dbc.Button("Chốt số liệu", id=f"{PAGE}-close-confirm", color="primary"),
            ]),
        ], id=f"{PAGE}-close-modal", is_open=False),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Mở lại kỳ đã chốt?", className="h6 mb-0")),
            dbc.ModalBody([
                html.P("Sau khi mở lại, các đơn vị cập nhật được nội dung trong kỳ; số đã chốt được lưu lại trong "
                       "danh sách. Ghi rõ lý do.", className="small"),
                dbc.Label("Lý do mở lại", html_for=f"{PAGE}-reopen-reason"),
                dbc.Textarea(id=f"{PAGE}-reopen-reason", rows=3, maxLength=2000),
                html.Div(id=f"{PAGE}-reopen-alert", className="mt-2"),
            ]),
            dbc.ModalFooter([
                dbc.Button("Hủy", id=f"{PAGE}-reopen-cancel", color="secondary", outline=True),
                dbc.Button("Mở lại kỳ", id=f"{PAGE}-reopen-confirm", color="danger"),
            ]),
        ], id=f"{PAGE}-reopen-modal", is_open=False),
    ]), id=f"{PAGE}-closing")


def banner(mark: str, corrections: str) -> dbc.Alert:
    """A closed period's mark, and how its figures counted again today differ, if they do."""
    return alert(mark, "info", [corrections] if corrections else None, f"{PAGE}-published")


def review_line(review: dict[str, int]) -> str:
    """The completions as agencies reported them and as the secretariat confirmed them."""
    return (f"Theo báo cáo của đơn vị: {review['reported']:02d} nhiệm vụ hoàn thành; Tổ giúp việc đã xác nhận "
            f"{review['confirmed']:02d}, trả lại {review['returned']:02d}, chờ xác nhận {review['pending']:02d}.")


def message(text: str, color: str, alert_id: str = f"{PAGE}-close-message") -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-2", id=alert_id)


def tiles(counts: dict[str, int], total: int, scope: str, spec: list[tuple[str, str, str]]) -> list:
    """Count tiles that click through to the tasks they count (id carries the category)."""
    return [
        dbc.Col(dbc.Button([
            html.Div(label, className="small"),
            html.Div(f"{counts[key]:02d}/{total:02d}" if key != "total" else f"{counts[key]:02d}",
                     className="fs-5 fw-bold", id=f"{PAGE}-{scope}-count-{key}"),
        ], id={"type": f"{PAGE}-tile", "scope": scope, "key": key}, color=color, outline=True,
            className="w-100 text-start"), xs=6, md=3, lg=True)
        for key, label, color in spec
    ]


def compliance_columns(periods: list[tuple[str, str]]) -> list[dict]:
    cell_rules = {"cds-done-on-time": "params.value === 'Đúng hạn'", "cds-done-late": "params.value === 'Nộp muộn'",
                  "cds-overdue": "params.value === 'Chưa nộp'"}
    return [
        {"field": "name", "headerName": "Cơ quan, đơn vị", "pinned": "left", "width": 220, "wrapText": True,
         "autoHeight": True},
        *({"field": key, "headerName": label, "width": 118, "cellClassRules": cell_rules} for key, label in periods),
        {"field": "on_time_rate", "headerName": "Tỷ lệ đúng hạn (%)", "width": 130, "type": "numericColumn"},
    ]


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 14}}, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      height=320, legend={"orientation": "h", "y": -0.15}, separators=",.")
    return fig


def section_bars(sections: list[dict]) -> go.Figure:
    names = [s["name"].split(". ", 1)[0] for s in sections]
    fig = go.Figure([go.Bar(name=label, x=names, y=[s[key] for s in sections], marker_color=STATUS_COLOURS[key],
                            hovertext=[s["name"] for s in sections])
                     for key, label in (("done", "Đã hoàn thành"), ("in_progress", "Đang thực hiện"),
                                        ("not_started", "Chưa thực hiện"))])
    fig.update_layout(barmode="stack")
    return _layout(fig, "Tình trạng theo nhóm nhiệm vụ")


def trend(points: list[dict]) -> go.Figure:
    fig = go.Figure([
        go.Scatter(name="Đã hoàn thành", x=[p["label"] for p in points], y=[p["done"] for p in points],
                   mode="lines+markers", line={"color": STATUS_COLOURS["done"]}),
        go.Scatter(name="Quá hạn", x=[p["label"] for p in points], y=[p["overdue"] for p in points],
                   mode="lines+markers", line={"color": "#dc3545"}),
    ])
    return _layout(fig, "Hoàn thành theo thời gian")


def donut(counts: dict[str, int]) -> go.Figure:
    keys = [("done", "Đã hoàn thành"), ("in_progress", "Đang thực hiện"), ("not_started", "Chưa thực hiện")]
    fig = go.Figure(go.Pie(labels=[label for _, label in keys], values=[counts[k] for k, _ in keys], hole=0.55,
                           marker={"colors": [STATUS_COLOURS[k] for k, _ in keys]}, sort=False,
                           textinfo="value"))
    fig.update_layout(showlegend=False)
    return _layout(fig, "Tình trạng")
