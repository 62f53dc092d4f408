"""Where the widgets' JavaScript bundles and stylesheet live, and how they are read.

One place for the look-up used by the live widgets (``_esm`` / ``_css``) and by the standalone
page (``save_html``), so both always agree on which file is shipped and on what happens when the
bundle has not been built yet (``npm run build`` in ``js/``).
"""

from __future__ import annotations

import pathlib
import warnings

STATIC_DIR = pathlib.Path(__file__).parent.parent / "static"
CSS_PATH = STATIC_DIR / "widgets.css"


def bundle_path(kind: str) -> pathlib.Path:
    """The built renderer bundle of ``kind`` (``static/<kind>.js``), whether it exists or not."""
    return STATIC_DIR / f"{kind}.js"


def placeholder_esm(kind: str) -> str:
    """A tiny module that says the JavaScript bundle is missing (before ``npm run build``)."""
    return (
        "export default { render({ el }) { el.textContent = "
        f"'limewidgets: the {kind} widget bundle (limewidgets/static/{kind}.js) is missing; "
        "build it with: cd js && npm install && npm run build'; } };\n"
    )


def bundle_source(kind: str) -> str:
    """The ``_esm`` of a kind: the text of ``static/<kind>.js`` when built, else a placeholder.

    Text, not a path: for a path anywidget connects every instance to a file-change signal
    with a strong reference, so no widget, closed or not, would ever be freed.
    """
    path = bundle_path(kind)
    return path.read_text(encoding="utf8") if path.is_file() else placeholder_esm(kind)


def css_source() -> str:
    """The ``_css`` of the widgets: the text of ``static/widgets.css`` (empty when not built)."""
    return CSS_PATH.read_text(encoding="utf8") if CSS_PATH.is_file() else ""


def bundle_text(kind: str) -> str:
    """The source of the renderer bundle of ``kind`` (or the placeholder module, with a warning)."""
    path = bundle_path(kind)
    if path.is_file():
        return path.read_text(encoding="utf8")
    warnings.warn(
        f"{path} is missing (build it with: cd js && npm install && npm run build); the page "
        "will only say that the bundle is missing",
        RuntimeWarning,
        stacklevel=3,
    )
    return placeholder_esm(kind)
