"""The tabular explainer, :class:`LimeTabularExplainer` (see :mod:`limewidgets.engine.tabular`)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from ._finish import check_top_labels, finish_explanation
from ._validation import (
    FEATURE_SELECTION_METHODS,
    MODES,
    ExplanationAttributeHint,
    RandomStateLike,
    check_callable,
    check_choice,
    check_column_indices,
    check_labels_argument,
    check_positive_float,
    check_positive_int,
    check_random_state,
    describe,
)
from .adaptive import (
    DEFAULT_MAX_SAMPLES,
    DEFAULT_STABILITY_TOL,
    check_sample_budget,
    sample_and_explain,
)
from .base import LimeBase, distances_to_first, make_kernel_fn
from .batching import predict_in_batches
from .discretize import (
    BaseDiscretizer,
)
from .efficient_designs import tabular_design
from .many import ExplainManyMixin, PendingExplanation, run_or_defer
from .sampling import check_sampler, resolve_sampler
from .tabular_explanation import TableDomainMapper, TabularExplanation
from .tabular_inputs import (
    category_frequencies,
    check_data_row,
    check_training_data,
    check_training_data_stats,
    editing_ranges,
    make_discretizer,
)
from .tabular_perturbation import TabularPerturbation, _category_name
from .tabular_sampling import SAMPLING_METHODS, TabularSampling
from .uncertainty import check_stability_k

__all__ = ["LimeTabularExplainer"]


class LimeTabularExplainer(ExplainManyMixin, TabularSampling, ExplanationAttributeHint):
    """Explains predictions on tabular data (lime 0.2.0.1-compatible).

    Continuous features are perturbed by sampling bins (``discretize_continuous=True``) or
    normals with the training mean and standard deviation; categorical features by sampling
    their training distribution. A weighted linear surrogate is then fitted on the
    interpretable representation (see the module docstring).

    Parameters
    ----------
    training_data : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        Training data, used for statistics (means, standard deviations, bins, frequencies).
    mode : {'classification', 'regression'}, default='classification'
    training_labels : array-like of shape (n_samples,), optional
        Needed by ``discretizer='entropy'``.
    feature_names : list of str, optional
        Column names (default ``'0'``, ``'1'``, ...; a DataFrame's columns when given one).
    categorical_features : list of int, optional
        Categorical columns (their values must be integers for ``categorical_names``).
    categorical_names : dict, optional
        ``{feature: names}``: ``names[v]`` is the name of value ``v`` of a categorical column.
    kernel_width : float, optional
        Width of the exponential kernel; default ``0.75 * sqrt(n_features)``.
    kernel : callable, optional
        ``kernel(distances, kernel_width) -> weights``; default exponential.
    verbose : bool, default=False
        Print the surrogate's intercept and local prediction.
    class_names : list of str, optional
        Class names (default ``'0'``, ``'1'``, ...).
    feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
    discretize_continuous : bool, default=True
        Discretize continuous features (ignored for sparse ``training_data``).
    discretizer : {'quartile', 'decile', 'entropy'} or BaseDiscretizer, default='quartile'
    sample_around_instance : bool, default=False
        Centre the continuous samples on the instance instead of the training mean (only
        without discretization).
    random_state : int, RandomState or None, optional
        Seeds all sampling; two explainers with the same seed give identical explanations.
    training_data_stats : dict, optional
        Precomputed statistics (keys ``means``, ``mins``, ``maxs``, ``stds``,
        ``feature_values``, ``feature_frequencies`` and, to discretize, ``bins``) used instead
        of ``training_data``'s.

    Attributes
    ----------
    discretizer : BaseDiscretizer or None
    categorical_features : list of int
        All columns when discretizing (every column is then binary for the surrogate).
    feature_values, feature_frequencies : dict
        Values (bin indices for discretized columns) and their training frequencies.
    scaler : sklearn.preprocessing.StandardScaler
        Training means and scales (0 and 1 for categorical columns).
    base : LimeBase

    Notes
    -----
    Differences from lime 0.2.0.1, all bug fixes or clearer failures:

    * sparse rows: the surrogate sees ``x / std``; lime multiplied by the std;
    * a sparse row with dense training data is discretized like a dense one (lime crashed);
    * ``class_names`` is not frozen by the first call (a later model with more classes works);
    * ``score``, ``local_pred`` and ``fidelity`` are kept per label;
    * a degenerate bin (one training value) is sampled as that value, not as ``0.0``;
    * a classifier returning 1-D output, rows of the wrong length, NaN and missing
      ``training_data_stats`` keys raise ``ValueError`` naming the argument;
    * ``training_data_stats`` read back from JSON (string keys) works.
    """

    #: The sampler of ``explain_instance(sampler=None)``: ``'efficient'`` here,
    #: ``'lime'`` in :mod:`limewidgets.lime` (lime's numbers, for existing notebooks).
    default_sampler: ClassVar[str] = "efficient"

    def __init__(
        self,
        training_data: Any,
        mode: str = "classification",
        training_labels: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        categorical_names: Mapping | None = None,
        kernel_width: float | None = None,
        kernel: Callable | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        discretize_continuous: bool = True,
        discretizer: str | BaseDiscretizer = "quartile",
        sample_around_instance: bool = False,
        random_state: RandomStateLike = None,
        training_data_stats: Mapping | None = None,
    ) -> None:
        self.random_state = check_random_state(random_state)
        self.mode = check_choice("mode", mode, MODES)
        self.categorical_names = categorical_names or {}
        if not isinstance(self.categorical_names, Mapping):
            raise TypeError(
                "categorical_names must be a dict {feature index: list of names}; got "
                f"{describe(categorical_names)}"
            )
        self.sample_around_instance = sample_around_instance
        self.training_data_stats = training_data_stats
        if training_data_stats:
            self.validate_training_data_stats(training_data_stats)

        if feature_names is None and hasattr(training_data, "columns"):
            feature_names = [str(c) for c in training_data.columns]
        training = check_training_data(training_data)
        n_features = training.shape[1]
        if feature_names is None:
            feature_names = [str(i) for i in range(n_features)]
        feature_names = list(feature_names)
        if len(feature_names) != n_features:
            raise ValueError(
                f"feature_names must have one name per column of training_data ({n_features}); "
                f"got {len(feature_names)} names"
            )
        self.feature_names = feature_names
        self.categorical_features = check_column_indices(
            "categorical_features", categorical_features, n_features
        )
        # The user's categorical columns; categorical_features becomes every column once
        # continuous ones are discretized (as in lime).
        self._declared_categorical = list(self.categorical_features)
        self.feature_selection = check_choice(
            "feature_selection", feature_selection, FEATURE_SELECTION_METHODS
        )

        self.discretizer = None
        discretized_training = None
        if discretize_continuous and not sp.issparse(training):
            self.discretizer = make_discretizer(
                discretizer,
                training,
                self.categorical_features,
                self.feature_names,
                training_labels,
                training_data_stats,
                self.random_state,
            )
            self.categorical_features = list(range(n_features))
            if training_data_stats is None:
                discretized_training = self.discretizer.discretize(training)

        if kernel_width is None:
            kernel_width = np.sqrt(n_features) * 0.75
        self.kernel_width = check_positive_float("kernel_width", kernel_width)
        if kernel is not None:
            check_callable("kernel", kernel)
        self.base = LimeBase(
            make_kernel_fn(kernel, self.kernel_width), verbose, random_state=self.random_state
        )
        self.class_names = class_names

        self.scaler = StandardScaler(with_mean=False)
        self.scaler.fit(training)
        self.feature_values: dict = {}
        self.feature_frequencies: dict = {}
        self._category_cdf: dict = {}
        self._category_cache: dict = {}
        binned = getattr(self.discretizer, "edges", {}) if self.discretizer else {}
        for feature in self.categorical_features:
            values, frequencies = category_frequencies(
                training, discretized_training, training_data_stats, feature, feature in binned
            )
            self.feature_values[feature] = values.tolist()
            self.feature_frequencies[feature] = frequencies
            self._category_cdf[feature] = (np.asarray(values, dtype=float), np.cumsum(frequencies))
            self.scaler.mean_[feature] = 0
            self.scaler.scale_[feature] = 1
        self._feature_min, self._feature_max = self._editing_ranges(training)

    # ------------------------------------------------------------------ lime's static helpers
    @staticmethod
    def convert_and_round(values: Iterable[float]) -> list[str]:
        """Format values with two decimals (``'%.2f'``), as lime's tables show them."""
        return [f"{v:.2f}" for v in values]

    @staticmethod
    def validate_training_data_stats(training_data_stats: Mapping) -> None:
        """Check that ``training_data_stats`` has every key lime needs.

        Raises
        ------
        ValueError
            Naming the missing keys (lime raised a bare ``Exception``; ``ValueError`` is one).
        """
        check_training_data_stats(training_data_stats)

    # ------------------------------------------------------------------ explaining
    def explain_instance(
        self,
        data_row: Any,
        predict_fn: Callable[[Any], Any],
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int | str = 5000,
        distance_metric: str = "euclidean",
        model_regressor: Any = None,
        *,
        batch_size: int | None = None,
        progress_bar: bool = False,
        sampling_method: str = "gaussian",
        sampler: str | None = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        stability_tol: float = DEFAULT_STABILITY_TOL,
        stability_k: int | None = None,
    ) -> TabularExplanation:
        """Explain the model's prediction for one row.

        Parameters
        ----------
        data_row : array-like of shape (n_features,) or scipy.sparse matrix of shape (1, n_features)
            The row to explain.
        predict_fn : callable
            Classification: ``predict_fn(X) -> (n, n_classes)`` probabilities (e.g.
            ``predict_proba``). Regression: ``predict_fn(X) -> (n,)`` values.
        labels : iterable of int, default=(1,)
            Class indices to explain (classification; ignored when ``top_labels`` is given).
        top_labels : int, optional
            Explain the ``top_labels`` most probable classes instead.
        num_features : int, default=10
            Maximum number of features per label.
        num_samples : int or 'auto', default=5000
            Neighbourhood size, the row itself included, i.e. model queries. ``'auto'``: query
            in blocks until the explanation is stable (see ``stability_tol``), at most
            ``max_samples`` (:mod:`limewidgets.engine.adaptive`).
        distance_metric : str or callable, default='euclidean'
            Metric on the interpretable representation.
        model_regressor : regressor, optional
            Surrogate (default ``Ridge(alpha=1)``).
        batch_size : int or None, default=None
            Rows per ``predict_fn`` call; ``None`` sends all samples at once (lime's behaviour).
        progress_bar : bool, default=False
            Show a progress bar over the model calls.
        sampling_method : {'gaussian', 'lhs'}, default='gaussian'
            How continuous features are drawn without discretization when ``sampler='lime'``:
            independent normals, or a Latin hypercube mapped through the normal quantile
            function (lower variance). Ignored with ``sampler='stratified'`` and
            ``'efficient'``, which stratify these columns (all columns jointly) too.
        sampler : {'lime', 'stratified', 'efficient'}, optional
            Default: the class's ``default_sampler`` (``'efficient'``; ``'lime'`` for the
            classes of :mod:`limewidgets.lime`, which keep lime's numbers).
            ``'lime'`` draws every sample independently (lime's rule). ``'stratified'`` gives
            every sample exactly the same distribution (each bin or category with its training
            frequency, values within bins and continuous values from the same normals) but
            draws all samples jointly from a scrambled Sobol' sequence, so that every column's
            bins come out in close to their exact proportions and so do pairs of columns: the
            explanation is the same in expectation and varies less from seed to seed (see
            :mod:`limewidgets.engine.sampling`).
            ``'efficient'``: the stratified rows in independent blocks, and the surrogate fitted
            with a control variate, an additive model of the outputs in the bins of every
            column whose surrogate is computed on free rows (see
            :mod:`limewidgets.engine.efficient`); it estimates the same surrogate as lime.
            Sparse rows and ``num_samples='auto'`` get the stratified rows and lime's estimator.
        max_samples : int, default=5000
            With ``num_samples='auto'``: the most model queries to use.
        stability_tol : float, default=0.05
            With ``num_samples='auto'``: stop once every explained label's ``stability``
            (expected top-k Jaccard with a rerun) is at least ``1 - stability_tol``, or twice
            its weights' relative standard error is at most ``stability_tol`` (near-ties:
            :mod:`limewidgets.engine.adaptive`).
        stability_k : int, optional
            ``k`` of the explanation's top-k ``stability`` (default ``min(5, num_features)``).

        Returns
        -------
        TabularExplanation
        """
        return self._explain(
            self._flat_row(data_row),
            predict_fn,
            labels=labels,
            top_labels=top_labels,
            num_features=num_features,
            num_samples=num_samples,
            distance_metric=distance_metric,
            model_regressor=model_regressor,
            batch_size=batch_size,
            progress_bar=progress_bar,
            sampling_method=sampling_method,
            sampler=resolve_sampler(sampler, self),
            input_shape=self._model_input_shape(),
            fn_name=self._model_argument,
            max_samples=max_samples,
            stability_tol=stability_tol,
            stability_k=stability_k,
        )

    # What the recurrent explainer overrides: its model argument's name (lime's), the 3-D input
    # shape its model takes and how a sequence becomes one flat row.
    _model_argument = "predict_fn"

    def _model_input_shape(self) -> tuple[int, int] | None:
        return None

    def _flat_row(self, data_row: Any) -> Any:
        return data_row

    def _explain(
        self,
        data_row: Any,
        predict_fn: Callable[[Any], Any],
        labels: Iterable[int],
        top_labels: int | None,
        num_features: int,
        num_samples: int | str,
        distance_metric: Any,
        model_regressor: Any,
        batch_size: int | None,
        progress_bar: bool,
        sampling_method: str,
        sampler: str,
        input_shape: tuple[int, int] | None,
        fn_name: str,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        stability_tol: float = DEFAULT_STABILITY_TOL,
        stability_k: int | None = None,
    ) -> TabularExplanation:
        row, sparse_row = self._check_data_row(data_row)
        check_callable(fn_name, predict_fn)
        labels = check_labels_argument("labels", labels)
        top_labels = check_top_labels(top_labels)
        num_features = check_positive_int("num_features", num_features)
        num_samples, max_samples, stability_tol = check_sample_budget(
            num_samples, max_samples, stability_tol
        )
        stability_k = check_stability_k(stability_k)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        check_choice("sampling_method", sampling_method, SAMPLING_METHODS)
        check_sampler(sampler)
        if not isinstance(distance_metric, str) and not callable(distance_metric):
            raise TypeError(
                f"distance_metric must be a metric name or a callable; got "
                f"{describe(distance_metric)}"
            )

        sparse_sampling = sparse_row is not None and self.discretizer is None
        perturbation = self._perturbation(row, sparse_row is not None, sparse_sampling, input_shape)

        def generate(n: int) -> Any:
            if sparse_sampling:
                return self._sample_sparse(row, sparse_row, n, sampling_method, sampler)
            return self._sample_dense(row, n, sampling_method, sampler)

        def query(raw: Any) -> np.ndarray:
            return predict_in_batches(
                predict_fn,
                lambda start, stop: perturbation.make_instances(raw[start:stop]),
                raw.shape[0],
                batch_size,
                mode=self.mode,
                progress_bar=progress_bar,
                name=fn_name,
            )

        def explain(raw: Any, outputs: np.ndarray, groups: np.ndarray, design: Any = None) -> Any:
            interpretable = perturbation.to_interpretable(raw)
            distances = distances_to_first(interpretable, distance_metric)
            explanation = TabularExplanation(
                self._domain_mapper(row, sparse_row, interpretable),
                mode=self.mode,
                class_names=None,
                random_state=self.random_state,
            )
            return finish_explanation(
                explanation,
                self.base,
                interpretable=interpretable,
                outputs=outputs,
                distances=distances,
                classifier_fn=predict_fn,
                samples=raw,
                binary_samples=False,
                perturbation=perturbation,
                labels=labels,
                top_labels=top_labels,
                num_features=num_features,
                feature_selection=self.feature_selection,
                model_regressor=model_regressor,
                class_names=self.class_names,
                model_name=fn_name,
                groups=groups,
                stability_k=stability_k,
                design=design,
            )

        def pending(raw: Any, groups: np.ndarray, design: Any = None) -> Any:
            deferred = PendingExplanation(
                raw.shape[0],
                lambda start, stop: perturbation.make_instances(raw[start:stop]),
                lambda outputs: explain(raw, outputs, groups, design),
                mode=self.mode,
                batch_size=batch_size,
                name=fn_name,
                progress_bar=progress_bar,
            )
            return run_or_defer(deferred, predict_fn)

        if sampler == "efficient" and num_samples != "auto" and sparse_row is None:
            raw, _, design = tabular_design(
                lambda n: self._sample_dense(row, n, sampling_method, "stratified"),
                perturbation.to_interpretable,
                lambda rows: self.base.kernel_fn(distances_to_first(rows, distance_metric)),
                int(num_samples),
                **self._design_codes(row),
            )
            return pending(raw, design.groups, design)
        # Sparse rows and 'auto' blocks: the stratified rows with lime's estimator.
        sampler = "stratified" if sampler == "efficient" else sampler
        return sample_and_explain(
            num_samples, max_samples, stability_tol, sampler, generate, query, explain, pending
        )

    # ------------------------------------------------------------------ pieces
    def _design_codes(self, row: np.ndarray) -> dict[str, Any]:
        """The code arguments of :func:`tabular_design` for explaining ``row``.

        Free rows are drawn as levels (no values inside the bins) when the codes cover every
        column, the discretizer draws values the standard way (so a row's codes are what the
        sampler drew) and the instance's own codes are among the tabulated ones.
        """
        discretizer = self.discretizer
        if discretizer is None:
            return {"codes": None}
        standard = type(discretizer).undiscretize is BaseDiscretizer.undiscretize
        if standard and self._codes_cover_every_column(row.size):
            instance = self._levels_of(discretizer.discretize(row))[0]
            if np.all(instance >= 0):
                return {
                    "codes": lambda raw: self._levels_of(discretizer.discretize(raw)),
                    "draw_codes": self._stratified_levels,
                    "codes_to_interpretable": lambda levels: levels == instance,
                    "n_levels": self._n_levels(),
                }
        return {"codes": discretizer.discretize}

    def _perturbation(
        self,
        row: np.ndarray,
        sparse_input: bool,
        sparse_sampling: bool,
        input_shape: tuple[int, int] | None,
    ) -> TabularPerturbation:
        edges = dict(getattr(self.discretizer, "edges", {})) if self.discretizer else {}
        # Columns compared by equality; discretize() leaves them raw, so their feature_values
        # are raw values (only binned columns hold bin indices).
        equal = {
            f: list(self.feature_values.get(f, []))
            for f in self.categorical_features
            if f not in edges
        }
        mean = np.zeros(row.size) if sparse_sampling else np.asarray(self.scaler.mean_, float)
        return TabularPerturbation(
            instance=row,
            feature_names=self.feature_names,
            categorical_features=self._declared_categorical,
            categorical_names=self.categorical_names,
            category_values=equal,
            edges=edges,
            mean=mean,
            scale=np.asarray(self.scaler.scale_, dtype=float),
            feature_min=self._feature_min,
            feature_max=self._feature_max,
            input_shape=input_shape,
            sparse_input=sparse_input,
        )

    def _domain_mapper(
        self, row: np.ndarray, sparse_row: sp.csr_matrix | None, interpretable: Any
    ) -> TableDomainMapper:
        feature_names = [str(n) for n in copy.deepcopy(self.feature_names)]
        if sparse_row is not None:
            feature_indexes = np.sort(np.unique(sparse_row.indices))
            values = self.convert_and_round(row[feature_indexes])
            position = {int(f): i for i, f in enumerate(feature_indexes)}
        else:
            feature_indexes = None
            values = self.convert_and_round(row)
            position = {i: i for i in range(row.size)}
        lambdas = getattr(self.discretizer, "lambdas", {}) if self.discretizer else {}
        for i in self.categorical_features:
            if i in lambdas:
                continue
            name = _category_name(self.categorical_names, i, row[i])
            feature_names[i] = f"{feature_names[i]}={name}"
            if i in position:
                values[position[i]] = "True"
        discretized_feature_names = None
        categorical_features: Sequence[int] = self.categorical_features
        if self.discretizer is not None:
            categorical_features = range(row.size)
            bins = self.discretizer.discretize(row)
            discretized_feature_names = list(feature_names)
            for f, names in self.discretizer.names.items():
                discretized_feature_names[f] = names[int(bins[f])]
        first = interpretable[0]
        if isinstance(first, np.ndarray):
            first = first.copy()  # a view would keep every sample alive with the explanation
        return TableDomainMapper(
            feature_names,
            values,
            first,
            categorical_features=categorical_features,
            discretized_feature_names=discretized_feature_names,
            feature_indexes=feature_indexes,
        )

    def _check_data_row(self, data_row: Any) -> tuple[np.ndarray, sp.csr_matrix | None]:
        return check_data_row(data_row, len(self.feature_names))

    def _editing_ranges(self, training: Any) -> tuple[np.ndarray, np.ndarray]:
        """Training min/max per column (from the stats when given), mean ± 3 std if degenerate."""
        return editing_ranges(training, self.discretizer, self.training_data_stats)
