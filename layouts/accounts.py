"""Người dùng: the province's accounts for an admin or the secretariat — create one, create many
from the focal points' list, reset a password, deactivate, reactivate, unlock. Components only;
callbacks.accounts fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.grid import grid
from services.plans.spreadsheet import MAX_UPLOAD_BYTES, MEGABYTE

PAGE = "accounts"
PATH = "/nguoi-dung"
HIDDEN = {"display": "none"}
ACCOUNT_COLUMNS = [
    {"field": "username", "headerName": "Tên đăng nhập", "width": 150},
    {"field": "full_name", "headerName": "Họ và tên", "flex": 1, "minWidth": 160, "wrapText": True,
     "autoHeight": True},
    {"field": "role_label", "headerName": "Vai trò", "width": 150, "wrapText": True, "autoHeight": True},
    {"field": "agency", "headerName": "Cơ quan, đơn vị", "flex": 1, "minWidth": 160, "wrapText": True,
     "autoHeight": True},
    {"field": "email", "headerName": "Email", "width": 180},
    {"field": "phone", "headerName": "Điện thoại", "width": 120},
    {"field": "state", "headerName": "Tình trạng", "width": 150, "wrapText": True, "autoHeight": True},
    {"field": "last_login", "headerName": "Đăng nhập lần cuối", "width": 150, "wrapHeaderText": True},
]
SHEET_COLUMNS = [
    {"field": "line", "headerName": "Dòng", "width": 74},
    {"field": "username", "headerName": "Tên đăng nhập", "width": 150},
    {"field": "full_name", "headerName": "Họ và tên", "flex": 1, "minWidth": 150, "wrapText": True,
     "autoHeight": True},
    {"field": "agency", "headerName": "Cơ quan, đơn vị", "flex": 1, "minWidth": 150, "wrapText": True,
     "autoHeight": True},
    {"field": "role", "headerName": "Vai trò", "width": 140},
    {"field": "email", "headerName": "Email", "width": 170},
    {"field": "phone", "headerName": "Điện thoại", "width": 120},
    {"field": "problems", "headerName": "Lỗi", "flex": 2, "minWidth": 180, "wrapText": True, "autoHeight": True,
     "cellClass": "text-danger"},
]


def province_picker(page: str) -> dbc.Col:
    """The province worked on; shown only to an admin of every province (one option otherwise)."""
    return dbc.Col([dbc.Label("Tỉnh", html_for=f"{page}-province"), dbc.Select(id=f"{page}-province")],
                   xs=12, md=4, id=f"{page}-province-box", style=HIDDEN)


def upload(page: str, what: str) -> dcc.Upload:
    """A file picker that refuses, in the browser, a file over the size any import takes."""
    return dcc.Upload(
        html.Div(["Kéo thả tệp vào đây hoặc ", html.U("bấm để chọn tệp"),
                  f" (.xlsx, .csv, .docx; tối đa {MAX_UPLOAD_BYTES // MEGABYTE} MB) — {what}"]),
        id=f"{page}-upload", accept=".xlsx,.csv,.docx", multiple=False, max_size=MAX_UPLOAD_BYTES,
        className="cds-upload border border-2 rounded p-3 text-center", style={"borderStyle": "dashed"},
    )


def _field(label: str, control, width: int = 4) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control], xs=12, md=width)


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-sheet"),
        dcc.Download(id=f"{PAGE}-download"),
        html.H1("Người dùng", className="h4"),
        html.P("Tài khoản của cán bộ đầu mối, Tổ giúp việc và lãnh đạo trong tỉnh. Tài khoản mới (hoặc được đặt lại "
               "mật khẩu) nhận một mật khẩu tạm thời, chỉ hiện một lần ở đây; người dùng phải đổi mật khẩu ngay khi "
               "đăng nhập lần đầu.", className="small text-muted"),
        dbc.Row([province_picker(PAGE)], className="g-2 mb-2"),
        dbc.Card(dbc.CardBody([
            html.H2("Thêm một tài khoản", className="h6"),
            dbc.Row([
                _field("Tên đăng nhập *", dbc.Input(id=f"{PAGE}-username", maxLength=80, autoComplete="off",
                                                    placeholder="yte.nguyenvana"), 3),
                _field("Họ và tên *", dbc.Input(id=f"{PAGE}-full-name", maxLength=200), 5),
                _field("Vai trò *", dbc.Select(id=f"{PAGE}-role", value="agency"), 4),
                _field("Cơ quan, đơn vị (bắt buộc với cán bộ đầu mối)",
                       dcc.Dropdown(id=f"{PAGE}-agency", placeholder="Chọn cơ quan…"), 6),
                _field("Email", dbc.Input(id=f"{PAGE}-email", type="email", maxLength=254), 3),
                _field("Số điện thoại", dbc.Input(id=f"{PAGE}-phone", maxLength=40), 3),
            ], className="g-2"),
            dbc.Button("Tạo tài khoản", id=f"{PAGE}-create", color="primary", className="mt-3"),
            html.Div(id=f"{PAGE}-create-message", className="mt-3", role="status", **{"aria-live": "polite"}),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Tạo nhiều tài khoản từ danh sách cán bộ đầu mối", className="h6"),
            html.P("Tệp Excel, CSV hoặc bảng trong tệp Word có các cột “Tên đăng nhập”, “Họ và tên”, “Cơ quan/Đơn "
                   "vị”, “Vai trò” (Cán bộ đầu mối, Tổ giúp việc, Lãnh đạo), “Email”, “Số điện thoại”. Xem trước từng "
                   "dòng; chưa tạo tài khoản nào cho đến khi bấm “Tạo các tài khoản”, và một dòng lỗi thì không tạo "
                   "tài khoản nào.", className="small text-muted"),
            upload(PAGE, "danh sách cán bộ đầu mối"),
            html.Div(id=f"{PAGE}-sheet-message", className="mt-2", role="status", **{"aria-live": "polite"}),
            html.Div(id=f"{PAGE}-preview-box", style=HIDDEN, children=[
                dbc.Button("Tạo các tài khoản", id=f"{PAGE}-confirm", color="success", disabled=True,
                           className="mb-2"),
                grid(f"{PAGE}-preview", SHEET_COLUMNS, 50),
            ]),
            html.Div(id=f"{PAGE}-confirm-message", className="mt-2", role="status", **{"aria-live": "polite"}),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Danh sách tài khoản", className="h6"),
            dbc.Row([
                dbc.Col(dbc.Input(id=f"{PAGE}-search", type="search", debounce=True,
                                  placeholder="Tìm theo tên, tên đăng nhập, cơ quan (gõ không dấu cũng được)"),
                        xs=12, md=6),
                dbc.Col(html.Div([
                    dbc.Button("Đặt lại mật khẩu", id=f"{PAGE}-reset", color="warning", size="sm", className="me-2"),
                    dbc.Button("Khóa tài khoản", id=f"{PAGE}-deactivate", color="danger", size="sm",
                               className="me-2"),
                    dbc.Button("Mở lại tài khoản", id=f"{PAGE}-reactivate", color="secondary", size="sm",
                               className="me-2"),
                    dbc.Button("Gỡ tạm khóa đăng nhập", id=f"{PAGE}-unlock", color="secondary", size="sm"),
                ]), xs=12, md=6, className="text-md-end"),
            ], className="g-2 mb-2"),
            html.P(id=f"{PAGE}-count", className="small text-muted mb-2"),
            html.Div(id=f"{PAGE}-action-message", role="status", **{"aria-live": "polite"}),
            grid(f"{PAGE}-grid", ACCOUNT_COLUMNS, 25,
                 rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}),
        ])),
    ])


def password_notice(username: str, password: str, alert_id: str) -> dbc.Alert:
    """The temporary password, shown once: the creator copies it or reads it out."""
    return dbc.Alert([
        html.Div(["Mật khẩu tạm thời của ", html.Strong(username), ": ",
                  html.Code(password, id=f"{alert_id}-password", className="fs-5 user-select-all")]),
        html.Div("Mật khẩu chỉ hiện lần này. Hãy chuyển cho người dùng; họ phải đổi mật khẩu khi đăng nhập lần đầu.",
                 className="small mt-1"),
    ], color="success", id=alert_id, className="mb-0")
