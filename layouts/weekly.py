"""Báo cáo tuần: an agency enters its week (a form of exactly its indicators, one per line, that
fits a phone); the secretariat and leaders read the annex (agencies × indicators, below-target cells
and the change since last week said in words) and download the weekly report; the secretariat types
parts II–V. Components only; callbacks.weekly fills them."""
from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import dcc, html

from services.weekly.entries import NOTE_LABELS
from services.weekly.figures import AnnexView
from services.weekly.report import annex_rows

PAGE = "weekly"
PATH = "/bao-cao-tuan"


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        dcc.Store(id=f"{PAGE}-refresh", data=0),
        dcc.Store(id=f"{PAGE}-versions", data={}),
        dcc.Store(id=f"{PAGE}-notes-version", data=0),
        dcc.Download(id=f"{PAGE}-download"),
        html.H1("Báo cáo tuần", className="h4"),
        html.P(id=f"{PAGE}-plan", className="small text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("Tuần", html_for=f"{PAGE}-period"),
                     dcc.Dropdown(id=f"{PAGE}-period", clearable=False, searchable=False)], xs=12, md=4),
            dbc.Col([dbc.Label("Cơ quan, đơn vị nhập số liệu", html_for=f"{PAGE}-agency"),
                     dcc.Dropdown(id=f"{PAGE}-agency", clearable=False)], xs=12, md=8),
        ], className="g-2 mb-3"),
        html.Section([
            html.H2("Số liệu của đơn vị", className="h5"),
            html.Div(id=f"{PAGE}-message", role="status"),
            html.Div(id=f"{PAGE}-form"),
            dbc.Button("Lưu số liệu tuần", id=f"{PAGE}-save", color="primary", className="mt-2 w-100"),
        ], className="mb-4", style={"maxWidth": "40rem"}),
        html.Section([
            html.Div([html.H2("Phụ lục: số liệu theo đơn vị", className="h5 mb-0"),
                      dbc.Button("Tải báo cáo tuần (Word)", id=f"{PAGE}-export", color="secondary", outline=True,
                                 size="sm", className="ms-auto")],
                     className="d-flex flex-wrap align-items-center gap-2 mb-2"),
            html.Div(id=f"{PAGE}-annex"),
        ], id=f"{PAGE}-annex-section", className="mb-4", style={"display": "none"}),
        html.Section([
            html.H2("Nội dung báo cáo (Tổ giúp việc)", className="h5"),
            *(html.Div([dbc.Label(label, html_for=f"{PAGE}-note-{name}"),
                        dbc.Textarea(id=f"{PAGE}-note-{name}", rows=4)], className="mb-2")
              for name, label in NOTE_LABELS.items()),
            html.Div(id=f"{PAGE}-notes-message", role="status"),
            dbc.Button("Lưu nội dung báo cáo", id=f"{PAGE}-notes-save", color="primary"),
        ], id=f"{PAGE}-notes-section", style={"display": "none"}),
    ])


def value_id(indicator_id: int) -> dict:
    return {"type": f"{PAGE}-value", "indicator": indicator_id}


def entry_form(lines, editable: bool):
    """One labelled field per indicator, stacked (a phone shows one per line)."""
    if not lines:
        return dbc.Alert("Đơn vị này không có chỉ tiêu nhập hằng tuần trong kế hoạch.", color="info")
    return html.Div([
        html.Div([
            dbc.Label([line.name + (f" ({line.unit})" if line.unit else ""),
                       html.Span(f"Nhập {line.hint}; “-” nếu không có dữ liệu.", className="d-block form-text")],
                      html_for=json.dumps(value_id(line.indicator_id), sort_keys=True, separators=(",", ":"))),
            dbc.Input(id=value_id(line.indicator_id), value=line.text, disabled=not editable, inputMode="text"),
        ], className="mb-2") for line in lines])


def annex_tables(views: list[AnnexView]):
    if not views:
        return dbc.Alert("Kế hoạch chưa có bảng phụ lục theo đơn vị.", color="info")
    blocks = []
    for view in views:
        headers, rows = annex_rows(view)
        blocks.append(html.Div([
            html.H3(view.title, className="h6"),
            html.Div(html.Table([
                html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                html.Tbody([html.Tr([html.Td(cell, className="cds-below" if "dưới mục tiêu" in cell else None)
                                     for cell in row]) for row in rows]),
            ], className="table table-sm table-bordered small mb-0"), className="table-responsive"),
        ], className="mb-3"))
    blocks.append(html.P("“dưới mục tiêu”: thực hiện thấp hơn mục tiêu giao; ▲/▼: tăng/giảm so với tuần trước "
                         "liền kề; (-): chưa có dữ liệu hoặc không báo cáo.", className="small text-muted"))
    return html.Div(blocks)


def message(text: str, color: str = "success") -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-2")


