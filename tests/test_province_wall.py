"""The province is a wall (QUALITY.md A6, issue 11 finding 2): with a second province loaded, no
role of one province reads or writes the other's tasks, submissions, history, targets or exports,
whatever ids it forges; a user without a province sees nothing unless it is an admin by choice."""
import base64
import json
import logging
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import (
    Agency,
    Assignment,
    ChangeLog,
    Indicator,
    IndicatorValue,
    Plan,
    Province,
    ReportSubmission,
    Task,
    User,
)
from services.accounts.users import create_user
from services.indicators.updates import save_value
from services.plans.agencies import find_province
from services.plans.demo import DEMO_PASSWORD
from services.tasks.submissions import submit_report
from services.tasks.updates import save_update
from tests.conftest import make_app
from tests.dash_client import DashClient
from tests.test_import import write_csv
from tests.test_tasks_callbacks import DONE_FORM, OPEN, SAVE, SUBMIT, response_of

MARK = "LAICHAU"  # in every text of the second province, so a leak shows in any response
LAI_CHAU_TASKS = [
    ["I", "Nhận thức số", "", "", "", "", "", "", ""],
    ["1", f"Truyền thông {MARK}", f"Sở Khoa học {MARK}", "", "Quý I/2026", "Tài liệu", "", "", ""],
    ["2", f"Ban hành quy chế {MARK}", f"Sở Tư pháp {MARK}", "", "Quý II/2026", "Quy chế", "", "", ""],
]
LAO_CAI_ROLES = ["tgv", "lanhdao", "admin", "so-khcn"]


def _run(db, *args):
    return make_app(db).server.test_cli_runner().invoke(args=list(args))


def _actor(session, username):
    from web.auth import actor_from_user
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


@pytest.fixture
def two_provinces(demo_db, tmp_path):
    return add_lai_chau(demo_db, tmp_path)


def add_lai_chau(demo_db, tmp_path) -> dict:
    """The demo's Lào Cai plus Lai Châu: a plan, two agencies, its own accounts, a saved update with
    history, a report submission and a target with a value."""
    path = write_csv(tmp_path / "lai_chau.csv", LAI_CHAU_TASKS)
    created = _run(demo_db, "import-plan", str(path), "--province", "Lai Châu", "--year", "2026",
                   "--title", f"Kế hoạch CĐS tỉnh Lai Châu năm 2026 {MARK}", "--cadence", "quarterly",
                   "--deadline-day", "5", "--create-agencies")
    assert created.exit_code == 0, created.output
    plan_id = json.loads(created.output)["plan_id"]
    with demo_db.write() as s:
        plan = s.get(Plan, plan_id)
        science = s.scalar(select(Agency).where(Agency.province_id == plan.province_id,
                                                Agency.name == f"Sở Khoa học {MARK}"))
        for username, role in (("tgv-lc", "secretariat"), ("lanhdao-lc", "leader"), ("admin-lc", "admin")):
            create_user(s, username, role, DEMO_PASSWORD, full_name=f"{role} {MARK}", province_id=plan.province_id)
        create_user(s, "khcn-lc", "agency", DEMO_PASSWORD, full_name=f"Đầu mối {MARK}", agency=science)
        create_user(s, "admin-all", "admin", DEMO_PASSWORD, full_name="Quản trị mọi tỉnh", province_id=None)
        create_user(s, "lanhdao-lost", "leader", DEMO_PASSWORD, province_id=plan.province_id).province_id = None
        indicator = Indicator(plan_id=plan.id, stt="1", position=1, name=f"Chỉ tiêu {MARK}", target_text="Có")
        s.add(indicator)
        s.flush()
        ids = {"plan": plan_id, "agency": science.id, "indicator": indicator.id,
               "assignment": s.scalar(select(Assignment.id).where(Assignment.agency_id == science.id))}
    with demo_db.write() as s:
        assignment = s.get(Assignment, ids["assignment"])
        form = {k.removeprefix("tasks-form-").replace("-", "_"): v for k, v in DONE_FORM.items()}
        result = save_update(s, _actor(s, "khcn-lc"), assignment.id, assignment.version,
                             {**form, "note": f"Ghi chú {MARK}", "completed_on": "20/03/2026"},
                             when=datetime(2026, 3, 20, 9))
        assert result.message == "Đã lưu cập nhật.", result
        value = save_value(s, _actor(s, "tgv-lc"), ids["indicator"], 0,
                           {"period": "2026-Q1", "value": "Có", "source_note": f"Nguồn {MARK}"},
                           when=datetime(2026, 4, 2, 9))
        assert not value.errors, value
    with demo_db.write() as s:
        submit_report(s, _actor(s, "khcn-lc"), s.get(Plan, plan_id), ids["agency"], datetime(2026, 3, 21, 9))
    with demo_db.read() as s:
        ids["version"] = s.get(Assignment, ids["assignment"]).version
    return ids


