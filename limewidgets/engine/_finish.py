"""The finishing step shared by the text, tabular and image explainers.

Every explainer does its own, domain-specific part first: validate its arguments, sample the
neighbourhood, build the perturbation and the domain mapper, query the model and compute the
distances and kernel weights. From there on the work is the same for every domain and lives
here, in :func:`finish_explanation`:

1. read the model's output width and name the classes (:func:`resolve_class_names`);
2. choose the labels to explain: ``top_labels`` ranked by :func:`rank_labels` (lime's rule,
   ties included), else the requested ``labels``, checked by :func:`check_label_range`;
3. fit one surrogate per label (:meth:`LimeBase.fit_labels`, sharing one set of kernel
   weights) and store every fit on the explanation (:meth:`Explanation.store_fit`);
4. attach the explanation's uncertainty (:class:`~limewidgets.engine.uncertainty.
   ExplanationUncertainty`: ``weight_std`` and ``stability``, computed from these samples on
   first access) and record ``num_queries``;
5. in regression mode, lay the result out as lime does (weights under label 1, their negations
   under label 0).

Extension point: anything computed per label from the neighbourhood and the fit (standard
errors of the weights, stability, ...) belongs in step 3, in the loop right after ``store_fit``
(marked there), so that all three explainers get it at once. The function receives everything
such a step needs as explicit arguments (interpretable rows, model outputs, distances, kernel
weights, the explained labels and each label's :class:`~limewidgets.engine.base.SurrogateFit`);
add a keyword argument with a lime-compatible default for any option it needs. Sampling options
belong in the explainers' sampling code, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._threads import with_single_threaded_blas
from ._validation import check_positive_int, describe
from .base import LimeBase
from .efficient import SampleDesign, estimate, lime_design
from .explanation import Explanation
from .perturbation import Perturbation
from .uncertainty import ExplanationUncertainty

# Fewest independent units of a design for resampling them to be meaningful.
_MIN_UNITS = 20

__all__ = [
    "check_label_range",
    "check_top_labels",
    "finish_explanation",
    "rank_labels",
    "resolve_class_names",
]


def check_top_labels(top_labels: Any) -> int | None:
    """Normalise ``top_labels``: ``None``, ``0`` or ``False`` mean "use ``labels``" (lime).

    Returns
    -------
    int or None
        A positive count, or None.
    """
    if top_labels is None or top_labels is False or top_labels == 0:
        return None
    return check_positive_int("top_labels", top_labels)


def rank_labels(first_output: np.ndarray, top_labels: int) -> list[int]:
    """The ``top_labels`` most probable classes of the explained instance, most probable first.

    Tie rule: lime 0.2.0.1's, ``np.argsort(first_output)[-top_labels:][::-1]`` with numpy's
    default sort, in all three explainers. numpy does not promise an order among equal values
    for that sort (here, with SIMD sorting, it is neither index order nor its reverse beyond a
    handful of classes), so among classes with exactly equal probabilities the choice is
    whichever numpy's sort gives; calling the same sort as lime keeps ``top_labels`` naming the
    same classes as lime's on the same numpy, which is what a user comparing the two sees.

    Parameters
    ----------
    first_output : numpy.ndarray of shape (n_classes,)
        The model's output for the explained instance (row 0 of the neighbourhood).
    top_labels : int
        How many labels (at most ``n_classes`` come back).

    Returns
    -------
    list of int
    """
    ranked = np.argsort(np.asarray(first_output))[-top_labels:][::-1]
    return [int(label) for label in ranked]


def check_label_range(labels: Iterable[int], n_classes: int, model_name: str) -> None:
    """Raise ``ValueError`` if a requested label is not a column of the model's output."""
    bad = [int(label) for label in labels if not 0 <= label < n_classes]
    if bad:
        raise ValueError(
            f"labels must be class indices in [0, {n_classes}) since {model_name} returned "
            f"{n_classes} columns; got {bad[0] if len(bad) == 1 else bad}"
        )


