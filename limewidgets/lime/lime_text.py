"""``lime.lime_text`` for limewidgets."""

from limewidgets.engine.text import (
    IndexedCharacters,
    IndexedString,
    LimeTextExplainer,
    TextDomainMapper,
)
from limewidgets.lime import explanation, lime_base

__all__ = [
    "IndexedCharacters",
    "IndexedString",
    "LimeTextExplainer",
    "TextDomainMapper",
    "explanation",
    "lime_base",
]
