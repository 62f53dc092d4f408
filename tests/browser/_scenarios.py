"""Cheap models, explanations and call recorders shared by the browser tests.

Imported both by the test process (static export) and by the notebooks the tests generate (the
notebook puts this folder on ``sys.path``), so a notebook cell and a test build exactly the same
explanation. Every model is wrapped in a :class:`CallRecorder` that appends each call's input to a
JSON-lines file, which the test reads to check that a click re-queried the model with the right
input.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SEED = 0


class CallRecorder:
    """Wrap a model and append one JSON line per call to ``log_path``.

    Parameters
    ----------
    model : callable
        The model (``predict_proba``-like).
    log_path : Path
        JSON-lines file; each line has ``index``, ``n_rows``, ``model_ms`` and, for calls of at most
        ``detail_rows`` rows, ``inputs`` as returned by ``describe``.
    describe : callable
        ``describe(batch, index) -> JSON-able`` summary of a small batch.
    detail_rows : int
        Batches up to this size are described (clicks send one row; explanations send many).
    """

    def __init__(
        self,
        model: Callable[[Any], np.ndarray],
        log_path: Path,
        describe: Callable[[Any, int], Any],
        detail_rows: int = 4,
    ) -> None:
        self.model = model
        self.log_path = Path(log_path)
        self.describe = describe
        self.detail_rows = detail_rows
        self.n_calls = 0
        self._lock = threading.Lock()
        self.log_path.write_text("")

    def __call__(self, batch: Any) -> np.ndarray:
        start = time.perf_counter()
        output, error = None, None
        try:
            output = np.asarray(self.model(batch))
        except Exception as raised:  # logged, then raised to the caller unchanged
            error = raised
        model_ms = (time.perf_counter() - start) * 1000.0
        detailed = len(batch) <= self.detail_rows
        with self._lock:
            index = self.n_calls
            self.n_calls += 1
            entry: dict[str, Any] = {
                "index": index,
                "n_rows": len(batch),
                "model_ms": model_ms,
                "output": output.tolist() if detailed and output is not None else None,
                "error": None if error is None else f"{type(error).__name__}: {error}",
            }
            if detailed:
                entry["inputs"] = self.describe(batch, index)
            with open(self.log_path, "a", encoding="utf8") as handle:
                handle.write(json.dumps(entry) + "\n")
        if error is not None:
            raise error
        return output


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


# --------------------------------------------------------------------------------------- image
def astronaut_crop() -> np.ndarray:
    """A 256x256 RGB crop of the astronaut's head and shoulders (uint8).

    Big enough for legible documentation screenshots, small enough to explain in about a second.
    """
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[0:256, 128:384])


class CentreBrightnessModel:
    """Two-class image "model": how bright and red the centre of the picture is.

    A Gaussian window over the centre weights each pixel's brightness and redness; the
    probability of class 1 is a sigmoid of that score, calibrated so the untouched crop scores
    0.8. Hiding a central superpixel (with black) lowers it, hiding a corner barely matters.
    """

    def __init__(self, reference: np.ndarray) -> None:
        height, width = reference.shape[:2]
        rows, cols = np.mgrid[0:height, 0:width]
        sigma = 0.25 * max(height, width)
        window = np.exp(-((rows - height / 2) ** 2 + (cols - width / 2) ** 2) / (2 * sigma**2))
        self.window = window / window.sum()
        self.offset = 0.0
        self.offset = float(self.score(reference[None])[0]) - np.log(4.0) / 8.0

    def score(self, images: np.ndarray) -> np.ndarray:
        pixels = np.asarray(images, dtype=np.float64) / 255.0
        brightness = pixels.mean(axis=-1)
        redness = pixels[..., 0] - 0.5 * (pixels[..., 1] + pixels[..., 2])
        return np.tensordot(brightness + redness, self.window, axes=([1, 2], [0, 1]))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        probability = _sigmoid(8.0 * (self.score(images) - self.offset))
        return np.column_stack([1.0 - probability, probability])


def image_scenario(log_dir: Path, prefix: str, num_samples: int = 120) -> dict[str, Any]:
    """Explain the astronaut crop with :class:`CentreBrightnessModel` behind a recorder.

    Single-image calls are saved as ``<prefix>image_call_<index>.npy`` in ``log_dir``; the
    reference arrays the test compares them with (original, hide-colour image, segment map) are
    saved next to them, and ``<prefix>image_click.json`` holds the superpixel to click.
    """
    from limewidgets import LimeImageExplainer

    log_dir = Path(log_dir)
    image = astronaut_crop()

    def save_image(batch: np.ndarray, index: int) -> list[str]:
        names = []
        for offset, row in enumerate(np.asarray(batch)):
            name = f"{prefix}image_call_{index}_{offset}.npy"
            np.save(log_dir / name, row)
            names.append(name)
        return names

    recorder = CallRecorder(
        CentreBrightnessModel(image), log_dir / f"{prefix}image_calls.jsonl", save_image
    )
    explainer = LimeImageExplainer(random_state=SEED)
    explanation = explainer.explain_instance(
        image,
        recorder,
        top_labels=2,
        hide_color=0,
        num_samples=num_samples,
        random_seed=SEED,
    )
    perturbation = explanation.perturbation
    segment_index = np.asarray(perturbation.segment_index)
    hidden = np.asarray(perturbation.make_instances(np.zeros((1, perturbation.n_features))))[0]
    np.save(log_dir / f"{prefix}image_original.npy", image)
    np.save(log_dir / f"{prefix}image_hidden.npy", hidden)
    np.save(log_dir / f"{prefix}image_segments.npy", segment_index)
    click = choose_superpixel(explanation, image, hidden, segment_index)
    (log_dir / f"{prefix}image_click.json").write_text(json.dumps(click))
    return {"explanation": explanation, "recorder": recorder, "click": click}


def choose_superpixel(
    explanation: Any, image: np.ndarray, hidden: np.ndarray, segment_index: np.ndarray
) -> dict[str, Any]:
    """The superpixel with the largest positive weight whose hiding visibly changes pixels.

    Returns its position, a pixel deep inside it (``row``, ``col``: the pixel farthest from the
    segment's border) and the image size, so the browser can click it on the canvas.
    """
    from scipy import ndimage

    label = int(explanation.top_labels[0])
    changed = np.any(image != hidden, axis=-1)
    n_segments = int(segment_index.max()) + 1
    changed_fraction = np.bincount(
        segment_index.ravel(), weights=changed.ravel(), minlength=n_segments
    ) / np.bincount(segment_index.ravel(), minlength=n_segments)
    for feature, weight in sorted(explanation.local_exp[label], key=lambda item: -item[1]):
        if changed_fraction[feature] < 0.95:
            continue
        depth = ndimage.distance_transform_edt(segment_index == feature)
        row, col = np.unravel_index(int(np.argmax(depth)), depth.shape)
        if depth[row, col] < 3:  # too thin to click reliably
            continue
        return {
            "label": label,
            "feature": int(feature),
            "weight": float(weight),
            "row": int(row),
            "col": int(col),
            "height": int(image.shape[0]),
            "width": int(image.shape[1]),
            "n_features": n_segments,
        }
    raise AssertionError("no clickable superpixel found")


# ---------------------------------------------------------------------------------------- text
TEXT_DOCUMENT = (
    "A wonderful cast and a great score, but the plot was boring "
    "and the ending was terrible. Still, great fun."
)
TEXT_LEXICON = {
    "wonderful": 2.0,
    "great": 1.2,
    "fun": 1.0,
    "boring": -1.5,
    "terrible": -2.0,
}
TEXT_CLICK_WORD = "great"  # appears twice: bag of words removes both


class LexiconSentimentModel:
    """Two-class sentiment model: sigmoid of the summed lexicon scores of the words."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.vectorizer = CountVectorizer(vocabulary=list(TEXT_LEXICON), lowercase=True)
        self.weights = np.array(list(TEXT_LEXICON.values()))

    def __call__(self, documents: list[str]) -> np.ndarray:
        counts = self.vectorizer.transform(list(documents))
        probability = _sigmoid(counts @ self.weights + 0.3)
        return np.column_stack([1.0 - probability, probability])


def text_scenario(
    log_dir: Path,
    prefix: str,
    num_samples: int = 300,
    class_names: tuple[str, str] = ("negative", "positive"),
) -> dict[str, Any]:
    """Explain :data:`TEXT_DOCUMENT` with :class:`LexiconSentimentModel` behind a recorder."""
    from limewidgets import LimeTextExplainer

    recorder = CallRecorder(
        LexiconSentimentModel(),
        Path(log_dir) / f"{prefix}text_calls.jsonl",
        lambda batch, index: [str(document) for document in batch],
    )
    explainer = LimeTextExplainer(class_names=list(class_names), random_state=SEED)
    explanation = explainer.explain_instance(
        TEXT_DOCUMENT, recorder, num_features=6, num_samples=num_samples
    )
    return {"explanation": explanation, "recorder": recorder}


FAILING_WORD = "fun"


class NeedsWordModel(LexiconSentimentModel):
    """The sentiment model, except that it raises on a document without :data:`FAILING_WORD`."""

    def __call__(self, documents: list[str]) -> np.ndarray:
        missing = [doc for doc in documents if not re.search(rf"\b{FAILING_WORD}\b", doc)]
        if missing:
            raise ValueError(f"cannot score a review without {FAILING_WORD!r}")
        return super().__call__(documents)


def failing_text_widget(log_dir: Path, prefix: str, explanation: Any) -> Any:
    """A text widget on ``explanation`` whose model raises once :data:`FAILING_WORD` is removed."""
    recorder = CallRecorder(
        NeedsWordModel(),
        Path(log_dir) / f"{prefix}failing_calls.jsonl",
        lambda batch, index: [str(document) for document in batch],
    )
    return explanation.widget(classifier_fn=recorder)


def uncertain_text_scenario(log_dir: Path, prefix: str, num_samples: int = 300) -> dict[str, Any]:
    """A text explanation with known, hand-set uncertainty, shown by a widget on its own model.

    The standard errors are ``0.2 |w|`` for the 1st, 3rd, ... weights (intervals away from zero)
    and ``0.8 |w|`` for the 2nd, 4th, ... (their ±2 SE intervals contain zero); stability is
    0.82. The widget uses the explanation's own (recorded) model, so it shares the
    explanation's query cache.
    """
    from limewidgets import LimeTextExplainer

    recorder = CallRecorder(
        LexiconSentimentModel(),
        Path(log_dir) / f"{prefix}uncertain_calls.jsonl",
        lambda batch, index: [str(document) for document in batch],
    )
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=SEED)
    # lime's sampler: the efficient one draws mostly near-complete documents, so every
    # single-word removal would already be answered and the re-use test could not make a call.
    explanation = explainer.explain_instance(
        TEXT_DOCUMENT, recorder, num_features=6, num_samples=num_samples, sampler="lime"
    )
    explanation.weight_std = {
        label: {
            int(feature): abs(float(weight)) * (0.2 if rank % 2 == 0 else 0.8)
            for rank, (feature, weight) in enumerate(weights)
        }
        for label, weights in explanation.local_exp.items()
    }
    explanation.stability = {label: 0.82 for label in explanation.local_exp}
    explanation.stability_k = 5
    widget = explanation.widget(num_features=6)
    return {"explanation": explanation, "recorder": recorder, "widget": widget}


