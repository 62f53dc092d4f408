import { afterEach, describe, expect, it } from "vitest";

import { weightChart } from "../src/components.js";
import {
  chartScale,
  errorBarSpan,
  fidelityTooltip,
  isUncertain,
  queriesTooltip,
  reliabilityItems,
  stabilityTooltip,
  weightErrors,
} from "../src/reliability.js";
import text from "../src/text.js";
import tabular from "../src/tabular.js";
import { EVIL_NAME, byTestId, createFakeModel } from "./fake-model.js";

afterEach(() => {
  document.body.replaceChildren();
});

describe("uncertainty logic", () => {
  it("reads standard errors and ignores missing or invalid ones", () => {
    const errors = weightErrors({
      weight_std: [
        [3, 0.1],
        [1, null],
        [2, -1],
        [4, Number.NaN],
      ],
    });
    expect([...errors]).toEqual([[3, 0.1]]);
    expect(weightErrors(null).size).toBe(0);
    expect(weightErrors({ weights: [] }).size).toBe(0);
  });

  it("calls a weight uncertain when its +-2 SE interval contains zero", () => {
    expect(isUncertain(0.5, 0.2)).toBe(false);
    expect(isUncertain(0.5, 0.25)).toBe(true); // the interval touches zero
    expect(isUncertain(-0.25, 0.15)).toBe(true);
    expect(isUncertain(-0.25, undefined)).toBe(false);
  });

  it("scales the chart so that every error bar fits", () => {
    const items = [
      [2, 0.5],
      [0, -0.25],
    ];
    const errors = new Map([
      [2, 0.05],
      [0, 0.15],
    ]);
    expect(chartScale(items, errors)).toBeCloseTo(0.6);
    const span = errorBarSpan(-0.25, 0.15, 0.6);
    expect(span.left).toBeCloseTo(4.1667);
    expect(span.width).toBeCloseTo(50);
    expect(errorBarSpan(0.1, 0.1, 0)).toEqual({ left: 50, width: 0 });
  });

  it("explains each number in plain words (the same words as the static HTML)", () => {
    expect(stabilityTooltip(0.82, 5)).toBe(
      "Stability 0.82: a rerun with the same budget is expected to share 82 % of the top-5 features " +
        "(expected Jaccard similarity of the two top-5 sets; 1 means the same features every time).",
    );
    expect(fidelityTooltip(0.9125)).toBe(
      "Held-out fidelity 0.91: on perturbed samples kept aside from the fit, the surrogate reproduces " +
        "91 % of the variation of the model's output (weighted R\u00b2; 1 is a perfect local fit, 0 or " +
        "less is no better than a constant).",
    );
    expect(fidelityTooltip(-0.2)).toContain("reproduces 0 % of the variation");
    expect(queriesTooltip(750)).toBe(
      "750 model queries: the explanation sent 750 perturbed instances to the model; more queries " +
        "give steadier weights.",
    );
  });

  it("leaves out what is not known", () => {
    expect(reliabilityItems({ fidelity: null, stability: undefined, numQueries: null })).toEqual([]);
    const items = reliabilityItems({ fidelity: 0.5, stability: null, stabilityK: 3, numQueries: 300 });
    expect(items.map((item) => item.text)).toEqual(["Fidelity 0.50", "300 model queries"]);
  });
});

