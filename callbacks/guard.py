"""Every Dash callback is an HTTP endpoint: each one is registered here with its access policy.

`guarded_callback` records the policy by output id; the request guard refuses a post to any
callback without one (deny by default), and the wrapper re-checks the role from the database-backed
user before the handler runs. Handlers receive (actor, db, *inputs) so they never read identity
from the browser.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from typing import Callable

from dash import Dash
from flask import abort, jsonify, request

from services.accounts.permissions import ALL_ROLES
from services.common.inputs import bounded_json
from web.auth import current_actor, db, limit_writes

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


def log_refusal(reason: str) -> None:
    """Log a refused request (the router refuses a page's plan without failing the whole page)."""
    actor = current_actor()
    security_log.warning(
        "refused callback %s for user=%s role=%s: %s",
        (request.get_json(silent=True) or {}).get("output"),
        actor.username if actor else None, actor.role if actor else None, reason,
    )


def refuse(reason: str):
    """Log and refuse the current callback request with 403."""
    log_refusal(reason)
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
            if policy.writes:
                limit_writes(actor)  # 429 past WRITE_RATE_LIMIT writes a minute; nothing runs
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
    """Refuse posts to callbacks registered without a policy (e.g. added by a careless import), and
    bodies not shaped like the callback they name: Dash would index into them and answer 500."""

    @app.server.before_request
    def _require_policy():
        if request.method == "POST" and request.path == "/_dash-update-component":
            parsed, body = bounded_json(request.get_data(cache=True))
            if not parsed or not isinstance(body, dict) or not isinstance(body.get("output"), str):
                return _malformed(None, "not a JSON object naming an output, or nested too deep")
            output = body["output"]
            policy = policy_for(app.server, output)
            if policy is None or not policy.on_server:
                security_log.warning("refused callback %s: no server policy declared", output)
                abort(403)
            problem = _shape_problem(body, app.callback_map[output])
            if problem:
                return _malformed(output, problem)


_WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])


def _malformed(output: str | None, reason: str):
    """Log and answer 400: the body is not one the browser would send."""
    actor = current_actor()
    security_log.warning("refused malformed callback body for %s from user=%s: %s", output,
                         actor.username if actor else None, reason)
    return jsonify(error="Yêu cầu không hợp lệ."), 400


def _shape_problem(body: dict, callback: dict) -> str | None:
    """Why the body's outputs, inputs, state or changedPropIds differ from what the callback was
    registered with (ids, properties, counts, types), or None."""
    declared = callback["output"]
    multi = isinstance(declared, (list, tuple))  # Dash sends one output as an object, several as a list
    outputs = [(output.component_id_str(), output.component_property) for output in (declared if multi else [declared])]
    if not _all_match(body.get("outputs") if multi else [body.get("outputs")], outputs):
        return "outputs do not match the callback"
    for name in ("inputs", "state"):  # the browser leaves out an empty state
        if not _all_match(body.get(name, []), [(d["id"], d["property"]) for d in callback[name]]):
            return f"{name} do not match the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(prop_id, str) and _parses(prop_id) for prop_id in changed):
        return "changedPropIds is not a list of property ids"
    return None


def _all_match(sent, declared: list[tuple[str, str]]) -> bool:
    return isinstance(sent, list) and len(sent) == len(declared) and all(
        _matches(item, component_id, prop) for item, (component_id, prop) in zip(sent, declared))


def _matches(item, component_id: str, prop: str) -> bool:
    """One sent dependency against a declared one: the same id and property; for a pattern id
    (stringified JSON with ALL, MATCH or ALLSMALLER), the list of matching components that Dash
    sends, or one component for MATCH alone."""
    if not component_id.startswith("{"):
        return isinstance(item, dict) and item.get("id") == component_id and _property(item) == prop
    pattern = json.loads(component_id)
    wildcards = {key for key, value in pattern.items() if value in _WILDCARDS}
    items = item if any(pattern[key] != ["MATCH"] for key in wildcards) else [item]
    return isinstance(items, list) and all(
        isinstance(one, dict) and _property(one) == prop and isinstance(one.get("id"), dict)
        and one["id"].keys() == pattern.keys()
        and all(isinstance(value, (str, int, float)) if key in wildcards else value == pattern[key]
                for key, value in one["id"].items())
        for one in items)


def _property(item: dict) -> str | None:
    prop = item.get("property")
    return prop.split("@")[0] if isinstance(prop, str) else None


def _parses(prop_id: str) -> bool:
    """Dash reads a pattern id back from "{...}.property" with json.loads, unbounded."""
    component_id = prop_id.rpartition(".")[0]
    if not component_id.startswith("{"):
        return True
    parsed, value = bounded_json(component_id)
    return parsed and isinstance(value, dict)
