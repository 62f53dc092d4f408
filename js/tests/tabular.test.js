import { afterEach, describe, expect, it } from "vitest";

import widget, { featureRules, parseFeatureValue } from "../src/tabular.js";
import { EVIL_NAME, byTestId, createFakeModel } from "./fake-model.js";

// Three features covering the three rule types of TabularPerturbation.feature_rules().
const FEATURES = [
  {
    name: "sepal length (cm)",
    value: 5.5,
    display: "5.50",
    categorical: false,
    options: null,
    min: 4.3,
    max: 7.9,
    step: 0.1,
    rule: { type: "bin", lo: 5.1, hi: 5.8 },
    condition: "5.10 < sepal length (cm) <= 5.80",
  },
  {
    name: "colour",
    value: 1,
    display: "green",
    categorical: true,
    options: [
      [0, "red"],
      [1, "green"],
      [2, EVIL_NAME],
    ],
    min: 0,
    max: 2,
    step: 1,
    rule: { type: "equal", value: 1 },
    condition: "colour=green",
  },
  {
    name: "petal width (cm)",
    value: 1.2,
    display: "1.20",
    categorical: false,
    options: null,
    min: 0.1,
    max: 2.5,
    step: null,
    rule: { type: "scale", mean: 1.2, scale: 0.76 },
    condition: "petal width (cm)",
  },
];
const WEIGHTS_1 = [
  [0, 0.3],
  [2, -0.25],
  [1, 0.1],
];

function tabularState(overrides = {}) {
  return {
    kind: "tabular",
    mode: "classification",
    class_names: ["setosa", "versicolor", "virginica"],
    labels: [1, 2],
    explanations: {
      1: { intercept: 0.2, weights: WEIGHTS_1, score: 0.7, fidelity: 0.6, local_pred: 0.6 },
      2: { intercept: 0.1, weights: [[2, 0.5]], score: 0.7, fidelity: 0.6, local_pred: 0.1 },
    },
    feature_names: FEATURES.map((feature) => feature.condition),
    original_output: [0.1, 0.7, 0.2],
    min_value: 0,
    max_value: 1,
    initial_state: [5.5, 1, 1.2],
    state: [5.5, 1, 1.2],
    state_id: 0,
    real_output: [0.1, 0.7, 0.2],
    real_state_id: 0,
    surrogate_output: 0.6,
    pending: false,
    error: "",
    counterfactual: {},
    counterfactual_request: 0,
    counterfactual_cancel: 0,
    static: false,
    label: 1,
    num_features: 10,
    features: FEATURES,
    ...overrides,
  };
}

