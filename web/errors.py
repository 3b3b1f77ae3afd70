"""Answers for errors that are not bugs: a database too busy to take a write (DatabaseBusy).

The save forms catch it and show the message in place; any other request (the login, a callback
without its own handling) gets 503 with the same Vietnamese message, JSON for Dash's requests and
a small page otherwise, instead of a 500.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template_string, request

from models.base import DatabaseBusy
from web.auth import DASH_PREFIX

RETRY_AFTER_SECONDS = 5
BUSY_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hệ thống đang bận — Theo dõi Kế hoạch Chuyển đổi số</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"><link rel="stylesheet" href="/assets/app.css">
</head><body class="bg-light">
<main class="container login-box">
  <div class="alert alert-warning" role="alert" id="busy-message">{{ message }}</div>
  <a class="btn btn-primary" href="{{ back }}">Thử lại</a>
</main></body></html>"""


def _busy(error: DatabaseBusy):
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith(DASH_PREFIX):
        return jsonify(error=str(error)), 503, headers
    return render_template_string(BUSY_PAGE, message=str(error), back=request.full_path.rstrip("?")), 503, headers


def init_errors(server: Flask) -> None:
    server.register_error_handler(DatabaseBusy, _busy)
