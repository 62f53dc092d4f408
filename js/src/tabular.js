// Tabular explanation widget: the conditions' weights and a what-if editor. Editing a value sends a
// new raw row to Python (which re-queries the model); the surrogate estimate applies each feature's
// rule (bin / equal / scale, exactly the explainer's interpretable representation) in the browser.

import { buildControls, buildOriginalOutput, uncertaintyOptions, weightChart } from "./components.js";
import { buildCounterfactual } from "./counterfactual.js";
import {
  button,
  commitOnEnter,
  commitState,
  createSubscriptions,
  h,
  mountRoot,
  replaceKeepingFocus,
  uniqueId,
} from "./dom.js";
import { buildLivePanel } from "./live.js";
import {
  applyRule,
  className,
  formatNumber,
  formatSigned,
  formatValue,
  labelEntry,
  selectFeatures,
  tabularEstimate,
} from "./logic.js";
import { withStaticFallback } from "./fallback.js";

export { mountStandalone } from "./standalone.js";

/**
 * The rules of every feature, from the `features` trait.
 * @param {Array<{rule: object}>} features
 * @returns {object[]}
 */
export function featureRules(features) {
  return (features ?? []).map((feature) => feature.rule);
}

/**
 * Parse what the user typed or picked for one feature.
 * @param {string} text
 * @returns {number|null} The number, or null if it is not a finite number.
 */