function mount(overrides) {
  const model = createFakeModel(tabularState(overrides));
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

const inputOf = (el, index) => el.querySelector(`[data-testid="lw-feature-input"][data-feature="${index}"]`);

function change(element, value) {
  element.value = value;
  element.dispatchEvent(new Event("change"));
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("tabular widget rendering", () => {
  it("shows a labelled editor per feature: number fields and a drop-down for categoricals", () => {
    const { el } = mount();
    const length = inputOf(el, 0);
    expect(length.tagName).toBe("INPUT");
    expect(length.type).toBe("number");
    expect([length.min, length.max, length.step, length.value]).toEqual(["4.3", "7.9", "0.1", "5.5"]);
    expect(inputOf(el, 2).step).toBe("any");
    const colour = inputOf(el, 1);
    expect(colour.tagName).toBe("SELECT");
    expect([...colour.options].map((option) => option.textContent)).toEqual(["red", "green", EVIL_NAME]);
    expect(colour.value).toBe("1");
    expect(el.querySelector("img")).toBeNull();
    for (const index of [0, 1, 2]) {
      const label = el.querySelector(`label[for="${inputOf(el, index).id}"]`);
      expect(label.textContent).toBe(FEATURES[index].name);
    }
  });

  it("charts the conditions of the selected label", () => {
    const { el } = mount();
    const names = [...el.querySelectorAll(".lw-w-chart .lw-w-row .lw-w-name")].map(
      (name) => name.textContent,
    );
    expect(names).toEqual(["5.10 < sepal length (cm) <= 5.80", "petal width (cm)", "colour=green"]);
    expect(el.textContent).toContain("Conditions for versicolor");
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.600");
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.700");
    expect(byTestId(el, "lw-difference").textContent).toBe("+0.100");
  });
});

describe("tabular what-if editing", () => {
  it("editing a number sends the new row and applies the bin rule to the estimate", () => {
    const { el, model } = mount();
    change(inputOf(el, 0), "6.0");
    expect(model.get("state")).toEqual([6, 1, 1.2]);
    expect(model.get("state_id")).toBe(1);
    expect(model.save_changes).toHaveBeenCalledTimes(1);
    expect(model.saved[0]).toEqual({ state: [6, 1, 1.2], state_id: 1 });
    // 6.0 is outside (5.1, 5.8]: the condition no longer holds, its weight drops out.
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.300");
    const row = el.querySelector('.lw-w-chart .lw-w-row[data-feature="0"]');
    expect(row.classList.contains("lw-w-off")).toBe(true);
    expect(el.querySelector('tr[data-feature="0"]').classList.contains("lw-w-edited")).toBe(true);
    expect(byTestId(el, "lw-pending").hidden).toBe(false);
    // Python answers.
    model.update("real_output", [0.3, 0.4, 0.3]);
    model.update("real_state_id", 1);
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.400");
    expect(byTestId(el, "lw-difference").textContent).toBe("+0.100");
  });

  it("the scale rule gives a continuous contribution", () => {
    const { el, model } = mount();
    change(inputOf(el, 2), "1.96");
    expect(model.get("state")).toEqual([5.5, 1, 1.96]);
    // z = (1.96 - 1.2) / 0.76 = 1 -> 0.6 - 0.25.
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.350");
    expect(el.querySelector('tr[data-feature="2"] td.lw-w-val').textContent).toBe("-0.250");
  });

  it("a categorical drop-down sends the raw code", () => {
    const { el, model } = mount();
    change(inputOf(el, 1), "2");
    expect(model.get("state")).toEqual([5.5, 2, 1.2]);
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.500");
  });

  it("an empty or invalid number is flagged and not sent", () => {
    const { el, model } = mount();
    change(inputOf(el, 0), "");
    expect(inputOf(el, 0).getAttribute("aria-invalid")).toBe("true");
    expect(model.save_changes).not.toHaveBeenCalled();
    expect(model.get("state_id")).toBe(0);
  });

  it("reset restores the original row", () => {
    const { el, model } = mount();
    change(inputOf(el, 0), "7");
    byTestId(el, "lw-reset").click();
    expect(model.get("state")).toEqual([5.5, 1, 1.2]);
    expect(model.get("state_id")).toBe(2);
    expect(inputOf(el, 0).value).toBe("5.5");
  });

  it("state set from Python (set_value) updates the inputs", () => {
    const { el, model } = mount();
    model.update("state", [4.5, 0, 1.2]);
    expect(inputOf(el, 0).value).toBe("4.5");
    expect(inputOf(el, 1).value).toBe("0");
  });

  it("switching label uses that label's weights", () => {
    const { el, model } = mount();
    change(byTestId(el, "lw-label-select"), "2");
    expect(model.get("label")).toBe(2);
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.100");
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.200");
  });
});

describe("tabular regression", () => {
  it("shows the value within min/max and hides lime's placeholder class names", () => {
    const { el, model } = mount({
      mode: "regression",
      class_names: ["negative", "positive"],
      labels: [1],
      label: 1,
      explanations: { 1: { intercept: 10, weights: WEIGHTS_1, score: 0.5, fidelity: 0.4, local_pred: 10.4 } },
      original_output: [12.5],
      real_output: [12.5],
      min_value: 5,
      max_value: 25,
    });
    expect(el.textContent).not.toContain("negative");
    expect(el.textContent).not.toContain("positive");
    expect(byTestId(el, "lw-label-select").closest(".lw-w-field").hidden).toBe(true);
    expect(byTestId(el, "lw-real-output").textContent).toBe("12.500");
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("10.400");
    expect(byTestId(el, "lw-difference").textContent).toBe("+2.100");
    const marker = el.querySelector(".lw-w-live .lw-w-marker");
    expect(marker.style.left).toBe("37.5%");
    expect(el.querySelector(".lw-w-live .lw-w-min").textContent).toBe("5.000");
    expect(el.querySelector(".lw-w-live .lw-w-max").textContent).toBe("25.000");
    change(inputOf(el, 0), "6");
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("10.100");
    model.update("real_output", [20]);
    model.update("real_state_id", 1);
    expect(el.querySelector(".lw-w-live .lw-w-marker").style.left).toBe("75.0%");
  });
});

describe("tabular helpers", () => {
  it("parses values and lists rules", () => {
    expect(parseFeatureValue("1.5")).toBe(1.5);
    expect(parseFeatureValue(" ")).toBeNull();
    expect(parseFeatureValue("abc")).toBeNull();
    expect(featureRules(FEATURES).map((rule) => rule.type)).toEqual(["bin", "equal", "scale"]);
  });
});
