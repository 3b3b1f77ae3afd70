"""Nhiệm vụ của đơn vị: an agency's assignments, the tasks it coordinates, the update form and
the periodic report. Components only; the callbacks fill them.

Built for the monthly report on a phone: the list comes first (the standing tiles fold away on a
small screen), it opens on the tasks not yet updated this period, rows can be ticked and reported
"Không thay đổi trong kỳ" at once, the form marks what the rules require before saving, messages
sit in the page instead of over it, and "Nộp báo cáo kỳ" follows the list and asks first."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import alert, dialog, history_table, tabs
from layouts.grid import GRID_LOCALE, grid, phone_columns
from services.common.inputs import MAX_TEXT_LENGTH
from services.plans.statuses import STATUS_LABELS

PAGE = "tasks"
PATH = "/nhiem-vu"
ASSIGNMENT_PARAMETER = "phan-cong"  # "?phan-cong=ID" (a reminder's link) opens that assignment's update form
AGENCY_PARAMETER = "don-vi"  # "?don-vi=ID" (the overview, the overdue board): that agency's tasks
# "?loc=qua-han" / "?loc=tat-ca" and "?tinh-trang=done" (the home page's counts) choose the first view.
FLAG_PARAMETER, STATUS_PARAMETER = "loc", "tinh-trang"
FLAG_WORDS = {"qua-han": "overdue", "tat-ca": None}
FORM = f"{PAGE}-form"
SELECTION_COLUMN = "ag-Grid-SelectionColumn"  # AG Grid's own id for the rows' checkbox column
ALL = "all"

SITUATION_CLASSES = {
    "done_on_time": "cds-done-on-time",
    "done_late": "cds-done-late",
    "open": "cds-open",
    "overdue": "cds-overdue",
    "ongoing": "cds-ongoing",
}
FLAG_OPTIONS = [
    {"label": "Chưa cập nhật kỳ này", "value": "needs_update"},
    {"label": "Quá hạn", "value": "overdue"},
    {"label": "Đến hạn trong quý này", "value": "quarter"},
]
FLAG_LABELS = {option["value"]: option["label"].lower() for option in FLAG_OPTIONS}
# The row checkboxes' words for screen readers (AG Grid's own are English).
SELECTION_LOCALE = {
    "ariaRowSelect": "Nhấn phím cách để chọn dòng này",
    "ariaRowDeselect": "Nhấn phím cách để bỏ chọn dòng này",
    "ariaRowToggleSelection": "Nhấn phím cách để chọn hoặc bỏ chọn dòng",
    "ariaRowSelectAll": "Nhấn phím cách để chọn mọi dòng",
    "ariaChecked": "đã chọn",
    "ariaUnchecked": "chưa chọn",
    "ariaIndeterminate": "chọn một phần",
}
SUMMARY_TILES = [
    ("done_on_time", "Hoàn thành đúng hạn", "success"),
    ("done_late", "Hoàn thành quá hạn", "warning"),
    ("open", "Trong hạn", "primary"),
    ("overdue", "Quá hạn", "danger"),
    ("ongoing", "Thường xuyên", "info"),
    ("due_soon", "Sắp đến hạn", "secondary"),
]


def field_id(name: str) -> str:
    return f"{FORM}-{name.replace('_', '-')}"


def _situation_rules() -> dict:
    """CSS class → the grid expression that picks the rows (or cells) in that situation."""
    return {css: f"params.data.situation === '{key}'" for key, css in SITUATION_CLASSES.items()}


def _row_class_rules() -> dict:
    return {**_situation_rules(), "cds-due-soon": "params.data.due_soon"}


def task_columns(narrow: bool) -> list[dict]:
    """The lead grid's columns; on a phone only STT, the task and where it stands."""
    situation_cell = {"cellClassRules": _situation_rules()}
    if narrow:
        # Beside the tick boxes' column (40 px) on a 375 px phone: STT whole, the rest narrower.
        columns = phone_columns("title", "Nhiệm vụ", {
            "colId": "where", "headerName": "Tình hình", "width": 100, **situation_cell,
            "valueGetter": {"function": "params.data.status_label + ' · ' + params.data.days_text"
                                        " + (params.data.review_label ? ' · ' + params.data.review_label : '')"}})
        return [{**column, "width": 64} if column.get("field") == "stt" else column for column in columns]
    return [
        {"field": "stt", "headerName": "STT", "width": 72},
        {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 260, "wrapText": True,
         "autoHeight": True},
        {"field": "section", "headerName": "Nhóm nhiệm vụ", "flex": 1, "minWidth": 130, "wrapText": True,
         "autoHeight": True},
        {"field": "deadline_text", "headerName": "Thời hạn", "width": 110, "wrapText": True, "autoHeight": True},
        {"field": "due_iso", "headerName": "Hạn", "width": 104,
         "valueFormatter": {"function": "params.data.due_date"}},
        # With the secretariat's review ("Bị trả lại"), its comment in the tooltip (text only, never HTML).
        {"field": "status_label", "headerName": "Tình trạng", "width": 128, "wrapText": True, "autoHeight": True,
         "tooltipField": "review_comment",
         "cellClassRules": {"text-danger fw-semibold": "params.data.review_state === 'returned'"},
         "valueFormatter": {"function": "params.value + (params.data.review_label ? ' · ' + params.data.review_label : '')"
                                        " + (params.data.review_state === 'returned' && params.data.review_comment"
                                        " ? ': ' + params.data.review_comment : '')"}},
        {"field": "progress", "headerName": "Tiến độ (%)", "width": 92, "type": "numericColumn",
         "wrapHeaderText": True},
        {"field": "days_left", "headerName": "Còn / quá hạn", "width": 124, "wrapText": True,
         "autoHeight": True, "valueFormatter": {"function": "params.data.days_text"}, **situation_cell},
        {"field": "shared_status", "headerName": "Tình trạng chung (nhóm)", "width": 150, "wrapText": True,
         "autoHeight": True, "wrapHeaderText": True},
        {"field": "updated_at", "headerName": "Cập nhật lần cuối", "width": 140, "wrapText": True,
         "autoHeight": True, "valueFormatter": {
             "function": "params.data.updated_at ? params.data.updated_at + ' — ' + params.data.updated_by : ''"}},
    ]


