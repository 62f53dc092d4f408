"""``lime.lime_tabular`` for limewidgets."""

from typing import ClassVar

from limewidgets.engine import tabular as _engine
from limewidgets.engine.discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
)
from limewidgets.engine.tabular import TableDomainMapper
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


class LimeTabularExplainer(_engine.LimeTabularExplainer):
    """:class:`limewidgets.LimeTabularExplainer` with lime's sampler by default (lime's numbers)."""

    default_sampler: ClassVar[str] = "lime"


class RecurrentTabularExplainer(_engine.RecurrentTabularExplainer):
    """:class:`limewidgets.RecurrentTabularExplainer` with lime's sampler by default."""

    default_sampler: ClassVar[str] = "lime"
