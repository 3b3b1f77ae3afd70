"""Post to Dash callbacks the way the browser does, or forge what a browser never would.

Payloads are built from `/_dash-dependencies`, so a test names a callback by the input that
triggers it and never copies Dash's output keys (with their allow_duplicate hashes) by hand.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar


class DashClient:
    def __init__(self, client, dependencies: list[dict] | None = None):
        """`dependencies` lets an anonymous client (which may not read them) forge posts."""
        self.client = client
        self._dependencies = dependencies

    def dependency(self, trigger: str, output: str = "") -> dict:
        """The server callback triggered by `trigger` ("component-id.property") whose output key
        contains `output` (to tell apart callbacks sharing a trigger)."""
        if self._dependencies is None:
            self._dependencies = self.client.get("/_dash-dependencies").get_json()
        matches = [d for d in self._dependencies if d["clientside_function"] is None and output in d["output"]
                   and any(self._key(i) == trigger for i in d["inputs"])]
        assert len(matches) == 1, f"{len(matches)} server callbacks are triggered by {trigger}"
        return matches[0]

    @staticmethod
    def _key(item: dict) -> str:
        return f"{item['id']}.{item['property']}"

    def payload(self, trigger: str, value, values: dict | None = None, output: str = "") -> dict:
        dependency = self.dependency(trigger, output)
        values = values or {}
        outputs = []
        for part in dependency["output"].strip(".").split("..."):
            component, prop = part.rsplit(".", 1)
            outputs.append({"id": component, "property": prop})

        def filled(items):
            return [{**item, "value": value if self._key(item) == trigger else values.get(item["id"])}
                    for item in items]

        single = not dependency["output"].startswith("..")  # Dash sends one output as an object
        return {"output": dependency["output"], "outputs": outputs[0] if single else outputs,
                "inputs": filled(dependency["inputs"]),
                "state": filled(dependency["state"]), "changedPropIds": [trigger]}

    def post(self, payload: dict, **headers):
        return self.client.post("/_dash-update-component", data=json.dumps(payload),
                                content_type="application/json", headers=headers)

    def call(self, trigger: str, value, values: dict | None = None, output: str = ""):
        """Post and return the response; `values` gives the other inputs and states by component id."""
        return self.post(self.payload(trigger, value, values, output))


class HttpResponse:
    def __init__(self, status_code: int, body: bytes):
        self.status_code = status_code
        self.data = body

    def get_json(self):
        return json.loads(self.data)

    def get_data(self, as_text: bool = False):
        return self.data.decode(errors="replace") if as_text else self.data


class HttpClient:
    """A real HTTP client with its own cookie jar, shaped like Flask's test client for DashClient:
    for a live server (gunicorn in the concurrency test, the benchmark)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def login(self, username: str, password: str) -> HttpClient:
        data = urllib.parse.urlencode({"username": username, "password": password}).encode()
        self.opener.open(f"{self.base}/login", data=data, timeout=60)
        return self

    def _send(self, request) -> HttpResponse:
        try:
            with self.opener.open(request, timeout=120) as response:
                return HttpResponse(response.status, response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read())

    def get(self, path: str) -> HttpResponse:
        return self._send(urllib.request.Request(f"{self.base}{path}"))

    def post(self, path: str, data: str, content_type: str, headers: dict | None = None) -> HttpResponse:
        return self._send(urllib.request.Request(f"{self.base}{path}", data=data.encode(),
                                                 headers={"Content-Type": content_type, **(headers or {})}))