COORDINATED_COLUMNS = [
    {"field": "stt", "headerName": "STT", "width": 72},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 220, "wrapText": True, "autoHeight": True},
    {"field": "lead", "headerName": "Cơ quan chủ trì", "flex": 1, "minWidth": 150, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline_text", "headerName": "Thời hạn", "width": 120},
    {"field": "status_label", "headerName": "Tình trạng (chủ trì)", "width": 150},
    {"field": "latest_note", "headerName": "Ghi chú mới nhất", "flex": 2, "minWidth": 180, "wrapText": True,
     "autoHeight": True},
    {"field": "updated_at", "headerName": "Cập nhật", "width": 140},
]


def _filters() -> dbc.Row:
    return dbc.Row([
        # Searched as the user types (a pause of 0,4 s), every word in any order.
        dbc.Col([dbc.Label("Tìm nhiệm vụ", html_for=f"{PAGE}-search", className="visually-hidden"),
                 dbc.Input(id=f"{PAGE}-search", type="search", debounce=400,
                           placeholder="Tìm nhiệm vụ (vài từ, không dấu cũng được)…")], xs=12, lg=4),
        dbc.Col([dbc.Label("Tình trạng", html_for=f"{PAGE}-status", className="visually-hidden"),
                 dbc.Select(id=f"{PAGE}-status", value=ALL, options=[
                     {"label": "Mọi tình trạng", "value": ALL},
                     *({"label": label, "value": status.value} for status, label in STATUS_LABELS.items()),
                 ])], xs=6, lg=2),
        dbc.Col([dbc.Label("Nhóm nhiệm vụ", html_for=f"{PAGE}-section", className="visually-hidden"),
                 dbc.Select(id=f"{PAGE}-section", value=ALL, options=section_options([]))], xs=6, lg=3),
        dbc.Col(dbc.Checklist(id=f"{PAGE}-flags", options=FLAG_OPTIONS, value=[], inline=True, switch=True,
                              className="pt-2 small"), xs=12, lg=3),
    ], className="g-2 mb-2")


