// Issue 9 UX: tabular counterfactual panel, Enter commits number fields, focus kept on rebuilt chart
// rows, the image widget's instruction / legend / hover / ids / keyboard, and the smaller defects.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

import { afterEach, describe, expect, it, vi } from "vitest";

import imageWidget from "../src/image.js";
import tabularWidget from "../src/tabular.js";
import textWidget from "../src/text.js";
import { mountStandalone } from "../src/standalone.js";
import { formatValue, surrogateHint } from "../src/logic.js";
import { byTestId, createFakeModel } from "./fake-model.js";

const CSS = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "../src/widgets.css"),
  "utf8",
);

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

function mountWith(widget, state) {
  const model = createFakeModel(state);
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

function pressEnter(element) {
  element.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
}

// ---- tabular --------------------------------------------------------------------------------------

const FEATURES = [
  {
    name: "fee",
    value: -0.035967,
    display: "-0.04",
    categorical: false,
    options: null,
    min: -1,
    max: 1,
    step: 0.01,
    rule: { type: "scale", mean: 0, scale: 0.5 },
    condition: "fee",
  },
  {
    name: "plan",
    value: 1,
    display: "basic",
    categorical: true,
    options: [
      [0, "free"],
      [1, "basic"],
      [2, "pro"],
    ],
    min: 0,
    max: 2,
    step: null,
    rule: { type: "equal", value: 1 },
    condition: "plan=basic",
  },
];

function tabularState(overrides = {}) {
  return {
    kind: "tabular",
    mode: "classification",
    class_names: ["stays", "churns"],
    labels: [1],
    explanations: {
      1: {
        intercept: 0.9,
        weights: [
          [0, 0.4],
          [1, 0.3],
        ],
        score: 0.7,
        fidelity: 0.6,
        local_pred: 0.6,
      },
    },
    feature_names: FEATURES.map((f) => f.condition),
    original_output: [0.3, 0.7],
    min_value: 0,
    max_value: 1,
    initial_state: [-0.035967, 1],
    state: [-0.035967, 1],
    state_id: 0,
    real_output: [0.3, 0.7],
    real_state_id: 0,
    surrogate_output: 0.6,
    pending: false,
    error: "",
    error_state_id: -1,
    counterfactual: {},
    counterfactual_request: 0,
    counterfactual_threshold: null,
    static: false,
    label: 1,
    num_features: 10,
    features: FEATURES,
    ...overrides,
  };
}

const TABULAR_RESULT = {
  found: true,
  searched: "change",
  features: [1],
  changes: [{ feature: 1, name: "plan", from: 1, to: 2, from_display: "basic", to_display: "pro" }],
  state: [-0.035967, 2],
  label_before: 1,
  label_after: 0,
  output_after: [0.8, 0.2],
  queries: 9,
  reused: 2,
  message: "changing plan from basic to pro changes the prediction from 'churns' to 'stays'; ...",
  label: 1,
  request: 1,
};

describe("tabular counterfactual", () => {
  it("asks Python, lists the proposed change once and applies it as a what-if edit", () => {
    const { el, model } = mountWith(tabularWidget, tabularState());
    const search = byTestId(el, "lw-counterfactual");
    expect(search.title).toContain("smallest change of values");
    search.click();
    expect(model.get("counterfactual_request")).toBe(1);
    model.update("counterfactual", TABULAR_RESULT);
    const result = byTestId(el, "lw-counterfactual-result");
    expect(result.firstChild.textContent).toBe(
      "Changing 1 value changes the prediction from churns to stays:",
    );
    expect(byTestId(el, "lw-counterfactual-changes").textContent).toBe("plan: basic \u2192 pro");
    expect(result.textContent).toContain("verified with 9 model queries (2 answers reused)");
    expect(result.textContent).not.toContain("changing plan from basic");
    const apply = byTestId(el, "lw-counterfactual-apply");
    expect(apply.hidden).toBe(false);
    expect(apply.textContent).toBe("Apply");
    apply.click();
    expect(model.get("state")).toEqual([-0.035967, 2]);
    expect(model.get("state_id")).toBe(1);
    expect(model.saved.at(-1)).toEqual({ state: [-0.035967, 2], state_id: 1 });
    // The editor shows the applied value.
    expect(el.querySelector('[data-testid="lw-feature-input"][data-feature="1"]').value).toBe("2");
  });

  it("regression: an editable threshold, committed by Enter, and the value it moves to", () => {
    const { el, model } = mountWith(
      tabularWidget,
      tabularState({ mode: "regression", labels: [1], counterfactual_threshold: 12.5 }),
    );
    const field = byTestId(el, "lw-counterfactual-threshold");
    expect(field.closest(".lw-w-field").hidden).toBe(false);
    expect(field.value).toBe("12.5");
    field.value = "20";
    pressEnter(field);
    expect(model.get("counterfactual_threshold")).toBe(20);
    expect(model.saved.at(-1)).toEqual({ counterfactual_threshold: 20 });
    model.update("counterfactual", {
      ...TABULAR_RESULT,
      label_before: 0,
      label_after: 1,
      output_after: [21.5],
    });
    expect(byTestId(el, "lw-counterfactual-result").firstChild.textContent).toBe(
      "Changing 1 value moves the value to 21.500 (at or above the threshold 20.000):",
    );
  });

  it("classification has no threshold field", () => {
    const { el } = mountWith(tabularWidget, tabularState());
    expect(byTestId(el, "lw-counterfactual-threshold").closest(".lw-w-field").hidden).toBe(true);
  });
});

describe("number fields commit on Enter (JupyterLab does not blur on Enter)", () => {
  it("tabular value", () => {
    const { el, model } = mountWith(tabularWidget, tabularState());
    const input = el.querySelector('[data-testid="lw-feature-input"][data-feature="0"]');
    input.value = "0.25";
    pressEnter(input);
    expect(model.get("state")).toEqual([0.25, 1]);
    expect(model.get("state_id")).toBe(1);
    // The later blur fires `change` with the same value: no second edit.
    input.dispatchEvent(new Event("change"));
    expect(model.get("state_id")).toBe(1);
  });

  it("Features shown", () => {
    const { el, model } = mountWith(tabularWidget, tabularState({ num_features: 1 }));
    const count = byTestId(el, "lw-num-features");
    count.value = "2";
    pressEnter(count);
    expect(model.get("num_features")).toBe(2);
    expect(el.querySelectorAll(".lw-w-chart .lw-w-row")).toHaveLength(2);
  });

  it("Min |weight|", () => {
    const { el, model } = mountWith(imageWidget, imageState());
    const field = byTestId(el, "lw-min-weight");
    field.value = "0.3";
    pressEnter(field);
    expect(model.get("min_weight")).toBe(0.3);
  });
});

describe("Enter works on every control", () => {
  it("toggles checkboxes (Space does natively)", async () => {
    const { el, model, cleanup } = mountWith(imageWidget, imageState());
    await cleanup.ready;
    const box = byTestId(el, "lw-hide-rest");
    pressEnter(box);
    expect(box.checked).toBe(true);
    expect(model.get("hide_rest")).toBe(true);
    pressEnter(box);
    expect(model.get("hide_rest")).toBe(false);
    const ids = byTestId(el, "lw-show-ids");
    pressEnter(ids);
    expect(ids.checked).toBe(true);
  });
});

describe("smaller defects", () => {
  it("shows tabular values in full: -0.035967, not -0.04 / -0.00", () => {
    const { el } = mountWith(tabularWidget, tabularState());
    expect(byTestId(el, "lw-original-value").textContent).toBe("-0.035967");
    expect(el.querySelector('[data-testid="lw-feature-input"][data-feature="0"]').value).toBe("-0.035967");
    expect(formatValue(-0.0000412)).toBe("-0.0000412");
    expect(formatValue(1001)).toBe("1001");
    expect(formatValue(0)).toBe("0");
    // and the field is wide enough for it
    expect(CSS).toMatch(/\.lw-w-table \.lw-w-number\s*{\s*width: 9em;/);
  });

  it("'Features shown' says how many there really are", () => {
    const { el } = mountWith(tabularWidget, tabularState({ num_features: 10 }));
    expect(byTestId(el, "lw-num-features").value).toBe("2");
    expect(byTestId(el, "lw-num-features-available").textContent).toBe("of 2");
  });

  it("regression hides the one-option Output selector, and [hidden] beats .lw-w-field's display", () => {
    const { el } = mountWith(tabularWidget, tabularState({ mode: "regression" }));
    expect(byTestId(el, "lw-label-select").closest(".lw-w-field").hidden).toBe(true);
    expect(CSS).toMatch(/\.lw-w-root \[hidden\]\s*{\s*display: none !important;/);
  });

  it("a long chart scrolls inside a capped box", () => {
    const many = Array.from({ length: 500 }, (_, i) => [i, 1 / (i + 1)]);
    const { el } = mountWith(
      textWidget,
      textState({ explanations: { 1: { intercept: 0, weights: many } }, num_features: 500 }),
    );
    const rows = el.querySelector('[data-testid="lw-chart-rows"]');
    expect(rows.querySelectorAll(".lw-w-row")).toHaveLength(500);
    expect(CSS).toMatch(/\.lw-w-chart-rows\s*{\s*max-height: 440px;\s*overflow-y: auto;/);
  });

  it("explains a probability estimate outside [0, 1]", () => {
    const { el } = mountWith(tabularWidget, tabularState());
    // 0.9 + 0.4 * (-0.035967 / 0.5) + 0.3 = 1.171
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("1.171");
    const hint = byTestId(el, "lw-surrogate-hint");
    expect(hint.hidden).toBe(false);
    expect(hint.textContent).toContain("outside [0, 1] because the surrogate is linear");
    expect(surrogateHint(-0.047, "classification")).not.toBe("");
    expect(surrogateHint(0.5, "classification")).toBe("");
    expect(surrogateHint(7, "regression")).toBe("");
  });

  it("the offline page shows the original's real output after Reset, not the last saved one", async () => {
    const state = tabularState({
      static: true,
      state: [0.5, 1],
      state_id: 3,
      real_output: [0.9, 0.1],
      real_state_id: 3,
    });
    const el = document.createElement("div");
    document.body.append(el);
    mountStandalone(tabularWidget, state, el);
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.100");
    byTestId(el, "lw-reset").click();
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.700");
    expect(byTestId(el, "lw-real-output").classList.contains("lw-w-stale")).toBe(false);
  });
});

// ---- text: focus -----------------------------------------------------------------------------------

function textState(overrides = {}) {
  return {
    kind: "text",
    mode: "classification",
    class_names: ["negative", "positive"],
    labels: [1],
    explanations: {
      1: {
        intercept: 0.3,
        weights: [
          [0, 0.4],
          [1, -0.2],
        ],
        score: 0.7,
        fidelity: 0.6,
        local_pred: 0.5,
      },
    },
    feature_names: ["good", "bad"],
    tokens: [
      ["good", 0],
      [" ", -1],
      ["bad", 1],
    ],
    bow: true,
    original_output: [0.4, 0.6],
    min_value: 0,
    max_value: 1,
    initial_state: [1, 1],
    state: [1, 1],
    state_id: 0,
    real_output: [0.4, 0.6],
    real_state_id: 0,
    surrogate_output: 0.5,
    pending: false,
    error: "",
    error_state_id: -1,
    counterfactual: {},
    counterfactual_request: 0,
    static: false,
    label: 1,
    num_features: 10,
    ...overrides,
  };
}

describe("focus stays where it was after an update", () => {
  it("a chart row activated by keyboard keeps the focus although the chart is rebuilt", () => {
    const { el, model } = mountWith(textWidget, textState());
    const row = el.querySelector('.lw-w-chart button[data-feature="1"]');
    row.focus();
    row.click(); // Enter / Space on a <button> is a click
    expect(model.get("state")).toEqual([1, 0]);
    const rebuilt = el.querySelector('.lw-w-chart button[data-feature="1"]');
    expect(rebuilt).not.toBe(row);
    expect(document.activeElement).toBe(rebuilt);
    expect(rebuilt.getAttribute("aria-pressed")).toBe("true");
    // ... also when Python changes something that rebuilds the chart.
    model.update("label", 1);
    model.update("explanations", { ...model.get("explanations") });
    expect(document.activeElement.dataset.feature).toBe("1");
  });
});

// ---- image -----------------------------------------------------------------------------------------

const WIDTH = 6;
const HEIGHT = 4;
// prettier-ignore
const SEGMENTS = [
  0, 0, 1, 1, 2, 2,
  0, 0, 1, 1, 2, 2,
  0, 0, 1, 1, 2, 2,
  0, 0, 0, 1, 2, 2,
];

function encodeSegmentMap(values) {
  const raw = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => raw.writeUInt16LE(value, i * 2));
  const compressed = deflateSync(raw);
  return new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}

function imageState(overrides = {}) {
  return {
    kind: "image",
    mode: "classification",
    class_names: ["cat", "dog"],
    labels: [1],
    explanations: {
      1: {
        intercept: 0.2,
        weights: [
          [0, 0.5],
          [2, -0.25],
        ],
        score: 0.8,
        fidelity: 0.7,
        local_pred: 0.45,
      },
    },
    feature_names: ["superpixel 1", "superpixel 2", "superpixel 3"],
    original_output: [0.4, 0.6],
    min_value: 0,
    max_value: 1,
    initial_state: [1, 1, 1],
    state: [1, 1, 1],
    state_id: 0,
    real_output: [0.4, 0.6],
    real_state_id: 0,
    surrogate_output: 0.45,
    pending: false,
    error: "",
    error_state_id: -1,
    counterfactual: {},
    counterfactual_request: 0,
    static: false,
    label: 1,
    num_features: 5,
    image_data: new DataView(new Uint8Array([0xff, 0xd8, 0xff]).buffer),
    image_format: "jpeg",
    hidden_data: new DataView(new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer),
    segment_map: encodeSegmentMap(SEGMENTS),
    width: WIDTH,
    height: HEIGHT,
    n_segments: 3,
    positive_only: false,
    negative_only: false,
    hide_rest: false,
    min_weight: 0,
    ...overrides,
  };
}

/** A fake 2D context: decoded photo 200, hide colour 10; records drawn text and the last image. */
function installFakeCanvas() {
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function getContext() {
    if (!this.fakeContext) {
      this.fakeContext = {
        source: null,
        shown: null,
        texts: [],
        drawImage(source) {
          this.source = source;
        },
        getImageData(x, y, w, h) {
          const value = this.source.type === "image/png" ? 10 : 200;
          return { data: new Uint8ClampedArray(w * h * 4).fill(value), width: w, height: h };
        },
        createImageData(w, h) {
          return { data: new Uint8ClampedArray(w * h * 4), width: w, height: h };
        },
        putImageData(imageData) {
          this.shown = imageData;
          this.texts = [];
        },
        save() {},
        restore() {},
        strokeText() {},
        fillText(text, x, y) {
          this.texts.push([text, x, y]);
        },
      };
    }
    return this.fakeContext;
  });
  vi.stubGlobal(
    "createImageBitmap",
    vi.fn(async (blob) => ({ type: blob.type, close: vi.fn() })),
  );
}

function shownPixel(canvas, x, y) {
  const data = canvas.fakeContext.shown.data;
  const o = (y * WIDTH + x) * 4;
  return [data[o], data[o + 1], data[o + 2]];
}

describe("image widget explains itself", () => {
  it("says it is clickable, has a legend and a canvas with a role and a label", async () => {
    const { el, cleanup } = mountWith(imageWidget, imageState());
    await cleanup.ready;
    expect(byTestId(el, "lw-image-instruction").textContent).toContain(
      "Click a superpixel to hide it from the model",
    );
    const legend = byTestId(el, "lw-image-legend").textContent;
    for (const words of ["orange tint", "blue tint", "yellow lines", "magenta outline", "hatched", "faded"]) {
      expect(legend).toContain(words);
    }
    const canvas = byTestId(el, "lw-canvas");
    expect(canvas.getAttribute("role")).toBe("img");
    expect(canvas.getAttribute("aria-label")).toContain("click a superpixel");
    expect(canvas.tabIndex).toBe(0);
  });

  it("hovering a chart row outlines its superpixel; hovering the image marks its row", async () => {
    installFakeCanvas();
    const { el, cleanup } = mountWith(imageWidget, imageState());
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    expect(shownPixel(canvas, 4, 1)).not.toEqual([0, 220, 255]);
    const row = el.querySelector('.lw-w-chart button[data-feature="2"]');
    row.dispatchEvent(new MouseEvent("mouseenter"));
    expect(canvas.dataset.hovered).toBe("2");
    expect(shownPixel(canvas, 4, 1)).toEqual([0, 220, 255]);
    row.dispatchEvent(new MouseEvent("mouseleave"));
    expect(shownPixel(canvas, 4, 1)).not.toEqual([0, 220, 255]);

    // Pointer over pixel (0, 0): superpixel 0's row is marked, the other is not.
    canvas.dispatchEvent(new MouseEvent("mousemove", { clientX: 0.5, clientY: 0.5 }));
    expect(el.querySelector('.lw-w-chart button[data-feature="0"]').classList.contains("lw-w-hover")).toBe(
      true,
    );
    expect(el.querySelector('.lw-w-chart button[data-feature="2"]').classList.contains("lw-w-hover")).toBe(
      false,
    );
    expect(canvas.title).toContain("superpixel 1: weight +0.500");
    canvas.dispatchEvent(new MouseEvent("mouseleave"));
    expect(el.querySelector(".lw-w-hover")).toBeNull();
  });

  it("shows the superpixel ids on demand, as the chart names them", async () => {
    installFakeCanvas();
    const { el, cleanup } = mountWith(imageWidget, imageState());
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    expect(canvas.fakeContext.texts).toEqual([]);
    const toggle = byTestId(el, "lw-show-ids");
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change"));
    expect(canvas.fakeContext.texts.map(([text]) => text)).toEqual(["1", "2", "3"]);
    const [, x, y] = canvas.fakeContext.texts[2];
    expect(SEGMENTS[y * WIDTH + x]).toBe(2);
  });

  it("draws 'Hide the rest' (view only) unlike superpixels hidden from the model", async () => {
    installFakeCanvas();
    const { el, model, cleanup } = mountWith(imageWidget, imageState({ state: [1, 0, 1] }));
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    // Superpixel 1 hidden from the model: the hide colour (10); hatching is checked in image.test.js.
    expect(shownPixel(canvas, 2, 1)).toEqual([10, 10, 10]);
    model.update("positive_only", true);
    model.update("hide_rest", true);
    // Superpixel 2 is not positive: hidden from view only, a faded photo (200 -> 200 + 38 * 0.8).
    expect(shownPixel(canvas, 5, 2)).toEqual([230, 230, 230]);
    expect(model.get("state")).toEqual([1, 0, 1]); // nothing sent to the model
  });

  it("keyboard on the canvas: arrows pick a superpixel, Enter hides it", async () => {
    const { el, model, cleanup } = mountWith(imageWidget, imageState());
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    canvas.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", cancelable: true }));
    expect(canvas.dataset.hovered).toBe("0"); // chart order first
    canvas.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", cancelable: true }));
    expect(canvas.dataset.hovered).toBe("2");
    canvas.dispatchEvent(new KeyboardEvent("keydown", { key: " ", cancelable: true }));
    expect(model.get("state")).toEqual([1, 1, 0]);
    pressEnter(canvas);
    expect(model.get("state")).toEqual([1, 1, 1]);
  });
});
