"""Callback answers serialized by orjson in one pass (issue 17).

Dash serializes a callback's answer with plotly's `to_json_plotly`: orjson first, and when the
answer holds a Dash component or a figure (every page's answer does) it walks the whole answer in
Python to clean it, copying each figure, then serializes again — most of the time of a warm
overview (an 800 KB answer at 100 000 assignments) went there. Here orjson serializes the answer
once and asks `to_plotly_json()` of each component and figure it meets; what orjson cannot
serialize still goes through plotly's path, then the standard encoder, and what none can is Dash's
"invalid output" error.

Only callback answers (`application/json`, parsed with JSON.parse) come here; the page's layout
and config, embedded in HTML, keep plotly's escaping of "<", ">" and "/".
"""
from __future__ import annotations

import json

import dash._callback
import orjson
from plotly.io.json import to_json_plotly
from plotly.utils import PlotlyJSONEncoder

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _as_json_value(value):
    """A Dash component's or a figure's JSON form (orjson serializes what it returns)."""
    to_plotly_json = getattr(value, "to_plotly_json", None)
    if to_plotly_json is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_plotly_json()


def answer_json(answer) -> str:
    try:
        return orjson.dumps(answer, default=_as_json_value, option=OPTIONS).decode()
    except TypeError:  # e.g. a pandas value inside: plotly knows those (or raises TypeError itself)
        pass
    try:
        return to_json_plotly(answer)
    except TypeError:
        # A lone surrogate (a forged input echoed back) stops both orjson passes; the standard
        # encoder writes it as JSON's "\ud800" escape, which the browser parses. What it cannot
        # serialize either still raises TypeError: Dash's "invalid output".
        return json.dumps(answer, cls=PlotlyJSONEncoder)


def init_answers() -> None:
    """Dash's callback dispatch serializes every answer with `dash._callback.to_json`."""
    dash._callback.to_json = answer_json
