"""Báo cáo tuần through its callbacks, with forged requests (QUALITY.md A1, A2, A6, I5): an agency
enters only its own week, leaders and admins only read, only the secretariat writes parts II–V, and
another province's users and plans see nothing."""
from __future__ import annotations

import base64
import json
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import func, select

from models import Agency, AgencyIndicatorValue, ChangeLog, Plan, WeeklyReportNote
from tests.conftest import make_app
from tests.dash_client import DashClient
from tests.test_province_wall import add_lai_chau
from tests.test_weekly import WEEKLY_PLAN_TITLE, demo_db  # noqa: F401 (the demo with its weekly report)

PAGE = "weekly"
WRITES = (f"{PAGE}-save.n_clicks", f"{PAGE}-notes-save.n_clicks")  # the matrices below
VALUE_IDS = json.dumps({"indicator": ["ALL"], "type": f"{PAGE}-value"}, separators=(",", ":"))


@pytest.fixture
def app(demo_db):  # noqa: F811
    return make_app(demo_db)


def logged_in(app, username: str) -> DashClient:
    client = app.server.test_client()
    assert client.post("/login", data={"username": username, "password": "LaoCai@2026"}).status_code == 302
    return DashClient(client)


def response_of(result) -> dict:
    assert result.status_code == 200, result.get_data(as_text=True)[:500]
    return result.get_json()["response"]


def plan_search(db) -> str:
    with db.read() as s:
        return f"?ke-hoach={s.scalar(select(Plan.id).where(Plan.title == WEEKLY_PLAN_TITLE))}"


def agency_id(db, name: str) -> int:
    with db.read() as s:
        return s.scalar(select(Agency.id).where(Agency.name == name))


def form_of(dash, db, agency, period="2025-W05", search=None):
    """The form callback's answer: (indicator ids in order, their values, versions)."""
    response = response_of(dash.call(f"{PAGE}-period.value", period, {
        f"{PAGE}-agency": agency, f"{PAGE}-refresh": 0, "url": search or plan_search(db)}, output=f"{PAGE}-form"))
    versions = response[f"{PAGE}-versions"]["data"]
    return list(versions), versions


def save_payload(dash, db, agency, values: dict, versions: dict, period="2025-W05", search=None) -> dict:
    payload = dash.payload(f"{PAGE}-save.n_clicks", 1, {
        f"{PAGE}-versions": versions, f"{PAGE}-period": period, f"{PAGE}-agency": agency, f"{PAGE}-refresh": 0,
        "url": search or plan_search(db)})
    for state in payload["state"]:
        if state["id"] == VALUE_IDS:
            items = [{"id": {"indicator": int(i), "type": f"{PAGE}-value"}, "property": state["property"]}
                     for i in values]
            index = payload["state"].index(state)
            payload["state"][index] = [{**item, "value": value if state["property"] == "value" else item["id"]}
                                       for item, value in zip(items, values.values())]
    return payload


def stored(db, agency) -> dict:
    with db.read() as s:
        return dict(s.execute(select(AgencyIndicatorValue.indicator_id, AgencyIndicatorValue.value_text).where(
            AgencyIndicatorValue.agency_id == agency, AgencyIndicatorValue.period == "2025-W05")).all())


def test_the_page_opens_on_the_entered_week_with_the_agencys_own_form(app, demo_db):
    dash = logged_in(app, "so-khcn")
    loaded = response_of(dash.call(f"{PAGE}-ready.data", True, {"url": ""}))
    assert loaded[f"{PAGE}-period"]["value"] == "2025-W05"
    science = agency_id(demo_db, "Sở Khoa học và Công nghệ")
    assert loaded[f"{PAGE}-agency"]["options"] == [{"label": "Sở Khoa học và Công nghệ", "value": science}]
    assert loaded[f"{PAGE}-annex-section"]["style"] == {"display": "none"}
    ids, _ = form_of(dash, demo_db, science)
    assert len(ids) == 5  # its annex table's five columns, nothing else


def test_an_agency_enters_its_own_week_and_only_its_own(app, demo_db):
    science, home_affairs = agency_id(demo_db, "Sở Khoa học và Công nghệ"), agency_id(demo_db, "Sở Nội vụ")
    dash = logged_in(app, "so-khcn")
    ids, versions = form_of(dash, demo_db, science)
    values = dict(zip(ids, ["3/4", "99%", "50/58", "-", ""]))
    response = response_of(dash.post(save_payload(dash, demo_db, science, values, versions)))
    assert "Đã lưu số liệu Tuần 05/2025" in json.dumps(response, ensure_ascii=False)
    assert stored(demo_db, science)[int(ids[2])] == "50/58"
    before = stored(demo_db, home_affairs)
    forged = dash.post(save_payload(dash, demo_db, home_affairs, values, versions))  # another agency's week
    assert forged.status_code == 403 and stored(demo_db, home_affairs) == before
    with pytest.raises(AssertionError):  # nor may it read another agency's form
        form_of(dash, demo_db, home_affairs)


