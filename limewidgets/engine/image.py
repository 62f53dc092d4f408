"""LIME for images: the explainer.

The interpretable features of an image are its superpixels. :class:`LimeImageExplainer`
samples 0/1 keep-masks over them, has :class:`~.image_perturbation.ImagePerturbation` turn the
masks into images, queries the model in batches, and fits one weighted linear surrogate per
label. The perturbation lives in :mod:`.image_perturbation`, the explanation and its static
views in :mod:`.image_explanation`; both are re-exported here.

Feature ids are segment ids, as in lime: feature ``f`` is the superpixel ``segments == f``, so
``np.vectorize(dict(exp.local_exp[label]).get)(exp.segments)`` is a heatmap of the weights for
every segmentation. lime also assumed ids ``0..n-1`` when sampling, so with slic's default ids
``1..n`` one superpixel was never hidden; here the masks have one column per distinct segment id
(in sorted order: :meth:`ImageExplanation.feature_columns` maps ids to columns), so every
superpixel can be hidden and no missing id becomes a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

from ._finish import check_top_labels, finish_explanation
from ._validation import (
    FEATURE_SELECTION_METHODS,
    ExplanationAttributeHint,
    HideColor,
    RandomStateLike,
    check_callable,
    check_choice,
    check_labels_argument,
    check_positive_float,
    check_positive_int,
    check_random_state,
)
from .adaptive import (
    DEFAULT_MAX_SAMPLES,
    DEFAULT_STABILITY_TOL,
    check_sample_budget,
    sample_and_explain,
)
from .base import LimeBase, distances_to_first, make_kernel_fn
from .batching import predict_in_batches
from .efficient_designs import image_design
from .image_explanation import ImageDomainMapper, ImageExplanation, render_explanation_png
from .image_perturbation import (
    ImagePerturbation,
    check_image,
    check_segments,
    compact_segments,
    make_fudged_image,
)
from .many import ExplainManyMixin, PendingExplanation, run_or_defer
from .sampling import check_sampler, resolve_sampler, spawn_generator, stratified_uniforms
from .segmentation import SegmentationAlgorithm
from .uncertainty import check_stability_k

__all__ = [
    "ImageDomainMapper",
    "ImageExplanation",
    "ImagePerturbation",
    "LimeImageExplainer",
    "check_image",
    "check_segments",
    "compact_segments",
    "make_fudged_image",
    "render_explanation_png",
]


class LimeImageExplainer(ExplainManyMixin, ExplanationAttributeHint):
    """Explain an image classifier's prediction with superpixel LIME (lime-compatible).

    Parameters
    ----------
    kernel_width : float, default=0.25
        Width of the exponential kernel on cosine distances between masks.
    kernel : callable, optional
        ``kernel(distances, kernel_width) -> weights``; default
        ``sqrt(exp(-d**2 / kernel_width**2))``.
    verbose : bool, default=False
        Print each surrogate's intercept and local prediction.
    feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
        How superpixels are selected before the surrogate fit (see
        :meth:`~limewidgets.engine.base.LimeBase.feature_selection`).
    random_state : int, RandomState or None, default=None
        Seeds sampling and, through ``random_seed``, the default segmentation. One stream is
        kept per explainer: repeated calls differ, two explainers with the same seed agree.

    Attributes
    ----------
    random_state : numpy.random.RandomState
    base : LimeBase
        The surrogate fitter.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage.data import chelsea
    >>> def model(images):  # P(class 1) = brightness of the top-left corner
    ...     p = images[:, :32, :32].mean(axis=(1, 2, 3)) / 255.0
    ...     return np.stack([1 - p, p], axis=1)
    >>> grid = lambda img: (np.arange(64)[:, None] // 16) * 4 + np.arange(64)[None, :] // 16
    >>> explainer = LimeImageExplainer(random_state=0)
    >>> exp = explainer.explain_instance(chelsea()[:64, :64], model, top_labels=None,
    ...     labels=(1,), segmentation_fn=grid, num_samples=200, progress_bar=False)
    >>> sorted(f for f, w in exp.local_exp[1][:4])
    [0, 1, 4, 5]
    """

    #: The sampler of ``explain_instance(sampler=None)``: ``'efficient'`` here,
    #: ``'lime'`` in :mod:`limewidgets.lime` (lime's numbers, for existing notebooks).
    default_sampler: ClassVar[str] = "efficient"

    def __init__(
        self,
        kernel_width: float = 0.25,
        kernel: Callable[[np.ndarray, float], np.ndarray] | None = None,
        verbose: bool = False,
        feature_selection: str = "auto",
        random_state: RandomStateLike = None,
    ) -> None:
        self.kernel_width = check_positive_float("kernel_width", kernel_width)
        self.kernel = kernel
        self.verbose = verbose
        self.feature_selection = check_choice(
            "feature_selection", feature_selection, FEATURE_SELECTION_METHODS
        )
        self.random_state = check_random_state(random_state)
        self.base = LimeBase(
            make_kernel_fn(kernel, self.kernel_width), verbose, random_state=self.random_state
        )

    def explain_instance(
        self,
        image: Any,
        classifier_fn: Callable[[np.ndarray], Any],
        labels: Iterable[int] = (1,),
        hide_color: HideColor = None,
        top_labels: int | None = 5,
        num_features: int = 100000,
        num_samples: int | str = 1000,
        batch_size: int = 10,
        segmentation_fn: Callable[[np.ndarray], Any] | None = None,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        random_seed: int | None = None,
        *,
        progress_bar: bool = True,
        sampler: str | None = None,
        class_names: Any = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        stability_tol: float = DEFAULT_STABILITY_TOL,
        stability_k: int | None = None,
    ) -> ImageExplanation:
        """Explain ``classifier_fn``'s prediction for ``image``.

        Parameters
        ----------
        image : array-like of shape (H, W, C) or (H, W)
            RGB or RGBA image (grayscale is converted to RGB), integers or floats.
        classifier_fn : callable
            Takes a batch ``(n, H, W, C)`` of images in the image's dtype, returns
            ``(n, n_classes)`` probabilities.
        labels : iterable of int, default=(1,)
            Labels to explain when ``top_labels`` is None.
        hide_color : None, number or sequence, default=None
            What a hidden superpixel shows: None its mean colour, else this value / colour.
        top_labels : int or None, default=5
            Explain the ``top_labels`` most probable labels instead of ``labels``.
        num_features : int, default=100000
            Maximum number of superpixels in each explanation.
        num_samples : int or 'auto', default=1000
            Number of perturbed images (the first is the image itself), i.e. of model queries.
            ``'auto'``: query in blocks until the explanation is stable (see
            ``stability_tol``), at most ``max_samples`` (:mod:`limewidgets.engine.adaptive`).
        batch_size : int, default=10
            Images per call of ``classifier_fn`` (bounds memory).
        segmentation_fn : callable, optional
            ``segmentation_fn(image) -> (H, W)`` integer ids (any ids). Default: quickshift
            with ``kernel_size=4, max_dist=200, ratio=0.2`` seeded by ``random_seed``.
        distance_metric : str, default='cosine'
            Distance between masks, for the kernel.
        model_regressor : regressor, optional
            Surrogate model (default ``Ridge(alpha=1)``).
        random_seed : int, optional
            Seed of the default segmentation; drawn from ``random_state`` when None.
        progress_bar : bool, default=True
            Show a progress bar over the model calls (lime always showed one).
        sampler : {'lime', 'stratified', 'efficient'}, optional
            Default: the class's ``default_sampler`` (``'efficient'``; ``'lime'`` for the
            classes of :mod:`limewidgets.lime`, which keep lime's numbers).
            ``'lime'`` shows every superpixel independently with probability 1/2 (lime's
            rule). ``'stratified'`` gives every sample exactly that distribution but draws the
            samples jointly from a scrambled Sobol' sequence, so that each superpixel is shown
            in half of the samples (to within a couple) and pairs of superpixels are shown
            together in close to a quarter: the explanation is the same in expectation and
            varies less from seed to seed. With a model whose superpixels interact strongly,
            superpixels it ignores can get somewhat larger spurious weights (see
            :mod:`limewidgets.engine.sampling`).
            ``'efficient'`` draws lime's masks in randomised orthogonal blocks folded over
            (every superpixel shown in exactly half of a block, main effects orthogonal to
            two-way interactions) and fits the surrogate with a control variate (see
            :mod:`limewidgets.engine.efficient`); it estimates the same surrogate as lime. With
            ``num_samples='auto'`` the blocks are drawn as with ``'stratified'``.
        class_names : sequence of str, optional
            Names of the model's classes, shown by the widget and the HTML view (lime's image
            explainer had none; default ``'0'``, ``'1'``, ...).
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
        ImageExplanation
        """
        image = check_image(image)
        check_callable("classifier_fn", classifier_fn)
        requested = check_labels_argument("labels", labels)
        top_labels = check_top_labels(top_labels)
        num_features = check_positive_int("num_features", num_features)
        num_samples, max_samples, stability_tol = check_sample_budget(
            num_samples, max_samples, stability_tol
        )
        stability_k = check_stability_k(stability_k)
        batch_size = check_positive_int("batch_size", batch_size)
        check_choice("feature_selection", self.feature_selection, FEATURE_SELECTION_METHODS)
        sampler = resolve_sampler(sampler, self)
        if random_seed is None:  # drawn like lime, so a seed gives lime's sampling stream
            random_seed = self.random_state.randint(0, high=1000)
        if segmentation_fn is None:
            segmentation_fn = SegmentationAlgorithm(
                "quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=random_seed
            )
        check_callable("segmentation_fn", segmentation_fn)
        segments = check_segments(
            segmentation_fn(image), image.shape[:2], name="segmentation_fn(image)"
        )
        perturbation = ImagePerturbation(image, segments, hide_color)

        def query(data: np.ndarray) -> np.ndarray:
            return predict_in_batches(
                classifier_fn,
                lambda start, stop: perturbation.make_instances(data[start:stop]),
                data.shape[0],
                batch_size,
                mode="classification",
                progress_bar=bool(progress_bar),
                name="classifier_fn",
            )

        def explain(
            data: np.ndarray, outputs: np.ndarray, groups: np.ndarray, design: Any = None
        ) -> Any:
            distances = distances_to_first(data, distance_metric)
            explanation = ImageExplanation(
                image, perturbation.segments, hide_color=hide_color, perturbation=perturbation
            )
            return finish_explanation(
                explanation,
                self.base,
                interpretable=data,
                outputs=outputs,
                distances=distances,
                classifier_fn=classifier_fn,
                samples=data,
                labels=requested,
                top_labels=top_labels,
                num_features=num_features,
                feature_selection=self.feature_selection,
                model_regressor=model_regressor,
                class_names=class_names,
                default_class_names=False,
                feature_ids=perturbation.segment_ids,
                groups=groups,
                stability_k=stability_k,
                design=design,
            )

        def pending(data: np.ndarray, groups: np.ndarray, design: Any = None) -> Any:
            deferred = PendingExplanation(
                data.shape[0],
                lambda start, stop: perturbation.make_instances(data[start:stop]),
                lambda outputs: explain(data, outputs, groups, design),
                mode="classification",
                batch_size=batch_size,
                progress_bar=bool(progress_bar),
            )
            return run_or_defer(deferred, classifier_fn)

        def efficient_design(n: int) -> tuple[np.ndarray, Any]:
            return image_design(
                spawn_generator(self.random_state),
                n,
                perturbation.n_features,
                lambda rows: self.base.kernel_fn(distances_to_first(rows, distance_metric)),
            )

        if sampler == "efficient" and num_samples != "auto":
            data, design = efficient_design(int(num_samples))
            return pending(data, design.groups, design)
        return sample_and_explain(
            num_samples,
            max_samples,
            stability_tol,
            sampler,
            lambda n: self._draw_masks(n, perturbation.n_features, sampler),
            query,
            explain,
            fixed=pending,
            design=efficient_design if sampler == "efficient" else None,
        )

    def data_labels(
        self,
        image: Any,
        fudged_image: Any,
        segments: Any,
        classifier_fn: Callable[[np.ndarray], Any],
        num_samples: int,
        batch_size: int = 10,
        *,
        progress_bar: bool = True,
        sampler: str = "lime",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample superpixel masks around the image and get the model's outputs for them.

        Parameters
        ----------
        image : array-like of shape (H, W, C) or (H, W)
        fudged_image : array-like of the image's shape
            Pixels shown where a superpixel is hidden.
        segments : array-like of shape (H, W)
            Superpixel ids (any integers).
        classifier_fn : callable
        num_samples : int
        batch_size : int, default=10
        progress_bar : bool, default=True
        sampler : {'lime', 'stratified', 'efficient'}, default='lime'
            As in :meth:`explain_instance`.

        Returns
        -------
        data : numpy.ndarray of shape (num_samples, n_superpixels)
            0/1 masks; row 0 is all ones. Column ``j`` is superpixel ``unique(segments)[j]``.
        labels : numpy.ndarray of shape (num_samples, n_classes)
            The model's outputs.
        """
        check_callable("classifier_fn", classifier_fn)
        num_samples = check_positive_int("num_samples", num_samples)
        batch_size = check_positive_int("batch_size", batch_size)
        check_sampler(sampler)
        perturbation = ImagePerturbation(image, segments, fudged_image=fudged_image)
        return self._sample(
            perturbation, classifier_fn, num_samples, batch_size, progress_bar, sampler
        )

    def _sample(
        self,
        perturbation: ImagePerturbation,
        classifier_fn: Callable[[np.ndarray], Any],
        num_samples: int,
        batch_size: int,
        progress_bar: bool,
        sampler: str = "lime",
    ) -> tuple[np.ndarray, np.ndarray]:
        data = self._draw_masks(num_samples, perturbation.n_features, sampler)
        outputs = predict_in_batches(
            classifier_fn,
            lambda start, stop: perturbation.make_instances(data[start:stop]),
            num_samples,
            batch_size,
            mode="classification",
            progress_bar=bool(progress_bar),
            name="classifier_fn",
        )
        return data, outputs

    def _draw_masks(self, num_samples: int, n_features: int, sampler: str) -> np.ndarray:
        """Row 0 all ones, the others each superpixel shown with probability 1/2."""
        if sampler in ("stratified", "efficient"):  # data_labels: rows only, no estimator
            data = self._stratified_masks(num_samples, n_features)
        else:
            # One draw for all masks (lime's draw, so the same seed gives the same masks).
            data = self.random_state.randint(0, 2, num_samples * n_features).reshape(
                (num_samples, n_features)
            )
        data[0, :] = 1
        return data

    def _stratified_masks(self, num_samples: int, n_features: int) -> np.ndarray:
        """Masks of ``sampler='stratified'`` (row 0 is overwritten by the caller).

        Superpixel ``j`` is shown where its coordinate of a scrambled Sobol' point is below
        1/2; superpixels are assigned to the sequence's coordinates in a random order.
        """
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, num_samples - 1, n_features)
        data = np.ones((num_samples, n_features), dtype=np.int_)
        data[1:, generator.permutation(n_features)] = uniforms < 0.5
        return data
