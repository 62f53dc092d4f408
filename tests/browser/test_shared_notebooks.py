"""Where a shared notebook is read: nbconvert HTML offline, a reopened notebook, live JupyterLab.

Every notebook in ``notebooks/`` is executed once with ``jupyter nbconvert --to notebook --execute``
(nbclient saves the widget state, as nbconvert does) and converted to HTML. Then:

- the HTML page is opened in Chromium with every non-local request aborted (no CDN: nbconvert's
  widget manager cannot load) and each widget's static fallback must be visible and show the
  explanation: the feature names and weights the kernel wrote, the image for image widgets;
- the executed notebook is reopened in JupyterLab without running it: each widget output still
  shows its explanation, exactly once;
- a generated notebook that displays widgets in every way (``display(w)``, last expression,
  ``show_in_notebook()``, a re-display) is run live in JupyterLab and Notebook 7: each display
  shows the widget and none shows the static copy; closing a widget brings its static copy back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._harness import NotebookPage, write_notebook

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(path.name for path in (REPO_ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LOCAL_PREFIXES = ("file:", "data:", "blob:", "about:")

# Every fallback element on the page, with what a reader sees of it.
_JS_FALLBACKS = """() => Array.from(document.querySelectorAll('.lw-fallback')).map((el) => {
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {
    // the id is in a class: sanitizers (untrusted notebooks in JupyterLab) drop data-* attributes
    id: Array.from(el.classList).find((c) => c.startsWith('lw-fallback-')).slice(12),
    visible: box.width > 0 && box.height > 0 && style.display !== 'none'
      && style.visibility !== 'hidden',
    text: el.textContent,
    images: Array.from(el.querySelectorAll('img')).map((img) => ({
      loaded: img.complete && img.naturalWidth > 0,
      width: img.getBoundingClientRect().width,
    })),
  };
})"""

_JS_VISIBLE_WIDGETS = """() => Array.from(document.querySelectorAll('.lw-w-root')).filter((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && el.childElementCount > 0;
}).length"""


def expected_fallbacks(notebook_path: Path) -> list[dict]:
    """What the kernel published: for each fallback output, its id and its text summary.

    Also checks the shape of the saved outputs: each fallback is directly followed by the widget
    view it belongs to, and every widget view has one.
    """
    notebook = json.loads(notebook_path.read_text(encoding="utf8"))
    found = []
    for cell in notebook["cells"]:
        outputs = cell.get("outputs", [])
        for index, output in enumerate(outputs):
            data = output.get("data", {})
            plain = data.get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else plain
            # Only limewidgets' widgets (not, say, a tqdm progress bar).
            if WIDGET_VIEW in data and "ExplanationWidget (interactive" in plain:
                previous = outputs[index - 1] if index else {}
                meta = previous.get("metadata", {}).get("limewidgets", {})
                assert "fallback_id" in meta, f"a widget view without a fallback in {cell}"
                text = previous["data"]["text/plain"]
                text = "".join(text) if isinstance(text, list) else text
                found.append({"id": meta["fallback_id"], "text": text})
    return found


def summary_items(text: str) -> list[tuple[str, str]]:
    """``[(feature name, weight as the HTML prints it), ...]`` from a fallback's text/plain."""
    items = []
    for line in text.splitlines()[1:]:
        weight, name = line.strip().split("  ", 1)
        value = float(weight)
        shown = f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.3f}"
        items.append((name, shown))
    return items


