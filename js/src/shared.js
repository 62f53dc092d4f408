// Helpers shared by the text, tabular and image renderers.
//
// Everything here is rendering and input only: the model is queried by Python (the widget observes
// `state_id`), the surrogate estimate is recomputed here so the view reacts instantly and keeps
// working with no kernel. User-provided text (tokens, feature and class names, values, error messages)
// only ever reaches the DOM through `textContent` or attributes, never through `innerHTML`.
//
// CSS classes use the `lw-w-` prefix: `_css` is global in JupyterLab and the static HTML views of the
// engine already use plain `lw-` names for their own layout.

/** Orange for weights that push towards the label, as in the static HTML and the image tint. */
export const POSITIVE_RGB = [232, 113, 10];
/** Blue for weights that push away from the label. */
export const NEGATIVE_RGB = [26, 115, 232];
/** Milliseconds without an answer after which the live panel says no live model is answering. */
export const NO_ANSWER_TIMEOUT_MS = 2000;
/** Status text shown when only the surrogate can be evaluated (static page, or no kernel answers). */
export const NO_LIVE_MODEL_TEXT = "no live model: surrogate estimate only";

// One counter per page, shared by the three kind bundles (each bundle has its own copy of this module).
const ID_COUNTER = Symbol.for("limewidgets.widgets.idCounter");

/**
 * A document-unique id for `<label for>` pairs (several widgets can share one page).
 * @param {string} stem
 * @returns {string}
 */
export function uniqueId(stem) {
  globalThis[ID_COUNTER] = (globalThis[ID_COUNTER] ?? 0) + 1;
  return `lw-w-${stem}-${globalThis[ID_COUNTER]}`;
}

/**
 * Create an element. Text children become text nodes, so user text is never parsed as HTML.
 *
 * @param {string} tag Element name.
 * @param {object} [props] `class`, `text`, `style` (object), `dataset` (object), `on` (object of
 *   listeners), `hidden`, `disabled`, `checked`, `value`; anything else is set as an attribute.
 * @param {Array<Node|string|null|undefined>} [children]
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, children = []) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = String(value);
    else if (key === "style") Object.assign(element.style, value);
    else if (key === "dataset") {
      for (const [name, item] of Object.entries(value)) element.dataset[name] = String(item);
    } else if (key === "on") {
      for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    } else if (key === "hidden" || key === "disabled" || key === "checked") element[key] = Boolean(value);
    else if (key === "value") element.value = String(value);
    else element.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

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

/**
 * CSS background for a weight: orange if positive, blue if negative; opacity grows with |w|/max|w|
 * (the same scale as the static HTML view). Zero weight gives a transparent colour.
 * @param {number} weight
 * @param {number} maxAbs Largest |weight| shown alongside.
 * @returns {string}
 */
