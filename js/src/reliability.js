// How far an explanation can be trusted: error bars on the weights and one reliability line
// (held-out fidelity, stability, model queries), each number with a plain-words tooltip.
// The words match the static HTML view (limewidgets/engine/html.py) so both say the same thing.

import { h } from "./dom.js";
import { formatNumber } from "./logic.js";

/**
 * Standard errors of one explanation entry as a Map feature id -> standard error.
 * @param {{weight_std?: Array<[number, number|null]>}|null} entry
 * @returns {Map<number, number>}
 */
export function weightErrors(entry) {
  const errors = new Map();
  for (const [feature, std] of entry?.weight_std ?? []) {
    if (std !== null && std !== undefined && Number.isFinite(Number(std)) && Number(std) >= 0) {
      errors.set(Number(feature), Number(std));
    }
  }
  return errors;
}

/**
 * Whether `weight ± 2 std` contains zero: the sign of the weight is not established.
 * @param {number} weight
 * @param {number|undefined} std
 * @returns {boolean}
 */
export function isUncertain(weight, std) {
  if (std === undefined || std === null || !Number.isFinite(std)) return false;
  return Math.abs(weight) <= 2 * std;
}

/**
 * The chart's half-scale: the largest `|w| + 2 std`, so every error bar fits in the track.
 * @param {Array<[number, number]>} items
 * @param {Map<number, number>} errors
 * @returns {number}
 */
export function chartScale(items, errors) {
  let scale = 0;
  for (const [feature, weight] of items) {
    const std = errors.get(feature);
    scale = Math.max(scale, Math.abs(weight) + (std === undefined ? 0 : 2 * std));
  }
  return scale;
}

/**
 * Position of the ±2 standard error bar on the track, in percent (centre = 50 %).
 * @returns {{left: number, width: number}}
 */
export function errorBarSpan(weight, std, scale) {
  if (!(scale > 0)) return { left: 50, width: 0 };
  const at = (x) => 50 + (x / scale) * 50;
  const left = at(weight - 2 * std);
  return { left, width: at(weight + 2 * std) - left };
}

/** Plain-words meaning of a held-out fidelity value. */
export function fidelityTooltip(fidelity) {
  return (
    `Held-out fidelity ${fidelity.toFixed(2)}: on perturbed samples kept aside from the fit, the ` +
    `surrogate reproduces ${(Math.max(fidelity, 0) * 100).toFixed(0)} % of the variation of the ` +
    "model's output (weighted R\u00b2; 1 is a perfect local fit, 0 or less is no better than a constant)."
  );
}

/** Plain-words meaning of a stability value. */
export function stabilityTooltip(stability, k) {
  return (
    `Stability ${stability.toFixed(2)}: a rerun with the same budget is expected to share ` +
    `${(stability * 100).toFixed(0)} % of the top-${k} features (expected Jaccard similarity of the ` +
    `two top-${k} sets; 1 means the same features every time).`
  );
}

/** Plain-words meaning of the number of model queries. */
export function queriesTooltip(numQueries) {
  return (
    `${numQueries} model queries: the explanation sent ${numQueries} perturbed instances to the ` +
    "model; more queries give steadier weights."
  );
}

function finite(value) {
  return value !== null && value !== undefined && Number.isFinite(Number(value)) ? Number(value) : null;
}

/**
 * The items of the reliability line (missing values are left out).
 * @param {{fidelity?: number|null, stability?: number|null, stabilityK?: number, numQueries?: number|null}} info
 * @returns {Array<{key: string, text: string, tooltip: string}>}
 */
export function reliabilityItems({ fidelity, stability, stabilityK = 5, numQueries }) {
  const items = [];
  const f = finite(fidelity);
  const s = finite(stability);
  const q = finite(numQueries);
  if (f !== null)
    items.push({ key: "fidelity", text: `Fidelity ${f.toFixed(2)}`, tooltip: fidelityTooltip(f) });
  if (s !== null) {
    items.push({
      key: "stability",
      text: `Stability ${s.toFixed(2)}`,
      tooltip: stabilityTooltip(s, stabilityK),
    });
  }
  if (q !== null) {
    items.push({
      key: "queries",
      text: `${Math.round(q)} model queries`,
      tooltip: queriesTooltip(Math.round(q)),
    });
  }
  return items;
}

/**
 * What the reliability line of one label shows, from the model's traits.
 * @param {object} model
 * @param {object|null} entry The `explanations` entry of the selected label.
 */
export function reliabilityInfo(model, entry) {
  return {
    fidelity: entry?.fidelity ?? null,
    stability: entry?.stability ?? null,
    stabilityK: Number(entry?.stability_k ?? Math.min(5, entry?.weights?.length ?? 5)),
    numQueries: model.get("num_queries") ?? null,
  };
}

/**
 * The reliability line element (null when there is nothing to say). Each number is focusable so
 * its tooltip is reachable by keyboard, and carries its meaning in `title` and `aria-label`.
 * @returns {HTMLElement|null}
 */
export function reliabilityLine(info) {
  const items = reliabilityItems(info);
  if (items.length === 0) return null;
  return h(
    "div",
    { class: "lw-w-reliability", "data-testid": "lw-reliability" },
    items.map(({ key, text, tooltip }) =>
      h("span", {
        class: "lw-w-rel-item",
        "data-testid": `lw-rel-${key}`,
        tabindex: 0,
        title: tooltip,
        "aria-label": tooltip,
        text,
      }),
    ),
  );
}

/**
 * The error bar of one weight row, its value suffix and its tooltip addition.
 * @returns {{bar: HTMLElement|null, suffix: string, tooltip: string, uncertain: boolean}}
 */
export function errorBarParts(weight, std, scale) {
  if (std === undefined) return { bar: null, suffix: "", tooltip: "", uncertain: false };
  const { left, width } = errorBarSpan(weight, std, scale);
  const uncertain = isUncertain(weight, std);
  const bar = h("span", {
    class: "lw-w-err",
    "data-testid": "lw-error-bar",
    dataset: { low: String(weight - 2 * std), high: String(weight + 2 * std) },
    style: { left: `${left.toFixed(1)}%`, width: `${width.toFixed(1)}%` },
  });
  let tooltip = ` \u00b1 ${formatNumber(2 * std)} (2 standard errors)`;
  if (uncertain) tooltip += "; the interval contains zero, so even the sign of this weight is uncertain";
  return { bar, suffix: ` \u00b1${formatNumber(2 * std)}`, tooltip, uncertain };
}

/** The chart's note on error bars (null when no weight has one). */
export function errorLegend(anyErrors, anyUncertain) {
  if (!anyErrors) return null;
  const children = [h("span", { text: "Error bars: \u00b12 standard errors." })];
  if (anyUncertain) {
    children.push(
      h("span", { class: "lw-w-swatch lw-w-positive lw-w-uncertain" }),
      h("span", { text: "hatched: the interval contains zero (sign uncertain)." }),
    );
  }
  return h("div", { class: "lw-w-note lw-w-err-legend", "data-testid": "lw-error-legend" }, children);
}
