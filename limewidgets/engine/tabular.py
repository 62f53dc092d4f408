"""LIME for tables: explain a model of feature vectors by perturbing values around a row.

How samples are built (lime 0.2.0.1's semantics):

* ``discretize_continuous=True`` (the default, dense training data): every continuous feature is
  cut into bins (quartiles, deciles, entropy splits or a custom :class:`BaseDiscretizer`). A
  sample draws, for every feature, a bin (or a category) with its training frequency, then a
  value inside the bin. The surrogate sees one binary feature per column: "is the sample in the
  instance's bin / category".
* ``discretize_continuous=False``: continuous features are drawn from a normal with the training
  mean and standard deviation (centred on the instance with ``sample_around_instance=True``) and
  the surrogate sees ``(x - mean) / std``; categorical features are drawn with their training
  frequencies and seen as "equal to the instance's value".
* Sparse ``data_row`` (``scipy.sparse``) without a discretizer: only the row's non-zero columns
  (and categorical columns) are perturbed and the surrogate sees ``x / std``.

Every sample is first a *raw* row (what the model takes); :class:`TabularPerturbation` maps raw
rows to model inputs and to the surrogate's representation. The explainer builds its own samples'
interpretable rows with the same :meth:`TabularPerturbation.to_interpretable` a what-if widget
uses, so the surrogate's estimate for an edited row is the one the explanation implies.

Where things live: the sampling paths in :mod:`.tabular_sampling`, the perturbation in
:mod:`.tabular_perturbation`, the explanation and its domain mapper in
:mod:`.tabular_explanation`, the recurrent explainer in :mod:`.recurrent`; this module keeps
nothing but these re-exports; :class:`LimeTabularExplainer` itself is in
:mod:`.tabular_explainer`.
"""

from .recurrent import RecurrentTabularExplainer
from .tabular_explainer import LimeTabularExplainer
from .tabular_explanation import TableDomainMapper, TabularExplanation
from .tabular_perturbation import TabularPerturbation

__all__ = [
    "LimeTabularExplainer",
    "RecurrentTabularExplainer",
    "TableDomainMapper",
    "TabularExplanation",
    "TabularPerturbation",
]
