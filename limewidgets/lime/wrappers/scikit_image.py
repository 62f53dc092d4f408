"""``lime.wrappers.scikit_image`` for limewidgets."""

from limewidgets.engine.segmentation import BaseWrapper, SegmentationAlgorithm

__all__ = ["BaseWrapper", "SegmentationAlgorithm"]
