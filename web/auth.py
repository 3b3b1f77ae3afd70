"""Login, logout, the change-password page and the one guard every request passes through.

- Public: exactly /login and /_favicon.ico, and what lies under /assets/ and Dash's component
  bundles, judged on the normalised path (escapes decoded, dot segments collapsed); a path that
  normalising changes is never public. An anonymous `/_dash-*` request gets 401 JSON, a page
  request a redirect to /login?next=<local path>.
- Every POST must be same-origin, and callback posts JSON (QUALITY.md S6).
- The session cookie carries "<user id>:<session version>"; the loader refuses a cookie whose
  version is old (logout, deactivation, role change, password change take effect at once).
- Failed logins are counted per account and per client address in the database (S4); write
  callbacks per user too (`limit_writes`).
- A user who must change the password (a temporary one, or a demo account outside DEMO_MODE) is
  sent to /doi-mat-khau from every page, and every `/_dash-*` request gets 403 until then.
"""
from __future__ import annotations

import logging
import os
import posixpath
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from dash.exceptions import DependencyException
from flask import Flask, abort, current_app, jsonify, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from models import Database, User
from models.base import DatabaseBusy
from services.accounts import throttle
from services.accounts.permissions import Actor
from services.accounts.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    authenticate,
    change_password,
    check_password,
    dummy_password_hash,
    end_sessions,
    needs_new_password,
)
from services.common.clock import now

security_log = logging.getLogger("cds.security")

PUBLIC_PATHS = ("/login", "/_favicon.ico")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
SUITES_PREFIX = "/_dash-component-suites/"
DASH_PREFIX = "/_dash-"
CHANGE_PASSWORD_PATH = "/doi-mat-khau"
OPEN_BEFORE_PASSWORD_CHANGE = (CHANGE_PASSWORD_PATH, "/logout")
REMEMBER_ME = timedelta(days=30)
WRITE_RATE_LIMIT = 60  # write callbacks per user per minute, unless the config says otherwise
INVALID_REQUEST = "Yêu cầu không hợp lệ."
CHANGE_PASSWORD_FIRST = "Bạn cần đổi mật khẩu trước khi tiếp tục."


class LoggedInUser(UserMixin):
    def __init__(self, actor: Actor, must_change_password: bool = False):
        self.actor = actor
        self.must_change_password = must_change_password

    def get_id(self) -> str:
        return f"{self.actor.id}:{self.actor.session_version}"


def db() -> Database:
    return current_app.extensions["cds_db"]


def current_actor() -> Actor | None:
    """The logged-in user, loaded from the database for this request, or None."""
    if current_user and current_user.is_authenticated:
        return current_user.actor
    return None


def actor_from_user(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
                 agency_id=user.agency_id, province_id=user.province_id,
                 session_version=user.session_version)


def _demo_mode() -> bool:
    return bool(current_app.config.get("DEMO_MODE"))


def _load_user(cookie_id: str) -> LoggedInUser | None:
    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    with db().read() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return LoggedInUser(actor_from_user(user), needs_new_password(user, _demo_mode()))


def limit_writes(actor: Actor) -> None:
    """Count a write callback of `actor` in the database (one short write transaction); past
    WRITE_RATE_LIMIT a minute, answer 429 before any handler runs."""
    limit = current_app.config.get("WRITE_RATE_LIMIT", WRITE_RATE_LIMIT)
    if limit is None:
        return
    try:
        with db().write() as session:
            allowed = throttle.allow_write(session, actor.id, int(limit), now())
    except DatabaseBusy:
        # SQLite has one write lock: while another write holds it, this write goes uncounted rather
        # than refused, and the handler's own write waits for the lock or tells the user to retry.
        security_log.info("write of user=%s not counted: database busy", actor.username)
        return
    if not allowed:
        security_log.warning("refused callback %s for user=%s: write rate over %s a minute",
                             (request.get_json(silent=True) or {}).get("output"), actor.username, limit)
        response = jsonify(error=throttle.WRITE_RATE_MESSAGE)
        response.status_code = 429
        response.headers["Retry-After"] = str(int(throttle.WRITE_WINDOW.total_seconds()))
        abort(response)


def safe_next(target: str | None) -> str:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return "/"
    target = target.strip()
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # non-browser clients send none; the cookie is SameSite=Lax anyway
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def normalised_path(path: str) -> str:
    """`path` as some server or proxy along the way might resolve it: percent-escapes decoded (twice
    encoded ones too), backslashes as slashes, dot segments and repeated slashes collapsed."""
    for _ in range(3):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    return posixpath.normpath("/" + path.replace("\\", "/").lstrip("/"))


