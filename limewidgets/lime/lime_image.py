"""``lime.lime_image`` for limewidgets."""

from limewidgets.engine.image import ImageExplanation, LimeImageExplainer
from limewidgets.engine.segmentation import SegmentationAlgorithm
from limewidgets.lime import lime_base

__all__ = ["ImageExplanation", "LimeImageExplainer", "SegmentationAlgorithm", "lime_base"]