describe("weight chart with error bars", () => {
  const items = [
    [2, 0.5],
    [0, -0.25],
  ];
  const names = ["a", "b", EVIL_NAME];

  it("draws +-2 SE error bars, hatches uncertain weights and says so", () => {
    const chart = weightChart({
      title: "t",
      items,
      names,
      errors: new Map([
        [2, 0.05],
        [0, 0.15],
      ]),
      reliability: { fidelity: 0.9125, stability: 0.82, stabilityK: 2, numQueries: 750 },
    });
    document.body.append(chart);
    const bars = chart.querySelectorAll('[data-testid="lw-error-bar"]');
    expect(bars).toHaveLength(2);
    expect([bars[0].dataset.low, bars[0].dataset.high].map(Number)).toEqual([0.4, 0.6]);
    expect(bars[1].style.left).toBe("4.2%");
    expect(bars[1].style.width).toBe("50.0%");
    const rows = chart.querySelectorAll(".lw-w-row");
    expect(rows[0].classList.contains("lw-w-row-uncertain")).toBe(false);
    expect(rows[1].classList.contains("lw-w-row-uncertain")).toBe(true);
    expect(rows[1].querySelector(".lw-w-bar").classList.contains("lw-w-uncertain")).toBe(true);
    expect(rows[1].querySelector(".lw-w-val").textContent).toBe("-0.250 \u00b10.300");
    expect(rows[1].querySelector(".lw-w-track").title).toBe(
      "a: weight -0.250 \u00b1 0.300 (2 standard errors); the interval contains zero, so even the " +
        "sign of this weight is uncertain",
    );
    // The bar widths use the scale that fits the error bars: 0.5 / 0.6 of the half track.
    expect(rows[0].querySelector(".lw-w-bar").style.width).toBe("41.7%");
    expect(byTestId(chart, "lw-error-legend").textContent).toContain("hatched: the interval contains zero");
    // The evil feature name stays text.
    expect(chart.querySelector("img")).toBeNull();
    expect(rows[0].querySelector(".lw-w-name").textContent).toBe(EVIL_NAME);
    const line = byTestId(chart, "lw-reliability");
    expect(line.textContent).toBe("Fidelity 0.91Stability 0.82750 model queries");
    expect(byTestId(chart, "lw-rel-stability").title).toBe(stabilityTooltip(0.82, 2));
    expect(byTestId(chart, "lw-rel-stability").getAttribute("aria-label")).toBe(stabilityTooltip(0.82, 2));
    expect(byTestId(chart, "lw-rel-stability").getAttribute("tabindex")).toBe("0");
  });

  it("looks as before without standard errors", () => {
    const chart = weightChart({ title: "t", items, names });
    expect(chart.querySelectorAll('[data-testid="lw-error-bar"]')).toHaveLength(0);
    expect(chart.querySelector('[data-testid="lw-error-legend"]')).toBeNull();
    expect(chart.querySelector('[data-testid="lw-reliability"]')).toBeNull();
    expect(chart.querySelector(".lw-w-bar").style.width).toBe("50.0%");
    expect(chart.querySelectorAll(".lw-w-val")[1].textContent).toBe("-0.250");
  });

  it("with no uncertain weight, the legend only explains the error bars", () => {
    const chart = weightChart({ title: "t", items, names, errors: new Map([[2, 0.01]]) });
    expect(chart.querySelectorAll('[data-testid="lw-error-bar"]')).toHaveLength(1);
    expect(byTestId(chart, "lw-error-legend").textContent).toBe("Error bars: \u00b12 standard errors.");
  });
});

function textModel(overrides = {}) {
  const weights = [
    [0, 0.4],
    [1, -0.05],
  ];
  return createFakeModel({
    kind: "text",
    mode: "classification",
    class_names: ["negative", "positive"],
    labels: [1, 0],
    explanations: {
      1: {
        intercept: 0.3,
        weights,
        score: 0.9,
        fidelity: 0.8,
        local_pred: 0.65,
        weight_std: [
          [0, 0.05],
          [1, 0.1],
        ],
        stability: 0.9,
        stability_k: 2,
      },
      0: {
        intercept: 0.7,
        weights: weights.map(([f, w]) => [f, -w]),
        score: 0.9,
        fidelity: 0.6,
        local_pred: 0.35,
        weight_std: [],
        stability: null,
        stability_k: 2,
      },
    },
    feature_names: ["good", "movie"],
    original_output: [0.3, 0.7],
    min_value: 0,
    max_value: 1,
    initial_state: [1, 1],
    state: [1, 1],
    state_id: 0,
    real_output: [0.3, 0.7],
    real_state_id: 0,
    surrogate_output: 0.65,
    pending: false,
    error: "",
    error_state_id: -1,
    counterfactual: {},
    counterfactual_request: 0,
    static: false,
    label: 1,
    num_features: 5,
    num_queries: 400,
    cache_hits: 0,
    real_from_cache: false,
    tokens: [
      ["good", 0],
      [" ", -1],
      ["movie", 1],
    ],
    bow: true,
    ...overrides,
  });
}

