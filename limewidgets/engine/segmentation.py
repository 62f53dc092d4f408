"""Superpixel segmentation wrappers around scikit-image (lime's ``wrappers.scikit_image``).

:class:`SegmentationAlgorithm` binds one of scikit-image's ``quickshift``, ``slic`` or
``felzenszwalb`` to a set of parameters and is then called on an image to get its segment map.
Compared with lime 0.2.0.1 it

- works with current scikit-image: lime's ``random_seed`` keyword for quickshift is passed on as
  ``rng`` (scikit-image renamed it; lime's wrapper silently dropped it, so the seed was ignored),
  and the old slic names ``max_iter`` / ``multichannel`` are translated;
- rejects an unknown ``algo_type`` or a misspelt parameter with an error that lists the valid
  ones, where lime silently ignored the parameter;
- lets quickshift segment RGBA images (on their RGB channels) and grayscale ones (as RGB).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from skimage.segmentation import felzenszwalb, quickshift, slic

from ._validation import describe

#: The scikit-image function behind each ``algo_type``.
ALGORITHMS: dict[str, Callable[..., np.ndarray]] = {
    "quickshift": quickshift,
    "slic": slic,
    "felzenszwalb": felzenszwalb,
}

# Parameter names accepted for compatibility with lime and older scikit-image, mapped to the
# current name. ``None`` means: accepted and dropped (the algorithm is deterministic, a seed
# changes nothing).
_RENAMED: dict[str, dict[str, str | None]] = {
    "quickshift": {"random_seed": "rng"},
    "slic": {"random_seed": None, "max_iter": "max_num_iter", "multichannel": "channel_axis"},
    "felzenszwalb": {"random_seed": None, "multichannel": "channel_axis"},
}


def accepts_keyword(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` can be called with the keyword argument ``name``.

    Parameters
    ----------
    fn : callable
        A function, method or callable object.
    name : str
        The keyword to look for.

    Returns
    -------
    bool
        True when ``fn`` has a positional-or-keyword or keyword-only parameter ``name``.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        # Some compiled callables only describe their ``__call__``.
        try:
            call: Any = fn
            signature = inspect.signature(call.__call__)
        except (AttributeError, TypeError, ValueError):
            return False
    parameter = signature.parameters.get(name)
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )


def _keyword_names(fn: Callable[..., Any]) -> list[str]:
    """The keyword-passable parameter names of ``fn`` after its first (the image)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in params[1:] if p.kind in kinds]


class NotCallableError(TypeError, AttributeError):
    """The wrapped ``target_fn`` cannot be called.

    A ``TypeError``; also an ``AttributeError``, which is what lime raised in this case.
    """


