"""``lime.utils.generic_utils`` for limewidgets."""

from limewidgets.engine.segmentation import accepts_keyword as has_arg

__all__ = ["has_arg"]
