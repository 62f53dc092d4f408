"""Indexed documents: a text split into tokens, its features, and documents rebuilt from masks.

:class:`IndexedString` (words) and :class:`IndexedCharacters` (characters) keep lime 0.2.0.1's
names and attributes. Rebuilding the documents is the hot path of text explanations
(``num_samples`` strings per explanation), so it is done for a whole batch at once on the
document's UTF-8 bytes: one gather decides which bytes survive in which sample, and one
``np.compress`` plus one decode produce every string of the batch (see ``_MaskRenderer``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._validation import describe

__all__ = ["IndexedCharacters", "IndexedString"]

# Work memory of one rendering step (bytes); rows are rendered in steps of about this size.
_RENDER_BLOCK = 1 << 24

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
        self, tokens: Sequence[str], token_feature: np.ndarray, n_features: int, replacement: str
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
        # Per row, the work arrays cost about 12 bytes per document byte (the keep flags, the
        # tiled bytes, np.compress's int64 indices, the kept bytes, their decoded string) plus
        # 9 per switch: render a few rows at a time so that they stay within _RENDER_BLOCK
        # bytes whatever the document's length; only the finished strings are kept.
        per_row = 12 * self.codes.size + 9 * (2 * self.n_features + 1)
        step = max(1, _RENDER_BLOCK // per_row)
        out: list[str] = []
        for start in range(0, keep.shape[0], step):
            out.extend(self._render_rows(keep[start : start + step]))
        return out

    def _render_rows(self, keep: np.ndarray) -> list[str]:
        n_rows, n_features = keep.shape
        switches = np.empty((n_rows, 2 * n_features + 1), dtype=bool)
        switches[:, :n_features] = keep
        switches[:, n_features:-1] = ~keep
        switches[:, -1] = True
        byte_on = switches[:, self.byte_column]
        # np.compress on flat arrays is several times faster than boolean-mask indexing.
        joined = np.compress(byte_on.ravel(), np.tile(self.codes, n_rows)).tobytes()
        del byte_on
        text = joined.decode(_CODEC, _CODEC_ERRORS)
        del joined
        lengths = switches @ self.column_chars
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

    def _build_index(self, is_feature: Sequence[bool] | np.ndarray) -> None:
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