describe("the widgets show the uncertainty they are given", () => {
  it("text: error bars and the reliability line follow the selected label", () => {
    const model = textModel();
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = text.render({ model, el });
    expect(el.querySelectorAll('[data-testid="lw-error-bar"]')).toHaveLength(2);
    expect(el.querySelectorAll(".lw-w-row-uncertain")).toHaveLength(1); // -0.05 +- 0.2
    expect(byTestId(el, "lw-reliability").textContent).toBe("Fidelity 0.80Stability 0.90400 model queries");
    model.set("label", 0);
    expect(el.querySelectorAll('[data-testid="lw-error-bar"]')).toHaveLength(0);
    expect(byTestId(el, "lw-reliability").textContent).toBe("Fidelity 0.60400 model queries");
    cleanup();
  });

  it("text: the live panel says when an edit was answered from the cache", () => {
    const model = textModel();
    const el = document.createElement("div");
    document.body.append(el);
    text.render({ model, el });
    const note = byTestId(el, "lw-from-cache");
    expect(note.hidden).toBe(true);
    model.set("state", [0, 1]);
    model.set("state_id", 1);
    model.update("real_from_cache", true); // Python: the answer for state 1 came from the cache...
    expect(note.hidden).toBe(true); // ...but it has not published state 1 yet
    model.update("cache_hits", 1);
    model.update("real_output", [0.6, 0.4]);
    model.update("real_state_id", 1);
    expect(note.hidden).toBe(false);
    expect(note.textContent).toContain("answered from cache");
    expect(note.title).toBe("model answers reused by this widget so far: 1");
    model.set("state", [1, 1]);
    model.set("state_id", 2); // a new edit: the note waits for its answer
    expect(note.hidden).toBe(true);
  });

  it("tabular: the conditions chart gets error bars too", () => {
    const model = createFakeModel({
      kind: "tabular",
      mode: "regression",
      class_names: ["negative", "positive"],
      labels: [1],
      explanations: {
        1: {
          intercept: 1,
          weights: [[0, 2]],
          score: 0.9,
          fidelity: 0.7,
          local_pred: 3,
          weight_std: [[0, 0.5]],
          stability: 1,
          stability_k: 1,
        },
      },
      feature_names: ["x <= 1.00"],
      original_output: [3],
      min_value: 0,
      max_value: 5,
      initial_state: [0.5],
      state: [0.5],
      state_id: 0,
      real_output: [3],
      real_state_id: 0,
      surrogate_output: 3,
      pending: false,
      error: "",
      error_state_id: -1,
      counterfactual: {},
      counterfactual_request: 0,
      static: true,
      label: 1,
      num_features: 5,
      num_queries: null,
      features: [
        {
          name: "x",
          value: 0.5,
          display: "0.5",
          categorical: false,
          options: null,
          min: 0,
          max: 2,
          step: 0.1,
          rule: { type: "bin", low: null, high: 1 },
          condition: "x <= 1.00",
        },
      ],
    });
    const el = document.createElement("div");
    document.body.append(el);
    tabular.render({ model, el });
    expect(el.querySelectorAll('[data-testid="lw-error-bar"]')).toHaveLength(1);
    expect(byTestId(el, "lw-reliability").textContent).toBe("Fidelity 0.70Stability 1.00");
  });
});
