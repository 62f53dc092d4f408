"""limewidgets: fast, lime-compatible LIME explanations with live Jupyter widgets.

Explainers (:class:`LimeTextExplainer`, :class:`LimeTabularExplainer`,
:class:`LimeImageExplainer`, ...) return explanation objects; ``explanation.widget()`` or
``explanation.show_in_notebook()`` gives the interactive view. ``limewidgets.lime`` mirrors lime
0.2.0.1's module paths for existing notebooks.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _registry
from ._version import __version__

# The widget layer registers itself with the engine when imported; import it only when an
# explanation first asks for its widget, so using the engine alone stays light.
_registry.add_loader(lambda: importlib.import_module("limewidgets.widgets"))

# Public name -> module that defines it. Loaded on first access so that importing the engine
# alone stays cheap.
_LAZY = {
    "LimeBase": "limewidgets.engine.base",
    "Explanation": "limewidgets.engine.explanation",
    "DomainMapper": "limewidgets.engine.explanation",
    "LimeTextExplainer": "limewidgets.engine.text",
    "IndexedString": "limewidgets.engine.text",
    "IndexedCharacters": "limewidgets.engine.text",
    "TextDomainMapper": "limewidgets.engine.text",
    "TextExplanation": "limewidgets.engine.text",
    "LimeTabularExplainer": "limewidgets.engine.tabular",
    "RecurrentTabularExplainer": "limewidgets.engine.tabular",
    "TableDomainMapper": "limewidgets.engine.tabular",
    "TabularExplanation": "limewidgets.engine.tabular",
    "QuartileDiscretizer": "limewidgets.engine.discretize",
    "DecileDiscretizer": "limewidgets.engine.discretize",
    "EntropyDiscretizer": "limewidgets.engine.discretize",
    "StatsDiscretizer": "limewidgets.engine.discretize",
    "BaseDiscretizer": "limewidgets.engine.discretize",
    "LimeImageExplainer": "limewidgets.engine.image",
    "ImageExplanation": "limewidgets.engine.image",
    "SegmentationAlgorithm": "limewidgets.engine.segmentation",
    "SubmodularPick": "limewidgets.engine.submodular_pick",
    "GlobalExplanation": "limewidgets.engine.global_explanation",
    "TextExplanationWidget": "limewidgets.widgets",
    "TabularExplanationWidget": "limewidgets.widgets",
    "ImageExplanationWidget": "limewidgets.widgets",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'limewidgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
