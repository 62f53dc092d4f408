"""Every notebook in notebooks/ is committed clean and executes headless without error.

The notebooks are run with nbclient (``scripts/run_notebooks.py``, the same runner the Binder
environment check uses); their run times are printed and written to
``bench-results/notebook-times.json``.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = [
    "01_quickstart.ipynb",
    "02_text.ipynb",
    "03_tabular.ipynb",
    "04_images_in_depth.ipynb",
    "05_submodular_pick.ipynb",
    "06_migrating_from_lime.ipynb",
]
# A single cell may take this long; every notebook is meant to finish well under a minute.
CELL_TIMEOUT_S = 120
NOTEBOOK_BUDGET_S = 60
TIMES_FILE = ROOT / "bench-results" / "notebook-times.json"

nbformat = pytest.importorskip("nbformat")


def _load_runner():
    spec = importlib.util.spec_from_file_location(
        "run_notebooks", ROOT / "scripts" / "run_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_expected_notebooks_exist():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_committed_clean(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["kernelspec"]["language"] == "python"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name} cell {index} has stored outputs"
            assert cell.execution_count is None, f"{name} cell {index} has an execution count"
        assert "widgets" not in cell.metadata, f"{name} cell {index} stores widget state"
    # Stored widget state would show stale widgets on GitHub and bloat the diff.
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_needs_no_network(name):
    source = "\n".join(cell.source for cell in nbformat.read(NOTEBOOK_DIR / name, 4).cells)
    # Data comes from load_* / skimage.data / generated; fetch_* and URLs would need a network.
    assert not re.search(r"\bfetch_\w+\(", source)
    assert not re.search(r"(urlopen|requests\.get|urlretrieve|wget )", source)


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for name in EXPECTED:
        assert f"notebooks/{name}" in readme


@pytest.fixture(scope="module")
def run_times():
    times: dict[str, float] = {}
    yield times
    if times:
        TIMES_FILE.parent.mkdir(parents=True, exist_ok=True)
        previous = json.loads(TIMES_FILE.read_text()) if TIMES_FILE.exists() else {}
        TIMES_FILE.write_text(json.dumps({**previous, **times}, indent=2) + "\n")
        print("\nnotebook run times: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_executes(name, run_times):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    runner = _load_runner()
    seconds = runner.run_notebook(NOTEBOOK_DIR / name, timeout=CELL_TIMEOUT_S)
    run_times[name] = round(seconds, 1)
    print(f"{name}: {seconds:.1f} s")
    assert seconds < 2 * NOTEBOOK_BUDGET_S, f"{name} took {seconds:.0f} s; keep notebooks short"
