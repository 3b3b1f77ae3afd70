"""The workspace callbacks as HTTP endpoints (QUALITY.md A1, A2, I1, I5): real and forged posts
through Flask's test client, with the database checked after each."""
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Agency, Assignment, ChangeLog, ReportSnapshot, ReportSubmission, Task
from services.plans.demo import DEMO_PASSWORD
from tests.conftest import make_app
from tests.dash_client import DashClient

SAVE, OPEN, SUBMIT, LOAD = "tasks-form-save.n_clicks", "tasks-grid.cellClicked", \
    "tasks-report-submit.n_clicks", "tasks-agency.value"
LINKED = "tasks-linked.data"  # "?phan-cong=ID": a reminder's link opens that assignment's form
UNCHANGED = "tasks-unchanged.n_clicks"  # the ticked rows reported "Không thay đổi trong kỳ"
ASK = "tasks-report-open.n_clicks"  # "Nộp báo cáo kỳ": the question before the report goes
DONE_FORM = {"tasks-form-status": "done", "tasks-form-progress": 100, "tasks-form-completed-on": "",
             "tasks-form-result": "Quyết định số 788/QĐ-UBND ngày 15/04/2026", "tasks-form-delay-reason": "",
             "tasks-form-note": "Đã ban hành"}


def logged_in(app, username):
    """A DashClient for `username`, or for an anonymous visitor (username None)."""
    client = app.server.test_client()
    if username is None:
        return DashClient(client, dependencies=logged_in(app, "tgv").client.get("/_dash-dependencies").get_json())
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return DashClient(client)


def ids(db, agency_code, stt):
    with db.read() as s:
        row = s.execute(select(Assignment.id, Assignment.version, Assignment.agency_id).join(Task)
                        .join(Agency, Agency.id == Assignment.agency_id)
                        .where(Agency.code == agency_code, Task.stt == stt)).one()
    return row


def state_of(db, assignment_id):
    with db.read() as s:
        a = s.get(Assignment, assignment_id)
        logs = s.scalar(select(func.count(ChangeLog.id)))
        return a.version, a.status, a.note, logs


def save(dash, assignment_id, version, form=None):
    return dash.call(SAVE, 1, {"tasks-form-assignment": assignment_id, "tasks-form-version": version,
                               "tasks-form-loaded": {}, "tasks-refresh": 0, **(form or DONE_FORM)})


def response_of(result):
    assert result.status_code == 200, result.get_data(as_text=True)[:300]
    return result.get_json()["response"]


# ---- Reading -------------------------------------------------------------------------------------

def test_agency_user_gets_its_own_rows_whatever_agency_it_asks_for(app, demo_db):
    own, other = ids(demo_db, "so-y-te", "89"), ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, "so-y-te")
    body = response_of(dash.call(LOAD, other.agency_id, {"tasks-narrow": False}))
    rows = body["tasks-grid"]["rowData"]
    with demo_db.read() as s:
        expected = set(s.scalars(select(Assignment.id).where(Assignment.agency_id == own.agency_id)))
    assert {r["id"] for r in rows} == expected and other.id not in expected
    assert body["tasks-heading"]["children"] == "Đơn vị: Sở Y tế"
    assert body["tasks-report-submit"]["disabled"] is False


@pytest.mark.parametrize("username, can_write", [("tgv", True), ("lanhdao", False), ("admin", False)])
def test_other_roles_choose_an_agency_and_only_the_secretariat_writes(app, demo_db, username, can_write):
    target = ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, username)
    options = response_of(dash.call("tasks-ready.data", True))["tasks-agency"]["options"]
    assert {"label": "Sở Khoa học và Công nghệ", "value": target.agency_id} in options
    body = response_of(dash.call(LOAD, target.agency_id, {"tasks-narrow": True}))
    assert target.id in {r["id"] for r in body["tasks-grid"]["rowData"]}
    assert [c.get("field", c.get("colId")) for c in body["tasks-grid"]["columnDefs"]] == ["stt", "title", "where"]
    assert body["tasks-report-submit"]["disabled"] is (not can_write)
    form = response_of(dash.call(OPEN, {"rowId": str(target.id), "colId": "title"}))
    assert form["tasks-form-modal"]["is_open"] is True
    assert form["tasks-form-save"]["disabled"] is (not can_write)


