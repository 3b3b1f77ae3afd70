"""Every Dash callback is an HTTP endpoint: each one is registered here with its access policy.

`guarded_callback` records the policy by output id; the request guard refuses a post to any
callback without one (deny by default), and the wrapper re-checks the role from the database-backed
user before the handler runs. Handlers receive (actor, db, *inputs) so they never read identity
from the browser.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Callable

from dash import Dash
from flask import abort, request

from services.permissions import ALL_ROLES
from web.auth import current_actor, db

security_log = logging.getLogger("cds.security")
POLICY_REGISTRY = "cds_callback_policies"


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    writes: bool = False
    description: str = ""
    on_server: bool = True  # False: a clientside callback, which no request may target


READ_ANY_ROLE = Policy(ALL_ROLES, description="mọi người dùng đã đăng nhập, dữ liệu lọc theo quyền")
BROWSER_ONLY = Policy(ALL_ROLES, description="chạy trong trình duyệt, không đọc dữ liệu", on_server=False)


def refuse(reason: str):
    """Log and refuse the current callback request with 403."""
    actor = current_actor()
    security_log.warning(
        "refused callback %s for user=%s role=%s: %s",
        (request.get_json(silent=True) or {}).get("output"),
        actor.username if actor else None, actor.role if actor else None, reason,
    )
    abort(403)


def guarded_callback(app: Dash, policy: Policy, *dependencies, **kwargs) -> Callable:
    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def endpoint(*inputs):
            actor = current_actor()
            if actor is None:
                refuse("not logged in")
            if actor.role not in policy.roles:
                refuse(f"role {actor.role} not in policy")
            return handler(actor, db(), *inputs)

        _register(app, policy, lambda: app.callback(*dependencies, **kwargs)(endpoint))
        return handler

    return decorator


def browser_callback(app: Dash, source: str, *dependencies, **kwargs) -> None:
    """A clientside callback (JavaScript `source`): UI behaviour only, never data."""
    _register(app, BROWSER_ONLY, lambda: app.clientside_callback(source, *dependencies, **kwargs))


def _register(app: Dash, policy: Policy, add: Callable[[], object]) -> None:
    before = set(app.callback_map)
    add()
    policies = app.server.extensions.setdefault(POLICY_REGISTRY, {})
    for output_id in set(app.callback_map) - before:
        policies[output_id] = policy


def policy_for(app_server, output_id: str) -> Policy | None:
    return app_server.extensions.get(POLICY_REGISTRY, {}).get(output_id)


def install_deny_by_default(app: Dash) -> None:
    """Refuse posts to callbacks registered without a policy (e.g. added by a careless import)."""

    @app.server.before_request
    def _require_policy():
        if request.method == "POST" and request.path == "/_dash-update-component":
            output = (request.get_json(silent=True) or {}).get("output")
            policy = policy_for(app.server, output)
            if policy is None or not policy.on_server:
                security_log.warning("refused callback %s: no server policy declared", output)
                abort(403)
