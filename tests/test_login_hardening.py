"""Login hardening (issue 11; QUALITY.md S1, S2, S4, S6, A3): one password hash of the same cost and
one message on every failed path, failures counted per account and per address in the database,
unlock, writes per user rate-limited, logout origin, remember-me lifetime, path tricks, and demo
accounts that must change the published password outside demo mode."""
import hashlib
import logging
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from models import User
from services.accounts.permissions import NotAllowed
from services.accounts.users import (
    LOGIN_FAILED_MESSAGE,
    MAX_FAILED_LOGINS,
    MAX_FAILED_LOGINS_PER_ADDRESS,
    deactivate,
    unlock_user,
)
from services.plans.demo import DEMO_PASSWORD
from tests.test_security import home_payload, post_callback
from tests.test_tasks_callbacks import DONE_FORM, ids, logged_in, save, state_of
from web.auth import actor_from_user

CHANGE_PAGE = "/doi-mat-khau"
NEW_PASSWORD = "Mật-khẩu-mới-2026"


def build_app(db, **config):
    from app import create_app

    return create_app({"DATABASE_URL": db.url, "SECRET_KEY": "test-secret", "TESTING": True,
                       "DEMO_MODE": True, **config})


def login(client, username, password=DEMO_PASSWORD, address=None):
    environ = {"REMOTE_ADDR": address} if address else {}
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ)


def lock(client, username):
    for _ in range(MAX_FAILED_LOGINS):
        assert login(client, username, "sai-mat-khau").status_code == 401


def actor(session, username):
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


# ---- S4: the same work and the same answer on every failed path ---------------------------------

def test_every_failed_login_path_runs_one_password_hash_of_the_same_cost(client, demo_db, monkeypatch):
    """Timing would tell a locked or unknown name from a wrong password; count the hashes instead."""
    lock(client, "so-y-te")
    with demo_db.write() as s:
        deactivate(s, s.scalar(select(User).where(User.username == "so-noi-vu")))
    real_scrypt, calls = hashlib.scrypt, []

    def counting_scrypt(*args, **kwargs):
        calls.append((kwargs.get("n"), kwargs.get("r"), kwargs.get("p")))
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    costs = {}
    for label, username, password in [
        ("unknown user", "khong-ton-tai", "sai-mat-khau"), ("wrong password", "so-khcn", "sai-mat-khau"),
        ("locked account, right password", "so-y-te", DEMO_PASSWORD),
        ("locked account, wrong password", "so-y-te", "sai-mat-khau"),
        ("inactive account", "so-noi-vu", DEMO_PASSWORD),
    ]:
        calls.clear()
        response = login(client, username, password)
        assert response.status_code == 401 and LOGIN_FAILED_MESSAGE in response.get_data(as_text=True), label
        assert len(calls) == 1, f"{label}: {len(calls)} password hashes"
        costs[label] = calls[0]
    assert len(set(costs.values())) == 1, costs


def test_many_usernames_from_one_address_lock_that_address_only(app, client):
    attacker, office = "203.0.113.7", "198.51.100.9"
    for i in range(MAX_FAILED_LOGINS_PER_ADDRESS):
        login(client, f"thu-{i}", "sai-mat-khau", attacker)  # one try per name: no account lock
    refused = login(client, "so-khcn", DEMO_PASSWORD, attacker)
    assert refused.status_code == 401 and LOGIN_FAILED_MESSAGE in refused.get_data(as_text=True)
    assert login(app.server.test_client(), "so-khcn", DEMO_PASSWORD, office).status_code == 302


def test_failures_are_counted_in_the_database_shared_by_every_worker(demo_db):
    """Two app instances on one database stand for two gunicorn workers."""
    workers = [build_app(demo_db).server.test_client() for _ in range(2)]
    for i in range(MAX_FAILED_LOGINS):
        login(workers[i % 2], "so-y-te", "sai-mat-khau")
    assert login(workers[0], "so-y-te").status_code == 401
    assert login(workers[1], "so-y-te").status_code == 401


def test_secretariat_unlocks_a_locked_owner_and_an_agency_cannot(client, demo_db):
    lock(client, "so-y-te")
    assert login(client, "so-y-te").status_code == 401
    with demo_db.write() as s, pytest.raises(NotAllowed):
        unlock_user(s, actor(s, "so-khcn"), "so-y-te")
    assert login(client, "so-y-te").status_code == 401
    with demo_db.write() as s:
        unlock_user(s, actor(s, "tgv"), "so-y-te")
    assert login(client, "so-y-te").status_code == 302


def test_unlock_user_command(app, client):
    lock(client, "so-y-te")
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["unlock-user", "so-y-te"])
    assert result.exit_code == 0, result.output
    assert "Đã mở khóa tài khoản so-y-te" in result.output
    assert login(client, "so-y-te").status_code == 302
    unknown = runner.invoke(args=["unlock-user", "khong-ton-tai"])
    assert unknown.exit_code == 1 and "Không có tài khoản “khong-ton-tai”" in unknown.output


