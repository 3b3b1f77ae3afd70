"""Sửa kế hoạch: the plan's tasks, and for the one chosen the edit form, an extension (gia hạn), a
withdrawal with confirmation and its history; a form to add a task. Components only;
callbacks.plan_editing fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import alert, dialog, history_table
from layouts.grid import grid
from services.common.inputs import MAX_TEXT_LENGTH

PAGE = "plan-edit"
PATH = "/ke-hoach/nhiem-vu"
FORM, ADD, EXTEND, WITHDRAW = f"{PAGE}-form", f"{PAGE}-add", f"{PAGE}-extend", f"{PAGE}-withdraw"
# The task fields of the edit and add forms: (form key, field of services.plans.editing, label, rows).
TASK_INPUTS = [
    ("title", "title", "Nhiệm vụ", 3),
    ("lead", "lead_text", "Cơ quan chủ trì (như văn bản ghi; nhóm được chia cho từng cơ quan)", 1),
    ("coordinators", "coordinators_text", "Cơ quan phối hợp", 1),
    ("deadline", "deadline_text", "Thời hạn hoàn thành (ví dụ: Quý II/2026, 30/06/2026, Thường xuyên)", 0),
    ("product", "expected_product", "Sản phẩm/Kết quả", 2),
]
COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 72},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 240, "wrapText": True, "autoHeight": True},
    {"field": "section", "headerName": "Nhóm", "width": 80},
    {"field": "lead", "headerName": "Cơ quan chủ trì", "flex": 1, "minWidth": 150, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "due_date", "headerName": "Hạn", "width": 104},
    {"field": "extended", "headerName": "Gia hạn", "width": 90},
    {"field": "state", "headerName": "Tình trạng", "width": 150, "wrapText": True, "autoHeight": True,
     "cellClassRules": {"text-muted": "params.data.withdrawn"}},
]


def field_id(form: str, key: str) -> str:
    return f"{form}-{key}"


def _input(form: str, key: str, label: str, rows: int = 0, placeholder: str = "", width: dict | None = None):
    control = (dbc.Textarea(id=field_id(form, key), rows=rows, maxLength=MAX_TEXT_LENGTH, placeholder=placeholder)
               if rows else dbc.Input(id=field_id(form, key), maxLength=300, placeholder=placeholder))
    return dbc.Col([dbc.Label(label, html_for=field_id(form, key)), control], className="mb-2",
                   **(width or {"xs": 12}))


def _day(form: str, key: str, label: str):
    return _input(form, key, label, placeholder="dd/mm/yyyy", width={"xs": 12, "sm": 6, "lg": 4})


def _task_fields(form: str, effective_label: str) -> list:
    """The fields an edited or added task has; the add form also asks for the STT."""
    return [
        dbc.Row([
            *([_input(form, "stt", "STT", width={"xs": 4, "sm": 3})] if form == ADD else []),
            dbc.Col([dbc.Label("Nhóm nhiệm vụ", html_for=field_id(form, "section")),
                     dbc.Select(id=field_id(form, "section"), options=[])], className="mb-2"),
        ]),
        dbc.Row([_input(form, key, label, rows) for key, _, label, rows in TASK_INPUTS]),
        dbc.Row([_day(form, "effective", effective_label)]),
    ]


def _edit_form() -> html.Div:
    return html.Div([
        html.P("Sửa thời hạn ở đây là đính chính (mọi báo cáo theo thời hạn mới). Gia hạn theo quyết định: "
               "dùng mục “Gia hạn”.", className="small text-muted"),
        *_task_fields(FORM, "Ngày hiệu lực khi đổi cơ quan chủ trì (để trống: hôm nay)"),
        dbc.Checklist(id=field_id(FORM, "carry"), value=[], switch=True, className="small mb-2", options=[
            {"label": "Thay một cơ quan bằng cơ quan khác (tổ chức lại): chuyển kết quả đã thực hiện sang cơ quan "
                      "mới", "value": "carry"}]),
        html.Div(id=field_id(FORM, "alert")),
        dbc.Button("Lưu nhiệm vụ", id=field_id(FORM, "save"), color="primary"),
    ])


def _extend_form() -> html.Div:
    return html.Div([
        html.P("Thời hạn ban hành vẫn giữ trong lịch sử; nhiệm vụ chỉ tính quá hạn theo thời hạn mới kể từ ngày "
               "hiệu lực.", className="small text-muted"),
        dbc.Row([
            _input(EXTEND, "deadline", "Thời hạn mới", placeholder="30/06/2026 hoặc Quý II/2026",
                   width={"xs": 12, "sm": 6, "lg": 4}),
            _input(EXTEND, "decision", "Văn bản gia hạn", placeholder="Quyết định số 123/QĐ-UBND",
                   width={"xs": 12, "sm": 6, "lg": 8}),
            _day(EXTEND, "decided", "Ngày văn bản"),
            _day(EXTEND, "effective", "Ngày hiệu lực (để trống: ngày văn bản)"),
        ]),
        html.Div(id=field_id(EXTEND, "alert")),
        dbc.Button("Gia hạn", id=field_id(EXTEND, "save"), color="primary"),
    ])


def _withdraw_form() -> html.Div:
    return html.Div([
        html.P("Nhiệm vụ rút khỏi kế hoạch không còn tính trong các số liệu từ ngày hiệu lực; báo cáo tính đến "
               "các ngày trước đó vẫn giữ nguyên.", className="small text-muted"),
        dbc.Row([
            _input(WITHDRAW, "reason", "Lý do", rows=2,
                   placeholder="Không triển khai theo Thông báo số …"),
            _input(WITHDRAW, "decision", "Văn bản", placeholder="Thông báo số 45/TB-UBND",
                   width={"xs": 12, "lg": 8}),
            _day(WITHDRAW, "decided", "Ngày văn bản"),
            _day(WITHDRAW, "effective", "Ngày hiệu lực (để trống: ngày văn bản)"),
        ]),
        html.Div(id=field_id(WITHDRAW, "alert")),
        dbc.Button("Rút nhiệm vụ…", id=field_id(WITHDRAW, "open"), color="danger", outline=True),
        dialog(field_id(WITHDRAW, "modal"), "Rút nhiệm vụ khỏi kế hoạch?", html.Div(id=field_id(WITHDRAW, "summary")), [
            dbc.Button("Hủy", id=field_id(WITHDRAW, "cancel"), color="secondary", outline=True),
            dbc.Button("Xác nhận rút", id=field_id(WITHDRAW, "confirm"), color="danger"),
        ]),
    ])


def _add_form() -> dbc.Modal:
    return dialog(field_id(ADD, "modal"), "Thêm nhiệm vụ vào kế hoạch",
                  [*_task_fields(ADD, "Ngày bổ sung (để trống: hôm nay)"), html.Div(id=field_id(ADD, "alert"))], [
        dbc.Button("Đóng", id=field_id(ADD, "close"), color="secondary", outline=True),
        dbc.Button("Thêm nhiệm vụ", id=field_id(ADD, "save"), color="primary"),
    ], size="lg", fullscreen="md-down", scrollable=True)


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-task"),
        dcc.Store(id=f"{PAGE}-version"),
        dcc.Store(id=f"{PAGE}-loaded"),
        html.H1("Sửa kế hoạch", className="h4"),
        html.Div(id=f"{PAGE}-heading", className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Input(id=f"{PAGE}-search", type="search", debounce=True,
                              placeholder="Tìm nhiệm vụ (gõ không dấu cũng được)…"), xs=12, md=8, lg=6),
            dbc.Col(dbc.Button("Thêm nhiệm vụ", id=field_id(ADD, "open"), color="primary", outline=True),
                    xs=12, md=4, lg=6, className="text-md-end"),
        ], className="g-2 mb-2"),
        html.Div(id=f"{PAGE}-count", className="small text-muted mb-1"),
        grid(f"{PAGE}-grid", COLUMNS, 20),
        html.Div([
            html.H2(id=f"{PAGE}-title", className="h5 mt-3"),
            html.Div(id=f"{PAGE}-detail", className="small mb-3"),
            dbc.Accordion([
                dbc.AccordionItem(_edit_form(), title="Sửa nhiệm vụ", item_id="edit"),
                dbc.AccordionItem(_extend_form(), title="Gia hạn", item_id="extend"),
                dbc.AccordionItem(_withdraw_form(), title="Rút nhiệm vụ", item_id="withdraw"),
                dbc.AccordionItem(html.Div(id=f"{PAGE}-history"), title="Lịch sử thay đổi", item_id="history"),
            ], id=f"{PAGE}-sections", start_collapsed=True, always_open=True),
        ], id=f"{PAGE}-panel", style={"display": "none"}),
        _add_form(),
        dbc.Toast(id=f"{PAGE}-toast", is_open=False, dismissable=True, duration=6000, header="Thông báo",
                  className="cds-toast"),
    ])


def heading(title: str, archived: str) -> list:
    return [html.Div(title, className="fw-semibold"),
            *([dbc.Alert(archived, color="secondary", className="mt-2 mb-0")] if archived else [])]


def section_options(sections: list[tuple[int, str]]) -> list[dict]:
    return [{"label": name, "value": str(key)} for key, name in sections]


def detail(task: dict) -> list:
    """The chosen task: section, deadline, leads (ended ones too), deadlines over time, withdrawal."""
    lines = [("Nhóm", task["section"]), ("Thời hạn", task["deadline"])]
    leads = [f"{lead['agency']} — {lead['ended'] or lead['status']}" for lead in task["leads"]]
    body = [html.Div([html.Span(f"{label}: ", className="text-muted"), value]) for label, value in lines if value]
    if leads:
        body.append(html.Div([html.Span("Cơ quan chủ trì: ", className="text-muted"),
                              html.Ul([html.Li(line) for line in leads], className="mb-1")]))
    if task["deadlines"]:
        body.append(dbc.Table([
            html.Thead(html.Tr([html.Th(h) for h in ("Từ ngày", "Đến ngày", "Thời hạn", "Hạn", "Căn cứ")])),
            html.Tbody([html.Tr([html.Td(d[k]) for k in ("from", "to", "text", "due", "decision")])
                        for d in task["deadlines"]]),
        ], size="sm", responsive=True, className="small mb-1", id=f"{PAGE}-deadlines"))
    for notice in (task["added"], task["withdrawn"], task["archived"]):
        if notice:
            body.append(dbc.Alert(notice, color="secondary", className="py-2 my-1"))
    return body


def history(rows: list[dict]):
    return history_table(rows, f"{PAGE}-history-table")


def message(text: str, color: str, details: list[str] | None = None, form: str = FORM) -> dbc.Alert:
    return alert(text, color, details, field_id(form, "message"))