def _form() -> dbc.Modal:
    def text_area(name: str, label: str, rows: int, placeholder: str = "") -> html.Div:
        return html.Div([
            # The rules' requirement for the chosen status is written into the label before saving
            # (`form_rules`), filled in by a browser callback.
            dbc.Label([label, html.Span(id=f"{field_id(name)}-required", className="fw-semibold")],
                      html_for=field_id(name), id=f"{field_id(name)}-label"),
            dbc.Textarea(id=field_id(name), rows=rows, maxLength=MAX_TEXT_LENGTH, placeholder=placeholder),
            dbc.FormFeedback(id=f"{field_id(name)}-feedback", type="invalid"),
        ], className="mb-3")

    return dialog(f"{FORM}-modal", None, [
        html.Div(id=f"{FORM}-task", className="small mb-3"),
        html.Div(id=f"{FORM}-alert"),
        dbc.Row([
            dbc.Col([
                dbc.Label("Tình trạng", html_for=field_id("status")),
                dbc.Select(id=field_id("status"), options=[
                    {"label": label, "value": status.value} for status, label in STATUS_LABELS.items()]),
                dbc.FormFeedback(id=f"{field_id('status')}-feedback", type="invalid"),
            ], xs=12, sm=5, className="mb-3"),
            dbc.Col([
                dbc.Label("Tiến độ (%)", html_for=field_id("progress")),
                dbc.Input(id=field_id("progress"), type="number", min=0, max=100, step=1, inputMode="numeric"),
                dbc.FormFeedback(id=f"{field_id('progress')}-feedback", type="invalid"),
            ], xs=6, sm=3, className="mb-3"),
            dbc.Col([
                dbc.Label("Ngày hoàn thành", html_for=field_id("completed_on")),
                # Filled in with today when the status becomes "Đã hoàn thành", so the date saved is seen.
                dbc.Input(id=field_id("completed_on"), placeholder="dd/mm/yyyy", maxLength=10, inputMode="numeric"),
                dbc.FormFeedback(id=f"{field_id('completed_on')}-feedback", type="invalid"),
            ], xs=6, sm=4, className="mb-3"),
        ]),
        text_area("result", "Kết quả/Sản phẩm (văn bản chứng minh: số, ngày)", 3,
                  "Ví dụ: Quyết định số 788/QĐ-UBND ngày 15/04/2026"),
        text_area("delay_reason", "Lý do chưa hoàn thành hoặc triển khai chậm", 2),
        text_area("note", "Ghi chú", 2),
        dbc.Accordion([
            dbc.AccordionItem(html.Div(id=f"{FORM}-history"), title="Lịch sử thay đổi"),
        ], start_collapsed=True, id=f"{FORM}-history-box"),
        dcc.Store(id=f"{FORM}-assignment"),
        dcc.Store(id=f"{FORM}-version"),
        dcc.Store(id=f"{FORM}-loaded"),
        dcc.Store(id=f"{FORM}-rules"),  # form_rules: required fields per status, today's date
    ], [
        dbc.Button("Đóng", id=f"{FORM}-close", color="secondary", outline=True),
        dbc.Button("Lưu", id=f"{FORM}-save", color="primary"),
    ], title_id=f"{FORM}-title", size="lg", fullscreen="md-down", scrollable=True)


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-narrow", data=False),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-linked"),  # the assignment the URL asks to open, if any
        html.H1("Nhiệm vụ của đơn vị", className="h4"),
        html.Div(dcc.Dropdown(id=f"{PAGE}-agency", placeholder="Chọn đơn vị…", clearable=False),
                 id=f"{PAGE}-agency-box", className="mb-2", style={"display": "none"}),
        html.H2(id=f"{PAGE}-heading", className="h5"),
        html.Div(id=f"{PAGE}-report", className="small mb-2"),
        # Open on an office screen, folded on a phone (a browser callback), so the list comes first.
        html.Details([
            html.Summary("Tình hình thực hiện của đơn vị", className="small fw-semibold mb-2"),
            html.Div(id=f"{PAGE}-summary"),
        ], id=f"{PAGE}-summary-box", open=True, className="mb-2"),
        # In the page, not over it: it covers no row and no form, and stays until the next message.
        dbc.Toast(id=f"{PAGE}-toast", is_open=False, dismissable=True, header="Thông báo",
                  className="cds-inline-toast mb-2"),
        tabs(f"{PAGE}-tabs", [
            ("lead", "Nhiệm vụ chủ trì", [
                _filters(),
                html.Div([
                    html.Div(id=f"{PAGE}-count", className="small text-muted me-auto"),
                    dbc.Button(["Không thay đổi trong kỳ", html.Span(id=f"{PAGE}-unchanged-count")],
                               id=f"{PAGE}-unchanged", color="primary", outline=True, size="sm", disabled=True),
                ], className="d-flex flex-wrap align-items-center gap-2 mb-1"),
                grid(f"{PAGE}-grid", task_columns(False), 25, rowClassRules=_row_class_rules(),
                     localeText={**GRID_LOCALE, **SELECTION_LOCALE},
                     rowSelection={"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                                   "enableClickSelection": False, "hideDisabledCheckboxes": True,
                                   "isRowSelectable": {"function": "params.data.selectable === true"}},
                     selectionColumnDef={"width": 40, "minWidth": 40, "maxWidth": 40, "resizable": False,
                                         "suppressHeaderMenuButton": True}),
            ]),
            ("coordinated", "Nhiệm vụ phối hợp", [
                html.P("Các nhiệm vụ đơn vị phối hợp thực hiện (chỉ xem), kèm tình trạng do cơ quan chủ trì "
                       "cập nhật.", className="small text-muted"),
                grid(f"{PAGE}-coordinated", COORDINATED_COLUMNS, 25),
            ]),
        ], active="lead", class_name="cds-compact-tabs"),
        dbc.Card(dbc.CardBody([
            html.H2("Báo cáo kỳ", className="h6"),
            html.Div(id=f"{PAGE}-submitted", className="small text-muted"),
            dbc.Button("Nộp báo cáo kỳ", id=f"{PAGE}-report-open", color="success", className="mt-2", disabled=True),
        ]), className="mt-3"),
        _submit_dialog(),
        _form(),
    ])


