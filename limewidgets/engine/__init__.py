"""The LIME engine: pure numpy / scikit-learn / scikit-image, no Jupyter imports.

Layers: :mod:`.base` (kernels, distances, surrogate) → domain explainers (:mod:`.text`,
:mod:`.tabular`, :mod:`.image`) → :mod:`.explanation` objects and their static :mod:`.html` views.
"""
