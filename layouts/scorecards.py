"""Bảng điểm đơn vị: one agency's scorecard (DTI over the years, its part of the plan, its reports,
its targets below plan) and, for the secretariat and leaders, the ranking of agencies that leads to
each. Plain tables and lists, so that they read on a 375 px phone and to a screen reader. Components
only; callbacks.scorecards fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.shell import plan_href

PAGE = "scorecard"
PATH = "/bang-diem"
AGENCY_PARAMETER = "co-quan"


def layout(**_kwargs) -> html.Div:
    return html.Div([
        html.H1("Bảng điểm đơn vị", className="h4", id=f"{PAGE}-title"),
        dcc.Loading(html.Div(id=f"{PAGE}-content", role="region", **{"aria-labelledby": f"{PAGE}-title"})),
    ])


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def _table(caption: str, headers: list[str], rows: list[list], table_id: str) -> dbc.Table:
    """A table named for screen readers by its caption, scrolled inside its box on a narrow screen."""
    return dbc.Table([
        html.Caption(caption, className="visually-hidden"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
        html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
    ], size="sm", responsive=True, striped=True, className="small mb-0", id=table_id)


def ranking_view(rows: list[dict], plan_id: int | None) -> html.Div:
    """The agencies worst first; each name opens its scorecard."""
    body = [[dcc.Link(r["name"], href=plan_href(PATH, plan_id, {AGENCY_PARAMETER: r["id"]})),
             r["dti"] or "—", f"{r['done_on_time']}/{r['parts']}", r["overdue"], _rate(r["on_time_rate"]),
             f"{_rate(r['reports_rate'])} (thiếu {r['reports_missing']})", r["below_target"]] for r in rows]
    return html.Div([
        html.P("Xếp hạng theo tỷ lệ hoàn thành đúng hạn, thấp nhất trước (đơn vị chưa có phần việc đến hạn ở cuối). "
               "Bấm tên đơn vị để mở bảng điểm của đơn vị.", className="small text-muted"),
        _table("Bảng điểm các đơn vị", ["Cơ quan, đơn vị", "DTI (năm gần nhất)", "Đúng hạn / phần việc", "Quá hạn",
                                        "Tỷ lệ đúng hạn", "Báo cáo kỳ đúng hạn", "Chỉ tiêu chưa đạt"],
               body, f"{PAGE}-ranking"),
    ])


def _section(title: str, section_id: str, children: list) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H2(title, className="h6", id=f"{section_id}-heading"), *children]),
                    className="mb-3", id=section_id)


def card_view(data: dict, plan_id: int | None, show_ranking_link: bool) -> html.Div:
    """One agency's scorecard, in the order a leader reads it before a call."""
    tasks, reports = data["tasks"], data["reports"]
    cadence = "tháng" if data["cadence"] == "monthly" else "quý"
    dti = data["dti"]
    dti_part = ([_table("Xếp hạng DTI qua các năm", ["Năm", "Nhóm", "Hạng", "Tổng điểm", "Tỷ lệ", "Mức độ"],
                        [[r["year"], r["group"], f"{r['rank']}/{r['group_size']}", f"{r['score']}/{r['maximum']}",
                          r["percent"], r["level"]] for r in dti], f"{PAGE}-dti")]
                if dti else [html.P("Chưa có kết quả xếp hạng DTI của đơn vị.", className="small mb-0")])
    overdue = [html.P(f"Quá hạn: {data['overdue_total']} phần việc"
                      + (f" (liệt kê {len(data['overdue'])} phần việc quá hạn lâu nhất)."
                         if data["overdue_total"] > len(data["overdue"]) else "."), className="small mb-1")]
    if data["overdue"]:
        overdue.append(html.Ul([html.Li(f"STT {r['stt']}. {r['title']} — hạn {r['due_date']}, quá hạn {r['days']} ngày"
                                        + (f"; lý do: {r['delay_reason']}" if r["delay_reason"] else "; chưa nêu lý do"))
                                for r in data["overdue"]], className="small mb-0", id=f"{PAGE}-overdue"))
    weekly = data["weekly"]
    report_lines = [
        html.Li(f"Báo cáo {cadence}: đúng hạn {reports['on_time']}/{reports['due']}, nộp muộn {reports['late']}, "
                f"chưa nộp {reports['missing']} (tỷ lệ đúng hạn {_rate(reports['rate'])})."
                if reports["due"] else f"Báo cáo {cadence}: chưa đến kỳ phải nộp."),
        html.Li(f"Kỳ chưa nộp: {', '.join(reports['missing_periods'])}.") if reports["missing_periods"] else None,
        html.Li("Nhập số liệu tuần: chưa theo dõi." if weekly is None else
                f"Nhập số liệu tuần: đúng hạn {weekly['on_time']}/{weekly['due']}, chưa nhập {weekly['missing']} "
                f"(tỷ lệ {_rate(weekly['rate'])})."),
    ]
    below = data["below_target"]
    targets = [html.P(f"{len(below)} chỉ tiêu chưa đạt kế hoạch; {data['no_data']} chỉ tiêu chưa có số liệu.",
                      className="small mb-1")]
    if below:
        targets.append(_table("Chỉ tiêu chưa đạt kế hoạch", ["STT", "Chỉ tiêu", "Mục tiêu", "Kết quả (kỳ)",
                                                              "So với kế hoạch", "Vai trò"],
                              [[r["stt"], r["name"], r["target"], f"{r['value']} ({r['period']})",
                                f"{r['achievement']} — {r['band_label']}", r["role"]] for r in below],
                              f"{PAGE}-below"))
    tiles = [("Phần việc", tasks["total"]), ("Hoàn thành đúng hạn", tasks["done_on_time"]),
             ("Hoàn thành quá hạn", tasks["done_late"]), ("Quá hạn", tasks["overdue"]),
             ("Tỷ lệ đúng hạn", _rate(tasks["on_time_rate"]))]
    return html.Div([
        html.P([dcc.Link("← Bảng điểm các đơn vị", href=plan_href(PATH, plan_id))] if show_ranking_link else [],
               className="small mb-2"),
        html.H2(data["agency"], className="h5", id=f"{PAGE}-agency"),
        html.P(data["plan"], className="small text-muted"),
        _section("Chỉ số chuyển đổi số (DTI)", f"{PAGE}-dti-box", dti_part),
        _section("Nhiệm vụ được giao", f"{PAGE}-tasks-box", [
            html.Dl([item for label, value in tiles for item in (html.Dt(label, className="col-7 fw-normal"),
                                                                 html.Dd(str(value), className="col-5 fw-bold"))],
                    className="row small mb-2"),
            *overdue]),
        _section("Báo cáo định kỳ", f"{PAGE}-reports-box", [html.Ul([li for li in report_lines if li is not None],
                                                                     className="small mb-0")]),
        _section("Chỉ tiêu chưa đạt", f"{PAGE}-targets-box", targets),
    ])
