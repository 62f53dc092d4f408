// Pure functions shared by the text, tabular and image renderers: no DOM, no model object.
//
// These are the widget semantics that must agree with Python: the feature rules, the surrogate
// estimates (recomputed here so the view reacts instantly and works with no kernel), the button
// semantics (CONTRACT.md, change 7) and the live panel's status. tests/golden checks them against
// fixtures written from the Python implementation.

/** Orange for weights that push towards the label, as in the static HTML and the image tint. */
export const POSITIVE_RGB = [232, 113, 10];
/** Blue for weights that push away from the label. */
export const NEGATIVE_RGB = [26, 115, 232];
/** Milliseconds without an answer after which the live panel says no live model is answering. */
export const NO_ANSWER_TIMEOUT_MS = 2000;
/** Status text shown when only the surrogate can be evaluated (static page, or no kernel answers). */
export const NO_LIVE_MODEL_TEXT = "no live model: surrogate estimate only";
/**
 * Format a number like the engine's static HTML (`limewidgets.engine.html.fmt`): three decimals,
 * scientific notation for very small or very large magnitudes, an en dash for missing values.
 * @param {number|null|undefined} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "\u2013";
  const number = Number(value);
  const magnitude = Math.abs(number);
  if (number !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return number.toExponential(2);
  return number.toFixed(3);
}

/**
 * Like {@link formatNumber} with an explicit sign, for weights and differences.
 * @param {number|null|undefined} value
 * @returns {string}
 */
export function formatSigned(value) {
  const text = formatNumber(value);
  return Number(value) > 0 && text !== "\u2013" ? `+${text}` : text;
}

/** Below this fraction of the largest |weight| a highlight would only be noise: none is drawn. */
export const MIN_VISIBLE_RELATIVE_WEIGHT = 0.05;

/**
 * CSS background for a weight: orange if positive, blue if negative; opacity proportional to
 * |w| / max|w| (at most 0.8), and no highlight at all below {@link MIN_VISIBLE_RELATIVE_WEIGHT}, so
 * that a word with weight 1e-5 next to one with 0.2 does not look highlighted.
 * @param {number} weight
 * @param {number} maxAbs Largest |weight| shown alongside.
 * @returns {string}
 */
