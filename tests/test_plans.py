"""Several plans per province (issue 12, item 2): which plan a page shows by default, every page
following the plan the URL names (`?ke-hoach=ID`), the province wall for plan ids, and archived
plans — read and exported as before, never written, archived and restored only by the province's
secretariat and admins, with who and when in the change log."""
import base64
import json
import logging
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import services.plans.catalogue as catalogue
from models import (
    Agency,
    Assignment,
    ChangeLog,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    Plan,
    ReportSubmission,
    Task,
    User,
)
from services.accounts.permissions import NotAllowed
from services.plans.catalogue import (
    PlanArchived,
    archive_plan,
    default_plan,
    plan_for,
    plan_label,
    plans_for,
    restore_plan,
)
from services.plans.importer import PlanSpec, import_plan
from services.reporting.rollup import plan_rollup, report_sentence
from services.tasks.updates import save_update
from tests.test_import import write_csv
from tests.test_province_wall import MARK, _actor, add_lai_chau, logged_in, text_of
from tests.test_tasks_callbacks import DONE_FORM, OPEN, SAVE, SUBMIT, response_of

ARCHIVE, TOGGLE = "plans-confirm.n_clicks", '{"plan":["ALL"],"type":"plans-toggle"}.n_clicks'
OTHER = "CHUONGTRINH"  # in every text of the second Lào Cai plan, so its data shows in any response
PROGRAMME_TASKS = [
    ["I", "Hạ tầng số", "", "", "", "", "", "", ""],
    ["1", f"Nâng cấp mạng truyền số liệu {OTHER}", "Sở KH&CN", "", "Quý I/2026", "Mạng", "", "", ""],
    ["2", f"Số hóa hồ sơ bệnh án {OTHER}", "Sở Y tế", "", "Năm 2027", "Kho dữ liệu", "", "", ""],
]
QUARTER_2 = {"overview-kind": "quarter", "overview-period": "2026-Q2", "overview-date": None}


@pytest.fixture
def programme(demo_db, tmp_path):
    """A second Lào Cai plan beside the demo's annual plan: a programme with two tasks (one of Sở
    KH&CN, overdue since Quý I; one of Sở Y tế) and one target the secretariat reports."""
    path = write_csv(tmp_path / "chuong_trinh.csv", PROGRAMME_TASKS)
    with demo_db.write() as s:
        summary = import_plan(s, path, PlanSpec(province="Lào Cai", year=2026, kind="programme",
                                                title=f"Chương trình chuyển đổi số 2026–2030 {OTHER}"))
        target = Indicator(plan_id=summary.plan_id, stt="1", position=1, name=f"Tỷ lệ hồ sơ số hóa {OTHER}",
                           unit="%", target_text="80%")
        s.add(target)
        s.flush()
        science = s.scalar(select(Agency).where(Agency.code == "so-khcn"))
        s.add(IndicatorAgency(indicator_id=target.id, agency_id=science.id, role="monitor"))
        ids = {"plan": summary.plan_id, "indicator": target.id, "science": science.id,
               "annual": s.scalar(select(Plan.id).where(Plan.kind == "annual")),
               "assignment": s.scalar(select(Assignment.id).join(Task).where(
                   Task.plan_id == summary.plan_id, Assignment.agency_id == science.id))}
    return ids


@pytest.fixture
def two_provinces(demo_db, tmp_path):
    """Lai Châu beside Lào Cai (tests/test_province_wall.py): a plan, accounts of every role."""
    return add_lai_chau(demo_db, tmp_path)


def plan_search(plan_id) -> str:
    return f"?ke-hoach={plan_id}"


