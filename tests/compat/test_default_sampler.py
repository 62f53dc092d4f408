"""The top-level explainers default to ``sampler='efficient'``; ``limewidgets.lime`` keeps lime's."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import limewidgets
from limewidgets.lime import lime_image, lime_tabular, lime_text

DATA = load_breast_cancer()
MODEL = LogisticRegression(max_iter=5000).fit(DATA.data, DATA.target)

PAIRS = [
    (limewidgets.LimeTextExplainer, lime_text.LimeTextExplainer),
    (limewidgets.LimeTabularExplainer, lime_tabular.LimeTabularExplainer),
    (limewidgets.RecurrentTabularExplainer, lime_tabular.RecurrentTabularExplainer),
    (limewidgets.LimeImageExplainer, lime_image.LimeImageExplainer),
]


@pytest.mark.parametrize(("top", "compat"), PAIRS, ids=lambda c: c.__name__)
def test_defaults_differ_by_namespace_only(top, compat):
    assert top.default_sampler == "efficient"
    assert compat.default_sampler == "lime"
    assert issubclass(compat, top) and compat.__name__ == top.__name__


def _tabular(cls, **kwargs):
    explainer = cls(DATA.data, feature_names=list(DATA.feature_names), random_state=3)
    return explainer.explain_instance(DATA.data[7], MODEL.predict_proba, num_samples=400, **kwargs)


def test_compat_default_is_lime_s_sampler_and_top_level_default_is_efficient():
    compat_default = _tabular(lime_tabular.LimeTabularExplainer)
    assert (
        compat_default.as_map()
        == _tabular(limewidgets.LimeTabularExplainer, sampler="lime").as_map()
    )
    top_default = _tabular(limewidgets.LimeTabularExplainer)
    assert (
        top_default.as_map()
        == _tabular(lime_tabular.LimeTabularExplainer, sampler="efficient").as_map()
    )
    assert top_default.as_map() != compat_default.as_map()


def test_explicit_sampler_wins_and_bad_ones_are_named():
    explainer = limewidgets.LimeTextExplainer(random_state=0)
    doc = "good great fine bad awful poor"

    def model(docs):
        p = np.array([0.2 + 0.6 * ("great" in d) for d in docs])
        return np.column_stack([1 - p, p])

    a = explainer.explain_instance(doc, model, num_samples=200, sampler="lime")
    assert dict(a.as_list())["great"] > 0
    with pytest.raises(ValueError, match="sampler must be one of"):
        explainer.explain_instance(doc, model, num_samples=200, sampler="fast")
