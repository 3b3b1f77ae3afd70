"""Mục tiêu, chỉ tiêu (Phụ lục 01): the targets as of a period with their bands, and one target's
page with its values over the year, the entry form and the history. Components only."""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.controls import hidden_label, period_selector, tabs
from layouts.grid import grid, phone_columns
from layouts.shell import plan_href
from services.common.inputs import MAX_TEXT_LENGTH
from services.indicators.achievement import ASSESSMENT_LABELS, BAND_LABELS, MAX_VALUE_LENGTH, Band

PAGE = "indicators"
DETAIL = "indicator"
FORM = f"{DETAIL}-form"
ALL = "all"
PATH = "/chi-tieu"
DETAIL_PATH = "/chi-tieu/chi-tiet"

BAND_CLASSES = {
    Band.EXCEEDED: "cds-band-exceeded", Band.OVER_80: "cds-band-over-80", Band.FROM_50_TO_80: "cds-band-50-80",
    Band.UNDER_50: "cds-band-under-50", Band.NO_DATA: "cds-band-no-data",
}
BAND_COLOURS = {Band.EXCEEDED: "success", Band.OVER_80: "primary", Band.FROM_50_TO_80: "warning",
                Band.UNDER_50: "danger", Band.NO_DATA: "secondary"}
BAND_HEX = {Band.EXCEEDED: "#198754", Band.OVER_80: "#0d6efd", Band.FROM_50_TO_80: "#fd7e14",
            Band.UNDER_50: "#dc3545", Band.NO_DATA: "#adb5bd"}


def detail_href(indicator_id: int, plan_id: int | None = None) -> str:
    return plan_href(DETAIL_PATH, plan_id, {"ma": indicator_id})


def _band_rules() -> dict:
    """CSS class → the grid expression that picks the cells in that band."""
    return {css: f"params.data.band === '{band.value}'" for band, css in BAND_CLASSES.items()}


def columns(narrow: bool) -> list[dict]:
    """The table's columns; on a phone only STT, the target's name and where it stands."""
    band_cell = {"cellClassRules": _band_rules()}
    if narrow:
        return phone_columns("name", "Mục tiêu", {
            "colId": "standing", "headerName": "Đánh giá", **band_cell,
            "valueGetter": {"function": "(params.data.percent ? params.data.percent + ' · ' : '') + "
                                        "params.data.band_label"}})
    return [
        {"field": "stt", "headerName": "STT", "width": 68},
        {"field": "section", "headerName": "Nhóm", "width": 78},
        {"field": "name", "headerName": "Tên mục tiêu", "flex": 3, "minWidth": 220, "wrapText": True,
         "autoHeight": True},
        {"field": "unit", "headerName": "Đơn vị tính", "width": 64, "wrapHeaderText": True},
        {"field": "baseline", "headerName": "Kết quả năm trước", "width": 84, "wrapHeaderText": True},
        {"field": "target", "headerName": "Mục tiêu năm", "width": 84, "wrapHeaderText": True, "wrapText": True,
         "autoHeight": True},
        {"field": "value", "headerName": "Kết quả (kỳ)", "width": 120, "wrapText": True, "autoHeight": True,
         "valueFormatter": {"function": "params.value ? params.value + ' (' + params.data.value_period + ')' : ''"}},
        {"field": "percent_value", "headerName": "So sánh kế hoạch giao", "width": 90, "wrapHeaderText": True,
         "type": "numericColumn", "valueFormatter": {"function": "params.data.percent"}, **band_cell},
        {"field": "band_label", "headerName": "Mức đánh giá", "width": 150, "wrapText": True, "autoHeight": True,
         **band_cell},
        {"field": "spark", "headerName": "Xu hướng (% kế hoạch)", "width": 110, "sortable": False,
         "wrapHeaderText": True, "cellRenderer": "Sparkline"},
        {"field": "monitor", "headerName": "Cơ quan theo dõi", "flex": 1, "minWidth": 130, "wrapText": True,
         "wrapHeaderText": True, "autoHeight": True},
        {"field": "reported", "headerName": "Số liệu kỳ đã chọn", "width": 112, "wrapHeaderText": True,
         "cellClassRules": {"cds-band-under-50": "params.value === 'Chưa nhập'"}},
    ]