def fingerprint(db, plan_id):
    """Everything a write to the plan could touch: its assignments, submissions, targets, target
    values, and the change log about any of them or about the plan."""
    with db.read() as s:
        assignments = s.execute(select(Assignment.id, Assignment.version, Assignment.status, Assignment.note)
                                .join(Task).where(Task.plan_id == plan_id).order_by(Assignment.id)).all()
        values = s.execute(select(IndicatorValue.id, IndicatorValue.version).join(Indicator)
                           .where(Indicator.plan_id == plan_id)).all()
        targets = s.execute(select(Indicator.id, Indicator.version, Indicator.higher_is_better)
                            .where(Indicator.plan_id == plan_id)).all()
        submissions = s.execute(select(ReportSubmission.id, ReportSubmission.version)
                                .where(ReportSubmission.plan_id == plan_id)).all()
        about = {("plan", plan_id)} | {("assignment", r[0]) for r in assignments} \
            | {("indicator_value", r[0]) for r in values} | {("indicator", r[0]) for r in targets} \
            | {("report_submission", r[0]) for r in submissions}
        logs = sorted(log.id for log in s.execute(select(ChangeLog.id, ChangeLog.entity, ChangeLog.entity_id))
                      if (log.entity, log.entity_id) in about)
        return ([tuple(r) for r in assignments], [tuple(r) for r in values], [tuple(r) for r in targets],
                [tuple(r) for r in submissions], logs)


def archive(db, plan_id, username="tgv"):
    with db.write() as s:
        return archive_plan(s, _actor(s, username), plan_id, when=datetime(2026, 11, 20, 9))


# ---- Which plan a page shows ----------------------------------------------------------------------

def test_default_plan_is_this_years_open_annual_plan_then_the_newest(demo_db, programme, monkeypatch):
    monkeypatch.setattr(catalogue, "today", lambda: date(2026, 11, 25))
    with demo_db.write() as s:
        province = s.get(Plan, programme["annual"]).province_id
        for year, title in ((2025, "Kế hoạch CĐS năm 2025"), (2027, "Kế hoạch CĐS năm 2027")):
            s.add(Plan(province_id=province, year=year, title=title, kind="annual", starts_on=date(year, 1, 1),
                       created_at=datetime(2026, 11, 1)))
    with demo_db.read() as s:
        ids = {p.year if p.kind == "annual" else "programme": p.id for p in plans_for(s, _actor(s, "tgv"))}
    assert set(ids) == {2025, 2026, 2027, "programme"}

    def shown():
        with demo_db.read() as s:
            return default_plan(s, _actor(s, "lanhdao")).id

    assert shown() == ids[2026]  # this year's annual plan, though a programme and 2027 came later
    archive(demo_db, ids[2026])
    assert shown() == ids[2027]  # the newest open annual plan
    archive(demo_db, ids[2027])
    archive(demo_db, ids[2025])
    assert shown() == ids["programme"]  # no open annual plan: the newest open plan
    archive(demo_db, ids["programme"])
    assert shown() == max(ids.values())  # all archived: the newest plan (2027; ids break year ties)
    with demo_db.read() as s:
        labels = [plan_label(p) for p in plans_for(s, _actor(s, "tgv"))]
    assert all(label.endswith("— đã lưu trữ") for label in labels)
    assert labels[0] == "Kế hoạch CĐS năm 2027 (Kế hoạch năm) — đã lưu trữ"


def test_plan_for_checks_the_province_and_falls_back_to_the_default(demo_db, programme, two_provinces):
    with demo_db.read() as s:
        tgv, lai_chau, everywhere = _actor(s, "tgv"), _actor(s, "tgv-lc"), _actor(s, "admin-all")
        assert plan_for(s, tgv, str(programme["plan"])).id == programme["plan"]
        for unknown in (None, "", "abc", 999999, -1, "1e3"):
            assert plan_for(s, tgv, unknown).id == programme["annual"], unknown
        with pytest.raises(NotAllowed):
            plan_for(s, tgv, two_provinces["plan"])
        with pytest.raises(NotAllowed):
            plan_for(s, lai_chau, programme["plan"])
        assert {p.id for p in plans_for(s, lai_chau)} == {two_provinces["plan"]}
        assert {p.id for p in plans_for(s, everywhere)} == {programme["annual"], programme["plan"],
                                                             two_provinces["plan"]}
        assert plans_for(s, _actor(s, "lanhdao-lost")) == []


# ---- Every page follows the URL's plan ------------------------------------------------------------