def _fingerprint(db, ids):
    """Everything of the second province a write could touch: its assignment, its submissions,
    its target's values and every change-log row about them."""
    with db.read() as s:
        a = s.get(Assignment, ids["assignment"])
        submissions = s.execute(select(ReportSubmission.id, ReportSubmission.version)
                                .where(ReportSubmission.plan_id == ids["plan"])).all()
        values = s.execute(select(IndicatorValue.id, IndicatorValue.version)
                           .where(IndicatorValue.indicator_id == ids["indicator"])).all()
        touched = {("assignment", ids["assignment"]), ("indicator", ids["indicator"])} \
            | {("report_submission", sid) for sid, _ in submissions} | {("indicator_value", vid) for vid, _ in values}
        logs = [row for row in s.execute(select(ChangeLog.entity, ChangeLog.entity_id, ChangeLog.id))
                if (row.entity, row.entity_id) in touched]
        return (a.version, a.status, a.note, sorted(submissions), sorted(values), sorted(logs))


def text_of(response) -> str:
    """The response as a person would read it (Dash escapes non-ASCII in its JSON)."""
    body = response.get_json(silent=True)
    return json.dumps(body, ensure_ascii=False) if body is not None else response.get_data(as_text=True)


def logged_in(app, username):
    client = app.server.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username
    return DashClient(client)


# ---- Targeted: the attack's findings ------------------------------------------------------------

@pytest.mark.parametrize("username", LAO_CAI_ROLES)
def test_other_province_assignment_cannot_be_opened_or_its_history_read(app, demo_db, two_provinces, caplog,
                                                                        username):
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = logged_in(app, username).call(OPEN, {"rowId": str(two_provinces["assignment"]), "colId": "title"})
    assert response.status_code == 403
    assert MARK not in text_of(response)
    assert "refused callback" in caplog.text


@pytest.mark.parametrize("username", ["tgv", "lanhdao", "admin"])
def test_other_province_agency_cannot_be_listed_or_loaded(app, two_provinces, username):
    dash = logged_in(app, username)
    options = response_of(dash.call("tasks-ready.data", True))["tasks-agency"]["options"]
    assert options and two_provinces["agency"] not in {o["value"] for o in options}
    assert all(MARK not in o["label"] for o in options)
    response = dash.call("tasks-agency.value", two_provinces["agency"], {"tasks-narrow": False})
    assert response.status_code == 403 and MARK not in text_of(response)


def test_secretariat_cannot_save_or_submit_for_another_province(app, demo_db, two_provinces):
    before = _fingerprint(demo_db, two_provinces)
    dash = logged_in(app, "tgv")
    saved = dash.call(SAVE, 1, {"tasks-form-assignment": two_provinces["assignment"],
                                "tasks-form-version": two_provinces["version"], "tasks-form-loaded": {},
                                "tasks-refresh": 0, **DONE_FORM, "tasks-form-note": "ghi đè"})
    submitted = dash.call(SUBMIT, 1, {"tasks-agency": two_provinces["agency"], "tasks-refresh": 0})
    assert (saved.status_code, submitted.status_code) == (403, 403)
    assert _fingerprint(demo_db, two_provinces) == before


def test_each_province_sees_its_own_plan_on_every_province_view(app, two_provinces):
    for username, other in (("tgv", MARK), ("tgv-lc", "Sở Y tế")):
        dash = logged_in(app, username)
        overview = dash.call("overview-period.value", "2026-Q2", {"overview-kind": "quarter"},
                             output="overview-sentence")
        overdue = dash.call("overdue-section.value", "all", {"overdue-agency": "all"})
        indicators = dash.call("indicators-period.value", "2026-Q2", {"indicators-kind": "quarter"})
        for response in (overview, overdue, indicators):
            assert response.status_code == 200 and other not in text_of(response), username
        if username == "tgv-lc":
            assert f"Ban hành quy chế {MARK}" in text_of(overdue) and f"Chỉ tiêu {MARK}" in text_of(indicators)
    lai_chau = logged_in(app, "tgv-lc").call("tasks-ready.data", True)
    assert {o["value"] for o in response_of(lai_chau)["tasks-agency"]["options"]} >= {two_provinces["agency"]}


def test_exports_carry_only_the_users_province(app, two_provinces):
    for username, leaked in (("tgv", MARK), ("tgv-lc", "Sở Y tế")):
        response = logged_in(app, username).call("overview-export.n_clicks", 1, {
            "overview-kind": "quarter", "overview-period": "2026-Q2"})
        payload = response_of(response)["overview-download"]["data"]
        book = load_workbook(BytesIO(base64.b64decode(payload["content"])))
        cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
        assert cells and not any(leaked in c for c in cells), username


