"""``lime.lime_tabular`` for limewidgets."""

from limewidgets.engine.discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
)
from limewidgets.engine.tabular import (
    LimeTabularExplainer,
    RecurrentTabularExplainer,
    TableDomainMapper,
)
from limewidgets.lime import explanation, lime_base

__all__ = [
    "BaseDiscretizer",
    "DecileDiscretizer",
    "EntropyDiscretizer",
    "LimeTabularExplainer",
    "QuartileDiscretizer",
    "RecurrentTabularExplainer",
    "StatsDiscretizer",
    "TableDomainMapper",
    "explanation",
    "lime_base",
]
