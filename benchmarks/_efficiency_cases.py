"""Cases shared by the query-efficiency benchmark and the stability calibration (issue 7).

Each case is an instance, a model and the explainer settings, runnable with lime 0.2.0.1 itself
(:func:`run_lime`) and with limewidgets (:func:`run_ours`, any ``sampler`` / ``num_samples``).
The *converged reference* of a case (:func:`reference`) is lime 0.2.0.1 at ``REF_QUERIES`` model
queries, averaged over ``REF_SEEDS`` seeds; it is expensive (lime's image path especially), so it
is cached in ``benchmarks/.efficiency_reference.json`` keyed by the case and every parameter that
changes it, and recomputed only when asked (``refresh=True``) or when the key changes.

Agreement with the reference (:func:`agreement`) is measured as

- the Jaccard similarity of the top-5 features (by absolute weight) of an explanation and of the
  reference, and
- the Pearson correlation of their weights over the union of the features either one reports
  (a feature an explanation does not report has weight 0).

Cases (``CASES``):

``image-mlp``
    ``skimage.data.chelsea()`` with lime's default quickshift segmentation (97 superpixels),
    hidden superpixels black (``hide_color=0``), a fixed random two-layer network (tanh hidden
    layer) on the 4 x 4 grid of per-channel colour means, softmax over 10 classes: not additive
    in the superpixels (lime's surrogate R^2 is about 0.8). The most probable class (p = 0.6) is
    explained, with every superpixel in the explanation (lime's image default).
``image-detector``
    The same photo and superpixels, a one-filter convolutional detector: the best matches of an
    8 x 8 template (the cat's face) over the strided photo, max-pooled, through a sigmoid
    (:class:`TemplateDetectorModel`); class "present" explained.
``image-and``
    The same photo and superpixels, two superpixels that raise the logit by 3 only when both
    are shown, plus the photo's brightness (:class:`TwoRegionModel`); class "yes" explained.
``text-linear``
    A 150-word review, TF-IDF + logistic regression trained on a generated corpus
    (``bench_text.py``); ``num_features=10``.
``text-interact``
    The same review, a model with word interactions: the logit is a sum of fixed (distinct)
    sentiment-word weights, doubled when an intensifier ("very", "most", "quite") is present,
    minus a penalty when "boring" and "ending" occur together; ``num_features=10``.
``tabular-rf`` / ``tabular-gb``
    ``sklearn.datasets.load_breast_cancer``, a random forest (200 trees) / gradient boosting,
    lime's default tabular explainer (quartile discretization), a test row the forest is unsure
    about; ``num_features=10``.

Everything is generated or loaded offline and seeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

try:  # run as a script (benchmarks/ on sys.path) or imported from the repository root
    from bench_text import make_corpus, make_document
except ImportError:  # pragma: no cover
    from benchmarks.bench_text import make_corpus, make_document

__all__ = [
    "CASES",
    "REF_QUERIES",
    "REF_SEEDS",
    "TOP_K",
    "Case",
    "agreement",
    "get_case",
    "reference",
    "run_lime",
    "run_ours",
    "weights_of",
]

TOP_K = 5
REF_QUERIES = 16000
REF_SEEDS = 4
CACHE_FILE = Path(__file__).resolve().parent / ".efficiency_reference.json"
# Bump a case's version when its definition changes: it is part of the case's cache key.
CASE_VERSIONS = {"text-interact": 2}


@dataclass
class Case:
    """One benchmark case, built lazily (models are trained on first use).

    Attributes
    ----------
    name : str
    kind : {'image', 'text', 'tabular'}
    instance : object
        The image, document or row explained.
    model : callable
        The classifier function (batch of inputs -> class probabilities).
    label : int
        The explained class.
    explain_kwargs : dict
        Keyword arguments passed to ``explain_instance`` by both libraries (besides the
        instance, model, label and budget).
    explainer_args, explainer_kwargs : tuple, dict
        Constructor arguments of the explainers (besides ``random_state``).
    """

    name: str
    kind: str
    instance: Any
    model: Callable[[Any], Any]
    label: int
    explain_kwargs: dict = field(default_factory=dict)
    explainer_args: tuple = ()
    explainer_kwargs: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- models


class GridMLPModel:
    """A fixed random two-layer network on the 4 x 4 grid of per-channel colour means.

    The cell means are taken on a strided subsample (about 64 pixels a side), so the model is
    cheap next to building the perturbed images. Hidden layer ``tanh``, softmax over 10 classes:
    hiding two superpixels together does not change the output by the sum of hiding each.
    """

    grid = 4
    n_classes = 10

    def __init__(self, seed: int = 2, n_hidden: int = 16) -> None:
        rng = np.random.RandomState(seed)
        n_in = self.grid * self.grid * 3
        self.w1 = rng.randn(n_in, n_hidden) * 6.0 / np.sqrt(n_in)
        self.b1 = rng.randn(n_hidden) * 0.5
        self.w2 = rng.randn(n_hidden, self.n_classes)
        self.b2 = rng.randn(self.n_classes)

    def __call__(self, images: Any) -> np.ndarray:
        images = np.asarray(images)
        n, height, width = images.shape[:3]
        step = max(1, min(height, width) // 64)
        sub = images[:, ::step, ::step, :3].astype(np.float32)
        rows = np.linspace(0, sub.shape[1], self.grid + 1).astype(int)
        cols = np.linspace(0, sub.shape[2], self.grid + 1).astype(int)
        sums = np.add.reduceat(np.add.reduceat(sub, rows[:-1], axis=1), cols[:-1], axis=2)
        counts = np.diff(rows)[:, None] * np.diff(cols)[None, :]
        means = (sums / counts[None, :, :, None]).reshape(n, -1) / 255.0
        hidden = np.tanh((means - 0.5) @ self.w1 + self.b1)
        logits = hidden @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        out = np.exp(logits)
        return out / out.sum(axis=1, keepdims=True)


def _strided(images: Any, step: int) -> np.ndarray:
    """Every ``step``-th pixel of a batch of images, RGB in [0, 1] (what the image models read)."""
    return np.asarray(images)[:, ::step, ::step, :3].astype(np.float32) / 255.0


class TemplateDetectorModel:
    """A one-filter convolutional detector: does the photo show this 8 x 8 patch somewhere?

    On a 4-times strided subsample, every 8 x 8 block is compared with a template cut from the
    photo itself (the cat's face); the score is the mean of the three best matches (a global
    max-pool, as a CNN's last layers), through a sigmoid. Returns ``[P(absent), P(present)]``.
    Not additive: hiding one superpixel of the best block matters only while no other block
    matches as well.
    """

    step = 4
    block = 8

    def __init__(self, image: np.ndarray) -> None:
        sub = _strided(image[None], self.step)[0]
        self.template = sub[30 : 30 + self.block, 40 : 40 + self.block]

    def __call__(self, images: Any) -> np.ndarray:
        x = _strided(images, self.step)
        n, b = x.shape[0], self.block
        rows, cols = x.shape[1] // b, x.shape[2] // b
        blocks = x[:, : rows * b, : cols * b].reshape(n, rows, b, cols, b, 3)
        distance = ((blocks - self.template[None, None, :, None]) ** 2).mean(axis=(2, 4, 5))
        score = -distance.reshape(n, -1)
        best = np.sort(score, axis=1)[:, -3:].mean(axis=1)
        p = 1.0 / (1.0 + np.exp(-(40.0 * (best - np.median(score, axis=1)) - 0.5)))
        return np.column_stack([1.0 - p, p])


class TwoRegionModel:
    """Two superpixels that matter only together, plus the photo's brightness.

    ``logit = 3 [a and b shown] + brightness / brightness of the photo - 2``, where ``a`` and
    ``b`` are two superpixels (shown: more than half of their original intensity is there).
    A pure pairwise interaction on top of an additive term. Returns ``[P(no), P(yes)]``.
    """

    step = 4

    def __init__(self, image: np.ndarray, segments: np.ndarray, a: int, b: int) -> None:
        sub = _strided(image[None], self.step)[0]
        strided = segments[:: self.step, :: self.step]
        self.region_a, self.region_b = strided == a, strided == b
        self.full_a = float(sub[self.region_a].sum())
        self.full_b = float(sub[self.region_b].sum())
        self.brightness = float(sub.mean())

    def __call__(self, images: Any) -> np.ndarray:
        x = _strided(images, self.step)
        shown_a = x[:, self.region_a].sum(axis=(1, 2)) > 0.5 * self.full_a
        shown_b = x[:, self.region_b].sum(axis=(1, 2)) > 0.5 * self.full_b
        logit = 3.0 * (shown_a & shown_b) + x.mean(axis=(1, 2, 3)) / self.brightness - 2.0
        p = 1.0 / (1.0 + np.exp(-logit))
        return np.column_stack([1.0 - p, p])


_WORD = re.compile(r"\w+")


class InteractionTextModel:
    """Sentiment with word interactions (a transparent rule, no training).

    ``logit = S * (1 + I) - 2 * [boring and ending]`` where ``S`` sums a fixed weight per
    distinct sentiment word present (positive words 0.2 to 0.9, negative words -0.2 to -0.9,
    all different) and ``I`` is 1 when an intensifier ("very", "most", "quite") is present.
    Returns ``[P(negative), P(positive)]``.
    """

    intensifiers = frozenset({"very", "most", "quite"})

    def __init__(self) -> None:
        try:
            from bench_text import NEGATIVE, POSITIVE
        except ImportError:  # pragma: no cover
            from benchmarks.bench_text import NEGATIVE, POSITIVE
        self.word_weight = dict(zip(POSITIVE, np.linspace(0.2, 0.9, len(POSITIVE)), strict=True))
        self.word_weight.update(
            zip(NEGATIVE, -np.linspace(0.2, 0.9, len(NEGATIVE))[::-1], strict=True)
        )

    def __call__(self, docs: Any) -> np.ndarray:
        logits = np.empty(len(docs))
        for i, doc in enumerate(docs):
            words = set(_WORD.findall(doc.lower()))
            score = sum(self.word_weight.get(word, 0.0) for word in words)
            boost = 2.0 if words & self.intensifiers else 1.0
            logit = score * boost
            if "boring" in words and "ending" in words:
                logit -= 2.0
            logits[i] = logit
        p = 1.0 / (1.0 + np.exp(-logits))
        return np.column_stack([1.0 - p, p])


# ----------------------------------------------------------------------------- cases


@lru_cache(maxsize=1)
def _image_case() -> tuple[np.ndarray, np.ndarray]:
    from skimage.data import chelsea
    from skimage.segmentation import quickshift

    image = chelsea()
    segments = quickshift(image, kernel_size=4, max_dist=200, ratio=0.2, rng=0)
    return image, segments


@lru_cache(maxsize=1)
def _tabular_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    return x_train, x_test, y_train, y_test, [str(n) for n in data.feature_names]


@lru_cache(maxsize=1)
def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    x_train, _, y_train, _, _ = _tabular_data()
    return RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1).fit(x_train, y_train)


@lru_cache(maxsize=1)
def _boosting() -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    x_train, _, y_train, _, _ = _tabular_data()
    return GradientBoostingClassifier(random_state=0).fit(x_train, y_train)


def _unsure_row() -> np.ndarray:
    """The first test row to which the forest gives a probability in (0.2, 0.8)."""
    _, x_test, _, _, _ = _tabular_data()
    p = _forest().predict_proba(x_test)[:, 1]
    return x_test[int(np.flatnonzero((p > 0.2) & (p < 0.8))[0])]


def _build(name: str) -> Case:
    if name in ("image-mlp", "image-detector", "image-and"):
        image, segments = _image_case()
        if name == "image-mlp":
            model: Callable[[Any], Any] = GridMLPModel()
        elif name == "image-detector":
            model = TemplateDetectorModel(image)
        else:
            ids = np.unique(segments)
            model = TwoRegionModel(image, segments, int(ids[10]), int(ids[50]))
        label = int(np.argmax(model(image[None])[0]))
        return Case(
            name,
            "image",
            image,
            model,
            label,
            explain_kwargs={"segmentation_fn": lambda img: segments, "hide_color": 0},
        )
    if name in ("text-linear", "text-interact"):
        if name == "text-linear":
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline

            docs, labels = make_corpus()
            pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
            model = pipeline.fit(docs, labels).predict_proba
        else:
            model = InteractionTextModel()
        return Case(name, "text", make_document(), model, 1, explain_kwargs={"num_features": 10})
    if name in ("tabular-rf", "tabular-gb"):
        x_train, _, _, _, names = _tabular_data()
        fitted = _forest() if name == "tabular-rf" else _boosting()
        return Case(
            name,
            "tabular",
            _unsure_row(),
            fitted.predict_proba,
            1,
            explain_kwargs={"num_features": 10},
            explainer_args=(x_train,),
            explainer_kwargs={"feature_names": names, "class_names": ["malignant", "benign"]},
        )
    raise ValueError(f"unknown case {name!r}; expected one of {CASES}")


CASES = (
    "image-mlp",
    "image-detector",
    "image-and",
    "text-linear",
    "text-interact",
    "tabular-rf",
    "tabular-gb",
)


@cache
def get_case(name: str) -> Case:
    """The case called ``name`` (built once per process)."""
    return _build(name)


# ----------------------------------------------------------------------------- running


def _explainer_class(kind: str, library: str) -> Any:
    if library == "lime":
        import lime.lime_image
        import lime.lime_tabular
        import lime.lime_text

        return {
            "image": lime.lime_image.LimeImageExplainer,
            "text": lime.lime_text.LimeTextExplainer,
            "tabular": lime.lime_tabular.LimeTabularExplainer,
        }[kind]
    from limewidgets.engine.image import LimeImageExplainer
    from limewidgets.engine.tabular import LimeTabularExplainer
    from limewidgets.engine.text import LimeTextExplainer

    return {
        "image": LimeImageExplainer,
        "text": LimeTextExplainer,
        "tabular": LimeTabularExplainer,
    }[kind]


def run_lime(case: Case, num_samples: int, seed: int) -> Any:
    """lime 0.2.0.1's explanation of ``case`` with ``num_samples`` model queries."""
    explainer = _explainer_class(case.kind, "lime")(
        *case.explainer_args, random_state=seed, **case.explainer_kwargs
    )
    kwargs = dict(case.explain_kwargs)
    if case.kind == "image":
        kwargs.update(top_labels=None, batch_size=100)
    # lime draws a tqdm bar for images; keep the benchmark's output readable.
    with contextlib.redirect_stderr(io.StringIO()):
        return explainer.explain_instance(
            case.instance, case.model, labels=(case.label,), num_samples=num_samples, **kwargs
        )


def run_ours(case: Case, num_samples: Any, seed: int, sampler: str = "lime", **extra: Any) -> Any:
    """limewidgets' explanation of ``case`` (``extra`` goes to ``explain_instance``)."""
    explainer = _explainer_class(case.kind, "ours")(
        *case.explainer_args, random_state=seed, **case.explainer_kwargs
    )
    kwargs = dict(case.explain_kwargs)
    if case.kind == "image":
        kwargs.update(top_labels=None, batch_size=100)
        kwargs["progress_bar"] = False
    kwargs.update(extra)
    return explainer.explain_instance(
        case.instance,
        case.model,
        labels=(case.label,),
        num_samples=num_samples,
        sampler=sampler,
        **kwargs,
    )


def weights_of(case: Case, explanation: Any) -> dict[int, float]:
    """``{feature id: weight}`` of the explained label (ids mean the same in both libraries)."""
    return {int(f): float(w) for f, w in explanation.local_exp[case.label]}


# ----------------------------------------------------------------------------- agreement


def top_k(weights: Mapping[int, float], k: int = TOP_K) -> set[int]:
    """The ``k`` features of largest absolute weight (ties broken by feature id)."""
    return set(sorted(weights, key=lambda f: (-abs(weights[f]), f))[:k])


def agreement(weights: Mapping[int, float], ref: Mapping[int, float]) -> tuple[float, float]:
    """(top-5 Jaccard, weight correlation) of an explanation's weights with the reference's."""
    a, b = top_k(weights), top_k(ref)
    jac = len(a & b) / len(a | b)
    union = sorted(set(weights) | set(ref))
    x = np.array([weights.get(f, 0.0) for f in union])
    y = np.array([ref.get(f, 0.0) for f in union])
    if x.std() == 0 or y.std() == 0:
        return jac, float("nan")
    return jac, float(np.corrcoef(x, y)[0, 1])


def _cache_key(case: Case, queries: int, seeds: int) -> str:
    import lime
    import sklearn

    parts = [
        case.name,
        f"v{CASE_VERSIONS.get(case.name, 1)}",
        f"q{queries}",
        f"s{seeds}",
        f"lime{getattr(lime, '__version__', '0.2.0.1')}",
        f"sk{sklearn.__version__}",
    ]
    # Callables (the segmentation) are named, not printed: their repr holds an address.
    settings = sorted(
        (key, getattr(value, "__qualname__", None) if callable(value) else repr(value))
        for key, value in case.explain_kwargs.items()
    )
    digest = hashlib.sha1(repr(settings).encode()).hexdigest()
    return "|".join([*parts, digest[:8]])


def reference(
    name: str,
    queries: int = REF_QUERIES,
    seeds: int = REF_SEEDS,
    refresh: bool = False,
    verbose: bool = False,
) -> dict[int, float]:
    """lime's converged explanation of case ``name``: weights averaged over ``seeds`` runs.

    Seeds ``10_000 + i`` are used (never a benchmark seed). A feature missing from one run
    counts as 0 in the average. Cached in ``CACHE_FILE``; ``refresh=True`` recomputes.
    """
    case = get_case(name)
    key = _cache_key(case, queries, seeds)
    cache: dict[str, Any] = {}
    if CACHE_FILE.exists():
        cache = json.loads(CACHE_FILE.read_text())
    if not refresh and key in cache:
        return {int(f): float(w) for f, w in cache[key].items()}
    total: dict[int, float] = {}
    for i in range(seeds):
        if verbose:
            print(f"  reference {name}: lime seed {i + 1}/{seeds} at {queries} queries", flush=True)
        for f, w in weights_of(case, run_lime(case, queries, 10_000 + i)).items():
            total[f] = total.get(f, 0.0) + w / seeds
    cache = json.loads(CACHE_FILE.read_text()) if CACHE_FILE.exists() else {}
    cache[key] = {str(f): w for f, w in total.items()}
    CACHE_FILE.write_text(json.dumps(cache, indent=1, sort_keys=True))
    return total