REPORTING_COLUMNS = [
    {"field": "name", "headerName": "Cơ quan theo dõi, tổng hợp", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "total", "headerName": "Số chỉ tiêu", "width": 100, "type": "numericColumn"},
    {"field": "reported", "headerName": "Đã nhập", "width": 96, "type": "numericColumn"},
    {"field": "missing", "headerName": "Chưa nhập", "width": 100, "type": "numericColumn",
     "cellClassRules": {"cds-band-under-50": "params.value > 0"}},
    {"field": "last_update", "headerName": "Nhập lần cuối", "width": 150},
]
VALUE_COLUMNS = [("period", "Kỳ báo cáo"), ("value", "Kết quả"), ("percent", "So sánh kế hoạch giao"),
                 ("band_label", "Mức đánh giá"), ("source_note", "Nguồn số liệu, ghi chú"), ("updated", "Cập nhật")]
BANDED = {"percent", "band_label"}


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-narrow", data=False),
        html.H1("Mục tiêu, chỉ tiêu năm (Phụ lục 01)", className="h4"),
        html.Div(id=f"{PAGE}-due"),
        dbc.Row(period_selector(PAGE, kind="quarter"), className="g-2 mb-3 align-items-center"),
        dbc.Card(dbc.CardBody([
            html.H2(id=f"{PAGE}-heading", className="h6"),
            html.Div(id=f"{PAGE}-bands"),
        ]), className="mb-3"),
        tabs(f"{PAGE}-tabs", [
            ("table", "Mục tiêu, chỉ tiêu", [
                dbc.Row([
                    dbc.Col([hidden_label("Tìm mục tiêu", f"{PAGE}-search"),
                             dbc.Input(id=f"{PAGE}-search", type="search", debounce=True,
                                       placeholder="Tìm mục tiêu (gõ không dấu cũng được)…")], xs=12, lg=4),
                    dbc.Col([hidden_label("Nhóm mục tiêu", f"{PAGE}-section"),
                             dbc.Select(id=f"{PAGE}-section", value=ALL, options=section_options([]))], xs=6, lg=3),
                    dbc.Col([hidden_label("Mức đánh giá", f"{PAGE}-band"),
                             dbc.Select(id=f"{PAGE}-band", value=ALL, options=[
                                 {"label": "Mọi mức đánh giá", "value": ALL},
                                 *({"label": label, "value": band.value} for band, label in BAND_LABELS.items())])],
                            xs=6, lg=3),
                    dbc.Col(dbc.Switch(id=f"{PAGE}-own", label="Chỉ tiêu đơn vị báo cáo", value=False,
                                       className="pt-2 small"), xs=12, lg=2, id=f"{PAGE}-own-box",
                            style={"display": "none"}),
                ], className="g-2 mb-2"),
                html.Div(id=f"{PAGE}-count", className="small text-muted mb-1"),
                grid(f"{PAGE}-grid", columns(False), 40, tooltipShowDelay=300),
            ]),
            ("reporting", "Tình hình nhập số liệu", [
                html.P(id=f"{PAGE}-reporting-note", className="small text-muted"),
                grid(f"{PAGE}-reporting", REPORTING_COLUMNS, 25),
            ]),
        ], active="table"),
    ])


def section_options(sections: list[tuple[int, str]]) -> list[dict]:
    return [{"label": "Mọi nhóm", "value": ALL}] + [{"label": name, "value": str(key)} for key, name in sections]


def band_summary(lines: list[str], counts: dict[Band, int]) -> html.Ul:
    """The five lines of the report ("Hoàn thành và vượt kế hoạch giao: 8 mục tiêu (tăng 1 ...)")."""
    return html.Ul([
        html.Li([dbc.Badge(f"{counts[band]:02d}", color=BAND_COLOURS[band], className="me-2"), line],
                className="mb-1", id=f"{PAGE}-band-{band.value}")
        for band, line in zip(Band, lines)
    ], className="list-unstyled mb-0")


def due_panel(period_label: str, rows: list[dict], plan_id: int | None = None) -> dbc.Alert:
    """An agency's own: the targets it monitors, to report for this period, and which it has."""
    if not rows:
        return dbc.Alert("Đơn vị không theo dõi, tổng hợp chỉ tiêu nào của Phụ lục 01.", color="light",
                         className="small")
    done = sum(row["reported"] for row in rows)
    return dbc.Alert([
        html.Div([html.Strong(f"Chỉ tiêu đơn vị cần báo cáo kỳ {period_label}: "),
                  f"đã nhập {done}/{len(rows)}."], id=f"{PAGE}-due-summary"),
        html.Ul([html.Li([dcc.Link(f"{row['stt']}. {row['name']}", href=detail_href(row["id"], plan_id),
                                   className="alert-link fw-normal"),
                          html.Span(" — đã nhập" if row["reported"] else " — chưa nhập",
                                    className="text-success-emphasis" if row["reported"]
                                    else "text-danger-emphasis fw-semibold")])
                 for row in rows], className="mb-0 mt-2 small"),
    ], color="success" if done == len(rows) else "warning", className="mb-3")


