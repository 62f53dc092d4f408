"""Defects found by hostile testing (issue 10): bad values from the browser and bad models.

Each test drives the widget the way the browser does (``Widget.set_state``, what ipywidgets
calls for an ``update`` message) and checks both the Python state and the messages sent back.
"""

from __future__ import annotations

import gc
import json
import re
import threading
import weakref

import ipywidgets
import numpy as np
import pytest

from limewidgets import TabularExplanationWidget, TextExplanationWidget

from .conftest import RecordingModel, js_update


@pytest.fixture
def sent(monkeypatch):
    """Every ``update`` message the widgets send to the browser: a list of state dicts."""
    messages: list[dict] = []

    def record(self, msg, buffers=None):
        if msg.get("method") == "update":
            messages.append(dict(msg["state"]))

    monkeypatch.setattr(ipywidgets.Widget, "_send", record)
    return messages


def three_classes(model):
    """The text model with a third, made-up class: the wrong model for the explanation."""

    def predict(texts):
        proba = np.asarray(model(texts))
        return np.column_stack([proba * 0.5, np.full(len(proba), 0.5)])

    return predict


def removed(widget, *features):
    row = np.asarray(widget.initial_state, dtype=float).copy()
    row[list(features)] = 0
    return [int(v) for v in row]


# ---------------------------------------------------------------- (1) model output width
@pytest.mark.parametrize("threaded", [False, True])
def test_a_model_with_another_number_of_classes_is_an_error(text_explanation, text_model, threaded):
    widget = TextExplanationWidget(text_explanation, three_classes(text_model), threaded=threaded)
    good_output = list(widget.real_output)
    js_update(widget, state=removed(widget, 0), state_id=1)
    assert widget.wait(10)
    assert widget.error.startswith("ValueError: classifier_fn returned 3 outputs per instance")
    assert "2 classes (negative, positive)" in widget.error
    assert widget.error_state_id == 1
    assert widget.real_output == good_output and widget.real_state_id == 0
    assert widget.state == removed(widget, 0)  # the edit itself is kept


def test_the_counterfactual_search_checks_the_output_width(text_explanation, text_model):
    widget = TextExplanationWidget(text_explanation, three_classes(text_model), threaded=False)
    js_update(widget, counterfactual_request=1)
    assert widget.counterfactual["found"] is False
    assert "3 outputs per instance" in widget.counterfactual["message"]
    assert widget.counterfactual["request"] == 1


# ---------------------------------------------------------------- (5) bools are not ints
@pytest.mark.parametrize("name", ["label", "num_features", "state_id"])
def test_a_bool_from_the_browser_is_rejected(text_explanation, text_model, sent, name):
    widget = TextExplanationWidget(text_explanation, text_model, threaded=False)
    before = getattr(widget, name)
    js_update(widget, **{name: True})
    assert getattr(widget, name) == before and type(getattr(widget, name)) is int
    assert "bool" in widget.error
    assert {name: before} in sent  # the browser is told the last good value
    widget.toggle(0)  # and edits still work
    assert widget.real_state_id == widget.state_id and widget.error == ""