@pytest.mark.parametrize("username", ["tgv", "lanhdao"])
def test_before_an_agency_is_chosen_the_page_shows_where_the_plan_stands(app, demo_db, username):
    dash = logged_in(app, username)
    body = response_of(dash.call(LOAD, None, {"tasks-narrow": True}))
    assert body["tasks-heading"]["children"] == "Chọn một đơn vị để xem nhiệm vụ."
    assert body["tasks-grid"]["rowData"] == []
    line = str(body["tasks-report"]["children"])  # the demo plan's 92 tasks, as the home page counts them
    assert "Toàn kế hoạch" in line and "Đã hoàn thành: 00/92 nhiệm vụ." in line


@pytest.mark.parametrize("row_id", ["OTHER", "abc", None, "-1", "999999", {"x": 1}])
def test_opening_someone_elses_or_a_forged_row_is_refused(app, demo_db, caplog, row_id):
    other = ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, "so-y-te")
    cell = {"rowId": str(other.id) if row_id == "OTHER" else row_id, "colId": "title"}
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = dash.call(OPEN, cell)
    if row_id is None:
        assert response.status_code == 204  # nothing clicked: no update
        return
    assert response.status_code == 403
    assert "refused callback" in caplog.text and "so-y-te" in caplog.text


def test_a_link_naming_an_assignment_opens_its_form_as_a_click_on_its_row(app, demo_db):
    own = ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, "so-khcn")
    loaded = response_of(dash.call("tasks-ready.data", True, {"url": f"?phan-cong={own.id}"}))
    assert loaded["tasks-linked"]["data"] == str(own.id)
    opened = response_of(dash.call(LINKED, loaded["tasks-linked"]["data"]))
    clicked = response_of(dash.call(OPEN, {"rowId": str(own.id), "colId": "title"}))
    assert opened["tasks-form-modal"]["is_open"] is True and opened["tasks-form-assignment"]["data"] == own.id
    assert opened == clicked
    assert response_of(dash.call("tasks-ready.data", True, {"url": ""}))["tasks-linked"]["data"] is None
    assert dash.call(LINKED, None).status_code == 204  # no link: nothing opens


def test_a_click_on_the_tick_box_ticks_and_enter_there_opens_the_row(app, demo_db):
    """A keyboard user's first cell in the grid is the tick box: Enter opens the row, Space (AG Grid) ticks."""
    own = ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, "so-khcn")
    tick_box = {"rowId": str(own.id), "colId": "ag-Grid-SelectionColumn"}
    assert dash.call(OPEN, tick_box).status_code == 204
    assert dash.call(OPEN, {**tick_box, "key": " "}).status_code == 204
    opened = response_of(dash.call(OPEN, {**tick_box, "key": "Enter"}))
    assert opened["tasks-form-modal"]["is_open"] is True and opened["tasks-form-assignment"]["data"] == own.id


@pytest.mark.parametrize("linked", ["OTHER", "abc", "-1", "999999", "1e3"])
def test_a_link_to_someone_elses_or_a_forged_assignment_opens_nothing(app, demo_db, caplog, linked):
    other = ids(demo_db, "so-khcn", "4")
    dash = logged_in(app, "so-y-te")
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = dash.call(LINKED, str(other.id) if linked == "OTHER" else linked)
    assert response.status_code == 403
    assert "refused callback" in caplog.text and "so-y-te" in caplog.text


