"""``lime.lime_text`` for limewidgets."""

from typing import ClassVar

from limewidgets.engine import text as _engine
from limewidgets.engine.text import IndexedCharacters, IndexedString, TextDomainMapper
from limewidgets.lime import explanation, lime_base

__all__ = [
    "IndexedCharacters",
    "IndexedString",
    "LimeTextExplainer",
    "TextDomainMapper",
    "explanation",
    "lime_base",
]


class LimeTextExplainer(_engine.LimeTextExplainer):
    """:class:`limewidgets.LimeTextExplainer` with lime's sampler by default (lime's numbers)."""

    default_sampler: ClassVar[str] = "lime"
