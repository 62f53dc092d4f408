"""The text widget: tokens, word removal, counterfactual words, payload size."""

from __future__ import annotations

import json

import numpy as np
import pytest

from limewidgets import LimeTextExplainer, TextExplanationWidget

from .conftest import TEXT_DOCUMENT, RecordingModel


def test_tokens_rebuild_the_document_and_name_their_features(text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    assert widget.bow is True
    assert "".join(text for text, _ in widget.tokens) == TEXT_DOCUMENT
    vocabulary = text_explanation.domain_mapper.indexed_string.inverse_vocab
    assert widget.feature_names == list(vocabulary)
    for text, feature in widget.tokens:
        if feature == -1:
            assert not text.strip().isalnum()  # separators only
        else:
            assert text == vocabulary[feature]
    # bow: both occurrences of "good" carry the same feature id.
    good = vocabulary.index("good")
    assert sum(1 for text, f in widget.tokens if f == good) == 2


def test_clicking_a_word_removes_every_occurrence_with_bow(text_explanation, text_model):
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(text_explanation, recorder, threaded=False)
    good = widget.feature_names.index("good")
    widget.toggle(good)
    assert recorder.calls[0] == text_explanation.perturbation.make_instances(
        np.asarray([widget.state])
    )
    sent = recorder.calls[0][0]
    assert "good" not in sent.split() and "good" not in widget.current_text
    assert "great" in sent and "bad" in sent
    assert widget.real_output == pytest.approx(list(text_model([sent])[0]))


def test_positions_without_bow(text_explanation_positions, text_model):
    widget = TextExplanationWidget(text_explanation_positions, text_model, threaded=False)
    assert widget.bow is False
    features = [f for _, f in widget.tokens if f >= 0]
    assert features == list(range(len(features)))  # one feature per word position
    positions = [i for i, (text, f) in enumerate(widget.tokens) if text == "good"]
    first_good = widget.tokens[positions[0]][1]
    widget.toggle(first_good)
    sent = widget.current_text
    mask = text_explanation_positions.domain_mapper.indexed_string.mask_string
    assert sent.count("good") == 1 and mask in sent  # only that position is masked
    assert widget.real_output == pytest.approx(list(text_model([sent])[0]))


def test_counterfactual_words(text_model):
    """The negative words decide a mixed review: removing them flips it, verified."""
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=1)
    document = "the movie was awful and boring but the music was fine"
    assert np.argmax(text_model([document])[0]) == 0
    explanation = explainer.explain_instance(document, text_model, num_samples=500, labels=(0, 1))
    recorder = RecordingModel(text_model)
    widget = TextExplanationWidget(explanation, recorder, threaded=False, label=0)
    result = widget.find_counterfactual()
    assert result["found"] is True and result["label_before"] == 0 and result["label_after"] == 1
    removed = {widget.feature_names[f] for f in result["features"]}
    assert removed <= {"awful", "boring"} and removed
    assert result["queries"] == recorder.rows
    mask = np.ones(len(widget.feature_names))
    mask[result["features"]] = 0
    text = explanation.perturbation.make_instances(mask[None, :])[0]
    assert np.argmax(text_model([text])[0]) == 1
    assert widget.counterfactual == result
    assert result["searched"] == "remove" and "changes" not in result
    widget.apply_counterfactual()
    assert widget.removed_features == sorted(result["features"])
    assert int(np.argmax(widget.real_output)) == 1


def test_text_payload_is_small(text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    state = widget.get_state()
    # Data traits only: the renderer code (_esm, _css) is the same for every widget.
    size = sum(len(json.dumps(v)) for k, v in state.items() if not k.startswith("_"))
    assert size < 5_000