def test_history_is_shown_to_whoever_may_see_the_agency(app, demo_db):
    target = ids(demo_db, "so-khcn", "4")
    response_of(save(logged_in(app, "tgv"), target.id, target.version))
    form = response_of(logged_in(app, "lanhdao").call(OPEN, {"rowId": str(target.id)}))
    history = str(form["tasks-form-history"]["children"])
    assert "Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ) (thay mặt Sở Khoa học và Công nghệ)" in history
    assert "Chưa thực hiện" in history and "Đã hoàn thành" in history
    assert form["tasks-form-version"]["data"] == 2


# ---- Writing: the role × ownership matrix (A2) -----------------------------------------------

@pytest.mark.parametrize("username, owner, expected", [
    ("so-khcn", "so-khcn", 200), ("so-khcn", "so-y-te", 403), ("so-y-te", "so-y-te", 200),
    ("tgv", "so-y-te", 200), ("tgv", "so-khcn", 200), ("lanhdao", "so-khcn", 403), ("admin", "so-y-te", 403),
    (None, "so-khcn", 401),
])
def test_save_matrix(app, demo_db, caplog, username, owner, expected):
    target = ids(demo_db, owner, "89" if owner == "so-y-te" else "4")
    before = state_of(demo_db, target.id)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = save(logged_in(app, username), target.id, target.version)
    assert response.status_code == expected
    after = state_of(demo_db, target.id)
    if expected == 200:
        assert response.get_json()["response"]["tasks-form-modal"]["is_open"] is False
        assert after[:3] == (target.version + 1, "done", "Đã ban hành")
        with demo_db.read() as s:
            behalf = set(s.scalars(select(ChangeLog.on_behalf_of_agency_id).where(ChangeLog.entity_id == target.id)))
        assert behalf == ({target.agency_id} if username == "tgv" else {None})
    else:
        assert after == before
        if expected == 403:
            assert "refused callback" in caplog.text


@pytest.mark.parametrize("username, asks_for, expected, reported_for", [
    ("so-khcn", "so-khcn", 200, "so-khcn"),
    ("so-y-te", "so-khcn", 200, "so-y-te"),  # the agency asked for is ignored: it reports for itself
    ("tgv", "so-khcn", 200, "so-khcn"), ("tgv", None, 403, None),
    ("lanhdao", "so-khcn", 403, None), ("admin", "so-khcn", 403, None), (None, "so-khcn", 401, None),
])
def test_submit_matrix(app, demo_db, username, asks_for, expected, reported_for):
    agency_id = ids(demo_db, asks_for, "4" if asks_for == "so-khcn" else "89").agency_id if asks_for else None
    response = logged_in(app, username).call(SUBMIT, 1, {"tasks-agency": agency_id, "tasks-refresh": 3})
    assert response.status_code == expected
    with demo_db.read() as s:
        reported = s.scalars(select(Agency.code).join(ReportSubmission, ReportSubmission.agency_id == Agency.id)).all()
    assert reported == ([reported_for] if reported_for else [])
    if expected == 200:
        body = response.get_json()["response"]
        assert body["tasks-refresh"]["data"] == 4
        assert body["tasks-toast"]["children"].startswith("Đã nộp báo cáo kỳ Tháng ")


def test_secretariat_cannot_submit_for_a_group(app, demo_db, caplog):
    """Issue 11, finding 10: a group ("Các sở, ngành") leads nothing itself, so it reports nothing."""
    with demo_db.read() as s:
        group = s.scalar(select(Agency.id).where(Agency.kind == "group", Agency.name == "Các sở, ngành"))
    assert group is not None
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = logged_in(app, "tgv").call(SUBMIT, 1, {"tasks-agency": group, "tasks-refresh": 0})
    assert response.status_code == 403 and "has no assignment in plan" in caplog.text
    with demo_db.read() as s:
        assert s.scalar(select(func.count(ReportSubmission.id))) == 0