def _submit_dialog() -> dbc.Modal:
    """"Nộp báo cáo kỳ" asks first, saying how many tasks are still not updated this period."""
    return dialog(f"{PAGE}-report-modal", "Nộp báo cáo kỳ?", html.Div(id=f"{PAGE}-report-question"), [
        dbc.Button("Quay lại cập nhật", id=f"{PAGE}-report-cancel", color="secondary", outline=True),
        dbc.Button("Nộp báo cáo", id=f"{PAGE}-report-submit", color="success", disabled=True),
    ], title_id=f"{PAGE}-report-title")


def section_options(sections: list[tuple[int, str]]) -> list[dict]:
    return [{"label": "Mọi nhóm", "value": ALL}] + [{"label": name, "value": str(key)} for key, name in sections]


def heading(agency_name: str) -> str:
    return f"Đơn vị: {agency_name}" if agency_name else ""


def report_line(period_label: str, deadline: str, days_left: int, pending: int, total: int) -> list:
    """The period, its deadline and what is left, in one line above the list."""
    if days_left > 0:
        when = f"còn {days_left} ngày"
    elif days_left == 0:
        when = "hạn nộp là hôm nay"
    else:
        when = f"đã quá hạn nộp {-days_left} ngày"
    return [
        html.Strong(f"Kỳ báo cáo {period_label}"), f": hạn nộp {deadline} ({when}). ",
        html.Span(f"Còn {pending}/{total} nhiệm vụ chưa cập nhật trong kỳ này.",
                  className="text-danger" if pending else "text-success", id=f"{PAGE}-pending"),
    ]


def plan_line(sentence: str) -> list:
    """Above the list while no agency is chosen: where the whole plan stands."""
    return [html.Strong("Toàn kế hoạch"), f": {sentence}"]


