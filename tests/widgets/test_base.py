"""Behaviour shared by every widget: re-queries, latest wins, errors, labels, registration."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import traitlets

from limewidgets import ImageExplanationWidget, TabularExplanationWidget, TextExplanationWidget
from limewidgets.engine.explanation import LabelNotExplainedError

from .conftest import RecordingModel, js_update

WIDGETS = {
    "text": TextExplanationWidget,
    "image": ImageExplanationWidget,
    "tabular": TabularExplanationWidget,
}


@pytest.fixture(params=["text", "image", "tabular"])
def case(request):
    """(kind, explanation, model) for every kind."""
    kind = request.param
    explanation = request.getfixturevalue(f"{kind}_explanation")
    model = request.getfixturevalue(f"{kind}_model")
    return kind, explanation, model


def edited_row(kind, widget):
    """A meaningful edit of the original: remove features 0 and 2, or change x0 and colour."""
    row = np.asarray(widget.initial_state, dtype=float).copy()
    if kind == "tabular":
        row[0], row[1] = 2.5, 2.0
    else:
        row[[0, 2]] = 0
    return row


def assert_same_instances(actual, expected):
    if isinstance(expected, list):
        assert list(actual) == expected
    else:
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


# --------------------------------------------------------------------------- construction
def test_common_traits(case):
    kind, explanation, model = case
    widget = WIDGETS[kind](explanation, threaded=False)
    assert widget.kind == kind
    assert widget.mode == "classification"
    assert widget.labels == explanation.available_labels()
    assert widget.label == explanation.top_labels[0]
    names = explanation.class_names or range(len(explanation.predict_proba))
    assert widget.class_names == [str(c) for c in names]
    assert widget.original_output == pytest.approx(list(explanation.predict_proba))
    assert widget.real_output == widget.original_output
    assert widget.real_state_id == widget.state_id == 0
    assert widget.error_state_id == -1
    assert widget.state == widget.initial_state
    assert np.allclose(widget.initial_state, explanation.perturbation.initial_state())
    assert len(widget.feature_names) == explanation.perturbation.n_features
    assert widget.static is False and widget.pending is False and widget.error == ""
    for label in widget.labels:
        payload = widget.explanations[str(label)]
        # Weights are sent by position in state (for images not the segment id).
        pairs = explanation.local_exp[label]
        positions = explanation.feature_columns([f for f, _ in pairs])
        assert payload["weights"] == [
            [int(p), pytest.approx(w)] for p, (_, w) in zip(positions, pairs, strict=True)
        ]
        magnitudes = [abs(w) for _, w in payload["weights"]]
        assert magnitudes == sorted(magnitudes, reverse=True)
        assert payload["intercept"] == pytest.approx(explanation.intercept[label])
        assert payload["score"] == pytest.approx(explanation.score[label])
        assert payload["local_pred"] == pytest.approx(float(explanation.local_pred[label][0]))
    # The surrogate of the untouched instance is the explanation's own local prediction.
    assert widget.surrogate_output == pytest.approx(float(explanation.local_pred[widget.label][0]))


def test_explanation_widget_returns_the_right_class(case):
    kind, explanation, _ = case
    widget = explanation.widget(threaded=False, num_features=4)
    assert type(widget).__name__ == WIDGETS[kind].__name__
    assert isinstance(widget, WIDGETS[kind])
    assert widget.num_features == 4


def test_show_in_notebook_displays_the_widget(case, monkeypatch):
    import IPython.display

    kind, explanation, _ = case
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    explanation.show_in_notebook()
    assert len(shown) == 1
    assert isinstance(shown[0], WIDGETS[kind])
    assert shown[0].explanation is explanation


def test_wrong_kind_is_a_type_error(text_explanation, image_explanation, tabular_explanation):
    with pytest.raises(TypeError, match="needs a image explanation.*kind='text'"):
        ImageExplanationWidget(text_explanation)
    with pytest.raises(TypeError, match="needs a text explanation"):
        TextExplanationWidget(tabular_explanation)
    with pytest.raises(TypeError, match="needs a tabular explanation"):
        TabularExplanationWidget(image_explanation)
    with pytest.raises(TypeError, match="needs a text explanation"):
        TextExplanationWidget("not an explanation")


def test_bad_arguments(text_explanation):
    with pytest.raises(TypeError, match="classifier_fn must be callable"):
        TextExplanationWidget(text_explanation, classifier_fn="model")
    with pytest.raises(ValueError, match="num_features must be an integer >= 1; got 0"):
        TextExplanationWidget(text_explanation, num_features=0)
    with pytest.raises(TypeError, match="threaded must be True or False"):
        TextExplanationWidget(text_explanation, threaded="yes")
    with pytest.raises(ValueError, match="max_queries"):
        TextExplanationWidget(text_explanation, max_queries=1)
    with pytest.raises(TypeError, match="label must be an integer"):
        TextExplanationWidget(text_explanation, label="positive")


def test_unexplained_label_raises(text_model):
    from limewidgets import LimeTextExplainer

    explanation = LimeTextExplainer(random_state=0).explain_instance(
        "good plot", text_model, labels=(1,), num_samples=50
    )
    with pytest.raises(LabelNotExplainedError, match=r"label 0 was not explained.*\[1\]"):
        TextExplanationWidget(explanation, label=0)
    widget = TextExplanationWidget(explanation, threaded=False)
    assert widget.labels == [1] and widget.label == 1
    with pytest.raises(traitlets.TraitError, match="explained labels"):
        widget.label = 0


# --------------------------------------------------------------------------- re-queries
def test_edit_queries_model_with_make_instances_sync(case):
    kind, explanation, model = case
    recorder = RecordingModel(model)
    widget = WIDGETS[kind](explanation, recorder, threaded=False)
    assert recorder.calls == []  # the original output comes from the explanation
    row = edited_row(kind, widget)
    js_update(widget, state=widget._state_to_json(row), state_id=1)
    assert len(recorder.calls) == 1
    expected = explanation.perturbation.make_instances(row[None, :])
    assert_same_instances(recorder.calls[0], expected)
    assert widget.real_output == pytest.approx(list(np.asarray(model(expected))[0]))
    assert widget.real_state_id == 1 and widget.pending is False and widget.error == ""
    surrogate = explanation.surrogate_predict(
        explanation.perturbation.to_interpretable(row[None, :]), widget.label
    )[0]
    assert widget.surrogate_output == pytest.approx(surrogate)
    assert widget.surrogate_estimate == pytest.approx(surrogate)


def test_edit_queries_model_threaded(case):
    kind, explanation, model = case
    recorder = RecordingModel(model)
    widget = WIDGETS[kind](explanation, recorder, threaded=True)
    row = edited_row(kind, widget)
    js_update(widget, state=widget._state_to_json(row), state_id=1)
    assert widget.wait(10)
    assert len(recorder.calls) == 1
    assert_same_instances(recorder.calls[0], explanation.perturbation.make_instances(row[None, :]))
    assert widget.real_state_id == 1 and widget.pending is False
    assert widget.real_output == pytest.approx(list(np.asarray(model(recorder.calls[0]))[0]))
    widget.reset()
    assert widget.wait(10)
    assert widget.state == widget.initial_state and widget.state_id == 2
    assert widget.real_state_id == 2
    assert widget.real_output == pytest.approx(widget.original_output)
    widget.close()


def test_latest_state_wins(case):
    """Three rapid edits while the model is busy: only the first and the last are computed."""
    kind, explanation, model = case
    recorder = RecordingModel(model)
    recorder.gate = __import__("threading").Event()
    widget = WIDGETS[kind](explanation, recorder, threaded=True)
    rows = []
    for state_id in (1, 2, 3):
        row = np.asarray(widget.initial_state, dtype=float).copy()
        if kind == "tabular":
            row[0] = row[0] + state_id
        else:
            row[state_id] = 0
        rows.append(row)
        js_update(widget, state=widget._state_to_json(row), state_id=state_id)
        if state_id == 1:
            assert recorder.started.wait(10)  # the worker is now stuck inside the model
    assert widget.pending is True
    recorder.gate.set()
    assert widget.wait(10)
    assert len(recorder.calls) == 2
    perturbation = explanation.perturbation
    assert_same_instances(recorder.calls[0], perturbation.make_instances(rows[0][None, :]))
    assert_same_instances(recorder.calls[1], perturbation.make_instances(rows[2][None, :]))
    assert widget.real_state_id == 3 and widget.pending is False
    expected = np.asarray(model(perturbation.make_instances(rows[2][None, :])))[0]
    assert widget.real_output == pytest.approx(list(expected))
    widget.close()


@pytest.mark.parametrize("threaded", [False, True])
def test_model_error_is_shown_and_previous_state_kept(case, threaded):
    kind, explanation, model = case
    recorder = RecordingModel(model)
    widget = WIDGETS[kind](explanation, recorder, threaded=threaded)
    first = edited_row(kind, widget)
    js_update(widget, state=widget._state_to_json(first), state_id=1)
    assert widget.wait(10)
    before = (list(widget.real_output), widget.real_state_id, widget.surrogate_output)
    recorder.fail_with = RuntimeError("model exploded")
    second = np.asarray(widget.initial_state, dtype=float)
    js_update(widget, state=widget._state_to_json(second), state_id=2)
    assert widget.wait(10)
    assert widget.error == "RuntimeError: model exploded"
    # The error names the edit it answers; the real output stays on the last good one.
    assert widget.error_state_id == 2
    assert (list(widget.real_output), widget.real_state_id, widget.surrogate_output) == before
    assert widget.pending is False
    # The widget (and its worker) still work once the model recovers.
    recorder.fail_with = None
    js_update(widget, state=widget._state_to_json(second), state_id=3)
    assert widget.wait(10)
    assert widget.error == "" and widget.real_state_id == 3 and widget.error_state_id == -1
    assert widget.real_output == pytest.approx(widget.original_output)
    widget.close()


@pytest.mark.parametrize("threaded", [False, True])
def test_error_and_its_state_id_reach_the_browser_in_one_message(
    text_explanation, text_model, threaded
):
    """The browser must never see the new error without the state it belongs to (or vice versa)."""
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder, threaded=threaded)
    sent = []
    widget.send_state = lambda key=None: sent.append(sorted(key) if isinstance(key, set) else key)
    recorder.fail_with = RuntimeError("model exploded")
    widget.toggle(0)
    assert widget.wait(10)
    assert ["error", "error_state_id"] in sent
    assert "error" not in sent and "error_state_id" not in sent  # never alone
    # pending goes back to False only after (or with) the error: JS then treats it as the answer.
    error_message = sent.index(["error", "error_state_id"])
    assert sent[error_message + 1 :] == ["pending"]
    assert (widget.error_state_id, widget.state_id, widget.real_state_id) == (1, 1, 0)
    widget.close()


def test_error_state_id_names_only_the_latest_edit(text_explanation, text_model):
    """An error of an edit that was already replaced is stale: only the newest edit is answered."""
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder, threaded=True)
    seen = []
    widget.observe(lambda change: seen.append(change["new"]), names="error_state_id")
    recorder.fail_with = RuntimeError("model exploded")
    recorder.gate = threading.Event()
    widget.toggle(0)  # state 1: its query starts and waits at the gate
    assert recorder.started.wait(10)
    widget.toggle(1)  # state 2 replaces it while it runs
    recorder.gate.set()
    assert widget.wait(10)
    assert len(recorder.calls) == 2
    assert seen == [2] and widget.error == "RuntimeError: model exploded"
    assert widget.pending is False and widget.real_state_id == 0
    widget.close()


def test_model_returning_garbage_is_an_error(text_explanation, text_model):
    widget = TextExplanationWidget(
        text_explanation, lambda texts: np.full((len(texts), 2), np.nan), threaded=False
    )
    widget.toggle(0)
    assert widget.error.startswith("ValueError: classifier_fn returned 2 NaN")
    assert widget.real_state_id == 0 and widget.error_state_id == 1


def test_invalid_state_from_browser_sets_error_without_query(text_explanation, text_model):
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder, threaded=False)
    js_update(widget, state=[1, 0], state_id=1)
    assert "state must have" in widget.error and widget.error.startswith("ValueError")
    # Rejected whole: the edit never happened (the browser is sent the last good values).
    assert widget.state_id == 0 and widget.state == widget.initial_state
    js_update(widget, state=[2] * len(widget.initial_state), state_id=1)
    assert "mask of 0" in widget.error and widget.state_id == 0
    assert recorder.calls == [] and widget.real_state_id == 0 and widget.error_state_id == -1


def test_label_change_updates_surrogate(text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    widget.toggle(0)
    row = np.asarray(widget.state, dtype=float)[None, :]
    other = [label for label in widget.labels if label != widget.label][0]
    js_update(widget, label=other)
    assert widget.surrogate_output == pytest.approx(
        text_explanation.surrogate_predict(row, other)[0]
    )
    assert widget.real_state_id == 1  # no model call needed: real_output has every class


def test_num_features_validated(text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    js_update(widget, num_features=3)
    assert widget.num_features == 3
    with pytest.raises(traitlets.TraitError, match="num_features must be >= 1"):
        widget.num_features = 0


def test_surrogate_only_mode(text_explanation, text_model):
    """With no model at all the widget still works, labelled as surrogate-only."""
    from limewidgets.engine.text import TextExplanation

    copy = TextExplanation.__new__(TextExplanation)
    copy.__dict__.update(text_explanation.__dict__)
    copy.classifier_fn = None
    widget = TextExplanationWidget(copy, threaded=False)
    assert widget.static is True
    widget.toggle(0)
    assert widget.state[0] == 0 and widget.error == "" and widget.real_state_id == 0
    assert widget.surrogate_estimate == pytest.approx(
        text_explanation.surrogate_predict(np.asarray([widget.state]), widget.label)[0]
    )
    with pytest.raises(ValueError, match="needs a model"):
        widget.find_counterfactual()
    js_update(widget, counterfactual_request=1)
    assert widget.counterfactual["found"] is False
    assert "needs a model" in widget.counterfactual["message"]
    # A model given to the widget itself is used.
    live = TextExplanationWidget(copy, text_model, threaded=False)
    assert live.static is False
    live.toggle(0)
    assert live.real_state_id == 1


# --------------------------------------------------------------------------- mask editing
@pytest.mark.parametrize("kind", ["text", "image"])
def test_toggle_hide_keep_reset(kind, request):
    explanation = request.getfixturevalue(f"{kind}_explanation")
    model = request.getfixturevalue(f"{kind}_model")
    recorder = RecordingModel(model)
    widget = WIDGETS[kind](explanation, recorder, threaded=False, num_features=2)
    n = explanation.perturbation.n_features
    second = int(explanation.feature_ids([1])[0])  # the feature at position 1 of state
    widget.toggle(second)
    assert widget.state == [1] + [0] + [1] * (n - 2) and widget.state_id == 1
    assert widget.removed_features == [second]
    widget.toggle(second)
    assert widget.state == [1] * n and widget.state_id == 2
    label = widget.label
    positive = sorted((w, f) for f, w in explanation.local_exp[label] if w > 0)[::-1]
    top2 = sorted(f for _, f in positive[:2])
    widget.hide_top()
    assert widget.removed_features == top2
    widget.keep_top(1)
    kept = [i for i, v in enumerate(widget.state) if v == 1]
    assert kept == explanation.feature_columns([positive[0][1]]).tolist()
    widget.reset()
    assert widget.state == [1] * n
    # Five edits, four model calls: reset goes back to the all-ones mask already answered
    # after the second toggle, so the query cache answers it.
    assert len(recorder.calls) == 4 and widget.real_state_id == widget.state_id == 5
    assert widget.real_from_cache and widget.cache_hits == 1
    # Text ids are positions; image ids are segment ids (here 10, 20, ..., 160).
    outside = n if kind == "text" else int(explanation.segment_ids.max()) + 1
    with pytest.raises(ValueError, match=r"feature_id must be (in \[0, |a feature of the expl)"):
        widget.toggle(outside)
    with pytest.raises(TypeError, match="feature_id must be an integer"):
        widget.toggle("good")


def test_counterfactual_request_from_browser(image_explanation, image_model):
    recorder = RecordingModel(image_model)
    widget = ImageExplanationWidget(image_explanation, recorder, threaded=True, max_queries=40)
    js_update(widget, counterfactual_request=1)
    assert widget.wait(20)
    result = widget.counterfactual
    assert result["request"] == 1 and result["found"] is True
    assert result["queries"] == recorder.rows <= 40
    assert result["label"] == widget.label
    assert result["label_after"] != result["label_before"]
    widget.close()
