"""``lime.explanation`` for limewidgets."""

from limewidgets.engine.explanation import DomainMapper, Explanation

__all__ = ["DomainMapper", "Explanation"]
