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
    "indicator bands": lambda dash: dash.call(LOAD, "2026-Q2", QUARTER_2, output="overview-indicator-bands"),
    "drill": lambda dash: dash.post(drill_payload(dash, "plan", "overdue")),
    "export": lambda dash: dash.call("overview-export.n_clicks", 1, {"overview-kind": "quarter",
                                                                      "overview-period": "2026-Q2"}),
    "agency click": lambda dash: dash.call("overview-agencies.cellClicked", {"rowId": "3", "colId": "name"}),
    "section click": lambda dash: dash.call("overview-sections.cellClicked", {"rowId": "1", "colId": "total"},
                                            {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overdue board": lambda dash: dash.call("overdue-section.value", "all", {"overdue-agency": "all"}),
    "overdue filters": lambda dash: dash.call("overdue-ready.data", True),
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