# ---- One indicator ---------------------------------------------------------------------------

def field_id(name: str) -> str:
    return f"{FORM}-{name.replace('_', '-')}"


def detail_layout(plan_id: int | None = None, **_kwargs) -> html.Div:
    def labelled(name: str, label: str, control, width: dict) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=field_id(name)), control,
                        dbc.FormFeedback(id=f"{field_id(name)}-feedback", type="invalid")],
                       className="mb-3", id=f"{field_id(name)}-box", **width)

    return html.Div([
        dcc.Store(id=f"{DETAIL}-id"), dcc.Store(id=f"{DETAIL}-version"), dcc.Store(id=f"{DETAIL}-refresh", data=0),
        dcc.Store(id=f"{FORM}-version"), dcc.Store(id=f"{FORM}-loaded"),
        dcc.Link("← Danh sách mục tiêu, chỉ tiêu", href=plan_href(PATH, plan_id), className="small",
                 id=f"{DETAIL}-back"),
        html.H1(id=f"{DETAIL}-title", className="h5 mt-2"),
        html.Div(id=f"{DETAIL}-alert"),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody(html.Div(id=f"{DETAIL}-info", className="small"))), lg=4, className="mb-3"),
            dbc.Col(dcc.Graph(id=f"{DETAIL}-chart", config={"displaylogo": False}), lg=8, className="mb-3"),
        ], className="g-2"),
        html.Div([
            dbc.Label("Chiều đánh giá (Tổ giúp việc)", className="small mb-0"),
            dbc.RadioItems(id=f"{DETAIL}-direction", inline=True, className="small", options=[
                {"label": "Càng cao càng tốt", "value": "higher"},
                {"label": "Càng thấp càng tốt (so sánh = mục tiêu ÷ kết quả)", "value": "lower"}]),
            dbc.Button("Lưu chiều đánh giá", id=f"{DETAIL}-direction-save", size="sm", color="secondary",
                       outline=True),
        ], id=f"{DETAIL}-direction-box", className="mb-3", style={"display": "none"}),
        dbc.Card([
            dbc.CardHeader("Nhập kết quả thực hiện", className="fw-semibold"),
            dbc.CardBody([
                html.Div(id=f"{FORM}-notice"),
                html.Div(id=f"{FORM}-alert"),
                dbc.Row([
                    labelled("period", "Kỳ báo cáo", dbc.Select(id=field_id("period")), {"xs": 12, "md": 4}),
                    labelled("value", "Kết quả", dbc.Input(id=field_id("value"), maxLength=MAX_VALUE_LENGTH,
                                                           placeholder="Ví dụ 48,5% — ước tính: (48,5%)"),
                             {"xs": 12, "md": 4}),
                    dbc.Col(dbc.Checkbox(id=field_id("is_estimate"), label="Số liệu ước tính", value=False),
                            xs=12, md=4, className="mb-3 pt-md-4"),
                ]),
                dbc.Row([
                    labelled("assessment", "Đánh giá (mục tiêu dạng chữ hoặc nhiều cấp)", dbc.Select(
                        id=field_id("assessment"), options=[{"label": "Theo kết quả", "value": ""}] + [
                            {"label": label, "value": key} for key, label in ASSESSMENT_LABELS.items()]),
                        {"xs": 12, "md": 4}),
                    labelled("source_note", "Nguồn số liệu, ghi chú", dbc.Textarea(
                        id=field_id("source_note"), rows=2, maxLength=MAX_TEXT_LENGTH,
                        placeholder="Ví dụ: Hệ thống thông tin giải quyết TTHC tỉnh, số liệu đến 30/06"),
                        {"xs": 12, "md": 8}),
                ]),
                dbc.Button("Lưu kết quả", id=f"{FORM}-save", color="primary"),
            ]),
        ], className="mb-3"),
        html.H2("Kết quả theo kỳ", className="h6"),
        html.Div(id=f"{DETAIL}-values"),
        dbc.Accordion([dbc.AccordionItem(html.Div(id=f"{DETAIL}-history"), title="Lịch sử thay đổi")],
                      start_collapsed=True, className="mt-3"),
        dbc.Toast(id=f"{DETAIL}-toast", is_open=False, dismissable=True, duration=5000, header="Thông báo",
                  className="cds-toast"),
    ])


