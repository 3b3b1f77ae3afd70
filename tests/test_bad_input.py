"""Bad input over HTTP (QUALITY.md I5): ids beyond the database's integers, lone surrogates, deeply
nested JSON, malformed callback bodies and as-of dates at the calendar's edges get a 4xx or a
Vietnamese message, never a 500, and write nothing."""
import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callbacks.guard import policy_for
from tests.test_indicator_callbacks import FORM, ONLINE, indicator
from tests.test_indicator_callbacks import state_of as indicator_state
from tests.test_security import HOME_OUTPUT, home_payload
from tests.test_tasks_callbacks import DONE_FORM, ids, logged_in, response_of, save, state_of

TILE = '{"key":["ALL"],"scope":["ALL"],"type":"overview-tile"}.n_clicks'
DEEP = "__DEEP__"  # stands for a list nested 1 000 deep, which json.dumps itself refuses to write
HOSTILE = {"2**63": 2**63, "10**30": 10**30, "-2**63-1": -2**63 - 1, "2**63 as text": str(2**63),
           "lone surrogate": "\ud800", "nested 1000 deep": DEEP}


def nested(levels: int) -> list:
    """A list `levels` deep: [[[]]] is 3."""
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


def encoded(body) -> str:
    return json.dumps(body).replace(json.dumps(DEEP), "[" * 1000 + "]" * 1000)


def post(client, body, raw: bool = False):
    return client.post("/_dash-update-component", data=body if raw else encoded(body),
                       content_type="application/json")


def server_callbacks(app) -> list[tuple[str, dict]]:
    """Every callback a request may target: (output key, its entry in the callback map)."""
    found = [(output, spec) for output, spec in app.callback_map.items() if policy_for(app.server, output).on_server]
    assert found
    return found


def keys(spec) -> list[str]:
    return [f"{d['id']}.{d['property']}" for d in spec["inputs"] + spec["state"]]


def sane_values(db) -> dict:
    """Values a browser would send, by "component.property"; anything else is None."""
    task, target = ids(db, "so-khcn", "4"), indicator(db, ONLINE)
    selector = {f"{page}-{name}.value": value for page in ("overview", "indicators")
                for name, value in (("kind", "quarter"), ("period", "2026-Q2"), ("date", "2026-05-15"))}
    return {
        **selector, **{f"{name}.value": value for name, value in {**DONE_FORM, **FORM}.items()},
        "url.pathname": "/nhiem-vu", "url.search": f"?ma={target}",
        "home-ready.data": True, "tasks-ready.data": True, "overdue-ready.data": True, "indicators-ready.data": True,
        "tasks-agency.value": task.agency_id, "tasks-refresh.data": 0, "indicator-refresh.data": 0,
        "tasks-grid.cellClicked": {"rowId": str(task.id), "colId": "title"},
        "tasks-form-assignment.data": task.id, "tasks-form-version.data": task.version, "tasks-form-loaded.data": {},
        "tasks-form-save.n_clicks": 1, "tasks-report-submit.n_clicks": 1, "overview-export.n_clicks": 1,
        "tasks-report-open.n_clicks": 1, "tasks-unchanged.n_clicks": 1,
        "tasks-grid.selectedRows": [{"id": task.id, "version": task.version}],
        "overview-agencies.cellClicked": {"rowId": str(task.agency_id), "colId": "total"},
        "overview-sections.cellClicked": {"rowId": "1", "colId": "total"},
        TILE: [{"id": {"type": "overview-tile", "scope": "plan", "key": "overdue"}, "property": "n_clicks",
                "value": 1}],
        "overdue-section.value": "all", "overdue-agency.value": str(task.agency_id),
        "indicators-grid.cellClicked": {"rowId": str(target)},
        "indicator-id.data": target, "indicator-form-version.data": 0, "indicator-form-loaded.data": {},
        "indicator-form-save.n_clicks": 1, "indicator-direction-save.n_clicks": 1, "indicator-version.data": 1,
        "indicator-direction.value": "lower",
    }


def body(output: str, spec: dict, values: dict) -> dict:
    """The callback body the browser would post, with `values` by "component.property"."""
    def item(dependency):
        key = f"{dependency['id']}.{dependency['property']}"
        return values.get(key) if dependency["id"].startswith("{") else {**dependency, "value": values.get(key)}

    inputs = [item(d) for d in spec["inputs"]]
    first = inputs[0][0] if isinstance(inputs[0], list) and inputs[0] else inputs[0]
    trigger = first.get("id") if isinstance(first, dict) else None
    if isinstance(trigger, dict):  # a pattern-matching id travels as Dash stringifies it
        trigger = json.dumps(trigger, sort_keys=True, separators=(",", ":"))
    parts = [part.rsplit(".", 1) for part in output.strip(".").split("...")]
    outputs = [{"id": component, "property": prop} for component, prop in parts]
    return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0], "inputs": inputs,
            "state": [item(d) for d in spec["state"]],
            "changedPropIds": [f"{trigger}.{spec['inputs'][0]['property']}"] if isinstance(trigger, str) else []}


