"""Sphinx configuration for the limewidgets documentation (MyST markdown + autodoc/napoleon).

The example notebooks of ``notebooks/`` are copied into ``doc/examples/`` (not tracked) and executed
by myst-nb while building, so every notebook page shows its outputs: each widget appears as its
static, script-free view (the fallback output every widget display publishes); the widget views
themselves are left out, as a page without a kernel cannot answer them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Document the checkout being built, even when another copy of the package is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

from limewidgets import __version__  # noqa: E402

project = "limewidgets"
author = "limewidgets developers"
copyright = "limewidgets developers"
version = release = __version__

extensions = [
    "myst_nb",  # MyST markdown (it includes myst_parser) and executed notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# The notebooks are the repository's own (one source of truth); the copies are rebuilt each time.
EXAMPLES = Path(__file__).resolve().parent / "examples"
shutil.rmtree(EXAMPLES, ignore_errors=True)
EXAMPLES.mkdir()
for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copy2(notebook, EXAMPLES / notebook.name)

# Execute every notebook (cached by content in doc/_build/.jupyter_cache, so an unchanged notebook
# is not re-run); a failing cell fails the build. Outputs keep only what a static page can show.
nb_execution_mode = "cache"
nb_execution_cache_path = str(Path(__file__).resolve().parent / "_build" / ".jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
nb_merge_streams = True

# MyST: ``:::{note}`` fences, $math$, auto-generated heading anchors for cross-page links.
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# Docstrings are numpydoc style. ``use_ivar`` keeps "Attributes" sections from declaring the
# same attribute twice (once by napoleon, once by autodoc), which -W would turn into an error.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
    "show-inheritance": False,
}
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_class_signature = "mixed"
autosummary_generate = False

html_theme = "furo"
html_title = f"limewidgets {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "source_repository": "https://github.com/limewidgets/limewidgets/",
    "source_branch": "main",
    "source_directory": "doc/",
}


def _defining_module(member: object) -> str:
    """Module that defines a function, method or property (empty if unknown)."""
    target = getattr(member, "fget", None) or getattr(member, "__func__", None) or member
    return getattr(target, "__module__", None) or ""


def _skip_foreign_inherited(app, what, name, obj, skip, options):
    """With ``:inherited-members:``, keep only what limewidgets itself defines.

    The widgets inherit hundreds of members from anywidget, ipywidgets and traitlets; the reference
    should show the widgets' own API (toggle, reset, find_counterfactual, wait, ...).
    """
    if options.get("inherited-members") or options.get("inherited_members"):
        if not _defining_module(obj).startswith("limewidgets"):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_inherited)
