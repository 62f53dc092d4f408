"""Static, self-contained HTML views of explanations.

Plain HTML and CSS with no script at all: it renders the same in JupyterLab, Notebook, VS Code,
Colab, nbconvert output and a file opened offline, and weighs kilobytes. Every piece of user text
(documents, feature names, class names, values) goes through :func:`esc`.
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

POSITIVE_COLOR = "#e8710a"
NEGATIVE_COLOR = "#1a73e8"
CLASS_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip

CSS = """
.lw-root{font-family:var(--jp-ui-font-family,system-ui,-apple-system,'Segoe UI',sans-serif);
 font-size:13px;color:var(--jp-ui-font-color1,#1f1f1f);background:var(--jp-layout-color0,transparent);
 display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;line-height:1.35}
.lw-panel{flex:1 1 300px;min-width:260px;max-width:520px}
.lw-title{font-weight:600;margin:0 0 6px 0}
.lw-row{display:grid;grid-template-columns:minmax(60px,180px) minmax(100px,1fr) 56px;gap:6px;align-items:center;margin:2px 0}
.lw-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;text-align:right}
.lw-track{display:block;position:relative;height:14px;min-width:100px;background:var(--jp-layout-color2,rgba(127,127,127,.15));border-radius:2px}
.lw-bar{display:block;position:absolute;top:0;height:14px;border-radius:2px}
.lw-mid{display:block;position:absolute;left:50%;top:-2px;bottom:-2px;border-left:1px solid var(--jp-ui-font-color2,#888)}
.lw-val{font-variant-numeric:tabular-nums;text-align:right}
.lw-legend{display:flex;justify-content:space-between;font-size:12px;color:var(--jp-ui-font-color2,#666);margin:0 56px 4px 0}
.lw-text{white-space:pre-wrap;max-width:640px;border:1px solid var(--jp-border-color1,#ccc);padding:8px;border-radius:4px}
.lw-table{border-collapse:collapse}
.lw-table td,.lw-table th{border-bottom:1px solid var(--jp-border-color2,#ddd);padding:2px 8px;text-align:left}
.lw-note{font-size:12px;color:var(--jp-ui-font-color2,#666)}
.lw-img{max-width:100%;image-rendering:auto;border:1px solid var(--jp-border-color1,#ccc)}
.lw-weights-err .lw-row{grid-template-columns:minmax(60px,180px) minmax(100px,1fr) 118px}
.lw-weights-err .lw-val{white-space:nowrap}
.lw-weights-err .lw-legend{margin-right:118px}
.lw-err{display:block;position:absolute;top:6px;height:0;border-top:2px solid var(--jp-ui-font-color1,#1f1f1f);opacity:.75}
.lw-err::before,.lw-err::after{content:"";position:absolute;top:-5px;height:8px;border-left:2px solid var(--jp-ui-font-color1,#1f1f1f)}
.lw-err::before{left:0}.lw-err::after{right:0}
.lw-uncertain{opacity:.55;background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.85) 0 2px,transparent 2px 5px)!important}
.lw-swatch{display:inline-block;width:18px;height:10px;vertical-align:middle;margin-right:4px;border-radius:2px}
.lw-pm{color:var(--jp-ui-font-color2,#666);font-size:11px}
.lw-reliability{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--jp-ui-font-color2,#555);margin:0 0 6px 0}
.lw-reliability span[title]{cursor:help;border-bottom:1px dotted currentColor}
"""


def esc(value: Any) -> str:
    """Escape any value for safe inclusion in HTML text or attribute values."""
    return _html.escape(str(value), quote=True)


def fmt(value: float) -> str:
    """Format a number compactly for display."""
    v = float(value)
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        return f"{v:.2e}"
    return f"{v:.3f}"


# Below this fraction of the largest |weight| a highlight is noise: none is drawn (the widgets'
# JS uses the same scale, js/src/logic.js weightColor).
MIN_VISIBLE_RELATIVE_WEIGHT = 0.05


def weight_color(weight: float, max_abs: float) -> str:
    """Background colour for a weight: orange for positive, blue for negative.

    The alpha is ``0.8 * |weight| / max_abs``; below :data:`MIN_VISIBLE_RELATIVE_WEIGHT` of the
    largest weight the colour is transparent, so a word weighing 1e-5 next to one weighing 0.2
    does not look highlighted.
    """
    relative = 0.0 if max_abs <= 0 else min(1.0, abs(weight) / max_abs)
    if weight == 0 or relative < MIN_VISIBLE_RELATIVE_WEIGHT:
        return "transparent"
    rgb = "232,113,10" if weight > 0 else "26,115,232"
    return f"rgba({rgb},{0.8 * relative:.3f})"


def page(body: str, title: str = "LIME explanation") -> str:
    """Wrap a fragment in a complete, standalone HTML page."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>"
    )


def fragment(body: str) -> str:
    """Wrap a fragment with its stylesheet, for notebook display."""
    return f"<style>{CSS}</style>{body}"


def proba_chart(class_names: Sequence[Any], probabilities: Iterable[float], top: int = 6) -> str:
    """Horizontal bars of the model's class probabilities (the top ``top`` classes)."""
    probs = np.asarray(list(probabilities), dtype=float)
    order = np.argsort(-probs, kind="stable")[:top]
    rows = []
    for rank, i in enumerate(order):
        color = CLASS_COLORS[rank % len(CLASS_COLORS)]
        width = max(0.0, min(1.0, probs[i])) * 100
        rows.append(
            f'<div class="lw-row"><span class="lw-name" title="{esc(class_names[i])}">'
            f'{esc(class_names[i])}</span><span class="lw-track"><span class="lw-bar" '
            f'style="left:0;width:{width:.1f}%;background:{color}"></span></span>'
            f'<span class="lw-val">{probs[i]:.2f}</span></div>'
        )
    return (
        '<div class="lw-panel lw-proba"><div class="lw-title">Prediction probabilities</div>'
        + "".join(rows)
        + "</div>"
    )


def value_chart(value: float, min_value: float, max_value: float) -> str:
    """The predicted regression value within the range seen in the neighbourhood."""
    span = max_value - min_value
    frac = 0.5 if span <= 0 else (value - min_value) / span
    width = max(0.0, min(1.0, frac)) * 100
    return (
        '<div class="lw-panel lw-value"><div class="lw-title">Predicted value</div>'
        f'<div class="lw-row"><span class="lw-name">{fmt(min_value)}</span>'
        f'<span class="lw-track"><span class="lw-bar" style="left:0;width:{width:.1f}%;'
        f'background:{CLASS_COLORS[0]}"></span></span><span class="lw-val">{fmt(max_value)}</span>'
        f'</div><div class="lw-note">{fmt(value)}</div></div>'
    )


def uncertain(weight: float, std: float | None) -> bool:
    """Whether ``weight ± 2 std`` contains zero (the sign of the weight is not established)."""
    if std is None or not np.isfinite(std):
        return False
    return bool(abs(weight) <= 2.0 * std)


def fidelity_tooltip(fidelity: float) -> str:
    """Plain-words meaning of a held-out fidelity value."""
    return (
        f"Held-out fidelity {fidelity:.2f}: on perturbed samples kept aside from the fit, the "
        f"surrogate reproduces {max(fidelity, 0.0) * 100:.0f} % of the variation of the model's "
        "output (weighted R\u00b2; 1 is a perfect local fit, 0 or less is no better than a "
        "constant)."
    )


def stability_tooltip(stability: float, k: int) -> str:
    """Plain-words meaning of a stability value."""
    return (
        f"Stability {stability:.2f}: a rerun with the same budget is expected to share "
        f"{stability * 100:.0f} % of the top-{k} features (expected Jaccard similarity of the "
        f"two top-{k} sets; 1 means the same features every time)."
    )


def queries_tooltip(num_queries: int) -> str:
    """Plain-words meaning of the number of model queries."""
    return (
        f"{num_queries} model queries: the explanation sent {num_queries} perturbed instances "
        "to the model; more queries give steadier weights."
    )


def reliability_line(
    fidelity: float | None,
    stability: float | None,
    stability_k: int,
    num_queries: int | None,
    note: str = "",
) -> str:
    """One line with held-out fidelity, stability and model queries, each with a tooltip.

    Missing values are left out; an empty string is returned when all are missing.
    """
    items = []
    if fidelity is not None:
        items.append(
            f'<span class="lw-rel-fidelity" title="{esc(fidelity_tooltip(fidelity))}">'
            f"Fidelity {fidelity:.2f}</span>"
        )
    if stability is not None:
        items.append(
            f'<span class="lw-rel-stability" title="{esc(stability_tooltip(stability, stability_k))}">'
            f"Stability {stability:.2f}</span>"
        )
    if num_queries is not None:
        items.append(
            f'<span class="lw-rel-queries" title="{esc(queries_tooltip(num_queries))}">'
            f"{num_queries} model queries</span>"
        )
    if note:
        items.append(f'<span class="lw-rel-note">{esc(note)}</span>')
    if not items:
        return ""
    return '<div class="lw-reliability">' + "".join(items) + "</div>"


def weight_chart(
    title: str,
    items: Sequence[tuple[Any, float]],
    negative_label: str = "",
    positive_label: str = "",
    limit: int | None = 25,
    errors: Sequence[float | None] | None = None,
    reliability: str = "",
) -> str:
    """Diverging bar chart of ``(name, weight)`` items, bars growing from the centre.

    At most ``limit`` rows are drawn (the items are expected sorted by decreasing ``|weight|``);
    a note says how many more there are. ``None`` draws every item.

    ``errors`` (standard errors aligned with ``items``, ``None`` where unknown) adds error bars
    of ±2 standard errors; a weight whose interval contains zero is drawn hatched and faded, and
    a legend says so. ``reliability`` (from :func:`reliability_line`) goes under the title.
    """
    shown = list(items) if limit is None else list(items)[:limit]
    stds: list[float | None] = [None] * len(shown)
    if errors is not None:
        stds = [
            None if e is None or not np.isfinite(float(e)) else float(e)
            for e in list(errors)[: len(shown)]
        ]
        stds += [None] * (len(shown) - len(stds))
    has_errors = any(e is not None for e in stds)
    max_abs = max(
        (
            abs(w) + (2.0 * e if e is not None else 0.0)
            for (_, w), e in zip(shown, stds, strict=True)
        ),
        default=0.0,
    )

    def pos(x: float) -> float:
        return 50.0 if max_abs <= 0 else 50.0 + x / max_abs * 50.0

    rows = []
    any_uncertain = False
    for (name, w), std in zip(shown, stds, strict=True):
        half = 0.0 if max_abs <= 0 else abs(w) / max_abs * 50
        left = 50.0 if w >= 0 else 50.0 - half
        color = POSITIVE_COLOR if w > 0 else NEGATIVE_COLOR
        doubt = uncertain(w, std)
        any_uncertain |= doubt
        bar_class = "lw-bar lw-uncertain" if doubt else "lw-bar"
        error_bar = ""
        value = fmt(w)
        tip = f"{name}: weight {fmt(w)}"
        if std is not None:
            low, high = pos(w - 2 * std), pos(w + 2 * std)
            error_bar = (
                f'<span class="lw-err" style="left:{low:.1f}%;width:{high - low:.1f}%"></span>'
            )
            value += f' <span class="lw-pm">&plusmn;{fmt(2 * std)}</span>'
            tip += f" \u00b1 {fmt(2 * std)} (2 standard errors)"
            if doubt:
                tip += "; the interval contains zero, so even the sign of this weight is uncertain"
        rows.append(
            f'<div class="lw-row" title="{esc(tip)}"><span class="lw-name">{esc(name)}</span>'
            f'<span class="lw-track"><span class="lw-mid"></span><span class="{bar_class}" '
            f'style="left:{left:.1f}%;width:{half:.1f}%;background-color:{color}"></span>'
            f'{error_bar}</span><span class="lw-val">{value}</span></div>'
        )
    legend = ""
    if negative_label or positive_label:
        legend = (
            f'<div class="lw-legend"><span>&#9664; {esc(negative_label)}</span>'
            f"<span>{esc(positive_label)} &#9654;</span></div>"
        )
    hidden = len(items) - len(shown)
    if hidden > 0:
        rows.append(f'<div class="lw-note">and {hidden} more features with smaller weights</div>')
    if has_errors:
        key = "Error bars: &plusmn;2 standard errors."
        if any_uncertain:
            key += (
                f' <span class="lw-swatch lw-uncertain" style="background-color:{POSITIVE_COLOR}">'
                "</span>hatched: the interval contains zero (sign uncertain)."
            )
        rows.append(f'<div class="lw-note lw-err-legend">{key}</div>')
    panel_class = "lw-panel lw-weights lw-weights-err" if has_errors else "lw-panel lw-weights"
    return (
        f'<div class="{panel_class}"><div class="lw-title">{esc(title)}</div>'
        + reliability
        + legend
        + "".join(rows)
        + "</div>"
    )