def _is_public(path: str, normal: str) -> bool:
    return path == normal and (normal in PUBLIC_PATHS or normal.startswith(PUBLIC_PREFIXES))


def _guard():
    path = request.path
    normal = normalised_path(path)
    to_dash = path.startswith(DASH_PREFIX) or normal.startswith(DASH_PREFIX)
    if request.method == "POST" and (not _same_origin() or (to_dash and not request.is_json)):
        security_log.warning("refused cross-site or non-JSON post to %s", path)
        return jsonify(error=INVALID_REQUEST), 403
    if path.startswith(SUITES_PREFIX) and (path != normal or not _routed_to(SUITES_PREFIX)):
        return _not_found()  # a bundle path has no escapes or dot segments, and is routed to the bundles
    if _is_public(path, normal):
        return None
    if not current_user.is_authenticated:
        if to_dash:
            return jsonify(error="Bạn cần đăng nhập."), 401
        if path != normal:
            return redirect(url_for("login", next=normal))
        return redirect(url_for("login", next=request.full_path.rstrip("?") if request.query_string else path))
    if current_user.must_change_password and path not in OPEN_BEFORE_PASSWORD_CHANGE:
        if to_dash:
            return jsonify(error=CHANGE_PASSWORD_FIRST), 403
        return redirect(url_for("change_password"))
    return None


def _routed_to(prefix: str) -> bool:
    return request.url_rule is not None and request.url_rule.rule.startswith(prefix)


def _not_found(_error=None):
    """An unknown component bundle is a 404 (Dash raises, which would be a 500)."""
    return "Không tìm thấy.", 404, {"Content-Type": "text/plain; charset=utf-8"}


PAGE_HEAD = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Theo dõi Kế hoạch Chuyển đổi số</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"><link rel="stylesheet" href="/assets/app.css">
</head>"""

LOGIN_PAGE = PAGE_HEAD.format(title="Đăng nhập") + """<body class="bg-light">
<main class="container login-box">
  <h1 class="h4 mb-1">Theo dõi Kế hoạch Chuyển đổi số</h1>
  <p class="text-muted mb-4">Đăng nhập để cập nhật và theo dõi nhiệm vụ</p>
  {% if message %}<div class="alert alert-danger" role="alert" id="login-error">{{ message }}</div>{% endif %}
  <form method="post" action="{{ action }}" autocomplete="on">
    <div class="mb-3"><label class="form-label" for="username">Tên đăng nhập</label>
      <input class="form-control" id="username" name="username" value="{{ username }}" required autofocus></div>
    <div class="mb-3"><label class="form-label" for="password">Mật khẩu</label>
      <input class="form-control" id="password" name="password" type="password" required></div>
    <div class="form-check mb-3"><input class="form-check-input" type="checkbox" id="remember" name="remember">
      <label class="form-check-label" for="remember">Ghi nhớ đăng nhập</label></div>
    <button class="btn btn-primary w-100" type="submit" id="login-submit">Đăng nhập</button>
  </form>
</main></body></html>"""

CHANGE_PASSWORD_PAGE = PAGE_HEAD.format(title="Đổi mật khẩu") + """<body class="bg-light">
<main class="container login-box">
  <h1 class="h4 mb-1">Đổi mật khẩu</h1>
  <p class="text-muted mb-3">Tài khoản <strong>{{ username }}</strong></p>
  {% if forced %}<div class="alert alert-warning" id="password-reason">Tài khoản đang dùng mật khẩu mẫu đã
    công bố hoặc mật khẩu tạm thời. Vui lòng đặt mật khẩu mới trước khi tiếp tục.</div>{% endif %}
  {% if message %}<div class="alert alert-danger" role="alert" id="password-error">{{ message }}</div>{% endif %}
  <form method="post" action="{{ action }}">
    <div class="mb-3"><label class="form-label" for="current_password">Mật khẩu hiện tại</label>
      <input class="form-control" id="current_password" name="current_password" type="password"
             autocomplete="current-password" required autofocus></div>
    <div class="mb-3"><label class="form-label" for="new_password">Mật khẩu mới</label>
      <input class="form-control" id="new_password" name="new_password" type="password" autocomplete="new-password"
             minlength="{{ min_length }}" maxlength="{{ max_length }}" aria-describedby="password-rules" required>
      <div class="form-text" id="password-rules">Ít nhất {{ min_length }} ký tự, khác tên đăng nhập, khác mật khẩu
        hiện tại và khác mật khẩu mẫu đã công bố.</div></div>
    <div class="mb-3"><label class="form-label" for="new_password_repeat">Nhập lại mật khẩu mới</label>
      <input class="form-control" id="new_password_repeat" name="new_password_repeat" type="password"
             autocomplete="new-password" maxlength="{{ max_length }}" required></div>
    <button class="btn btn-primary w-100" type="submit" id="password-submit">Đổi mật khẩu</button>
  </form>
  <form method="post" action="/logout" class="mt-2">
    <button class="btn btn-link w-100" type="submit" id="password-logout">Đăng xuất</button></form>
  {% if not forced %}<p class="text-center"><a href="/">Quay lại trang chính</a></p>{% endif %}