def test_resubmitting_the_same_report_writes_nothing(app, demo_db):
    """Issue 11, finding 5: each click used to copy the whole snapshot twice into the change log."""
    dash = logged_in(app, "so-khcn")
    first = response_of(dash.call(SUBMIT, 1, {"tasks-refresh": 0}))
    assert first["tasks-toast"]["children"].startswith("Đã nộp báo cáo kỳ Tháng ")

    def stored():
        with demo_db.read() as s:
            return (s.scalar(select(func.count(ChangeLog.id))), s.scalar(select(func.count(ReportSnapshot.id))),
                    s.scalar(select(func.max(ReportSubmission.version))),
                    s.scalars(select(ChangeLog.new_value).where(ChangeLog.field == "snapshot")).all())
    before = stored()
    for clicks in range(2, 12):
        again = response_of(dash.call(SUBMIT, clicks, {"tasks-refresh": 1}))
        assert "nội dung không thay đổi nên không nộp lại" in again["tasks-toast"]["children"]
        assert "tasks-refresh" not in again  # nothing to reload
    assert stored() == before
    assert before[1] == 1 and [len(v) for v in before[3]] == [64]  # the log names the snapshot by its digest


@pytest.mark.parametrize("username, owner, expected", [
    ("so-khcn", "so-khcn", 200), ("so-khcn", "so-y-te", 403), ("so-y-te", "so-y-te", 200),
    ("tgv", "so-y-te", 200), ("tgv", "so-khcn", 200), ("lanhdao", "so-khcn", 403), ("admin", "so-y-te", 403),
    (None, "so-khcn", 401),
])
def test_unchanged_matrix(app, demo_db, caplog, username, owner, expected):
    target = ids(demo_db, owner, "6")
    before = state_of(demo_db, target.id)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = logged_in(app, username).call(UNCHANGED, 1, {
            "tasks-grid": [{"id": target.id, "version": target.version, "title": "…"}], "tasks-refresh": 2})
    assert response.status_code == expected
    with demo_db.read() as s:
        logged = s.execute(select(ChangeLog.field, ChangeLog.new_value, ChangeLog.on_behalf_of_agency_id)
                           .where(ChangeLog.entity_id == target.id, ChangeLog.entity == "assignment")).all()
    if expected == 200:
        body = response.get_json()["response"]
        assert body["tasks-toast"]["children"].startswith("Đã ghi nhận 1 nhiệm vụ không thay đổi trong kỳ Tháng ")
        assert body["tasks-refresh"]["data"] == 3 and body["tasks-grid"]["selectedRows"] == []
        assert state_of(demo_db, target.id)[0] == target.version + 1
        assert [tuple(row)[0] for row in logged] == ["unchanged"]
        assert logged[0][2] == (target.agency_id if username == "tgv" else None)
    else:
        assert state_of(demo_db, target.id) == before and logged == []
        if expected == 403:
            assert "refused callback" in caplog.text


def test_unchanged_with_a_row_needing_a_reason_saves_nothing_and_says_why(app, demo_db):
    fine, overdue = ids(demo_db, "so-khcn", "6"), ids(demo_db, "so-khcn", "4")
    before = [state_of(demo_db, fine.id), state_of(demo_db, overdue.id)]
    body = response_of(logged_in(app, "so-khcn").call(UNCHANGED, 1, {"tasks-grid": [
        {"id": fine.id, "version": fine.version}, {"id": overdue.id, "version": overdue.version}], "tasks-refresh": 0}))
    assert "STT 4: Nhiệm vụ đã quá hạn: cần nêu lý do" in body["tasks-toast"]["children"]
    assert "tasks-refresh" not in body and "tasks-grid" not in body  # the ticks stay, to be corrected
    assert [state_of(demo_db, fine.id), state_of(demo_db, overdue.id)] == before


@pytest.mark.parametrize("selected", [None, "6", [1, 2], [{"id": {"x": 1}}], [{"id": "1 OR 1=1", "version": 1}],
                                      {"id": 1}, [{"id": 2**40, "version": 1}]])
