"""The indicator pages' callbacks as HTTP endpoints (QUALITY.md A1, A2, I1, I4, I5): who may enter a
value or set a direction, forged ids and versions, two people entering the same period, bad input,
and what the pages, the home page and the Excel report then show."""
import logging
from datetime import date
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import ChangeLog, Indicator, IndicatorAgency, IndicatorValue, Plan
from services.plans.agencies import AgencyDirectory
from services.publication.report import report_file
from tests.conftest import make_app
from tests.test_tasks_callbacks import json_values, logged_in, response_of

VALUE, DIRECTION = "indicator-form-save.n_clicks", "indicator-direction-save.n_clicks"
LIST, DETAIL, PERIOD = "indicators-period.value", "indicator-refresh.data", "indicator-form-period.value"
ONLINE = "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  # target 90 %, monitored by Văn phòng UBND tỉnh
ACCESS = "Tỷ lệ dân số trưởng thành tiếp cận dịch vụ số"  # monitored by Sở Y tế, Sở GD&ĐT, BHXH tỉnh
CENTRE = "Có Trung tâm an ninh mạng cấp tỉnh"  # target "Có", monitored by Công an tỉnh
FORM = {"indicator-form-period": "2026-Q2", "indicator-form-value": "86%", "indicator-form-is-estimate": False,
        "indicator-form-assessment": "", "indicator-form-source-note": "Hệ thống thông tin giải quyết TTHC tỉnh"}
LIST_INPUTS = {"indicators-kind": "quarter", "indicators-own": False, "indicators-narrow": False}


def indicator(db, name: str) -> int:
    with db.read() as s:
        return s.scalar(select(Indicator.id).where(Indicator.name.startswith(name)))


def state_of(db, indicator_id: int):
    with db.read() as s:
        values = s.execute(select(IndicatorValue.period, IndicatorValue.value_text, IndicatorValue.version)
                           .where(IndicatorValue.indicator_id == indicator_id).order_by(IndicatorValue.period)).all()
        return [tuple(v) for v in values], s.scalar(select(func.count(ChangeLog.id)))


def save(dash, indicator_id, version, **fields):
    form = {**FORM, **{f"indicator-form-{k.replace('_', '-')}": v for k, v in fields.items()}}
    return dash.call(VALUE, 1, {"indicator-id": indicator_id, "indicator-form-version": version,
                                "indicator-form-loaded": {}, "indicator-refresh": 0, **form})


# ---- Who may write (A1, A2) ----------------------------------------------------------------------

@pytest.mark.parametrize("username, name, expected", [
    ("vp-ubnd-tinh", ONLINE, 200), ("tgv", ONLINE, 200), ("so-khcn", ONLINE, 403), ("lanhdao", ONLINE, 403),
    ("admin", ONLINE, 403), (None, ONLINE, 401),
    ("so-y-te", ACCESS, 200), ("bhxh-tinh", ACCESS, 200), ("so-gd-dt", ACCESS, 200), ("so-tai-chinh", ACCESS, 403),
    ("cong-an-tinh", CENTRE, 200), ("xa-yen-binh", CENTRE, 403),
])
def test_value_matrix(app, demo_db, caplog, username, name, expected):
    target = indicator(demo_db, name)
    before = state_of(demo_db, target)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = save(logged_in(app, username), target, 0, value="Có" if name == CENTRE else "86%")
    assert response.status_code == expected
    after = state_of(demo_db, target)
    if expected == 200:
        assert "Đã lưu kết quả Quý II/2026" in response.get_json()["response"]["indicator-toast"]["children"]
        assert after[0] == [("2026-Q2", "Có" if name == CENTRE else "86%", 1)] and after[1] > before[1]
        with demo_db.read() as s:
            log = s.scalars(select(ChangeLog).where(ChangeLog.entity == "indicator_value",
                                                    ChangeLog.field == "value_text")).one()
            assert log.user_id is not None and log.new_value == after[0][0][1] and log.old_value is None
    else:
        assert after == before
        if expected == 403:
            assert "refused callback" in caplog.text


