"""Tests of the text engine: indexing, perturbation, explainer behaviour and HTML view."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from limewidgets.engine.explanation import LabelNotExplainedError
from limewidgets.engine.perturbation import Perturbation
from limewidgets.engine.text import (
    IndexedCharacters,
    IndexedString,
    LimeTextExplainer,
    TextDomainMapper,
    TextExplanation,
    TextPerturbation,
)

REVIEW = (
    "The plot was awful and slow, but the acting was excellent. "
    "The music was fine, the sets were fine, and the ending was long."
)


def _contains(word: str, doc: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", doc) is not None


def two_word_model(docs):
    """P(positive) reads only the words 'excellent' (up) and 'awful' (down)."""
    logits = np.array([2.0 * _contains("excellent", d) - 2.0 * _contains("awful", d) for d in docs])
    positive = 1.0 / (1.0 + np.exp(-logits))
    return np.column_stack([1.0 - positive, positive])


class RecordingModel:
    """Wraps a model and records every batch it receives."""

    def __init__(self, model=two_word_model):
        self.model = model
        self.batches: list[list[str]] = []

    def __call__(self, docs):
        docs = list(docs)
        self.batches.append(docs)
        return self.model(docs)

    @property
    def docs(self) -> list[str]:
        return [d for batch in self.batches for d in batch]


def three_class_model(docs):
    """Scores for 'sports', 'politics', 'tech' from keyword counts."""
    keys = ("goal", "vote", "code")
    scores = np.array([[1.0 + 3.0 * d.split().count(k) for k in keys] for d in docs])
    return scores / scores.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- IndexedString


def test_indexed_string_bow_index_and_removal():
    s = IndexedString("a cat, a dog; a cat!")
    assert s.as_list == ["a", " ", "cat", ", ", "a", " ", "dog", "; ", "a", " ", "cat", "!"]
    assert "".join(s.as_list) == s.raw_string()
    assert s.inverse_vocab == ["a", "cat", "dog"]
    assert s.positions == [[0, 4, 8], [2, 10], [6]]
    assert s.num_words() == 3
    assert s.word(1) == "cat"
    assert s.string_position(1).tolist() == [2, 16]
    assert s.token_feature.tolist() == [0, -1, 1, -1, 0, -1, 2, -1, 0, -1, 1, -1]
    # Every occurrence of a removed word disappears; separators stay.
    assert s.inverse_removing([1]) == "a , a dog; a !"
    assert s.inverse_removing([0, 2]) == " cat,  ;  cat!"
    assert s.inverse_removing([]) == s.raw


def test_indexed_string_positions_mode_masks_each_position():
    s = IndexedString("a cat, a dog", bow=False)
    assert s.inverse_vocab == ["a", "cat", "a", "dog"]
    assert s.positions.tolist() == [0, 2, 4, 6]
    assert s.string_position(2).tolist() == [7]
    assert s.inverse_removing([0, 3]) == "UNKWORDZ cat, a UNKWORDZ"
    custom = IndexedString("a cat, a dog", bow=False, mask_string="_")
    assert custom.inverse_removing([1, 2]) == "a _, _ dog"


def test_indexed_string_callable_tokenizer_keeps_text_between_tokens():
    s = IndexedString("don't stop, won't stop", split_expression=str.split)
    assert s.as_list == ["don't", " ", "stop,", " ", "won't", " ", "stop"]
    assert s.inverse_vocab == ["don't", "stop,", "won't", "stop"]
    assert s.inverse_removing([0, 3]) == " stop, won't "
    with pytest.raises(ValueError, match="split_expression"):
        IndexedString("abc", split_expression=lambda text: ["x"])
    with pytest.raises(TypeError, match="split_expression"):
        IndexedString("abc", split_expression=lambda text: [1])


def test_indexed_characters_defaults_to_nul_mask():
    s = IndexedCharacters("abca")
    assert s.inverse_vocab == ["a", "b", "c"]
    assert s.positions == [[0, 3], [1], [2]]
    assert s.string_start.tolist() == [0, 1, 2, 3]
    assert s.inverse_removing([0]) == "bc"
    positional = IndexedCharacters("abca", bow=False)
    assert positional.mask_string == chr(0)
    assert positional.inverse_removing([0, 3]) == "\x00bc\x00"


def test_strings_from_masks_matches_inverse_removing_and_handles_unicode():
    doc = "Ünïcode 😀 <b>words</b> & more words, \ud800 odd"
    for indexed in (
        IndexedString(doc),
        IndexedString(doc, bow=False, mask_string="[M]"),
        IndexedCharacters(doc),
    ):
        rng = np.random.RandomState(1)
        masks = rng.randint(0, 2, size=(40, indexed.num_words()))
        built = indexed.strings_from_masks(masks)
        expected = [indexed.inverse_removing(np.flatnonzero(row == 0)) for row in masks]
        assert built == expected
        assert indexed.strings_from_masks(np.ones(indexed.num_words())) == [doc]
    with pytest.raises(ValueError, match="masks"):
        IndexedString(doc).strings_from_masks(np.ones((2, 3)))


def test_indexed_string_rejects_bad_arguments():
    with pytest.raises(TypeError, match="raw_string"):
        IndexedString(b"bytes")
    with pytest.raises(ValueError, match="split_expression"):
        IndexedString("abc", split_expression="(")
    with pytest.raises(TypeError, match="split_expression"):
        IndexedString("abc", split_expression=5)
    with pytest.raises(TypeError, match="mask_string"):
        IndexedString("abc", bow=False, mask_string=0)


# --------------------------------------------------------------------------- perturbation


def test_text_perturbation_follows_the_protocol():
    indexed = IndexedString("good film, bad film")
    perturbation = TextPerturbation(indexed)
    assert isinstance(perturbation, Perturbation)
    assert perturbation.n_features == 3
    assert perturbation.initial_state().tolist() == [1.0, 1.0, 1.0]
    docs = perturbation.make_instances(np.array([[1, 1, 1], [0, 1, 1], [1, 0, 0]]))
    assert docs == ["good film, bad film", " film, bad film", "good ,  "]
    interpretable = perturbation.to_interpretable(np.array([[True, False, True]]))
    assert interpretable.dtype == float
    assert interpretable.tolist() == [[1.0, 0.0, 1.0]]
    assert perturbation.tokens == indexed.as_list


# --------------------------------------------------------------------------- explainer


def test_ground_truth_words_are_top_two_with_correct_signs():
    explainer = LimeTextExplainer(random_state=0, class_names=["neg", "pos"])
    exp = explainer.explain_instance(REVIEW, two_word_model, labels=(0, 1), num_samples=2000)
    assert isinstance(exp, TextExplanation)
    top = dict(exp.as_list(label=1)[:2])
    assert set(top) == {"excellent", "awful"}
    assert top["excellent"] > 0.2 and top["awful"] < -0.2
    others = [abs(w) for _, w in exp.as_list(label=1)[2:]]
    assert max(others) < 0.05 * abs(top["excellent"])
    top_negative = dict(exp.as_list(label=0)[:2])
    assert top_negative["excellent"] < 0 < top_negative["awful"]


def test_forward_selection_picks_exactly_the_ground_truth():
    explainer = LimeTextExplainer(random_state=3, feature_selection="forward_selection")
    exp = explainer.explain_instance(REVIEW, two_word_model, num_features=2, num_samples=1000)
    assert {name for name, _ in exp.as_list()} == {"excellent", "awful"}


def test_labels_share_samples_so_binary_weights_are_mirrored():
    exp = LimeTextExplainer(random_state=1).explain_instance(
        REVIEW, two_word_model, labels=(0, 1), num_samples=1000
    )
    for attribute in ("intercept", "local_exp", "score", "local_pred", "fidelity"):
        assert set(getattr(exp, attribute)) == {0, 1}
    w0 = dict(exp.local_exp[0])
    w1 = dict(exp.local_exp[1])
    assert set(w0) == set(w1)
    for feature in w0:
        assert w0[feature] == pytest.approx(-w1[feature], abs=1e-9)
    assert exp.intercept[0] + exp.intercept[1] == pytest.approx(1.0)
    assert exp.score[0] == pytest.approx(exp.score[1])
    assert exp.local_pred[1].shape == (1,)
    assert 0.9 < exp.score[1] <= 1.0
    assert 0.9 < exp.fidelity[1] <= 1.0
    np.testing.assert_allclose(exp.predict_proba, two_word_model([REVIEW])[0])


def test_explanation_records_model_perturbation_and_surrogate():
    explainer = LimeTextExplainer(random_state=0)
    exp = explainer.explain_instance(REVIEW, two_word_model, num_samples=500)
    assert exp.classifier_fn is two_word_model
    assert exp.num_samples == 500
    assert exp.indexed_string is exp.domain_mapper.indexed_string
    perturbation = exp.perturbation
    assert perturbation.make_instances(perturbation.initial_state()) == [REVIEW]
    ones = perturbation.initial_state()[None, :]
    assert exp.surrogate_predict(ones, label=1)[0] == pytest.approx(exp.local_pred[1][0])


def test_positions_mode_explains_each_occurrence_separately():
    def first_word_model(docs):
        p = np.array([0.9 if d.startswith("good") else 0.1 for d in docs])
        return np.column_stack([1 - p, p])

    model = RecordingModel(first_word_model)
    explainer = LimeTextExplainer(bow=False, random_state=0)
    exp = explainer.explain_instance("good film, good cast", model, num_samples=500)
    weights = dict(exp.local_exp[1])
    assert exp.as_list(positions=True)[0][0] == "good_0"
    assert weights[0] > 0.5
    assert abs(weights[2]) < 0.05  # the second 'good' is not read by the model
    assert any("UNKWORDZ" in doc for doc in model.docs)
    assert all(len(doc.split()) == 4 for doc in model.docs)  # positions kept, not deleted


def test_mask_string_is_used_for_removed_positions():
    model = RecordingModel()
    LimeTextExplainer(bow=False, mask_string="[MASK]", random_state=0).explain_instance(
        REVIEW, model, num_samples=200
    )
    assert any("[MASK]" in doc for doc in model.docs[1:])
    assert not any("UNKWORDZ" in doc for doc in model.docs)


def test_char_level_finds_the_character_the_model_reads():
    def z_model(docs):
        p = np.array([0.9 if "z" in d else 0.2 for d in docs])
        return np.column_stack([1 - p, p])

    model = RecordingModel(z_model)
    exp = LimeTextExplainer(char_level=True, random_state=0).explain_instance(
        "the lazy fox", model, num_samples=800
    )
    name, weight = exp.as_list()[0]
    assert name == "z" and weight > 0.3
    # bag of characters: removed characters disappear from the string
    assert min(len(d) for d in model.docs) < len("the lazy fox")

    positional = RecordingModel(z_model)
    LimeTextExplainer(char_level=True, bow=False, random_state=0).explain_instance(
        "the lazy fox", positional, num_samples=50
    )
    assert all(len(d) == len("the lazy fox") for d in positional.docs)
    assert any("\x00" in d for d in positional.docs)


def test_callable_split_expression_keeps_tokens_whole():
    def contraction_model(docs):
        p = np.array([0.85 if "don't" in d.split() else 0.15 for d in docs])
        return np.column_stack([1 - p, p])

    explainer = LimeTextExplainer(split_expression=str.split, random_state=0)
    exp = explainer.explain_instance("I don't like it", contraction_model, num_samples=500)
    assert exp.as_list()[0][0] == "don't"
    assert exp.domain_mapper.indexed_string.inverse_vocab == ["I", "don't", "like", "it"]


def test_same_seed_identical_different_seed_different():
    first, second, other = RecordingModel(), RecordingModel(), RecordingModel()
    exp_a = LimeTextExplainer(random_state=42).explain_instance(REVIEW, first, num_samples=300)
    exp_b = LimeTextExplainer(random_state=42).explain_instance(REVIEW, second, num_samples=300)
    LimeTextExplainer(random_state=43).explain_instance(REVIEW, other, num_samples=300)
    assert first.docs == second.docs
    assert exp_a.as_map() == exp_b.as_map()
    assert exp_a.intercept == exp_b.intercept and exp_a.score == exp_b.score
    assert first.docs[0] == other.docs[0] == REVIEW
    assert first.docs[1:] != other.docs[1:]
    # one explainer keeps one random stream: repeated calls draw new samples
    repeated = RecordingModel()
    explainer = LimeTextExplainer(random_state=42)
    explainer.explain_instance(REVIEW, repeated, num_samples=300)
    explainer.explain_instance(REVIEW, repeated, num_samples=300)
    assert repeated.docs[:300] == first.docs
    assert repeated.docs[301:] != first.docs[1:]


def test_sampling_removes_between_one_and_all_words():
    indexed = IndexedString(REVIEW)
    n_words = indexed.num_words()
    model = RecordingModel()
    LimeTextExplainer(random_state=0).explain_instance(
        REVIEW, model, num_samples=3000, sampler="lime"
    )
    kept = np.array([len(set(IndexedString(d).inverse_vocab)) for d in model.docs[1:]])
    assert kept.min() == 0 and kept.max() == n_words - 1
    # k ~ U{1..d}: the number of kept words is uniform on 0..d-1
    counts = np.bincount(kept, minlength=n_words)
    assert counts.min() > 0.5 * len(kept) / n_words


@pytest.mark.parametrize("batch_size", [None, 1, 7, 256, 1000])
def test_batch_size_bounds_every_call_and_does_not_change_results(batch_size):
    model = RecordingModel()
    exp = LimeTextExplainer(random_state=5).explain_instance(
        REVIEW, model, num_samples=600, batch_size=batch_size
    )
    sizes = [len(batch) for batch in model.batches]
    limit = 600 if batch_size is None else batch_size
    assert max(sizes) <= limit and sum(sizes) == 600
    assert len(sizes) == -(-600 // limit)
    reference = LimeTextExplainer(random_state=5).explain_instance(
        REVIEW, two_word_model, num_samples=600, batch_size=600
    )
    assert exp.as_map() == reference.as_map()
    assert exp.intercept == reference.intercept


def test_default_batch_size_is_one_thousand():
    model = RecordingModel()
    LimeTextExplainer(random_state=0).explain_instance(REVIEW, model, num_samples=2500)
    assert [len(b) for b in model.batches] == [1000, 1000, 500]


def test_top_labels_orders_by_probability():
    doc = "the vote came after the goal and more vote counting"
    exp = LimeTextExplainer(random_state=0).explain_instance(
        doc, three_class_model, top_labels=2, num_samples=500
    )
    proba = three_class_model([doc])[0]
    assert exp.top_labels == [int(i) for i in np.argsort(-proba)[:2]]
    assert exp.available_labels() == exp.top_labels
    assert set(exp.local_exp) == set(exp.top_labels)
    with pytest.raises(LabelNotExplainedError):
        exp.as_list(label=2)
    # top_labels=0 falls back to labels, as in lime
    fallback = LimeTextExplainer(random_state=0).explain_instance(
        doc, three_class_model, labels=(2,), top_labels=0, num_samples=100
    )
    assert list(fallback.local_exp) == [2] and fallback.top_labels is None


def test_unexplained_label_raises_label_not_explained():
    exp = LimeTextExplainer(random_state=0).explain_instance(
        REVIEW, two_word_model, num_samples=100
    )
    with pytest.raises(LabelNotExplainedError, match="labels=\\(0,\\)"):
        exp.as_list(label=0)
    with pytest.raises(KeyError):
        exp.as_list(label=0)


def test_class_names_are_not_frozen_by_the_first_call():
    explainer = LimeTextExplainer(random_state=0)
    first = explainer.explain_instance(REVIEW, two_word_model, num_samples=50)
    second = explainer.explain_instance("goal vote code", three_class_model, num_samples=50)
    assert first.class_names == ["0", "1"]
    assert second.class_names == ["0", "1", "2"]
    assert explainer.class_names is None


def test_custom_kernel_receives_scaled_cosine_distances():
    seen = {}

    def kernel(d, kernel_width):
        seen["d"], seen["width"] = np.asarray(d), kernel_width
        return np.ones_like(d)

    LimeTextExplainer(kernel=kernel, kernel_width=7, random_state=0).explain_instance(
        REVIEW, two_word_model, num_samples=300
    )
    d = seen["d"]
    assert seen["width"] == 7 and d.shape == (300,)
    assert d[0] == pytest.approx(0.0) and np.all((d[1:] > 0) & (d[1:] <= 100.0))


def test_progress_bar_and_verbose_run(capsys):
    LimeTextExplainer(verbose=True, random_state=0).explain_instance(
        REVIEW, two_word_model, num_samples=200, batch_size=50, progress_bar=True
    )
    assert "Intercept" in capsys.readouterr().out


def _logits_model(docs):
    return np.column_stack([np.full(len(docs), -3.0), np.full(len(docs), 4.0)])


def _nan_model(docs):
    out = two_word_model(docs)
    out[-1, 0] = np.nan
    return out


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"text_instance": ""}, ValueError, "text_instance"),
        ({"text_instance": "  !!! ,"}, ValueError, "text_instance"),
        ({"text_instance": 123}, TypeError, "text_instance"),
        ({"text_instance": b"bytes"}, TypeError, "text_instance"),
        ({"classifier_fn": "model"}, TypeError, "classifier_fn"),
        ({"classifier_fn": lambda docs: np.ones(len(docs))}, ValueError, "classifier_fn"),
        ({"classifier_fn": lambda docs: np.ones((3, 2)) / 2}, ValueError, "classifier_fn"),
        ({"classifier_fn": _nan_model}, ValueError, "classifier_fn"),
        ({"classifier_fn": _logits_model}, ValueError, "classifier_fn"),
        ({"labels": (5,)}, ValueError, "labels"),
        ({"labels": ("pos",)}, TypeError, "labels"),
        ({"num_samples": 0}, ValueError, "num_samples"),
        ({"num_features": 0}, ValueError, "num_features"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"top_labels": -1}, ValueError, "top_labels"),
        ({"distance_metric": 3}, TypeError, "distance_metric"),
        ({"sampler": "sobol"}, ValueError, "sampler"),
        ({"sampler": "Lime"}, ValueError, "sampler"),
    ],
)
def test_bad_explain_instance_arguments(kwargs, error, name):
    arguments = {"text_instance": REVIEW, "classifier_fn": two_word_model, "num_samples": 50}
    arguments.update(kwargs)
    explainer = LimeTextExplainer(random_state=0)
    with pytest.raises(error, match=name):
        explainer.explain_instance(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"feature_selection": "magic"}, ValueError, "feature_selection"),
        ({"class_names": ["only one"]}, ValueError, "class_names"),
        ({"split_expression": 5}, TypeError, "split_expression"),
        ({"split_expression": "("}, ValueError, "split_expression"),
        ({"mask_string": 0, "bow": False}, TypeError, "mask_string"),
    ],
)
def test_bad_explainer_settings_are_reported_by_name(kwargs, error, name):
    model = RecordingModel()
    with pytest.raises(error, match=name):
        LimeTextExplainer(random_state=0, **kwargs).explain_instance(REVIEW, model, num_samples=50)


def test_bad_kernel_width():
    with pytest.raises(ValueError, match="kernel_width"):
        LimeTextExplainer(kernel_width=0)


# --------------------------------------------------------------------------- views


def test_map_exp_ids_with_positions():
    mapper = TextDomainMapper(IndexedString("bad, not bad at all"))
    assert mapper.map_exp_ids([(0, 0.5), (1, -0.2)]) == [("bad", 0.5), ("not", -0.2)]
    assert mapper.map_exp_ids([(0, 0.5)], positions=True) == [("bad_0-9", 0.5)]


def test_visualize_instance_html_highlights_every_occurrence():
    mapper = TextDomainMapper(IndexedString("bad, not bad at all"))
    fragment = mapper.visualize_instance_html([(0, -0.5), (1, 0.25)], 1, "div", "exp")
    assert fragment.count('data-feature="0"') == 2
    assert fragment.count('data-feature="1"') == 1
    assert "rgba(26,115,232,0.800)" in fragment  # strongest negative weight: full blue
    assert "rgba(232,113,10,0.400)" in fragment  # half-size positive weight: lighter orange
    # A weight of 1e-5 next to one of 0.5 is noise: no highlight at all.
    tiny = mapper.visualize_instance_html([(0, -0.5), (1, 1e-5)], 1, "", "")
    assert 'data-feature="1" style="background:transparent"' in tiny
    flat = mapper.visualize_instance_html([(0, -0.5), (1, 0.25)], 1, "", "", opacity=False)
    assert "rgba(232,113,10,0.800)" in flat
    assert mapper.visualize_instance_html([(0, 1.0)], 1, "", "", text=False) == ""
    assert re.sub(r"<[^>]+>", "", fragment).endswith("bad, not bad at all")


def test_as_html_escapes_document_and_class_names():
    doc = 'Excellent <script>alert("x")</script> & "quoted" \'text\' awful'

    def model(docs):
        return two_word_model([d.lower() for d in docs])

    explainer = LimeTextExplainer(
        class_names=["<b>neg</b>", "<script>pos</script>"], random_state=0
    )
    exp = explainer.explain_instance(doc, model, num_samples=300)
    page = exp.as_html()
    assert "<script" not in page.lower()
    shown = re.search(r'<div class="lw-text">(.*?)</div>', page).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == doc
    assert "&lt;/" in shown and "(&quot;" in shown
    assert "&lt;script&gt;pos&lt;/script&gt;" in page
    assert "&lt;b&gt;neg&lt;/b&gt;" in page
    assert "&amp; &quot;" in shown and "&#x27;" in shown
    assert 'title="Excellent: ' in page


# --------------------------------------------------------------------------- stratified sampler


def _removed(masks: np.ndarray) -> np.ndarray:
    return 1 - masks[1:]


def test_stratified_sampler_same_seed_identical_different_seed_different():
    first, second, other = RecordingModel(), RecordingModel(), RecordingModel()
    kwargs = {"num_samples": 300, "sampler": "stratified"}
    exp_a = LimeTextExplainer(random_state=42).explain_instance(REVIEW, first, **kwargs)
    exp_b = LimeTextExplainer(random_state=42).explain_instance(REVIEW, second, **kwargs)
    LimeTextExplainer(random_state=43).explain_instance(REVIEW, other, **kwargs)
    assert first.docs == second.docs and exp_a.as_map() == exp_b.as_map()
    assert first.docs[0] == other.docs[0] == REVIEW
    assert first.docs[1:] != other.docs[1:]
    lime_rule = RecordingModel()
    LimeTextExplainer(random_state=42).explain_instance(REVIEW, lime_rule, num_samples=300)
    assert lime_rule.docs[1:] != first.docs[1:]


def test_stratified_masks_keep_lime_s_distribution_per_row():
    """Pooled over seeds, rows have lime's law: k ~ U{1..d}, removed set uniform given k."""
    n_features, n_rows, n_seeds = 6, 64, 300
    removed = np.vstack(
        [
            _removed(LimeTextExplainer(random_state=s)._sample_masks(6, n_rows + 1, "stratified"))
            for s in range(n_seeds)
        ]
    )
    k = removed.sum(axis=1).astype(int)
    assert k.min() == 1 and k.max() == n_features
    expected = len(k) / n_features
    assert np.abs(np.bincount(k, minlength=n_features + 1)[1:] - expected).max() < 0.02 * expected
    # Given k = 2, each of the 15 pairs is removed equally often (binomial noise: ~8 % here).
    pairs = removed[k == 2]
    codes = (pairs * (1 << np.arange(n_features))).sum(axis=1).astype(int)
    counts = np.unique(codes, return_counts=True)[1]
    assert counts.size == 15
    assert np.abs(counts / counts.mean() - 1).max() < 0.3
    # Every feature is removed in (d + 1) / (2 d) of the rows.
    np.testing.assert_allclose(removed.mean(axis=0), (n_features + 1) / (2 * n_features), atol=0.01)


