"""Post to Dash callbacks the way the browser does, or forge what a browser never would.

Payloads are built from `/_dash-dependencies`, so a test names a callback by the input that
triggers it and never copies Dash's output keys (with their allow_duplicate hashes) by hand.
"""
from __future__ import annotations

import json


class DashClient:
    def __init__(self, client, dependencies: list[dict] | None = None):
        """`dependencies` lets an anonymous client (which may not read them) forge posts."""
        self.client = client
        self._dependencies = dependencies

    def dependency(self, trigger: str) -> dict:
        """The server callback triggered by `trigger` ("component-id.property")."""
        if self._dependencies is None:
            self._dependencies = self.client.get("/_dash-dependencies").get_json()
        matches = [d for d in self._dependencies if d["clientside_function"] is None
                   and any(f"{i['id']}.{i['property']}" == trigger for i in d["inputs"])]
        assert len(matches) == 1, f"{len(matches)} server callbacks are triggered by {trigger}"
        return matches[0]

    def payload(self, trigger: str, value, values: dict | None = None) -> dict:
        dependency = self.dependency(trigger)
        values = values or {}
        outputs = []
        for part in dependency["output"].strip(".").split("..."):
            component, prop = part.rsplit(".", 1)
            outputs.append({"id": component, "property": prop})

        def filled(items):
            return [{**item, "value": value if f"{item['id']}.{item['property']}" == trigger
                     else values.get(item["id"])} for item in items]

        return {"output": dependency["output"], "outputs": outputs, "inputs": filled(dependency["inputs"]),
                "state": filled(dependency["state"]), "changedPropIds": [trigger]}

    def post(self, payload: dict, **headers):
        return self.client.post("/_dash-update-component", data=json.dumps(payload),
                                content_type="application/json", headers=headers)

    def call(self, trigger: str, value, values: dict | None = None):
        """Post and return the response; `values` gives the other inputs and states by component id."""
        return self.post(self.payload(trigger, value, values))