def test_a_monitoring_group_lets_each_member_report(app, demo_db):
    """An indicator monitored by "UBND cấp xã" is reported by each commune (through its group)."""
    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        group = AgencyDirectory(s, plan_province(s, plan)).lookup("UBND cấp xã")
        new = Indicator(plan_id=plan.id, stt="5", position=99, name="Tỷ lệ xã có Tổ công nghệ số cộng đồng",
                        target_text="100%", monitor_text="UBND cấp xã")
        s.add(new)
        s.flush()
        s.add(IndicatorAgency(indicator_id=new.id, agency_id=group.id, role="monitor"))
        new_id = new.id
    assert save(logged_in(app, "demo-xa-bat-xat"), new_id, 0, value="100%").status_code == 200
    assert save(logged_in(app, "so-y-te"), new_id, 1, value="90%").status_code == 403


def plan_province(s, plan):
    from models import Province
    return s.get(Province, plan.province_id)


@pytest.mark.parametrize("username, expected", [("tgv", 200), ("so-khcn", 403), ("vp-ubnd-tinh", 403),
                                                ("lanhdao", 403), ("admin", 403), (None, 401)])
def test_direction_matrix(app, demo_db, username, expected):
    target = indicator(demo_db, ONLINE)
    response = logged_in(app, username).call(DIRECTION, 1, {"indicator-id": target, "indicator-version": 1,
                                                            "indicator-direction": "lower", "indicator-refresh": 0})
    assert response.status_code == expected
    with demo_db.read() as s:
        row = s.get(Indicator, target)
        assert (row.higher_is_better, row.version) == ((False, 2) if expected == 200 else (True, 1))
        logs = s.execute(select(ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value)
                         .where(ChangeLog.entity == "indicator")).all()
    assert [tuple(log) for log in logs] == (
        [("higher_is_better", "True", "False")] if expected == 200 else [])


def test_every_write_callback_has_a_matrix(app):
    """A new write callback must get a matrix: each test module that holds one names its triggers
    (the tasks' three, the indicators' two, archiving, the import, accounts and directory, plan edits,
    the review, closing periods, reminders, the weekly report's entries and notes, the DTI import)."""
    from callbacks.guard import POLICY_REGISTRY
    from tests import (
        test_accounts,
        test_dti,
        test_import_page,
        test_period_close,
        test_plan_editing,
        test_reminders,
        test_review,
        test_weekly_callbacks,
    )
    from tests.test_plans import ARCHIVE
    from tests.test_tasks_callbacks import SAVE, SUBMIT, UNCHANGED
    triggers = [SAVE, SUBMIT, UNCHANGED, VALUE, DIRECTION, ARCHIVE, *test_import_page.WRITES, *test_accounts.WRITES,
                *test_plan_editing.WRITES, *test_review.WRITES, *test_period_close.WRITES, *test_reminders.WRITES,
                *test_weekly_callbacks.WRITES, *test_dti.WRITES]
    writes = {key for key, policy in app.server.extensions[POLICY_REGISTRY].items() if policy.writes}
    dash = logged_in(app, "tgv")
    assert writes == {dash.dependency(trigger)["output"] for trigger in triggers}


@pytest.mark.parametrize("forged", ["abc", -1, 999999, {"x": 1}, None, "OTHER_PROVINCE"])
def test_forged_indicator_ids_are_refused(app, demo_db, caplog, forged):
    if forged == "OTHER_PROVINCE":
        with demo_db.write() as s:
            from services.plans.agencies import get_or_create_province
            province = get_or_create_province(s, "Lai Châu")
            other = Plan(province_id=province.id, year=2026, title="Kế hoạch Lai Châu", starts_on=date(2026, 1, 1),
                         created_at=date(2026, 1, 1))
            s.add(other)
            s.flush()
            row = Indicator(plan_id=other.id, stt="1", position=1, name="Chỉ tiêu Lai Châu", target_text="50%")
            s.add(row)
            s.flush()
            forged = row.id
    before = state_of(demo_db, forged) if isinstance(forged, int) else None
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        responses = [save(logged_in(app, "tgv"), forged, 0),
                     logged_in(app, "tgv").call(DETAIL, 0, {"url": f"?ma={forged}"}),
                     logged_in(app, "tgv").call("indicators-grid.cellClicked", {"rowId": str(forged)})]
    codes = [r.status_code for r in responses]
    assert codes[0] == 403 and "refused callback" in caplog.text
    # A page or a click naming no usable id asks for nothing (no update); a real id not theirs is refused.
    assert codes[1:] == ([403, 403] if isinstance(forged, int) and forged > 0 else [204, 204])
    if before is not None:
        assert state_of(demo_db, forged) == before


