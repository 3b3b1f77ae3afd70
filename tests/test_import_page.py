"""The browser import (issue 12): upload, table, mapping, preview, confirm — through the callbacks
as the browser posts them, and as a forger would. Only the secretariat and admins of the province
import; a bad file gets a Vietnamese message and changes nothing."""
import base64
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Assignment, Indicator, IndicatorValue, Plan, Task, User
from services.plans.spreadsheet import MAX_UPLOAD_BYTES
from services.reporting.periods import week_containing, week_scheme
from tests.dash_client import DashClient
from tests.test_province_wall import two_provinces  # noqa: F401  (fixture)

VARIANT_HEADER = ["STT", "Tên sản phẩm", "Mục tiêu", "Cơ quan chủ trì", "Thời gian thực hiện", "Tình trạng",
                  "Lý do chưa hoàn thành hoặc triển khai chậm"]
VARIANT_ROWS = [
    ["I", "Chính quyền số", "", "", "", "", ""],
    ["1", "Hệ thống báo cáo số của tỉnh", "Kết nối 100% sở, ngành", "Văn phòng UBND tỉnh", "Quý II/2026",
     "Đang thực hiện", "Chờ kinh phí"],
    ["2", "Kho dữ liệu dùng chung", "Kho dữ liệu được khai trương", "Sở Khoa học và Công nghệ", "2025 - 2026",
     "Đã hoàn thành (thí điểm tại 02 sở)", ""],
    ["3", "Số hóa hồ sơ thủ tục hành chính", "", "", "", "", ""],
    ["", "", "100% hồ sơ cấp tỉnh", "Sở Nội vụ", "Quý III/2026", "Chưa thực hiện", ""],
    ["", "", "80% hồ sơ cấp xã", "UBND các xã, phường", "Tháng 12/2026", "Đang nghiên cứu thực hiện", ""],
]
UPLOAD = "import-data.data"
PREVIEW = "import-preview.n_clicks"
CONFIRM = "import-confirm.n_clicks"
WRITES = [UPLOAD, CONFIRM]  # each refused to agency and leader users below


def data_url(content: bytes, mime: str = "application/octet-stream") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def csv_bytes(rows, header=VARIANT_HEADER) -> bytes:
    import csv
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def logged_in(app, username: str) -> DashClient:
    client = app.server.test_client()
    client.post("/login", data={"username": username, "password": "LaoCai@2026"})
    return DashClient(client)


def response_of(result) -> dict:
    assert result.status_code == 200, result.get_data(as_text=True)[:500]
    return result.get_json()["response"]


def upload(dash: DashClient, content: bytes, filename: str, what: str = "tasks"):
    return dash.call(UPLOAD, {"contents": data_url(content), "filename": filename}, {"import-what": what})


def preview_payload(dash: DashClient, file: dict, fields: dict, mapping: dict | None = None) -> dict:
    """The preview post, with the mapping selects sent as Dash sends pattern-matched states."""
    payload = dash.payload(PREVIEW, 1, {"import-file": file, "import-table": "0", **fields})
    mapping = mapping or {}
    for item in payload["state"]:
        if str(item["id"]).startswith("{"):
            item["id"] = json.loads(item["id"]) if isinstance(item["id"], str) else item["id"]
    states = []
    for item in payload["state"]:
        if isinstance(item["id"], dict):
            states.append([{"id": {"type": "import-map", "field": name}, "property": item["property"],
                            "value": ({"type": "import-map", "field": name} if item["property"] == "id" else value)}
                           for name, value in mapping.items()])
        else:
            states.append(item)
    payload["state"] = states
    return payload


PLAN_FIELDS = {"import-what": "tasks", "import-title": "Kế hoạch dữ liệu số 2026", "import-year": 2026,
               "import-kind": "project", "import-number": "12/KH-UBND", "import-issued": "2026-02-10",
               "import-cadence": "quarterly", "import-deadline-day": 5, "import-create-agencies": True}


def plans(db) -> dict[str, int]:
    with db.read() as s:
        return dict(s.execute(select(Plan.title, Plan.id)).all())