def test_forged_selections_change_nothing(app, demo_db, selected):
    before = state_of(demo_db, ids(demo_db, "so-khcn", "6").id)
    response = logged_in(app, "so-khcn").call(UNCHANGED, 1, {"tasks-grid": selected, "tasks-refresh": 0})
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert "Chưa chọn nhiệm vụ nào" in response.get_json()["response"]["tasks-toast"]["children"]
    assert state_of(demo_db, ids(demo_db, "so-khcn", "6").id) == before


@pytest.mark.parametrize("username, expected", [("so-khcn", 200), ("tgv", 200), ("lanhdao", 403), ("admin", 403),
                                                (None, 401)])
def test_the_question_before_submitting_says_how_many_are_not_updated(app, demo_db, username, expected):
    target = ids(demo_db, "so-khcn", "4")
    if expected == 200:
        response_of(save(logged_in(app, "so-khcn"), target.id, target.version))
    response = logged_in(app, username).call(ASK, 1, {"tasks-agency": target.agency_id})
    assert response.status_code == expected
    if expected == 200:
        body = response.get_json()["response"]
        assert body["tasks-report-modal"]["is_open"] is True
        assert "còn 56/57 nhiệm vụ chưa cập nhật trong kỳ này" in str(body["tasks-report-question"]["children"])
    with demo_db.read() as s:
        assert s.scalar(select(func.count(ReportSubmission.id))) == 0  # asking submits nothing


def test_rows_offer_a_tick_box_only_to_those_who_may_report(app, demo_db):
    target = ids(demo_db, "so-khcn", "4")
    response_of(save(logged_in(app, "so-khcn"), target.id, target.version))  # task 4 done
    for username, writes in (("so-khcn", True), ("tgv", True), ("lanhdao", False)):
        rows = response_of(logged_in(app, username).call(LOAD, target.agency_id, {"tasks-narrow": False}))[
            "tasks-grid"]["rowData"]
        assert {r["stt"] for r in rows if r["selectable"]} == ({r["stt"] for r in rows} - {"4"} if writes else set())


def test_the_count_line_names_the_filters_and_says_when_nothing_is_left():
    from layouts.tasks import count_text
    assert count_text(3, 57, {"needs_update", "overdue"}, True, 40).startswith(
        "Hiển thị 3/57 nhiệm vụ (lọc: chưa cập nhật kỳ này, quá hạn). Bấm một dòng để cập nhật")
    assert count_text(0, 57, {"needs_update"}, True, 40).startswith("Hiển thị 0/57 nhiệm vụ")  # a search: not "none left"
    assert count_text(0, 57, {"needs_update"}, False, 0).startswith("Không còn nhiệm vụ nào chưa cập nhật")
    assert count_text(57, 57, set(), False, 0) == "Hiển thị 57/57 nhiệm vụ. Bấm một dòng để xem."


def test_the_page_opens_on_what_the_agency_has_left_to_update(app, demo_db):
    agency, leader = logged_in(app, "so-khcn"), logged_in(app, "lanhdao")
    first = response_of(agency.call("tasks-ready.data", True, {"url": ""}))
    assert (first["tasks-flags"]["value"], first["tasks-status"]["value"]) == (["needs_update"], "all")
    assert response_of(leader.call("tasks-ready.data", True, {"url": ""}))["tasks-flags"]["value"] == []
    for search, flags, status in (("?loc=qua-han", ["overdue"], "all"), ("?loc=tat-ca", [], "all"),
                                  ("?tinh-trang=done", [], "done"), ("?loc=bad&tinh-trang=x", ["needs_update"], "all")):
        body = response_of(agency.call("tasks-ready.data", True, {"url": search}))
        assert (body["tasks-flags"]["value"], body["tasks-status"]["value"]) == (flags, status), search