# ---- No lost updates (I1), history (I4) and bad input (I5) -------------------------------------

def test_second_writer_gets_a_conflict_and_the_first_writers_value_survives(app, demo_db):
    target = indicator(demo_db, ONLINE)
    agency, secretariat = logged_in(app, "vp-ubnd-tinh"), logged_in(app, "tgv")
    loaded = response_of(agency.call(PERIOD, "2026-Q2", {"indicator-id": target}))
    assert loaded["indicator-form-version"]["data"] == 0 and loaded["indicator-form-value"]["value"] == ""
    first = response_of(save(secretariat, target, 0, value="(86%)", source_note="Ước của Tổ giúp việc"))
    assert first["indicator-form-version"]["data"] == 1
    second = response_of(agency.call(VALUE, 1, {"indicator-id": target, "indicator-form-version": 0,
                                                "indicator-form-loaded": loaded["indicator-form-loaded"]["data"],
                                                "indicator-refresh": 4, **FORM, "indicator-form-value": "88%"}))
    message = str(second["indicator-form-alert"]["children"])
    assert "Kết quả Quý II/2026 vừa được Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)" in message
    assert "Kết quả: (trống) → 86%" in message and "Ước tính: Không → Có" in message
    assert second["indicator-form-version"]["data"] == 1 and second["indicator-refresh"]["data"] == 5
    assert not any("value" in props for key, props in second.items() if key.startswith("indicator-form-")), \
        "the conflict must not overwrite what the user typed"
    assert state_of(demo_db, target)[0] == [("2026-Q2", "86%", 1)]
    response_of(save(agency, target, 1, value="88%"))  # knowingly, with the new version
    assert state_of(demo_db, target)[0] == [("2026-Q2", "88%", 2)]
    detail = response_of(logged_in(app, "lanhdao").call(DETAIL, 0, {"url": f"?ma={target}"}))
    history = str(detail["indicator-history"]["children"])
    assert "Kết quả (Quý II/2026)" in history and "Cán bộ đầu mối Văn phòng UBND tỉnh" in history
    assert detail["indicator-form-save"]["disabled"] is True  # a leader only reads
    first_row = detail["indicator-values"]["children"]["props"]["children"][1]["props"]["children"][0]
    assert [cell["props"]["children"] for cell in first_row["props"]["children"]][2] == "98%"


@pytest.mark.parametrize("version", [None, "0", 0.0, True, [0], {"v": 0}])
def test_payload_without_a_usable_version_is_refused(app, demo_db, version):
    target = indicator(demo_db, ONLINE)
    before = state_of(demo_db, target)
    body = response_of(save(logged_in(app, "tgv"), target, version))
    assert "không có phiên bản" in str(body["indicator-form-alert"]["children"])
    assert state_of(demo_db, target) == before


@pytest.mark.parametrize("fields, where, message", [
    ({"value": "abc"}, "value", "Kết quả phải là một số"),
    ({"value": ""}, "value", "Nhập kết quả"),
    ({"value": "86%\x07"}, "value", "ký tự điều khiển"),
    ({"value": "9" * 121}, "value", "tối đa 120 ký tự"),
    ({"period": "2025-Q2"}, "period", "không thuộc năm kế hoạch 2026"),
    ({"period": "2026-Q7"}, "period", "không hợp lệ"),
    ({"period": None}, "period", "Chọn kỳ báo cáo"),
    ({"assessment": "met"}, "assessment", "đánh giá theo số liệu"),
    ({"assessment": "rất tốt"}, "assessment", "Đạt hoặc Không đạt"),
    ({"source_note": "x" * (4 * 1024 * 1024)}, "source-note", "Nguồn số liệu, ghi chú quá dài: tối đa 4.000 ký tự"),
])
def test_bad_input_gets_a_vietnamese_message_and_nothing_is_saved(app, demo_db, fields, where, message):
    target = indicator(demo_db, ONLINE)
    before = state_of(demo_db, target)
    body = response_of(save(logged_in(app, "vp-ubnd-tinh"), target, 0, **fields))
    assert body[f"indicator-form-{where}"]["invalid"] is True
    assert message in body[f"indicator-form-{where}-feedback"]["children"]
    assert state_of(demo_db, target) == before


