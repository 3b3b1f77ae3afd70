"""Xếp hạng DTI: a year's ranking as the decision prints it, group by group with the app's
percentages, levels, ranks and averages; and, for the secretariat, bringing a year's decision in from
its Word or Excel tables (file, preview, confirm — the import page's steps). Components only;
callbacks.dti fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import data_table
from services.plans.spreadsheet import MAX_UPLOAD_BYTES, MEGABYTE

PAGE = "dti"
PATH = "/xep-hang-dti"


def layout(**_kwargs) -> html.Div:
    return html.Div([
        html.H1("Xếp hạng mức độ chuyển đổi số (DTI)", className="h4"),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dbc.Row(dbc.Col([dbc.Label("Năm xếp hạng", html_for=f"{PAGE}-year"), dbc.Select(id=f"{PAGE}-year")],
                        xs=6, md=2), className="mb-3"),
        dcc.Loading(html.Div(id=f"{PAGE}-content")),
        html.Div(id=f"{PAGE}-import", style={"display": "none"}, children=_import_card()),
    ])


def _import_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Nhập kết quả xếp hạng từ tệp", className="h6"),
        html.P("Bảng phụ lục của quyết định như văn bản in ra, trong tệp Word (.docx) hoặc Excel (.xlsx): dòng tên "
               "nhóm (“2.1. Nhóm các cơ quan, đơn vị có thủ tục hành chính”) phía trên mỗi bảng, các cột “TT xếp "
               "hạng DTI | Tên cơ quan | Tổng điểm | Tỷ lệ so với điểm tối đa | Mức độ xếp hạng” và dòng “Điểm "
               "trung bình”. Ứng dụng tính lại tỷ lệ, mức độ, thứ hạng, điểm trung bình và liệt kê mọi chỗ văn bản "
               "in khác. Chưa ghi gì cho đến khi bấm “Nhập vào hệ thống”; một dòng lỗi thì không nhập dòng nào.",
               className="small text-muted"),
        dcc.Store(id=f"{PAGE}-data"),
        dcc.Store(id=f"{PAGE}-file"),
        dcc.Store(id=f"{PAGE}-previewed"),
        dbc.Row([
            dbc.Col([dbc.Label("Năm được xếp hạng", html_for=f"{PAGE}-import-year"),
                     dbc.Input(id=f"{PAGE}-import-year", type="number", min=2000, max=2100, step=1)], xs=6, md=2),
            dbc.Col([dbc.Checkbox(id=f"{PAGE}-create-agencies",
                                  label="Thêm vào danh mục các cơ quan chưa có (nếu không, tên lạ là lỗi)"),
                     dbc.Checkbox(id=f"{PAGE}-replace", label="Thay thế kết quả đã nhập của năm này")], xs=12, md=10),
        ], className="g-2 mb-2"),
        dcc.Upload(
            html.Div(["Kéo thả tệp vào đây hoặc ", html.U("bấm để chọn tệp"),
                      f" (.docx, .xlsx; tối đa {MAX_UPLOAD_BYTES // MEGABYTE} MB)"]),
            id=f"{PAGE}-upload", accept=".docx,.xlsx,.csv", multiple=False,
            className="cds-upload border border-2 rounded p-3 text-center", style={"borderStyle": "dashed"},
        ),
        html.Div(id=f"{PAGE}-size-message", className="mt-2 text-danger", role="status", **{"aria-live": "polite"}),
        html.Div(id=f"{PAGE}-file-message", className="mt-2", role="status", **{"aria-live": "polite"}),
        dbc.Button("Xem trước", id=f"{PAGE}-preview", color="primary", className="mt-2"),
        dcc.Loading(html.Div(id=f"{PAGE}-result", className="mt-3", role="status", **{"aria-live": "polite"})),
        html.Div(id=f"{PAGE}-summary", className="mt-2"),
        dbc.Button("Nhập vào hệ thống", id=f"{PAGE}-confirm", color="success", disabled=True, className="mt-2"),
    ]), className="mb-3")


def ranking_view(year: int, levels: dict[str, int], groups: list[dict], rows: list[dict]) -> html.Div:
    """The year's groups as the decision prints them, with the app's figures, and the count per level."""
    if not rows:
        return html.P("Chưa có kết quả xếp hạng DTI nào của tỉnh.", className="text-muted")
    body = [html.P(f"Năm {year}: {sum(levels.values())} cơ quan, đơn vị — "
                   + ", ".join(f"{label}: {count}" for label, count in levels.items()) + ".", id=f"{PAGE}-levels")]
    for position, group in enumerate(groups, 1):
        members = [r for r in rows if r["group_position"] == position]
        body += [html.H2(f"{position}. {group['title']}", className="h6 mt-3"),
                 data_table(group["title"],
                            ["Hạng", "Cơ quan, đơn vị", "Tổng điểm", "Tỷ lệ so với điểm tối đa", "Mức độ"],
                        [[r["rank"], r["agency"], f"{r['score']}/{r['maximum']}", r["percent"], r["level"]]
                         for r in members], f"{PAGE}-group-{position}",
                        footer=["", "Điểm trung bình", group["average"], "", ""])]
    differences = [d for r in rows for d in r["differences"]] + [d for g in groups for d in g["differences"]]
    body.append(html.Div([html.P("Giá trị in trong quyết định khác với giá trị ứng dụng tính lại:", className="mb-1"),
                          html.Ul([html.Li(d) for d in differences], className="mb-0")] if differences else
                         "Mọi thứ hạng, tỷ lệ, mức độ và điểm trung bình in trong quyết định khớp với giá trị ứng dụng "
                         "tính lại.", className="small text-muted mt-2", id=f"{PAGE}-differences"))
    return html.Div(body)


def preview_view(lines: list[str], disagreements: list[str], errors: list[str], rows: list[dict]) -> html.Div:
    """What the import would write: the summary, every printed value the app does not reproduce, the
    errors that refuse the file, and every row with its figures."""
    parts = [html.Ul([html.Li(line) for line in lines], className="small mb-2")]
    if disagreements:
        parts.append(dbc.Alert([html.Div("Văn bản in khác với giá trị tính lại (ứng dụng dùng giá trị tính lại):"),
                                html.Ul([html.Li(d) for d in disagreements], className="mb-0 mt-1")],
                               color="warning", className="small"))
    if errors:
        parts.append(dbc.Alert([html.Div(f"Không nhập được: {len(errors)} lỗi. Sửa tệp rồi tải lại."),
                                html.Ul([html.Li(e) for e in errors[:200]], className="mb-0 mt-1")],
                               color="danger", className="small"))
    if rows:
        parts.append(data_table("Xem trước các dòng sẽ nhập",
                                ["Dòng", "Nhóm", "Hạng", "Tên in", "Cơ quan trong danh mục", "Tổng điểm", "Tỷ lệ",
                                 "Mức độ"],
                            [[r["place"], r["group"], r["rank"], r["name"], r["agency"], f"{r['score']}/{r['maximum']}",
                              r["percent"], r["level"]] for r in rows], f"{PAGE}-preview-rows"))
    return html.Div(parts, id=f"{PAGE}-preview-card")
