"""Xác nhận kết quả: the completions awaiting review (reported, or reported again after a return), by
agency, to confirm or return with a comment; a row's details and history below. Components only; callbacks.review
fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import alert, history_table
from layouts.grid import grid
from services.common.inputs import MAX_TEXT_LENGTH

PAGE = "review"
PATH = "/xac-nhan"

COLUMNS = [
    {"field": "agency", "headerName": "Cơ quan", "flex": 1, "minWidth": 160, "wrapText": True, "autoHeight": True},
    {"field": "stt", "headerName": "STT", "width": 72},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 240, "wrapText": True, "autoHeight": True},
    {"field": "completed_iso", "headerName": "Ngày hoàn thành", "width": 120, "wrapHeaderText": True,
     "valueFormatter": {"function": "params.data.completed_on"}},
    {"field": "result", "headerName": "Kết quả/Sản phẩm", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "reported_iso", "headerName": "Báo cáo lúc", "width": 150, "wrapText": True, "autoHeight": True,
     "valueFormatter": {"function": "params.data.reported_at"}},
    {"field": "reported_by", "headerName": "Người báo cáo", "width": 160, "wrapText": True, "autoHeight": True},
    # A report sent again after a return, with the comment it answers (text only, never HTML).
    {"field": "again", "headerName": "Báo cáo lại", "width": 180, "wrapText": True, "autoHeight": True,
     "tooltipField": "earlier_comment", "cellClassRules": {"fw-semibold": "params.data.again !== ''"},
     "valueFormatter": {"function": "params.value ? params.value + ' (đã trả lại: ' + params.data.earlier_comment "
                                    "+ ')' : ''"}},
]


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        html.H1("Xác nhận kết quả", className="h4"),
        html.P("Các kết quả hoàn thành đơn vị báo cáo từ lần xem xét trước. Xác nhận, hoặc trả lại kèm ý kiến: "
               "kết quả bị trả lại được tính là chưa hoàn thành cho đến khi được xác nhận. Ý kiến được tính từ ngày "
               "đơn vị báo cáo kết quả đó; số liệu các kỳ đã chốt giữ nguyên.",
               className="small text-muted"),
        html.Div(id=f"{PAGE}-summary", className="mb-2"),
        html.Div(id=f"{PAGE}-count", className="small text-muted mb-1"),
        grid(f"{PAGE}-grid", COLUMNS, 25, rowSelection={"mode": "multiRow", "checkboxes": True,
                                                         "headerCheckbox": True, "enableClickSelection": False}),
        html.Div([
            dbc.Label("Ý kiến của Tổ giúp việc", html_for=f"{PAGE}-comment", className="mt-3"),
            dbc.Textarea(id=f"{PAGE}-comment", rows=3, maxLength=MAX_TEXT_LENGTH,
                         placeholder="Bắt buộc khi trả lại: điều gì cần bổ sung hoặc sửa."),
            html.Div([
                dbc.Button("Xác nhận", id=f"{PAGE}-confirm", color="success"),
                dbc.Button("Trả lại", id=f"{PAGE}-return", color="danger", outline=True),
            ], className="d-flex gap-2 mt-2"),
        ], id=f"{PAGE}-actions", style={"display": "none"}),
        html.Div(id=f"{PAGE}-alert", className="mt-3"),
        html.Div(id=f"{PAGE}-detail", className="mt-3"),
    ])


def summary(waiting: list[tuple[str, int]]) -> list:
    """One line per agency: how many of its completions wait for review."""
    if not waiting:
        return [html.P("Không có kết quả nào chờ xác nhận.", className="mb-0", id=f"{PAGE}-empty")]
    total = sum(n for _, n in waiting)
    return [
        html.P(f"{total} kết quả của {len(waiting)} cơ quan chờ xác nhận:", className="mb-1 fw-semibold"),
        html.Ul([html.Li(f"{agency}: {n} kết quả") for agency, n in waiting], className="small mb-0",
                id=f"{PAGE}-agencies"),
    ]


def actions_style(visible: bool) -> dict:
    return {"display": "block" if visible else "none"}


def detail(row: dict, history: list[dict]) -> dbc.Card:
    """A clicked row: the task, the report with its evidence, the earlier return, and the history."""
    lines = [
        ("Cơ quan", row["agency"]), ("Nhóm", row["section"]),
        ("Thời hạn", " — ".join(filter(None, [row["deadline_text"], row["due_date"]]))),
        ("Ngày hoàn thành", row["completed_on"]), ("Kết quả/Sản phẩm", row["result"]), ("Ghi chú", row["note"]),
        ("Báo cáo", " lúc ".join(filter(None, [row["reported_by"], row["reported_at"]]))),
        ("Xác nhận của Tổ giúp việc", " — ".join(filter(None, [
            row["review_label"], row["review_comment"],
            " lúc ".join(filter(None, [row["reviewed_by"], row["reviewed_at"]]))]))),
    ]
    return dbc.Card(dbc.CardBody([
        html.H2(f"STT {row['stt']}. {row['title']}", className="h6"),
        *([dbc.Badge("Báo cáo lại sau khi bị trả lại", color="warning", className="mb-2")] if row["again"] else []),
        *[html.Div([html.Span(f"{label}: ", className="text-muted"), value]) for label, value in lines if value],
        html.H3("Lịch sử thay đổi", className="h6 mt-3"),
        history_table(history, f"{PAGE}-history"),
    ]), id=f"{PAGE}-detail-card")


def message(text: str, color: str) -> dbc.Alert:
    return alert(text, color, None, f"{PAGE}-message")
