"""Tổng hợp: the plan as of a period for the secretariat and leaders — counts in the reports'
words, the two-by-two, the quarter's own view, charts, by agency (a ranking, worst first), by
section, reporting compliance, the report to download, and closing a period (chốt số liệu), whose
published figures the page then shows. Every count lists the tasks behind it (days late, last
update, reason), and a row of that list opens the task."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.controls import alert, dialog, period_selector, tabs, tasks_and_parts
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
# Headers wrap (never "Đang thực …"): a count's header is whole at any width.
COUNT_COLUMNS = [
    {"field": "total", "headerName": "Tổng", "width": 80},
    {"field": "done", "headerName": "Hoàn thành", "width": 108},
    {"field": "in_progress", "headerName": "Đang thực hiện", "width": 108},
    {"field": "not_started", "headerName": "Chưa thực hiện", "width": 108},
    {"field": "overdue", "headerName": "Quá hạn", "width": 96, "cellClassRules": {"cds-overdue": "params.value > 0"}},
    {"field": "on_time_rate", "headerName": "Tỷ lệ đúng hạn (%)", "width": 120},
]
COUNT_COLUMNS = [{**column, "type": "numericColumn", "wrapHeaderText": True} for column in COUNT_COLUMNS]
# The ranking, worst first and blanks last: assets/dashAgGridFunctions.js (rankingComparator).
AGENCY_COLUMNS = [
    {"field": "name", "headerName": "Cơ quan, đơn vị", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    *({**column, "sort": "asc", "comparator": {"function": "rankingComparator"}} if column["field"] == "on_time_rate"
      else column
      for column in COUNT_COLUMNS),
    {"field": "last_update", "headerName": "Cập nhật lần cuối", "width": 150, "wrapHeaderText": True},
]
TASK_COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 70},
    {"field": "section", "headerName": "Nhóm", "width": 80},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 240, "wrapText": True, "autoHeight": True},
    {"field": "lead", "headerName": "Cơ quan chủ trì", "flex": 1, "minWidth": 160, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "status", "headerName": "Tình trạng", "width": 130, "wrapText": True, "autoHeight": True},
    {"field": "days_late", "headerName": "Số ngày quá hạn", "width": 100, "type": "numericColumn",
     "wrapHeaderText": True, "cellClassRules": {"cds-overdue": "params.value > 0"}},
    {"field": "last_update", "headerName": "Cập nhật lần cuối", "width": 130, "wrapHeaderText": True,
     "wrapText": True, "autoHeight": True},
    {"field": "reason", "headerName": "Lý do chậm / kết quả", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True, "wrapHeaderText": True},
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
            dbc.Row(id=f"{PAGE}-quarter", className="g-2 mb-2"),
            tasks_and_parts(PAGE),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Mục tiêu, chỉ tiêu (Phụ lục 01)", className="h6"),
            html.Div(id=f"{PAGE}-indicator-bands"),
            dcc.Link("Xem bảng mục tiêu, chỉ tiêu", href=plan_href(INDICATORS_PATH, plan_id), className="small",
                     id=f"{PAGE}-to-indicators"),
        ]), className="mb-3"),
        # The tasks behind a clicked count: scrolled into view, its title focused (a browser callback).
        html.Div([html.H2(id=f"{PAGE}-drill-title", className="h6", tabIndex="-1"),
                  html.P("Bấm vào một dòng để mở nhiệm vụ (phần việc của cơ quan chậm nhất).",
                         className="small text-muted mb-1"),
                  grid(f"{PAGE}-drill", TASK_COLUMNS, 10)],
                 id=f"{PAGE}-drill-box", style={"display": "none"}, className="mb-3"),
        dcc.Store(id=f"{PAGE}-drill-shown"),
        tabs(f"{PAGE}-tabs", [
            ("agencies", "Theo đơn vị", [
                html.P("Xếp hạng: tỷ lệ đúng hạn thấp nhất trước (đơn vị chưa có phần việc đến hạn ở cuối). Bấm vào "
                       "tên đơn vị để mở trang nhiệm vụ của đơn vị; bấm vào một con số để xem các nhiệm vụ được đếm.",
                       className="small text-muted"),
                grid(f"{PAGE}-agencies", AGENCY_COLUMNS, 25)]),
            # Drawn when the tab is first opened (callbacks.overview.show_charts): the charts' library
            # (330 KB) is not part of the page's first load.
            ("charts", "Biểu đồ", html.Div(id=f"{PAGE}-charts")),
            ("sections", "Theo nhóm nhiệm vụ", [
                html.P("Bấm vào một con số để xem các nhiệm vụ được đếm.", className="small text-muted"),
                grid(f"{PAGE}-sections", [{"field": "name", "headerName": "Nhóm nhiệm vụ", "flex": 2,
                                           "minWidth": 200}, *COUNT_COLUMNS])]),
            ("overdue", "Quá hạn", [html.P(id=f"{PAGE}-overdue-note", className="small text-muted"),
                                    grid(f"{PAGE}-overdue", BOARD_COLUMNS, 25)]),
            ("compliance", "Nộp báo cáo kỳ", [html.P(id=f"{PAGE}-compliance-note", className="small text-muted"),
                                              grid(f"{PAGE}-compliance", [], 25)]),
        ], active="agencies", class_name="mb-3"),
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
        dialog(f"{PAGE}-close-modal", "Chốt số liệu?", html.Div(id=f"{PAGE}-close-body"), [
            dbc.Button("Hủy", id=f"{PAGE}-close-cancel", color="secondary", outline=True),
            dbc.Button("Chốt số liệu", id=f"{PAGE}-close-confirm", color="primary"),
        ]),
        dialog(f"{PAGE}-reopen-modal", "Mở lại kỳ đã chốt?", [
            html.P("Sau khi mở lại, các đơn vị cập nhật được nội dung trong kỳ; số đã chốt được lưu lại trong "
                   "danh sách. Ghi rõ lý do.", className="small"),
            dbc.Label("Lý do mở lại", html_for=f"{PAGE}-reopen-reason"),
            dbc.Textarea(id=f"{PAGE}-reopen-reason", rows=3, maxLength=2000),
            html.Div(id=f"{PAGE}-reopen-alert", className="mt-2"),
        ], [
            dbc.Button("Hủy", id=f"{PAGE}-reopen-cancel", color="secondary", outline=True),
            dbc.Button("Mở lại kỳ", id=f"{PAGE}-reopen-confirm", color="danger"),
        ]),
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


def charts() -> dbc.Row:
    """The charts' places; their callbacks fill them (the completion line after the others)."""
    return dbc.Row([
        dbc.Col(dcc.Graph(id=f"{PAGE}-by-section", config={"displaylogo": False}), lg=6),
        dbc.Col(dcc.Graph(id=f"{PAGE}-trend", config={"displaylogo": False}), lg=4),
        dbc.Col(dcc.Graph(id=f"{PAGE}-donut", config={"displaylogo": False}), lg=2),
    ], className="g-2")


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


