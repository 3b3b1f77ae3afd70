"""Nhắc việc: the user's own reminders, newest first, read or unread, each linking to what it is
about; marking read (one or all) and the daily e-mail digest switch. Components only;
callbacks.reminders fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

PAGE = "reminders"
PATH = "/nhac-viec"
EMAIL_LABEL = "Nhận thư tổng hợp hằng ngày"


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        html.H1("Nhắc việc", className="h4"),
        html.P("Hệ thống tự nhắc việc sắp đến hạn, quá hạn, báo cáo kỳ, chỉ tiêu chưa có số liệu và kết quả bị trả "
               "lại. Mỗi ngày có việc mới, bạn nhận một thư tổng hợp (nếu tài khoản có địa chỉ thư).",
               className="small text-muted"),
        html.Div([
            dbc.Switch(id=f"{PAGE}-email", label=EMAIL_LABEL, value=False, className="mb-0"),
            html.Span(id=f"{PAGE}-email-note", className="small text-muted"),
            dbc.Button("Đánh dấu tất cả đã đọc", id=f"{PAGE}-read-all", size="sm", color="secondary", outline=True,
                       className="ms-auto"),
        ], className="d-flex flex-wrap align-items-center column-gap-3 row-gap-2 mb-3"),
        html.Div(id=f"{PAGE}-alert"),
        html.Div(id=f"{PAGE}-list"),
    ])


def read_id(reminder_id: int) -> dict:
    return {"type": f"{PAGE}-read", "reminder": reminder_id}


def reminder_list(rows: list[dict]):
    if not rows:
        return dbc.Alert("Chưa có nhắc việc nào.", color="info", id=f"{PAGE}-empty")
    items = []
    for row in rows:
        heading = [html.Span(row["kind"], className="badge text-bg-secondary me-2"),
                   dcc.Link(row["title"], href=row["link"], className="fw-semibold" if not row["read"] else "")]
        meta = f"Ngày {row['day']}" + ("" if row["read"] else " · chưa đọc") + (
            f" · đã gửi thư {row['emailed']}" if row["emailed"] else "")
        action = [] if row["read"] else [dbc.Button("Đánh dấu đã đọc", id=read_id(row["id"]), size="sm",
                                                    color="link", className="p-0")]
        items.append(dbc.ListGroupItem([
            html.Div(heading), html.Div(row["body"], className="small"),
            html.Div([html.Span(meta, className="small text-muted me-3"), *action]),
        ], className="" if row["read"] else "border-start border-3 border-primary",
            id=f"{PAGE}-item-{row['id']}"))
    return dbc.ListGroup(items, id=f"{PAGE}-items")


def email_note(has_email: bool) -> str:
    return "" if has_email else "Tài khoản chưa có địa chỉ thư: nhắc việc chỉ hiện trong ứng dụng."


def message(text: str, color: str = "success") -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-2", id=f"{PAGE}-message")


def bell_label(unread: int) -> str:
    """The bell's accessible name."""
    return f"Nhắc việc: {unread} chưa đọc"
