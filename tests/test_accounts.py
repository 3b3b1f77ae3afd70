"""Accounts managed from the browser (issue 13 item 1): create one or a list, temporary passwords
shown once and changed at first login, reset, deactivate, reactivate, own password changes ending
other sessions — through the callbacks as the browser posts them, and as a forger would."""
import base64
import csv
import io
import json
import logging
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import ChangeLog, Province, User
from services.accounts import management
from services.accounts.permissions import Actor
from services.accounts.users import MIN_PASSWORD_LENGTH
from services.plans.demo import DEMO_PASSWORD
from services.plans.spreadsheet import ImportFailed, Table, TableRow
from tests.dash_client import DashClient
from tests.test_province_wall import MARK, two_provinces  # noqa: F401  (fixture)

CREATE = "accounts-create.n_clicks"
UPLOAD = "accounts-upload.contents"
CONFIRM = "accounts-confirm.n_clicks"
# Every write of the accounts and directory pages; the matrix below posts to each of their callbacks.
WRITES = [CREATE, UPLOAD, CONFIRM, "accounts-reset.n_clicks", "agencies-add.n_clicks", "agencies-rename.n_clicks",
          "agencies-merge.n_clicks", "agencies-save-members.n_clicks", "agencies-upload.contents",
          "agencies-communes-confirm.n_clicks"]
CHANGE_PAGE = "/doi-mat-khau"
NEW_PASSWORD = "Mat-khau-moi-2026"
HEADER = ["STT", "Tên đăng nhập", "Họ và tên", "Cơ quan/Đơn vị", "Vai trò", "Email", "Số điện thoại"]
GOOD_ROWS = [
    ["1", "yte.lan", "Trần Thị Lan", "Sở Y tế", "Cán bộ đầu mối", "lan@laocai.gov.vn", "0912 345 678"],
    ["2", "khcn.binh", "Lê Văn Bình", "Sở KH&CN", "agency", "", ""],
    ["3", "ld.hung", "Phạm Hùng", "", "Lãnh đạo", "", "+84 20 3384 0000"],
    ["4", "tgv.mai", "Đỗ Mai", "Sở Khoa học và Công nghệ", "Tổ giúp việc", "mai@laocai.gov.vn", ""],
]


@pytest.fixture
def app(demo_db, tmp_path):
    from tests.conftest import make_app
    built = make_app(demo_db)
    built.server.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return built


def logged_in(app, username: str, password: str = DEMO_PASSWORD) -> DashClient:
    client = app.server.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, username
    return DashClient(client)


def response_of(result) -> dict:
    assert result.status_code == 200, result.get_data(as_text=True)[:500]
    return result.get_json()["response"]


def text_of(result) -> str:
    return json.dumps(result.get_json(silent=True), ensure_ascii=False) if result.get_json(silent=True) is not None \
        else result.get_data(as_text=True)


def province_id(db, name="Lào Cai") -> str:
    with db.read() as s:
        return str(s.scalar(select(Province.id).where(Province.name == name)))


def agency_id(db, name: str) -> str:
    from models import Agency
    with db.read() as s:
        return str(s.scalar(select(Agency.id).where(Agency.name == name)))


def user(db, username: str) -> User:
    with db.read() as s:
        found = s.scalar(select(User).where(User.username == username))
        if found is not None:
            s.expunge(found)
        return found


def create(dash, db, **form):
    values = {"accounts-province": province_id(db), "accounts-username": "yte.nguyenvana",
              "accounts-full-name": "Nguyễn Văn A", "accounts-role": "agency",
              "accounts-agency": agency_id(db, "Sở Y tế"), "accounts-email": "nva@laocai.gov.vn",
              "accounts-phone": "0912 000 111"}
    values.update({f"accounts-{k.replace('_', '-')}": v for k, v in form.items()})
    return dash.call(CREATE, 1, values)


