import { describe, expect, it } from "vitest";

import { h, uniqueId } from "../src/dom.js";
import {
  applyRule,
  argmax,
  className,
  formatNumber,
  formatSigned,
  hideTopPositive,
  keepTopPositive,
  maskEstimate,
  selectFeatures,
  tabularEstimate,
  toggledState,
  topPositive,
  weightColor,
} from "../src/logic.js";
import { EVIL_NAME } from "./fake-model.js";

// Sorted by |w| descending, like the `explanations` trait.
const WEIGHTS = [
  [3, 0.5],
  [0, -0.4],
  [5, 0.3],
  [1, -0.2],
  [2, 0.1],
];

describe("formatting", () => {
  it("formats like the engine's static HTML", () => {
    expect(formatNumber(0.12345)).toBe("0.123");
    expect(formatNumber(0)).toBe("0.000");
    expect(formatNumber(0.0001234)).toBe("1.23e-4");
    expect(formatNumber(123456)).toBe("1.23e+5");
    expect(formatNumber(Number.NaN)).toBe("\u2013");
    expect(formatNumber(null)).toBe("\u2013");
    expect(formatSigned(0.5)).toBe("+0.500");
    expect(formatSigned(-0.5)).toBe("-0.500");
    expect(formatSigned(undefined)).toBe("\u2013");
  });

  it("colours positive orange and negative blue with alpha by relative size", () => {
    expect(weightColor(1, 1)).toBe("rgba(232,113,10,0.800)");
    expect(weightColor(-0.5, 1)).toBe("rgba(26,115,232,0.400)");
    expect(weightColor(0, 1)).toBe("transparent");
    // A weight of 1e-5 next to 0.2 is noise: not highlighted at all (was alpha 0.12).
    expect(weightColor(1e-5, 0.2)).toBe("transparent");
    expect(weightColor(-0.0099, 0.2)).toBe("transparent");
    expect(weightColor(0.02, 0.2)).toBe("rgba(232,113,10,0.080)");
    expect(weightColor(0.3, 0)).toBe("transparent");
  });

  it("names classes with a fallback to the index", () => {
    expect(className(["a", "b"], 1)).toBe("b");
    expect(className(["a"], 4)).toBe("4");
  });

  it("argmax picks the first maximum", () => {
    expect(argmax([0.1, 0.7, 0.7])).toBe(1);
    expect(argmax([])).toBe(-1);
  });
});

describe("h", () => {
  it("puts text in text nodes, never parses HTML", () => {
    const element = h("div", { text: EVIL_NAME, title: EVIL_NAME }, [EVIL_NAME, h("span", { text: "x" })]);
    expect(element.querySelector("img")).toBeNull();
    expect(element.textContent).toBe(`${EVIL_NAME}${EVIL_NAME}x`);
    expect(element.getAttribute("title")).toBe(EVIL_NAME);
  });

  it("sets dataset, listeners and boolean properties", () => {
    let clicks = 0;
    const element = h("button", {
      dataset: { feature: 7 },
      disabled: true,
      on: { click: () => (clicks += 1) },
    });
    expect(element.dataset.feature).toBe("7");
    expect(element.disabled).toBe(true);
    element.dispatchEvent(new Event("click"));
    expect(clicks).toBe(1);
  });

  it("makes unique ids", () => {
    expect(uniqueId("x")).not.toBe(uniqueId("x"));
  });
});

describe("feature selection (lime get_image_and_mask rules)", () => {
  it("takes the top k by |w| and drops those under min_weight", () => {
    expect(selectFeatures(WEIGHTS, 3)).toEqual([
      [3, 0.5],
      [0, -0.4],
      [5, 0.3],
    ]);
    expect(selectFeatures(WEIGHTS, 3, { minWeight: 0.35 })).toEqual([
      [3, 0.5],
      [0, -0.4],
    ]);
  });

  it("positive only / negative only keep k of that sign above min_weight", () => {
    expect(selectFeatures(WEIGHTS, 2, { positiveOnly: true })).toEqual([
      [3, 0.5],
      [5, 0.3],
    ]);
    expect(selectFeatures(WEIGHTS, 5, { positiveOnly: true, minWeight: 0.3 })).toEqual([[3, 0.5]]);
    expect(selectFeatures(WEIGHTS, 5, { negativeOnly: true })).toEqual([
      [0, -0.4],
      [1, -0.2],
    ]);
    expect(selectFeatures(WEIGHTS, 0)).toEqual([]);
  });
});

