"""limewidgets' text engine against lime 0.2.0.1: signatures, indexing and explanations."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

lime_text = pytest.importorskip("lime.lime_text")

from limewidgets.lime import lime_text as ours  # noqa: E402
from tests.compat._signatures import comparable_parameters, public_methods  # noqa: E402

CLASSES = ["LimeTextExplainer", "IndexedString", "IndexedCharacters", "TextDomainMapper"]

DOCUMENTS = [
    "Hello, world! Hello again; world.",
    "",
    "   ",
    "a",
    "word word word",
    ",,,x,,,",
    'It\'s a <b>test</b> & "quoted" tést, ünïcode 😀 ok',
    "tabs\tand\nnew lines\r\n  and  double  spaces",
]


@pytest.mark.parametrize("name", CLASSES)
def test_module_exports_the_same_classes(name):
    assert hasattr(ours, name)
    assert hasattr(ours, "explanation") and hasattr(ours.explanation, "Explanation")


@pytest.mark.parametrize("name", CLASSES)
def test_signatures_match_lime(name):
    theirs_cls, ours_cls = getattr(lime_text, name), getattr(ours, name)
    assert comparable_parameters(ours_cls.__init__) == comparable_parameters(theirs_cls.__init__)
    for method in public_methods(theirs_cls):
        assert hasattr(ours_cls, method), f"{name}.{method} is missing"
        assert comparable_parameters(getattr(ours_cls, method)) == comparable_parameters(
            getattr(theirs_cls, method)
        ), f"{name}.{method}"


def test_our_additions_are_keyword_only_with_lime_compatible_defaults():
    parameters = inspect.signature(ours.LimeTextExplainer.explain_instance).parameters
    extra = {n: p for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(extra) == {
        "batch_size",
        "progress_bar",
        "sampler",
        "max_samples",
        "stability_tol",
        "stability_k",
    }
    assert extra["max_samples"].default == 5000 and extra["stability_k"].default is None
    assert extra["progress_bar"].default is False
    # None: the class's default_sampler, lime's independent draws in this namespace.
    assert extra["sampler"].default is None and ours.LimeTextExplainer.default_sampler == "lime"
    assert extra["batch_size"].default == 1000


def _tokenize(text):
    return text.split()


INDEX_SETTINGS = [
    {},
    {"bow": False},
    {"bow": False, "mask_string": "[M]"},
    {"split_expression": r"\s"},
    {"split_expression": r"(\W)+"},
    {"split_expression": _tokenize},
    {"split_expression": _tokenize, "bow": False},
]


def _assert_same_index(theirs, mine, rng):
    assert mine.as_list == list(theirs.as_list)
    assert mine.inverse_vocab == list(theirs.inverse_vocab)
    assert np.array_equal(mine.string_start, theirs.string_start)
    if theirs.bow:
        assert mine.positions == theirs.positions
    else:
        assert np.array_equal(mine.positions, theirs.positions)
    assert mine.num_words() == theirs.num_words()
    assert mine.raw_string() == theirs.raw_string()
    for feature in range(theirs.num_words()):
        assert mine.word(feature) == theirs.word(feature)
        assert np.array_equal(mine.string_position(feature), theirs.string_position(feature))
    for _ in range(15):
        if theirs.num_words() == 0:
            break
        removed = rng.choice(theirs.num_words(), rng.randint(0, theirs.num_words() + 1), False)
        assert mine.inverse_removing(removed) == theirs.inverse_removing(removed)


@pytest.mark.parametrize("settings", INDEX_SETTINGS)
def test_indexed_string_matches_lime(settings):
    rng = np.random.RandomState(0)
    for doc in DOCUMENTS:
        _assert_same_index(
            lime_text.IndexedString(doc, **settings), ours.IndexedString(doc, **settings), rng
        )


@pytest.mark.parametrize("settings", [{}, {"bow": False}, {"bow": False, "mask_string": "#"}])
def test_indexed_characters_matches_lime(settings):
    rng = np.random.RandomState(0)
    for doc in DOCUMENTS:
        _assert_same_index(
            lime_text.IndexedCharacters(doc, **settings),
            ours.IndexedCharacters(doc, **settings),
            rng,
        )


def test_map_exp_ids_matches_lime():
    doc = "bad, not bad at all; not good"
    exp = [(0, 0.5), (1, -0.25), (3, 0.125)]
    for bow in (True, False):
        theirs = lime_text.TextDomainMapper(lime_text.IndexedString(doc, bow=bow))
        mine = ours.TextDomainMapper(ours.IndexedString(doc, bow=bow))
        for positions in (False, True):
            assert mine.map_exp_ids(exp, positions=positions) == theirs.map_exp_ids(
                exp, positions=positions
            )


def _two_word_model(docs):
    logits = np.array(
        [
            2.0 * (re.search(r"\bexcellent\b", d) is not None)
            - 2.0 * (re.search(r"\bawful\b", d) is not None)
            for d in docs
        ]
    )
    positive = 1.0 / (1.0 + np.exp(-logits))
    return np.column_stack([1.0 - positive, positive])


def test_explanations_agree_with_lime():
    doc = (
        "The plot was awful and slow, but the acting was excellent. "
        "The music was fine and the ending was long."
    )
    theirs = lime_text.LimeTextExplainer(random_state=0).explain_instance(
        doc, _two_word_model, labels=(0, 1), num_samples=1500
    )
    mine = ours.LimeTextExplainer(random_state=0).explain_instance(
        doc, _two_word_model, labels=(0, 1), num_samples=1500
    )
    for label in (0, 1):
        their_weights = dict(theirs.as_list(label=label))
        my_weights = dict(mine.as_list(label=label))
        # The two words have effects of equal size, so compare the top two as a set.
        assert {w for w, _ in mine.as_list(label=label)[:2]} == {"excellent", "awful"}
        assert {w for w, _ in theirs.as_list(label=label)[:2]} == {"excellent", "awful"}
        for word in ("excellent", "awful"):
            assert my_weights[word] == pytest.approx(their_weights[word], abs=0.01)
        assert mine.intercept[label] == pytest.approx(theirs.intercept[label], abs=0.01)
    assert mine.available_labels() == theirs.available_labels()
    np.testing.assert_allclose(mine.predict_proba, theirs.predict_proba)
    assert mine.class_names == theirs.class_names == ["0", "1"]