def password_in(response: dict, alert: str) -> str:
    """The temporary password as the alert shows it (the Code element)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == f"{alert}-password":
                found.append(node["props"]["children"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(response)
    assert len(found) == 1, response
    return found[0]


def csv_url(rows, header=HEADER) -> dict:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return "data:text/csv;base64," + base64.b64encode(out.getvalue().encode()).decode()


def upload(dash, db, rows, header=HEADER):
    return dash.call(UPLOAD, csv_url(rows, header), {"accounts-upload": "danh-sach.csv",
                                                   "accounts-province": province_id(db)})


def stored_files(app) -> list[str]:
    """The uploads waiting on disk (each a list of people's contacts)."""
    folder = Path(app.server.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def count_users(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(User.id)))


def probe(client):
    """What the app's own requests get (the guard of every `/_dash-*` route): 200, or 401 once the
    session ended, or 403 while the password must be changed."""
    return client.get("/_dash-layout")


def change(client, current, new):
    return client.post(CHANGE_PAGE, data={"current_password": current, "new_password": new,
                                          "new_password_repeat": new})


# ---- One account --------------------------------------------------------------------------------

def test_temporary_passwords_are_long_enough_readable_and_mixed():
    passwords = [management.temporary_password() for _ in range(200)]
    for password in passwords:
        assert re.fullmatch(r"[a-hjkmnp-zA-HJ-NP-Z2-9]{4}(-[a-hjkmnp-zA-HJ-NP-Z2-9]{4}){2}", password), password
        assert len(password) >= MIN_PASSWORD_LENGTH
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
    assert len(set(passwords)) == len(passwords)


def test_secretariat_creates_an_account_whose_temporary_password_must_be_changed(app, demo_db):
    dash = logged_in(app, "tgv")
    answer = response_of(create(dash, demo_db))
    password = password_in(answer, "accounts-create-alert")
    assert len(password) >= 12 and answer["accounts-username"]["value"] == ""  # the form is emptied
    created = user(demo_db, "yte.nguyenvana")
    assert (created.full_name, created.role, created.email, created.phone, created.must_change_password) == (
        "Nguyễn Văn A", "agency", "nva@laocai.gov.vn", "0912 000 111", True)
    assert created.agency_id == int(agency_id(demo_db, "Sở Y tế")) and created.province_id == int(province_id(demo_db))
    assert created.password_hash.startswith("scrypt:") and password not in created.password_hash
    with demo_db.read() as s:
        logged = s.execute(select(ChangeLog.field, ChangeLog.user_id, ChangeLog.new_value)
                           .where(ChangeLog.entity == "user", ChangeLog.entity_id == created.id)).all()
    assert {f for f, _, _ in logged} >= {"username", "full_name", "role", "agency_id", "email", "temporary_password"}
    assert {u for _, u, _ in logged} == {user(demo_db, "tgv").id}
    assert all(password not in (v or "") and created.password_hash not in (v or "") for _, _, v in logged)

    # The new user is sent to the password page, and nothing else answers until it is changed.
    owner = app.server.test_client()
    login = owner.post("/login", data={"username": "yte.nguyenvana", "password": password})
    assert login.status_code == 302 and login.headers["Location"] == CHANGE_PAGE
    assert owner.get("/nhiem-vu").headers["Location"] == CHANGE_PAGE
    assert probe(owner).status_code == 403
    refused = {change(owner, password, "yte.nguyenvana").get_data(as_text=True): "tên đăng nhập",
               change(owner, password, "ngan").get_data(as_text=True): "ít nhất 8 ký tự",
               change(owner, "sai-mat-khau", NEW_PASSWORD).get_data(as_text=True): "hiện tại không đúng"}
    assert all(reason in page for page, reason in refused.items())
    assert change(owner, password, NEW_PASSWORD).headers["Location"] == "/"
    assert owner.get("/nhiem-vu").status_code == 200 and probe(owner).status_code == 200
    assert user(demo_db, "yte.nguyenvana").must_change_password is False


@pytest.mark.parametrize("form, problem", [
    ({"username": ""}, "Thiếu tên đăng nhập."),
    ({"username": "Nguyễn Văn A"}, "không hợp lệ: chỉ dùng chữ không dấu"),
    ({"username": "so-khcn"}, "“so-khcn” đã có trong hệ thống"),
    ({"full_name": "  "}, "Thiếu họ và tên."),
    ({"role": "sieu-quan-tri"}, "vai trò “sieu-quan-tri” không hợp lệ"),
    ({"role": "admin"}, "chỉ quản trị hệ thống mới tạo được tài khoản quản trị"),
    ({"agency": None}, "phải gắn với một cơ quan, đơn vị"),
    ({"agency": "Các sở, ngành"}, "là nhóm cơ quan"),
    ({"email": "lan@"}, "email “lan@” không hợp lệ"),
    ({"phone": "12ab"}, "số điện thoại “12ab” không hợp lệ"),
    ({"full_name": "\ud800"}, "ký tự không hợp lệ"),
])
def test_a_bad_form_is_refused_with_its_reason_and_nothing_is_created(app, demo_db, form, problem):
    if form.get("agency") == "Các sở, ngành":
        form = {"agency": agency_id(demo_db, "Các sở, ngành")}
    before = count_users(demo_db)
    answer = response_of(create(logged_in(app, "tgv"), demo_db, **form))
    shown = json.dumps(answer["accounts-create-message"], ensure_ascii=False)
    assert problem.lower() in shown.lower() and "Chưa tạo tài khoản" in shown
    assert "accounts-create-alert-password" not in shown
    assert count_users(demo_db) == before


def test_only_an_admin_may_give_the_admin_role(app, demo_db):
    roles = {username: {o["value"] for o in response_of(logged_in(app, username).call(
        "accounts-province.value", province_id(demo_db), output="role"))["accounts-role"]["options"]}
        for username in ("tgv", "admin")}
    assert roles == {"tgv": {"agency", "leader", "secretariat"}, "admin": {"agency", "leader", "secretariat", "admin"}}
    answer = response_of(create(logged_in(app, "admin"), demo_db, username="qt2", role="admin", agency=None))
    password_in(answer, "accounts-create-alert")
    assert user(demo_db, "qt2").role == "admin"


# ---- Reset, deactivate, reactivate, unlock ------------------------------------------------------

def act(dash, button: str, username: str, db):
    return dash.call(f"accounts-{button}.n_clicks", 1, {"accounts-grid": [{"id": user(db, username).id}]})


def test_reset_gives_a_new_temporary_password_and_ends_the_users_sessions(app, demo_db):
    owner = logged_in(app, "so-y-te")
    assert probe(owner.client).status_code == 200
    answer = response_of(act(logged_in(app, "tgv"), "reset", "so-y-te", demo_db))
    password = password_in(answer, "accounts-action-alert")
    assert probe(owner.client).status_code == 401  # the old session ended
    assert app.server.test_client().post("/login", data={"username": "so-y-te", "password": DEMO_PASSWORD}
                                         ).status_code == 401
    again = app.server.test_client()
    assert again.post("/login", data={"username": "so-y-te", "password": password}).headers["Location"] == CHANGE_PAGE
    with demo_db.read() as s:
        fields = s.scalars(select(ChangeLog.field).where(ChangeLog.entity == "user",
                                                          ChangeLog.entity_id == user(demo_db, "so-y-te").id)).all()
    assert "temporary_password" in fields


def test_deactivation_ends_sessions_and_reactivation_lets_the_user_back(app, demo_db):
    owner = logged_in(app, "so-y-te")
    secretariat = logged_in(app, "tgv")
    answer = response_of(act(secretariat, "deactivate", "so-y-te", demo_db))
    assert "Đã khóa tài khoản “so-y-te”" in json.dumps(answer, ensure_ascii=False)
    assert probe(owner.client).status_code == 401
    assert app.server.test_client().post("/login", data={"username": "so-y-te", "password": DEMO_PASSWORD}
                                         ).status_code == 401
    rows = response_of(secretariat.call("accounts-search.value", "so-y-te",
                                        {"accounts-province": province_id(demo_db)}))["accounts-grid"]["rowData"]
    assert [r["state"] for r in rows] == ["Đã khóa"]
    twice = response_of(act(secretariat, "deactivate", "so-y-te", demo_db))
    assert "đã bị khóa rồi" in json.dumps(twice, ensure_ascii=False)
    response_of(act(secretariat, "reactivate", "so-y-te", demo_db))
    logged_in(app, "so-y-te")
    with demo_db.read() as s:
        changes = s.execute(select(ChangeLog.old_value, ChangeLog.new_value).where(
            ChangeLog.entity == "user", ChangeLog.field == "active").order_by(ChangeLog.id)).all()
    assert [tuple(c) for c in changes] == [("True", "False"), ("False", "True")]


def test_secretariat_cannot_change_an_admin_nor_itself(app, demo_db):
    secretariat = logged_in(app, "tgv")
    before = user(demo_db, "admin")
    for button in ("reset", "deactivate"):
        shown = json.dumps(response_of(act(secretariat, button, "admin", demo_db)), ensure_ascii=False)
        assert "Chỉ quản trị hệ thống mới thay đổi được tài khoản quản trị" in shown
    own = json.dumps(response_of(act(secretariat, "deactivate", "tgv", demo_db)), ensure_ascii=False)
    assert "Không tự thay đổi tài khoản của mình" in own
    after = user(demo_db, "admin")
    assert (after.password_hash, after.active, after.session_version) == (
        before.password_hash, before.active, before.session_version)
    # An admin may reset the secretariat.
    password_in(response_of(act(logged_in(app, "admin"), "reset", "tgv", demo_db)), "accounts-action-alert")


def test_unlock_lifts_a_lock_after_failed_logins(app, demo_db):
    from services.accounts.users import MAX_FAILED_LOGINS
    for _ in range(MAX_FAILED_LOGINS):
        app.server.test_client().post("/login", data={"username": "so-y-te", "password": "sai"})
    secretariat = logged_in(app, "tgv")
    rows = response_of(secretariat.call("accounts-search.value", "so-y-te",
                                        {"accounts-province": province_id(demo_db)}))["accounts-grid"]["rowData"]
    assert rows[0]["state"].startswith("Tạm khóa đến")
    assert "Đã gỡ tạm khóa" in json.dumps(response_of(act(secretariat, "unlock", "so-y-te", demo_db)),
                                          ensure_ascii=False)
    logged_in(app, "so-y-te")


def test_own_password_change_ends_the_users_other_sessions(app):
    first, second = logged_in(app, "so-khcn"), logged_in(app, "so-khcn")
    assert change(first.client, DEMO_PASSWORD, NEW_PASSWORD).status_code == 302
    assert probe(first.client).status_code == 200  # this session goes on
    assert probe(second.client).status_code == 401


# ---- The grid -----------------------------------------------------------------------------------

def test_grid_searches_without_diacritics_and_shows_the_last_login(app, demo_db):
    dash = logged_in(app, "tgv")
    response_of(create(dash, demo_db))
    found = response_of(dash.call("accounts-search.value", "nguyen van a", {"accounts-province": province_id(demo_db)}))
    rows = found["accounts-grid"]["rowData"]
    assert [r["username"] for r in rows] == ["yte.nguyenvana"]
    assert found["accounts-count"]["children"] == "1 tài khoản. Chọn một dòng rồi bấm thao tác."
    assert rows[0]["last_login"] == "Chưa đăng nhập" and rows[0]["state"] == "Chờ đổi mật khẩu tạm"
    everyone = response_of(dash.call("accounts-search.value", "", {"accounts-province": province_id(demo_db)}))
    tgv = next(r for r in everyone["accounts-grid"]["rowData"] if r["username"] == "tgv")
    assert tgv["last_login"][:2].isdigit() and "/2" in tgv["last_login"]  # dd/mm/yyyy hh:mm
    assert "password" not in json.dumps(everyone) and "scrypt" not in json.dumps(everyone)


# ---- The focal points' list ---------------------------------------------------------------------

def test_the_list_is_previewed_with_every_bad_row_and_nothing_is_created(app, demo_db):
    rows = GOOD_ROWS[:1] + [
        ["2", "a.b", "Người Một", "Sở Không Có", "Cán bộ đầu mối", "", ""],
        ["3", "yte.lan", "Trần Lan Hai", "Sở Y tế", "", "", ""],
        ["4", "so-khcn", "Trùng Tài Khoản", "Sở KH&CN", "", "", ""],
        ["5", "c.d", "Vai Trò Lạ", "Sở Y tế", "Giám đốc", "", ""],
        ["6", "e.f", "Thư Sai", "Sở Y tế", "", "khong-phai-email", ""],
        ["7", "g.h", "Quản Trị", "", "Quản trị hệ thống", "", ""],
    ]
    before = count_users(demo_db)
    answer = response_of(upload(logged_in(app, "tgv"), demo_db, rows))
    assert answer["accounts-confirm"]["disabled"] is True and answer["accounts-sheet"]["data"] is None
    problems = {r["line"]: r["problems"] for r in answer["accounts-preview"]["rowData"]}
    assert problems[2] == ""
    assert "không có cơ quan “Sở Không Có”" in problems[3]
    assert "trùng với dòng 2" in problems[4]
    assert "“so-khcn” đã có trong hệ thống" in problems[5]
    assert "vai trò “Giám đốc” không hợp lệ" in problems[6]
    assert "email “khong-phai-email” không hợp lệ" in problems[7]
    assert "chỉ quản trị hệ thống mới tạo được" in problems[8]
    assert "6 lỗi" in json.dumps(answer["accounts-sheet-message"], ensure_ascii=False)
    assert count_users(demo_db) == before
    # The page holds no token for a list it cannot confirm, so the file is not kept.
    assert stored_files(app) == []


def test_a_list_refused_whole_is_not_kept_on_disk(app, demo_db):
    dash = logged_in(app, "tgv")
    for header in (["STT", "Ghi chú"], HEADER):
        answer = response_of(upload(dash, demo_db, [["1", "", "", "", "", "", ""]], header=header))
        assert answer["accounts-sheet"]["data"] is None
    assert "Danh sách không có dòng nào dưới dòng tiêu đề." in json.dumps(answer, ensure_ascii=False)
    assert stored_files(app) == []


def test_the_service_refuses_the_whole_list_for_one_bad_row(demo_db):
    table = Table("x", [TableRow(1, HEADER)] + [TableRow(i + 2, row) for i, row in enumerate(
        GOOD_ROWS + [["5", "x.y", "Người Lạ", "Sở Không Có", "", "", ""]])])
    from services.plans.spreadsheet import propose_mapping, rows_below
    mapping = propose_mapping(table.rows, management.ACCOUNT_COLUMNS)
    sheet = management.AccountSheet(mapping, rows_below(table.rows, mapping))
    before = count_users(demo_db)
    with demo_db.write() as s:
        tgv = s.scalar(select(User).where(User.username == "tgv"))
        actor = Actor(tgv.id, tgv.username, tgv.full_name, tgv.role, None, tgv.province_id, tgv.session_version)
        with pytest.raises(ImportFailed) as refused:
            management.create_from_sheet(s, actor, tgv.province_id, sheet)
    assert [str(e) for e in refused.value.errors] == [
        "Dòng 6: không có cơ quan “Sở Không Có” trong danh mục của tỉnh (thêm ở trang “Cơ quan, đơn vị” trước)."]
    assert count_users(demo_db) == before


def test_the_list_creates_every_account_and_hands_the_passwords_over_once(app, demo_db):
    dash = logged_in(app, "tgv")
    preview = response_of(upload(dash, demo_db, GOOD_ROWS))
    assert preview["accounts-confirm"]["disabled"] is False
    assert [r["role"] for r in preview["accounts-preview"]["rowData"]] == [
        "Cơ quan chủ trì", "Cơ quan chủ trì", "Lãnh đạo", "Tổ giúp việc / Cơ quan thường trực"]
    stored = preview["accounts-sheet"]["data"]
    assert len(stored_files(app)) == 1
    confirmed = dash.call(CONFIRM, 1, {"accounts-sheet": stored, "accounts-province": province_id(demo_db)})
    answer = response_of(confirmed)
    download = answer["accounts-download"]["data"]
    assert download["filename"].startswith("tai-khoan-moi-") and download["filename"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    sheet = book.active
    listed = {row[1].value: row[5].value for row in sheet.iter_rows(min_row=2) if row[1].value and row[5].value}
    assert set(listed) == {"yte.lan", "khcn.binh", "ld.hung", "tgv.mai"}
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row[1:6] if cell.value)
    message = json.dumps(answer["accounts-confirm-message"], ensure_ascii=False)
    assert "Đã tạo 4 tài khoản" in message and not any(p in message for p in listed.values())
    assert stored_files(app) == []
    for username, password in listed.items():
        client = app.server.test_client()
        assert client.post("/login", data={"username": username, "password": password}).headers["Location"] \
            == CHANGE_PAGE
    lan = user(demo_db, "yte.lan")
    assert (lan.email, lan.phone, lan.role, lan.must_change_password) == (
        "lan@laocai.gov.vn", "0912 345 678", "agency", True)
    assert user(demo_db, "tgv.mai").role == "secretariat" and user(demo_db, "ld.hung").agency_id is None
    # Confirming again creates nothing twice: the list was used up.
    before = count_users(demo_db)
    again = response_of(dash.call(CONFIRM, 2, {"accounts-sheet": stored, "accounts-province": province_id(demo_db)}))
    assert "Không còn tệp" in json.dumps(again, ensure_ascii=False) and count_users(demo_db) == before


def test_the_list_is_found_by_its_headers_below_a_title(app, demo_db):
    rows = [["Danh sách cán bộ đầu mối chuyển đổi số", "", "", "", "", "", ""], HEADER] + GOOD_ROWS[:2]
    answer = response_of(upload(logged_in(app, "tgv"), demo_db, rows, header=["", "", "", "", "", "", ""]))
    assert [r["username"] for r in answer["accounts-preview"]["rowData"]] == ["yte.lan", "khcn.binh"]


# ---- Secrets never leak -------------------------------------------------------------------------

def test_temporary_passwords_appear_only_in_the_answer_meant_to_show_them(app, demo_db, caplog):
    caplog.set_level(logging.DEBUG)
    dash = logged_in(app, "tgv")
    answers = []

    def post(trigger, value, values=None, output=""):
        result = dash.call(trigger, value, values, output)
        answers.append(text_of(result))
        return response_of(result)

    province = province_id(demo_db)
    created = password_in(post(CREATE, 1, {
        "accounts-province": province, "accounts-username": "yte.an", "accounts-full-name": "An",
        "accounts-role": "agency", "accounts-agency": agency_id(demo_db, "Sở Y tế")}), "accounts-create-alert")
    reset = password_in(post("accounts-reset.n_clicks", 1, {"accounts-grid": [{"id": user(demo_db, "yte.an").id}]}),
                        "accounts-action-alert")
    preview = post(UPLOAD, csv_url(GOOD_ROWS), {"accounts-upload": "ds.csv", "accounts-province": province})
    download = post(CONFIRM, 1, {"accounts-sheet": preview["accounts-sheet"]["data"], "accounts-province": province})
    book = load_workbook(io.BytesIO(base64.b64decode(download["accounts-download"]["data"]["content"])))
    listed = [row[5].value for row in book.active.iter_rows(min_row=2) if row[5].value and row[1].value]
    post("accounts-search.value", "", {"accounts-province": province})
    post("accounts-province.value", province, output="role")
    assert len(listed) == 4
    for password in [created, reset]:
        assert sum(password in answer for answer in answers) == 1, password
    for password in listed:  # only inside the downloaded workbook, the confirm's answer
        assert not any(password in answer for answer in answers), password
    for password in [created, reset, *listed]:
        assert password not in caplog.text
    with demo_db.read() as s:
        hashes = s.scalars(select(User.password_hash)).all()
        logged = " ".join(v or "" for row in s.execute(select(ChangeLog.old_value, ChangeLog.new_value)) for v in row)
    for digest in hashes:
        assert digest not in caplog.text and all(digest not in answer for answer in answers) and digest not in logged
    assert all(p not in logged for p in [created, reset, *listed])


# ---- Who may: roles and the province wall --------------------------------------------------------

PAGES_CALLBACKS = ("accounts-", "agencies-")


def own_callbacks(dash: DashClient) -> list[dict]:
    return [d for d in dash.client.get("/_dash-dependencies").get_json() if d["clientside_function"] is None
            and d["output"].strip(".").startswith(PAGES_CALLBACKS)]


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao"])
def test_agency_and_leader_users_get_403_on_every_account_and_directory_callback(app, demo_db, username, caplog):
    dash = logged_in(app, username)
    callbacks = own_callbacks(dash)
    assert len(callbacks) >= 15
    before = count_users(demo_db)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        for dependency in callbacks:
            trigger = dependency["inputs"][0]
            response = dash.post(dash.payload(f"{trigger['id']}.{trigger['property']}", 1,
                                              {"accounts-province": province_id(demo_db),
                                               "agencies-province": province_id(demo_db)},
                                              output=dependency["output"]))
            assert response.status_code == 403, dependency["output"]
    assert "refused callback" in caplog.text and count_users(demo_db) == before
    page = logged_in(app, username).call("url.pathname", "/nguoi-dung")
    assert "Bạn không có quyền xem trang này" in text_of(page) and "Người dùng" not in json.dumps(
        response_of(page)["shell-nav"])


def test_a_secretariat_of_another_province_is_refused_and_sees_nothing(app, demo_db, two_provinces):  # noqa: F811
    lao_cai, lai_chau = province_id(demo_db), province_id(demo_db, "Lai Châu")
    other = logged_in(app, "tgv-lc")
    scope = response_of(other.call("accounts-ready.data", True))
    assert [o["value"] for o in scope["accounts-province"]["options"]] == [lai_chau]
    assert other.call("accounts-search.value", "", {"accounts-province": lao_cai}).status_code == 403
    assert other.call(CREATE, 1, {"accounts-province": lao_cai, "accounts-username": "xam.nhap",
                                  "accounts-full-name": "X", "accounts-role": "secretariat"}).status_code == 403
    assert other.call(UPLOAD, csv_url(GOOD_ROWS), {"accounts-upload": "ds.csv",
                                                   "accounts-province": lao_cai}).status_code == 403
    before = user(demo_db, "so-y-te")
    for button in ("reset", "deactivate", "unlock"):
        assert act(other, button, "so-y-te", demo_db).status_code == 403
    after = user(demo_db, "so-y-te")
    assert (after.password_hash, after.active, after.session_version) == (
        before.password_hash, before.active, before.session_version)
    assert user(demo_db, "xam.nhap") is None
    # And Lào Cai's secretariat sees none of Lai Châu's accounts, nor touches them.
    tgv = logged_in(app, "tgv")
    rows = response_of(tgv.call("accounts-search.value", "", {"accounts-province": lao_cai}))
    assert MARK not in json.dumps(rows, ensure_ascii=False)
    assert tgv.call("accounts-search.value", "", {"accounts-province": lai_chau}).status_code == 403
    assert act(tgv, "reset", "khcn-lc", demo_db).status_code == 403


def test_an_admin_of_every_province_chooses_the_province(app, demo_db, two_provinces):  # noqa: F811
    scope = response_of(logged_in(app, "admin-all").call("accounts-ready.data", True))
    assert {o["label"] for o in scope["accounts-province"]["options"]} == {"Lào Cai", "Lai Châu"}
    assert scope["accounts-province-box"]["style"] == {"display": "block"}