def test_user_without_a_province_sees_nothing_unless_an_admin_by_choice(app, two_provinces):
    lost = logged_in(app, "lanhdao-lost")
    assert response_of(lost.call("tasks-ready.data", True))["tasks-agency"]["options"] == []
    assert lost.call(OPEN, {"rowId": str(two_provinces["assignment"])}).status_code == 403
    everywhere = logged_in(app, "admin-all")
    form = response_of(everywhere.call(OPEN, {"rowId": str(two_provinces["assignment"])}))
    assert MARK in str(form["tasks-form-history"]["children"]) or MARK in str(form["tasks-form-task"])
    assert form["tasks-form-save"]["disabled"] is True  # an admin reads, never writes


def test_indicator_of_another_province_is_refused(app, demo_db, two_provinces):
    for username in LAO_CAI_ROLES:
        dash = logged_in(app, username)
        response = dash.call("indicators-grid.cellClicked", {"rowId": str(two_provinces["indicator"])})
        assert response.status_code == 403, username


# ---- The sweep: every callback, every Lào Cai role, every forged id of Lai Châu -----------------

def _forgeries(ids):
    return [ids["assignment"], str(ids["assignment"]), ids["agency"], ids["indicator"], ids["plan"],
            {"rowId": str(ids["assignment"]), "colId": "title"}, {"rowId": str(ids["indicator"])},
            f"?ma={ids['indicator']}", f"?don-vi={ids['agency']}", f"?ke-hoach={ids['plan']}"]


@pytest.mark.parametrize("username", LAO_CAI_ROLES)
def test_every_callback_with_every_forged_id_leaks_and_changes_nothing(app, demo_db, two_provinces, username):
    before = _fingerprint(demo_db, two_provinces)
    dash = logged_in(app, username)
    # Pattern-matching callbacks (the overview's tiles) take no id of anything: they are left out.
    dependencies = [d for d in dash.client.get("/_dash-dependencies").get_json() if d["clientside_function"] is None
                    and not any(str(i["id"]).startswith("{") for i in d["inputs"] + d["state"])]
    assert len(dependencies) > 15
    posted = 0
    for dependency in dependencies:
        trigger = dependency["inputs"][0]
        key = f"{trigger['id']}.{trigger['property']}"
        for forged in _forgeries(two_provinces):
            every = {item["id"]: forged for item in dependency["inputs"] + dependency["state"]}
            response = dash.post(dash.payload(key, forged, every, output=dependency["output"]))
            posted += 1
            assert response.status_code in (200, 204, 400, 403), (dependency["output"], forged, response.status_code)
            assert MARK not in text_of(response), (dependency["output"], forged)
    assert posted >= 15 * len(_forgeries(two_provinces))
    assert _fingerprint(demo_db, two_provinces) == before


# ---- Accounts: every non-admin user belongs to one province --------------------------------------

def test_create_user_needs_a_known_province_when_there_are_several(demo_db, two_provinces):
    typo = _run(demo_db, "create-user", "x1", "--role", "leader", "--province", "Lao Kai", "--password", "MatKhau123")
    assert typo.exit_code == 1 and "Không có tỉnh “Lao Kai”" in typo.output and "Lào Cai" in typo.output
    unnamed = _run(demo_db, "create-user", "x2", "--role", "secretariat", "--password", "MatKhau123")
    assert unnamed.exit_code == 1 and "--province" in unnamed.output
    ok = _run(demo_db, "create-user", "x3", "--role", "leader", "--province", "lai chau", "--password", "MatKhau123")
    assert ok.exit_code == 0 and "tỉnh Lai Châu" in ok.output
    not_admin = _run(demo_db, "create-user", "x4", "--role", "leader", "--all-provinces", "--password", "MatKhau123")
    assert not_admin.exit_code == 1
    admin = _run(demo_db, "create-user", "x5", "--role", "admin", "--all-provinces", "--password", "MatKhau123")
    assert admin.exit_code == 0 and "mọi tỉnh" in admin.output
    agency = _run(demo_db, "create-user", "x6", "--role", "agency", "--agency", "so y te", "--password", "MatKhau123")
    assert agency.exit_code == 0
    with demo_db.read() as s:
        users = {u.username: u.province_id for u in s.scalars(select(User).where(User.username.in_(["x1", "x2", "x3", "x4", "x5", "x6"])))}
        lao_cai, lai_chau = find_province(s, "Lào Cai").id, find_province(s, "Lai Châu").id
    assert users == {"x3": lai_chau, "x5": None, "x6": lao_cai}


def test_the_service_refuses_a_provinceless_non_admin(empty_db):
    from services.accounts.users import UserError
    with empty_db.write() as s:
        s.add(Province(name="Lào Cai"))
        s.flush()
        with pytest.raises(UserError, match="phải thuộc một tỉnh"):
            create_user(s, "ld", "leader", DEMO_PASSWORD, province_id=None)
        assert create_user(s, "root", "admin", DEMO_PASSWORD, province_id=None).province_id is None
    with empty_db.read() as s:
        assert s.scalar(select(func.count(Task.id))) == 0