def test_every_page_shows_the_plan_the_url_names(app, demo_db, programme):
    with demo_db.read() as s:
        plan = s.get(Plan, programme["plan"])
        title, live, q2 = plan.title, plan_rollup(s, plan), plan_rollup(s, plan, date(2026, 6, 30))
    chosen = {"url": plan_search(programme["plan"])}
    leader = logged_in(app, "lanhdao")

    home = response_of(leader.call("home-ready.data", True, chosen))
    assert home["home-plan-title"]["children"] == title
    assert home["home-sentence"]["children"] == report_sentence(live) and "/02 nhiệm vụ" in report_sentence(live)
    default_home = response_of(leader.call("home-ready.data", True))
    assert "/92 nhiệm vụ" in default_home["home-sentence"]["children"]

    overview = response_of(leader.call("overview-period.value", "2026-Q2", {**QUARTER_2, **chosen},
                                       output="overview-sentence"))
    assert overview["overview-sentence"]["children"].endswith(report_sentence(q2))
    assert [r["title"] for r in overview["overview-overdue"]["rowData"]] == \
        [f"Nâng cấp mạng truyền số liệu {OTHER}"]
    assert {r["name"] for r in overview["overview-agencies"]["rowData"]} == {"Sở Khoa học và Công nghệ", "Sở Y tế"}
    trend = response_of(leader.call("overview-period.value", "2026-Q2", {**QUARTER_2, **chosen},
                                    output="overview-trend"))
    assert trend["overview-trend"]["figure"]["data"][1]["y"][-1] == q2.overdue == 1
    bands = response_of(leader.call("overview-period.value", "2026-Q2", {**QUARTER_2, **chosen},
                                    output="overview-indicator-bands"))
    assert "Chưa có số liệu: 1 mục tiêu" in str(bands["overview-indicator-bands"]["children"])
    agency_click = response_of(leader.call("overview-agencies.cellClicked",
                                           {"rowId": str(programme["science"]), "colId": "name"}, chosen))
    assert agency_click["url"]["href"] == f"/nhiem-vu?don-vi={programme['science']}&ke-hoach={programme['plan']}"
    section = overview["overview-sections"]["rowData"][0]
    drill = response_of(leader.call("overview-sections.cellClicked", {"rowId": section["row_id"], "colId": "total"},
                                    {**QUARTER_2, **chosen}))
    assert {r["title"] for r in drill["overview-drill"]["rowData"]} == {r[1] for r in PROGRAMME_TASKS[1:]}

    board = response_of(leader.call("overdue-section.value", "all", {"overdue-agency": "all", **chosen}))
    assert [r["title"] for r in board["overdue-board"]["rowData"]] == [f"Nâng cấp mạng truyền số liệu {OTHER}"]
    filters = response_of(leader.call("overdue-ready.data", True, chosen))
    assert [o["label"] for o in filters["overdue-section"]["options"]] == ["Mọi nhóm", "I. Hạ tầng số"]

    agencies = response_of(leader.call("tasks-ready.data", True, chosen))["tasks-agency"]["options"]
    assert {o["label"] for o in agencies} == {"Sở Khoa học và Công nghệ", "Sở Y tế"}
    tasks = response_of(leader.call("tasks-agency.value", programme["science"], {"tasks-narrow": False, **chosen}))
    assert [r["id"] for r in tasks["tasks-grid"]["rowData"]] == [programme["assignment"]]

    targets = response_of(leader.call("indicators-period.value", "2026-Q2", {
        "indicators-kind": "quarter", "indicators-own": False, "indicators-narrow": False, **chosen}))
    assert [r["name"] for r in targets["indicators-grid"]["rowData"]] == [f"Tỷ lệ hồ sơ số hóa {OTHER}"]
    opened = response_of(leader.call("indicators-grid.cellClicked", {"rowId": str(programme["indicator"])}, chosen))
    assert opened["url"]["href"] == f"/chi-tieu/chi-tiet?ma={programme['indicator']}&ke-hoach={programme['plan']}"

    download = response_of(leader.call("overview-export.n_clicks", 1, {**QUARTER_2, **chosen}))
    book = load_workbook(BytesIO(base64.b64decode(download["overview-download"]["data"]["content"])))
    assert book["Phụ lục nhiệm vụ"].max_row == 1 + 1 + 2  # header, one section, two tasks
    assert any(OTHER in str(c.value) for row in book["Phụ lục nhiệm vụ"].iter_rows() for c in row)


