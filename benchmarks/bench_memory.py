"""Peak memory of text explanations of huge documents: limewidgets against lime 0.2.0.1.

Two documents, generated (no download):

* ``words``: 100,000 distinct words (every token a different word, so 100,000 features);
* ``tokens``: 100,000 tokens drawn from a 1,000-word vocabulary (a long document).

Both are explained with ``num_samples=1000`` and ``num_features=5``, so the surrogate's features
are chosen by forward selection (lime's default for ``num_features <= 6``), with the text
explainers' default batch size. The model is a cheap keyword rule (P(positive) rises with the
positive keywords present and falls with the negative ones), so the memory measured is the
explainer's, not a model's.

Each run is a fresh subprocess (``OMP_NUM_THREADS=1``), capped at ``--cap-gb`` of address space
so that a run that would need far more memory fails with ``MemoryError`` instead of exhausting
the machine. Reported per run: the process's peak resident memory (``ru_maxrss``, which
includes the interpreter and the imported libraries), the resident memory just before the
explanation, and the peak of Python / numpy allocations during the explanation
(``tracemalloc``). lime is run on the ``tokens`` document only by default: on ``words`` its
forward selection fits 5 x 100,000 ridge regressions (``--lime-words`` runs it anyway).

Run ``python benchmarks/bench_memory.py``; ``--ours-path DIR`` measures another checkout of
limewidgets (e.g. an older commit) in place of this one.

Measured on the 2-core development machine (2026-12-02), peak RSS / traced peak in MB:

==========  =======================  =====================  ===============
document    limewidgets (this code)  limewidgets before      lime 0.2.0.1
==========  =======================  =====================  ===============
``words``   760 / 554                MemoryError (Gram:     not run (5 x 100k
                                     74.5 GiB asked for)    ridge fits)
``tokens``  559 / 366                4940 / 4734            543 / 368 (608 s)
==========  =======================  =====================  ===============

What remains is mostly inherent: the batch of 1000 perturbed documents handed to the model at
once (``batch_size=1000``; about 350 MB of text for ``words``) and, for ``words``, the
1000 x 100,000 boolean masks (95 MB). A smaller ``batch_size`` lowers the first.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

N_TOKENS = 100_000
VOCABULARY = 1_000
NUM_SAMPLES = 1000
NUM_FEATURES = 5
POSITIVE = [f"good{i}" for i in range(5)]
NEGATIVE = [f"bad{i}" for i in range(5)]


def make_document(case: str) -> str:
    """The ``words`` or ``tokens`` document (keywords included, positions fixed by a seed)."""
    rng = np.random.RandomState(0)
    if case == "words":
        words = [f"w{i:06d}" for i in range(N_TOKENS - len(POSITIVE) - len(NEGATIVE))]
        words += POSITIVE + NEGATIVE
        return " ".join(words[i] for i in rng.permutation(len(words)))
    if case == "tokens":
        vocabulary = [f"v{i:04d}" for i in range(VOCABULARY - 10)] + POSITIVE + NEGATIVE
        # Zipf-like frequencies, as in real text; every keyword occurs.
        p = 1.0 / np.arange(1, VOCABULARY + 1)
        ids = rng.choice(VOCABULARY, size=N_TOKENS, p=p / p.sum())
        ids[:10] = np.arange(VOCABULARY - 10, VOCABULARY)
        return " ".join(vocabulary[i] for i in rng.permutation(ids))
    raise ValueError(f"case must be 'words' or 'tokens'; got {case!r}")


def _has(word: str, doc: str) -> bool:
    # Word-boundary test without building a padded copy of the (huge) document.
    return f" {word} " in doc or doc.startswith(f"{word} ") or doc.endswith(f" {word}")


def keyword_model(docs: list[str]) -> np.ndarray:
    """P(positive) from the keywords present in each document (cheap, little memory)."""
    score = np.array(
        [sum(_has(w, d) for w in POSITIVE) - sum(_has(w, d) for w in NEGATIVE) for d in docs],
        dtype=float,
    )
    p = 1.0 / (1.0 + np.exp(-score))
    return np.stack([1.0 - p, p], axis=1)


def child(case: str, library: str) -> dict:
    """Run one explanation in this process and measure it."""
    import resource
    import tracemalloc

    document = make_document(case)
    if library == "lime":
        from lime.lime_text import LimeTextExplainer
    else:
        from limewidgets.lime.lime_text import LimeTextExplainer
    explainer = LimeTextExplainer(random_state=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    tracemalloc.start()
    start = time.perf_counter()
    try:
        exp = explainer.explain_instance(
            document, keyword_model, num_features=NUM_FEATURES, num_samples=NUM_SAMPLES
        )
        top = sorted(word for word, _ in exp.as_list())
        error = None
    except MemoryError as err:
        top, error = None, f"MemoryError: {err}"[:200]
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "case": case,
        "library": library,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "traced_peak_mb": round(traced, 1),
        "seconds": round(seconds, 1),
        "top_words": top,
        "error": error,
    }


def run(case: str, library: str, ours_path: str | None, cap_gb: float) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    root = ours_path or str(pathlib.Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    code = (
        "import resource, json, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({int(cap_gb * 2**30)}, {int(cap_gb * 2**30)})); "
        f"sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r}); "
        "import bench_memory; "
        f"print(json.dumps(bench_memory.child({case!r}, {library!r})))"
    )
    # cwd=root: ``python -c`` puts the working directory first on sys.path.
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"case": case, "library": library, "error": tail[0][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="words,tokens")
    parser.add_argument("--no-lime", action="store_true", help="skip lime")
    parser.add_argument("--lime-words", action="store_true", help="run lime on 'words' too")
    parser.add_argument("--ours-path", default=None, help="limewidgets checkout to measure")
    parser.add_argument("--cap-gb", type=float, default=6.0, help="address-space cap per run")
    args = parser.parse_args()
    results = []
    for case in args.cases.split(","):
        results.append(run(case, "limewidgets", args.ours_path, args.cap_gb))
        if not args.no_lime and (case == "tokens" or args.lime_words):
            results.append(run(case, "lime", None, args.cap_gb))
    header = f"{'case':8} {'library':12} {'peak RSS MB':>12} {'RSS before':>11} {'traced MB':>10} {'s':>6}"
    print(header)
    for r in results:
        if r.get("peak_rss_mb") is None:
            print(f"{r['case']:8} {r['library']:12} failed: {r['error']}")
            continue
        line = (
            f"{r['case']:8} {r['library']:12} {r['peak_rss_mb']:12.0f} {r['rss_before_mb']:11.0f} "
            f"{r['traced_peak_mb']:10.0f} {r['seconds']:6.1f}"
        )
        print(line + (f"  {r['error']}" if r.get("error") else ""))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