def resolve_class_names(
    class_names: Any, n_classes: int, model_name: str, default: bool = True
) -> list | None:
    """The class names of a model with ``n_classes`` outputs.

    Parameters
    ----------
    class_names : sequence or None
        The user's names, in the model's column order (kept as given, like lime; at least one
        per class: extra names are allowed, as lime allowed them).
    n_classes : int
        Columns the model returned.
    model_name : str
        The model argument's name, for the error message.
    feature_ids : numpy.ndarray, optional
        The feature id of each column of ``interpretable`` (default: the column number).
        Images pass their sorted segment ids, so that feature ``f`` is the superpixel
        ``segments == f``, as in lime.
    default : bool, default=True
        What None gives: ``['0', '1', ...]`` (text and tabular, as lime), or None (image: lime's
        image explanations have no class names; views then number the classes).

    Raises
    ------
    TypeError
        If ``class_names`` is a string or not a sequence.
    ValueError
        If there are fewer names than classes.
    """
    if class_names is None:
        return [str(i) for i in range(n_classes)] if default else None
    if isinstance(class_names, (str, bytes)):
        raise TypeError(f"class_names must be a sequence of names; got {describe(class_names)}")
    try:
        names = list(class_names)
    except TypeError as err:
        raise TypeError(
            f"class_names must be a sequence of names; got {describe(class_names)}"
        ) from err
    if len(names) < n_classes:
        raise ValueError(
            f"class_names must have one name per class: {model_name} returned {n_classes} "
            f"columns, class_names has {len(names)}"
        )
    return names