def test_stratified_masks_are_balanced_within_one_explanation():
    n_features, num_samples = 10, 1001
    lime_masks = LimeTextExplainer(random_state=0)._sample_masks(n_features, num_samples)
    masks = LimeTextExplainer(random_state=0)._sample_masks(n_features, num_samples, "stratified")
    assert masks.shape == (num_samples, n_features) and (masks[0] == 1).all()
    assert set(np.unique(masks)) == {0.0, 1.0}
    k_counts = np.bincount(_removed(masks).sum(axis=1).astype(int), minlength=n_features + 1)[1:]
    assert k_counts.max() - k_counts.min() <= 3  # 100 rows per k, to within a few
    lime_k_counts = np.bincount(
        _removed(lime_masks).sum(axis=1).astype(int), minlength=n_features + 1
    )[1:]
    assert lime_k_counts.max() - lime_k_counts.min() > 10  # binomial spread: sd ~9.5
    # Each feature is removed in close to its expected 550 rows.
    removals = _removed(masks).sum(axis=0)
    assert np.abs(removals - 550).max() < 25


def test_stratified_sampler_handles_tiny_budgets_and_one_word():
    for n_samples in (1, 2, 3):
        masks = LimeTextExplainer(random_state=0)._sample_masks(4, n_samples, "stratified")
        assert masks.shape == (n_samples, 4) and (masks[0] == 1).all()
        assert (_removed(masks).sum(axis=1) >= 1).all()
    masks = LimeTextExplainer(random_state=0)._sample_masks(1, 50, "stratified")
    assert (masks[1:] == 0).all()