def test_the_navbar_lists_the_plans_and_keeps_the_chosen_one_in_its_links(app, programme):
    dash = logged_in(app, "tgv")
    page = response_of(dash.call("url.pathname", "/tong-hop", {"url": plan_search(programme["plan"])}))
    options = page["shell-plan"]["options"]
    assert [o["value"] for o in options] == [str(programme["plan"]), str(programme["annual"])]  # newest first
    assert options[0]["label"] == f"Chương trình chuyển đổi số 2026–2030 {OTHER} (Chương trình)"
    assert page["shell-plan"]["value"] == str(page["shell-plan-shown"]["data"]) == str(programme["plan"])
    links = json.dumps(page["shell-nav"]["children"])
    assert f'"/tong-hop?ke-hoach={programme["plan"]}"' in links and f'"/?ke-hoach={programme["plan"]}"' in links
    assert f'/chi-tieu?ke-hoach={programme["plan"]}' in json.dumps(page["page-content"]["children"])
    plain = response_of(dash.call("url.pathname", "/tong-hop", {}))
    assert plain["shell-plan"]["value"] == str(programme["annual"])
    assert "?ke-hoach" not in json.dumps(plain["shell-nav"])


def choose(dash, value, shown, pathname, search):
    """A pick in the navbar's plan selector, on the page at `pathname` + `search`."""
    payload = dash.payload("shell-plan.value", value, {"shell-plan-shown": shown})
    payload["state"] = [{**item, "value": {"shell-plan-shown": shown, "pathname": pathname, "search": search}.get(
        item["id"] if item["id"] != "url" else item["property"])} for item in payload["state"]]
    return dash.post(payload)


def test_choosing_a_plan_changes_the_url_and_keeps_its_other_parameters(app, programme):
    dash = logged_in(app, "lanhdao")
    href = response_of(choose(dash, str(programme["plan"]), programme["annual"], "/nhiem-vu",
                              f"?don-vi=7&ke-hoach={programme['annual']}"))["url"]["href"]
    assert href == f"/nhiem-vu?don-vi=7&ke-hoach={programme['plan']}"
    up = response_of(choose(dash, programme["plan"], programme["annual"], "/chi-tieu/chi-tiet", "?ma=3"))
    assert up["url"]["href"] == f"/chi-tieu?ke-hoach={programme['plan']}"  # a target belongs to one plan
    unknown_page = response_of(choose(dash, programme["plan"], None, "//evil.example", None))
    assert unknown_page["url"]["href"] == f"/?ke-hoach={programme['plan']}"
    for value, shown in ((str(programme["annual"]), programme["annual"]), (None, 1), ("abc", 1)):
        assert choose(dash, value, shown, "/", "").status_code == 204  # nothing to change


# ---- The province wall for plan ids ---------------------------------------------------------------

