"""Login, logout and the one guard every request passes through.

- Only /login, /assets/ and Dash's component bundles are public; an anonymous `/_dash-*` request
  gets 401 JSON, a page request a redirect to /login?next=<local path>.
- Callback posts must be JSON and same-origin (QUALITY.md S6).
- The session cookie carries "<user id>:<session version>"; the loader refuses a cookie whose
  version is old (logout, deactivation, role change take effect at once).
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from models import Database, User
from services.permissions import Actor
from services.users import authenticate, end_sessions

security_log = logging.getLogger("cds.security")

PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/login")
DASH_PREFIX = "/_dash-"


class LoggedInUser(UserMixin):
    def __init__(self, actor: Actor):
        self.actor = actor

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


def _load_user(cookie_id: str) -> LoggedInUser | None:
    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    with db().read() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return LoggedInUser(actor_from_user(user))


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


def _guard():
    path = request.path
    if request.method == "POST" and path.startswith(DASH_PREFIX):
        if not request.is_json or not _same_origin():
            security_log.warning("refused cross-site or non-JSON callback post to %s", path)
            return jsonify(error="Yêu cầu không hợp lệ."), 403
    if path.startswith(PUBLIC_PREFIXES):
        if path.startswith("/login") and request.method == "POST" and not _same_origin():
            return jsonify(error="Yêu cầu không hợp lệ."), 403
        return None
    if current_actor() is not None:
        return None
    if path.startswith(DASH_PREFIX):
        return jsonify(error="Bạn cần đăng nhập."), 401
    return redirect(url_for("login", next=request.full_path.rstrip("?") if request.query_string else path))


LOGIN_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập — Theo dõi Kế hoạch Chuyển đổi số</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"><link rel="stylesheet" href="/assets/app.css">
</head><body class="bg-light">
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


def login():
    next_path = safe_next(request.args.get("next"))
    action = url_for("login", next=next_path) if next_path != "/" else url_for("login")
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(next_path)
        return render_template_string(LOGIN_PAGE, message="", username="", action=action)
    username = request.form.get("username", "")[:80]
    password = request.form.get("password", "")[:256]
    with db().write() as session:
        result = authenticate(session, username, password)
        actor = actor_from_user(result.user) if result.user else None
    if actor is None:
        security_log.info("failed login for %r from %s", username, request.remote_addr)
        return render_template_string(LOGIN_PAGE, message=result.message, username=username,
                                      action=action), 401
    login_user(LoggedInUser(actor), remember=bool(request.form.get("remember")))
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
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.before_request(_guard)