def test_stratified_sampler_finds_the_ground_truth():
    explainer = LimeTextExplainer(random_state=0)
    exp = explainer.explain_instance(REVIEW, two_word_model, num_samples=1000, sampler="stratified")
    top = dict(exp.as_list(label=1)[:2])
    assert set(top) == {"excellent", "awful"}
    assert top["excellent"] > 0.2 and top["awful"] < -0.2
    others = [abs(w) for _, w in exp.as_list(label=1)[2:]]
    assert max(others) < 0.05 * abs(top["excellent"])
    assert exp.num_samples == 1000 and exp.score[1] > 0.9


def test_stratified_sampler_has_lime_s_expectation_and_less_spread():
    """Same mean weights as lime's rule over seeds; a smaller seed-to-seed spread."""

    def interacting_model(docs):
        has = np.array([[_contains(w, d) for w in ("excellent", "acting", "music")] for d in docs])
        logits = 2.0 * has[:, 0] + 1.5 * has[:, 0] * has[:, 1] - 1.0 * has[:, 2] * has[:, 1]
        positive = 1.0 / (1.0 + np.exp(-(logits - 1.0)))
        return np.column_stack([1.0 - positive, positive])

    indexed = IndexedString(REVIEW)
    ids = [indexed.inverse_vocab.index(w) for w in ("excellent", "acting", "music")]
    weights = {}
    for sampler in ("lime", "stratified"):
        rows = []
        for seed in range(20):
            exp = LimeTextExplainer(random_state=seed, feature_selection="none").explain_instance(
                REVIEW, interacting_model, num_samples=256, sampler=sampler
            )
            found = dict(exp.local_exp[1])
            rows.append([found[i] for i in ids])
        weights[sampler] = np.array(rows)
    lime_mean, strat_mean = weights["lime"].mean(axis=0), weights["stratified"].mean(axis=0)
    lime_sd = weights["lime"].std(axis=0, ddof=1)
    strat_sd = weights["stratified"].std(axis=0, ddof=1)
    # Means agree to within their standard errors (20 seeds each).
    assert np.all(np.abs(lime_mean - strat_mean) < 3 * np.hypot(lime_sd, strat_sd) / np.sqrt(20))
    assert strat_sd.mean() < 0.85 * lime_sd.mean()  # measured: 0.66 here, 0.71 over 200 seeds
