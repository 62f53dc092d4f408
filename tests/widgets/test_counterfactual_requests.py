"""Counterfactual searches asked for by the browser: any number in a row, and cancelling one."""

from __future__ import annotations

import threading

import ipywidgets
import pytest

from limewidgets import ImageExplanationWidget, TextExplanationWidget

from .conftest import RecordingModel, js_update

WIDGETS = {"text": TextExplanationWidget, "image": ImageExplanationWidget}


@pytest.fixture
def sent(monkeypatch):
    """The ``counterfactual`` values sent to the browser, in order."""
    values: list[dict] = []

    def record(self, msg, buffers=None):
        if msg.get("method") == "update" and "counterfactual" in msg["state"]:
            values.append(msg["state"]["counterfactual"])

    monkeypatch.setattr(ipywidgets.Widget, "_send", record)
    return values


@pytest.fixture(params=["text", "image"])
def case(request):
    kind = request.param
    explanation = request.getfixturevalue(f"{kind}_explanation")
    model = request.getfixturevalue(f"{kind}_model")
    return kind, explanation, model


@pytest.mark.parametrize("threaded", [True, False])
def test_every_search_in_a_row_reaches_the_browser(case, sent, threaded):
    kind, explanation, model = case
    widget = WIDGETS[kind](explanation, model, threaded=threaded, max_queries=40)
    for request in (1, 2, 3):
        js_update(widget, counterfactual_request=request)
        assert widget.wait(20)
        assert widget.counterfactual["request"] == request
        # What the browser waits for: a message carrying the answer to its request.
        assert sent[-1]["request"] == request and sent[-1]["found"] is True
        assert widget.pending is False
    assert [value["request"] for value in sent] == [1, 2, 3]
    # The Python method answers too, with request 0, and a browser search after it still works.
    widget.find_counterfactual()
    assert sent[-1]["request"] == 0
    js_update(widget, counterfactual_request=4)
    assert widget.wait(20) and sent[-1]["request"] == 4
    widget.close()


def test_a_running_search_can_be_cancelled(text_explanation, text_model, sent):
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder, max_queries=200)
    recorder.gate = threading.Event()
    js_update(widget, counterfactual_request=1)
    assert recorder.started.wait(10)  # the search is inside its first model call
    assert widget.pending is True
    js_update(widget, counterfactual_cancel=1)
    recorder.gate.set()
    assert widget.wait(20)
    result = widget.counterfactual
    assert result["request"] == 1 and result["cancelled"] is True and result["found"] is False
    assert result["message"] == "search cancelled"
    assert len(recorder.calls) == 1  # stopped at the next batch
    assert widget.pending is False and widget.error == ""
    # The widget stays usable: edits and new searches work.
    widget.toggle(0)
    assert widget.wait(10) and widget.real_state_id == 1
    js_update(widget, counterfactual_request=2)
    assert widget.wait(20)
    assert widget.counterfactual["request"] == 2 and widget.counterfactual["found"] is True
    assert widget.counterfactual["cancelled"] is False
    widget.close()


def test_a_search_cancelled_before_it_started_makes_no_model_call(text_explanation, text_model):
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder)
    recorder.gate = threading.Event()
    widget.toggle(0)  # a re-query holds the worker
    assert recorder.started.wait(10)
    js_update(widget, counterfactual_request=1)
    widget.cancel_counterfactual()
    assert widget.counterfactual_cancel == 1
    recorder.gate.set()
    assert widget.wait(20)
    assert widget.counterfactual["cancelled"] is True and widget.counterfactual["request"] == 1
    assert len(recorder.calls) == 1  # only the re-query
    widget.close()