def test_secretariat_imports_a_plan_with_variant_headers_from_preview_to_confirm(app, demo_db):
    dash = logged_in(app, "tgv")
    received = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))
    file = received["import-file"]["data"]
    assert file["name"] == "ke-hoach.csv" and received["import-steps"]["style"] == {"display": "block"}

    shown = response_of(dash.post(preview_payload(dash, file, PLAN_FIELDS)))
    assert shown["import-confirm"]["disabled"] is False, json.dumps(shown["import-summary"], ensure_ascii=False)
    rows = shown["import-rows"]["rowData"]
    assert [r["stt"] for r in rows if r["kind"] != "Nhóm"] == ["1", "2", "3", "a", "b"]
    text = json.dumps(rows, ensure_ascii=False)
    assert "Sở Nội vụ" in text and "Đã hoàn thành" in text
    assert plans(demo_db).keys() == {"Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026"}  # nothing written yet

    done = response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    assert "Đã tạo kế hoạch" in json.dumps(done, ensure_ascii=False)
    # The stored file is gone once imported: confirming again imports nothing twice.
    twice = response_of(dash.call(CONFIRM, 2, {"import-previewed": shown["import-previewed"]["data"]}))
    assert "Không còn tệp đã tải lên" in json.dumps(twice, ensure_ascii=False)
    created = plans(demo_db)["Kế hoạch dữ liệu số 2026"]
    with demo_db.read() as s:
        plan = s.get(Plan, created)
        assert (plan.kind, plan.year, plan.reporting_cadence, plan.report_deadline_day) == ("project", 2026,
                                                                                              "quarterly", 5)
        tasks = s.scalars(select(Task).where(Task.plan_id == created).order_by(Task.position)).all()
        heading = next(t for t in tasks if t.stt == "3")
        parts = [t for t in tasks if t.parent_id == heading.id]
        assert len(parts) == 2 and {p.expected_product for p in parts} == {"100% hồ sơ cấp tỉnh", "80% hồ sơ cấp xã"}
        assert s.scalar(select(func.count(Assignment.id)).where(Assignment.task_id == heading.id)) == 0
        by_stt = {t.stt: t for t in tasks}
        assert by_stt["1"].expected_product == "Kết nối 100% sở, ngành"
        assert (by_stt["2"].deadline_kind, by_stt["2"].due_date) == ("one_off", date(2026, 12, 31))  # DOMAIN.md


def test_confirm_writes_nothing_when_the_file_went_bad_in_between_and_names_the_rows(app, demo_db):
    dash = logged_in(app, "tgv")
    bad = VARIANT_ROWS + [["4", "Thiếu chủ trì", "", "", "Quý I/2026", "", ""]]
    file = response_of(upload(dash, csv_bytes(bad), "loi.csv"))["import-file"]["data"]
    shown = response_of(dash.post(preview_payload(dash, file, PLAN_FIELDS)))
    assert shown["import-confirm"]["disabled"] is True and shown["import-previewed"]["data"] is None
    summary = json.dumps(shown["import-summary"], ensure_ascii=False)
    assert "Dòng 8" in summary and "thiếu cơ quan chủ trì" in summary
    # A forged confirm of what the preview refused changes nothing either.
    forged = {"file": file, "table": "0", "what": "tasks", "overrides": {}, "title": "X", "year": 2026}
    done = response_of(dash.call(CONFIRM, 1, {"import-previewed": forged}))
    assert "thiếu cơ quan chủ trì" in json.dumps(done, ensure_ascii=False)
    assert set(plans(demo_db)) == {"Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026"}


