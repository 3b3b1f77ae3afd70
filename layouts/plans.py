"""Kế hoạch: the province's plans (annual plan, programmes, projects, earlier years), a way to open
each, and archiving for the secretariat. Components only; callbacks.plans fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import dialog
from layouts.shell import plan_href

PAGE = "plans"
PATH = "/ke-hoach"
OPEN_PATH = "/tong-hop"  # where "Mở" leads: the plan's overview
HEADERS = ("Kế hoạch", "Loại", "Năm", "Số văn bản", "Nhiệm vụ", "Mục tiêu", "Ngày tạo", "Tình trạng", "")


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-pending"),
        html.H1("Kế hoạch của tỉnh", className="h4"),
        html.P("Kế hoạch năm, chương trình, dự án và kế hoạch các năm trước. Kế hoạch đã lưu trữ vẫn xem và "
               "xuất báo cáo được, nhưng không ai cập nhật được nữa.", className="small text-muted"),
        html.Div(id=f"{PAGE}-alert"),
        html.Div(id=f"{PAGE}-table"),
        dialog(f"{PAGE}-confirm-modal", None, html.Div(id=f"{PAGE}-confirm-body"), [
            dbc.Button("Hủy", id=f"{PAGE}-cancel", color="secondary", outline=True),
            dbc.Button("Đồng ý", id=f"{PAGE}-confirm", color="primary"),
        ], title_id=f"{PAGE}-confirm-title"),
    ])


def toggle_id(plan_id: int) -> dict:
    return {"type": f"{PAGE}-toggle", "plan": plan_id}


def table(rows: list[dict], shown_id: int | None):
    """One row per plan; "Mở" opens its overview, the secretariat archives or restores it."""
    if not rows:
        return dbc.Alert("Tỉnh chưa có kế hoạch nào. Tổ giúp việc cần nhập kế hoạch trước.", color="info")

    def actions(row: dict) -> list:
        buttons = [dcc.Link("Mở", href=plan_href(OPEN_PATH, row["id"]), className="btn btn-sm btn-outline-primary me-2",
                            id=f"{PAGE}-open-{row['id']}")]
        if row["may_archive"]:
            buttons.append(dbc.Button("Mở lại" if row["is_archived"] else "Lưu trữ", id=toggle_id(row["id"]),
                                      size="sm", color="secondary", outline=True))
        return buttons

    def status(row: dict) -> str:
        return f"Đã lưu trữ ngày {row['archived']}" if row["is_archived"] else "Đang theo dõi"

    body = [html.Tr([
        html.Td([row["title"], html.Span(" (đang xem)", className="text-muted") if row["id"] == shown_id else None]),
        html.Td(row["kind"]), html.Td(row["year"]), html.Td(row["document_number"]),
        html.Td(row["tasks"], className="text-end"), html.Td(row["targets"], className="text-end"),
        html.Td(row["created"]), html.Td(status(row)), html.Td(actions(row), className="text-nowrap"),
    ], className="text-muted" if row["is_archived"] else None, id=f"{PAGE}-row-{row['id']}") for row in rows]
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in HEADERS])), html.Tbody(body)], size="sm",
                     responsive=True, hover=True, className="small align-middle", id=f"{PAGE}-list")


def confirm_text(title: str, archive: bool) -> tuple[str, str]:
    """(dialog title, body) for archiving or restoring the plan named `title`."""
    if archive:
        return ("Lưu trữ kế hoạch?", f"Lưu trữ “{title}”: từ nay mọi người chỉ xem và xuất báo cáo kế hoạch này, "
                                     "không cập nhật nhiệm vụ, báo cáo kỳ hay kết quả chỉ tiêu được nữa. "
                                     "Có thể mở lại sau.")
    return ("Mở lại kế hoạch?", f"Mở lại “{title}” để các đơn vị và Tổ giúp việc cập nhật tiếp.")


def message(text: str, color: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-2", id=f"{PAGE}-message")
