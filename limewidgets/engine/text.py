"""LIME for text: explain a classifier of raw strings by removing words (or characters).

The interpretable representation of a document is a binary vector with one entry per feature:
a distinct word (``bow=True``), a word position (``bow=False``) or a character
(``char_level=True``). The explainer samples keep-masks over these features, rebuilds the
perturbed documents, asks the model about them in batches, and fits a weighted linear surrogate
to the answers.

How a document is split into features and rebuilt from masks lives in :mod:`.text_index`
(:class:`IndexedString`, :class:`IndexedCharacters`, re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from . import html as html_view
from ._finish import check_top_labels, finish_explanation
from ._validation import (
    FEATURE_SELECTION_METHODS,
    ExplanationAttributeHint,
    RandomStateLike,
    check_callable,
    check_choice,
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
from .efficient_designs import text_design
from .explanation import DomainMapper, Explanation
from .many import ExplainManyMixin, PendingExplanation, run_or_defer
from .sampling import resolve_sampler, spawn_generator, stratified_uniforms
from .text_index import (
    IndexedCharacters,
    IndexedString,
    _as_mask_matrix,
    _check_text,
    _IndexedText,
)
from .uncertainty import check_stability_k

# Random keys drawn per block of rows when sampling masks (8 MiB of float64).
_KEY_BLOCK = 1 << 20

__all__ = [
    "IndexedCharacters",
    "IndexedString",
    "LimeTextExplainer",
    "TextDomainMapper",
    "TextExplanation",
    "TextPerturbation",
]


class TextPerturbation:
    """Builds documents from binary keep-masks over a document's features.

    This is the :class:`~limewidgets.engine.perturbation.Perturbation` of text explanations:
    the explainer builds every sample with :meth:`make_instances`, and a widget that toggles
    words builds its query with the same method.

    Parameters
    ----------
    indexed_string : IndexedString or IndexedCharacters
        The explained document.

    Attributes
    ----------
    n_features : int
        Number of features (words, positions or characters).
    tokens : list of str
        The document's tokens; their concatenation is the document.
    token_feature : numpy.ndarray of shape (len(tokens),)
        Feature id of each token, ``-1`` for separators.
    """

    def __init__(self, indexed_string: _IndexedText) -> None:
        self.indexed_string = indexed_string
        self.n_features = indexed_string.num_words()
        self.tokens = indexed_string.as_list
        self.token_feature = indexed_string.token_feature

    def initial_state(self) -> np.ndarray:
        """The all-ones mask of the unperturbed document, shape ``(n_features,)``."""
        return np.ones(self.n_features)

    def make_instances(self, rows: Any) -> list[str]:
        """The documents for keep-masks ``rows`` of shape ``(n, n_features)``."""
        return self.indexed_string.strings_from_masks(rows)

    def to_interpretable(self, rows: Any) -> np.ndarray:
        """The masks themselves, as a float array of shape ``(n, n_features)``."""
        return _as_mask_matrix(rows, self.n_features).astype(float)


class TextDomainMapper(DomainMapper):
    """Maps text feature ids to words and renders the document with highlighted words.

    Parameters
    ----------
    indexed_string : IndexedString or IndexedCharacters
        The explained document.
    """

    def __init__(self, indexed_string: _IndexedText) -> None:
        self.indexed_string = indexed_string

    def map_exp_ids(self, exp: list, positions: bool = False) -> list:  # type: ignore[override]
        """Replace feature ids by their words.

        Parameters
        ----------
        exp : list of (int, float)
            ``(feature_id, weight)`` pairs.
        positions : bool, default=False
            If True, append the feature's character offsets: ``'bad_3-6-12'``.

        Returns
        -------
        list of (str, float)
        """
        indexed = self.indexed_string
        if not positions:
            return [(indexed.word(feature), weight) for feature, weight in exp]
        return [
            (
                f"{indexed.word(feature)}_"
                + "-".join(str(int(p)) for p in indexed.string_position(feature)),
                weight,
            )
            for feature, weight in exp
        ]

    def visualize_instance_html(  # type: ignore[override]  # lime's signature
        self,
        exp: list,
        label: int,
        div_name: str,
        exp_object_name: str,
        text: bool = True,
        opacity: bool = True,
    ) -> str:
        """The document as escaped HTML, explained words highlighted by weight.

        Every occurrence of an explained feature is wrapped in a span coloured orange (positive
        weight) or blue (negative), with the word and weight in its ``title``.

        Parameters
        ----------
        exp : list of (int, float)
            ``(feature_id, weight)`` pairs.
        label : int
            The explained label (unused; kept for lime compatibility).
        div_name, exp_object_name : str
            Unused; lime's JavaScript needed them.
        text : bool, default=True
            If False, return an empty string.
        opacity : bool, default=True
            If True the colour's strength follows ``|weight|``; otherwise every highlighted
            word gets the same strength.

        Returns
        -------
        str
            An HTML fragment with no script.
        """
        if not text:
            return ""
        weights = {int(feature): float(weight) for feature, weight in exp}
        max_abs = max((abs(w) for w in weights.values()), default=0.0)
        indexed = self.indexed_string
        parts = []
        plain: list[str] = []
        for token, feature in zip(indexed.as_list, indexed.token_feature.tolist(), strict=True):
            weight = weights.get(feature)
            if weight is None:
                plain.append(token)
                continue
            if plain:
                parts.append(html_view.esc("".join(plain)))
                plain = []
            color = html_view.weight_color(weight, max_abs if opacity else abs(weight))
            parts.append(
                f'<span class="lw-word" data-feature="{feature}" style="background:{color}" '
                f'title="{html_view.esc(indexed.word(feature))}: {html_view.fmt(weight)}">'
                f"{html_view.esc(token)}</span>"
            )
        if plain:
            parts.append(html_view.esc("".join(plain)))
        return (
            '<div class="lw-panel lw-doc"><div class="lw-title">Text with highlighted words</div>'
            f'<div class="lw-text">{"".join(parts)}</div></div>'
        )


class TextExplanation(Explanation):
    """The explanation of a text classifier's prediction (see :class:`Explanation`).

    The explained document is ``explanation.domain_mapper.indexed_string`` (also available as
    :attr:`indexed_string`).
    """

    kind = "text"
    domain_mapper: TextDomainMapper
    perturbation: TextPerturbation | None

    @property
    def indexed_string(self) -> _IndexedText:
        """The explained document (an :class:`IndexedString` or :class:`IndexedCharacters`)."""
        return self.domain_mapper.indexed_string


class LimeTextExplainer(ExplainManyMixin, ExplanationAttributeHint):
    """Explains text classifiers by removing words and fitting a weighted linear model.

    Compatible with ``lime.lime_text.LimeTextExplainer`` (lime 0.2.0.1), with the model queried
    in batches, class names no longer frozen by the first call, and per-label scores.

    Parameters
    ----------
    kernel_width : float, default=25
        Width of the exponential kernel on the (×100) distance.
    kernel : callable, optional
        ``kernel(distances, kernel_width) -> weights``; default ``sqrt(exp(-d**2 / w**2))``.
    verbose : bool, default=False
        Print the surrogate's intercept and local prediction.
    class_names : list of str, optional
        Class names in the classifier's column order; default ``'0', '1', ...``.
    feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
        How the ``num_features`` features are chosen (see :class:`LimeBase`).
    split_expression : str or callable, default=r'\\W+'
        Separator regular expression, or a tokenizer returning the words (see
        :class:`IndexedString`).
    bow : bool, default=True
        Features are distinct words (True) or word positions (False).
    mask_string : str, optional
        Replacement for removed positions when ``bow=False`` (default ``'UNKWORDZ'``, or
        ``chr(0)`` with ``char_level=True``).
    random_state : int, RandomState or None, optional
        Seeds the sampling. The explainer keeps one RandomState, so repeated calls differ but
        two explainers built with the same seed give identical explanations.
    char_level : bool, default=False
        Features are characters instead of words.

    Attributes
    ----------
    base : LimeBase
        Fits the surrogates.
    random_state : numpy.random.RandomState
        The explainer's random stream.
    """

    #: The sampler of ``explain_instance(sampler=None)``: ``'efficient'`` here,
    #: ``'lime'`` in :mod:`limewidgets.lime` (lime's numbers, for existing notebooks).
    default_sampler: ClassVar[str] = "efficient"

    def __init__(
        self,
        kernel_width: float = 25,
        kernel: Callable[[np.ndarray, float], np.ndarray] | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        split_expression: str | Callable[[str], list[str]] = r"\W+",
        bow: bool = True,
        mask_string: str | None = None,
        random_state: RandomStateLike = None,
        char_level: bool = False,
    ) -> None:
        if kernel is None:
            check_positive_float("kernel_width", kernel_width)
        self.kernel_width = kernel_width
        self.kernel = kernel
        self.verbose = verbose
        self.random_state = check_random_state(random_state)
        self.base = LimeBase(
            make_kernel_fn(kernel, kernel_width), verbose, random_state=self.random_state
        )
        self.class_names = class_names
        self.vocabulary = None
        self.feature_selection = feature_selection
        self.bow = bow
        self.mask_string = mask_string
        self.split_expression = split_expression
        self.char_level = char_level

    def explain_instance(
        self,
        text_instance: str,
        classifier_fn: Callable[[list[str]], Any],
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int | str = 5000,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        *,
        batch_size: int | None = 1000,
        progress_bar: bool = False,
        sampler: str | None = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        stability_tol: float = DEFAULT_STABILITY_TOL,
        stability_k: int | None = None,
    ) -> TextExplanation:
        """Explain the classifier's prediction for one document.

        Row 0 of the neighbourhood is the document itself; every other sample removes ``k``
        distinct features, ``k`` uniform in ``1..num_words``, the removed set uniform among the
        sets of that size. Samples are weighted by the kernel of their cosine distance (×100)
        to the document in mask space.

        Parameters
        ----------
        text_instance : str
            The document.
        classifier_fn : callable
            ``classifier_fn(list_of_str) -> array of shape (n, n_classes)`` of probabilities,
            e.g. a scikit-learn pipeline's ``predict_proba``.
        labels : iterable of int, default=(1,)
            Class indices to explain (ignored when ``top_labels`` is given).
        top_labels : int, optional
            Explain the ``top_labels`` most probable classes instead (``None`` or 0: use
            ``labels``).
        num_features : int, default=10
            Maximum number of features per label.
        num_samples : int or 'auto', default=5000
            Neighbourhood size, including the document itself, i.e. model queries. ``'auto'``:
            query in blocks until the explanation is stable (see ``stability_tol``), at most
            ``max_samples`` (:mod:`limewidgets.engine.adaptive`).
        distance_metric : str or callable, default='cosine'
            Metric on the binary masks.
        model_regressor : regressor, optional
            Surrogate model (default ``Ridge(alpha=1)``).
        batch_size : int or None, default=1000
            Documents per ``classifier_fn`` call (lime sent all ``num_samples`` at once, which
            exhausts memory with large models); ``None`` sends everything in one call.
        progress_bar : bool, default=False
            Show a progress bar over the model calls.
        sampler : {'lime', 'stratified', 'efficient'}, optional
            Default: the class's ``default_sampler`` (``'efficient'``; ``'lime'`` for the
            classes of :mod:`limewidgets.lime`, which keep lime's numbers).
            ``'lime'`` draws every sample independently (lime's rule). ``'stratified'`` gives
            every sample exactly the same distribution but draws them jointly from a scrambled
            Sobol' sequence: ``k`` is stratified over the samples and pairs of words are
            removed together in evenly spread proportions, so that the explanation is the same
            in expectation and varies less from seed to seed (see
            :mod:`limewidgets.engine.sampling`).
            ``'efficient'`` spends the same queries better (see
            :mod:`limewidgets.engine.efficient`): the number of kept words is drawn from lime's
            law tilted by the kernel (no query on samples the kernel then ignores), in
            stratified blocks, and the surrogate is fitted with a control variate (a model of
            the outputs through one additive score, whose surrogate is computed on free
            masks). It estimates the same surrogate as lime (lime's answer at a large
            ``num_samples``). With
            ``num_samples='auto'`` the blocks are drawn as with ``'stratified'``.
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
        TextExplanation
        """
        _check_text("text_instance", text_instance)
        check_callable("classifier_fn", classifier_fn)
        labels = check_labels_argument("labels", labels)
        top_labels = check_top_labels(top_labels)
        num_features = check_positive_int("num_features", num_features)
        num_samples, max_samples, stability_tol = check_sample_budget(
            num_samples, max_samples, stability_tol
        )
        stability_k = check_stability_k(stability_k)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        check_choice("feature_selection", self.feature_selection, FEATURE_SELECTION_METHODS)
        sampler = resolve_sampler(sampler, self)
        if not isinstance(distance_metric, str) and not callable(distance_metric):
            raise TypeError(
                f"distance_metric must be a metric name or a callable; got "
                f"{describe(distance_metric)}"
            )
        if not text_instance:
            raise ValueError("text_instance must be a non-empty string; got ''")

        indexed_string = self._index(text_instance)
        n_features = indexed_string.num_words()
        if n_features == 0:
            raise ValueError(
                "text_instance contains no words to explain with split_expression="
                f"{describe(self.split_expression)}; got {describe(text_instance)}"
            )
        perturbation = TextPerturbation(indexed_string)

        def query(masks: np.ndarray) -> np.ndarray:
            return predict_in_batches(
                classifier_fn,
                lambda start, stop: perturbation.make_instances(masks[start:stop]),
                masks.shape[0],
                batch_size,
                mode="classification",
                progress_bar=progress_bar,
                name="classifier_fn",
            )

        def explain(
            masks: np.ndarray, predictions: np.ndarray, groups: np.ndarray, design: Any = None
        ) -> Any:
            distances = distances_to_first(masks, distance_metric) * 100
            explanation = TextExplanation(
                domain_mapper=TextDomainMapper(indexed_string), random_state=self.random_state
            )
            return finish_explanation(
                explanation,
                self.base,
                interpretable=masks,
                outputs=predictions,
                distances=distances,
                classifier_fn=classifier_fn,
                samples=masks,
                perturbation=perturbation,
                labels=labels,
                top_labels=top_labels,
                num_features=num_features,
                feature_selection=self.feature_selection,
                model_regressor=model_regressor,
                class_names=self.class_names,
                groups=groups,
                stability_k=stability_k,
                design=design,
            )

        def pending(masks: np.ndarray, groups: np.ndarray, design: Any = None) -> Any:
            deferred = PendingExplanation(
                masks.shape[0],
                lambda start, stop: perturbation.make_instances(masks[start:stop]),
                lambda predictions: explain(masks, predictions, groups, design),
                mode="classification",
                batch_size=batch_size,
                progress_bar=progress_bar,
            )
            return run_or_defer(deferred, classifier_fn)

        def efficient_design(n: int) -> tuple[np.ndarray, Any]:
            return text_design(
                spawn_generator(self.random_state),
                n,
                n_features,
                lambda rows: self.base.kernel_fn(distances_to_first(rows, distance_metric) * 100),
            )

        if sampler == "efficient" and num_samples != "auto":
            masks, design = efficient_design(int(num_samples))
            return pending(masks, design.groups, design)
        return sample_and_explain(
            num_samples,
            max_samples,
            stability_tol,
            sampler,
            lambda n: self._sample_masks(n_features, n, sampler),
            query,
            explain,
            fixed=pending,
            design=efficient_design if sampler == "efficient" else None,
        )

    def _index(self, text_instance: str) -> _IndexedText:
        if self.char_level:
            return IndexedCharacters(text_instance, bow=self.bow, mask_string=self.mask_string)
        return IndexedString(
            text_instance,
            split_expression=self.split_expression,
            bow=self.bow,
            mask_string=self.mask_string,
        )

    def _sample_masks(self, n_features: int, num_samples: int, sampler: str = "lime") -> np.ndarray:
        """Row 0 all ones; row i removes ``k ~ U{1..n_features}`` distinct random features.

        With ``sampler='lime'`` the removed set of a row is its ``k`` features with the smallest
        random keys, which is a uniformly random subset of size ``k``; all rows are drawn with
        two RNG streams. ``sampler='stratified'`` is described in :meth:`_stratified_masks`.
        The masks are boolean (one byte per entry): the surrogate's fit reads them in blocks.
        """
        if sampler == "stratified":
            return self._stratified_masks(n_features, num_samples)
        rng = self.random_state
        n_perturbed = num_samples - 1
        n_removed = rng.randint(1, n_features + 1, n_perturbed)
        masks = np.empty((num_samples, n_features), dtype=bool)
        masks[0] = True
        # Keys are drawn a block of rows at a time (the same stream as one draw of all rows),
        # so that a document with many features never holds num_samples x n_features floats.
        step = max(1, _KEY_BLOCK // max(n_features, 1))
        for start in range(0, n_perturbed, step):
            stop = min(start + step, n_perturbed)
            keys = rng.random_sample((stop - start, n_features))
            # A row removes the features whose key is at most its k-th smallest key (a plain
            # sort is several times faster than an argsort; continuous keys have no ties).
            threshold = np.sort(keys, axis=1)[np.arange(stop - start), n_removed[start:stop] - 1]
            masks[1 + start : 1 + stop] = keys > threshold[:, None]
        return masks

    def _stratified_masks(self, n_features: int, num_samples: int) -> np.ndarray:
        """The masks of ``sampler='stratified'``: lime's distribution per row, rows stratified.

        Each row reads one point of a scrambled Sobol' sequence (independent uniforms when
        taken alone). Its first coordinate gives ``k = 1 + floor(u * n_features)``, uniform on
        ``1..n_features``; then selection sampling (Knuth's algorithm S) visits the features in
        a random order and removes each with probability *still to remove / still to visit*,
        reading one coordinate per feature. That removes a uniformly random ``k``-subset, as
        lime does, while each removal decision depends on few coordinates, so the sequence's
        even spread carries over to which features are removed together. (Taking the ``k``
        smallest of stratified keys, as the lime path does, makes every decision depend on all
        keys and keeps less of the spread: measured.) The loop runs over features, each step
        vectorised over all rows.
        """
        n_perturbed = num_samples - 1
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, n_perturbed, n_features + 1)
        left = 1.0 + np.minimum(np.floor(uniforms[:, 0] * n_features), n_features - 1)
        masks = np.empty((num_samples, n_features), dtype=bool)
        masks[0] = True
        for step, feature in enumerate(generator.permutation(n_features).tolist()):
            removed = uniforms[:, step + 1] * (n_features - step) < left
            masks[1:, feature] = ~removed
            left -= removed
        return masks