# ------------------------------------------------------------------------------------- tabular
TABULAR_FEATURES = ["age", "monthly fee", "support calls", "plan"]
TABULAR_PLANS = ["basic", "plus", "pro"]
TABULAR_EDIT_FEATURE = 2  # "support calls": a number field
TABULAR_EDIT_VALUE = 9.0
TABULAR_SELECT_FEATURE = 3  # "plan": a drop-down
TABULAR_SELECT_VALUE = 2  # "pro"


def churn_data(n_rows: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic churn data: (training rows, labels, the row to explain)."""
    rng = np.random.RandomState(SEED)
    age = rng.uniform(18, 80, n_rows).round()
    fee = rng.uniform(10, 120, n_rows).round(2)
    calls = rng.poisson(2.0, n_rows).astype(float)
    plan = rng.randint(0, 3, n_rows).astype(float)
    logit = 0.04 * (fee - 60) + 0.6 * (calls - 2) - 0.8 * plan - 0.02 * (age - 45)
    labels = (logit + rng.normal(0, 0.5, n_rows) > 0).astype(int)
    data = np.column_stack([age, fee, calls, plan])
    row = np.array([34.0, 55.5, 1.0, 1.0])
    return data, labels, row


def churn_model(data: np.ndarray, labels: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A fitted logistic regression (one-hot plan) as a ``predict_proba`` function."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encode = ColumnTransformer(
        [
            ("numbers", StandardScaler(), [0, 1, 2]),
            ("plan", OneHotEncoder(categories=[[0.0, 1.0, 2.0]]), [3]),
        ]
    )
    pipeline = make_pipeline(encode, LogisticRegression()).fit(data, labels)
    return pipeline.predict_proba


def tabular_scenario(log_dir: Path, prefix: str, num_samples: int = 300) -> dict[str, Any]:
    """Explain one customer of :func:`churn_data` with a logistic regression behind a recorder."""
    from limewidgets import LimeTabularExplainer

    data, labels, row = churn_data()
    recorder = CallRecorder(
        churn_model(data, labels),
        Path(log_dir) / f"{prefix}tabular_calls.jsonl",
        lambda batch, index: np.asarray(batch, dtype=float).tolist(),
    )
    explainer = LimeTabularExplainer(
        data,
        feature_names=TABULAR_FEATURES,
        class_names=["stays", "churns"],
        categorical_features=[3],
        categorical_names={3: TABULAR_PLANS},
        random_state=SEED,
    )
    explanation = explainer.explain_instance(row, recorder, num_features=4, num_samples=num_samples)
    return {"explanation": explanation, "recorder": recorder, "row": row.tolist()}


# --------------------------------------------------------------------------------------- probe
def probe_widget(log_dir: Path, prefix: str) -> Any:
    """A minimal anywidget following the trait contract, to check the harness on its own.

    Clicking its button toggles ``state[0]`` and bumps ``state_id``; Python calls a recorded
    model and answers with ``real_output`` and ``real_state_id``, which the frontend shows in a
    ``[data-testid=lw-real-output]`` element, exactly like the real widgets.
    """
    import anywidget
    import traitlets

    recorder = CallRecorder(
        lambda rows: np.column_stack([1.0 - 0.3 * rows[:, 0], 0.3 * rows[:, 0]]),
        Path(log_dir) / f"{prefix}probe_calls.jsonl",
        lambda batch, index: np.asarray(batch).tolist(),
    )

    class ProbeWidget(anywidget.AnyWidget):
        _esm = """
        function render({ model, el }) {
          const button = document.createElement('button');
          button.dataset.testid = 'lw-probe-toggle';
          button.textContent = 'toggle';
          const out = document.createElement('span');
          out.dataset.testid = 'lw-real-output';
          const show = () => {
            out.textContent = model.get('real_output').map((v) => v.toFixed(3)).join(' ');
            out.dataset.stateId = String(model.get('real_state_id'));
          };
          button.addEventListener('click', () => {
            const state = model.get('state').slice();
            state[0] = 1 - state[0];
            model.set('state', state);
            model.set('state_id', model.get('state_id') + 1);
            model.save_changes();
          });
          model.on('change:real_state_id', show);
          show();
          const root = document.createElement('div');
          root.className = 'lw-probe-root';
          root.append(button, out);
          el.append(root);
        }
        export default { render };
        """
        state = traitlets.List([1]).tag(sync=True)
        state_id = traitlets.Int(0).tag(sync=True)
        real_output = traitlets.List([1.0, 0.0]).tag(sync=True)
        real_state_id = traitlets.Int(0).tag(sync=True)

        @traitlets.observe("state_id")
        def _requery(self, change: dict) -> None:
            output = recorder(np.asarray([self.state], dtype=float))[0]
            self.real_output = output.tolist()
            self.real_state_id = change["new"]

    return ProbeWidget()
