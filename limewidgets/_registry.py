"""Where the widget layer plugs into the engine, so that the engine never imports it.

The widget modules call :func:`register_widget` when imported. The top-level package adds a
*loader* that imports them on demand, so ``explanation.widget()`` works after
``from limewidgets.lime.lime_image import LimeImageExplainer`` without the engine naming any
module above it, and the engine still runs with no Jupyter packages installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_factories: dict[str, Callable[..., Any]] = {}
_loaders: list[Callable[[], Any]] = []


def register_widget(kind: str, factory: Callable[..., Any]) -> None:
    """Register ``factory(explanation, classifier_fn=None, **kwargs)`` for explanations of ``kind``."""
    _factories[kind] = factory


def add_loader(loader: Callable[[], Any]) -> None:
    """Add a callable that imports (and so registers) widget modules when first needed."""
    _loaders.append(loader)


def widget_factory(kind: str) -> Callable[..., Any] | None:
    """The factory registered for ``kind``, running the loaders once if none is yet; else None."""
    if kind not in _factories:
        while _loaders:
            loader = _loaders.pop(0)
            try:
                loader()
            except ImportError:
                pass
    return _factories.get(kind)