export function weightColor(weight, maxAbs) {
  if (!weight || !(maxAbs > 0)) return "transparent";
  const relative = Math.min(1, Math.abs(weight) / maxAbs);
  const [r, g, b] = weight > 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r},${g},${b},${(0.12 + 0.68 * relative).toFixed(3)})`;
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
 * Send a new edit-space row to Python: set `state`, bump `state_id` (Python answers with
 * `real_state_id`; stale ids are skipped there), then one `save_changes` for both.
 * @param {object} model anywidget model.
 * @param {ArrayLike<number>} state
 */
export function commitState(model, state) {
  model.set("state", Array.from(state));
  model.set("state_id", Number(model.get("state_id") ?? 0) + 1);
  model.save_changes();
}

/**
 * Model listeners and timers that can all be removed by the render cleanup.
 * @param {object} model
 */
export function createSubscriptions(model) {
  const handlers = [];
  const timers = new Set();
  return {
    /**
     * Call `callback` on each `change:<name>` of the given traits.
     * @param {string[]} names
     * @param {Function} callback
     */
    onChange(names, callback) {
      for (const name of names) {
        const event = `change:${name}`;
        model.on(event, callback);
        handlers.push([event, callback]);
      }
    },
    /** setTimeout that is cancelled on dispose. */
    setTimeout(callback, ms) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        callback();
      }, ms);
      timers.add(timer);
      return timer;
    },
    clearTimeout(timer) {
      clearTimeout(timer);
      timers.delete(timer);
    },
    dispose() {
      for (const [event, callback] of handlers) model.off(event, callback);
      handlers.length = 0;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** All labels that have a surrogate, in the `labels` trait's order. */
function explainedLabels(model) {
  const explanations = model.get("explanations") ?? {};
  const labels = (model.get("labels") ?? []).filter((label) => String(label) in explanations);
  if (labels.length) return labels;
  return Object.keys(explanations).map(Number);
}

/** Number of weights of the longest explained label: the useful maximum of `num_features`. */
function largestWeightCount(model) {
  const explanations = model.get("explanations") ?? {};
  let count = 1;
  for (const entry of Object.values(explanations)) count = Math.max(count, entry.weights?.length ?? 0);
  return count;
}

/**
 * The label selector and `num_features` control; both write their trait and call `save_changes`.
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @returns {HTMLElement}
 */
export function buildControls(model, subscriptions) {
  const labelId = uniqueId("label");
  const countId = uniqueId("num-features");
  const select = h("select", {
    id: labelId,
    class: "lw-w-select",
    "data-testid": "lw-label-select",
    on: {
      change: () => {
        model.set("label", Number(select.value));
        model.save_changes();
      },
    },
  });
  const count = h("input", {
    id: countId,
    type: "number",
    min: 1,
    step: 1,
    class: "lw-w-number",
    "data-testid": "lw-num-features",
    on: {
      change: () => {
        const value = Math.round(Number(count.value));
        if (!Number.isFinite(value) || value < 1) {
          count.setAttribute("aria-invalid", "true");
          return;
        }
        count.removeAttribute("aria-invalid");
        model.set("num_features", value);
        model.save_changes();
      },
    },
  });
  const labelField = h("span", { class: "lw-w-field" }, [
    h("label", { for: labelId, text: model.get("mode") === "regression" ? "Output" : "Explain label" }),
    select,
  ]);
  const countField = h("span", { class: "lw-w-field" }, [
    h("label", { for: countId, text: "Features shown" }),
    count,
  ]);

  const fillLabels = () => {
    const classNames = model.get("class_names") ?? [];
    const isRegression = model.get("mode") === "regression";
    select.replaceChildren(
      ...explainedLabels(model).map((label) =>
        h("option", { value: label, text: isRegression ? "predicted value" : className(classNames, label) }),
      ),
    );
    select.value = String(model.get("label"));
    // A single explained label needs no selector, but keep it in the DOM for tests and layout.
    labelField.hidden = select.options.length <= 1 && isRegression;
  };
  const fillCount = () => {
    count.max = String(largestWeightCount(model));
    count.value = String(model.get("num_features") ?? 10);
  };
  fillLabels();
  fillCount();
  subscriptions.onChange(["labels", "class_names", "explanations", "label", "mode"], fillLabels);
  subscriptions.onChange(["num_features", "explanations"], fillCount);
  return h("div", { class: "lw-w-controls" }, [labelField, countField]);
}

/**
 * Horizontal bars of the model's class probabilities for the original instance (top 6), or the
 * regression value.
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @returns {HTMLElement}
 */
export function buildOriginalOutput(model, subscriptions) {
  const container = h("div", { class: "lw-w-panel lw-w-original" });
  const update = () => {
    const output = model.get("original_output") ?? [];
    const title = h("div", { class: "lw-w-title", text: "Model output for the original instance" });
    if (model.get("mode") === "regression") {
      container.replaceChildren(
        title,
        valueTrack(output[0], model.get("min_value"), model.get("max_value"), "original"),
      );
      return;
    }
    const classNames = model.get("class_names") ?? [];
    const order = Array.from(output.keys())
      .sort((a, b) => output[b] - output[a] || a - b)
      .slice(0, 6);
    container.replaceChildren(
      title,
      ...order.map((label) =>
        h("div", { class: "lw-w-row" }, [
          h("span", {
            class: "lw-w-name",
            title: className(classNames, label),
            text: className(classNames, label),
          }),
          h("span", { class: "lw-w-track" }, [
            h("span", {
              class: "lw-w-bar lw-w-proba-bar",
              style: { left: "0", width: `${(Math.max(0, Math.min(1, output[label])) * 100).toFixed(1)}%` },
            }),
          ]),
          h("span", { class: "lw-w-val", text: formatNumber(output[label]) }),
        ]),
      ),
    );
  };
  update();
  subscriptions.onChange(["original_output", "class_names", "mode", "min_value", "max_value"], update);
  return container;
}

/**
 * A track from `min` to `max` with a marker at `value` (regression).
 * @returns {HTMLElement}
 */
export function valueTrack(value, min, max, kind = "real") {
  const span = Number(max) - Number(min);
  const fraction = span > 0 ? (Number(value) - Number(min)) / span : 0.5;
  const percent = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) * 100 : 50;
  return h("div", { class: "lw-w-value-track", "data-marker": kind }, [
    h("span", { class: "lw-w-val lw-w-min", text: formatNumber(min) }),
    h("span", { class: "lw-w-track" }, [
      h("span", { class: `lw-w-marker lw-w-marker-${kind}`, style: { left: `${percent.toFixed(1)}%` } }),
    ]),
    h("span", { class: "lw-w-val lw-w-max", text: formatNumber(max) }),
    h("span", { class: "lw-w-value-text", text: formatNumber(value) }),
  ]);
}

/**
 * The live panel: the real model's output for the current state, the surrogate's estimate and
 * their difference, with pending / no-live-model status and the model's error.
 *
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @param {(entry: object, state: number[]) => number} estimate Surrogate estimate of a state for the
 *   explanation entry of the selected label.
 * @returns {{element: HTMLElement, update: () => void}}
 */
export function buildLivePanel(model, subscriptions, estimate) {
  const isRegression = () => model.get("mode") === "regression";
  const realName = h("span", { class: "lw-w-live-name" });
  const real = h("span", { class: "lw-w-live-value", "data-testid": "lw-real-output" });
  const predicted = h("span", { class: "lw-w-note", "data-testid": "lw-real-predicted" });
  const surrogateName = h("span", { class: "lw-w-live-name" });
  const surrogate = h("span", { class: "lw-w-live-value", "data-testid": "lw-surrogate-output" });
  const difference = h("span", { class: "lw-w-live-value", "data-testid": "lw-difference" });
  const status = h("div", { class: "lw-w-status", "data-testid": "lw-status", role: "status" });
  const pending = h("div", {
    class: "lw-w-pending",
    "data-testid": "lw-pending",
    text: "pending\u2026 waiting for the model",
    hidden: true,
  });
  const error = h("div", { class: "lw-w-error", "data-testid": "lw-error", role: "alert", hidden: true });
  const track = h("div", { class: "lw-w-live-track" });

  const element = h("div", { class: "lw-w-panel lw-w-live", "aria-live": "polite" }, [
    h("div", { class: "lw-w-title", text: "Edited instance" }),
    h("div", { class: "lw-w-live-row" }, [realName, real, predicted]),
    h("div", { class: "lw-w-live-row" }, [surrogateName, surrogate]),
    h("div", { class: "lw-w-live-row" }, [
      h("span", { class: "lw-w-live-name", text: "Difference (real \u2212 surrogate)" }),
      difference,
    ]),
    track,
    status,
    pending,
    error,
  ]);

  // Whether the kernel missed the answer deadline for the current state_id.
  let timedOut = false;
  let timer = null;
  let timerStateId = null;

  const update = () => {
    const label = Number(model.get("label"));
    const classNames = model.get("class_names") ?? [];
    const stateId = Number(model.get("state_id") ?? 0);
    const realStateId = Number(model.get("real_state_id"));
    const isStatic = Boolean(model.get("static"));
    const entry = labelEntry(model.get("explanations"), label);
    const state = model.get("state") ?? [];
    const estimateValue = entry ? estimate(entry, state) : Number.NaN;
    const realOutput = model.get("real_output") ?? [];
    const upToDate = realStateId === stateId && realOutput.length > 0;
    const realValue = isRegression() ? realOutput[0] : realOutput[label];

    realName.textContent = isRegression()
      ? "Real model: value"
      : `Real model: P(${className(classNames, label)})`;

    real.dataset.stateId = String(realStateId);
    real.classList.toggle("lw-w-stale", !upToDate);
    if (realOutput.length === 0) {
      real.textContent = "\u2013";
      real.title = "";
    } else {
      real.textContent = formatNumber(realValue);
      real.title = upToDate
        ? ""
        : `model output for an earlier edit (#${realStateId}); the current edit is #${stateId}`;
    }
    if (!isRegression() && realOutput.length > 0) {
      predicted.textContent = `predicted: ${className(classNames, argmax(realOutput))}`;
    } else predicted.textContent = "";
    surrogate.textContent = formatNumber(estimateValue);
    difference.textContent = upToDate ? formatSigned(realValue - estimateValue) : "\u2013";

    if (isRegression()) {
      track.replaceChildren(
        valueTrack(
          upToDate ? realValue : estimateValue,
          model.get("min_value"),
          model.get("max_value"),
          upToDate ? "real" : "surrogate",
        ),
      );
    } else track.replaceChildren();

    const errorText = String(model.get("error") ?? "");
    error.hidden = errorText === "";
    error.textContent = errorText === "" ? "" : `Model error: ${errorText}`;

    const pythonPending = Boolean(model.get("pending"));
    // A failed query leaves real_state_id on the last good state; `error_state_id` says which edit
    // the error answers (CONTRACT.md), so an error for the current edit is Python's answer to it.
    const failed =
      !upToDate &&
      errorText !== "" &&
      !pythonPending &&
      Number(model.get("error_state_id") ?? -1) === stateId;
    const answered = upToDate || failed;

    // The answer deadline restarts for every new state_id and stops once Python answers.
    if (answered || isStatic) {
      if (timer !== null) subscriptions.clearTimeout(timer);
      timer = null;
      timedOut = false;
    } else if (timerStateId !== stateId) {
      if (timer !== null) subscriptions.clearTimeout(timer);
      timedOut = false;
      timerStateId = stateId;
      timer = subscriptions.setTimeout(() => {
        timer = null;
        timedOut = true;
        update();
      }, NO_ANSWER_TIMEOUT_MS);
    }

    // After the deadline logic: a late answer resets timedOut.
    surrogateName.textContent =
      isStatic || timedOut ? "Surrogate estimate (no live model)" : "Surrogate estimate";
    const waiting = !isStatic && !answered && (pythonPending || !timedOut);
    // Python is also pending while it runs a counterfactual search for the current state.
    pending.hidden = isStatic || !(waiting || pythonPending);
    if (isStatic) status.textContent = NO_LIVE_MODEL_TEXT;
    else if (waiting) status.textContent = "pending\u2026";
    else if (!answered) status.textContent = `${NO_LIVE_MODEL_TEXT} (no answer from the kernel)`;
    else if (errorText) status.textContent = "the model raised an error: showing its last good output";
    else status.textContent = "live model";
    element.classList.toggle("lw-w-surrogate-only", isStatic || (!answered && !waiting));
  };

  update();
  subscriptions.onChange(
    [
      "state",
      "state_id",
      "real_output",
      "real_state_id",
      "pending",
      "error",
      "error_state_id",
      "label",
      "static",
      "explanations",
      "class_names",
      "mode",
      "min_value",
      "max_value",
    ],
    update,
  );
  return { element, update };
}