SANE = {  # the other inputs of each callback that reads the URL's plan, as a browser sends them
    "home-ready.data": (True, {}),
    "overview-kind.value": ("quarter", {"overview-period": "2026-Q2"}),
    "overview-period.value": ("2026-Q2", {"overview-kind": "quarter"}),
    "overview-export.n_clicks": (1, {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overview-export-word.n_clicks": (1, {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overview-close-confirm.n_clicks": (1, {"overview-kind": "quarter", "overview-period": "2026-Q2",
                                            "overview-refresh": 0}),
    "overview-reopen-confirm.n_clicks": (1, {"overview-kind": "quarter", "overview-period": "2026-Q2",
                                             "overview-reopen-reason": "Sửa số liệu", "overview-refresh": 0}),
    "review-ready.data": (True, {"review-refresh": 0}),
    "review-grid.cellClicked": ({"rowId": "ASSIGNMENT"}, {"review-refresh": 0}),
    "review-confirm.n_clicks": (1, {"review-refresh": 0, "review-grid": []}),
    "review-return.n_clicks": (1, {"review-refresh": 0, "review-grid": [], "review-comment": "Thiếu văn bản"}),
    "overview-agencies.cellClicked": ({"rowId": "3", "colId": "name"}, {}),
    "overview-sections.cellClicked": ({"rowId": "1", "colId": "total"},
                                      {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overview-period.options": ([], {"overview-kind": "quarter", "overview-period": "2026-Q2"}),
    "overview-drill.cellClicked": ({"rowId": "1-1"}, {}),
    "overdue-ready.data": (True, {}),
    "overdue-section.value": ("all", {"overdue-agency": "all"}),
    "tasks-ready.data": (True, {}),
    "tasks-agency.value": ("SCIENCE", {"tasks-narrow": False}),
    "tasks-report-submit.n_clicks": (1, {"tasks-agency": "SCIENCE", "tasks-refresh": 0}),
    "tasks-report-open.n_clicks": (1, {"tasks-agency": "SCIENCE"}),
    "tasks-unchanged.n_clicks": (1, {"tasks-grid": [], "tasks-refresh": 0}),
    "indicators-kind.value": ("quarter", {"indicators-period": "2026-Q2"}),
    "indicators-period.value": ("2026-Q2", {"indicators-kind": "quarter"}),
    "plans-ready.data": (True, {"plans-refresh": 0}),
}
TILE = '{"key":["ALL"],"scope":["ALL"],"type":"overview-tile"}.n_clicks'  # pattern-matching: posted by hand
# Read no plan by the URL: the router refuses a page of another province's plan with a message
# (below); the plan selector only builds a link; a target's page and a click on a target read the
# target's own plan, checked by the target's id (tests/test_province_wall.py).
NOT_PLAN_READERS = {"url.pathname", "shell-plan.value", "indicator-refresh.data", "indicators-grid.cellClicked"}


OWN_PAGES = ("home-", "overview-", "overdue-", "tasks-", "indicators-", "indicator-", "plans-", "shell-", "review-",
             "page-content.", "url.")
# Others get 403 on their own plan too (the question before a report is asked only of who may send it).
SECRETARIAT_WRITES = ("tasks-refresh", "overview-refresh", "review-refresh", "tasks-report-question")


def _plan_readers(dash) -> list[dict]:
    """Every server callback that takes the URL's search."""
    return [d for d in dash.client.get("/_dash-dependencies").get_json()
            if d["clientside_function"] is None
            and any(i["id"] == "url" and i["property"] == "search" for i in d["inputs"] + d["state"])]


def _triggers(dependency: dict) -> set[str]:
    return {f"{i['id']}.{i['property']}" for i in dependency["inputs"]}


def tile_payload(dash, search):
    """A click on the overview's overdue tile, on the page of the plan `search` names."""
    dependency = dash.dependency(TILE)
    tile = {"type": "overview-tile", "scope": "plan", "key": "overdue"}
    state = {"overview-kind": "quarter", "overview-period": "2026-Q2", "url": search}
    return {"output": dependency["output"], "state": [{**s, "value": state.get(s["id"])} for s in dependency["state"]],
            "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                        for p in dependency["output"].strip(".").split("...")],
            "inputs": [[{"id": tile, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(tile, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}


@pytest.mark.parametrize("username", ["tgv", "lanhdao", "admin"])
def test_a_plan_of_another_province_is_refused_by_every_callback_that_reads_it(app, demo_db, programme,
                                                                              two_provinces, username, caplog):
    caplog.set_level(logging.WARNING, logger="cds.security")
    dash = logged_in(app, username)
    readers = _plan_readers(dash)
    own = [d for d in readers if d["output"].strip(".").startswith(OWN_PAGES)]
    for dependency in own:  # a new callback reading the plan must get sane inputs in SANE
        assert _triggers(dependency) & (set(SANE) | NOT_PLAN_READERS | {TILE}), dependency["output"]
    before = fingerprint(demo_db, two_provinces["plan"])
    forged = {"url": plan_search(two_provinces["plan"])}
    for trigger, (value, others) in SANE.items():
        value = programme["science"] if value == "SCIENCE" else value
        value = {"rowId": str(programme["assignment"])} if value == {"rowId": "ASSIGNMENT"} else value
        others = {k: programme["science"] if v == "SCIENCE" else v for k, v in others.items()}
        outputs = [d["output"] for d in own if trigger in _triggers(d)]
        assert outputs, trigger
        for output in outputs:
            if username != "tgv" and any(write in output for write in SECRETARIAT_WRITES):
                continue  # only the secretariat may report, review, close or reopen (their own tests)
            response = dash.call(trigger, value, {**others, **forged}, output=output)
            assert response.status_code == 403, (trigger, output, response.status_code)
            assert MARK not in text_of(response)
            assert dash.call(trigger, value, {**others, "url": plan_search(programme["plan"])},
                             output=output).status_code in (200, 204), (trigger, output)
    for dependency in readers:  # other pages' callbacks (import, editing): never a leak, never a 500
        if dependency not in own:
            trigger = dependency["inputs"][0]
            if not str(trigger["id"]).startswith("{"):
                response = dash.call(f"{trigger['id']}.{trigger['property']}", 1, forged, output=dependency["output"])
                assert response.status_code in (200, 204, 400, 403) and MARK not in text_of(response)
    for search, expected in ((forged["url"], 403), (plan_search(programme["plan"]), 200)):
        assert dash.post(tile_payload(dash, search)).status_code == expected
    assert "refused callback" in caplog.text
    page = response_of(dash.call("url.pathname", "/tong-hop", forged))
    assert page["page-content"]["children"]["props"]["id"] == "shell-forbidden-plan"
    assert page["shell-plan"]["value"] is None and MARK not in json.dumps(page, ensure_ascii=False)
    assert fingerprint(demo_db, two_provinces["plan"]) == before


# ---- Archived plans -------------------------------------------------------------------------------

def test_an_archived_plan_refuses_every_write_with_a_message_and_changes_nothing(app, demo_db, programme):
    archive(demo_db, programme["plan"])
    before = fingerprint(demo_db, programme["plan"])
    message = f"Kế hoạch “Chương trình chuyển đổi số 2026–2030 {OTHER}” đã lưu trữ: chỉ xem, không cập nhật."
    chosen = {"url": plan_search(programme["plan"])}
    with demo_db.read() as s:
        version = s.get(Assignment, programme["assignment"]).version
    for username in ("so-khcn", "tgv"):
        dash = logged_in(app, username)
        saved = response_of(dash.call(SAVE, 1, {"tasks-form-assignment": programme["assignment"],
                                                "tasks-form-version": version, "tasks-form-loaded": {},
                                                "tasks-refresh": 0, **DONE_FORM}))
        assert message in str(saved["tasks-form-alert"]["children"]) and saved["tasks-form-modal"]["is_open"]
        submitted = response_of(dash.call(SUBMIT, 1, {"tasks-agency": programme["science"], "tasks-refresh": 0,
                                                      **chosen}))
        assert submitted["tasks-toast"]["children"] == message
    tgv = logged_in(app, "tgv")
    value = response_of(tgv.call("indicator-form-save.n_clicks", 1, {
        "indicator-id": programme["indicator"], "indicator-form-version": 0, "indicator-form-loaded": {},
        "indicator-refresh": 0, "indicator-form-period": "2026-Q2", "indicator-form-value": "50%"}))
    assert message in str(value["indicator-form-alert"]["children"]) and value["indicator-toast"]["is_open"] is False
    direction = response_of(tgv.call("indicator-direction-save.n_clicks", 1, {
        "indicator-id": programme["indicator"], "indicator-version": 1, "indicator-direction": "lower",
        "indicator-refresh": 0}))
    assert message in str(direction["indicator-alert"]["children"])
    assert fingerprint(demo_db, programme["plan"]) == before
    with demo_db.write() as s, pytest.raises(PlanArchived, match="đã lưu trữ"):
        save_update(s, _actor(s, "so-khcn"), programme["assignment"], version,
                    {k.removeprefix("tasks-form-").replace("-", "_"): v for k, v in DONE_FORM.items()})
    # The annual plan, still open, takes the same agency's writes.
    assert "Đã nộp báo cáo kỳ" in response_of(logged_in(app, "so-khcn").call(
        SUBMIT, 1, {"tasks-refresh": 0}))["tasks-toast"]["children"]


def test_an_archived_plan_is_still_read_shown_read_only_and_exported(app, demo_db, programme):
    archive(demo_db, programme["plan"])
    chosen = {"url": plan_search(programme["plan"])}
    with demo_db.read() as s:
        q2 = plan_rollup(s, s.get(Plan, programme["plan"]), date(2026, 6, 30))
    leader, agency = logged_in(app, "lanhdao"), logged_in(app, "so-khcn")
    page = response_of(leader.call("url.pathname", "/tong-hop", chosen))
    assert "đã lưu trữ: chỉ xem, không cập nhật" in json.dumps(page["page-content"], ensure_ascii=False)
    assert page["shell-plan"]["options"][-1]["label"].endswith("(Chương trình) — đã lưu trữ")  # open plans first
    overview = response_of(leader.call("overview-period.value", "2026-Q2", {**QUARTER_2, **chosen},
                                       output="overview-sentence"))
    assert overview["overview-sentence"]["children"].endswith(report_sentence(q2))
    download = response_of(leader.call("overview-export.n_clicks", 1, {**QUARTER_2, **chosen}))
    book = load_workbook(BytesIO(base64.b64decode(download["overview-download"]["data"]["content"])))
    assert book["Phụ lục nhiệm vụ"].max_row == 4
    tasks = response_of(agency.call("tasks-agency.value", None, {"tasks-narrow": False, **chosen}))
    assert [r["id"] for r in tasks["tasks-grid"]["rowData"]] == [programme["assignment"]]
    assert tasks["tasks-report-submit"]["disabled"] is True
    form = response_of(agency.call(OPEN, {"rowId": str(programme["assignment"]), "colId": "title"}))
    assert form["tasks-form-save"]["disabled"] is True and "đã lưu trữ" in str(form["tasks-form-alert"]["children"])
    detail = response_of(logged_in(app, "tgv").call("indicator-refresh.data", 0,
                                                    {"url": f"?ma={programme['indicator']}"}))
    assert detail["indicator-form-save"]["disabled"] is True
    assert "đã lưu trữ" in str(detail["indicator-form-notice"]["children"])
    assert detail["indicator-direction-box"]["style"] == {"display": "none"}


def toggle_payload(dash, plan_id):
    """A click on one plan's archive/restore button (a pattern-matching input)."""
    dependency = dash.dependency(TOGGLE)
    button = {"type": "plans-toggle", "plan": plan_id}
    return {"output": dependency["output"], "state": [],
            "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                        for p in dependency["output"].strip(".").split("...")],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}


@pytest.mark.parametrize("username, expected", [("tgv", 200), ("admin", 200), ("lanhdao", 403), ("so-khcn", 403),
                                                ("tgv-lc", 403), ("admin-lc", 403)])
def test_archive_and_restore_matrix(app, demo_db, programme, two_provinces, username, expected, caplog):
    caplog.set_level(logging.WARNING, logger="cds.security")
    dependencies = logged_in(app, "tgv").client.get("/_dash-dependencies").get_json()
    dash = logged_in(app, username)
    dash._dependencies = dependencies  # agency users may read the graph; the callbacks refuse them
    asked = dash.post(toggle_payload(dash, programme["plan"]))
    archived = dash.call(ARCHIVE, 1, {"plans-pending": {"plan": programme["plan"], "archive": True},
                                      "plans-refresh": 0})
    assert (asked.status_code, archived.status_code) == (expected, expected)
    with demo_db.read() as s:
        plan = s.get(Plan, programme["plan"])
        logs = s.execute(select(ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value, User.username)
                         .join(User, User.id == ChangeLog.user_id)
                         .where(ChangeLog.entity == "plan", ChangeLog.entity_id == plan.id)).all()
        archived_at = plan.archived_at
    if expected == 403:
        assert archived_at is None and logs == [] and "refused callback" in caplog.text
        return
    confirm = response_of(asked)
    assert confirm["plans-confirm-modal"]["is_open"] is True
    assert confirm["plans-pending"]["data"] == {"plan": programme["plan"], "archive": True}
    assert f"Lưu trữ “Chương trình chuyển đổi số 2026–2030 {OTHER}”" in confirm["plans-confirm-body"]["children"]
    body = response_of(archived)
    assert "Đã lưu trữ kế hoạch" in str(body["plans-alert"]["children"]) and body["plans-refresh"]["data"] == 1
    assert archived_at is not None
    assert [tuple(log) for log in logs] == [("archived_at", None, archived_at.isoformat(), username)]
    again = response_of(dash.post(toggle_payload(dash, programme["plan"])))
    assert again["plans-pending"]["data"]["archive"] is False
    response_of(dash.call(ARCHIVE, 1, {"plans-pending": again["plans-pending"]["data"], "plans-refresh": 1}))
    with demo_db.read() as s:
        assert s.get(Plan, programme["plan"]).archived_at is None
        assert s.scalar(select(func.count(ChangeLog.id)).where(ChangeLog.entity == "plan")) == 2


@pytest.mark.parametrize("forged, expected", [
    ({"plan": "OTHER", "archive": True}, 403), ({"plan": 999999, "archive": True}, 403),
    ({"plan": "1", "archive": True}, 204), ({"plan": "ANNUAL", "archive": "yes"}, 204),
    ({"plan": 2**40, "archive": True}, 204), (None, 204), ("x", 204)])
def test_forged_archive_requests_change_nothing(app, demo_db, programme, two_provinces, forged, expected):
    if isinstance(forged, dict):
        lookup = {"OTHER": two_provinces["plan"], "ANNUAL": programme["annual"]}
        forged = {**forged, "plan": lookup.get(forged["plan"], forged["plan"])}
    dash = logged_in(app, "tgv")
    assert dash.call(ARCHIVE, 1, {"plans-pending": forged, "plans-refresh": 0}).status_code == expected
    assert dash.post(toggle_payload(dash, two_provinces["plan"])).status_code == 403
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Plan.id)).where(Plan.archived_at.is_not(None))) == 0


def test_the_services_refuse_archiving_for_readers_and_other_provinces(demo_db, programme, two_provinces):
    for username in ("lanhdao", "so-khcn", "tgv-lc", "lanhdao-lost"):
        with demo_db.write() as s, pytest.raises(NotAllowed):
            archive_plan(s, _actor(s, username), programme["plan"])
    with demo_db.write() as s:
        assert "Đã lưu trữ" in archive_plan(s, _actor(s, "admin-all"), two_provinces["plan"])
        assert "từ trước" in archive_plan(s, _actor(s, "tgv-lc"), two_provinces["plan"])
        assert "Đã mở lại" in restore_plan(s, _actor(s, "tgv-lc"), two_provinces["plan"])


def test_the_plans_page_lists_the_provinces_plans_for_those_who_may_see_it(app, programme, two_provinces):
    leader = logged_in(app, "lanhdao")
    table = json.dumps(response_of(leader.call("plans-ready.data", True, {"plans-refresh": 0}))["plans-table"],
                       ensure_ascii=False)
    assert "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026" in table and OTHER in table and MARK not in table
    assert f'"/tong-hop?ke-hoach={programme["plan"]}"' in table
    assert '"Lưu trữ"' not in table  # a leader only reads
    secretariat = json.dumps(response_of(logged_in(app, "tgv").call(
        "plans-ready.data", True, {"plans-refresh": 0}))["plans-table"], ensure_ascii=False)
    assert secretariat.count('"Lưu trữ"') == 2
    assert '"children": 92' in secretariat and '"children": 34' in secretariat  # tasks and targets of the annual
    for username, shown in (("so-khcn", "Bạn không có quyền xem trang này."), ("lanhdao", "Kế hoạch của tỉnh")):
        page = response_of(logged_in(app, username).call("url.pathname", "/ke-hoach", {}))
        assert shown in json.dumps(page["page-content"], ensure_ascii=False)
    assert logged_in(app, "so-khcn").call("plans-ready.data", True, {"plans-refresh": 0}).status_code == 403
