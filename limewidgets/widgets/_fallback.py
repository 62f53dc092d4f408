"""The static fallback of a displayed widget: the explanation for every place a notebook is read.

A widget's own output (the ``application/vnd.jupyter.widget-view+json`` view) needs a live widget
manager. Where there is none, it shows nothing useful: nbconvert's HTML loads the manager from a
CDN (empty offline), GitHub strips scripts, a notebook reopened without a kernel shows
``text/plain``. Putting ``text/html`` into the widget's own mime bundle is not enough, because
nbconvert keeps the widget view whenever the widget state was saved (nbclient saves it).

So displaying a widget publishes **two** outputs: first a separate, script-free ``text/html``
output (the explanation's static view, as ``explanation.as_html()`` draws it) wrapped in
``<div class="lw-fallback lw-fallback-ID">``, then the widget view itself. ``ID`` is the widget's
``fallback_id`` trait. When a view of that widget renders in a browser, the renderer
(``js/src/fallback.js``) adds a rule ``.lw-fallback-ID {display: none}`` to the page, so a
live notebook shows the explanation once (the widget), and every page without a live widget shows
the static view. The rule is removed again when the last view of the widget is destroyed. The
view's styles are also written inline: untrusted notebooks (JupyterLab) and GitHub drop
``<style>`` elements and ``data-*`` attributes, but keep classes and inline styles.

Colab draws every output in its own iframe, where a rule added by one output cannot reach another:
there the static view goes into the widget's own bundle instead of a separate output.
"""

from __future__ import annotations

import re
import sys
import threading
import uuid
from typing import Any

import traitlets

from ..engine import html as html_view

#: Class and attribute of the element that wraps a static fallback (the JS hides it by the id).
FALLBACK_CLASS = "lw-fallback"
FALLBACK_ATTRIBUTE = "data-lw-fallback"

#: Whether displays publish the static fallback (see :func:`set_static_fallback`).
enabled = True


def set_static_fallback(enabled: bool) -> None:
    """Turn the static view published with every widget display on or off.

    Parameters
    ----------
    enabled : bool
        False: widgets displayed from now on publish only the widget view (a notebook shared
        without a kernel then shows no explanation for them).
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True or False; got {type(enabled).__name__}")
    globals()["enabled"] = enabled


_publishing = threading.local()


def new_fallback_id() -> str:
    """A fresh id linking a widget to its fallback outputs (hex: safe in HTML and CSS)."""
    return uuid.uuid4().hex


def static_body(widget: Any) -> str:
    """The explanation's script-free HTML view for what ``widget`` shows (its selected label)."""
    explanation = widget.explanation
    options_of = getattr(widget, "_static_view_options", None)
    options = options_of() if callable(options_of) else {}
    if explanation.mode == "classification":
        return explanation._html_body(labels=[int(widget.label)], **options)
    return explanation._html_body(**options)


_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CLASS_SELECTOR = re.compile(r"\.([A-Za-z][\w-]*)")
_START_TAG = re.compile(r"<([A-Za-z][\w-]*)(\s[^<>]*)?>")
_ATTRIBUTE = re.compile(r'\s(class|style)="([^"]*)"')


def class_styles(css: str) -> dict[str, str]:
    """``{class: declarations}`` for the single-class rules (``.name{...}``) of ``css``."""
    styles: dict[str, str] = {}
    for selectors, body in _CSS_RULE.findall(css):
        declarations = " ".join(body.split()).strip().rstrip(";")
        for selector in selectors.split(","):
            match = _CLASS_SELECTOR.fullmatch(selector.strip())
            if match and declarations:
                styles[match.group(1)] = styles.get(match.group(1), "") + declarations + ";"
    return styles


