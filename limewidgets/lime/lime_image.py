"""``lime.lime_image`` for limewidgets."""

from typing import ClassVar

from limewidgets.engine import image as _engine
from limewidgets.engine.image import ImageExplanation
from limewidgets.engine.segmentation import SegmentationAlgorithm
from limewidgets.lime import lime_base

__all__ = ["ImageExplanation", "LimeImageExplainer", "SegmentationAlgorithm", "lime_base"]


class LimeImageExplainer(_engine.LimeImageExplainer):
    """:class:`limewidgets.LimeImageExplainer` with lime's sampler by default (lime's numbers)."""

    default_sampler: ClassVar[str] = "lime"