STATUSES = (("done", "Đã hoàn thành"), ("in_progress", "Đang thực hiện"), ("not_started", "Chưa thực hiện"))


def _hover(what: str) -> str:
    """A tooltip in Vietnamese, with the trace's own box left out ("<extra></extra>")."""
    return what + "<extra></extra>"


def section_bars(sections: list[dict]) -> go.Figure:
    names = [s["name"].split(". ", 1)[0] for s in sections]
    fig = go.Figure([go.Bar(name=label, x=names, y=[s[key] for s in sections], marker_color=STATUS_COLOURS[key],
                            hovertext=[s["name"] for s in sections],
                            hovertemplate=_hover(f"%{{hovertext}}<br>{label}: %{{y}} nhiệm vụ"))
                     for key, label in STATUSES])
    fig.update_layout(barmode="stack")
    return _layout(fig, "Tình trạng theo nhóm nhiệm vụ")


def trend(points: list[dict]) -> go.Figure:
    months = [p["label"] for p in points]
    fig = go.Figure([
        go.Scatter(name="Đã hoàn thành", x=months, y=[p["done"] for p in points], mode="lines+markers",
                   line={"color": STATUS_COLOURS["done"]}, hovertemplate=_hover("Tháng %{x}: %{y} nhiệm vụ đã hoàn thành")),
        go.Scatter(name="Quá hạn", x=months, y=[p["overdue"] for p in points], mode="lines+markers",
                   line={"color": "#dc3545"}, hovertemplate=_hover("Tháng %{x}: %{y} nhiệm vụ quá hạn")),
    ])
    return _layout(fig, "Hoàn thành theo thời gian")


def donut(counts: dict[str, int]) -> go.Figure:
    """The three statuses with a legend; a status with no task has no slice and so no label (several
    "0" labels would pile up on one spot)."""
    values = [counts[key] for key, _ in STATUSES]
    fig = go.Figure(go.Pie(labels=[label for _, label in STATUSES], values=values, hole=0.55,
                           marker={"colors": [STATUS_COLOURS[key] for key, _ in STATUSES]}, sort=False,
                           text=[f"{value}" if value else "" for value in values], textinfo="text",
                           hovertemplate=_hover("%{label}: %{value} nhiệm vụ (%{percent})")))
    return _layout(fig, "Tình trạng")
