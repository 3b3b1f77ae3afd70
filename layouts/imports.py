"""Nhập từ tệp: the secretariat brings a plan's task appendix (a new plan) or a target table (into
a plan) from an .xlsx, .csv or .docx file: file, table, column mapping, preview, confirm.
Components only; callbacks.imports fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import dom_id
from layouts.grid import grid
from services.plans.spreadsheet import MAX_UPLOAD_BYTES, MEGABYTE
from services.reporting.periods import WEEK_NUMBERING_LABELS, WEEKDAY_LABELS

PAGE = "import"
PATH = "/ke-hoach/nhap"
WHAT_OPTIONS = [
    {"label": "Danh mục nhiệm vụ — tạo một kế hoạch mới", "value": "tasks"},
    {"label": "Mục tiêu, chỉ tiêu — vào một kế hoạch đã có", "value": "targets"},
]
CADENCE_OPTIONS = [{"label": "Hằng tuần", "value": "weekly"}, {"label": "Hằng tháng", "value": "monthly"},
                   {"label": "Hằng quý", "value": "quarterly"}]
WEEKDAY_OPTIONS = [{"label": label, "value": str(day)} for day, label in WEEKDAY_LABELS.items()]
WEEK_NUMBERING_OPTIONS = [{"label": label, "value": key} for key, label in WEEK_NUMBERING_LABELS.items()]
UNUSED = ""  # the mapping choice "not in this file"

TASK_PREVIEW_COLUMNS = [
    {"field": "line", "headerName": "Dòng", "width": 74},
    {"field": "section", "headerName": "Mục", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "stt", "headerName": "STT", "width": 66},
    {"field": "kind", "headerName": "Loại", "width": 100},
    {"field": "title", "headerName": "Nhiệm vụ", "flex": 3, "minWidth": 220, "wrapText": True, "autoHeight": True},
    {"field": "leads", "headerName": "Chủ trì → cơ quan được giao", "flex": 2, "minWidth": 200, "wrapText": True,
     "autoHeight": True},
    {"field": "deadline", "headerName": "Thời hạn (in)", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "due_date", "headerName": "Hạn", "width": 104},
    {"field": "status", "headerName": "Tình trạng", "width": 130, "wrapText": True, "autoHeight": True},
    {"field": "problems", "headerName": "Lỗi", "flex": 2, "minWidth": 180, "wrapText": True, "autoHeight": True,
     "cellClass": "text-danger"},
]
TARGET_PREVIEW_COLUMNS = [
    {"field": "line", "headerName": "Dòng", "width": 74},
    {"field": "section", "headerName": "Nhóm", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "stt", "headerName": "STT", "width": 66},
    {"field": "name", "headerName": "Mục tiêu, chỉ tiêu", "flex": 3, "minWidth": 220, "wrapText": True,
     "autoHeight": True},
    {"field": "target", "headerName": "Mục tiêu năm", "width": 120, "wrapText": True, "autoHeight": True},
    {"field": "value", "headerName": "Kết quả (kỳ)", "width": 150, "wrapText": True, "autoHeight": True},
    {"field": "leads", "headerName": "Chủ trì", "flex": 1, "minWidth": 160, "wrapText": True, "autoHeight": True},
    {"field": "action_label", "headerName": "Thao tác", "width": 110},
    {"field": "problems", "headerName": "Lỗi", "flex": 2, "minWidth": 180, "wrapText": True, "autoHeight": True,
     "cellClass": "text-danger"},
]


def layout(**_kwargs) -> html.Div:
    return html.Div([
        html.H1("Nhập kế hoạch, mục tiêu từ tệp", className="h4"),
        html.P("Tệp Excel (.xlsx), CSV hoặc Word (.docx) như văn bản in ra: ứng dụng tìm dòng tiêu đề, đề xuất "
               "ghép cột và cho xem trước từng dòng. Chưa ghi gì cho đến khi bấm “Nhập vào hệ thống”; một dòng lỗi "
               "thì không nhập dòng nào.", className="small text-muted"),
        dcc.Store(id=f"{PAGE}-data"),
        dcc.Store(id=f"{PAGE}-file"),
        dcc.Store(id=f"{PAGE}-previewed"),
        dbc.Card(dbc.CardBody([
            html.H2("1. Chọn loại dữ liệu và tệp", className="h6"),
            dbc.RadioItems(id=f"{PAGE}-what", options=WHAT_OPTIONS, value="tasks", className="mb-2"),
            dcc.Upload(
                html.Div(["Kéo thả tệp vào đây hoặc ", html.U("bấm để chọn tệp"),
                          f" (.xlsx, .csv, .docx; tối đa {MAX_UPLOAD_BYTES // MEGABYTE} MB)"]),
                id=f"{PAGE}-upload", accept=".xlsx,.csv,.docx", multiple=False,
                className="cds-upload border border-2 rounded p-3 text-center", style={"borderStyle": "dashed"},
            ),
            html.Div(id=f"{PAGE}-size-message", className="mt-2 text-danger", role="status",
                     **{"aria-live": "polite"}),
            html.Div(id=f"{PAGE}-file-message", className="mt-2", role="status", **{"aria-live": "polite"}),
        ]), className="mb-3"),
        html.Div(id=f"{PAGE}-steps", style={"display": "none"}, children=[
            dbc.Card(dbc.CardBody([
                html.H2("2. Bảng và cột", className="h6"),
                dbc.Label("Bảng trong tệp", html_for=f"{PAGE}-table"),
                dbc.Select(id=f"{PAGE}-table", className="mb-2"),
                html.Div(id=f"{PAGE}-mapping"),
            ]), className="mb-3"),
            dbc.Card(dbc.CardBody([
                html.H2("3. Kế hoạch", className="h6"),
                html.Div(id=f"{PAGE}-plan-fields", children=plan_fields()),
                html.Div(id=f"{PAGE}-target-fields", style={"display": "none"}, children=[
                    dbc.Label("Nhập vào kế hoạch", html_for=f"{PAGE}-target-plan"),
                    dbc.Select(id=f"{PAGE}-target-plan"),
                ]),
                dbc.Checkbox(id=f"{PAGE}-create-agencies", className="mt-2",
                             label="Thêm vào danh mục các cơ quan chưa có (nếu không, tên lạ là lỗi)"),
                dbc.Button("Xem trước", id=f"{PAGE}-preview", color="primary", className="mt-3"),
            ]), className="mb-3"),
        ]),
        dcc.Loading(html.Div(id=f"{PAGE}-result", role="status", **{"aria-live": "polite"})),
        html.Div(id=f"{PAGE}-preview-box", style={"display": "none"}, children=[
            html.Div(id=f"{PAGE}-summary", className="mb-2"),
            dbc.Button("Nhập vào hệ thống", id=f"{PAGE}-confirm", color="success", disabled=True, className="mb-3"),
            grid(f"{PAGE}-rows", TASK_PREVIEW_COLUMNS, 50),
        ]),
    ])


def plan_fields() -> list:
    """The new plan's particulars: what the appendix file itself does not say."""
    def field(label: str, control, width: int):
        return dbc.Col([dbc.Label(label, html_for=control.id), control], xs=12, md=width)

    return [dbc.Row([
        field("Tên kế hoạch", dbc.Input(id=f"{PAGE}-title", maxLength=400,
                                        placeholder="Kế hoạch chuyển đổi số năm 2026"), 6),
        field("Năm", dbc.Input(id=f"{PAGE}-year", type="number", min=2000, max=2100, step=1), 2),
        field("Loại", dbc.Select(id=f"{PAGE}-kind"), 4),
        field("Số văn bản", dbc.Input(id=f"{PAGE}-number", maxLength=120, placeholder="338/KH-UBND"), 4),
        field("Ngày ban hành", dbc.Input(id=f"{PAGE}-issued", type="date"), 3),
        field("Kỳ báo cáo", dbc.Select(id=f"{PAGE}-cadence", options=CADENCE_OPTIONS, value="monthly"), 3),
        field("Hạn báo cáo (ngày trong tháng)", dbc.Input(id=f"{PAGE}-deadline-day", type="number", min=1, max=28,
                                                         step=1, value=20), 2),
        # Weeks: the weekly report's periods, and the "Tuần" choice of every period selector.
        field("Tuần bắt đầu từ", dbc.Select(id=f"{PAGE}-week-start", options=WEEKDAY_OPTIONS, value="1"), 3),
        field("Đánh số tuần", dbc.Select(id=f"{PAGE}-week-numbering", options=WEEK_NUMBERING_OPTIONS,
                                         value="majority"), 6),
        html.P("Kỳ hằng tuần: số liệu của tuần hạn nhập vào ngày cuối tuần. Ví dụ Lào Cai: tuần bắt đầu Thứ Sáu, "
               "tuần 1 là tuần đầu tiên bắt đầu trong năm (tuần 05/2025 là 31/01–06/02/2025).",
               className="small text-muted mb-0"),
    ], className="g-2")]


