"""Model answers kept by edit-space row, so that no instance is sent to the model twice.

An explanation keeps the rows it sampled and the model's outputs for them in a
:class:`QueryCache`; widget re-queries and the counterfactual search look rows up there before
calling the model and add what they had to ask. The model is assumed to be deterministic (the
same input gives the same output), which is what LIME's surrogate assumes anyway.

Storage is compact and bounded:

- binary keep-masks (text, image) are keyed by their packed bits (``n_features / 8`` bytes a
  row), other rows (tabular) by their float64 bytes;
- the outputs are kept as float64, one row per key;
- at most ``max_bytes`` (default 16 MiB) are held: keys, outputs and 16 bytes of index per row.
  When full, the least recently used rows are dropped first (a look-up that hits refreshes them).

For an image explanation with 100 superpixels and 10 classes a row costs 16 + 80 + 16 = 112
bytes, so the default bound holds about 150 000 rows (the 1000 default samples use 110 KB); with
1000 classes (8 KB a row) it holds about 2000 rows.

Look-ups are vectorised: every key gets a 64-bit hash (a multiply-and-add over its 8-byte words),
the hashes are kept sorted and a batch is found with one :func:`numpy.searchsorted`; each
candidate's full key is compared before an answer is used, so a hash collision can only cost a
miss, never return another row's output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_positive_int, describe
from .batching import predict_in_batches

DEFAULT_MAX_BYTES = 16 * 2**20
_INDEX_BYTES = 16  # one hash and one last-use tick per row

# Odd 64-bit multipliers, one per key word (extended on demand from a fixed seed).
_MULTIPLIER_SEED = 0x5EED_CAC4E


def _multipliers(n_words: int) -> np.ndarray:
    rng = np.random.default_rng(_MULTIPLIER_SEED)
    return rng.integers(0, 2**63, size=n_words, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


class QueryCache:
    """Model outputs keyed by edit-space rows, with an LRU bound on memory.

    Parameters
    ----------
    n_features : int
        Length of an edit-space row.
    binary : bool, default=True
        Rows are 0/1 keep-masks (keyed by packed bits; any nonzero value counts as 1). ``False``
        keys rows by their float64 values (tabular rows).
    max_bytes : int, default=16 MiB
        Upper bound on the memory held by keys, outputs and index.

    Attributes
    ----------
    hits : int
        Rows answered from the cache since it was created.
    misses : int
        Rows looked up and not found.

    Examples
    --------
    >>> import numpy as np
    >>> cache = QueryCache(3)
    >>> cache.add(np.array([[1, 0, 1]]), np.array([[0.2, 0.8]]))
    >>> outputs, found = cache.lookup(np.array([[1, 0, 1], [1, 1, 1]]))
    >>> found.tolist(), outputs[0].tolist()
    ([True, False], [0.2, 0.8])
    """

    def __init__(
        self, n_features: int, *, binary: bool = True, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.n_features = check_positive_int("n_features", n_features)
        if not isinstance(binary, (bool, np.bool_)):
            raise TypeError(f"binary must be True or False; got {describe(binary)}")
        self.binary = bool(binary)
        self.max_bytes = check_positive_int("max_bytes", max_bytes)
        key_bytes = -(-self.n_features // 8) if self.binary else 8 * self.n_features
        self._n_words = -(-key_bytes // 8)
        self._mult = _multipliers(self._n_words)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._clear_storage()

    def _clear_storage(self) -> None:
        self._keys = np.empty((0, self._n_words), dtype=np.uint64)
        self._hashes = np.empty(0, dtype=np.uint64)
        self._ticks = np.empty(0, dtype=np.int64)
        self._outputs: np.ndarray | None = None  # (n, n_outputs), shaped by the first add
        self._output_shape: tuple[int, ...] | None = None
        self._sorted_hashes = self._hashes
        self._order = np.empty(0, dtype=np.intp)
        self._tick = 0

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ keys
    def _rows(self, rows: Any) -> np.ndarray:
        arr = np.asarray(rows)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_features:
            raise ValueError(
                f"rows must have shape (n, {self.n_features}) (one edit-space row each); got "
                f"{describe(arr)}"
            )
        return arr

    def keys(self, rows: Any) -> np.ndarray:
        """The cache keys of ``rows``: shape ``(n, n_words)``, dtype uint64.

        Parameters
        ----------
        rows : array-like of shape (n, n_features) or (n_features,)

        Returns
        -------
        numpy.ndarray
        """
        arr = self._rows(rows)
        if self.binary:
            raw = np.packbits(arr != 0, axis=1)
        else:
            # + 0.0 turns -0.0 into 0.0: equal values get equal bytes.
            values = np.ascontiguousarray(arr, dtype=np.float64) + 0.0
            raw = values.view(np.uint8).reshape(arr.shape[0], -1)
        padded = np.zeros((arr.shape[0], self._n_words * 8), dtype=np.uint8)
        padded[:, : raw.shape[1]] = raw
        return padded.view(np.uint64)

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        if keys.shape[0] == 0:
            return np.empty(0, dtype=np.uint64)
        mixed = keys * self._mult  # wraps modulo 2**64, as intended
        mixed ^= mixed >> np.uint64(29)
        return np.bitwise_xor.reduce(mixed * self._mult[::-1], axis=1)

    def _find(self, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Slot of each key, or -1 where absent."""
        slots = np.full(keys.shape[0], -1, dtype=np.intp)
        if self._order.size == 0 or keys.shape[0] == 0:
            return slots
        pos = np.searchsorted(self._sorted_hashes, hashes)
        pos = np.minimum(pos, self._order.size - 1)
        candidate = self._order[pos]
        same = (self._sorted_hashes[pos] == hashes) & np.all(self._keys[candidate] == keys, axis=1)
        slots[same] = candidate[same]
        return slots

    # ------------------------------------------------------------------ public API
    def __len__(self) -> int:
        return int(self._hashes.size)

    @property
    def nbytes(self) -> int:
        """Bytes held by keys, outputs and index."""
        outputs = 0 if self._outputs is None else self._outputs.nbytes
        return int(self._keys.nbytes + outputs + _INDEX_BYTES * len(self))

    @property
    def capacity(self) -> int | None:
        """Rows the memory bound allows (``None`` until the output size is known)."""
        if self._output_shape is None:
            return None
        per_row = 8 * self._n_words + 8 * int(np.prod(self._output_shape)) + _INDEX_BYTES
        return max(1, self.max_bytes // per_row)

    def rows(self) -> np.ndarray:
        """The stored rows, oldest first: shape ``(len(self), n_features)``.

        Masks come back as 0/1 integers, other rows as float64.
        """
        raw = self._keys.view(np.uint8).reshape(len(self), -1)
        if self.binary:
            order = np.argsort(self._ticks, kind="stable")
            return np.unpackbits(raw, axis=1)[order, : self.n_features].astype(np.int64)
        values = raw[:, : 8 * self.n_features].copy().view(np.float64)
        return values[np.argsort(self._ticks, kind="stable")]

    def lookup(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """Find the outputs stored for ``rows``.

        Parameters
        ----------
        rows : array-like of shape (n, n_features) or (n_features,)

        Returns
        -------
        outputs : numpy.ndarray of shape (n, ...)
            The stored outputs where found; NaN elsewhere.
        found : numpy.ndarray of shape (n,), dtype bool
        """
        keys = self.keys(rows)
        with self._lock:
            slots = self._find(keys, self._hash(keys))
            found = slots >= 0
            shape = self._output_shape if self._output_shape is not None else ()
            outputs = np.full((keys.shape[0],) + shape, np.nan)
            if found.any() and self._outputs is not None:
                outputs[found] = self._outputs[slots[found]].reshape((-1,) + shape)
                self._tick += 1
                self._ticks[slots[found]] = self._tick
            n_found = int(found.sum())
            self.hits += n_found
            self.misses += keys.shape[0] - n_found
        return outputs, found

    def add(self, rows: Any, outputs: Any) -> None:
        """Store the model's ``outputs`` for ``rows`` (rows already stored are refreshed).

        Parameters
        ----------
        rows : array-like of shape (n, n_features)
        outputs : array-like of shape (n,) or (n, n_outputs)
            One model output per row (what ``classifier_fn`` returned, after validation).
        """
        keys = self.keys(rows)
        values = np.asarray(outputs, dtype=np.float64)
        if values.shape[:1] != (keys.shape[0],):
            raise ValueError(
                f"outputs must have one row per row of rows ({keys.shape[0]}); got "
                f"{describe(values)}"
            )
        if keys.shape[0] == 0:
            return
        with self._lock:
            if self._output_shape is None:
                self._output_shape = values.shape[1:]
                self._outputs = np.empty((0, int(np.prod(self._output_shape))))
            elif values.shape[1:] != self._output_shape:
                # Another model (or output format) than the stored answers: start afresh.
                self._clear_storage()
                self._output_shape = values.shape[1:]
                self._outputs = np.empty((0, int(np.prod(self._output_shape))))
            assert self._outputs is not None
            flat = values.reshape(keys.shape[0], -1)
            hashes = self._hash(keys)
            self._tick += 1
            slots = self._find(keys, hashes)
            old = slots >= 0
            self._outputs[slots[old]] = flat[old]
            self._ticks[slots[old]] = self._tick
            new = np.flatnonzero(~old)
            if new.size == 0:
                return
            # One entry per distinct new key (the last answer given for it).
            _, last = np.unique(keys[new][::-1], axis=0, return_index=True)
            new = np.sort(new[::-1][last])
            capacity = self.capacity
            assert capacity is not None
            new = new[-capacity:]
            overflow = len(self) + new.size - capacity
            keep = np.arange(len(self))
            if overflow > 0:
                keep = np.sort(np.argsort(self._ticks, kind="stable")[overflow:])
            self._keys = np.concatenate([self._keys[keep], keys[new]])
            self._hashes = np.concatenate([self._hashes[keep], hashes[new]])
            self._ticks = np.concatenate(
                [self._ticks[keep], np.full(new.size, self._tick, dtype=np.int64)]
            )
            self._outputs = np.concatenate([self._outputs[keep], flat[new]])
            self._order = np.argsort(self._hashes, kind="stable")
            self._sorted_hashes = self._hashes[self._order]

    def predict(
        self,
        classifier_fn: Callable[[Any], Any],
        make_instances: Callable[[np.ndarray], Any],
        rows: Any,
        *,
        mode: str = "classification",
        batch_size: int | None = None,
        name: str = "classifier_fn",
    ) -> tuple[np.ndarray, int]:
        """The model's outputs for ``rows``: stored answers first, the model for the rest.

        Only the rows not found are built (``make_instances``) and sent to ``classifier_fn``
        (each distinct row once); their answers are then stored.

        Parameters
        ----------
        classifier_fn : callable
            The model the stored answers came from.
        make_instances : callable
            Builds model inputs from edit-space rows (``perturbation.make_instances``).
        rows : array-like of shape (n, n_features)
        mode : {'classification', 'regression'}, default='classification'
        batch_size : int, optional
            Rows per model call (default: all missing rows in one call).
        name : str, default='classifier_fn'
            Argument name used in error messages.

        Returns
        -------
        outputs : numpy.ndarray
            ``(n, n_classes)`` in classification, ``(n,)`` in regression.
        reused : int
            How many of the ``n`` rows were answered without a model call.
        """
        arr = self._rows(rows)
        outputs, found = self.lookup(arr)
        missing = np.flatnonzero(~found)
        if missing.size == 0:
            return outputs, int(arr.shape[0])
        keys = self.keys(arr[missing])
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        # The model sees the distinct rows in the caller's order (first occurrence).
        by_position = np.argsort(first)
        rank = np.empty_like(by_position)
        rank[by_position] = np.arange(by_position.size)
        distinct = arr[missing[first[by_position]]]
        answers = predict_in_batches(
            classifier_fn,
            lambda start, stop: make_instances(distinct[start:stop]),
            distinct.shape[0],
            batch_size,
            mode=mode,
            name=name,
        )
        self.add(distinct, answers)
        filled = answers[rank[np.ravel(inverse)]]
        if not found.any():
            return filled, 0
        if outputs.shape[1:] != filled.shape[1:]:
            # The stored answers have another shape: they are not this model's. Ask it for
            # the found rows too (add() has already dropped the old answers).
            rest = arr[found]
            extra = predict_in_batches(
                classifier_fn,
                lambda start, stop: make_instances(rest[start:stop]),
                rest.shape[0],
                batch_size,
                mode=mode,
                name=name,
            )
            self.add(rest, extra)
            self.hits -= int(found.sum())
            outputs = np.empty((arr.shape[0],) + filled.shape[1:])
            outputs[found] = extra
            outputs[missing] = filled
            return outputs, 0
        outputs[missing] = filled
        return outputs, int(arr.shape[0] - missing.size)
