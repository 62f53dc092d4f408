"""``lime.lime_base`` for limewidgets."""

from limewidgets.engine.base import LimeBase

__all__ = ["LimeBase"]