describe("surrogate estimates", () => {
  it("mask estimate is the intercept plus the weights still on", () => {
    const entry = { intercept: 0.25, weights: WEIGHTS };
    expect(maskEstimate(entry, [1, 1, 1, 1, 1, 1])).toBeCloseTo(0.25 + 0.5 - 0.4 + 0.3 - 0.2 + 0.1, 12);
    expect(maskEstimate(entry, [0, 1, 1, 0, 1, 1])).toBeCloseTo(0.25 - 0.2 + 0.1 + 0.3, 12);
    expect(maskEstimate(null, [1])).toBeNaN();
  });

  it("applies bin, equal and scale rules exactly", () => {
    const bin = { type: "bin", lo: 1, hi: 2 };
    expect([0.5, 1, 1.5, 2, 2.5].map((x) => applyRule(bin, x))).toEqual([0, 0, 1, 1, 0]);
    expect(applyRule({ type: "bin", lo: null, hi: 0.8 }, -100)).toBe(1);
    expect(applyRule({ type: "bin", lo: 0.8, hi: null }, 0.8)).toBe(0);
    expect(applyRule({ type: "bin", lo: 0.8, hi: null }, 1e9)).toBe(1);
    expect(applyRule({ type: "equal", value: 2 }, 2)).toBe(1);
    expect(applyRule({ type: "equal", value: 2 }, 3)).toBe(0);
    expect(applyRule({ type: "scale", mean: 1, scale: 2 }, 4)).toBe(1.5);
    expect(applyRule({ type: "mystery" }, 1)).toBeNaN();
  });

  it("tabular estimate sums weight times rule value", () => {
    const rules = [
      { type: "bin", lo: null, hi: 1 },
      { type: "equal", value: 3 },
      { type: "scale", mean: 10, scale: 5 },
    ];
    const entry = {
      intercept: 1,
      weights: [
        [2, 0.5],
        [0, -2],
        [1, 0.25],
      ],
    };
    expect(tabularEstimate(entry, rules, [0.5, 3, 20])).toBeCloseTo(1 - 2 + 0.25 + 0.5 * 2, 12);
    expect(tabularEstimate(entry, rules, [1.5, 4, 10])).toBeCloseTo(1, 12);
  });
});

describe("state edits (CONTRACT.md button semantics)", () => {
  it("toggles one feature and copies", () => {
    const state = [1, 1, 1];
    expect(toggledState(state, 1)).toEqual([1, 0, 1]);
    expect(toggledState([1, 0, 1], 1)).toEqual([1, 1, 1]);
    expect(state).toEqual([1, 1, 1]);
  });

  it("hide top-k positive starts from the original and removes the largest positive weights", () => {
    expect(topPositive(WEIGHTS, 5)).toEqual([
      [3, 0.5],
      [5, 0.3],
      [2, 0.1],
    ]);
    expect(hideTopPositive([1, 1, 1, 1, 1, 1], WEIGHTS, 2)).toEqual([1, 1, 1, 0, 1, 0]);
    expect(hideTopPositive([1, 1, 1, 1, 1, 1], WEIGHTS, 10)).toEqual([1, 1, 0, 0, 1, 0]);
  });

  it("keep only top-k positive removes every other feature", () => {
    expect(keepTopPositive(6, WEIGHTS, 2)).toEqual([0, 0, 0, 1, 0, 1]);
    expect(keepTopPositive(6, WEIGHTS, 0)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