class BaseWrapper:
    """Bind a function (or callable object) to a set of keyword parameters.

    Parameters
    ----------
    target_fn : callable, optional
        The function to wrap. When None, the wrapper itself (its ``__call__``) is the target.
    **target_params
        Keyword parameters for ``target_fn``.

    Attributes
    ----------
    target_fn : callable or None
    target_params : dict
    """

    def __init__(self, target_fn: Callable[..., Any] | None = None, **target_params: Any) -> None:
        self.target_fn = target_fn
        self.target_params = target_params

    def _target_callables(self) -> list[Callable[..., Any]]:
        if self.target_fn is None:
            if callable(self):
                return [self.__call__]
            raise NotCallableError(
                "target_fn is None and this wrapper is not callable; pass a callable target_fn"
            )
        if isinstance(self.target_fn, (types.FunctionType, types.MethodType)):
            return [self.target_fn]
        call = getattr(self.target_fn, "__call__", None)  # noqa: B004 - the method is inspected
        if call is None:
            raise NotCallableError(f"target_fn must be callable; got {describe(self.target_fn)}")
        return [call]

    def _check_params(self, parameters: Iterable[str] | dict[str, Any]) -> None:
        """Check that every name in ``parameters`` is a keyword of the target function.

        Parameters
        ----------
        parameters : dict or iterable of str
            Parameter names (the keys when a dict).

        Raises
        ------
        TypeError
            If the target is not callable (also an ``AttributeError``, as in lime), or
            ``parameters`` is a string or not iterable.
        ValueError
            If a name is not a keyword argument of the target function.
        """
        targets = self._target_callables()
        if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
            raise TypeError(
                "parameters must be a dict or a list of parameter names; got "
                f"{describe(parameters)}"
            )
        for name in parameters:
            for fn in targets:
                if not accepts_keyword(fn, name):
                    valid = _keyword_names(fn)
                    hint = f"; valid parameters are {valid}" if valid else ""
                    raise ValueError(f"{name} is not a valid parameter{hint}")

    def set_params(self, **params: Any) -> None:
        """Replace ``target_params`` with ``params`` after checking every name.

        Raises
        ------
        ValueError
            If a name is not a keyword argument of the target function.
        """
        self._check_params(params)
        self.target_params = params

    def filter_params(
        self, fn: Callable[..., Any], override: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The subset of ``target_params`` that ``fn`` accepts, updated with ``override``.

        Parameters
        ----------
        fn : callable
        override : dict, optional
            Values that replace (or add to) the filtered parameters.

        Returns
        -------
        dict
        """
        result = {k: v for k, v in self.target_params.items() if accepts_keyword(fn, k)}
        result.update(override or {})
        return result


class SegmentationAlgorithm(BaseWrapper):
    """A scikit-image superpixel segmentation with fixed parameters.

    Parameters
    ----------
    algo_type : {'quickshift', 'slic', 'felzenszwalb'}
        The scikit-image algorithm.
    **target_params
        Its parameters, e.g. ``kernel_size=4, max_dist=200, ratio=0.2`` for quickshift or
        ``n_segments=100, compactness=10`` for slic. ``random_seed`` (lime's name) is accepted
        by all three: quickshift receives it as ``rng``; slic and felzenszwalb are
        deterministic and need no seed.

    Raises
    ------
    ValueError
        If ``algo_type`` is unknown or a parameter is not accepted by the algorithm.

    Examples
    --------
    >>> from skimage.data import chelsea
    >>> segment = SegmentationAlgorithm("slic", n_segments=50, compactness=10)
    >>> segments = segment(chelsea()[:64, :64])
    >>> segments.shape
    (64, 64)
    """

    def __init__(self, algo_type: str, **target_params: Any) -> None:
        if not isinstance(algo_type, str) or algo_type not in ALGORITHMS:
            raise ValueError(
                f"algo_type must be one of {list(ALGORITHMS)}; got {describe(algo_type)}"
            )
        self.algo_type = algo_type
        fn = ALGORITHMS[algo_type]
        params = self._translate(algo_type, target_params)
        BaseWrapper.__init__(self, fn, **params)
        self.set_params(**params)

    @staticmethod
    def _translate(algo_type: str, params: dict[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for old, new in _RENAMED[algo_type].items():
            if old not in out:
                continue
            value = out.pop(old)
            if new is None:
                continue
            if new in out:
                raise ValueError(
                    f"pass either {old} or {new} to {algo_type}, not both (they are the same "
                    "parameter)"
                )
            if old == "multichannel":
                value = -1 if value else None
            out[new] = value
        return out

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Segment ``image``.

        Parameters
        ----------
        image : numpy.ndarray of shape (H, W, C) or (H, W)

        Returns
        -------
        numpy.ndarray of shape (H, W)
            Integer superpixel ids.
        """
        image = np.asarray(image)
        if self.algo_type == "quickshift" and self.target_params.get("convert2lab", True):
            # quickshift works in Lab space, which needs exactly three channels.
            if image.ndim == 2:
                image = np.stack([image] * 3, axis=-1)
            elif image.ndim == 3 and image.shape[2] == 1:
                image = np.repeat(image, 3, axis=2)
            elif image.ndim == 3 and image.shape[2] == 4:
                image = image[:, :, :3]
        target_fn = self.target_fn
        assert target_fn is not None  # set from algo_type by the constructor
        return target_fn(image, **self.target_params)
