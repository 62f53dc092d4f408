"""Widgets reuse every model answer and carry the explanation's uncertainty to the browser."""

from __future__ import annotations

import numpy as np
import pytest

from limewidgets import (
    ImageExplanationWidget,
    LimeImageExplainer,
    LimeTextExplainer,
    TabularExplanationWidget,
    TextExplanationWidget,
)

from .conftest import TEXT_DOCUMENT, RecordingModel, grid_segments, js_update


@pytest.fixture
def own_text(text_model):
    """A text explanation whose own classifier_fn counts its calls (so the widget shares the cache)."""
    model = RecordingModel(text_model)
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=0)
    explanation = explainer.explain_instance(TEXT_DOCUMENT, model, num_samples=300, sampler="lime")
    model.calls.clear()
    return explanation, model


def test_toggling_a_word_off_and_on_again_needs_one_model_call(own_text):
    explanation, model = own_text
    widget = TextExplanationWidget(explanation, threaded=False)
    assert widget.query_cache is explanation.query_cache
    assert model.rows == 0 and widget.cache_hits == 0 and not widget.real_from_cache
    # A mask none of the 300 samples has: every word kept except the first two and the last.
    n = explanation.perturbation.n_features
    mask = [0, 0] + [1] * (n - 3) + [0]
    known = explanation.query_cache.rows()
    assert not (known == mask).all(axis=1).any()
    js_update(widget, state=mask, state_id=1)
    assert model.rows == 1 and not widget.real_from_cache
    first = list(widget.real_output)
    widget.toggle(0)  # put the first word back: a new mask, one more call
    assert model.rows == 2
    widget.toggle(0)  # and off again: already answered
    assert model.rows == 2 and widget.real_from_cache and widget.cache_hits == 1
    assert widget.real_output == pytest.approx(first) and widget.real_state_id == 3
    widget.reset()  # the original is the explanation's sample 0
    assert model.rows == 2 and widget.cache_hits == 2
    assert widget.real_output == pytest.approx(list(explanation.predict_proba))


def test_a_mask_among_the_explanations_samples_needs_no_model_call(own_text):
    explanation, model = own_text
    widget = TextExplanationWidget(explanation, threaded=False)
    sample = explanation.query_cache.rows()[5]
    js_update(widget, state=[int(v) for v in sample], state_id=1)
    assert model.rows == 0 and widget.real_from_cache and widget.real_state_id == 1
    instance = explanation.perturbation.make_instances(sample[None, :])
    np.testing.assert_allclose(widget.real_output, model.model(instance)[0])


def test_reuse_answers_false_calls_the_model_every_time(own_text):
    explanation, model = own_text
    widget = TextExplanationWidget(explanation, threaded=False, reuse_answers=False)
    assert widget.query_cache is None
    widget.toggle(0)
    widget.toggle(0)
    assert model.rows == 2 and widget.cache_hits == 0
    with pytest.raises(TypeError, match="reuse_answers must be True or False"):
        TextExplanationWidget(explanation, reuse_answers="no")


def test_another_model_gets_its_own_cache(own_text, text_model):
    explanation, _ = own_text
    other = RecordingModel(text_model)
    widget = TextExplanationWidget(explanation, other, threaded=False)
    assert widget.query_cache is not explanation.query_cache
    widget.reset()  # the explanation's answers are not this model's: it is asked
    assert other.rows == 1 and not widget.real_from_cache


def test_counterfactual_from_the_widget_reuses_answers(image_data, image_model):
    model = RecordingModel(image_model)
    segments = grid_segments()
    explanation = LimeImageExplainer(random_state=0).explain_instance(
        image_data,
        model,
        top_labels=1,
        hide_color=0,
        num_samples=200,
        segmentation_fn=lambda image: segments,
        progress_bar=False,
    )
    widget = ImageExplanationWidget(explanation, threaded=False)
    model.calls.clear()
    first = widget.find_counterfactual()
    rows_first = model.rows
    assert first["queries"] == rows_first
    second = widget.find_counterfactual()
    # Every row of the second search was answered before, except the fresh verification.
    assert model.rows - rows_first == second["queries"] == 1
    assert second["reused"] == first["queries"] + first["reused"] - 1
    assert second["features"] == first["features"]
    # The search's answers serve later edits too.
    mask = [0 if i in first["features"] else 1 for i in range(explanation.perturbation.n_features)]
    before = model.rows
    js_update(widget, state=mask, state_id=1)
    assert model.rows == before and widget.real_from_cache


def test_uncertainty_reaches_the_explanations_trait(text_explanation, text_model):
    explanation = text_explanation
    label = explanation.available_labels()[0]
    weights = explanation.local_exp[label]
    saved = (explanation.weight_std, explanation.stability, explanation.num_queries)
    try:
        explanation.weight_std = {label: {f: 0.01 * (i + 1) for i, (f, _) in enumerate(weights)}}
        explanation.stability = {label: 0.8}
        explanation.num_queries = 321
        widget = TextExplanationWidget(explanation, text_model, threaded=False)
        entry = widget.explanations[str(label)]
        assert entry["weight_std"][:2] == [
            [int(weights[0][0]), pytest.approx(0.01)],
            [int(weights[1][0]), pytest.approx(0.02)],
        ]
        assert entry["stability"] == 0.8 and entry["stability_k"] == 5
        assert widget.num_queries == 321
        other = widget.explanations[str(1 - label)]  # nothing estimated for the other label
        assert other["weight_std"] == [] and other["stability"] is None
    finally:
        explanation.weight_std, explanation.stability, explanation.num_queries = saved


def test_num_queries_defaults_to_num_samples(tabular_explanation, tabular_model):
    widget = TabularExplanationWidget(tabular_explanation, tabular_model, threaded=False)
    assert widget.num_queries == 500
    assert widget.query_cache is not None and not widget.query_cache.binary


def test_saved_page_state_keeps_the_uncertainty(own_text):
    from limewidgets.widgets._export import widget_state

    explanation, _ = own_text
    label = explanation.available_labels()[0]
    explanation.weight_std = {label: {f: 0.5 for f, _ in explanation.local_exp[label]}}
    explanation.stability = {label: 0.7}
    widget = TextExplanationWidget(explanation, threaded=False)
    widget.toggle(0)
    widget.toggle(0)
    assert widget.real_from_cache
    state = widget_state(widget)
    entry = state["explanations"][str(label)]
    assert len(entry["weight_std"]) == len(entry["weights"]) and entry["stability"] == 0.7
    assert state["num_queries"] == 300 and state["static"] is True