def test_an_indicator_that_is_not_the_agencys_is_refused(app, demo_db):
    science, district = agency_id(demo_db, "Sở Khoa học và Công nghệ"), agency_id(demo_db, "UBND huyện Bát Xát")
    tgv = logged_in(app, "tgv")
    district_ids, _ = form_of(tgv, demo_db, district)
    dash = logged_in(app, "so-khcn")
    ids, versions = form_of(dash, demo_db, science)
    foreign = [i for i in district_ids if i not in ids][0]
    forged = save_payload(dash, demo_db, science, {ids[0]: "1/2", foreign: "5"}, {**versions, foreign: 0})
    assert dash.post(forged).status_code == 403
    assert int(ids[0]) not in stored(demo_db, science)


@pytest.mark.parametrize("username", ["lanhdao", "admin"])
def test_leaders_and_admins_read_but_never_enter(app, demo_db, username):
    science = agency_id(demo_db, "Sở Khoa học và Công nghệ")
    dash = logged_in(app, username)
    ids, versions = form_of(dash, demo_db, science)
    before = stored(demo_db, science)
    assert dash.post(save_payload(dash, demo_db, science, {ids[1]: "1%"}, versions)).status_code == 403
    assert stored(demo_db, science) == before
    annex = response_of(dash.call(f"{PAGE}-period.value", "2025-W05", {f"{PAGE}-refresh": 0, "url": plan_search(
        demo_db)}, output=f"{PAGE}-annex"))
    assert "44/58 (dưới mục tiêu)" in json.dumps(annex, ensure_ascii=False)


def test_the_secretariat_enters_on_behalf_and_bad_input_changes_nothing(app, demo_db):
    science = agency_id(demo_db, "Sở Khoa học và Công nghệ")
    dash = logged_in(app, "tgv")
    ids, versions = form_of(dash, demo_db, science)
    before = stored(demo_db, science)
    bad = response_of(dash.post(save_payload(dash, demo_db, science, {ids[2]: "50/0", ids[1]: "abc"}, versions)))
    text = json.dumps(bad, ensure_ascii=False)
    assert "mẫu số phải lớn hơn 0" in text and "không phải là số hợp lệ" in text
    assert stored(demo_db, science) == before
    good = response_of(dash.post(save_payload(dash, demo_db, science, {ids[2]: "58/58"}, versions)))
    assert "Đã lưu" in json.dumps(good, ensure_ascii=False)
    with demo_db.read() as s:
        assert s.scalar(select(ChangeLog.on_behalf_of_agency_id).where(
            ChangeLog.entity == "agency_indicator_value")) == science


def test_only_the_secretariat_writes_parts_two_to_five(app, demo_db):
    def notes_payload(dash, text):
        return dash.payload(f"{PAGE}-notes-save.n_clicks", 1, {
            f"{PAGE}-period": "2025-W05", f"{PAGE}-notes-version": 1, "url": plan_search(demo_db),
            **{f"{PAGE}-note-{name}": text for name in ("key_tasks", "highlights", "next_tasks", "proposals")}})

    for username in ("so-khcn", "lanhdao", "admin"):
        dash = logged_in(app, username)
        assert dash.post(notes_payload(dash, "Giả mạo")).status_code == 403
    dash = logged_in(app, "tgv")
    saved = response_of(dash.post(notes_payload(dash, "Kiến nghị mới")))
    assert "Đã lưu nội dung báo cáo Tuần 05/2025" in json.dumps(saved, ensure_ascii=False)
    with demo_db.read() as s:
        assert s.scalar(select(WeeklyReportNote.proposals)) == "Kiến nghị mới"


def test_the_annex_page_downloads_the_weekly_report(app, demo_db):
    dash = logged_in(app, "so-khcn")
    payload = dash.payload(f"{PAGE}-export.n_clicks", 1, {f"{PAGE}-period": "2025-W05", "url": plan_search(demo_db)})
    assert dash.post(payload).status_code == 403
    dash = logged_in(app, "lanhdao")
    download = response_of(dash.post(dash.payload(f"{PAGE}-export.n_clicks", 1, {
        f"{PAGE}-period": "2025-W05", "url": plan_search(demo_db)})))[f"{PAGE}-download"]["data"]
    assert download["filename"] == "bao-cao-cds-tuan-2025-W05.docx"
    document = Document(BytesIO(base64.b64decode(download["content"])))
    assert document.tables[1].rows[13].cells[3].text == "660 / 660 → 100%"


def test_another_province_sees_nothing(app, demo_db, tmp_path):
    add_lai_chau(demo_db, tmp_path)
    science = agency_id(demo_db, "Sở Khoa học và Công nghệ")
    for username in ("tgv-lc", "lanhdao-lc", "khcn-lc"):
        dash = logged_in(app, username)
        assert dash.call(f"{PAGE}-ready.data", True, {"url": plan_search(demo_db)}).status_code == 403
        loaded = response_of(dash.call(f"{PAGE}-ready.data", True, {"url": ""}))
        assert loaded[f"{PAGE}-agency"]["options"] == []  # Lai Châu has no weekly plan
    dash = logged_in(app, "tgv-lc")
    before = stored(demo_db, science)
    forged = save_payload(dash, demo_db, science, {"1": "1"}, {"1": 0})
    assert dash.post(forged).status_code == 403 and stored(demo_db, science) == before
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(WeeklyReportNote)) == 1