def test_text_targets_take_an_assessment_and_a_dash_clears_a_value(app, demo_db):
    target = indicator(demo_db, CENTRE)
    police = logged_in(app, "cong-an-tinh")
    saved = response_of(save(police, target, 0, value="Đang xây dựng"))
    assert "Thực hiện dưới 50% kế hoạch giao" in saved["indicator-toast"]["children"]
    assessed = response_of(save(police, target, 1, value="Đang xây dựng", assessment="met"))
    assert "Đạt — Hoàn thành và vượt kế hoạch giao" in assessed["indicator-toast"]["children"]
    cleared = response_of(save(police, target, 2, value="-", assessment=""))
    assert "Chưa có số liệu" in cleared["indicator-toast"]["children"]
    assert state_of(demo_db, target)[0] == [("2026-Q2", "", 3)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.fixed_dictionaries({name: st.one_of(st.just(value), json_values) for name, value in FORM.items()}),
       use_current_version=st.booleans())
def test_any_payload_is_either_saved_whole_or_not_at_all(demo_db, fields, use_current_version):
    app = make_app(demo_db)
    target = indicator(demo_db, ONLINE)
    values, logs = state_of(demo_db, target)
    version = {period: v for period, _, v in values}.get(fields["indicator-form-period"], 0) \
        if isinstance(fields["indicator-form-period"], str) else 0
    response = logged_in(app, "tgv").call(VALUE, 1, {
        "indicator-id": target, "indicator-form-version": version if use_current_version else version + 7,
        "indicator-form-loaded": {}, "indicator-refresh": 0, **fields})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()["response"]
    new_values, new_logs = state_of(demo_db, target)
    if body["indicator-toast"]["is_open"] is True:  # saved
        assert use_current_version and new_logs > logs and new_values != values
    else:
        assert (new_values, new_logs) == (values, logs)


GARBAGE = [None, True, -1, 2.5, "x" * 5000, ["2026-Q2"], {"rowId": "1"}, "2026-05-15", "?ma=1&ma=2"]
CALLS = {  # every server callback of the two pages, by the input that triggers it, with sane other inputs
    LIST: ("2026-Q2", LIST_INPUTS),
    "indicators-grid.cellClicked": ({"rowId": "1"}, {}),
    DETAIL: (0, {"url": "?ma=1"}),
    PERIOD: ("2026-Q2", {"indicator-id": 1}),
    VALUE: (1, {"indicator-id": 1, "indicator-form-version": 0, "indicator-form-loaded": {}, "indicator-refresh": 0,
                **FORM}),
    DIRECTION: (1, {"indicator-id": 1, "indicator-version": 1, "indicator-direction": "lower",
                    "indicator-refresh": 0}),
}


@pytest.mark.parametrize("trigger", sorted(CALLS))
def test_garbage_in_any_input_is_answered_never_a_server_error(app, demo_db, trigger):
    """Each input of each callback gets values no browser sends: refused, ignored or told, never a 500."""
    dash = logged_in(app, "tgv")
    value, others = CALLS[trigger]
    dependency = dash.dependency(trigger)
    names = [f"{i['id']}.{i['property']}" for i in dependency["inputs"] + dependency["state"]]
    for name in names:
        for garbage in GARBAGE:
            inputs = {**others, trigger.split(".")[0]: value}
            inputs[name.split(".")[0]] = garbage
            response = dash.call(trigger, inputs.pop(trigger.split(".")[0]), inputs)
            assert response.status_code in (200, 204, 403), (name, garbage, response.get_data(as_text=True)[:300])


# ---- What the pages show ------------------------------------------------------------------------