export function parseFeatureValue(text) {
  if (text === null || text === undefined || String(text).trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Whether a feature's condition still holds for `value` (scale rules always "hold"). */
function conditionHolds(rule, value) {
  return rule?.type === "scale" || applyRule(rule, value) !== 0;
}

/** The editor of one feature: a drop-down for categoricals, a number field otherwise. */
function featureInput(feature, index, id, onValue) {
  if (feature.categorical && Array.isArray(feature.options) && feature.options.length > 0) {
    const select = h(
      "select",
      {
        id,
        class: "lw-w-select",
        "data-testid": "lw-feature-input",
        dataset: { feature: index },
        on: {
          change: () => {
            const value = parseFeatureValue(select.value);
            if (value !== null) onValue(value);
          },
        },
      },
      feature.options.map(([raw, name]) => h("option", { value: String(raw), text: String(name) })),
    );
    return select;
  }
  const input = h("input", {
    id,
    type: "number",
    class: "lw-w-number",
    "data-testid": "lw-feature-input",
    dataset: { feature: index },
    min: feature.min ?? undefined,
    max: feature.max ?? undefined,
    step: feature.step ?? "any",
  });
  commitOnEnter(input, () => {
    const value = parseFeatureValue(input.value);
    if (value === null) {
      input.setAttribute("aria-invalid", "true");
      return;
    }
    input.removeAttribute("aria-invalid");
    onValue(value);
  });
  return input;
}

function render({ model, el }) {
  const subscriptions = createSubscriptions(model);
  const root = mountRoot(el, "tabular");

  const rules = () => featureRules(model.get("features"));
  const estimate = (entry, state) => tabularEstimate(entry, rules(), state);
  const currentEntry = () => labelEntry(model.get("explanations"), Number(model.get("label")));

  const setValue = (index, value) => {
    const next = Array.from(model.get("state") ?? [], Number);
    if (next[index] === value) return;
    next[index] = value;
    commitState(model, next);
  };

  const chartSlot = h("div", { class: "lw-w-chart-slot" });
  const tableBody = h("tbody");
  const table = h("table", { class: "lw-w-table" }, [
    h("caption", { class: "lw-w-title", text: "What if? Edit a value to re-query the model" }),
    h("thead", {}, [
      h("tr", {}, [
        h("th", { scope: "col", text: "Feature" }),
        h("th", { scope: "col", text: "Value" }),
        h("th", { scope: "col", text: "Original" }),
        h("th", { scope: "col", text: "Contribution" }),
      ]),
    ]),
    tableBody,
  ]);
  let rows = [];

  const buildTable = () => {
    rows = (model.get("features") ?? []).map((feature, index) => {
      const id = uniqueId("feature");
      const input = featureInput(feature, index, id, (value) => setValue(index, value));
      const contribution = h("td", { class: "lw-w-val" });
      const row = h("tr", { dataset: { feature: index } }, [
        h("th", { scope: "row" }, [
          h("label", { for: id, text: String(feature.name ?? `feature ${index}`) }),
        ]),
        h("td", {}, [input]),
        h("td", {
          class: "lw-w-note",
          "data-testid": "lw-original-value",
          // Categories by name; numbers in full (the engine's display rounds to 2 decimals).
          text: feature.categorical ? String(feature.display ?? feature.value) : formatValue(feature.value),
        }),
        contribution,
      ]);
      return { row, input, contribution, feature };
    });
    tableBody.replaceChildren(...rows.map((entry) => entry.row));
  };

  const paint = () => {
    const state = model.get("state") ?? [];
    const entry = currentEntry();
    const weights = new Map(entry?.weights ?? []);
    for (const [index, { row, input, contribution, feature }] of rows.entries()) {
      const value = state[index];
      if (document.activeElement !== input) input.value = String(value);
      const edited = Number(value) !== Number(model.get("initial_state")?.[index]);
      row.classList.toggle("lw-w-edited", edited);
      if (weights.has(index)) {
        const z = applyRule(feature.rule, value);
        contribution.textContent = formatSigned(weights.get(index) * z);
        contribution.title = `weight ${formatSigned(weights.get(index))} \u00d7 ${formatNumber(z)}`;
      } else {
        contribution.textContent = "";
        contribution.title = "not in the explanation";
      }
    }
    const ruleList = rules();
    const label = className(model.get("class_names") ?? [], Number(model.get("label")));
    replaceKeepingFocus(
      chartSlot,
      weightChart({
        title: model.get("mode") === "regression" ? "Conditions" : `Conditions for ${label}`,
        items: selectFeatures(entry?.weights ?? [], model.get("num_features") ?? 10),
        names: model.get("feature_names") ?? [],
        // A condition that no longer holds for the edited value contributes nothing.
        isOff: (feature) => !conditionHolds(ruleList[feature], state[feature]),
        ...uncertaintyOptions(model, entry),
      }),
    );
  };

  const live = buildLivePanel(model, subscriptions, estimate);
  const counterfactual = buildCounterfactual(model, subscriptions, {
    what: "values",
    applyText: "Apply",
    searchTitle:
      "find the smallest change of values (within the training range, real categories) that " +
      "changes the prediction, checked with the real model",
    // A what-if edit like any other: the state becomes the counterfactual's row.
    onApply: (features, found) => {
      if (Array.isArray(found.state)) commitState(model, found.state);
    },
  });
  root.append(
    buildControls(model, subscriptions),
    h("div", { class: "lw-w-columns" }, [
      h("div", { class: "lw-w-main" }, [
        chartSlot,
        h("div", { class: "lw-w-panel" }, [
          table,
          h("div", { class: "lw-w-buttons" }, [
            button("Reset", () => commitState(model, model.get("initial_state") ?? []), {
              "data-testid": "lw-reset",
            }),
          ]),
        ]),
      ]),
      h("div", { class: "lw-w-side" }, [
        buildOriginalOutput(model, subscriptions),
        live.element,
        counterfactual,
      ]),
    ]),
  );

  buildTable();
  paint();
  subscriptions.onChange(["features"], () => {
    buildTable();
    paint();
  });
  subscriptions.onChange(
    ["state", "label", "num_features", "explanations", "feature_names", "class_names", "initial_state"],
    paint,
  );

  return () => {
    subscriptions.dispose();
    el.replaceChildren();
  };
}

export default { render: withStaticFallback(render) };
