"""LIME for text: explain a classifier of raw strings by removing words (or characters).

The interpretable representation of a document is a binary vector with one entry per feature:
a distinct word (``bow=True``), a word position (``bow=False``) or a character
(``char_level=True``). The explainer samples keep-masks over these features, rebuilds the
perturbed documents, asks the model about them in batches, and fits a weighted linear surrogate
to the answers.

Rebuilding the documents is the hot path (``num_samples`` strings per explanation), so it is
done for a whole batch at once on the document's UTF-8 bytes: one gather decides which bytes
survive in which sample, and one ``np.compress`` plus one decode produce every string of the
batch (see ``_MaskRenderer``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import html as html_view
from ._validation import (
    FEATURE_SELECTION_METHODS,
    check_callable,
    check_choice,
    check_labels_argument,
    check_positive_float,
    check_positive_int,
    check_random_state,
    class_names_for,
    describe,
)
from .base import LimeBase, distances_to_first, make_kernel_fn
from .batching import predict_in_batches
from .explanation import DomainMapper, Explanation
from .sampling import check_sampler, spawn_generator, stratified_uniforms

__all__ = [
    "IndexedCharacters",
    "IndexedString",
    "LimeTextExplainer",
    "TextDomainMapper",
    "TextExplanation",
    "TextPerturbation",
]

# Lone surrogates are valid in Python strings; 'surrogatepass' round-trips them through UTF-8.
_CODEC = "utf-8"
_CODEC_ERRORS = "surrogatepass"


class _MaskRenderer:
    """Turn keep-masks over features into strings, a batch at a time.

    The document is laid out as one UTF-8 byte array in which every feature token is followed by
    its replacement (``''`` in bag-of-words mode, the mask string otherwise). Each byte is
    controlled by one column of the *switch matrix* ``[keep, ~keep, True]`` built per batch:
    token bytes by their feature's ``keep`` column, replacement bytes by its ``~keep`` column and
    separator bytes by the always-true column. One gather gives the bytes every sample keeps, one
    ``np.compress`` and one decode give all the batch's documents in a single string, which is
    cut at lengths obtained from a small matrix product. Whole tokens are kept or dropped, so
    multi-byte characters are never split.

    Parameters
    ----------
    tokens : sequence of str
        The document split into tokens; their concatenation is the document.
    token_feature : numpy.ndarray of shape (n_tokens,)
        Feature id of each token, ``-1`` for tokens that are not features.
    n_features : int
        Number of features.
    replacement : str
        What a removed token becomes.
    """

    def __init__(
        self,
        tokens: Sequence[str],
        token_feature: np.ndarray,
        n_features: int,
        replacement: str,
    ) -> None:
        self.n_features = n_features
        always = 2 * n_features
        encoded_replacement = replacement.encode(_CODEC, _CODEC_ERRORS)
        pieces: list[bytes] = []
        piece_column: list[int] = []
        piece_chars: list[int] = []
        for token, feature in zip(tokens, token_feature.tolist(), strict=True):
            pieces.append(token.encode(_CODEC, _CODEC_ERRORS))
            piece_column.append(feature if feature >= 0 else always)
            piece_chars.append(len(token))
            if feature >= 0 and replacement:
                pieces.append(encoded_replacement)
                piece_column.append(n_features + feature)
                piece_chars.append(len(replacement))
        piece_bytes = np.fromiter(map(len, pieces), dtype=np.intp, count=len(pieces))
        columns = np.asarray(piece_column, dtype=np.intp)
        self.codes = np.frombuffer(b"".join(pieces), dtype=np.uint8)
        self.byte_column = np.repeat(columns, piece_bytes)
        # Characters each switch column contributes when on: the documents' lengths in one matmul.
        self.column_chars = np.bincount(
            columns, weights=np.asarray(piece_chars, dtype=float), minlength=always + 1
        )

    def __call__(self, masks: Any) -> list[str]:
        keep = _as_mask_matrix(masks, self.n_features)
        n_rows, n_features = keep.shape
        switches = np.empty((n_rows, 2 * n_features + 1), dtype=bool)
        switches[:, :n_features] = keep
        switches[:, n_features:-1] = ~keep
        switches[:, -1] = True
        byte_on = switches[:, self.byte_column]
        # np.compress on flat arrays is several times faster than boolean-mask indexing.
        joined = np.compress(byte_on.ravel(), np.tile(self.codes, n_rows)).tobytes()
        text = joined.decode(_CODEC, _CODEC_ERRORS)
        lengths = switches.astype(float) @ self.column_chars
        ends = np.cumsum(lengths).astype(np.int64).tolist()
        starts = [0, *ends[:-1]]
        return [text[start:end] for start, end in zip(starts, ends, strict=True)]


def _as_mask_matrix(masks: Any, n_features: int) -> np.ndarray:
    """Validate keep-masks and return them as a 2-D boolean array (non-zero means keep)."""
    arr = np.asarray(masks)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_features:
        raise ValueError(
            f"masks must have shape (n, {n_features}) (one column per feature); got {describe(arr)}"
        )
    if arr.dtype == bool:
        return arr
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"masks must be numeric or boolean; got {describe(arr)}")
    return arr != 0


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str; got {describe(value)}")
    return value


class _IndexedText:
    """Behaviour shared by :class:`IndexedString` and :class:`IndexedCharacters`.

    Subclasses set ``raw``, ``as_list``, ``mask_string`` and ``bow`` and call
    :meth:`_build_index` with a flag per token saying whether it is a feature.
    """

    raw: str
    as_list: list
    as_np: np.ndarray
    string_start: np.ndarray
    inverse_vocab: list
    positions: Any
    bow: bool
    mask_string: str

    def _build_index(self, is_feature: Sequence[bool]) -> None:
        self.as_np = np.array(self.as_list)
        lengths = np.fromiter((len(t) for t in self.as_list), dtype=np.intp)
        self.string_start = np.concatenate(([0], np.cumsum(lengths[:-1]))).astype(np.intp)
        feature_positions = np.flatnonzero(np.asarray(is_feature, dtype=bool))
        token_feature = np.full(len(self.as_list), -1, dtype=np.intp)
        if self.bow:
            vocab: dict[str, int] = {}
            for position in feature_positions.tolist():
                token_feature[position] = vocab.setdefault(self.as_list[position], len(vocab))
            self.inverse_vocab = list(vocab)
            # Occurrences of each word, in document order.
            order = np.argsort(token_feature[feature_positions], kind="stable")
            grouped = feature_positions[order]
            counts = np.bincount(token_feature[feature_positions], minlength=len(vocab))
            boundaries = np.cumsum(counts)[:-1]
            self.positions = (
                [part.tolist() for part in np.split(grouped, boundaries)] if vocab else []
            )
        else:
            token_feature[feature_positions] = np.arange(len(feature_positions))
            self.inverse_vocab = [self.as_list[p] for p in feature_positions.tolist()]
            self.positions = feature_positions
        self.token_feature = token_feature
        replacement = "" if self.bow else self.mask_string
        self._render = _MaskRenderer(
            self.as_list, token_feature, len(self.inverse_vocab), replacement
        )

    def raw_string(self) -> str:
        """Return the original document."""
        return self.raw

    def num_words(self) -> int:
        """Return the number of features (distinct words, word positions or characters)."""
        return len(self.inverse_vocab)

    def word(self, id_: int) -> str:
        """Return the token of feature ``id_``."""
        return self.inverse_vocab[id_]

    def string_position(self, id_: int) -> np.ndarray:
        """Return the character offsets in the document where feature ``id_`` occurs."""
        if self.bow:
            return self.string_start[self.positions[id_]]
        return self.string_start[[self.positions[id_]]]

    def strings_from_masks(self, masks: Any) -> list[str]:
        """Rebuild one document per keep-mask.

        Parameters
        ----------
        masks : array-like of shape (n, num_words()) or (num_words(),)
            Non-zero entries keep the feature. A removed feature disappears everywhere it
            occurs (``bow=True``) or its position is replaced by ``mask_string``
            (``bow=False``).

        Returns
        -------
        list of str
            ``n`` documents.
        """
        return self._render(masks)

    def inverse_removing(self, words_to_remove: Iterable[int]) -> str:
        """Return the document with the features ``words_to_remove`` removed.

        Parameters
        ----------
        words_to_remove : iterable of int
            Feature ids. With ``bow=True`` every occurrence of the word is deleted; with
            ``bow=False`` the position is replaced by ``mask_string``.

        Returns
        -------
        str
        """
        mask = np.ones(self.num_words(), dtype=bool)
        ids = np.asarray(list(words_to_remove), dtype=np.intp)
        mask[ids] = False
        return self._render(mask[None, :])[0]


class IndexedString(_IndexedText):
    """A document split into tokens, with an index from features to their positions.

    Parameters
    ----------
    raw_string : str
        The document.
    split_expression : str or callable, default=r'\\W+'
        A regular expression matching the separators between words, or a tokenizer
        ``split_expression(raw_string) -> list of str`` returning the words in order (the
        text between them is kept as separators).
    bow : bool, default=True
        If True a feature is a distinct word (all its occurrences are removed together);
        otherwise a feature is a word position.
    mask_string : str, optional
        What a removed word position becomes when ``bow=False`` (default ``'UNKWORDZ'``).

    Attributes
    ----------
    raw : str
        The document.
    as_list : list of str
        Words and separators, in order; their concatenation is ``raw``.
    as_np : numpy.ndarray
        ``as_list`` as an array.
    string_start : numpy.ndarray
        Character offset of each token of ``as_list``.
    inverse_vocab : list of str
        The word of each feature.
    positions : list of list of int or numpy.ndarray
        Token positions of each feature (lists when ``bow=True``, one position each otherwise).
    token_feature : numpy.ndarray
        Feature id of each token of ``as_list`` (``-1`` for separators).
    """

    def __init__(
        self,
        raw_string: str,
        split_expression: str | Callable[[str], list[str]] = r"\W+",
        bow: bool = True,
        mask_string: str | None = None,
    ) -> None:
        self.raw = _check_text("raw_string", raw_string)
        self.mask_string = (
            "UNKWORDZ" if mask_string is None else _check_text("mask_string", mask_string)
        )
        self.bow = bow
        if callable(split_expression):
            words = list(split_expression(raw_string))
            for word in words:
                if not isinstance(word, str):
                    raise TypeError(
                        "split_expression must return a list of str tokens; got a token "
                        f"{describe(word)}"
                    )
            self.as_list = self._segment_with_tokens(raw_string, words)
            word_set = set(words)
            is_feature = [piece in word_set for piece in self.as_list]
        elif isinstance(split_expression, str):
            try:
                # The capturing group keeps separators in the split; '|$' makes match() fail
                # on a word, so that match() tells separators from words.
                splitter = re.compile(rf"({split_expression})|$")
            except re.error as err:
                raise ValueError(
                    f"split_expression must be a valid regular expression; got "
                    f"{describe(split_expression)} ({err})"
                ) from err
            self.as_list = [piece for piece in splitter.split(raw_string) if piece]
            is_feature = [splitter.match(piece) is None for piece in self.as_list]
        else:
            raise TypeError(
                "split_expression must be a regular expression string or a callable "
                f"tokenizer; got {describe(split_expression)}"
            )
        self._build_index(is_feature)

    @staticmethod
    def _segment_with_tokens(text: str, tokens: Iterable[str]) -> list[str]:
        """Split ``text`` into the given tokens and the (non-empty) text between them."""
        pieces: list[str] = []
        cursor = 0
        for token in tokens:
            found = text.find(token, cursor)
            if found < 0:
                raise ValueError(
                    f"split_expression returned the token {token!r}, which does not occur in "
                    "the text (in order) after the previous tokens"
                )
            if found > cursor:
                pieces.append(text[cursor:found])
            pieces.append(token)
            cursor = found + len(token)
        if cursor < len(text):
            pieces.append(text[cursor:])
        return pieces


class IndexedCharacters(_IndexedText):
    """A document indexed character by character.

    Parameters
    ----------
    raw_string : str
        The document.
    bow : bool, default=True
        If True a feature is a distinct character (all its occurrences are removed
        together); otherwise a feature is a character position.
    mask_string : str, optional
        What a removed character position becomes when ``bow=False`` (default ``chr(0)``).

    Attributes
    ----------
    raw, as_list, as_np, string_start, inverse_vocab, positions, token_feature
        As in :class:`IndexedString`, with one token per character.
    """

    def __init__(self, raw_string: str, bow: bool = True, mask_string: str | None = None) -> None:
        self.raw = _check_text("raw_string", raw_string)
        self.mask_string = (
            chr(0) if mask_string is None else _check_text("mask_string", mask_string)
        )
        self.bow = bow
        self.as_list = list(raw_string)
        self._build_index(np.ones(len(self.as_list), dtype=bool))
        # One offset per character (an empty document has none, unlike IndexedString's [0]).
        self.string_start = np.arange(len(raw_string))


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

    def map_exp_ids(self, exp: list, positions: bool = False) -> list:
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

    def visualize_instance_html(
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

    @property
    def indexed_string(self) -> _IndexedText:
        """The explained document (an :class:`IndexedString` or :class:`IndexedCharacters`)."""
        return self.domain_mapper.indexed_string


class LimeTextExplainer:
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
        random_state: Any = None,
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
        num_samples: int = 5000,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        *,
        batch_size: int | None = 1000,
        progress_bar: bool = False,
        sampler: str = "lime",
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
        num_samples : int, default=5000
            Neighbourhood size, including the document itself.
        distance_metric : str or callable, default='cosine'
            Metric on the binary masks.
        model_regressor : regressor, optional
            Surrogate model (default ``Ridge(alpha=1)``).
        batch_size : int or None, default=1000
            Documents per ``classifier_fn`` call (lime sent all ``num_samples`` at once, which
            exhausts memory with large models); ``None`` sends everything in one call.
        progress_bar : bool, default=False
            Show a progress bar over the model calls.
        sampler : {'lime', 'stratified'}, default='lime'
            ``'lime'`` draws every sample independently (lime's rule). ``'stratified'`` gives
            every sample exactly the same distribution but draws them jointly from a scrambled
            Sobol' sequence: ``k`` is stratified over the samples and pairs of words are
            removed together in evenly spread proportions, so that the explanation is the same
            in expectation and varies less from seed to seed (see
            :mod:`limewidgets.engine.sampling`).

        Returns
        -------
        TextExplanation
        """
        _check_text("text_instance", text_instance)
        check_callable("classifier_fn", classifier_fn)
        labels = check_labels_argument("labels", labels)
        if top_labels is not None and top_labels != 0:
            top_labels = check_positive_int("top_labels", top_labels)
        num_features = check_positive_int("num_features", num_features)
        num_samples = check_positive_int("num_samples", num_samples)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        check_choice("feature_selection", self.feature_selection, FEATURE_SELECTION_METHODS)
        check_sampler(sampler)
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
        masks = self._sample_masks(n_features, num_samples, sampler)
        predictions = predict_in_batches(
            classifier_fn,
            lambda start, stop: perturbation.make_instances(masks[start:stop]),
            num_samples,
            batch_size,
            mode="classification",
            progress_bar=progress_bar,
            name="classifier_fn",
        )
        n_classes = predictions.shape[1]
        class_names = class_names_for(self.class_names, n_classes)
        if top_labels:
            ranked = np.argsort(predictions[0], kind="stable")[::-1][:top_labels]
            labels = tuple(int(label) for label in ranked)
        for label in labels:
            if not 0 <= label < n_classes:
                raise ValueError(
                    f"labels must be class indices in [0, {n_classes}) since classifier_fn "
                    f"returned {n_classes} columns; got {label}"
                )

        distances = distances_to_first(masks, distance_metric) * 100
        weights = self.base.kernel_fn(distances)
        explanation = TextExplanation(
            domain_mapper=TextDomainMapper(indexed_string),
            class_names=class_names,
            random_state=self.random_state,
        )
        explanation.predict_proba = predictions[0]
        explanation.classifier_fn = classifier_fn
        explanation.perturbation = perturbation
        explanation.num_samples = num_samples
        explanation.store_samples(masks, predictions)
        if top_labels:
            explanation.top_labels = list(labels)
        fits = self.base.fit_labels(
            masks,
            predictions,
            distances,
            labels,
            num_features,
            feature_selection=self.feature_selection,
            model_regressor=model_regressor,
            weights=weights,
        )
        for label, fit in fits.items():
            explanation.store_fit(label, fit)
        return explanation

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
        two RNG calls. ``sampler='stratified'`` is described in :meth:`_stratified_masks`.
        """
        if sampler == "stratified":
            return self._stratified_masks(n_features, num_samples)
        rng = self.random_state
        n_perturbed = num_samples - 1
        n_removed = rng.randint(1, n_features + 1, n_perturbed)
        keys = rng.random_sample((n_perturbed, n_features))
        # A row removes the features whose key is at most its k-th smallest key (a plain sort
        # is several times faster than an argsort; continuous keys have no ties).
        threshold = np.sort(keys, axis=1)[np.arange(n_perturbed), n_removed - 1]
        masks = np.empty((num_samples, n_features))
        masks[0] = 1.0
        masks[1:] = keys > threshold[:, None]
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
        masks = np.empty((num_samples, n_features))
        masks[0] = 1.0
        for step, feature in enumerate(generator.permutation(n_features).tolist()):
            removed = uniforms[:, step + 1] * (n_features - step) < left
            masks[1:, feature] = ~removed
            left -= removed
        return masks