def submit_question(period_label: str, pending: int, total: int) -> list:
    """What the confirmation says before the report goes: how many tasks are still not updated."""
    if not pending:
        return [html.P(f"Kỳ {period_label}: cả {total} nhiệm vụ đã được cập nhật trong kỳ.", className="mb-0")]
    return [
        html.P([f"Kỳ {period_label}: ", html.Strong(f"còn {pending}/{total} nhiệm vụ chưa cập nhật trong kỳ này"),
                "."], id=f"{PAGE}-report-pending"),
        html.P("Nộp báo cáo bây giờ, hay quay lại cập nhật các nhiệm vụ còn lại (hoặc đánh dấu "
               "“Không thay đổi trong kỳ”)?", className="mb-0"),
    ]


def count_text(shown: int, total: int, flags: set[str], can_write: bool, left: int) -> str:
    """How many rows show, and which quick filters narrow them (in words, not only a switch's colour);
    `left`: how many tasks still need an update this period, whatever the filters."""
    if not left and "needs_update" in flags and total:
        return "Không còn nhiệm vụ nào chưa cập nhật trong kỳ này (tắt “Chưa cập nhật kỳ này” để xem tất cả)."
    narrowed = [label for flag, label in FLAG_LABELS.items() if flag in flags]
    how = "Bấm một dòng để cập nhật, đánh dấu ô để báo không thay đổi." if can_write else "Bấm một dòng để xem."
    return f"Hiển thị {shown}/{total} nhiệm vụ" + (f" (lọc: {', '.join(narrowed)})" if narrowed else "") + ". " + how


def summary(sentence: str, counts: dict[str, int]) -> list:
    return [
        html.P(sentence, id=f"{PAGE}-sentence", className="mb-2"),
        dbc.Row([
            dbc.Col(html.Div([
                html.Div(label, className="small text-muted"),
                html.Div(f"{counts.get(key, 0):02d}", className=f"fs-5 fw-bold text-{color}",
                         id=f"{PAGE}-count-{key}"),
            ], className=f"cds-tile border rounded p-2 {SITUATION_CLASSES.get(key, '')}"), xs=6, md=4, lg=2)
            for key, label, color in SUMMARY_TILES
        ], className="g-2"),
    ]


def form_task(detail: dict) -> list:
    lines = [
        ("Nhóm", detail["section"]), ("Cơ quan chủ trì", detail["lead"]),
        ("Cơ quan phối hợp", detail["coordinators"]), ("Thời hạn", detail["deadline"]),
        ("Sản phẩm", detail["product"]), ("Tình hình", detail["situation_label"]),
    ]
    review = detail["review"]
    if review["label"] and review["state"] != "none":
        lines.append(("Xác nhận của Tổ giúp việc", " — ".join(filter(None, [
            review["label"], review["comment"], f"{review['by']} lúc {review['at']}" if review["at"] else ""]))))
    if detail["deadline_passed"]:
        lines.append(("Lưu ý", "đã quá thời hạn: nếu chưa hoàn thành, cần nêu lý do."))
    return [html.Div(f"Đơn vị thực hiện phần việc: {detail['agency']}", className="fw-semibold")] + [
        html.Div([html.Span(f"{label}: ", className="text-muted"), value]) for label, value in lines if value]


def history(rows: list[dict]):
    return history_table(rows, f"{FORM}-history-table")


def message(text: str, color: str, details: list[str] | None = None) -> dbc.Alert:
    return alert(text, color, details, f"{FORM}-message")


def returned_text(review: dict) -> str:
    """What the form says first about a completion the secretariat returned."""
    return f"Tổ giúp việc trả lại ngày {review['day']}: {review['comment']}"


def form_rules(required: dict[str, list[str]], today: str) -> dict:
    """What the form's browser callback needs: per status the fields the rules require (marked in
    their labels before saving), the words of the mark, and today's date (dd/mm/yyyy) for a
    completion date left empty."""
    return {"required": required, "mark": " (bắt buộc)", "today": today}
