"""Explanations from the real engines, real scikit-learn models and call recorders."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from limewidgets import LimeImageExplainer, LimeTabularExplainer, LimeTextExplainer

TEXT_DOCUMENT = (
    "The acting was good, the plot was great and the music was good, but the ending was bad"
)


class RecordingModel:
    """Wrap a model, remember every input it was called with; can be made to fail or wait."""

    def __init__(self, model):
        self.model = model
        self.calls = []
        self.fail_with: BaseException | None = None
        self.gate: threading.Event | None = None
        self.started = threading.Event()

    def __call__(self, batch):
        self.calls.append(batch)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if self.fail_with is not None:
            raise self.fail_with
        return self.model(batch)

    @property
    def rows(self) -> int:
        return sum(len(batch) for batch in self.calls)


# --------------------------------------------------------------------------- text
def _text_corpus(seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.RandomState(seed)
    positive = ["good", "great", "excellent", "fine"]
    negative = ["bad", "awful", "poor", "boring"]
    neutral = ["the", "movie", "plot", "acting", "music", "ending", "was", "and", "but"]
    docs, labels = [], []
    for _ in range(300):
        label = rng.randint(2)
        words = list(rng.choice(neutral, 6)) + list(rng.choice(positive if label else negative, 2))
        rng.shuffle(words)
        docs.append(" ".join(words))
        labels.append(label)
    return docs, np.array(labels)


@pytest.fixture(scope="session")
def text_model():
    docs, labels = _text_corpus()
    return (
        make_pipeline(CountVectorizer(), LogisticRegression(C=10.0)).fit(docs, labels).predict_proba
    )


@pytest.fixture(scope="session")
def text_explanation(text_model):
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=0)
    return explainer.explain_instance(TEXT_DOCUMENT, text_model, num_samples=400, top_labels=2)


@pytest.fixture(scope="session")
def text_explanation_positions(text_model):
    explainer = LimeTextExplainer(class_names=["negative", "positive"], bow=False, random_state=0)
    return explainer.explain_instance(TEXT_DOCUMENT, text_model, num_samples=400)


# --------------------------------------------------------------------------- image
def grid_segments(size: int = 64, block: int = 16, first_id: int = 10) -> np.ndarray:
    """Square blocks numbered from ``first_id`` in steps of 10 (ids deliberately not 0..n-1)."""
    rows = np.arange(size)[:, None] // block
    cols = np.arange(size)[None, :] // block
    return first_id + 10 * (rows * (size // block) + cols)


def quadrant_brightness(images: np.ndarray) -> np.ndarray:
    """Mean brightness of the top-left quadrant, in [0, 1]: the only thing the model sees."""
    images = np.asarray(images, dtype=float)
    half = images.shape[1] // 2
    return images[:, :half, :half].mean(axis=(1, 2, 3)) / 255.0


@pytest.fixture(scope="session")
def image_data():
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut()[::8, ::8])  # 64 x 64 x 3 uint8


@pytest.fixture(scope="session")
def image_model():
    """A logistic regression trained on generated brightness values of the top-left quadrant."""
    rng = np.random.RandomState(0)
    brightness = rng.uniform(0, 1, 400)
    labels = (brightness > 0.3).astype(int)
    clf = LogisticRegression(C=100.0).fit(brightness[:, None], labels)

    def predict_proba(images):
        return clf.predict_proba(quadrant_brightness(images)[:, None])

    return predict_proba


@pytest.fixture(scope="session")
def image_explanation(image_data, image_model):
    explainer = LimeImageExplainer(random_state=0)
    segments = grid_segments()
    return explainer.explain_instance(
        image_data,
        image_model,
        top_labels=2,
        hide_color=0,
        num_samples=200,
        segmentation_fn=lambda image: segments,
        progress_bar=False,
    )


# --------------------------------------------------------------------------- tabular
@pytest.fixture(scope="session")
def tabular_data():
    """x0 continuous, x1 categorical (red/green/blue), x2 continuous; label from x0 and x1."""
    rng = np.random.RandomState(0)
    n = 400
    x0 = rng.normal(0, 1, n)
    x1 = rng.randint(0, 3, n).astype(float)
    x2 = rng.normal(5, 2, n)
    data = np.column_stack([x0, x1, x2])
    labels = ((x0 + 2.0 * (x1 == 2)) > 0.5).astype(int)
    return data, labels


@pytest.fixture(scope="session")
def tabular_model(tabular_data):
    data, labels = tabular_data
    features = np.column_stack([data[:, 0], data[:, 1] == 2])
    clf = LogisticRegression(C=10.0).fit(features, labels)

    def predict_proba(rows):
        rows = np.asarray(rows, dtype=float)
        return clf.predict_proba(np.column_stack([rows[:, 0], rows[:, 1] == 2]))

    return predict_proba


@pytest.fixture(scope="session")
def tabular_explainer(tabular_data):
    data, labels = tabular_data
    return LimeTabularExplainer(
        data,
        feature_names=["x0", "colour", "x2"],
        categorical_features=[1],
        categorical_names={1: ["red", "green", "blue"]},
        class_names=["no", "yes"],
        random_state=0,
    )


@pytest.fixture(scope="session")
def tabular_explanation(tabular_explainer, tabular_data, tabular_model):
    data, _ = tabular_data
    row = np.array([0.2, 1.0, 5.0])
    return tabular_explainer.explain_instance(row, tabular_model, num_samples=500, top_labels=2)


@pytest.fixture(scope="session")
def regression_model(tabular_data):
    data, _ = tabular_data
    target = 3.0 * data[:, 0] - 2.0 * data[:, 2]
    return LinearRegression().fit(data, target).predict


@pytest.fixture(scope="session")
def regression_explanation(tabular_data, regression_model):
    data, _ = tabular_data
    explainer = LimeTabularExplainer(
        data, mode="regression", feature_names=["x0", "colour", "x2"], random_state=0
    )
    return explainer.explain_instance(np.array([0.5, 0.0, 4.0]), regression_model, num_samples=500)


def js_update(widget, **changes):
    """Apply changes the way a message from the browser does (``Widget.set_state``)."""
    widget.set_state(changes)
