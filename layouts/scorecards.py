"""Bảng điểm đơn vị: one agency's scorecard (DTI over the years, its part of the plan, its reports,
its targets below plan) and, for the secretariat and leaders, the ranking of agencies that leads to
each. Plain tables and lists, so that they read on a 375 px phone and to a screen reader. Components
only; callbacks.scorecards fills them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.controls import data_table
from layouts.shell import plan_href

PAGE = "scorecard"
PATH = "/bang-diem"
AGENCY_PARAMETER = "co-quan"


def layout(**_kwargs) -> html.Div:
    return html.Div([
        html.H1("Bảng điểm đơn vị", className="h4", id=f"{PAGE}-title"),
        dcc.Store(id=f"{PAGE}-ready", data=True),  # the router renders the page again for another ?co-quan=
        dcc.Loading(html.Div(id=f"{PAGE}-content", role="region", **{"aria-labelledby": f"{PAGE}-title"})),
    ])


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def ranking_view(rows: list[dict], plan_id: int | None) -> html.Div:
    """The agencies worst first; each name opens its scorecard. A table on a wide screen, a list of
    cards on a phone (CSS alone chooses: the other one is not displayed, so not read out either)."""
    def link(row: dict) -> dcc.Link:
        return dcc.Link(row["name"], href=plan_href(PATH, plan_id, {AGENCY_PARAMETER: row["id"]}))

    def reports(row: dict) -> str:
        return f"{_rate(row['reports_rate'])} (thiếu {row['reports_missing']})"

    table = data_table("Bảng điểm các đơn vị", ["Cơ quan, đơn vị", "DTI (năm gần nhất)", "Đúng hạn / phần việc",
                                            "Quá hạn", "Tỷ lệ đúng hạn", "Báo cáo kỳ đúng hạn", "Chỉ tiêu chưa đạt"],
                   [[link(r), r["dti"] or "—", f"{r['done_on_time']}/{r['parts']}", r["overdue"],
                     _rate(r["on_time_rate"]), reports(r), r["below_target"]] for r in rows], f"{PAGE}-ranking")
    cards = html.Ol([html.Li([
        html.Div(link(r), className="fw-bold"),
        html.Div(f"Đúng hạn {r['done_on_time']}/{r['parts']} phần việc, quá hạn {r['overdue']}, "
                 f"tỷ lệ đúng hạn {_rate(r['on_time_rate'])}."),
        html.Div(f"Báo cáo kỳ đúng hạn {reports(r)}; chỉ tiêu chưa đạt: {r['below_target']}."),
        html.Div(f"DTI: {r['dti'] or 'chưa xếp hạng'}."),
    ], className="list-group-item small") for r in rows], className="list-group list-group-numbered d-md-none",
        id=f"{PAGE}-ranking-cards")
    return html.Div([
        html.P("Xếp hạng theo tỷ lệ hoàn thành đúng hạn, thấp nhất trước (đơn vị chưa có phần việc đến hạn ở cuối). "
               "Bấm tên đơn vị để mở bảng điểm của đơn vị.", className="small text-muted"),
        html.Div(table, className="d-none d-md-block"), cards,
    ])


def _section(title: str, section_id: str, children: list) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H3(title, className="h6", id=f"{section_id}-heading"), *children]),
                    className="mb-3", id=section_id)


def card_view(data: dict, plan_id: int | None, show_ranking_link: bool) -> html.Div:
    """One agency's scorecard, in the order a leader reads it before a call."""
    tasks, reports = data["tasks"], data["reports"]
    cadence = "tháng" if data["cadence"] == "monthly" else "quý"
    dti = data["dti"]
    dti_part = ([html.Ul([html.Li([html.Strong(f"Năm {r['year']}: {r['level']}, hạng {r['rank']}/{r['group_size']}"),
                                   f" — {r['score']}/{r['maximum']} điểm ({r['percent']}); {r['group']}, điểm trung "
                                   f"bình {r['group_average']}."]) for r in dti],
                         className="small mb-0", id=f"{PAGE}-dti")]
                if dti else [html.P("Chưa có kết quả xếp hạng DTI của đơn vị.", className="small mb-0")])
    overdue = [html.P(f"Quá hạn: {data['overdue_total']} phần việc"
                      + (f" (liệt kê {len(data['overdue'])} phần việc quá hạn lâu nhất)."
                         if data["overdue_total"] > len(data["overdue"]) else "."), className="small mb-1")]
    if data["overdue"]:
        overdue.append(html.Ul([html.Li(f"STT {r['stt']}. {r['title']} — hạn {r['due_date']}, quá hạn {r['days']} ngày"
                                        + (f"; lý do: {r['delay_reason']}" if r["delay_reason"]
                                           else "; chưa nêu lý do"))
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
        targets.append(html.Ul([html.Li([html.Strong(f"{r['stt']}. {r['name']}"),
                                         f" — mục tiêu {r['target']}, kết quả {r['value']} ({r['period']}): "
                                         f"{r['achievement']}, {r['band_label']} ({r['role']})."]) for r in below],
                               className="small mb-0", id=f"{PAGE}-below"))
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
            html.Dl([item for label, value in tiles
                     for item in (html.Dt(label, className="col-7 col-md-3 fw-normal"),
                                  html.Dd(str(value), className="col-5 col-md-9 fw-bold"))],
                    className="row small mb-2"),
            *overdue]),
        _section("Báo cáo định kỳ", f"{PAGE}-reports-box", [html.Ul([li for li in report_lines if li is not None],
                                                                     className="small mb-0")]),
        _section("Chỉ tiêu chưa đạt", f"{PAGE}-targets-box", targets),
    ])