# ---- Writes per user (finding 5) ------------------------------------------------------------------

def test_write_rate_limit_answers_429_in_vietnamese_and_writes_nothing(demo_db, caplog):
    app = build_app(demo_db, WRITE_RATE_LIMIT=2)
    dash = logged_in(app, "so-khcn")
    target = ids(demo_db, "so-khcn", "4")
    form = {**DONE_FORM, "tasks-form-status": "in_progress", "tasks-form-progress": 30,
            "tasks-form-result": "", "tasks-form-delay-reason": "Chờ kinh phí"}
    for attempt in range(2):
        version = state_of(demo_db, target.id)[0]
        response = save(dash, target.id, version, {**form, "tasks-form-note": f"lần {attempt}"})
        assert response.status_code == 200 and response.get_json()["response"]["tasks-form-modal"]["is_open"] is False
    before = state_of(demo_db, target.id)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        refused = save(dash, target.id, before[0], {**form, "tasks-form-note": "quá nhanh"})
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "Bạn thao tác quá nhanh; vui lòng thử lại sau ít phút."
    assert state_of(demo_db, target.id) == before
    assert "write rate" in caplog.text and "so-khcn" in caplog.text
    assert post_callback(dash.client, home_payload()).status_code == 200  # reading is not limited


# ---- S6 and S1: logout origin, remember-me lifetime --------------------------------------------

def test_logout_from_a_foreign_origin_is_refused_and_the_session_kept(client, auth):
    auth.login("so-khcn")
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert post_callback(client, home_payload()).status_code == 200
    assert client.post("/logout", headers={"Origin": "http://localhost"}).status_code == 302
    assert post_callback(client, home_payload()).status_code == 401


