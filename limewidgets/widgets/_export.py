"""Standalone HTML export of a widget: one file that renders offline, with no kernel.

nbconvert's HTML loads the widget manager and the anywidget runtime from CDNs, so it does not
render offline. This page inlines everything instead: the kind's renderer bundle, the stylesheet
and the widget's trait state. A small module script imports the bundle from a Blob URL and calls
its ``mountStandalone(renderModule, state, el)``, which runs the same ``render`` function on a
stand-in model. The format is described in ``CONTRACT.md`` ("Standalone page").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import re
from typing import Any

import numpy as np

from ..engine.html import esc
from ._assets import bundle_text, css_source
from ._contract import contract_trait_names

BYTES_MARKER = "$lw_bytes"

_SCRIPT_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _plain(value: Any) -> Any:
    """A JSON-able copy of a trait value (bytes marked for the JS side, NaN -> null)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {BYTES_MARKER: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def widget_state(widget: Any) -> dict:
    """The widget's contract traits as JSON-able data, marked as a static (kernel-less) view.

    Parameters
    ----------
    widget : ExplanationWidget

    Returns
    -------
    dict
        Trait name -> value; ``bytes`` values become ``{"$lw_bytes": base64}``.
    """
    state = {name: _plain(getattr(widget, name)) for name in contract_trait_names(widget)}
    state.update({"static": True, "pending": False, "error": ""})
    return state


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (cannot close it or open a comment)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_JSON_ESCAPES[m.group(0)], text)


def script_text(source: str) -> str:
    """JavaScript source made safe inside a ``<script type="text/plain">`` element.

    Only ``</script`` and ``<!--`` matter to the HTML parser there; both are rewritten to forms
    that mean the same in JavaScript strings, templates, comments and regular expressions.
    """
    source = re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)
    return source.replace("<!--", "<\\!--")


_LOADER = """
const root = document.getElementById("lw-root-{uid}");
try {{
  const source = document.getElementById("lw-bundle-{uid}").textContent;
  const state = JSON.parse(document.getElementById("lw-state-{uid}").textContent);
  const url = URL.createObjectURL(new Blob([source], {{ type: "text/javascript" }}));
  const mod = await import(url);
  URL.revokeObjectURL(url);
  if (typeof mod.mountStandalone !== "function") {{
    throw new Error("the bundle has no mountStandalone export");
  }}
  mod.mountStandalone(mod.default, state, root);
}} catch (err) {{
  root.textContent = "limewidgets: could not render this explanation: " + err;
}}
"""


def standalone_html(widget: Any, title: str | None = None) -> str:
    """The standalone page of ``widget`` as a string (see :func:`save_html`)."""
    kind = widget.kind
    state = widget_state(widget)
    state_json = script_json(state)
    uid = hashlib.sha1(state_json.encode("utf8")).hexdigest()[:10]
    css = css_source()
    # The stylesheet goes in a <style> element: only "</style" could end it early.
    css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
    title = f"limewidgets {kind} explanation" if title is None else str(title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        "<style>body{margin:16px;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}"
        f"</style>\n<style>{css}</style>\n</head>\n<body>\n"
        f'<div id="lw-root-{uid}" class="lw-standalone"></div>\n'
        "<noscript>This page needs JavaScript to show the explanation.</noscript>\n"
        f'<script type="text/plain" id="lw-bundle-{uid}">{script_text(bundle_text(kind))}'
        "</script>\n"
        f'<script type="application/json" id="lw-state-{uid}">{state_json}</script>\n'
        f'<script type="module">{_LOADER.format(uid=uid)}</script>\n'
        "</body>\n</html>\n"
    )


def save_html(widget: Any, path: str | os.PathLike, title: str | None = None) -> pathlib.Path:
    """Write a standalone page of ``widget`` that works offline.

    Parameters
    ----------
    widget : ExplanationWidget
    path : str or path-like
        File to write (UTF-8).
    title : str, optional
        Page title (default: ``"limewidgets <kind> explanation"``).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like; got {type(path).__name__}")
    target = pathlib.Path(path)
    target.write_text(standalone_html(widget, title), encoding="utf8")
    return target