export function weightColor(weight, maxAbs) {
  if (!weight || !(maxAbs > 0)) return "transparent";
  const relative = Math.min(1, Math.abs(weight) / maxAbs);
  if (relative < MIN_VISIBLE_RELATIVE_WEIGHT) return "transparent";
  const [r, g, b] = weight > 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r},${g},${b},${(0.8 * relative).toFixed(3)})`;
}

/**
 * A raw feature value as the user typed it: up to 6 significant digits, no trailing zeros
 * (`-0.035967`, `1001`, `2.5e-7`), never rounded to "-0.00".
 * @param {number|null|undefined} value
 * @returns {string}
 */
export function formatValue(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "\u2013";
  const number = Number(value);
  if (number === 0) return "0";
  return String(Number(number.toPrecision(6)));
}

/**
 * Why a surrogate estimate of a probability may look impossible: the surrogate is a linear model,
 * so its estimate can leave [0, 1]. Empty when the estimate is inside (or not a probability).
 * @param {number} estimate
 * @param {string} mode 'classification' or 'regression'.
 * @returns {string}
 */
export function surrogateHint(estimate, mode) {
  if (mode === "regression" || !Number.isFinite(estimate)) return "";
  if (estimate >= 0 && estimate <= 1) return "";
  return "outside [0, 1] because the surrogate is linear: its estimate of a probability is not bounded";
}

/**
 * The explanation entry of one label from the `explanations` trait, or null if not explained.
 * @param {object} explanations `{str(label): {intercept, weights, score, fidelity, local_pred}}`.
 * @param {number} label
 * @returns {{intercept: number, weights: Array<[number, number]>, score: number,
 *   fidelity: number|null, local_pred: number}|null}
 */
export function labelEntry(explanations, label) {
  const entry = explanations ? explanations[String(label)] : undefined;
  return entry ? { ...entry, weights: entry.weights ?? [] } : null;
}

/**
 * Largest absolute weight of `[[feature, weight], ...]` (0 when empty).
 * @param {Array<[number, number]>} weights
 * @returns {number}
 */
export function maxAbsWeight(weights) {
  let largest = 0;
  for (const [, weight] of weights) largest = Math.max(largest, Math.abs(weight));
  return largest;
}

/**
 * The features to show, with lime's `get_image_and_mask` rules: `weights` sorted by |w| descending;
 * positive-only keeps w > minWeight, negative-only keeps w < 0 with |w| > minWeight, otherwise the top
 * `k` features are kept when |w| >= minWeight.
 *
 * @param {Array<[number, number]>} weights
 * @param {number} k How many features at most (`num_features`).
 * @param {{positiveOnly?: boolean, negativeOnly?: boolean, minWeight?: number}} [options]
 * @returns {Array<[number, number]>}
 */
export function selectFeatures(weights, k, options = {}) {
  const { positiveOnly = false, negativeOnly = false, minWeight = 0 } = options;
  const count = Math.max(0, Math.floor(k));
  if (positiveOnly) return weights.filter(([, w]) => w > 0 && w > minWeight).slice(0, count);
  if (negativeOnly) return weights.filter(([, w]) => w < 0 && Math.abs(w) > minWeight).slice(0, count);
  return weights.slice(0, count).filter(([, w]) => Math.abs(w) >= minWeight);
}

/**
 * Surrogate estimate for a keep-mask (text, image): the intercept plus the weights of the features
 * that are still on.
 * @param {{intercept: number, weights: Array<[number, number]>}|null} entry
 * @param {ArrayLike<number>} state Edit-space row: 1 keeps a feature, 0 removes it.
 * @returns {number}
 */
export function maskEstimate(entry, state) {
  if (!entry) return Number.NaN;
  let total = Number(entry.intercept);
  for (const [feature, weight] of entry.weights) {
    if (Number(state[feature]) !== 0) total += weight;
  }
  return total;
}

/**
 * Interpretable value of one tabular feature under its rule (TabularPerturbation.feature_rules()):
 * `bin` -> 1 if lo < x <= hi (null bounds are open), `equal` -> 1 if x equals the value,
 * `scale` -> (x - mean) / scale; NaN for an unknown rule.
 * @param {{type: string, lo?: number|null, hi?: number|null, value?: number, mean?: number,
 *   scale?: number}} rule
 * @param {number} x Raw feature value.
 * @returns {number}
 */
export function applyRule(rule, x) {
  const value = Number(x);
  switch (rule?.type) {
    case "bin": {
      const aboveLow = rule.lo === null || rule.lo === undefined || value > rule.lo;
      const atMostHigh = rule.hi === null || rule.hi === undefined || value <= rule.hi;
      return aboveLow && atMostHigh ? 1 : 0;
    }
    case "equal":
      return value === Number(rule.value) ? 1 : 0;
    case "scale":
      return Number(rule.scale) === 0 ? 0 : (value - Number(rule.mean)) / Number(rule.scale);
    default:
      // An unknown rule makes the estimate NaN (shown as a dash) instead of breaking the view.
      return Number.NaN;
  }
}

/**
 * Surrogate estimate for an edited tabular row: intercept + sum of weight * rule(value).
 * @param {{intercept: number, weights: Array<[number, number]>}|null} entry
 * @param {Array<{type: string}>} rules One rule per column.
 * @param {ArrayLike<number>} state Raw feature values.
 * @returns {number}
 */
export function tabularEstimate(entry, rules, state) {
  if (!entry) return Number.NaN;
  let total = Number(entry.intercept);
  for (const [feature, weight] of entry.weights) total += weight * applyRule(rules[feature], state[feature]);
  return total;
}

/**
 * Index of the largest value (the predicted class), -1 when empty.
 * @param {ArrayLike<number>} values
 * @returns {number}
 */
export function argmax(values) {
  let best = -1;
  for (let i = 0; i < (values?.length ?? 0); i += 1) {
    if (best < 0 || values[i] > values[best]) best = i;
  }
  return best;
}

/**
 * Display name of a class, falling back to its index.
 * @param {string[]} classNames
 * @param {number} label
 * @returns {string}
 */
export function className(classNames, label) {
  const name = classNames?.[label];
  return name === undefined || name === null ? String(label) : String(name);
}

/**
 * Copy of a mask with one feature flipped between 1 (kept) and 0 (removed).
 * @param {ArrayLike<number>} state
 * @param {number} feature
 * @returns {number[]}
 */
export function toggledState(state, feature) {
  const next = Array.from(state, Number);
  if (feature >= 0 && feature < next.length) next[feature] = next[feature] === 0 ? 1 : 0;
  return next;
}

/**
 * The `k` features with the largest positive weights, largest first.
 * @param {Array<[number, number]>} weights
 * @param {number} k
 * @returns {Array<[number, number]>}
 */
export function topPositive(weights, k) {
  return weights
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, Math.max(0, Math.floor(k)));
}

/**
 * "Hide top-k positive" (Python's `hide_top(k)`): the original mask with the `k` most positive
 * features removed, i.e. the strongest evidence for the label.
 * @param {ArrayLike<number>} initialState
 * @param {Array<[number, number]>} weights
 * @param {number} k
 * @returns {number[]}
 */
export function hideTopPositive(initialState, weights, k) {
  const next = Array.from(initialState, Number);
  for (const [feature] of topPositive(weights, k)) next[feature] = 0;
  return next;
}

/**
 * "Keep only top-k" (Python's `keep_top(k)`): every feature removed except the `k` most positive.
 * @param {number} nFeatures
 * @param {Array<[number, number]>} weights
 * @param {number} k
 * @returns {number[]}
 */
export function keepTopPositive(nFeatures, weights, k) {
  const next = new Array(nFeatures).fill(0);
  for (const [feature] of topPositive(weights, k)) if (feature >= 0 && feature < nFeatures) next[feature] = 1;
  return next;
}

/**
 * All labels that have a surrogate, in the `labels` trait's order (else the explained ones).
 * @param {object} explanations The `explanations` trait.
 * @param {number[]} labels The `labels` trait.
 * @returns {number[]}
 */
export function explainedLabels(explanations, labels) {
  const entries = explanations ?? {};
  const listed = (labels ?? []).filter((label) => String(label) in entries);
  if (listed.length) return listed;
  return Object.keys(entries).map(Number);
}

/**
 * Number of weights of the longest explained label: the useful maximum of `num_features`.
 * @param {object} explanations The `explanations` trait.
 * @returns {number}
 */
export function largestWeightCount(explanations) {
  let count = 1;
  for (const entry of Object.values(explanations ?? {})) count = Math.max(count, entry.weights?.length ?? 0);
  return count;
}

/**
 * Whether Python has answered the current edit (CONTRACT.md, change 4): with a real output for
 * this `state_id`, or with an error for it (`error_state_id === state_id`, no longer pending).
 *
 * @param {object} traits
 * @param {number} traits.stateId
 * @param {number} traits.realStateId
 * @param {number} traits.realOutputLength
 * @param {boolean} traits.pending
 * @param {string} traits.error
 * @param {number} traits.errorStateId
 * @returns {{upToDate: boolean, failed: boolean, answered: boolean}}
 */
export function answerStatus({ stateId, realStateId, realOutputLength, pending, error, errorStateId }) {
  const upToDate = realStateId === stateId && realOutputLength > 0;
  const failed = !upToDate && error !== "" && !pending && errorStateId === stateId;
  return { upToDate, failed, answered: upToDate || failed };
}

/**
 * What the live panel says about the model, given whether Python answered the current edit and
 * whether the answer deadline ({@link NO_ANSWER_TIMEOUT_MS}) passed.
 *
 * @param {object} options
 * @param {boolean} options.isStatic No kernel (standalone page or no model).
 * @param {boolean} options.answered From {@link answerStatus}.
 * @param {boolean} options.pending The `pending` trait (also true during a counterfactual search).
 * @param {string} options.error The `error` trait.
 * @param {boolean} options.timedOut The deadline passed with no answer.
 * @returns {{waiting: boolean, showPending: boolean, surrogateOnly: boolean, text: string,
 *   surrogateName: string}}
 */
export function liveStatus({ isStatic, answered, pending, error, timedOut }) {
  const waiting = !isStatic && !answered && (pending || !timedOut);
  let text;
  if (isStatic) text = NO_LIVE_MODEL_TEXT;
  else if (waiting) text = "pending\u2026";
  else if (!answered) text = `${NO_LIVE_MODEL_TEXT} (no answer from the kernel)`;
  else if (error) text = "the model raised an error: showing its last good output";
  else text = "live model";
  return {
    waiting,
    showPending: !isStatic && (waiting || pending),
    surrogateOnly: isStatic || (!answered && !waiting),
    text,
    surrogateName: isStatic || timedOut ? "Surrogate estimate (no live model)" : "Surrogate estimate",
  };
}