def inline_styles(fragment: str, css: str) -> str:
    """Copy the declarations of ``css``'s class rules into the ``style`` of each element.

    Untrusted notebooks in JupyterLab (a notebook someone else saved) and GitHub drop ``<style>``
    elements but keep inline styles, so the static view keeps its layout there. Inline styles
    written in ``fragment`` still win (they come last). Only for HTML this package generated:
    attribute values are quoted with ``"`` and escaped.
    """
    styles = class_styles(css)

    def rewrite(match: re.Match) -> str:
        attributes = match.group(2) or ""
        found = dict(_ATTRIBUTE.findall(attributes))
        inherited = "".join(styles.get(name, "") for name in found.get("class", "").split())
        if not inherited:
            return match.group(0)
        style = inherited + found.get("style", "")
        attributes = _ATTRIBUTE.sub(
            lambda m: "" if m.group(1) == "style" else m.group(0), attributes
        )
        return f'<{match.group(1)}{attributes} style="{style}">'

    return _START_TAG.sub(rewrite, fragment)


def fallback_class(fallback_id: str) -> str:
    """The class naming one widget's fallbacks (classes survive sanitizers; data-* do not)."""
    return f"{FALLBACK_CLASS}-{fallback_id}"


def fallback_html(widget: Any) -> str:
    """The fallback output's HTML: the static view in an element the live widget hides."""
    kind = html_view.esc(type(widget).__name__)
    note = (
        f'<div class="lw-note">Static view of an interactive {kind}: run the notebook with a '
        "kernel to edit the instance and re-query the model.</div>"
    )
    body = inline_styles(note + static_body(widget), html_view.CSS)
    fallback_id = html_view.esc(widget.fallback_id)
    return (
        f'<div class="{FALLBACK_CLASS} {fallback_class(fallback_id)}" '
        f'{FALLBACK_ATTRIBUTE}="{fallback_id}"><style>{html_view.CSS}</style>{body}</div>'
    )


def fallback_text(widget: Any) -> str:
    """A plain-text summary of the explanation (for text-only front ends)."""
    explanation = widget.explanation
    if explanation.mode == "classification":
        label = int(widget.label)
        title = f"Explanation for {explanation._class_name(label)}"
        items = explanation.as_list(label=label)
    else:
        title = "Explanation"
        items = explanation.as_list()
    lines = [f"{title} (static view of an interactive {type(widget).__name__}):"]
    lines += [f"  {weight:+.3f}  {name}" for name, weight in items[: int(widget.num_features)]]
    return "\n".join(lines)


def _kernel_shell() -> Any:
    """The IPython shell when running inside a Jupyter kernel, else None (terminal, scripts)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def in_colab() -> bool:
    """Whether this kernel runs in Google Colab (outputs are isolated iframes there)."""
    return "google.colab" in sys.modules


class StaticFallbackMixin(traitlets.HasTraits):
    """Gives a widget its static fallback output whenever it is displayed in a notebook.

    ``display(w)``, ``w`` as a cell's last expression and ``explanation.show_in_notebook()`` all
    go through ``_repr_mimebundle_``, so each display of the widget (including re-displays)
    gets its own fallback output just before the widget view.
    """

    #: Links the widget's views to its fallback outputs (see the module docstring).
    fallback_id = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("fallback_id")
    def _default_fallback_id(self) -> str:
        return new_fallback_id()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        # ipywidgets returns the data dict, or (data, metadata) since 8.1.
        data = bundle[0] if isinstance(bundle, tuple) and bundle else bundle
        if not isinstance(data, dict) or not enabled:
            return bundle
        data["text/plain"] = (
            f"{type(self).__name__} (interactive: needs a running kernel and the widget manager)"
        )
        if _kernel_shell() is None or getattr(_publishing, "active", False):
            return bundle
        try:
            html = fallback_html(self)
        except Exception:  # the static view must never stop the widget from displaying
            return bundle
        if in_colab():
            data["text/html"] = html
            return bundle
        from IPython.display import display

        _publishing.active = True
        try:
            display(
                {"text/plain": fallback_text(self), "text/html": html},
                raw=True,
                metadata={"limewidgets": {"fallback_id": self.fallback_id}},
            )
        finally:
            _publishing.active = False
        return bundle
