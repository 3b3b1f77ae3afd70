"""Callback answers serialized by orjson in one pass (web/answers.py) say exactly what plotly's
serializer says: components, figures, numpy arrays, dates, text needing escapes in HTML."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import dcc, html
from plotly.io.json import to_json_plotly

from web.answers import answer_json


def test_an_answer_parses_to_what_plotly_serializes():
    answer = {"multi": True, "response": {
        "a": {"children": [html.Div(["Sở KH&CN </script>", dcc.Graph(figure=go.Figure(go.Bar(x=["Quý 1"], y=[1])))]),
                           None, date(2026, 1, 2)]},
        "b": {"figure": go.Figure(go.Pie(values=np.array([1, 2]), labels=["<b>Đã hoàn thành</b>", "a/b"]))},
        "c": {"rowData": [{"progress": 1.5, "when": datetime(2026, 1, 1, 10, 30), 7: "key not text"}]}}}
    assert json.loads(answer_json(answer)) == json.loads(to_json_plotly(answer))


def test_what_orjson_cannot_serialize_goes_through_plotlys_path():
    answer = {"response": {"a": {"children": Decimal("1.5")}}}
    expected = {"response": {"a": {"children": 1.5}}}
    assert json.loads(answer_json(answer)) == json.loads(to_json_plotly(answer)) == expected


def test_a_lone_surrogate_echoed_back_still_makes_an_answer():
    """A forged input can carry "\ud800", which no UTF-8 serializer writes: the answer escapes it."""
    answer = {"response": {"a": {"children": html.Div(["Sở \ud800 KH&CN", dcc.Graph(figure=go.Figure())])}}}
    parsed = json.loads(answer_json(answer))
    assert parsed["response"]["a"]["children"]["props"]["children"][0] == "Sở \ud800 KH&CN"


def test_what_no_serializer_knows_is_refused():
    with pytest.raises(TypeError):
        answer_json({"response": {"a": {"children": object()}}})