def test_a_corrected_mapping_is_honoured(app, demo_db):
    """"Mục tiêu" proposed as the product; the user says the product is not in this file."""
    dash = logged_in(app, "tgv")
    file = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    mapping = response_of(dash.call("import-table.value", "0", {"import-what": "tasks", "import-file": file,
                                                                "import-year": 2026}))
    assert "Mục tiêu" in json.dumps(mapping, ensure_ascii=False)
    overrides = {"stt": "0", "title": "1", "lead": "3", "deadline": "4", "status": "5", "reason": "6", "product": ""}
    shown = response_of(dash.post(preview_payload(dash, file, PLAN_FIELDS, overrides)))
    assert "“Mục tiêu”" in json.dumps(shown["import-summary"], ensure_ascii=False)  # now listed as unused
    response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    with demo_db.read() as s:
        created = s.scalar(select(Plan.id).where(Plan.title == "Kế hoạch dữ liệu số 2026"))
        assert s.scalars(select(Task.expected_product).where(Task.plan_id == created)).all() == [""] * 5


def test_a_target_table_goes_into_a_plan_of_the_province_from_preview_to_confirm(app, demo_db):
    """The demo's Phụ lục 01 into a plan just imported: every target, and the preview first."""
    dash = logged_in(app, "tgv")
    file = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    shown = response_of(dash.post(preview_payload(dash, file, PLAN_FIELDS)))
    response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    created = plans(demo_db)["Kế hoạch dữ liệu số 2026"]
    choices = response_of(dash.call("import-what.value", "targets", {"url": f"?ke-hoach={created}"},
                                    output="import-plan-fields"))
    assert choices["import-target-plan"]["value"] == str(created)
    assert choices["import-target-fields"]["style"] == {"display": "block"}
    targets = (Path(__file__).parents[1] / "data" / "lao_cai_2026_phu_luc_01.xlsx").read_bytes()
    file = response_of(upload(dash, targets, "phu-luc-01.xlsx", what="targets"))["import-file"]["data"]
    fields = {"import-what": "targets", "import-target-plan": str(created), "import-create-agencies": False}
    shown = response_of(dash.post(preview_payload(dash, file, fields)))
    assert shown["import-confirm"]["disabled"] is False, json.dumps(shown["import-summary"], ensure_ascii=False)
    rows = shown["import-rows"]["rowData"]
    assert sum(r["kind"] == "Mục tiêu" for r in rows) == 34 and len({r["row_id"] for r in rows}) == len(rows)
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Indicator.id)).where(Indicator.plan_id == created)) == 0
    response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Indicator.id)).where(Indicator.plan_id == created)) == 34


def test_a_value_entered_between_preview_and_confirm_is_never_overwritten_silently(app, demo_db):
    """QUALITY.md I1 for imports: the confirm writes what was previewed, or nothing."""
    from services.indicators.updates import save_value
    from web.auth import actor_from_user
    dash = logged_in(app, "tgv")
    with demo_db.read() as s:
        plan_id = s.scalar(select(Plan.id))
    targets = (Path(__file__).parents[1] / "data" / "lao_cai_2026_phu_luc_01.xlsx").read_bytes()
    file = response_of(upload(dash, targets, "phu-luc-01.xlsx", what="targets"))["import-file"]["data"]
    fields = {"import-what": "targets", "import-target-plan": str(plan_id)}
    shown = response_of(dash.post(preview_payload(dash, file, fields)))
    assert shown["import-confirm"]["disabled"] is False
    with demo_db.write() as s:
        indicator = s.scalar(select(Indicator).where(Indicator.plan_id == plan_id).order_by(Indicator.id))
        actor = actor_from_user(s.scalar(select(User).where(User.username == "tgv")))
        saved = save_value(s, actor, indicator.id, 0, {"period": "2026-Q1", "value": "50%"},
                           when=datetime(2026, 4, 2, 9))
        assert not saved.errors, saved
    with demo_db.read() as s:
        values = s.execute(select(IndicatorValue.id, IndicatorValue.version, IndicatorValue.value_text)).all()
    done = response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    assert "vừa được cập nhật sau khi xem trước" in json.dumps(done, ensure_ascii=False)
    with demo_db.read() as s:
        assert s.execute(select(IndicatorValue.id, IndicatorValue.version, IndicatorValue.value_text)).all() == values
    again = response_of(dash.post(preview_payload(dash, file, fields)))
    done = response_of(dash.call(CONFIRM, 1, {"import-previewed": again["import-previewed"]["data"]}))
    assert "Đã nhập mục tiêu" in json.dumps(done, ensure_ascii=False)


