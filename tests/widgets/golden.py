"""Golden fixtures of the semantics the browser must share with Python.

The JavaScript renderers recompute a few things in the browser (each feature's rule, the
surrogate estimates of tabular rows and keep-masks, the button semantics, the live status) so
that the view reacts at once and works with no kernel. This module writes what the *Python*
implementation answers for many inputs to ``js/tests/fixtures/semantics.json``; ``vitest``
(``js/tests/golden.test.js``) checks the JavaScript against it, and
``tests/widgets/test_golden.py`` fails when the committed file is stale.

Regenerate after changing the engine or the widgets::

    PYTHONPATH=$PWD python -m tests.widgets.golden
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, Ridge

from limewidgets import (
    ImageExplanationWidget,
    LimeImageExplainer,
    LimeTabularExplainer,
    LimeTextExplainer,
    TabularExplanationWidget,
    TextExplanationWidget,
)

#: lime's sampler, whose estimate is float64 throughout: the efficient sampler's cheap model forms
#: its normal equations in single precision, whose rounding depends on the machine's BLAS kernels
#: (weights moved by up to 6e-5 relative between two machines), and these fixtures are compared to
#: 1e-9. What the fixtures pin (rules, estimates from weights, masks) does not depend on the sampler.
SAMPLER = "lime"

FIXTURE = Path(__file__).resolve().parents[2] / "js" / "tests" / "fixtures" / "semantics.json"

# Texts of the live panel's status line (js/src/logic.js liveStatus), for the cases below.
LIVE = "live model"
PENDING = "pending\u2026"
MODEL_ERROR = "the model raised an error: showing its last good output"
NO_LIVE_MODEL = "no live model: surrogate estimate only"


def _plain(value: Any) -> Any:
    """JSON data with plain floats (numpy scalars and arrays converted)."""
    return json.loads(json.dumps(value, default=lambda v: np.asarray(v).tolist()))


# ---------------------------------------------------------------------------- tabular
def _tabular_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    data = rng.normal(size=(300, 4))
    data[:, 2] = rng.randint(0, 4, len(data))  # a categorical column (codes 0..3)
    labels = (data[:, 0] + 0.5 * (data[:, 2] == 1) > 0).astype(int)
    return data, labels


def _tabular_explainers(data: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Every kind of rule the tabular explainer makes: bins, categories, scaled values."""
    common = {"categorical_features": [2], "random_state": 0}
    return {
        "quartile": LimeTabularExplainer(data, **common),
        "decile": LimeTabularExplainer(data, discretizer="decile", **common),
        "entropy": LimeTabularExplainer(
            data, training_labels=labels, discretizer="entropy", **common
        ),
        "continuous": LimeTabularExplainer(data, discretize_continuous=False, **common),
        "around instance": LimeTabularExplainer(
            data, discretize_continuous=False, sample_around_instance=True, **common
        ),
    }


def _rule_rows(data: np.ndarray, rules: list[dict], instance: np.ndarray) -> np.ndarray:
    """Training rows, rows far outside the data, and values exactly on every bin edge."""
    rng = np.random.RandomState(1)
    rows = data[rng.randint(0, len(data), 24)].copy()
    rows[:6] += rng.normal(scale=3.0, size=(6, data.shape[1]))
    rows[:6, 2] = np.round(rows[:6, 2])
    rows[6] = instance
    for j, rule in enumerate(rules):
        if rule["type"] == "bin":
            if rule["lo"] is not None:
                rows[7, j] = rule["lo"]
            if rule["hi"] is not None:
                rows[8, j] = rule["hi"]
    return rows


def _rule_case(name: str, data: np.ndarray, perturbation: Any, instance: np.ndarray) -> dict:
    rules = _plain(perturbation.feature_rules())
    rows = _rule_rows(data, rules, instance)
    return {
        "name": name,
        "rules": rules,
        "rows": rows.tolist(),
        # The engine's own interpretable representation of those rows.
        "expected": perturbation.to_interpretable(rows).tolist(),
    }