/**
 * Diverging bar chart of `[[feature, weight], ...]` (bars grow from the centre).
 *
 * @param {object} options
 * @param {string} options.title
 * @param {Array<[number, number]>} options.items
 * @param {string[]} options.names Feature names by id.
 * @param {(feature: number) => boolean} [options.isOff] Greys out features that are removed.
 * @param {(feature: number) => void} [options.onToggle] Makes each row a button that calls it.
 * @returns {HTMLElement}
 */
export function weightChart({ title, items, names, isOff = () => false, onToggle = null }) {
  const maxAbs = maxAbsWeight(items);
  const rows = items.map(([feature, weight]) => {
    const half = maxAbs > 0 ? (Math.abs(weight) / maxAbs) * 50 : 0;
    const name = names?.[feature] ?? `feature ${feature}`;
    const off = isOff(feature);
    const children = [
      h("span", { class: "lw-w-name", title: String(name), text: String(name) }),
      h("span", { class: "lw-w-track" }, [
        h("span", { class: "lw-w-mid" }),
        h("span", {
          class: `lw-w-bar ${weight > 0 ? "lw-w-positive" : "lw-w-negative"}`,
          style: { left: `${(weight >= 0 ? 50 : 50 - half).toFixed(1)}%`, width: `${half.toFixed(1)}%` },
        }),
      ]),
      h("span", { class: "lw-w-val", text: formatSigned(weight) }),
    ];
    const rowClass = `lw-w-row${off ? " lw-w-off" : ""}`;
    if (!onToggle) return h("div", { class: rowClass, dataset: { feature } }, children);
    return h(
      "button",
      {
        type: "button",
        class: `${rowClass} lw-w-row-button`,
        dataset: { feature },
        "aria-pressed": off ? "true" : "false",
        title: off ? `restore ${name}` : `remove ${name}`,
        on: { click: () => onToggle(feature) },
      },
      children,
    );
  });
  const empty = items.length === 0 ? [h("div", { class: "lw-w-note", text: "no features to show" })] : [];
  return h("div", { class: "lw-w-panel lw-w-chart" }, [
    h("div", { class: "lw-w-title", text: title }),
    ...rows,
    ...empty,
  ]);
}