def test_a_weekly_plan_is_created_with_its_weeks_as_the_secretariat_set_them(app, demo_db):
    """Lào Cai's weeks (seed 000): Friday to Thursday, week 1 the first that starts in the year, so
    31/01/2025 opens week 05/2025."""
    dash = logged_in(app, "tgv")
    file = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    fields = {**PLAN_FIELDS, "import-title": "Báo cáo tuần 2025", "import-year": 2025, "import-cadence": "weekly",
              "import-week-start": "5", "import-week-numbering": "first_start"}
    shown = response_of(dash.post(preview_payload(dash, file, fields)))
    assert shown["import-previewed"]["data"]["week_start"] == "5"
    done = response_of(dash.call(CONFIRM, 1, {"import-previewed": shown["import-previewed"]["data"]}))
    assert "Đã tạo kế hoạch" in json.dumps(done, ensure_ascii=False)
    with demo_db.read() as s:
        plan = s.get(Plan, plans(demo_db)["Báo cáo tuần 2025"])
        assert (plan.reporting_cadence, plan.week_start, plan.week_numbering) == ("weekly", 5, "first_start")
        week = week_containing(date(2025, 1, 31), week_scheme(plan))
    assert (week.key, week.start, week.end) == ("2025-W05", date(2025, 1, 31), date(2025, 2, 6))


@pytest.mark.parametrize("forged, answer", [
    ({"kind": ["annual"]}, "Loại kế hoạch không hợp lệ."), ({"kind": {"a": 1}}, "Loại kế hoạch không hợp lệ."),
    ({"cadence": ["monthly"]}, "Kỳ báo cáo phải là hằng tuần, hằng tháng hoặc hằng quý."),
    ({"week_start": "8"}, "Ngày bắt đầu tuần phải là một ngày từ Thứ Hai đến Chủ nhật."),
    ({"week_start": [5]}, "Ngày bắt đầu tuần phải là"), ({"week_numbering": "us"}, "Cách đánh số tuần không hợp lệ."),
    ({"overrides": {"stt": "x", "nope": 1}}, "không có trường “nope”"),
    ({"overrides": {"title": 99}}, "cột số 99 không có trong dòng tiêu đề"),
    ({"year": "2026"}, "Năm kế hoạch phải là một năm"), ({"deadline_day": [1]}, "Hạn báo cáo phải là một ngày"),
    ({"issued": "31/02/2026"}, "Ngày ban hành không đúng dạng ngày."),
    ({"file": {"token": "../../etc/passwd"}}, "Không còn tệp đã tải lên"),
    # Fields the confirm reads leniently, as the page itself would send them.
    ({"overrides": ["stt"]}, "Đã tạo kế hoạch"), ({"table": ["0"]}, "Đã tạo kế hoạch"),
])
def test_a_forged_confirm_of_any_shape_gets_its_answer_never_a_500(app, demo_db, forged, answer):
    """The previewed request comes back from the browser: every field may be anything."""
    dash = logged_in(app, "tgv")
    file = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    request = {"file": file, "table": "0", "what": "tasks", "title": "Kế hoạch X", "year": 2026, **forged}
    done = json.dumps(response_of(dash.call(CONFIRM, 1, {"import-previewed": request})), ensure_ascii=False)
    assert answer in done
    assert ("Kế hoạch X" in plans(demo_db)) is (answer == "Đã tạo kế hoạch")