def mapping_form(fields: list[tuple[str, str, bool]], headers: list[str], chosen: dict[str, int],
                 unused: list[str]) -> html.Div:
    """One select per field (label, required), preset to the proposed column; then the columns
    the import leaves out, named."""
    options = [{"label": "— không có trong tệp —", "value": UNUSED}] + [
        {"label": f"Cột {i + 1}: {header or '(trống)'}", "value": str(i)} for i, header in enumerate(headers)]
    rows = [dbc.Row([
        dbc.Col(dbc.Label(f"{label}{' *' if required else ''}",
                          html_for=dom_id({"type": f"{PAGE}-map", "field": name})), xs=12, md=4),
        dbc.Col(dbc.Select(id={"type": f"{PAGE}-map", "field": name}, options=options,
                           value=str(chosen[name]) if name in chosen else UNUSED), xs=12, md=8),
    ], className="g-2 mb-1") for name, label, required in fields]
    note = (html.P(["Cột không dùng: ", ", ".join(f"“{h}”" for h in unused)], className="small text-warning mt-2")
            if unused else html.P("Mọi cột có tiêu đề đều được dùng.", className="small text-muted mt-2"))
    return html.Div([html.P("Ứng dụng đã đề xuất cột cho từng trường; sửa nếu chưa đúng (* là bắt buộc).",
                            className="small text-muted"), *rows, note])


def summary_card(lines: list[str], errors: list[str]) -> html.Div:
    body = [html.Ul([html.Li(line) for line in lines], className="mb-2")]
    if errors:
        body.append(dbc.Alert([html.Div(f"Không nhập được: {len(errors)} lỗi. Sửa tệp (hoặc ghép cột) rồi tải lại."),
                               html.Ul([html.Li(e) for e in errors[:200]], className="mb-0 mt-2")],
                              color="danger", className="mb-0"))
    else:
        body.append(dbc.Alert("Không có lỗi. Bấm “Nhập vào hệ thống” để ghi.", color="success", className="mb-0"))
    return dbc.Card(dbc.CardBody(body), id=f"{PAGE}-summary-card")
