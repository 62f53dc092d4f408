"""Headless demo: explain an image, a text and a table with real models trained in seconds.

Run ``python -m limewidgets.demo [--output limewidgets-demo.html]``. It prints the top features of
each explanation and writes one standalone HTML page with the three explanations.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

POSITIVE = "excellent wonderful great superb delightful brilliant enjoyable charming".split()
NEGATIVE = "awful terrible boring dreadful clumsy tedious painful mediocre".split()
NEUTRAL = (
    "the film plot actor scene movie story director music script camera ending character "
    "audience evening cinema minutes sound picture"
).split()


def make_reviews(n: int, rng: np.random.RandomState) -> tuple[list[str], np.ndarray]:
    """Generate short synthetic movie reviews whose sentiment depends on a few words."""
    docs, labels = [], []
    for _ in range(n):
        label = rng.randint(2)
        strong = POSITIVE if label else NEGATIVE
        weak = NEGATIVE if label else POSITIVE
        words = (
            list(rng.choice(NEUTRAL, 8))
            + list(rng.choice(strong, 2))
            + list(rng.choice(weak, rng.randint(0, 2)))
        )
        rng.shuffle(words)
        docs.append(" ".join(words))
        labels.append(label)
    return docs, np.array(labels)


def text_demo(seed: int = 0):
    """Train a TF-IDF + logistic regression sentiment model and explain one review."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from .engine.text import LimeTextExplainer

    rng = np.random.RandomState(seed)
    docs, labels = make_reviews(600, rng)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(docs, labels)
    review = "The story was boring and the ending clumsy, but the music was wonderful and the camera superb."
    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=seed)
    # top_labels=1: explain the class the model predicts (lime's default, labels=(1,), would
    # explain "positive" even for a review the model calls negative).
    return explainer.explain_instance(
        review, model.predict_proba, num_features=6, num_samples=2000, top_labels=1
    )


def tabular_demo(seed: int = 0):
    """Train a random forest on the iris data and explain one flower."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    from .engine.tabular import LimeTabularExplainer

    iris = load_iris()
    model = RandomForestClassifier(n_estimators=50, random_state=seed).fit(iris.data, iris.target)
    explainer = LimeTabularExplainer(
        iris.data,
        feature_names=iris.feature_names,
        class_names=list(iris.target_names),
        random_state=seed,
    )
    return explainer.explain_instance(
        iris.data[120], model.predict_proba, num_features=4, top_labels=1
    )


def image_features(images: np.ndarray) -> np.ndarray:
    """Colour statistics of a batch of images: per-channel means and spreads, per image half."""
    x = np.asarray(images, dtype=float) / 255.0
    h = x.shape[1] // 2
    parts = [x[:, :h], x[:, h:]]
    return np.concatenate(
        [np.concatenate([p.mean(axis=(1, 2)), p.std(axis=(1, 2))], axis=1) for p in parts], axis=1
    )


def image_demo(seed: int = 0):
    """Train a cat-vs-coffee colour model on random crops and explain the cat photo."""
    from skimage import data
    from skimage.transform import resize
    from sklearn.linear_model import LogisticRegression

    from .engine.image import LimeImageExplainer
    from .engine.segmentation import SegmentationAlgorithm

    rng = np.random.RandomState(seed)
    size = 96

    def crops(photo: np.ndarray, n: int) -> np.ndarray:
        out = np.empty((n, size, size, 3), dtype=np.uint8)
        for i in range(n):
            side = rng.randint(size, min(photo.shape[:2]))
            r, c = rng.randint(0, photo.shape[0] - side), rng.randint(0, photo.shape[1] - side)
            patch = resize(photo[r : r + side, c : c + side], (size, size), anti_aliasing=True)
            out[i] = (patch * 255).astype(np.uint8)
        return out

    cat, coffee = data.chelsea(), data.coffee()
    x = np.concatenate([crops(cat, 60), crops(coffee, 60)])
    y = np.r_[np.ones(60), np.zeros(60)].astype(int)
    clf = LogisticRegression(max_iter=2000).fit(image_features(x), y)

    def predict(images: np.ndarray) -> np.ndarray:
        return clf.predict_proba(image_features(images))

    photo = resize(cat, (size, int(size * cat.shape[1] / cat.shape[0])), anti_aliasing=True) * 255
    photo = photo.astype(np.uint8)
    segmenter = SegmentationAlgorithm("slic", n_segments=40, compactness=10, start_label=1)
    explainer = LimeImageExplainer(random_state=seed)
    return explainer.explain_instance(
        photo, predict, top_labels=2, hide_color=0, num_samples=500,
        segmentation_fn=segmenter, progress_bar=False, class_names=["coffee", "cat"],
    )  # fmt: skip


def main(argv: list[str] | None = None) -> Path:
    """Run the three explanations, print their top features and write an HTML page."""
    from .engine.html import page

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="limewidgets-demo.html", help="HTML file to write")
    args = parser.parse_args(argv)

    bodies = []
    for name, run in (("image", image_demo), ("text", text_demo), ("tabular", tabular_demo)):
        start = time.perf_counter()
        exp = run()
        seconds = time.perf_counter() - start
        label = exp.top_labels[0] if exp.top_labels else exp.available_labels()[0]
        predicted = int(np.argmax(exp.predict_proba))
        print(f"\n{name}: the model predicts {exp._class_name(predicted)!r} "
              f"(P = {exp.predict_proba[predicted]:.2f}); explained class "
              f"{exp._class_name(label)!r} in {seconds:.1f} s "
              f"(fidelity {exp.fidelity[label]:.2f})")  # fmt: skip
        for feature, weight in exp.as_list(label)[:5]:
            print(f"  {weight:+.3f}  {feature}")
        bodies.append(f"<h2>{name}</h2>" + exp._html_body(labels=[label]))
    path = Path(args.output)
    path.write_text(page("".join(bodies), "limewidgets demo"), encoding="utf8")
    print(f"\nwrote {path.resolve()}")
    return path


if __name__ == "__main__":
    main()
