"""Interactive anywidget views of explanations (one module per kind).

Importing this package registers the widgets with the engine, so that
``explanation.widget()`` and ``explanation.show_in_notebook()`` return / display them.
"""

from ..engine.explanation import register_widget
from ._base import ExplanationWidget
from ._fallback import set_static_fallback
from ._mask import MaskExplanationWidget
from .global_ import GlobalChartWidget, GlobalExplanationWidget
from .image import ImageExplanationWidget
from .tabular import TabularExplanationWidget
from .text import TextExplanationWidget

__all__ = [
    "ExplanationWidget",
    "GlobalChartWidget",
    "GlobalExplanationWidget",
    "ImageExplanationWidget",
    "MaskExplanationWidget",
    "TabularExplanationWidget",
    "TextExplanationWidget",
    "set_static_fallback",
]

register_widget("text", TextExplanationWidget)
register_widget("tabular", TabularExplanationWidget)
register_widget("image", ImageExplanationWidget)
register_widget("global", GlobalExplanationWidget)
