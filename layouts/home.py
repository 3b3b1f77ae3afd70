"""Home: the plan's rollup in the reports' wording and, for an agency, its own standing. Every
count clicks through to what it counts: the province's tiles to the overview's list (overdue: the
overdue board) for those who may read them, an agency's own counts to its task list."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import tasks as tasks_view
from layouts.controls import tasks_and_parts
from layouts.indicators import PATH as INDICATORS_PATH
from layouts.shell import plan_href
from layouts.tasks import PATH as TASKS_PATH

OVERVIEW_PATH, OVERDUE_PATH = "/tong-hop", "/qua-han"
DRILL_PARAMETER = "chi-tiet"  # "/tong-hop?chi-tiet=done": the overview opens the list behind that count

PAGE = "home"

COUNT_TILES = [
    ("total", "Tổng số nhiệm vụ", "secondary"),
    ("done", "Đã hoàn thành", "success"),
    ("in_progress", "Đang thực hiện", "primary"),
    ("not_started", "Chưa thực hiện", "warning"),
    ("overdue", "Quá hạn", "danger"),
    ("ongoing", "Thường xuyên", "info"),
]


def layout(**_kwargs) -> html.Div:
    return html.Div([
        dcc.Store(id=f"{PAGE}-ready", data=True),
        html.H1(id=f"{PAGE}-plan-title", className="h4"),
        dbc.Card(dbc.CardBody([
            html.H2("Tình hình thực hiện", className="h6 text-muted"),
            html.P(id=f"{PAGE}-sentence", className="fs-6 mb-3"),
            dbc.Row(id=f"{PAGE}-tiles", className="g-2 mb-2"),
            tasks_and_parts(PAGE),
        ]), className="mb-3"),
        html.Div(id=f"{PAGE}-agency-section"),
    ])


def tile_href(key: str, plan_id: int | None) -> str:
    """Where a province tile leads: the overdue board for "Quá hạn", else the overview's list of the
    tasks it counts."""
    if key == "overdue":
        return plan_href(OVERDUE_PATH, plan_id)
    return plan_href(OVERVIEW_PATH, plan_id, {DRILL_PARAMETER: key})


def tiles(counts: dict[str, int], plan_id: int | None = None, linked: bool = False) -> list:
    """The province's counts; links (`tile_href`) for those who may open the lists behind them."""
    def body(key: str, label: str, color: str) -> list:
        return [html.Div(label, className="small text-muted"),
                html.Div(f"{counts[key]:02d}", className=f"fs-4 fw-bold text-{color}", id=f"{PAGE}-count-{key}")]

    return [
        dbc.Col(dcc.Link(dbc.Card(dbc.CardBody(body(key, label, color)), className="cds-tile-link h-100"),
                         href=tile_href(key, plan_id), id=f"{PAGE}-to-{key}", className="text-decoration-none",
                         title=f"Xem danh sách: {label}") if linked
                else dbc.Card(dbc.CardBody(body(key, label, color))), xs=6, md=4, lg=2)
        for key, label, color in COUNT_TILES
    ]


def own_count(count: int, words: str, params: dict, plan_id: int | None, key: str) -> dcc.Link:
    """One of an agency's own counts, leading to its task list showing exactly those."""
    return dcc.Link(f"{count} {words}", href=plan_href(TASKS_PATH, plan_id, params), id=f"{PAGE}-own-{key}")


def returned_card(rows: list[dict], plan_id: int | None) -> dbc.Card:
    """The completions the secretariat returned (STT, title, comment, day), first thing an agency sees."""
    return dbc.Card(dbc.CardBody([
        html.H2("Kết quả bị trả lại", className="h5 text-danger"),
        html.P(f"Tổ giúp việc trả lại {len(rows)} kết quả hoàn thành: nhiệm vụ được tính là chưa hoàn thành cho đến "
               "khi được xác nhận. Hãy bổ sung, sửa theo ý kiến rồi cập nhật lại.", className="small"),
        html.Ul([html.Li([html.Strong(f"STT {row['stt']}. {row['title']}"), html.Br(),
                          html.Span(f"Trả lại ngày {row['returned_on']}: ", className="text-muted"), row["comment"]],
                         className="mb-2") for row in rows], id=f"{PAGE}-returned-list"),
        dbc.Button("Xem và cập nhật nhiệm vụ bị trả lại", href=plan_href(TASKS_PATH, plan_id), color="danger",
                   id=f"{PAGE}-to-returned"),
    ]), color="danger", outline=True, className="mb-3", id=f"{PAGE}-returned")


def agency_section(agency_name: str, counts: dict[str, int] | None,
                   indicators: tuple[str, int, int] | None = None, plan_id: int | None = None,
                   returned: list[dict] | None = None) -> html.Div:
    """An agency user's own standing, the way to its workspace, and the targets it must report this
    period (period label, reported, total), after its returned completions if any; links keep the
    plan on show."""
    if counts is None:
        body = [html.P("Đơn vị chưa được giao nhiệm vụ chủ trì trong kế hoạch này.", className="mb-0")]
    else:
        status, flag = tasks_view.STATUS_PARAMETER, tasks_view.FLAG_PARAMETER
        body = [
            html.P([
                own_count(counts["total"], "nhiệm vụ được giao chủ trì", {flag: "tat-ca"}, plan_id, "total"), ": ",
                own_count(counts["done"], "đã hoàn thành", {status: "done"}, plan_id, "done"), ", ",
                own_count(counts["in_progress"], "đang thực hiện", {status: "in_progress"}, plan_id, "in_progress"),
                ", ",
                own_count(counts["not_started"], "chưa thực hiện", {status: "not_started"}, plan_id, "not_started"),
                "; ", own_count(counts["overdue"], "quá hạn", {flag: "qua-han"}, plan_id, "overdue"), ".",
            ], id=f"{PAGE}-agency-counts"),
            dbc.Button("Cập nhật nhiệm vụ của đơn vị", href=plan_href(TASKS_PATH, plan_id), color="primary",
                       id=f"{PAGE}-to-tasks"),
        ]
    if indicators is not None and indicators[2]:
        label, reported, total = indicators
        body += [
            html.P(f"Chỉ tiêu đơn vị theo dõi, tổng hợp (Phụ lục 01): đã nhập kết quả kỳ {label} cho "
                   f"{reported}/{total} chỉ tiêu.", id=f"{PAGE}-agency-indicators",
                   className="mt-3 mb-2 " + ("text-success" if reported == total else "text-danger")),
            dbc.Button("Nhập kết quả chỉ tiêu", href=plan_href(INDICATORS_PATH, plan_id), color="primary", outline=True,
                       id=f"{PAGE}-to-indicators"),
        ]
    standing = dbc.Card(dbc.CardBody([html.H2(f"Đơn vị: {agency_name}", className="h5"), *body]))
    return html.Div([returned_card(returned, plan_id), standing] if returned else [standing])


def no_plan() -> dbc.Alert:
    return dbc.Alert("Chưa có kế hoạch nào. Tổ giúp việc cần nhập kế hoạch trước.", color="info")
