"""``lime.discretize`` for limewidgets."""

from limewidgets.engine.discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
)

__all__ = [
    "BaseDiscretizer",
    "DecileDiscretizer",
    "EntropyDiscretizer",
    "QuartileDiscretizer",
    "StatsDiscretizer",
]