</main></body></html>"""


def login():
    next_path = safe_next(request.args.get("next"))
    action = url_for("login", next=next_path) if next_path != "/" else url_for("login")
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(next_path)
        return render_template_string(LOGIN_PAGE, message="", username="", action=action)
    username = request.form.get("username", "")[:80]
    password = request.form.get("password", "")[:MAX_PASSWORD_LENGTH]
    with db().read() as session:  # the full-cost hash outside any write: it holds no lock
        checked = check_password(session, username, password)
    with db().write() as session:
        result = authenticate(session, username, password, request.remote_addr, checked)
        actor = actor_from_user(result.user) if result.user else None
        must_change = actor is not None and needs_new_password(result.user, _demo_mode())
    if actor is None:
        security_log.info("failed login for %r from %s", username, request.remote_addr)
        return render_template_string(LOGIN_PAGE, message=result.message, username=username,
                                      action=action), 401
    login_user(LoggedInUser(actor, must_change), remember=bool(request.form.get("remember")))
    if must_change:
        return redirect(url_for("change_password", next=next_path) if next_path != "/"
                        else url_for("change_password"))
    return redirect(next_path)


def change_password_page():
    """Any logged-in user may change the password here; one who must is sent here by the guard."""
    actor, forced = current_user.actor, current_user.must_change_password
    next_path = safe_next(request.args.get("next"))
    action = url_for("change_password", next=next_path) if next_path != "/" else url_for("change_password")
    page = {"username": actor.username, "forced": forced, "action": action,
            "min_length": MIN_PASSWORD_LENGTH, "max_length": MAX_PASSWORD_LENGTH}
    if request.method == "GET":
        return render_template_string(CHANGE_PASSWORD_PAGE, message="", **page)
    with db().write() as session:
        user = session.get(User, actor.id)
        result = change_password(session, user, request.form.get("current_password", "")[:MAX_PASSWORD_LENGTH],
                                 request.form.get("new_password", "")[:MAX_PASSWORD_LENGTH + 1],
                                 request.form.get("new_password_repeat", "")[:MAX_PASSWORD_LENGTH + 1])
        if result.changed:
            actor = actor_from_user(user)
    if not result.changed:
        security_log.info("refused password change for %r from %s", actor.username, request.remote_addr)
        return render_template_string(CHANGE_PASSWORD_PAGE, message=result.message, **page), 400
    security_log.info("password changed for %r from %s; other sessions ended", actor.username, request.remote_addr)
    # The session version moved on, so this session logs in again; a remember-me cookie is renewed.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(LoggedInUser(actor), remember=remember_cookie in request.cookies)
    return redirect(next_path)


def logout():
    actor = current_actor()
    if actor is not None:
        with db().write() as session:
            user = session.get(User, actor.id)
            if user is not None:
                end_sessions(session, user)
    logout_user()
    return redirect(url_for("login"))


def init_auth(server: Flask) -> None:
    """Login, logout and change-password routes, the guard, and their settings unless the app's
    config has them: DEMO_MODE (environment CDS_DEMO_MODE=1; demo accounts keep the published
    password only then), the remember-me lifetime, and WRITE_RATE_LIMIT (write callbacks per user
    per minute; environment WRITE_RATE_LIMIT, default 60)."""
    server.config.setdefault("DEMO_MODE", os.environ.get("CDS_DEMO_MODE") == "1")
    server.config.setdefault("REMEMBER_COOKIE_DURATION", REMEMBER_ME)
    server.config.setdefault("WRITE_RATE_LIMIT", int(os.environ.get("WRITE_RATE_LIMIT") or WRITE_RATE_LIMIT))
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.add_url_rule(CHANGE_PASSWORD_PATH, "change_password", change_password_page, methods=["GET", "POST"])
    server.register_error_handler(DependencyException, _not_found)
    server.before_request(_guard)
    dummy_password_hash()  # made now, so that the first unknown name costs no more than a real check