def test_remember_me_cookie_lasts_30_days(client):
    response = client.post("/login", data={"username": "so-khcn", "password": DEMO_PASSWORD, "remember": "on"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    days = (expires - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 29.9 < days <= 30.01, cookie


# ---- A3: no app for anonymous users through path tricks ------------------------------------------

@pytest.mark.parametrize("path", [
    "/login/..%2f_dash-layout", "/login/../_dash-layout", "/login%2f..%2f_dash-layout",
    "/login/..%252f_dash-layout", "/login/%2e%2e/_dash-layout", "/login/..%5c_dash-layout",
    "/login/x", "/loginx", "/login/", "/assets/..%2f_dash-layout", "/assets/../nhiem-vu",
])
def test_path_tricks_give_anonymous_users_no_app(client, path):
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code in (302, 401, 404), (response.status_code, body[:200])
    assert "_dash-renderer" not in body and "page-content" not in body and "_dash-config" not in body


@pytest.mark.parametrize("path", [
    "/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/../../app.py",
    "/_dash-component-suites/dash/..%2f..%2fapp.py", "/_dash-component-suites/dash/nope.js",
    "/_dash-component-suites/..%2f_dash-layout", "/_dash-component-suites/dash",
])
def test_unknown_component_suite_path_is_404_for_anonymous(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


def test_component_suites_stay_public(app, client, auth):
    auth.login("so-khcn")
    index = client.get("/").get_data(as_text=True)
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+\.js)"', index).group(1)
    assert app.server.test_client().get(bundle).status_code == 200


# ---- Demo accounts outside demo mode, and the change-password page --------------------------------

def _change(client, current, new, repeat=None, **headers):
    return client.post(CHANGE_PAGE, headers=headers, data={
        "current_password": current, "new_password": new,
        "new_password_repeat": new if repeat is None else repeat})


def test_demo_account_outside_demo_mode_must_change_the_published_password(demo_db, caplog):
    app = build_app(demo_db, DEMO_MODE=False)
    client = app.server.test_client()
    caplog.set_level(logging.DEBUG)
    response = login(client, "so-tai-chinh")
    assert response.status_code == 302 and response.headers["Location"] == CHANGE_PAGE
    old_cookie = client.get_cookie("session").value
    assert client.get("/").headers["Location"] == CHANGE_PAGE
    assert client.get("/nhiem-vu?x=1").headers["Location"] == CHANGE_PAGE
    refused = post_callback(client, home_payload())
    assert refused.status_code == 403 and "đổi mật khẩu" in refused.get_json()["error"]
    assert client.get("/_dash-layout").status_code == 403

    page = client.get(CHANGE_PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="vi">' in html and "mật khẩu mẫu" in html
    for field in ("current_password", "new_password", "new_password_repeat"):
        assert f'<label class="form-label" for="{field}">' in html and f'id="{field}"' in html

    with demo_db.read() as s:
        old_hash = s.scalar(select(User.password_hash).where(User.username == "so-tai-chinh"))
    for (current, new, repeat), message in [
        (("sai-mat-khau", NEW_PASSWORD, None), "Mật khẩu hiện tại không đúng."),
        ((DEMO_PASSWORD, "ngan", None), "Mật khẩu mới phải có ít nhất 8 ký tự."),
        ((DEMO_PASSWORD, "SO-TAI-CHINH", None), "Mật khẩu mới không được trùng với tên đăng nhập."),
        ((DEMO_PASSWORD, DEMO_PASSWORD, None), "Mật khẩu mới không được là mật khẩu mẫu đã công bố."),
        ((DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"), "Hai lần nhập mật khẩu mới không khớp."),
    ]:
        response = _change(client, current, new, repeat)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    assert _change(client, DEMO_PASSWORD, NEW_PASSWORD, Origin="https://evil.example").status_code == 403
    with demo_db.read() as s:
        assert s.scalar(select(User.password_hash).where(User.username == "so-tai-chinh")) == old_hash

    done = _change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert post_callback(client, home_payload()).status_code == 200
    replay = app.server.test_client()
    replay.set_cookie("session", old_cookie)
    assert post_callback(replay, home_payload()).status_code == 401
    with demo_db.read() as s:
        user = s.scalar(select(User).where(User.username == "so-tai-chinh"))
        assert (user.password_hash != old_hash, user.must_change_password, user.is_demo) == (True, False, False)
    assert login(app.server.test_client(), "so-tai-chinh", DEMO_PASSWORD).status_code == 401
    assert login(app.server.test_client(), "so-tai-chinh", NEW_PASSWORD).headers["Location"] == "/"
    assert DEMO_PASSWORD not in caplog.text and NEW_PASSWORD not in caplog.text and old_hash not in caplog.text


def test_a_temporary_password_must_be_changed_even_in_demo_mode(app, client, demo_db):
    from services.accounts.users import hash_password

    temporary = "Tam-thoi-2026"
    with demo_db.write() as s:
        user = s.scalar(select(User).where(User.username == "so-y-te"))
        user.password_hash, user.must_change_password = hash_password(temporary), True
    assert login(client, "so-y-te", temporary).headers["Location"] == CHANGE_PAGE
    assert client.get("/").headers["Location"] == CHANGE_PAGE
    refused = _change(client, temporary, temporary)
    assert refused.status_code == 400 and "Mật khẩu mới phải khác mật khẩu hiện tại." in refused.get_data(as_text=True)
    assert _change(client, temporary, NEW_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_change_password_page_is_open_to_any_user_and_closed_to_anonymous(app, client, auth):
    assert app.server.test_client().get(CHANGE_PAGE).headers["Location"].startswith("/login?next=")
    auth.login("so-khcn")
    assert client.get("/").status_code == 200  # demo mode: demo accounts are not forced
    assert client.get(CHANGE_PAGE).status_code == 200
    assert _change(client, DEMO_PASSWORD, NEW_PASSWORD).headers["Location"] == "/"
    assert post_callback(client, home_payload()).status_code == 200


def test_demo_mode_is_off_and_writes_limited_unless_the_environment_says_otherwise(demo_db, monkeypatch):
    from app import create_app

    config = {"DATABASE_URL": demo_db.url, "SECRET_KEY": "x", "TESTING": True}
    monkeypatch.delenv("CDS_DEMO_MODE", raising=False)
    monkeypatch.delenv("WRITE_RATE_LIMIT", raising=False)
    assert create_app(config).server.config["DEMO_MODE"] is False
    assert create_app(config).server.config["WRITE_RATE_LIMIT"] == 60
    monkeypatch.setenv("CDS_DEMO_MODE", "1")
    monkeypatch.setenv("WRITE_RATE_LIMIT", "1000000")
    assert create_app(config).server.config["DEMO_MODE"] is True
    assert create_app(config).server.config["WRITE_RATE_LIMIT"] == 1_000_000



def test_the_password_hash_holds_no_write_lock(demo_db, monkeypatch):
    """A login's full-cost hash runs before its write transaction: on SQLite, a write would otherwise
    hold the database's write lock for the whole hash, and every save waits behind 50 logins."""
    import services.accounts.users as users
    from models import Database
    from models.base import DatabaseBusy
    original, seen = users.check_password_hash, []

    def hashing(*arguments):
        other = Database(demo_db.url, lock_timeout_ms=200)
        try:
            with other.write() as session:  # waits for, then gives up on, a lock the login would hold
                session.execute(select(User.id).limit(1))
            seen.append("free")
        except DatabaseBusy:
            seen.append("locked")
        finally:
            other.dispose()
        return original(*arguments)

    monkeypatch.setattr(users, "check_password_hash", hashing)
    response = login(build_app(demo_db).server.test_client(), "so-y-te")
    assert response.status_code == 302 and seen == ["free"]
