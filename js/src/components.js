// Components shared by the renderers: controls, the original output, weight charts, mask actions.
//
// Each takes the anywidget model (and the render's subscriptions, so that its listeners are removed
// on cleanup) and returns an element; the pure semantics live in logic.js.

import { button, commitOnEnter, commitState, enterToggles, h, uniqueId } from "./dom.js";
import {
  className,
  explainedLabels,
  formatNumber,
  formatSigned,
  hideTopPositive,
  keepTopPositive,
  labelEntry,
  largestWeightCount,
  maxAbsWeight,
} from "./logic.js";
import {
  chartScale,
  errorBarParts,
  errorLegend,
  reliabilityInfo,
  reliabilityLine,
  weightErrors,
} from "./reliability.js";

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
  });
  commitOnEnter(count, () => {
    const value = Math.round(Number(count.value));
    if (!Number.isFinite(value) || value < 1) {
      count.setAttribute("aria-invalid", "true");
      return;
    }
    count.removeAttribute("aria-invalid");
    if (value !== Number(model.get("num_features"))) {
      model.set("num_features", value);
      model.save_changes();
    }
    fillCount();
  });
  const countNote = h("span", { class: "lw-w-note", "data-testid": "lw-num-features-available" });
  const labelField = h("span", { class: "lw-w-field" }, [
    h("label", { for: labelId, text: model.get("mode") === "regression" ? "Output" : "Explain label" }),
    select,
  ]);
  const countField = h("span", { class: "lw-w-field" }, [
    h("label", { for: countId, text: "Features shown" }),
    count,
    countNote,
  ]);

  const fillLabels = () => {
    const classNames = model.get("class_names") ?? [];
    const isRegression = model.get("mode") === "regression";
    select.replaceChildren(
      ...explainedLabels(model.get("explanations"), model.get("labels")).map((label) =>
        h("option", { value: label, text: isRegression ? "predicted value" : className(classNames, label) }),
      ),
    );
    select.value = String(model.get("label"));
    // A single explained label needs no selector (regression: lime's one dummy label), but keep
    // it in the DOM for tests and layout.
    labelField.hidden = select.options.length <= 1 && isRegression;
  };
  const fillCount = () => {
    // Show what is really shown: asking for 10 of 5 conditions shows 5.
    const available = largestWeightCount(model.get("explanations"));
    const wanted = Number(model.get("num_features") ?? 10);
    count.max = String(available);
    count.value = String(Math.min(wanted, available));
    countNote.textContent = `of ${available}`;
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
 * Diverging bar chart of `[[feature, weight], ...]` (bars grow from the centre).
 *
 * With standard errors, each bar gets an error bar of ±2 standard errors (the scale then fits the
 * largest `|w| + 2 se`), a weight whose interval contains zero is drawn hatched and faded, and a note
 * under the chart says so. `reliability` adds the line with fidelity, stability and model queries.
 *
 * @param {object} options
 * @param {string} options.title
 * @param {Array<[number, number]>} options.items
 * @param {string[]} options.names Feature names by id.
 * @param {(feature: number) => boolean} [options.isOff] Greys out features that are removed.
 * @param {(feature: number) => void} [options.onToggle] Makes each row a button that calls it.
 * @param {(feature: number) => void} [options.onHover] Called with a row's feature when the pointer
 *   or the keyboard focus enters it, and with -1 when it leaves.
 * @param {Map<number, number>} [options.errors] Standard error by feature id (see `weightErrors`).
 * @param {object|null} [options.reliability] See `reliabilityInfo`.
 * @returns {HTMLElement}
 */
export function weightChart({
  title,
  items,
  names,
  isOff = () => false,
  onToggle = null,
  onHover = null,
  errors = new Map(),
  reliability = null,
}) {
  const scale = errors.size > 0 ? chartScale(items, errors) : maxAbsWeight(items);
  let anyErrors = false;
  let anyUncertain = false;
  const rows = items.map(([feature, weight]) => {
    const half = scale > 0 ? (Math.abs(weight) / scale) * 50 : 0;
    const name = names?.[feature] ?? `feature ${feature}`;
    const off = isOff(feature);
    const err = errorBarParts(weight, errors.get(feature), scale);
    anyErrors ||= err.bar !== null;
    anyUncertain ||= err.uncertain;
    const tooltip = `${name}: weight ${formatSigned(weight)}${err.tooltip}`;
    const children = [
      h("span", { class: "lw-w-name", title: String(name), text: String(name) }),
      h("span", { class: "lw-w-track", title: tooltip }, [
        h("span", { class: "lw-w-mid" }),
        h("span", {
          class:
            `lw-w-bar ${weight > 0 ? "lw-w-positive" : "lw-w-negative"}` +
            (err.uncertain ? " lw-w-uncertain" : ""),
          style: { left: `${(weight >= 0 ? 50 : 50 - half).toFixed(1)}%`, width: `${half.toFixed(1)}%` },
        }),
        ...(err.bar ? [err.bar] : []),
      ]),
      h("span", { class: "lw-w-val", title: tooltip, text: formatSigned(weight) + err.suffix }),
    ];
    const rowClass = `lw-w-row${off ? " lw-w-off" : ""}${err.uncertain ? " lw-w-row-uncertain" : ""}`;
    const hover = onHover
      ? {
          mouseenter: () => onHover(feature),
          mouseleave: () => onHover(-1),
          focus: () => onHover(feature),
          blur: () => onHover(-1),
        }
      : {};
    if (!onToggle) return h("div", { class: rowClass, dataset: { feature }, on: hover }, children);
    return h(
      "button",
      {
        type: "button",
        class: `${rowClass} lw-w-row-button`,
        dataset: { feature },
        "aria-pressed": off ? "true" : "false",
        title: off ? `restore ${name}` : `remove ${name}`,
        on: { click: () => onToggle(feature), ...hover },
      },
      children,
    );
  });
  const empty = items.length === 0 ? [h("div", { class: "lw-w-note", text: "no features to show" })] : [];
  const line = reliability ? reliabilityLine(reliability) : null;
  const legend = errorLegend(anyErrors, anyUncertain);
  return h("div", { class: `lw-w-panel lw-w-chart${anyErrors ? " lw-w-chart-err" : ""}` }, [
    h("div", { class: "lw-w-title", text: title }),
    ...(line ? [line] : []),
    h("div", { class: "lw-w-chart-rows", "data-testid": "lw-chart-rows" }, rows),
    ...empty,
    ...(legend ? [legend] : []),
  ]);
}

/**
 * The uncertainty options of `weightChart` for an explanation entry: its error bars and reliability.
 * @param {object} model
 * @param {object|null} entry The `explanations` entry of the selected label.
 */
export function uncertaintyOptions(model, entry) {
  return { errors: weightErrors(entry), reliability: reliabilityInfo(model, entry) };
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
  enterToggles(input);
  subscriptions.onChange([trait], () => {
    input.checked = Boolean(model.get(trait));
  });
  return h("span", { class: "lw-w-field" }, [input, h("label", { for: id, text })]);
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