def tabular_cases() -> tuple[list[dict], list[dict]]:
    """``applyRule`` and ``tabularEstimate`` cases from real tabular explanations."""
    data, labels = _tabular_data()
    model = LogisticRegression().fit(data, labels).predict_proba
    rule_cases, estimate_cases = [], []
    # Rules only (no widget): sampling around the instance, and sparse data (scaled, not centred).
    explainer = _tabular_explainers(data, labels)["around instance"]
    explanation = explainer.explain_instance(data[5], model, num_samples=200, sampler=SAMPLER)
    rule_cases.append(_rule_case("around instance", data, explanation.perturbation, data[5]))
    rng = np.random.RandomState(4)
    dense = rng.uniform(0.5, 2.0, size=(200, 5)) * (rng.uniform(size=(200, 5)) < 0.5)
    sparse = LimeTabularExplainer(sp.csr_matrix(dense), mode="regression", random_state=0)
    explanation = sparse.explain_instance(
        sp.csr_matrix(dense[3]),
        lambda x: np.asarray(x.sum(axis=1)).ravel(),
        num_samples=100,
        sampler=SAMPLER,
    )
    rule_cases.append(_rule_case("sparse", dense, explanation.perturbation, dense[3]))
    for name, explainer in _tabular_explainers(data, labels).items():
        if name in ("around instance", "sparse"):
            continue
        instance = data[5]
        explanation = explainer.explain_instance(
            instance, model, num_samples=200, top_labels=2, sampler=SAMPLER
        )
        widget = TabularExplanationWidget(explanation, threaded=False)
        rules = [entry["rule"] for entry in widget.features]
        rows = _rule_rows(data, rules, instance)
        rule_cases.append(_rule_case(name, data, explanation.perturbation, instance))
        for label in widget.labels:
            estimate_cases.append(
                {
                    "name": f"{name}, label {label}",
                    "entry": widget.explanations[str(label)],
                    "rules": rules,
                    "rows": rows.tolist(),
                    "expected": [widget._surrogate(row, label) for row in rows],
                }
            )
        widget.close()
    # Regression: one dummy label.
    target = data[:, 0] * 2.0 - data[:, 3]
    regression = LimeTabularExplainer(data, mode="regression", **{"random_state": 0})
    explanation = regression.explain_instance(
        data[7], Ridge().fit(data, target).predict, num_samples=200, sampler=SAMPLER
    )
    widget = TabularExplanationWidget(explanation, threaded=False)
    rules = [entry["rule"] for entry in widget.features]
    rows = _rule_rows(data, rules, data[7])
    label = widget.labels[0]
    estimate_cases.append(
        {
            "name": "regression",
            "entry": widget.explanations[str(label)],
            "rules": rules,
            "rows": rows.tolist(),
            "expected": [widget._surrogate(row, label) for row in rows],
        }
    )
    widget.close()
    return rule_cases, estimate_cases


# ---------------------------------------------------------------------------- masks
def _text_explanation() -> Any:
    words = ["good", "bad", "plot", "music", "great", "awful", "the", "was"]
    rng = np.random.RandomState(2)
    docs = [" ".join(rng.choice(words, 6)) for _ in range(200)]
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    labels = [int(("good" in d) or ("great" in d)) for d in docs]
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(docs, labels).predict_proba
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=0)
    return explainer.explain_instance(
        "the plot was good but the music was awful and bad", model, num_samples=200, sampler=SAMPLER
    )


