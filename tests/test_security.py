"""Login, sessions and callback authorization (QUALITY.md A1–A3, S1–S6), with forged requests."""
import json
import logging

import pytest
from sqlalchemy import select

from models import Agency, Assignment, User
from services.accounts.users import MAX_FAILED_LOGINS, deactivate

HOME_OUTPUT = "..home-plan-title.children...home-sentence.children...home-tiles.children...home-agency-section.children.."


def callback_payload(output: str, inputs: list[dict], state: list[dict] | None = None) -> dict:
    outputs = []
    for part in output.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        outputs.append({"id": component, "property": prop})
    return {"output": output, "outputs": outputs, "inputs": inputs,
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs], "state": state or []}


def post_callback(client, payload, **headers):
    return client.post("/_dash-update-component", data=json.dumps(payload),
                       content_type="application/json", headers=headers)


def home_payload(search: str | None = None):
    """The home page's load, for the plan the URL names (none: the default plan)."""
    return callback_payload(HOME_OUTPUT, [{"id": "home-ready", "property": "data", "value": True}],
                            [{"id": "url", "property": "search", "value": search}])


# ---- A3: every route gated -------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/_dash-layout"), ("get", "/_dash-dependencies"), ("post", "/_dash-update-component"),
])
def test_anonymous_dash_endpoints_get_401(client, method, path):
    response = getattr(client, method)(path, json=home_payload() if method == "post" else None)
    assert response.status_code == 401
    assert b"home" not in response.data and "Bạn cần đăng nhập" in response.get_json()["error"]


def test_anonymous_page_redirects_to_login_with_local_next(client):
    response = client.get("/some/page?x=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_layout_has_no_data_baked_in(client, auth):
    auth.login("so-khcn")
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Kế hoạch Chuyển đổi số" not in layout and "Sở Khoa học" not in layout


# ---- Login, lockout, next, cookies -------------------------------------------------------------

def test_login_and_same_message_for_unknown_user_and_wrong_password(client, auth):
    wrong = auth.login("so-khcn", "sai-mat-khau")
    unknown = auth.login("khong-ton-tai", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    ok = auth.login("so-khcn")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"


def test_lockout_counted_in_database(client, auth, demo_db):
    for _ in range(MAX_FAILED_LOGINS):
        auth.login("so-y-te", "sai-mat-khau")
    with demo_db.read() as s:
        assert s.scalar(select(User).where(User.username == "so-y-te")).locked_until is not None
    assert auth.login("so-y-te").status_code == 401  # right password, still locked


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "////evil.example",
                                    "/\\evil.example", "javascript:alert(1)", "http:/evil.example"])
def test_next_only_accepts_local_paths(client, target):
    response = client.post(f"/login?next={target}", data={"username": "so-khcn", "password": "LaoCai@2026"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_local_path_is_kept(client):
    response = client.post("/login?next=/tasks", data={"username": "so-khcn", "password": "LaoCai@2026"})
    assert response.headers["Location"] == "/tasks"


def test_session_cookie_flags(client):
    response = client.post("/login", data={"username": "so-khcn", "password": "LaoCai@2026", "remember": "on"})
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_stored_as_scrypt(demo_db):
    with demo_db.read() as s:
        assert all(h.startswith("scrypt:") for h in s.scalars(select(User.password_hash)))


def test_replayed_cookie_after_logout_is_refused(app, auth):
    auth.login("so-khcn")
    cookie = auth.client.get_cookie("session").value
    auth.logout()
    replay = app.server.test_client()
    replay.set_cookie("session", cookie)
    assert post_callback(replay, home_payload()).status_code == 401


def test_deactivation_takes_effect_at_once(client, auth, demo_db):
    auth.login("so-khcn")
    assert post_callback(client, home_payload()).status_code == 200
    with demo_db.write() as s:
        deactivate(s, s.scalar(select(User).where(User.username == "so-khcn")))
    assert post_callback(client, home_payload()).status_code == 401


def test_cross_site_and_non_json_posts_refused(client, auth):
    auth.login("so-khcn")
    assert post_callback(client, home_payload(), Origin="https://evil.example").status_code == 403
    form = client.post("/_dash-update-component", data="output=x", content_type="text/plain")
    assert form.status_code == 403
    assert post_callback(client, home_payload(), Origin="http://localhost").status_code == 200


# ---- A1/A2: callbacks authorize themselves -----------------------------------------------------

def test_every_callback_declares_a_policy(app):
    from callbacks.guard import policy_for
    assert app.callback_map, "no callbacks registered"
    for output in app.callback_map:
        assert policy_for(app.server, output) is not None, f"callback {output} has no policy"


def test_callback_without_policy_is_refused(client, auth, caplog):
    auth.login("tgv")
    payload = callback_payload("..not-registered.children..", [{"id": "x", "property": "y", "value": 1}])
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        assert post_callback(client, payload).status_code == 403
    assert "no server policy" in caplog.text


def test_clientside_callbacks_cannot_be_posted_to(client, auth, caplog):
    """They run in the browser; a forged POST naming one is refused, not dispatched."""
    auth.login("tgv")
    payload = callback_payload("tasks-narrow.data", [{"id": "tasks-ready", "property": "data", "value": True}])
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        assert post_callback(client, payload).status_code == 403
    assert "no server policy" in caplog.text


def test_agency_home_shows_only_its_own_standing(client, auth, demo_db):
    auth.login("so-y-te")
    section = post_callback(client, home_payload()).get_json()["response"]["home-agency-section"]["children"]
    with demo_db.read() as s:
        own = s.scalar(select(Agency).where(Agency.code == "so-y-te"))
        count = len(s.scalars(select(Assignment.id).where(Assignment.agency_id == own.id)).all())
    counts = _text(_find(section, "home-agency-counts"))  # each count a link to its own list (issue 15)
    assert counts.startswith(f"{count} nhiệm vụ được giao chủ trì: 0 đã hoàn thành")
    assert "Đơn vị: Sở Y tế" in json.dumps(section, ensure_ascii=False)


def test_leader_sees_rollup_but_no_agency_list(client, auth):
    auth.login("lanhdao")
    response = post_callback(client, home_payload()).get_json()["response"]
    assert "00/92" in response["home-sentence"]["children"]
    assert response["home-agency-section"]["children"] is None


def _text(node) -> str:
    """The text a component shows, its children's in order."""
    if isinstance(node, (str, int)):
        return str(node)
    if isinstance(node, list):
        return "".join(_text(item) for item in node)
    return _text(node.get("props", {}).get("children", "")) if isinstance(node, dict) else ""


def _find(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        for value in node.values():
            found = _find(value, component_id)
            if found:
                return found
    if isinstance(node, list):
        for item in node:
            found = _find(item, component_id)
            if found:
                return found
    return None
