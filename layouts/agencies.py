"""Cơ quan, đơn vị: the province's agency directory for an admin or the secretariat — add, rename,
merge, edit a group's members, load the communes from a list. Components only; callbacks.agencies
fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.accounts import HIDDEN, province_picker, upload
from layouts.grid import grid
from services.plans.agencies import AGENCY_KINDS

PAGE = "agencies"
PATH = "/co-quan"
DIRECTORY_COLUMNS = [
    {"field": "name", "headerName": "Tên cơ quan, đơn vị", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "kind_label", "headerName": "Loại", "width": 140, "wrapText": True, "autoHeight": True},
    {"field": "aliases", "headerName": "Tên gọi khác", "flex": 2, "minWidth": 180, "wrapText": True,
     "autoHeight": True},
    {"field": "groups", "headerName": "Thuộc nhóm", "flex": 1, "minWidth": 160, "wrapText": True, "autoHeight": True},
    {"field": "members", "headerName": "Số thành viên", "width": 100, "type": "numericColumn", "wrapHeaderText": True},
    {"field": "accounts", "headerName": "Số tài khoản", "width": 100, "type": "numericColumn", "wrapHeaderText": True},
    {"field": "state", "headerName": "Tình trạng", "width": 170, "wrapText": True, "autoHeight": True},
]
COMMUNE_COLUMNS = [
    {"field": "line", "headerName": "Dòng", "width": 74},
    {"field": "written", "headerName": "Trong tệp", "flex": 1, "minWidth": 150},
    {"field": "name", "headerName": "Tên trong danh mục", "flex": 1, "minWidth": 170},
    {"field": "action", "headerName": "Sẽ làm", "width": 180},
    {"field": "problems", "headerName": "Lỗi", "flex": 2, "minWidth": 180, "wrapText": True, "autoHeight": True,
     "cellClass": "text-danger"},
]


def _message(name: str) -> html.Div:
    return html.Div(id=f"{PAGE}-{name}-message", className="mt-2", role="status", **{"aria-live": "polite"})


def _card(title: str, body: list, width: int = 6) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([html.H2(title, className="h6"), *body]), className="h-100"),
                   xs=12, lg=width)


def _picker(name: str, label: str, multi: bool = False) -> list:
    return [dbc.Label(label, html_for=f"{PAGE}-{name}"),
            dcc.Dropdown(id=f"{PAGE}-{name}", multi=multi, placeholder="Chọn…", className="mb-2")]


def layout(**_kwargs) -> html.Div:
    kinds = [{"label": label, "value": key} for key, label in AGENCY_KINDS.items()]
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-communes"),
        dcc.Store(id=f"{PAGE}-members-loaded"),  # the group's members as shown, sent back with the save
        html.H1("Cơ quan, đơn vị", className="h4"),
        html.P("Danh mục cơ quan, đơn vị của tỉnh mà kế hoạch giao việc. Đổi tên thì tên cũ vẫn được nhận ra khi nhập "
               "văn bản cũ; sáp nhập thì nhiệm vụ, tài khoản và lịch sử của cơ quan cũ giữ nguyên, tên của nó từ nay "
               "chỉ về cơ quan nhận. Mọi thay đổi được ghi lại: ai, lúc nào.", className="small text-muted"),
        dbc.Row([province_picker(PAGE)], className="g-2 mb-2"),
        dbc.Row([
            _card("Thêm cơ quan, đơn vị", [
                dbc.Label("Tên", html_for=f"{PAGE}-add-name"),
                dbc.Input(id=f"{PAGE}-add-name", maxLength=300, className="mb-2"),
                dbc.Label("Loại", html_for=f"{PAGE}-add-kind"),
                dbc.Select(id=f"{PAGE}-add-kind", options=kinds, value="department", className="mb-2"),
                dbc.Button("Thêm", id=f"{PAGE}-add", color="primary"), _message("add"),
            ], 4),
            _card("Đổi tên", [
                *_picker("rename-agency", "Cơ quan"),
                dbc.Label("Tên mới", html_for=f"{PAGE}-rename-name"),
                dbc.Input(id=f"{PAGE}-rename-name", maxLength=300, className="mb-2"),
                dbc.Button("Đổi tên", id=f"{PAGE}-rename", color="primary"), _message("rename"),
            ], 4),
            _card("Sáp nhập", [
                *_picker("merge-source", "Cơ quan bị sáp nhập"),
                *_picker("merge-target", "Sáp nhập vào"),
                dbc.Button("Sáp nhập", id=f"{PAGE}-merge", color="danger"), _message("merge"),
            ], 4),
        ], className="g-3 mb-3"),
        dbc.Row([
            _card("Thành viên của nhóm", [
                html.P("Nhiệm vụ đã giao cho nhóm giữ nguyên các đơn vị đã nhận; thành viên mới áp dụng cho các lần "
                       "nhập và nhiệm vụ sau.", className="small text-muted"),
                *_picker("group", "Nhóm"),
                *_picker("members", "Thành viên", multi=True),
                dbc.Button("Lưu thành viên", id=f"{PAGE}-save-members", color="primary"), _message("members"),
            ]),
            _card("Nạp danh sách xã, phường", [
                html.P("Tệp có cột “Tên xã, phường” (ghi “Xã …”, “Phường …”, hoặc thêm cột “Loại”). Xã, phường chưa "
                       "có được thêm vào danh mục; tất cả vào nhóm đã chọn. Một dòng lỗi thì không nạp dòng nào.",
                       className="small text-muted"),
                *_picker("commune-group", "Vào nhóm"),
                upload(PAGE, "danh sách xã, phường"),
                _message("communes"),
                html.Div(id=f"{PAGE}-communes-box", style=HIDDEN, children=[
                    dbc.Button("Nạp vào danh mục", id=f"{PAGE}-communes-confirm", color="success", disabled=True,
                               className="my-2"),
                    grid(f"{PAGE}-communes-preview", COMMUNE_COLUMNS, 50),
                ]),
                _message("communes-done"),
            ]),
        ], className="g-3 mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Danh mục", className="h6"),
            dbc.Input(id=f"{PAGE}-search", type="search", debounce=True, className="mb-2",
                      placeholder="Tìm theo tên hoặc tên gọi khác (gõ không dấu cũng được)"),
            html.P(id=f"{PAGE}-count", className="small text-muted mb-1"),
            grid(f"{PAGE}-grid", DIRECTORY_COLUMNS, 50),
        ])),
    ])
