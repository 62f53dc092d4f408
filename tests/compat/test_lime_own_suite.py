"""lime 0.2.0.1's own test suite, pointed at ``limewidgets.lime``, passes.

The tests ship inside the lime wheel; they are copied to a temporary folder at run time, their
``lime.`` imports rewritten to ``limewidgets.lime.``, and run in a subprocess. Deselected are the
tests that fail for lime itself on this stack: two compare ragged lists with ``np.array_equal``
(False under numpy 2), three download 20 newsgroups, and one calls scikit-image's quickshift with
the ``random_seed`` keyword it no longer has.

lime's tabular tests split iris in ``setUp`` with the global numpy generator before they seed it,
so which row they explain changes from run to run (one such row makes
``test_lime_explainer_entropy_discretizer`` fail for lime and for us alike). A ``conftest.py`` seeds
the global generator before every test (with 1, lime's own choice; checked that lime 0.2.0.1 passes
with it too), so the suite checks the same thing on every run.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

lime = pytest.importorskip("lime")

FAIL_FOR_LIME_TOO = [
    "test_lime_text.py::TestLimeText::test_indexed_string_callable",
    "test_lime_text.py::TestLimeText::test_indexed_string_regex",
    "test_lime_text.py::TestLimeText::test_lime_text_explainer_good_regressor",
    "test_lime_text.py::TestLimeText::test_lime_text_tabular_equal_random_state",
    "test_lime_text.py::TestLimeText::test_lime_text_tabular_not_equal_random_state",
    "test_scikit_image.py::TestSegmentationAlgorithm::test_instanciate_segmentation_algorithm",
]

SEEDING_CONFTEST = """
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed_global_numpy_generator():
    np.random.seed(1)
"""


@pytest.mark.slow
def test_lime_suite_passes_against_compat_namespace(tmp_path):
    source = Path(lime.__file__).parent / "tests"
    copied = 0
    for path in source.glob("test_*.py"):
        text = path.read_text(encoding="utf8")
        text = re.sub(r"\b(from|import) lime\.", r"\1 limewidgets.lime.", text)
        text = re.sub(r"\bfrom lime import\b", "from limewidgets.lime import", text)
        assert not re.search(r"^\s*(from|import) lime\b", text, re.M), path.name
        (tmp_path / path.name).write_text(text, encoding="utf8")
        copied += 1
    assert copied >= 5
    (tmp_path / "conftest.py").write_text(SEEDING_CONFTEST, encoding="utf8")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "."]
    for test_id in FAIL_FOR_LIME_TOO:
        args += ["--deselect", test_id]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed >= 25, summary