# ---- No lost updates (I1) and bad input (I5) ---------------------------------------------------

def test_second_writer_gets_a_conflict_and_the_first_writers_data_survives(app, demo_db):
    target = ids(demo_db, "so-khcn", "4")
    agency, secretariat = logged_in(app, "so-khcn"), logged_in(app, "tgv")
    loaded = response_of(agency.call(OPEN, {"rowId": str(target.id)}))["tasks-form-loaded"]["data"]
    response_of(secretariat.call(OPEN, {"rowId": str(target.id)}))
    first = response_of(save(secretariat, target.id, target.version, {
        **DONE_FORM, "tasks-form-status": "in_progress", "tasks-form-progress": 60,
        "tasks-form-result": "", "tasks-form-delay-reason": "Chờ thẩm định", "tasks-form-note": "Ghi của Tổ giúp việc"}))
    assert first["tasks-form-version"]["data"] == 2
    second = agency.call(SAVE, 1, {"tasks-form-assignment": target.id, "tasks-form-version": target.version,
                                   "tasks-form-loaded": loaded, "tasks-refresh": 5, **DONE_FORM})
    body = response_of(second)
    message = str(body["tasks-form-alert"]["children"])
    assert "vừa được Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)" in message
    assert "Tình trạng: Chưa thực hiện → Đang thực hiện" in message and "Tiến độ (%): 0% → 60%" in message
    assert body["tasks-form-modal"]["is_open"] is True and body["tasks-form-version"]["data"] == 2
    assert not any(key.startswith("tasks-form-") and "value" in props for key, props in body.items()), \
        "the conflict must not overwrite what the user typed"
    assert state_of(demo_db, target.id)[:3] == (2, "in_progress", "Ghi của Tổ giúp việc")
    # Having seen the conflict, saving again with the new version applies the user's text.
    response_of(save(agency, target.id, 2))
    assert state_of(demo_db, target.id)[:3] == (3, "done", "Đã ban hành")


@pytest.mark.parametrize("version", [None, "1", 1.5, True, [1], {"v": 1}])
def test_payload_without_a_usable_version_is_refused(app, demo_db, version):
    target = ids(demo_db, "so-khcn", "4")
    before = state_of(demo_db, target.id)
    body = response_of(save(logged_in(app, "so-khcn"), target.id, version))
    assert "không có phiên bản" in str(body["tasks-form-alert"]["children"])
    assert state_of(demo_db, target.id) == before


def test_a_4mb_note_gets_a_vietnamese_message_and_nothing_is_saved(app, demo_db):
    target = ids(demo_db, "so-khcn", "4")
    before = state_of(demo_db, target.id)
    body = response_of(save(logged_in(app, "so-khcn"), target.id, target.version,
                            {**DONE_FORM, "tasks-form-note": "x" * (4 * 1024 * 1024)}))
    assert body["tasks-form-note"]["invalid"] is True
    assert body["tasks-form-note-feedback"]["children"].startswith("Ghi chú quá dài: tối đa 4.000 ký tự")
    assert state_of(demo_db, target.id) == before


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=40)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.fixed_dictionaries({name: st.one_of(st.just(value), json_values)
                                     for name, value in DONE_FORM.items()}),
       use_current_version=st.booleans())
def test_any_payload_is_either_saved_whole_or_not_at_all(demo_db, fields, use_current_version):
    app = make_app(demo_db)
    target = ids(demo_db, "so-khcn", "4")
    version, _, _, logs = state_of(demo_db, target.id)
    response = save(logged_in(app, "so-khcn"), target.id, version if use_current_version else version - 1, fields)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()["response"]
    new_version, _, _, new_logs = state_of(demo_db, target.id)
    if body["tasks-form-modal"]["is_open"] is False:  # saved
        assert use_current_version and new_version == version + 1 and new_logs > logs
    else:
        assert (new_version, new_logs) == (version, logs)
