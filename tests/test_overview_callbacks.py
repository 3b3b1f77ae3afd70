"""The secretariat's and leaders' callbacks over HTTP: who may call them (agency users may not),
what they answer, forged tiles, the Word and Excel downloads, and the export command."""
import base64
import json
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from models import Agency, Plan
from services.common.clock import today as vietnam_today
from services.reporting.rollup import agency_rollup, plan_rollup
from tests.test_tasks_callbacks import logged_in, response_of

LOAD = "overview-period.value"
QUARTER_2 = {"overview-kind": "quarter", "overview-date": None}


def drill_payload(dash, scope, key):
    """A click on one tile: pattern-matching inputs go as a list of every matching component."""
    dependency = dash.dependency('{"key":["ALL"],"scope":["ALL"],"type":"overview-tile"}.n_clicks')
    tile = {"type": "overview-tile", "scope": scope, "key": key}
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in dependency["output"].strip(".").split("...")]
    state = [{**s, "value": {"overview-kind": "quarter", "overview-period": "2026-Q2"}.get(s["id"])}
             for s in dependency["state"]]
    return {"output": dependency["output"], "outputs": outputs, "state": state,
            "inputs": [[{"id": tile, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(tile, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}


CALLS = {
    "period options": lambda dash: dash.call("overview-kind.value", "quarter", output="overview-period.options"),
    "overview": lambda dash: dash.call(LOAD, "2026-Q2", QUARTER_2, output="overview-sentence"),
    "trend": lambda dash: dash.call(LOAD, "2026-Q2", QUARTER_2, output="overview-trend"),
    "charts tab": lambda dash: dash.call("overview-tabs-tab-charts.n_clicks", 1),
    "charts": lambda dash: dash.call(LOAD, "2026-Q2", QUARTER_2, output="overview-donut"),
    "indicator bands": lambda dash: dash.call(LOAD, "2026-Q2", QUARTER_2, output="overview-indicator-bands"),
    "drill": lambda dash: dash.post(drill_payload(dash, "plan", "overdue")),
    "export": lambda dash: dash.call("overview-export.n_clicks", 1, {"overview-kind": "quarter",
                                                                      "overview-period": "2026-Q2"}),
    "agency click": lambda dash: dash.call("overview-agencies.cellClicked", {"rowId": "3", "colId": "name"}),
    "section click": lambda dash: dash.call("overview-sections.cellClicked", {"rowId": "1", "colId": "total"},
                                            {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overdue board": lambda dash: dash.call("overdue-section.value", "all", {"overdue-agency": "all"}),
    "overdue filters": lambda dash: dash.call("overdue-ready.data", True),
    "overdue cards": lambda dash: dash.call("overdue-band.value", "1", {"overdue-narrow": True}),
    "drill from a link": lambda dash: dash.call("overview-period.options", [], {
        "overview-kind": "quarter", "overview-period": "2026-Q2", "url": "?chi-tiet=overdue"}),
    "drill row": lambda dash: dash.call("overview-drill.cellClicked", {"rowId": "1-1", "colId": "title"}),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("username, expected", [("lanhdao", 200), ("tgv", 200), ("admin", 200),
                                                ("so-khcn", 403), ("xa-yen-binh", 403), (None, 401)])
def test_province_views_are_for_leaders_and_the_secretariat_only(app, call, username, expected):
    dependencies = logged_in(app, "tgv").client.get("/_dash-dependencies").get_json()
    dash = logged_in(app, username)
    dash._dependencies = dependencies  # agency users may read the graph; the callbacks refuse them
    assert CALLS[call](dash).status_code == expected


def test_overview_answers_in_the_reports_words(app, demo_db):
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        q2, q1 = plan_rollup(s, plan, date(2026, 6, 30)), plan_rollup(s, plan, date(2026, 3, 31))
        agency_rollup_q2 = agency_rollup(s, plan, date(2026, 6, 30))
    body = response_of(logged_in(app, "lanhdao").call(LOAD, "2026-Q2", QUARTER_2, output="overview-sentence"))
    assert body["overview-sentence"]["children"] == (
        "Tính đến Quý II/2026 (30/06/2026): Đã hoàn thành: 00/92 nhiệm vụ. Đang thực hiện: 00/92 nhiệm vụ. "
        "Chưa thực hiện: 92/92 nhiệm vụ.")
    assert f"Quá hạn: tăng {q2.overdue - q1.overdue} nhiệm vụ so với Quý I/2026" in body["overview-change"]["children"]
    assert f"{q2.overdue:02d}/92" in json.dumps(body["overview-tiles"]["children"])
    late_parts = sum(g.counts.overdue for g in agency_rollup_q2)
    assert body["overview-overdue-note"]["children"] == f"{late_parts} phần việc quá hạn tính đến 30/06/2026."
    assert len(body["overview-overdue"]["rowData"]) == late_parts
    assert len(body["overview-agencies"]["rowData"]) == 23
    assert [p["headerName"] for p in body["overview-compliance"]["columnDefs"]][1] == "Tháng 1/2026"


def test_the_charts_are_drawn_when_their_tab_opens_from_the_numbers_content(app, demo_db):
    leader = logged_in(app, "lanhdao")
    assert leader.call("overview-tabs-tab-charts.n_clicks", None).status_code == 204  # not opened: nothing
    places = json.dumps(response_of(leader.call("overview-tabs-tab-charts.n_clicks", 1))["overview-charts"])
    assert all(f'"overview-{name}"' in places for name in ("by-section", "trend", "donut"))
    body = response_of(leader.call(LOAD, "2026-Q2", QUARTER_2, output="overview-donut"))
    assert body["overview-donut"]["figure"]["data"][0]["values"] == [0, 0, 92]
    bars = body["overview-by-section"]["figure"]["data"]
    assert [bar["name"] for bar in bars] == ["Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện"]
    assert sum(bars[2]["y"]) == 92


def test_trend_line_counts_from_the_history(app, demo_db):
    figure = response_of(logged_in(app, "lanhdao").call(LOAD, "2026-Q2", QUARTER_2, output="overview-trend"))
    done, overdue = figure["overview-trend"]["figure"]["data"]
    assert done["x"] == ["01/2026", "02/2026", "03/2026", "04/2026", "05/2026", "06/2026"]
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        expected = [plan_rollup(s, plan, day).overdue for day in (date(2026, 1, 31), date(2026, 3, 31), date(2026, 6, 30))]
    assert [overdue["y"][i] for i in (0, 2, 5)] == expected and done["y"] == [0] * 6


def test_clicking_a_number_lists_its_tasks_and_forged_tiles_do_nothing(app, demo_db):
    with demo_db.read() as s:
        overdue = plan_rollup(s, s.scalar(select(Plan)), date(2026, 6, 30)).overdue
    dash = logged_in(app, "tgv")
    body = response_of(dash.post(drill_payload(dash, "plan", "overdue")))
    assert len(body["overview-drill"]["rowData"]) == overdue
    assert body["overview-drill-title"]["children"] == \
        f"Quá hạn — toàn kế hoạch (tính đến Quý II/2026): {overdue} nhiệm vụ"
    for scope, key in (("plan", "drop table"), ("everything", "overdue")):
        assert dash.post(drill_payload(dash, scope, key)).status_code == 204


def test_numbers_in_the_agency_and_section_tables_list_what_they_count(app, demo_db):
    selector = {"overview-kind": "quarter", "overview-period": "2026-Q2"}
    leader = logged_in(app, "lanhdao")
    body = response_of(leader.call(LOAD, "2026-Q2", QUARTER_2, output="overview-sentence"))
    police = next(r for r in body["overview-agencies"]["rowData"] if r["name"] == "Công an tỉnh")
    section = body["overview-sections"]["rowData"][3]
    for grid, row, key in (("overview-agencies", police, "overdue"), ("overview-agencies", police, "total"),
                           ("overview-sections", section, "total"), ("overview-sections", section, "overdue")):
        drill = response_of(leader.call(f"{grid}.cellClicked", {"rowId": row["row_id"], "colId": key}, selector))
        assert len(drill["overview-drill"]["rowData"]) == row[key], (grid, key)
        assert drill["overview-drill-title"]["children"].endswith(f": {row[key]} nhiệm vụ")
    forged = leader.call("overview-sections.cellClicked", {"rowId": "1", "colId": "password"}, selector)
    assert forged.status_code == 204


def test_excel_and_word_downloads(app):
    dash = logged_in(app, "lanhdao")
    selected = {"overview-kind": "quarter", "overview-period": "2026-Q2"}
    download = response_of(dash.call("overview-export.n_clicks", 1, selected))["overview-download"]["data"]
    assert download["filename"] == "bao-cao-cds-2026-Q2.xlsx" and download["base64"]
    book = load_workbook(BytesIO(base64.b64decode(download["content"])))
    assert book["Tổng hợp"]["A2"].value == "Tình hình thực hiện Quý II/2026"
    word = response_of(dash.call("overview-export-word.n_clicks", 1, selected))["overview-download"]["data"]
    assert word["filename"] == "bao-cao-cds-2026-Q2.docx"
    paragraphs = [p.text for p in Document(BytesIO(base64.b64decode(word["content"]))).paragraphs]
    assert any("Quý II/2026" in text for text in paragraphs)
    assert book["Phụ lục nhiệm vụ"].max_row == 1 + 9 + 92  # header, 9 sections, 92 tasks


def test_clicking_an_agency_opens_its_workspace_preselected(app, demo_db):
    with demo_db.read() as s:
        health = s.scalar(select(Agency.id).where(Agency.code == "so-y-te"))
    leader = logged_in(app, "lanhdao")
    href = response_of(leader.call("overview-agencies.cellClicked", {"rowId": str(health), "colId": "name"}))[
        "url"]["href"]
    assert href == f"/nhiem-vu?don-vi={health}"
    chosen = response_of(leader.call("tasks-ready.data", True, {"url": "?don-vi=" + str(health)}))
    assert chosen["tasks-agency"]["value"] == health
    forged = response_of(leader.call("tasks-ready.data", True, {"url": "?don-vi=999999"}))
    assert forged["tasks-agency"]["value"] is None
    own = response_of(logged_in(app, "so-khcn").call("tasks-ready.data", True, {"url": f"?don-vi={health}"}))
    assert own["tasks-agency-box"]["style"] == {"display": "none"} and own["tasks-agency"]["value"] is None


def test_export_report_command(app, tmp_path, demo_db):
    runner = app.server.test_cli_runner()
    with demo_db.read() as s:
        plan_id = s.scalar(select(Plan.id))
    out = tmp_path / "bao-cao.xlsx"
    result = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "2026-H1", "--out", str(out)])
    assert result.exit_code == 0 and "6 tháng đầu năm 2026" in result.output
    assert load_workbook(out)["Tổng hợp"]["A2"].value == "Tình hình thực hiện 6 tháng đầu năm 2026"
    bad = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "Q2", "--out", str(out)])
    assert bad.exit_code == 1 and "không hợp lệ" in bad.output
    missing = runner.invoke(args=["export-report", "--plan", "999", "--period", "2026", "--out", str(out)])
    assert missing.exit_code == 1 and "Không có kế hoạch mã 999" in missing.output


# ---- Issue 15, item 4: every count clicks through; the board as cards; the ranking; the charts ----

def test_home_tiles_lead_to_the_lists_behind_them_for_those_who_may_read_them(app, demo_db):
    from layouts.home import COUNT_TILES
    for username in ("lanhdao", "tgv", "admin"):
        tiles = json.dumps(response_of(logged_in(app, username).call("home-ready.data", True))["home-tiles"])
        for key, _, _ in COUNT_TILES:
            expected = "/qua-han" if key == "overdue" else f"/tong-hop?chi-tiet={key}"
            assert f'"href": "{expected}"' in tiles, (username, key)
        assert "home-parts-note" not in tiles  # the sentence sits once, under the tiles (layout)
    agency = response_of(logged_in(app, "so-khcn").call("home-ready.data", True))
    assert '"href"' not in json.dumps(agency["home-tiles"])  # the province's lists are not an agency's
    own = json.dumps(agency["home-agency-section"], ensure_ascii=False)
    for href in ("/nhiem-vu?loc=tat-ca", "/nhiem-vu?tinh-trang=done", "/nhiem-vu?tinh-trang=in_progress",
                 "/nhiem-vu?tinh-trang=not_started", "/nhiem-vu?loc=qua-han"):
        assert f'"href": "{href}"' in own, href
    # With a plan in the URL, every link keeps it.
    with demo_db.read() as s:
        plan_id = s.scalar(select(Plan.id))
    kept = json.dumps(response_of(logged_in(app, "lanhdao").call("home-ready.data", True, {"url": f"?ke-hoach={plan_id}"}))[
        "home-tiles"])
    assert f"/qua-han?ke-hoach={plan_id}" in kept and f"/tong-hop?chi-tiet=done&ke-hoach={plan_id}" in kept


def test_a_tile_link_opens_the_list_on_the_overview_and_a_row_opens_the_task(app, demo_db):
    leader = logged_in(app, "lanhdao")
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        overdue = plan_rollup(s, plan).overdue
    body = response_of(leader.call("overview-period.options", [], {
        "overview-kind": "quarter", "overview-period": "2026-Q4", "url": "?chi-tiet=overdue"}))
    assert body["overview-drill-title"]["children"].startswith("Quá hạn — toàn kế hoạch (tính đến Quý IV/2026)")
    rows = body["overview-drill"]["rowData"]
    assert len(rows) == overdue and all(r["reason"] == "" and r["last_update"] == "" for r in rows)
    today = vietnam_today()
    for row in rows:  # days late by the deadline; a quarterly report missing is late with no date passed
        due = date(*map(int, reversed(row["due_date"].split("/")))) if row["due_date"] else None
        assert row["days_late"] == ((today - due).days if due and due < today else None), row
    assert body["overview-drill-box"]["style"] == {"display": "block"}
    for search in ("", "?chi-tiet=password", "?chi-tiet=nothing&x=1"):
        assert leader.call("overview-period.options", [], {"overview-kind": "quarter", "overview-period": "2026-Q4",
                                                           "url": search}).status_code == 204
    task_id, assignment_id = rows[0]["row_id"].split("-")
    with demo_db.read() as s:
        from models import Assignment
        agency_id = s.get(Assignment, int(assignment_id)).agency_id
    href = response_of(leader.call("overview-drill.cellClicked", {"rowId": rows[0]["row_id"]}))["url"]["href"]
    assert href == f"/nhiem-vu?don-vi={agency_id}&phan-cong={assignment_id}"
    for forged in ({"rowId": task_id}, {"rowId": "1-999999"}, {"rowId": "x-abc"}, {"rowId": 5}, None):
        assert leader.call("overview-drill.cellClicked", forged).status_code == 204, forged


def test_the_board_on_a_phone_is_cards_and_the_bands_filter_it(app, demo_db):
    from services.reporting.dashboard import overdue_board
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        today = vietnam_today()
        everything = overdue_board(s, plan, today, today)
        band = overdue_board(s, plan, today, today, band=2)
    leader = logged_in(app, "lanhdao")
    phone = response_of(leader.call("overdue-band.value", "all", {"overdue-narrow": True, "overdue-limit": 50}))
    cards = json.dumps(phone["overdue-cards"]["children"], ensure_ascii=False)
    assert phone["overdue-board"]["rowData"] == [] and phone["overdue-board-box"]["style"] == {"display": "none"}
    assert cards.count('"mb-2 cds-card"') == min(everything.total, 50)
    first = everything.rows[0]
    for text in (f"{first['stt']}. {first['title']}", first["agency"], f"Quá hạn {first['days']} ngày", first["band"],
                 "Lý do: ", "chưa nêu lý do"):
        assert text in cards, text
    assert f"phan-cong={first['row_id']}" in cards and f"don-vi={first['agency_id']}" in cards
    assert [o["value"] for o in phone["overdue-band"]["options"]] == ["all", "0", "1", "2", "3"]
    assert phone["overdue-band"]["options"][0]["label"] == f"Tất cả: {everything.total}"
    filtered = response_of(leader.call("overdue-band.value", "2", {"overdue-narrow": True, "overdue-limit": 50}))
    assert json.dumps(filtered["overdue-cards"]["children"]).count('"mb-2 cds-card"') == band.total
    assert filtered["overdue-summary"]["children"].startswith(f"{band.total}/{everything.total} phần việc quá hạn ở mức")
    office = response_of(leader.call("overdue-band.value", "2", {"overdue-narrow": False}))
    assert [r["row_id"] for r in office["overdue-board"]["rowData"]] == [r["row_id"] for r in band.rows]
    assert office["overdue-cards"]["children"] == [] and office["overdue-board-box"]["style"] == {"display": "block"}
    for forged in ("9", "-1", {"x": 1}, "1 OR 1=1", None):
        forged_body = response_of(leader.call("overdue-band.value", forged, {"overdue-narrow": False}))
        assert len(forged_body["overdue-board"]["rowData"]) == min(everything.total, 500), forged


def test_charts_speak_vietnamese_the_donut_has_a_legend_and_no_zero_labels():
    from layouts.overview import donut, section_bars, trend
    pie = donut({"done": 0, "in_progress": 0, "not_started": 92}).to_plotly_json()
    assert pie["layout"].get("showlegend") is not False
    assert list(pie["data"][0]["text"]) == ["", "", "92"] and pie["data"][0]["textinfo"] == "text"
    assert pie["data"][0]["hovertemplate"] == "%{label}: %{value} nhiệm vụ (%{percent})<extra></extra>"
    bars = section_bars([{"name": "I. Nhận thức số", "done": 1, "in_progress": 0, "not_started": 2}]).to_plotly_json()
    line = trend([{"label": "01/2026", "done": 0, "overdue": 1, "in_progress": 0, "total": 1}]).to_plotly_json()
    for trace in bars["data"] + line["data"]:
        assert trace["hovertemplate"].endswith("nhiệm vụ<extra></extra>") or "nhiệm vụ" in trace["hovertemplate"]
        assert trace["hovertemplate"].endswith("<extra></extra>")  # no English trace box
    assert [t["hovertemplate"] for t in line["data"]] == ["Tháng %{x}: %{y} nhiệm vụ đã hoàn thành<extra></extra>",
                                                          "Tháng %{x}: %{y} nhiệm vụ quá hạn<extra></extra>"]
    assert bars["layout"]["separators"] == ",."


def test_the_ranking_sorts_worst_first_with_blanks_last_and_whole_headers():
    from layouts.overview import AGENCY_COLUMNS, COUNT_COLUMNS
    rate = next(c for c in AGENCY_COLUMNS if c["field"] == "on_time_rate")
    assert rate["sort"] == "asc" and rate["comparator"] == {"function": "rankingComparator"}
    assert all(c.get("wrapHeaderText") for c in COUNT_COLUMNS)
    script = open("assets/dashAgGridFunctions.js", encoding="utf-8").read()
    assert "dagfuncs.rankingComparator = function (valueA, valueB, nodeA, nodeB, isDescending)" in script
