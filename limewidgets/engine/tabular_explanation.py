"""The tabular explanation and its domain mapper (names, bin conditions, the instance table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import html as html_view
from .explanation import DomainMapper, Explanation
from .tabular_perturbation import TabularPerturbation

__all__ = ["TableDomainMapper", "TabularExplanation"]


class TableDomainMapper(DomainMapper):
    """Maps feature ids to names (or bin conditions) and renders the explained row as a table.

    Parameters
    ----------
    feature_names : list of str
        Names in column order; categorical features read ``name=value``.
    feature_values : list of str
        The row's values as display strings (only the non-zero ones in the sparse case).
    scaled_row : numpy.ndarray or scipy.sparse matrix
        The row in the surrogate's representation.
    categorical_features : sequence of int
        Columns the surrogate sees as binary.
    discretized_feature_names : list of str, optional
        Names of the instance's bins (``'0.30 < petal width (cm) <= 1.30'``), used by
        :meth:`map_exp_ids` when given.
    feature_indexes : sequence of int, optional
        Columns of the non-zero values (sparse rows).
    """

    def __init__(
        self,
        feature_names: Sequence[str],
        feature_values: Sequence[str],
        scaled_row: Any,
        categorical_features: Sequence[int],
        discretized_feature_names: Sequence[str] | None = None,
        feature_indexes: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        self.exp_feature_names = feature_names
        self.discretized_feature_names = discretized_feature_names
        self.feature_names = feature_names
        self.feature_values = feature_values
        self.feature_indexes = feature_indexes
        self.scaled_row = scaled_row
        if sp.issparse(scaled_row):
            self.all_categorical = False
        else:
            self.all_categorical = len(categorical_features) == len(scaled_row)
        self.categorical_features = categorical_features

    def map_exp_ids(self, exp: list) -> list:  # type: ignore[override]
        """Map ``[(feature_id, weight), ...]`` to ``[(name, weight), ...]``.

        Discretized explanations use the instance's bin conditions as names.
        """
        names = self.exp_feature_names
        if self.discretized_feature_names is not None:
            names = self.discretized_feature_names
        return [(names[x[0]], x[1]) for x in exp]

    def table_rows(self, exp: list, show_all: bool = False) -> list:
        """``[(name, value string, weight), ...]`` as the instance table shows them.

        Parameters
        ----------
        exp : list of (int, float)
            The explanation for one label.
        show_all : bool, default=False
            Show every feature (every non-zero one for sparse rows), not only those in ``exp``.
        """
        weights = dict((int(f), float(w)) for f, w in exp)
        if self.feature_indexes is not None:
            value_of = dict(
                zip((int(i) for i in self.feature_indexes), self.feature_values, strict=True)
            )
            ids = [int(i) for i in self.feature_indexes] if show_all else [int(f) for f, _ in exp]
            return [
                (self.exp_feature_names[i], value_of.get(i, "0.00"), weights.get(i, 0.0))
                for i in ids
            ]
        ids = list(range(len(self.exp_feature_names))) if show_all else [int(f) for f, _ in exp]
        return [
            (self.exp_feature_names[i], self.feature_values[i], weights.get(i, 0.0)) for i in ids
        ]

    def visualize_instance_html(  # type: ignore[override]  # lime's signature
        self,
        exp: list,
        label: int,
        div_name: str,
        exp_object_name: str,
        show_table: bool = True,
        show_all: bool = False,
    ) -> str:
        """The explained row as a static HTML table, each row coloured by its feature's weight.

        Parameters
        ----------
        exp : list of (int, float)
            The explanation for ``label``.
        label : int
            The explained label.
        div_name, exp_object_name : str
            Accepted for compatibility with lime and ignored (no script is produced).
        show_table : bool, default=True
            If False, return ``''``.
        show_all : bool, default=False
            Show features with zero weight too.

        Returns
        -------
        str
            An HTML fragment; every name and value is escaped.
        """
        if not show_table:
            return ""
        rows = self.table_rows(exp, show_all=show_all)
        max_abs = max((abs(w) for _, _, w in rows), default=0.0)
        body = []
        for name, value, weight in rows:
            style = (
                f' style="background:{html_view.weight_color(weight, max_abs)}"' if weight else ""
            )
            body.append(
                f'<tr{style} title="weight {html_view.fmt(weight)}">'
                f"<td>{html_view.esc(name)}</td><td>{html_view.esc(value)}</td></tr>"
            )
        return (
            '<div class="lw-panel lw-instance"><div class="lw-title">Feature values</div>'
            '<table class="lw-table"><thead><tr><th>Feature</th><th>Value</th></tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )


class TabularExplanation(Explanation):
    """The explanation of one table row (see :class:`~limewidgets.engine.explanation.Explanation`).

    In regression mode, like lime, ``local_exp[1]`` holds the surrogate's weights and
    ``local_exp[0]`` their negations (``intercept``, ``score``, ``local_pred`` and ``fidelity``
    are stored under both keys); ``as_list()`` returns the true weights.
    """

    kind = "tabular"
    domain_mapper: TableDomainMapper
    perturbation: TabularPerturbation | None