@with_single_threaded_blas
def finish_explanation(
    explanation: Explanation,
    base: LimeBase,
    *,
    interpretable: Any,
    outputs: np.ndarray,
    distances: np.ndarray,
    labels: Sequence[int],
    top_labels: int | None,
    num_features: int,
    feature_selection: str,
    model_regressor: Any,
    classifier_fn: Callable[..., Any],
    samples: Any,
    binary_samples: bool = True,
    perturbation: Perturbation | None = None,
    weights: np.ndarray | None = None,
    class_names: Any = None,
    default_class_names: bool = True,
    model_name: str = "classifier_fn",
    feature_ids: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    stability_k: int | None = None,
    design: SampleDesign | None = None,
) -> Explanation:
    """Choose the labels, fit the surrogates and store them on ``explanation`` (in place).

    Parameters
    ----------
    explanation : Explanation
        The explainer's explanation, its domain mapper set; its mode decides the layout.
    base : LimeBase
        Fits the surrogates.
    interpretable : array-like or scipy.sparse matrix of shape (num_samples, n_features)
        The neighbourhood in the interpretable representation; row 0 is the instance. Text
        passes boolean masks (one byte per entry, for huge vocabularies): read it in row
        blocks or take column subsets, and convert those to float.
    outputs : numpy.ndarray
        The model's outputs, ``(num_samples, n_classes)`` (classification) or
        ``(num_samples,)`` (regression).
    distances : numpy.ndarray of shape (num_samples,)
        Distances to the instance.
    labels : sequence of int
        Labels asked for (ignored with ``top_labels`` and in regression).
    top_labels : int or None
        Explain the ``top_labels`` most probable labels instead (see :func:`rank_labels`).
    num_features, feature_selection, model_regressor
        As in :meth:`LimeBase.fit_labels`.
    classifier_fn : callable
        The model; stored on the explanation (widgets and counterfactuals re-query it).
    samples : array-like of shape (num_samples, n_features)
        The samples in the perturbation's edit space (masks, raw rows), kept in the
        explanation's query cache; ``binary_samples`` says they are 0/1 masks.
    binary_samples : bool, default=True
    perturbation : Perturbation, optional
        Stored on the explanation when given (the image explanation gets its own at
        construction).
    weights : numpy.ndarray of shape (num_samples,), optional
        Kernel weights; default ``base.kernel_fn(distances)``.
    class_names : sequence or None
    default_class_names : bool, default=True
        See :func:`resolve_class_names` (classification only).
    model_name : str
        The model argument's name in the explainer's signature, for error messages.
    groups : numpy.ndarray of shape (num_samples,), optional
        The samples' independent units (:func:`~limewidgets.engine.sampling.sample_groups`);
        None: every row after the instance is independent (lime's sampler).
    stability_k : int or None
        ``k`` of the explanation's top-k ``stability`` (None: ``min(5, num_features)``).
    design : SampleDesign, optional
        How the rows were drawn (:mod:`limewidgets.engine.efficient`): sample weights, groups
        of independent rows and the estimator's control variate. Default: lime's independent
        rows weighted by ``weights``. When given, its weights and groups are used.

    Returns
    -------
    Explanation
        ``explanation`` itself.

    Raises
    ------
    ValueError
        If a requested label is not a column of ``outputs``, or there are too few class names.
    """
    explanation.classifier_fn = classifier_fn
    if perturbation is not None:
        explanation.perturbation = perturbation
    explanation.num_samples = int(outputs.shape[0])
    explanation.store_samples(samples, outputs, binary=binary_samples)
    if weights is None:
        weights = base.kernel_fn(distances)
    if explanation.mode == "classification":
        n_classes = outputs.shape[1]
        explanation.class_names = resolve_class_names(
            class_names, n_classes, model_name, default=default_class_names
        )
        explanation.predict_proba = outputs[0]
        if top_labels:
            chosen = rank_labels(outputs[0], top_labels)
            explanation.top_labels = list(chosen)
        else:
            check_label_range(labels, n_classes, model_name)
            chosen = [int(label) for label in labels]
    else:
        explanation.predicted_value = float(outputs[0])
        explanation.min_value = float(outputs.min())
        explanation.max_value = float(outputs.max())
        chosen = [0]
    if design is None:
        design = lime_design(interpretable, weights)
    else:
        weights = design.sample_weight
        # Too few independent units to resample (one scramble, one orthogonal block): the rows,
        # or the units the design names for this case, are treated as independent, as for
        # 'stratified' -- conservative.
        groups = design.groups if design.n_units >= _MIN_UNITS else design.fallback_units
    fits = estimate(
        base,
        design,
        outputs,
        chosen,
        num_features,
        feature_selection=feature_selection,
        model_regressor=model_regressor,
    )
    for label, fit in fits.items():
        if feature_ids is not None:
            fit.exp = [(int(feature_ids[j]), w) for j, w in fit.exp]
        explanation.store_fit(label, fit)
    options = (num_features, feature_selection, model_regressor)
    # Standard errors and stability of every label, computed from these samples when first
    # read (explaining costs no more than before; no model query either way).
    uncertainty = ExplanationUncertainty(
        design.interpretable,  # kept as bits by both
        outputs,
        weights,
        groups,
        chosen,
        num_features,
        feature_selection,
        model_regressor=model_regressor,
        stability_k=stability_k,
        mirror={1: 0} if explanation.mode == "regression" else None,
        feature_ids=feature_ids,
        refit=None
        if design.control is None
        else _DesignRefit(base, design, outputs, chosen, options, feature_ids),
    )
    explanation.set_uncertainty_source(uncertainty)
    explanation.stability_k = uncertainty.k_for(num_features)
    explanation.num_queries = int(outputs.shape[0])
    if explanation.mode == "regression":
        # lime's layout: the weights under label 1, their negations under label 0.
        for attribute in ("intercept", "score", "local_pred", "fidelity"):
            store = getattr(explanation, attribute)
            store[1] = store[0]
        explanation.local_exp[1] = list(explanation.local_exp[0])
        explanation.local_exp[0] = [(i, -w) for i, w in explanation.local_exp[1]]
    return explanation


@dataclass(eq=False, repr=False)  # holds arrays: no elementwise ==, no huge repr
class _DesignRefit:
    """The design's own estimator, rerun on a subset of rows (for the uncertainty bootstrap).

    A class rather than a closure so that explanations that hold it still pickle.
    """

    base: LimeBase
    design: Any
    outputs: np.ndarray
    labels: Any
    options: tuple
    feature_ids: Any = None

    def __call__(
        self,
        index: np.ndarray,
        multiplier: np.ndarray | None = None,
        generator: np.random.Generator | None = None,
    ) -> dict:
        num_features, feature_selection, model_regressor = self.options
        control = self.design.control
        pool_multiplier = None
        if generator is not None and control is not None:
            pool_multiplier = control.pool_multiplier(generator)
        fits = estimate(
            self.base,
            self.design,
            self.outputs,
            self.labels,
            num_features,
            feature_selection=feature_selection,
            model_regressor=copy.deepcopy(model_regressor),
            index=index,
            multiplier=multiplier,
            pool_multiplier=pool_multiplier,
        )
        ids = self.feature_ids
        if ids is None:
            return {label: fit.exp for label, fit in fits.items()}
        return {label: [(int(ids[j]), w) for j, w in fit.exp] for label, fit in fits.items()}
