"""The LIME engine: pure numpy / scikit-learn / scikit-image, no Jupyter imports.

Layers: :mod:`.base` (kernels, distances, surrogate) → domain explainers → :mod:`.explanation`
objects and their static :mod:`.html` views. Module map:

* shared: :mod:`.base` (``LimeBase``), :mod:`._finish` (the finishing step every explainer
  ends with: label ranking and checks, class names, the per-label fits), :mod:`.sampling`
  (stratified sequences), :mod:`.batching` (model calls), :mod:`._validation`,
  :mod:`._threads` (one BLAS thread for the engine's own linear algebra),
  :mod:`.perturbation` (the ``Perturbation`` protocol), :mod:`.counterfactual`,
  :mod:`.submodular_pick`;
* text: :mod:`.text` (explainer, perturbation, explanation) and :mod:`.text_index` (documents
  split into features and rebuilt from masks);
* tabular: :mod:`.tabular` (re-exports everything below), :mod:`.tabular_explainer`,
  :mod:`.tabular_sampling` (how raw samples are drawn), :mod:`.tabular_perturbation`,
  :mod:`.tabular_explanation` (explanation, domain mapper), :mod:`.recurrent`,
  :mod:`.discretize` and :mod:`.bin_sampling` (values drawn inside bins);
* image: :mod:`.image` (explainer), :mod:`.image_perturbation` (superpixel masks to images),
  :mod:`.image_explanation` (explanation, PNG / HTML views), :mod:`.segmentation`.
"""