def _image_widget() -> ImageExplanationWidget:
    image = np.zeros((32, 32, 3))
    image[:16, :16] = 0.9
    image[16:, 16:, 1] = 0.7
    segments = (np.arange(32)[:, None] // 8) * 4 + np.arange(32)[None, :] // 8 + 1

    def model(images: np.ndarray) -> np.ndarray:
        bright = np.asarray(images)[:, :16, :16].mean(axis=(1, 2, 3))
        return np.column_stack([1 - bright, bright])

    explainer = LimeImageExplainer(random_state=0)
    explanation = explainer.explain_instance(
        image,
        model,
        top_labels=2,
        num_samples=150,
        sampler=SAMPLER,
        segmentation_fn=lambda _: segments,
        progress_bar=False,
    )
    return ImageExplanationWidget(explanation, threaded=False)


def mask_cases() -> tuple[list[dict], list[dict]]:
    """``maskEstimate`` and the mask buttons (``hideTopPositive`` / ``keepTopPositive``)."""
    estimate_cases, button_cases = [], []
    rng = np.random.RandomState(3)
    text = TextExplanationWidget(_text_explanation(), threaded=False)
    for kind, widget in (("text", text), ("image", _image_widget())):
        n = len(widget.initial_state)
        masks = (rng.rand(12, n) < 0.6).astype(float)
        masks[0], masks[1] = 1.0, 0.0
        for label in widget.labels:
            estimate_cases.append(
                {
                    "name": f"{kind}, label {label}",
                    "entry": widget.explanations[str(label)],
                    "masks": masks.astype(int).tolist(),
                    "expected": [widget._surrogate(mask, label) for mask in masks],
                }
            )
            widget.label = label
            for k in (1, 2, 3, n + 5):
                widget.hide_top(k)
                hidden = list(widget.state)
                widget.keep_top(k)
                kept = list(widget.state)
                button_cases.append(
                    {
                        "name": f"{kind}, label {label}, k={k}",
                        "initial_state": list(widget.initial_state),
                        "weights": widget.explanations[str(label)]["weights"],
                        "k": k,
                        "hide_top": hidden,
                        "keep_top": kept,
                    }
                )
        widget.close()
    return estimate_cases, button_cases


# ---------------------------------------------------------------------------- status
STATUS_TRAITS = ("state_id", "real_state_id", "real_output", "pending", "error", "error_state_id")


def _snapshot(widget: Any, name: str, answered: bool, text: str) -> dict:
    """The traits the live panel reads, and what the scenario says about them."""
    traits = {name: getattr(widget, name) for name in STATUS_TRAITS}
    traits["real_output_length"] = len(traits.pop("real_output"))
    traits["static"] = widget.static
    return {"name": name, "traits": traits, "answered": answered, "text": text}


class _Gate:
    """A model wrapper whose calls wait until released, and that can be made to fail."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = False

    def hold(self, widget: Any, feature: int) -> None:
        """Toggle ``feature`` and return once its model call is running, held at the gate."""
        self.gate.clear()
        self.started.clear()
        widget.toggle(feature)
        self.started.wait(10)

    def release(self, widget: Any, fail: bool) -> None:
        """Let the held call finish (raising if ``fail``) and wait for the widget's answer."""
        self.fail = fail
        self.gate.set()
        widget.wait(10)

    def __call__(self, batch: Any) -> Any:
        self.started.set()
        self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the model failed")
        return self.model(batch)


def status_cases() -> list[dict]:
    """Real widget scenarios: what Python had answered when the browser looked."""
    cases = []
    explanation = _text_explanation()
    gate = _Gate(explanation.classifier_fn)
    widget = TextExplanationWidget(explanation, gate, threaded=True)
    cases.append(_snapshot(widget, "fresh widget", True, LIVE))
    widget.toggle(0)
    widget.wait(10)
    cases.append(_snapshot(widget, "edit answered", True, LIVE))
    gate.hold(widget, 1)
    cases.append(_snapshot(widget, "edit waiting for the model", False, PENDING))
    gate.release(widget, fail=True)
    cases.append(_snapshot(widget, "the model raised for this edit", True, MODEL_ERROR))
    gate.hold(widget, 2)
    cases.append(_snapshot(widget, "after an error, the next edit waits", False, PENDING))
    gate.release(widget, fail=False)
    cases.append(_snapshot(widget, "the next edit answered", True, LIVE))
    widget.set_state({"label": 99})  # rejected: the browser re-syncs to the answered state
    cases.append(_snapshot(widget, "a rejected browser value", True, MODEL_ERROR))
    widget.close()
    surrogate_only = copy.copy(explanation)
    surrogate_only.classifier_fn = None
    static = TextExplanationWidget(surrogate_only, threaded=False)
    static.toggle(0)
    cases.append(_snapshot(static, "no live model", False, NO_LIVE_MODEL))
    static.close()
    return cases


# ---------------------------------------------------------------------------- the file
def build() -> dict:
    """Every fixture, computed by the Python implementation now."""
    rules, tabular = tabular_cases()
    masks, buttons = mask_cases()
    return _plain(
        {
            "about": "Written by tests/widgets/golden.py from the Python implementation; "
            "checked by js/tests/golden.test.js. Do not edit by hand.",
            "apply_rule": rules,
            "tabular_estimate": tabular,
            "mask_estimate": masks,
            "mask_buttons": buttons,
            "status": status_cases(),
        }
    )


def render(fixtures: dict) -> str:
    return json.dumps(fixtures, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(render(build()), encoding="utf8")
    print(f"wrote {FIXTURE}")