@pytest.fixture(scope="module")
def executed(browser_stack: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every notebook executed by nbconvert (saved with outputs and widget state) and as HTML."""
    folder = tmp_path_factory.mktemp("shared")
    work = folder / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", work)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    out = folder / "executed"
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--log-level=WARN"]
    subprocess.run(
        [*command, "--to", "notebook", "--execute", "--output-dir", str(out),
         "--ExecutePreprocessor.timeout=300", *NOTEBOOKS],
        cwd=work, env=env, check=True, timeout=1500,
    )  # fmt: skip
    subprocess.run(
        [*command, "--to", "html", "--output-dir", str(out), *NOTEBOOKS],
        cwd=out, env=env, check=True, timeout=300,
    )  # fmt: skip
    return {name: out / name for name in NOTEBOOKS}


@pytest.fixture
def offline_page(chromium: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose every non-local request is aborted (what a reader without network sees)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(LOCAL_PREFIXES):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    try:
        yield context.new_page(), blocked
    finally:
        context.close()


def check_shows_explanations(fallbacks: list[dict], expected: list[dict], where: str) -> None:
    """Each widget's fallback is visible once and shows its names, weights and image."""
    by_id: dict[str, list[dict]] = {}
    for fallback in fallbacks:
        by_id.setdefault(fallback["id"], []).append(fallback)
    assert expected, f"{where}: the notebook displays no widget"
    for item in expected:
        shown = [f for f in by_id.get(item["id"], []) if f["visible"]]
        assert shown, f"{where}: the static view of widget {item['id']} is not visible"
        text = shown[0]["text"]
        for name, weight in summary_items(item["text"]):
            assert name in text, f"{where}: {name!r} missing from the static view"
            assert weight in text, f"{where}: weight {weight} of {name!r} missing"
        if "ImageExplanationWidget" in item["text"]:
            images = shown[0]["images"]
            assert images and all(i["loaded"] and i["width"] > 50 for i in images), images


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_nbconvert_html_shows_every_explanation_offline(
    executed: dict[str, Path], offline_page: tuple[Any, list[str]], name: str
) -> None:
    page, blocked = offline_page
    notebook = executed[name]
    expected = expected_fallbacks(notebook)
    page.goto(notebook.with_suffix(".html").as_uri())
    page.wait_for_load_state("load")
    assert blocked, "nbconvert's page should have tried its CDNs (the test blocks them)"
    fallbacks = page.evaluate(_JS_FALLBACKS)
    assert page.evaluate(_JS_VISIBLE_WIDGETS) == 0  # no widget manager offline
    check_shows_explanations(fallbacks, expected, f"nbconvert {name}")
    # One static view per display, nothing more.
    assert len(fallbacks) == len(expected)


_JS_SEEN_WIDGETS = """() => { let next = window.__lwSeen || 0;
  for (const el of document.querySelectorAll('.lw-w-root')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && el.childElementCount > 0 && !el.dataset.lwSeen) {
      next += 1; el.dataset.lwSeen = String(next);
    }
  }
  window.__lwSeen = next; return next; }"""

_JS_SCROLL = """() => { const s = document.querySelector('.jp-WindowedPanel-outer')
    || document.querySelector('.jp-NotebookPanel-notebook');
  const before = s.scrollTop; s.scrollTop = before + 0.7 * s.clientHeight;
  return s.scrollTop !== before; }"""


def collect_while_scrolling(page: Any) -> tuple[list[dict], int]:
    """Scroll the whole notebook (JupyterLab renders only cells near the viewport) and gather the
    fallbacks (visible if seen visible once) and the number of distinct visible widget views."""
    merged: dict[str, dict] = {}
    for _ in range(200):
        page.wait_for_timeout(400)
        for fallback in page.evaluate(_JS_FALLBACKS):
            seen = merged.setdefault(fallback["id"], fallback)
            if fallback["visible"] and not seen["visible"]:
                merged[fallback["id"]] = fallback
        widgets = page.evaluate(_JS_SEEN_WIDGETS)
        if not page.evaluate(_JS_SCROLL):
            break
    return list(merged.values()), widgets


@pytest.mark.parametrize("strip_widget_state", [True, False], ids=["no-state", "saved-state"])
def test_reopened_notebook_shows_each_explanation_once(
    executed: dict[str, Path],
    jupyter_server: Any,
    chromium: Any,
    strip_widget_state: bool,
) -> None:
    """A saved notebook opened in JupyterLab and not run (with and without saved widget state)."""
    source = executed["03_tabular.ipynb"]
    notebook = json.loads(source.read_text(encoding="utf8"))
    if strip_widget_state:  # what JupyterLab saves by default
        notebook["metadata"].pop("widgets", None)
    name = f"reopened_{'nostate' if strip_widget_state else 'state'}.ipynb"
    (jupyter_server.root / name).write_text(json.dumps(notebook), encoding="utf8")
    expected = expected_fallbacks(jupyter_server.root / name)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        opened = NotebookPage(page, jupyter_server, "lab", name)
        opened.open()
        page.wait_for_selector(".jp-Cell", state="attached", timeout=30_000)
        fallbacks, visible_widgets = collect_while_scrolling(page)
        live_ids = set()
        if visible_widgets:  # JupyterLab restored views from the saved widget state
            live_ids = {f["id"] for f in fallbacks if not f["visible"]}
        check_shows_explanations(
            fallbacks, [e for e in expected if e["id"] not in live_ids], f"reopened {name}"
        )
        # Exactly once: every display shows either its static view or its widget, never both.
        assert sum(f["visible"] for f in fallbacks) + visible_widgets == len(expected)
    finally:
        context.close()


LIVE_CELLS = [
    "import numpy as np\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from limewidgets import LimeTabularExplainer\n"
    "rng = np.random.RandomState(0)\n"
    "X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)\n"
    "model = LogisticRegression().fit(X, y)\n"
    "explainer = LimeTabularExplainer(X, feature_names=['alpha', 'beta', 'gamma'],"
    " class_names=['no', 'yes'], random_state=0)\n"
    "exp = explainer.explain_instance(X[0], model.predict_proba, num_samples=300)\n"
    "other = explainer.explain_instance(X[1], model.predict_proba, num_samples=300)\n"
    "w = exp.widget()",
    "display(w)",
    "w",
    "exp.show_in_notebook()",
    "closing = other.widget()\nclosing",
    "import pathlib\npathlib.Path('{ready}').write_text('{{}}')",
]


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_live_notebook_shows_each_explanation_once(
    jupyter_server: Any, chromium: Any, app: str
) -> None:
    name = f"live_once_{app}.ipynb"
    ready = jupyter_server.root / f"live_once_{app}.ready"
    cells = [cell.format(ready=ready) if "{ready}" in cell else cell for cell in LIVE_CELLS]
    write_notebook(jupyter_server.root / name, cells)
    context = chromium.new_context(viewport={"width": 1280, "height": 1400})
    try:
        page = context.new_page()
        notebook = NotebookPage(page, jupyter_server, app, name)
        notebook.open()
        notebook.run_all(ready)
        page.wait_for_function(f"() => ({_JS_VISIBLE_WIDGETS})() >= 4", timeout=30_000)
        fallbacks = page.evaluate(_JS_FALLBACKS)
        assert len(fallbacks) == 4, fallbacks  # one static copy per display, in the DOM...
        assert not any(f["visible"] for f in fallbacks), fallbacks  # ...and none shown
        assert page.evaluate(_JS_VISIBLE_WIDGETS) == 4
        assert len({f["id"] for f in fallbacks}) == 3  # display(w) and `w`: the same widget
        # Closing a widget removes its views: its static copy is what remains.
        closing_id = notebook.kernel_json("closing.fallback_id")
        notebook.kernel_exec("closing.close()")
        page.wait_for_function(
            "(id) => { const el = document.querySelector(`.lw-fallback-${id}`);"
            " return el && el.getBoundingClientRect().height > 0; }",
            arg=closing_id,
            timeout=15_000,
        )
        fallbacks = page.evaluate(_JS_FALLBACKS)
        assert [f["id"] for f in fallbacks if f["visible"]] == [closing_id]
        assert "alpha" in next(f["text"] for f in fallbacks if f["id"] == closing_id)
    finally:
        context.close()