def test_bools_strings_and_none_are_not_a_state(text_explanation, tabular_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    n = len(widget.initial_state)
    for bad, message in [
        (["1"] * n, "state[0] must be a number; got"),
        ([True] * n, "state[0] must be a number; got"),
        ([None] + [1] * (n - 1), "state[0] must be a number; got None"),
        (np.ones(n, dtype=bool), "state must contain only numbers"),
    ]:
        with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
            widget._validate_state(bad)
    tabular = TabularExplanationWidget(tabular_explanation, threaded=False)
    row = list(tabular.initial_state)
    with pytest.raises(TypeError, match=r"state\[1\] must be a number"):
        tabular._validate_state([row[0], "2.0", *row[2:]])


# ---------------------------------------------------------------- (6) rejected state
def test_a_rejected_state_never_replaces_the_last_good_one(
    tabular_explanation, tabular_model, sent, tmp_path
):
    recorder = RecordingModel(tabular_model)
    widget = TabularExplanationWidget(tabular_explanation, recorder, threaded=False)
    widget.set_value(0, 2.5)
    good_state, good_id = list(widget.state), widget.state_id
    js_update(widget, state=[1.0, 2.0], state_id=good_id + 1)  # too short
    assert widget.state == good_state and widget.state_id == good_id
    assert widget.error.startswith("ValueError: state must have 3 values")
    assert sent[-1] == {"state": good_state, "state_id": good_id}
    js_update(widget, state=[float("nan"), 2.0, 1.0], state_id=good_id + 1)
    assert widget.state == good_state
    # Everything that reads the state still works and sees the last good one.
    assert widget.values[widget.features[0]["name"]] == 2.5
    widget.set_value(1, 2.0)
    assert widget.error == "" and widget.real_state_id == widget.state_id == good_id + 1
    page = widget.save_html(tmp_path / "page.html").read_text(encoding="utf8")
    saved = json.loads(re.search(r'id="lw-state-\w+">(.*?)</script>', page).group(1))
    assert saved["state"] == widget.state and saved["state_id"] == widget.state_id
    assert len(recorder.calls) == 2  # the rejected states never reached the model


def test_python_code_cannot_set_an_invalid_state_either(text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    with pytest.raises(Exception, match="mask of 0"):
        widget.state = [2] * len(widget.initial_state)
    assert widget.state == widget.initial_state


# ------------------------------------------- (7) Python-owned traits, (8) the browser re-syncs
READ_ONLY = "read-only from the browser"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("labels", [5], READ_ONLY),
        ("explanations", {}, READ_ONLY),
        ("class_names", ["a"], READ_ONLY),
        ("feature_names", [], READ_ONLY),
        ("initial_state", [0], READ_ONLY),
        ("real_output", [0.0], READ_ONLY),
        ("kind", "image", READ_ONLY),
        ("static", True, READ_ONLY),
        ("pending", True, READ_ONLY),
        ("label", 99, "TraitError: label must be one of the explained labels"),
        ("num_features", -5, "TraitError: num_features must be >= 1"),
        ("label", "1", "TraitError: The 'label' trait"),
    ],
)
def test_every_refused_browser_value_is_answered_with_the_last_good_one(
    text_explanation, text_model, sent, name, value, message
):
    widget = TextExplanationWidget(text_explanation, text_model, threaded=False)
    before = getattr(widget, name)
    js_update(widget, **{name: value})
    assert getattr(widget, name) == before
    assert message in widget.error
    assert sent[-1] == {name: before}  # the last word the browser hears: Python's value
    widget.toggle(1)  # and edits still work
    assert widget.error == "" and widget.real_state_id == widget.state_id == 1


def test_a_message_mixing_an_edit_and_an_owned_trait_keeps_the_edit(
    text_explanation, text_model, sent
):
    widget = TextExplanationWidget(text_explanation, text_model, threaded=False)
    labels = list(widget.labels)
    js_update(widget, labels=[7], state=removed(widget, 2), state_id=1)
    assert widget.labels == labels and widget.state == removed(widget, 2)
    assert widget.real_state_id == 1
    assert {"labels": labels} in sent


def test_an_accepted_value_is_not_sent_back(text_explanation, text_model, sent):
    widget = TextExplanationWidget(text_explanation, text_model, threaded=False)
    other = [label for label in widget.labels if label != widget.label][0]
    js_update(widget, label=other, num_features=3)
    assert widget.label == other and widget.num_features == 3
    assert all("label" not in message and "num_features" not in message for message in sent)


# ---------------------------------------------------------------- (9) dropped widgets
def _requery_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("limewidgets-")]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        deadline.wait(0.02)
    return condition()


def test_idle_widgets_hold_no_thread(text_explanation, text_model):
    widgets = [TextExplanationWidget(text_explanation, text_model) for _ in range(50)]
    for widget in widgets:
        widget.toggle(0)
    for widget in widgets:
        assert widget.wait(10)
        assert widget.real_state_id == 1
    # Threads exist only while there is work: 50 idle widgets, no re-query thread.
    assert _wait_for(lambda: _requery_threads() == [])
    widgets[0].toggle(1)  # and a new edit still gets its answer
    assert widgets[0].wait(10) and widgets[0].real_state_id == 2
    for widget in widgets:
        widget.close()


def test_closed_widgets_are_freed(text_explanation, text_model):
    refs = []
    for _ in range(50):
        widget = TextExplanationWidget(text_explanation, text_model)
        widget.toggle(0)
        assert widget.wait(10)
        widget.close()
        refs.append(weakref.ref(widget))
    del widget
    gc.collect()
    # Neither our worker nor anywidget (no file-change signal: _esm is text) keeps them.
    assert sum(ref() is not None for ref in refs) == 0
    assert _wait_for(lambda: _requery_threads() == [])