/**
 * The counterfactual search button and its result. Clicking increments `counterfactual_request`;
 * Python runs the search and sets `counterfactual`.
 *
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @param {object} [options]
 * @param {string} [options.what] Plural noun for the features ("words", "superpixels").
 * @param {(features: number[]) => void} [options.onApply] Show the counterfactual as the state.
 * @returns {HTMLElement}
 */
export function buildCounterfactual(model, subscriptions, { what = "features", onApply = null } = {}) {
  // The request this view is waiting for; Python's answer carries the request it answers.
  let awaitedRequest = 0;
  let searching = false;
  const button = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual",
    text: "Find counterfactual",
    title: `find a small set of ${what} whose removal changes the predicted label`,
    on: {
      click: () => {
        searching = true;
        awaitedRequest = Number(model.get("counterfactual_request") ?? 0) + 1;
        model.set("counterfactual_request", awaitedRequest);
        model.save_changes();
        update();
      },
    },
  });
  const apply = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual-apply",
    text: "Show it",
    hidden: true,
  });
  const progress = h("span", { class: "lw-w-note", "data-testid": "lw-counterfactual-status" });
  const result = h("div", { class: "lw-w-cf-result", "data-testid": "lw-counterfactual-result" });
  if (onApply) {
    apply.addEventListener("click", () => onApply(model.get("counterfactual")?.features ?? []));
  }

  const update = () => {
    const isStatic = Boolean(model.get("static"));
    button.disabled = isStatic || searching;
    button.title = isStatic
      ? "needs a live model: run the notebook to search"
      : `find a small set of ${what} whose removal changes the predicted label`;
    progress.textContent = searching ? "searching\u2026" : isStatic ? "needs a live model" : "";
    const found = model.get("counterfactual") ?? {};
    if (!("found" in found)) {
      result.replaceChildren();
      apply.hidden = true;
      return;
    }
    const classNames = model.get("class_names") ?? [];
    const names = model.get("feature_names") ?? [];
    const lines = [];
    if (found.found) {
      const featureNames = (found.features ?? []).map((id) => names[id] ?? `feature ${id}`);
      const change =
        model.get("mode") === "regression"
          ? "changes the prediction"
          : `changes the prediction from ${className(classNames, found.label_before)} to ` +
            `${className(classNames, found.label_after)}`;
      lines.push(
        h("div", { text: `Removing ${featureNames.length} ${what} (${featureNames.join(", ")}) ${change}.` }),
      );
    } else lines.push(h("div", { text: "No counterfactual found." }));
    if (found.message) lines.push(h("div", { class: "lw-w-note", text: String(found.message) }));
    if (found.queries !== undefined) {
      lines.push(h("div", { class: "lw-w-note", text: `${found.queries} model queries` }));
    }
    result.replaceChildren(...lines);
    result.classList.toggle("lw-w-cf-found", Boolean(found.found));
    apply.hidden = !(found.found && onApply);
  };
  update();
  subscriptions.onChange(["counterfactual"], () => {
    const answered = Number(model.get("counterfactual")?.request ?? awaitedRequest);
    if (answered >= awaitedRequest) searching = false;
    update();
  });
  subscriptions.onChange(["error"], () => {
    // A failed search is reported through `error`; stop saying "searching".
    if (model.get("error")) searching = false;
    update();
  });
  subscriptions.onChange(["static", "class_names", "feature_names"], update);
  return h("div", { class: "lw-w-panel lw-w-cf" }, [
    h("div", { class: "lw-w-buttons" }, [button, apply, progress]),
    result,
  ]);
}

