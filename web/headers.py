"""Security headers on every response (QUALITY.md A8) and `Secure` cookies over HTTPS (S1).

The Content-Security-Policy is what headless Chromium needs on every page, measured by
tests/test_production.py (which fails on any violation):
- scripts: only files from this server, plus Dash's inline renderer bootstrap and clientside
  callbacks, each allowed by its sha256 hash (`Dash.csp_hashes()`); no 'unsafe-inline', no
  'unsafe-eval' (plotly.js and dash-ag-grid run without it);
- styles: 'unsafe-inline', because AG Grid and plotly.js insert `<style>` elements as they render
  (and plotly.js sets `style` attributes);
- images: data: URLs, for the SVG icons inside Bootstrap's CSS (select arrows, switches).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from dash import Dash
from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000; includeSubDomains"
FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                          "accelerometer=(), gyroscope=(), magnetometer=()",
}


def content_security_policy(script_hashes: Iterable[str]) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(dict.fromkeys(["'self'", *script_hashes])),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecureCookies:
    """WSGI middleware adding `Secure` to the named cookies of a response to an HTTPS request.

    Middleware rather than an after_request hook because Flask writes the session cookie after
    every after_request hook has run; running inside ProxyFix, it sees the scheme nginx reported.
    """

    def __init__(self, wsgi_app: Callable, cookie_names: Iterable[str]):
        self.wsgi_app = wsgi_app
        self.prefixes = tuple(f"{name}=" for name in cookie_names)

    def _secured(self, name: str, value: str) -> str:
        if (name.lower() == "set-cookie" and value.startswith(self.prefixes)
                and "secure" not in (part.strip().lower() for part in value.split(";"))):
            return f"{value}; Secure"
        return value

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            return start_response(status, [(name, self._secured(name, value)) for name, value in headers],
                                  exc_info)

        return self.wsgi_app(environ, secure_start_response)


def init_headers(app: Dash) -> None:
    """Register the header hook and the cookie and proxy settings on the app's Flask server.

    COOKIE_SECURE: "1" always marks cookies Secure, "0" never, anything else ("auto") when the
    request is HTTPS. TRUST_PROXY: read X-Forwarded-For/-Proto from one proxy (nginx) in front;
    only when that proxy is the only way in, or any client could claim any address.
    """
    server: Flask = app.server
    forced = {"1": True, "0": False}.get(str(server.config.get("COOKIE_SECURE", "auto")))
    server.config.update(SESSION_COOKIE_SECURE=bool(forced), REMEMBER_COOKIE_SECURE=bool(forced))
    if forced is None:
        server.wsgi_app = SecureCookies(server.wsgi_app, (
            server.config["SESSION_COOKIE_NAME"], server.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
    if server.config.get("TRUST_PROXY"):
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1)

    @functools.cache
    def policy() -> str:
        """Built at the first response, when every clientside callback has been registered."""
        return content_security_policy(app.csp_hashes())

    def add_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy()
        response.headers.update(FIXED_HEADERS)
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    server.after_request(add_headers)