def values_table(rows: list[dict]):
    """Every period's value with its comparison and band: a plain table (a year has at most some twenty
    periods), so a target's page loads no grid library."""
    if not rows:
        return html.P("Chưa có kết quả nào được nhập.", className="small text-muted")
    return dbc.Table([
        html.Thead(html.Tr([html.Th(header, scope="col") for _key, header in VALUE_COLUMNS])),
        html.Tbody([html.Tr([html.Td(row[key], className=BAND_CLASSES[Band(row["band"])] if key in BANDED else None)
                             for key, _header in VALUE_COLUMNS]) for row in rows]),
    ], size="sm", responsive=True, className="small align-middle")


def info(detail: dict) -> list:
    lines = [
        ("Nhóm", detail["section"]), ("Đơn vị tính", detail["unit"]), ("Kết quả năm trước", detail["baseline"]),
        (f"Mục tiêu năm {detail['plan_year']}", detail["target"]),
        ("Chiều đánh giá", "Càng cao càng tốt" if detail["higher_is_better"] else "Càng thấp càng tốt"),
        ("Cơ quan chủ trì thực hiện", detail["lead"]), ("Cơ quan theo dõi, tổng hợp", detail["monitor"]),
    ]
    band = Band(detail["band"])
    standing = f"{detail['standing']} — {BAND_LABELS[band]}" if detail["standing"] else BAND_LABELS[band]
    return [html.Div([html.Span(f"{label}: ", className="text-muted"), value], className="mb-1")
            for label, value in lines if value] + [
        html.Div([html.Span("Kết quả mới nhất: ", className="text-muted"),
                  dbc.Badge(standing, color=BAND_COLOURS[band], className="text-wrap text-start")],
                 id=f"{DETAIL}-standing", className="mt-2")]


def chart(detail: dict) -> go.Figure:
    """Actual per period (estimates hollow) against the target and last year's result."""
    points = detail["points"]
    year = detail["plan_year"]
    span = [date(year, 1, 1), date(year, 12, 31)]
    fig = go.Figure()
    levels = detail["target_levels"]
    if detail["target_kind"] == "number":
        series = [("Kết quả", [p["number"] for p in points], detail["target_number"], f"Mục tiêu {detail['target']}")]
    elif detail["target_kind"] == "levels":
        series = [(f"Kết quả cấp {i + 1}", [p["levels"][i] if p["levels"] else None for p in points], target,
                   f"Mục tiêu cấp {i + 1}: {target:g}".replace(".", ",")) for i, target in enumerate(levels)]
    else:
        series = [("So sánh kế hoạch giao (%)", [p["percent"] for p in points], 100, "Đạt mục tiêu (100%)")]
    for name, ys, target, target_name in series:
        fig.add_trace(go.Scatter(
            name=name, x=[p["end"] for p in points], y=ys, mode="lines+markers", text=[p["value"] for p in points],
            customdata=[p["label"] for p in points], hovertemplate="%{customdata}: %{text}<extra></extra>",
            marker={"size": 10, "symbol": ["circle-open" if p["is_estimate"] else "circle" for p in points],
                    "color": [BAND_HEX[Band(p["band"])] for p in points]}))
        fig.add_trace(go.Scatter(name=target_name, x=span, y=[target, target], mode="lines",
                                 line={"dash": "dash", "color": "#198754"}, hoverinfo="skip"))
    if detail["baseline_number"] is not None:
        fig.add_trace(go.Scatter(name=f"Kết quả năm trước {detail['baseline']}", x=span,
                                 y=[detail["baseline_number"]] * 2, mode="lines",
                                 line={"dash": "dot", "color": "#6c757d"}, hoverinfo="skip"))
    fig.update_layout(title={"text": "Kết quả theo kỳ so với mục tiêu", "font": {"size": 14}}, height=320,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, separators=",.",
                      legend={"orientation": "h", "y": -0.2}, xaxis={"range": span, "tickformat": "%m/%Y"})
    if not points:
        fig.add_annotation(text="Chưa có kết quả nào được nhập", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5)
    return fig