/**
 * A plain button.
 * @param {string} text
 * @param {() => void} onClick
 * @param {object} [props] Extra properties (e.g. `data-testid`, `title`).
 * @returns {HTMLButtonElement}
 */
export function button(text, onClick, props = {}) {
  return h("button", { type: "button", class: "lw-w-button", text, on: { click: onClick }, ...props });
}

/**
 * A labelled checkbox bound to a Bool trait.
 * @returns {HTMLElement}
 */
export function traitCheckbox(model, subscriptions, trait, text, onChange = null) {
  const id = uniqueId(trait);
  const input = h("input", {
    id,
    type: "checkbox",
    "data-testid": `lw-${trait.replaceAll("_", "-")}`,
    checked: Boolean(model.get(trait)),
    on: {
      change: () => {
        model.set(trait, input.checked);
        if (onChange) onChange(input.checked);
        model.save_changes();
      },
    },
  });
  subscriptions.onChange([trait], () => {
    input.checked = Boolean(model.get(trait));
  });
  return h("span", { class: "lw-w-field" }, [input, h("label", { for: id, text })]);
}

/**
 * The root element of a widget, replacing whatever `el` held.
 * @param {HTMLElement} el
 * @param {string} kind
 * @returns {HTMLElement}
 */
export function mountRoot(el, kind) {
  const root = h("div", { class: `lw-w-root lw-w-${kind}`, "data-kind": kind });
  el.replaceChildren(root);
  return root;
}