def test_the_table_bands_and_who_has_reported(app, demo_db):
    response_of(save(logged_in(app, "vp-ubnd-tinh"), indicator(demo_db, ONLINE), 0, value="(70%)"))
    body = response_of(logged_in(app, "lanhdao").call(LIST, "2026-Q2", LIST_INPUTS))
    assert body["indicators-heading"]["children"] == "Tính đến Quý II/2026 (30/06/2026): 34 mục tiêu, chỉ tiêu"
    bands = str(body["indicators-bands"]["children"])
    assert "Thực hiện đạt 50% - 80% kế hoạch giao: 1 mục tiêu (tăng 1 mục tiêu so với Quý I/2026)" in bands
    assert "Chưa có số liệu: 33 mục tiêu (giảm 1 mục tiêu so với Quý I/2026)" in bands
    row = next(r for r in body["indicators-grid"]["rowData"] if r["name"] == ONLINE)
    assert (row["value"], row["value_period"], row["percent"], row["band"], row["reported"], row["spark"]) == \
        ("(70%)", "Quý II/2026", "78%", "from_50_to_80", "Đã nhập", [78])
    reporting = {r["name"]: r for r in body["indicators-reporting"]["rowData"]}
    assert (reporting["Văn phòng UBND tỉnh"]["reported"], reporting["Văn phòng UBND tỉnh"]["total"]) == (1, 11)
    assert body["indicators-due"]["children"] is None  # leaders report nothing of their own
    later = response_of(logged_in(app, "lanhdao").call(LIST, "2026-Q3", LIST_INPUTS))
    row = next(r for r in later["indicators-grid"]["rowData"] if r["name"] == ONLINE)
    assert (row["value_period"], row["reported"]) == ("Quý II/2026", "Chưa nhập")  # the latest figure stands


def test_an_agency_sees_what_it_must_report_and_can_narrow_to_it(app, demo_db):
    dash = logged_in(app, "vp-ubnd-tinh")
    body = response_of(dash.call(LIST, "2026-Q2", {**LIST_INPUTS, "indicators-own": True}))
    names = {r["name"] for r in body["indicators-grid"]["rowData"]}
    assert len(names) == 11 and ONLINE in names  # IV.3–IV.14 (IV.6 is not in the plan)
    due = str(body["indicators-due"]["children"])
    assert "Chỉ tiêu đơn vị cần báo cáo kỳ Tháng" in due and "đã nhập 0/11" in due
    searched = response_of(dash.call(LIST, "2026-Q2", {**LIST_INPUTS, "indicators-search": "ho so tthc xu ly truc"}))
    assert [r["name"] for r in searched["indicators-grid"]["rowData"]] == [ONLINE]
    home = response_of(dash.call("home-ready.data", True))
    assert "đã nhập kết quả kỳ Tháng" in str(home["home-agency-section"]["children"])


def test_the_overview_prints_the_bands_for_its_period(app, demo_db):
    response_of(save(logged_in(app, "tgv"), indicator(demo_db, ONLINE), 0, value="91%"))
    body = response_of(logged_in(app, "lanhdao").call("overview-period.value", "2026-Q2",
                                                      {"overview-kind": "quarter", "overview-date": None},
                                                      output="overview-indicator-bands"))
    assert "Hoàn thành và vượt kế hoạch giao: 1 mục tiêu (tăng 1 mục tiêu so với Quý I/2026)" in \
        str(body["overview-indicator-bands"]["children"])
    assert logged_in(app, "so-khcn").call("overview-period.value", "2026-Q2", {"overview-kind": "quarter"},
                                          output="overview-indicator-bands").status_code == 403


def test_the_report_gains_the_indicator_appendix(app, demo_db):
    response_of(save(logged_in(app, "tgv"), indicator(demo_db, ONLINE), 0, value="(70%)"))
    response_of(save(logged_in(app, "cong-an-tinh"), indicator(demo_db, CENTRE), 0, value="Có"))
    with demo_db.read() as s:
        data, _ = report_file(s, s.scalar(select(Plan)), "2026-Q2", date(2026, 11, 23), "xlsx")
    book = load_workbook(BytesIO(data))
    sheet = book["Phụ lục mục tiêu"]
    assert [c.value for c in sheet[1]] == ["TT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu", "Kết quả",
                                          "So sánh kế hoạch giao"]
    assert [c.value for c in sheet[2]][:2] == ["I", "Hạ tầng và nền tảng số"] and sheet["A2"].font.bold
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[ONLINE] == ("9", ONLINE, "%", "90%", "(70%)", "78%")
    assert rows[CENTRE] == ("4", CENTRE, None, "Có", "Có", "Đạt")
    assert rows["Chỉ số chuyển đổi số cấp tỉnh"][4:] == (None, "Chưa có số liệu")
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    summary = [r for r in book["Tổng hợp"].iter_rows(values_only=True) if r[0] and "kế hoạch giao:" in r[0]]
    assert summary[0] == ("Hoàn thành và vượt kế hoạch giao: 1 mục tiêu (tăng 1 mục tiêu so với Quý I/2026)", 1)
    assert summary[2][1] == 1 and len(summary) == 4  # the fifth line is "Chưa có số liệu"