def _zip_bomb(member: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize("filename, content, message", [
    ("ke-hoach.pdf", b"%PDF-1.4", "Chỉ nhận tệp .xlsx, .csv hoặc .docx."),
    ("ke-hoach.docx", b"\x00\xffgarbage" * 100, "Không đọc được tệp Word"),
    ("ke-hoach.xlsx", b"\x00\xffgarbage" * 100, "Không đọc được tệp Excel"),
    ("bom.docx", _zip_bomb("word/document.xml"), "giải nén"),
    ("bom.xlsx", _zip_bomb("xl/worksheets/sheet1.xml"), "giải nén"),
    ("dai.csv", csv_bytes([[str(i), "Nhiệm vụ", "", "Sở Nội vụ", "Quý I/2026", "", ""] for i in range(50_000)]),
     "tối đa 20.000 dòng"),
])
def test_bad_files_get_a_vietnamese_message_and_change_nothing(app, demo_db, filename, content, message):
    dash = logged_in(app, "tgv")
    before = plans(demo_db)
    received = response_of(upload(dash, content, filename))
    assert received["import-file"]["data"] is None
    assert message in json.dumps(received["import-file-message"], ensure_ascii=False)
    assert plans(demo_db) == before


def test_a_file_over_10_mb_is_refused_before_it_is_decoded(app, demo_db):
    dash = logged_in(app, "tgv")
    oversized = "data:text/csv;base64," + "A" * ((MAX_UPLOAD_BYTES // 3 + 10) * 4)
    received = response_of(dash.call(UPLOAD, {"contents": oversized, "filename": "to.csv"}, {"import-what": "tasks"}))
    assert "quá lớn" in json.dumps(received["import-file-message"], ensure_ascii=False)


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao"])
def test_agency_and_leader_users_get_403_on_every_import_callback(app, demo_db, username):
    secretariat = logged_in(app, "tgv")
    file = response_of(upload(secretariat, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    shown = response_of(secretariat.post(preview_payload(secretariat, file, PLAN_FIELDS)))
    request = shown["import-previewed"]["data"]
    dash = logged_in(app, username)
    assert upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv").status_code == 403
    assert dash.post(preview_payload(dash, file, PLAN_FIELDS)).status_code == 403
    assert dash.call(CONFIRM, 1, {"import-previewed": request}).status_code == 403
    assert dash.call("import-table.value", "0", {"import-file": file}).status_code == 403
    assert dash.call("import-what.value", "targets", {}, output="import-plan-fields").status_code == 403
    assert set(plans(demo_db)) == {"Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026"}


def test_another_users_upload_is_not_found_and_another_provinces_plan_is_refused(app, demo_db, two_provinces):  # noqa: F811
    dash = logged_in(app, "tgv")
    file = response_of(upload(dash, csv_bytes(VARIANT_ROWS), "ke-hoach.csv"))["import-file"]["data"]
    other = logged_in(app, "admin")
    shown = response_of(other.post(preview_payload(other, file, PLAN_FIELDS)))
    assert "Không còn tệp đã tải lên" in json.dumps(shown["import-result"], ensure_ascii=False)
    # A target table forged into Lai Châu's plan (or a plan that does not exist) by Lào Cai's secretariat:
    # every step that names the plan refuses it, logged, never a 500.
    for plan in (str(two_provinces["plan"]), "999999"):
        forged = preview_payload(dash, file, {**PLAN_FIELDS, "import-what": "targets", "import-target-plan": plan})
        assert dash.post(forged).status_code == 403
        mapping = dash.call("import-table.value", "0", {"import-what": "targets", "import-file": file,
                                                       "import-target-plan": plan})
        assert mapping.status_code == 403
        done = dash.call(CONFIRM, 1, {"import-previewed": {"file": file, "table": "0", "what": "targets",
                                                           "target_plan": plan}})
        assert done.status_code == 403
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Indicator.id)).where(Indicator.plan_id == two_provinces["plan"])) == 1
        assert s.scalar(select(func.count(IndicatorValue.id)).join(Indicator).where(
            Indicator.plan_id == two_provinces["plan"])) == 1


def test_the_page_is_for_the_secretariat_only(app):
    for username, allowed in (("tgv", True), ("admin", True), ("lanhdao", False), ("so-khcn", False)):
        dash = logged_in(app, username)
        page = response_of(dash.call("url.pathname", "/ke-hoach/nhap", {}))
        text = json.dumps(page, ensure_ascii=False)
        assert ("Nhập kế hoạch, mục tiêu từ tệp" in text) is allowed, username
        assert ("Bạn không có quyền xem trang này" in text) is not allowed, username