def variants(sane, hostile):
    """The hostile value in place of the sane one, and inside it: each key of a click, each
    parameter of a query string, each key of a grid's selected rows, the value and each id key of a
    pattern-matching input."""
    yield hostile
    if isinstance(sane, dict):
        yield from ({**sane, key: hostile} for key in sane)
    if isinstance(sane, str) and sane.startswith("?"):
        yield from (f"?{part.split('=')[0]}={hostile}" for part in sane[1:].split("&"))
    if isinstance(sane, list) and not all(isinstance(item.get("id"), dict) for item in sane):  # selected rows
        yield from ([{**item, key: hostile} for item in sane] for key in sane[0])
    elif isinstance(sane, list):
        yield [{**item, "value": hostile} for item in sane]
        for key in ("scope", "key"):
            yield [{**item, "id": {**item["id"], key: hostile}} for item in sane]


# ---- Every callback, every input ----------------------------------------------------------------

@pytest.mark.parametrize("username", ["tgv", "so-khcn"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_callback_answers_hostile_values_without_a_server_error(app, demo_db, username, name):
    """Each input of each server callback in turn gets an id beyond 64 bits, a lone surrogate or
    a 1 000-deep list, the others sane, for the secretariat and for an agency."""
    client = logged_in(app, username).client
    sane = sane_values(demo_db)
    failures = []
    for output, spec in server_callbacks(app):
        for key in keys(spec):
            for value in variants(sane.get(key), HOSTILE[name]):
                response = post(client, body(output, spec, {**sane, key: value}))
                if response.status_code >= 500:
                    failures.append((output[:60], key, repr(value)[:40]))
    assert not failures, failures


@pytest.mark.parametrize("field", ["tasks-form-result", "tasks-form-delay-reason", "tasks-form-note"])
def test_a_lone_surrogate_in_a_task_field_gets_a_vietnamese_message_and_nothing_is_saved(app, demo_db, field):
    target = ids(demo_db, "so-khcn", "4")
    before = state_of(demo_db, target.id)
    answer = response_of(save(logged_in(app, "so-khcn"), target.id, target.version,
                              {**DONE_FORM, field: "Đã ban hành \ud800 xong"}))
    assert answer[field]["invalid"] is True
    assert "ký tự không hợp lệ" in answer[f"{field}-feedback"]["children"]
    assert state_of(demo_db, target.id) == before


@pytest.mark.parametrize("field", ["indicator-form-value", "indicator-form-source-note"])
def test_a_lone_surrogate_in_an_indicator_field_gets_a_vietnamese_message_and_nothing_is_saved(app, demo_db,
                                                                                               field):
    target = indicator(demo_db, ONLINE)
    before = indicator_state(demo_db, target)
    values = {**{f"{name}.value": value for name, value in FORM.items()}, f"{field}.value": "86\ud800%",
              "indicator-id.data": target, "indicator-form-version.data": 0, "indicator-form-loaded.data": {},
              "indicator-refresh.data": 0, "indicator-form-save.n_clicks": 1}
    output, spec = next((o, s) for o, s in server_callbacks(app) if s["inputs"][0]["id"] == "indicator-form-save")
    answer = response_of(post(logged_in(app, "vp-ubnd-tinh").client, body(output, spec, values)))
    assert answer[field]["invalid"] is True
    assert "ký tự không hợp lệ" in answer[f"{field}-feedback"]["children"]
    assert indicator_state(demo_db, target) == before


# ---- Malformed bodies ----------------------------------------------------------------------------

def _without(key):
    return {k: v for k, v in home_payload().items() if k != key}


def _with(**changes):
    return {**home_payload(), **changes}


def _input(**changes):
    return _with(inputs=[{"id": "home-ready", "property": "data", "value": True, **changes}])


MALFORMED = {
    "empty": b"", "invalid JSON": b"{", "a JSON array": b"[]", "a JSON string": b'"x"', "a number": b"1",
    "null": b"null", "not UTF-8": b'{"output": "\xff"}', "a 5 000-digit number": b'{"output": ' + b"9" * 5000 + b"}",
    "nested 1 000 deep": encoded(_input(value=DEEP)).encode(),
    "nested 100 000 deep": b'{"output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "no output": _without("output"), "output a number": _with(output=1), "output a list": _with(output=[HOME_OUTPUT]),
    "no inputs": _without("inputs"), "inputs an object": _with(inputs={}), "inputs a string": _with(inputs="x"),
    "an input without id": _with(inputs=[{"property": "data", "value": True}]),
    "an input without property": _with(inputs=[{"id": "home-ready", "value": True}]),
    "an input id a number": _input(id=1), "an input id a list": _input(id=["home-ready"]),
    "an input property a list": _input(property=["data"]), "an input a string": _with(inputs=["home-ready.data"]),
    "one input too few": _with(inputs=[]), "one input too many": _with(inputs=home_payload()["inputs"] * 2),
    "another callback's input": _input(id="tasks-ready"), "another property": _input(property="children"),
    "an input where a pattern list goes": _input(id={"type": "overview-tile", "scope": "plan", "key": "done"}),
    "state a string": _with(state="x"), "state with an input too many": _with(state=home_payload()["inputs"]),
    "no outputs": _without("outputs"), "outputs a string": _with(outputs="home-sentence.children"),
    "outputs too few": _with(outputs=home_payload()["outputs"][:2]),
    "outputs of another callback": _with(outputs=[{"id": "tasks-count", "property": "children"}] * 4),
    "changedPropIds a string": _with(changedPropIds="home-ready.data"),
    "changedPropIds a number": _with(changedPropIds=[1]),
    "changedPropIds a broken pattern id": _with(changedPropIds=['{"type":.data']),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_callback_body_gets_400_with_a_vietnamese_message(client, auth, caplog, name):
    auth.login("tgv")
    malformed = MALFORMED[name]
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = post(client, malformed, raw=isinstance(malformed, bytes))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json() == {"error": "Yêu cầu không hợp lệ."}
    assert "malformed callback body" in caplog.text


def test_a_pattern_matching_input_must_come_as_the_list_of_matching_components(app, demo_db):
    """The tile click of the overview: its input is a list; as one object it is malformed."""
    client = logged_in(app, "tgv").client
    output, spec = next((o, s) for o, s in server_callbacks(app) if s["inputs"][0]["id"].startswith("{"))
    proper = body(output, spec, sane_values(demo_db))
    assert post(client, proper).status_code == 200
    assert post(client, {**proper, "inputs": proper["inputs"][0]}).status_code == 400
    forged_type = [{**proper["inputs"][0][0], "id": {"type": "tasks-grid", "scope": "plan", "key": "done"}}]
    assert post(client, {**proper, "inputs": [forged_type]}).status_code == 400


def test_the_depth_bound_counts_structure_not_brackets_inside_strings(client, auth):
    """A body is nested at most 20 deep (the value sits 3 deep: body, inputs, input); brackets a
    person typed are text."""
    auth.login("tgv")
    assert post(client, _input(value=nested(18))).status_code == 400
    assert post(client, _input(value=nested(17))).status_code == 200
    response = post(client, _input(value="[{" * 5000))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


# ---- As-of dates at the calendar's edges ---------------------------------------------------------

@pytest.mark.parametrize("kind, period, day", [
    ("date", None, "0001-01-01"), ("date", None, "9999-12-31"), ("date", None, "1899-12-31"),
    ("quarter", "0001-Q1", None), ("year", "0000", None), ("month", "9999-12", None), ("year", "9999", None),
])
def test_an_as_of_day_outside_the_calendar_is_no_server_error(app, demo_db, kind, period, day):
    """Every callback reading the overview's or the targets' selector, and the value form's period;
    the overview says in words why it shows nothing."""
    client = logged_in(app, "tgv").client
    chosen = {f"{page}-{name}.value": value for page in ("overview", "indicators")
              for name, value in (("kind", kind), ("period", period), ("date", day))}
    values = {**sane_values(demo_db), **chosen, "indicator-form-period.value": period or day}
    selected = [(output, spec) for output, spec in server_callbacks(app)
                if set(keys(spec)) & {*chosen, "indicator-form-period.value"}]
    assert len(selected) >= 10
    for output, spec in selected:
        response = post(client, body(output, spec, values))
        assert response.status_code in (200, 204), (output[:60], response.get_data(as_text=True)[:300])
        if response.status_code == 200 and "overview-sentence.children" in output:  # the refusal, no figures
            answer = response.get_json()["response"]
            assert set(answer) == {"overview-sentence"}, f"an overview for {kind} {period or day} was answered"
            refusal = answer["overview-sentence"]["children"]["props"]
            assert refusal["color"] == "warning" and refusal["children"].startswith(("Năm ", "Kỳ "))


# ---- Unknown component-suite paths (logged in) ----------------------------------------------------

@pytest.mark.parametrize("path", ["/_dash-component-suites/nope/nope.js", "/_dash-component-suites/dash/nope.js",
                                  "/_dash-component-suites/dash/../../app.py"])
def test_an_unknown_component_suite_path_is_404_when_logged_in(client, auth, path):
    auth.login("tgv")
    assert client.get(path).status_code == 404


# ---- Any JSON body (property test) ---------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 2, max_value=10**30)
    | st.integers(max_value=-2**63 - 1, min_value=-10**30) | st.floats()
    | st.text(st.characters(exclude_categories=()), max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_body_is_answered_never_a_server_error(app, demo_db, data):
    """Any JSON at all, and real callback bodies with any values, any key replaced or dropped."""
    client = logged_in(app, "tgv").client
    output, spec = data.draw(st.sampled_from(server_callbacks(app)))
    sane = sane_values(demo_db)
    proper = body(output, spec, {key: data.draw(st.just(sane.get(key)) | json_values) for key in keys(spec)})
    posted = data.draw(st.one_of(
        st.just(proper), json_values,
        st.builds(lambda key, value: {**proper, key: value}, st.sampled_from(sorted(proper)), json_values),
        st.builds(lambda key: {k: v for k, v in proper.items() if k != key}, st.sampled_from(sorted(proper))),
    ))
    response = post(client, posted)
    assert response.status_code != 500, response.get_data(as_text=True)[:300]
