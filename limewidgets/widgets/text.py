"""The interactive view of a text explanation: click words to remove them and re-query."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ._assets import bundle_source, css_source
from ._mask import MaskExplanationWidget


class TextExplanationWidget(MaskExplanationWidget):
    """A text explanation as a live document.

    The document is shown with every explained word highlighted by its weight for the selected
    label, next to a bar chart of the top words. Clicking a word removes it (every occurrence when
    the explanation was computed with ``bow=True``, that position otherwise) and the model is
    re-queried with the text built by the explanation's own perturbation (so removal means the
    same as in the explainer's samples). A counterfactual search finds a few words whose removal
    changes the prediction.

    Parameters
    ----------
    explanation : TextExplanation
        The result of ``LimeTextExplainer.explain_instance``.
    classifier_fn : callable, optional
        Model taking a list of strings (default: the explanation's).
    label : int, optional
        The label shown first (default: the top label).
    num_features : int, default=10
    threaded : bool, default=True
    max_queries : int, default=200
    **kwargs
        Passed to :class:`anywidget.AnyWidget`.

    Examples
    --------
    >>> widget = TextExplanationWidget(explanation)      # doctest: +SKIP
    >>> widget.toggle(3); widget.wait()                   # doctest: +SKIP
    >>> widget.real_output, widget.surrogate_output       # doctest: +SKIP
    """

    _kind = "text"
    _esm = bundle_source("text")
    _css = css_source()

    tokens: traitlets.List[Any] = traitlets.List().tag(sync=True)
    bow = traitlets.Bool(True).tag(sync=True)

    def _check_explanation(self, explanation: Any) -> None:
        super()._check_explanation(explanation)
        mapper = getattr(explanation, "domain_mapper", None)
        if getattr(mapper, "indexed_string", None) is None:
            raise TypeError(
                "TextExplanationWidget needs explanation.domain_mapper.indexed_string "
                f"(lime's IndexedString); got {type(mapper).__name__}"
            )

    @property
    def indexed_string(self) -> Any:
        """The explanation's ``IndexedString`` (tokens, positions, vocabulary)."""
        return self.explanation.domain_mapper.indexed_string

    def _token_features(self) -> np.ndarray:
        """Feature id of every token of ``indexed_string.as_list`` (-1 for separators)."""
        indexed = self.indexed_string
        n_tokens = len(indexed.as_list)
        features = np.full(n_tokens, -1, dtype=int)
        if indexed.bow:
            counts = [len(p) for p in indexed.positions]
            if counts:
                where = np.concatenate([np.asarray(p, dtype=int) for p in indexed.positions])
                features[where] = np.repeat(np.arange(len(counts)), counts)
        else:
            positions = np.asarray(indexed.positions, dtype=int)
            features[positions] = np.arange(positions.shape[0])
        return features

    def _kind_traits(self) -> dict:
        indexed = self.indexed_string
        features = self._token_features()
        tokens = [[str(text), int(f)] for text, f in zip(indexed.as_list, features, strict=True)]
        return {"tokens": tokens, "bow": bool(indexed.bow)}

    def _feature_names(self) -> list[str]:
        return [str(word) for word in self.indexed_string.inverse_vocab]

    @property
    def current_text(self) -> str:
        """The document with the currently removed words removed (what the model receives)."""
        return str(self.current_instance)
