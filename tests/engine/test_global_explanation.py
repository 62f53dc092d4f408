"""GlobalExplanation: aggregates of many local explanations, and their static views."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from limewidgets.engine.global_explanation import GlobalExplanation
from limewidgets.engine.many import RowFailure
from limewidgets.engine.submodular_pick import SubmodularPick
from limewidgets.engine.tabular import LimeTabularExplainer
from limewidgets.engine.text import LimeTextExplainer


def model(x):
    p = scipy.special.expit(3 * x[:, 0] - 2 * x[:, 2])
    return np.column_stack([1 - p, p])


NAMES = ["<b>alpha</b>", "beta", "gamma", "delta"]
TABLE = np.random.RandomState(0).normal(size=(150, 4))


@pytest.fixture(scope="module")
def explanations():
    explainer = LimeTabularExplainer(
        TABLE, feature_names=NAMES, class_names=["no", "<i>yes</i>"], random_state=0
    )
    return explainer.explain_many(
        TABLE[:12], model, num_samples=300, num_features=3, labels=(0, 1), progress_bar=False
    )


def test_aggregates_match_a_direct_computation(explanations):
    g = GlobalExplanation(explanations)
    assert g.labels == [0, 1] and g.n_explanations == {0: 12, 1: 12}
    # Recompute label 1's statistics by hand from the explanations.
    expected: dict[str, list[float]] = {}
    for exp in explanations:
        for feature, weight in exp.local_exp[1]:
            expected.setdefault(NAMES[feature], []).append(weight)
    for row in g.summary(1):
        weights = np.array(expected[row["feature"]])
        assert row["count"] == len(weights)
        assert row["mean_abs"] == pytest.approx(np.abs(weights).sum() / 12)
        assert row["mean"] == pytest.approx(weights.sum() / 12)
    assert [f for f, _ in g.as_list(1)] == g.features[1]
    assert np.all(np.diff(g.mean_abs[1]) <= 0)
    # The model reads alpha and gamma only: they lead.
    assert set(g.features[1][:2]) == {"<b>alpha</b>", "gamma"}


def test_top_rows_sorted_by_absolute_weight(explanations):
    g = GlobalExplanation(explanations, row_ids=[f"r{i}" for i in range(12)])
    rows = g.top_rows("gamma", label=1, k=4)
    weights = [w for _, _, w in rows]
    assert weights == sorted(weights, key=abs, reverse=True)
    for position, row_id, weight in rows:
        assert row_id == f"r{position}"
        assert dict(explanations[position].local_exp[1])[NAMES.index("gamma")] == weight
    with pytest.raises(ValueError, match="no weight"):
        g.top_rows("omega", label=1)


def test_failures_are_skipped_and_listed(explanations):
    entries = list(explanations[:3]) + [RowFailure(3, ValueError("boom"))]
    g = GlobalExplanation(entries)
    assert g.failed_rows == [3] and len(g.explanations) == 3
    assert "failed" in g.as_html()
    with pytest.raises(ValueError, match="at least one"):
        GlobalExplanation([RowFailure(0, ValueError("x"))])


def test_html_is_script_free_and_escaped(explanations):
    page = GlobalExplanation(explanations, picked=[2, 5]).as_html()
    assert "<script" not in page.lower()
    assert "<b>alpha</b>" not in page and "&lt;b&gt;alpha&lt;/b&gt;" in page
    assert "&lt;i&gt;yes&lt;/i&gt;" in page
    assert page.count("<details") >= 4 and "Picked explanations" in page
    assert "Row 2" in page and "Row 5" in page


def test_pyplot_figure(explanations):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    fig = GlobalExplanation(explanations).as_pyplot_figure(label=1)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[::-1] == GlobalExplanation(explanations).features[1][: len(labels)]


def test_text_features_are_words():
    docs = ["good film", "bad film", "good plot bad end", "fine good"]

    def text_model(batch):
        p = np.array([0.2 + 0.6 * ("good" in d) for d in batch])
        return np.column_stack([1 - p, p])

    exps = LimeTextExplainer(random_state=0).explain_many(
        docs, text_model, num_samples=200, progress_bar=False
    )
    g = GlobalExplanation(exps)
    assert g.features[1][0] == "good"
    assert g.counts[1][0] == 3 and g.mean[1][0] > 0


def test_submodular_pick_shows_its_picks(explanations):
    explainer = LimeTabularExplainer(TABLE, feature_names=NAMES, random_state=0)
    pick = SubmodularPick(
        explainer, TABLE, model, sample_size=6, num_exps_desired=2, num_features=3,
        num_samples=200,
    )  # fmt: skip
    g = pick.global_explanation()
    assert g.picked == pick.V and len(g.explanations) == 6
    page = pick.as_html()
    assert page.count('class="lw-panel lw-weights"') == 2 and "Picked explanations" in page


def test_bad_arguments(explanations):
    with pytest.raises(ValueError, match="row_ids"):
        GlobalExplanation(explanations, row_ids=[1, 2])
    with pytest.raises(ValueError, match="picked"):
        GlobalExplanation(explanations, picked=[99])
    with pytest.raises(ValueError, match="label"):
        GlobalExplanation(explanations).summary(7)