/**
 * The Reset / Hide top positive / Keep only top positive buttons of the mask widgets (text and
 * image), where the edit state is one keep-flag per feature.
 * `hideText` and `keepText` describe what the buttons do, in the widget's own words.
 */
export function buildMaskActions(model, { hideText, keepText }) {
  const entry = () => labelEntry(model.get("explanations"), Number(model.get("label")));
  const initial = () => model.get("initial_state") ?? [];
  const k = () => model.get("num_features") ?? 10;
  return h("div", { class: "lw-w-buttons" }, [
    button("Reset", () => commitState(model, initial()), { "data-testid": "lw-reset" }),
    button(
      "Hide top positive",
      () => commitState(model, hideTopPositive(initial(), entry()?.weights ?? [], k())),
      { "data-testid": "lw-hide-top", title: hideText },
    ),
    button(
      "Keep only top positive",
      () => commitState(model, keepTopPositive(initial().length, entry()?.weights ?? [], k())),
      { "data-testid": "lw-keep-top", title: keepText },
    ),
  ]);
}

/** Commit the original instance with `features` switched off (a counterfactual shown). */
export function removeFromOriginal(model, features) {
  const next = Array.from(model.get("initial_state") ?? [], Number);
  for (const feature of features) next[feature] = 0;
  commitState(model, next);
}
