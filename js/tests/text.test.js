import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import widget, { buildTokenNodes } from "../src/text.js";
import { EVIL_NAME, byTestId, createFakeModel } from "./fake-model.js";

// "Good movie, good acting. Bad <b>plot</b>! Good" tokenised like lime's IndexedString with bow=True:
// every occurrence of a word shares its feature id; separators have feature id -1.
const TOKENS = [
  ["Good", 0],
  [" ", -1],
  ["movie", 1],
  [", ", -1],
  ["good", 2],
  [" ", -1],
  ["acting", 3],
  [". ", -1],
  ["Bad", 4],
  [" <", -1],
  ["b", 5],
  [">", -1],
  ["plot", 6],
  ["</", -1],
  ["b", 5],
  [">! ", -1],
  ["Good", 0],
];
const WEIGHTS_1 = [
  [0, 0.4],
  [4, -0.3],
  [6, -0.2],
  [2, 0.1],
  [1, 0.05],
];
// Full mask: 0.3 + 0.4 - 0.3 - 0.2 + 0.1 + 0.05.
const FULL_ESTIMATE_1 = 0.35;

function textState(overrides = {}) {
  return {
    kind: "text",
    mode: "classification",
    class_names: ["negative", EVIL_NAME],
    labels: [1, 0],
    explanations: {
      1: { intercept: 0.3, weights: WEIGHTS_1, score: 0.9, fidelity: 0.8, local_pred: 0.35 },
      0: {
        intercept: 0.7,
        weights: WEIGHTS_1.map(([feature, weight]) => [feature, -weight]),
        score: 0.9,
        fidelity: null,
        local_pred: 0.65,
      },
    },
    feature_names: ["Good", "movie", "good", "acting", "Bad", "b", "plot"],
    original_output: [0.2, 0.8],
    min_value: 0,
    max_value: 1,
    initial_state: [1, 1, 1, 1, 1, 1, 1],
    state: [1, 1, 1, 1, 1, 1, 1],
    state_id: 0,
    real_output: [0.2, 0.8],
    real_state_id: 0,
    surrogate_output: FULL_ESTIMATE_1,
    pending: false,
    error: "",
    counterfactual: {},
    counterfactual_request: 0,
    counterfactual_cancel: 0,
    static: false,
    label: 1,
    num_features: 3,
    tokens: TOKENS,
    bow: true,
    ...overrides,
  };
}

function mount(overrides) {
  const model = createFakeModel(textState(overrides));
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

const tokensOf = (el, feature) => [
  ...el.querySelectorAll(`[data-testid="lw-token"][data-feature="${feature}"]`),
];

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("text widget rendering", () => {
  it("renders the document as token spans and text, with names escaped", () => {
    const { el } = mount();
    const doc = el.querySelector(".lw-w-doc");
    expect(doc.textContent).toBe(TOKENS.map(([text]) => text).join(""));
    expect(el.querySelectorAll('[data-testid="lw-token"]')).toHaveLength(
      TOKENS.filter(([, f]) => f >= 0).length,
    );
    expect(tokensOf(el, 0).map((span) => span.textContent)).toEqual(["Good", "Good"]);
    for (const span of el.querySelectorAll('[data-testid="lw-token"]')) {
      expect(span.getAttribute("role")).toBe("button");
      expect(span.getAttribute("tabindex")).toBe("0");
    }
    // The class name is text everywhere: no element was created from it.
    expect(el.querySelector("img")).toBeNull();
    const select = byTestId(el, "lw-label-select");
    expect([...select.options].map((option) => option.textContent)).toEqual([EVIL_NAME, "negative"]);
    expect(select.value).toBe("1");
    expect(el.textContent).toContain(`Top words for ${EVIL_NAME}`);
    // Controls are labelled.
    for (const control of [select, byTestId(el, "lw-num-features")]) {
      expect(el.querySelector(`label[for="${control.id}"]`)).not.toBeNull();
    }
  });

  it("colours the top num_features words by weight for the selected label", () => {
    const { el } = mount();
    expect(tokensOf(el, 0)[0].style.backgroundColor).toBe("rgba(232, 113, 10, 0.800)");
    // |-0.3| / 0.4 = 0.75 -> alpha 0.8 * 0.75.
    expect(tokensOf(el, 4)[0].style.backgroundColor).toBe("rgba(26, 115, 232, 0.600)");
    // Feature 2 is 4th by |w|: not among the 3 shown.
    expect(tokensOf(el, 2)[0].style.backgroundColor).toBe("");
    const rows = el.querySelectorAll(".lw-w-chart .lw-w-row");
    expect([...rows].map((row) => row.querySelector(".lw-w-name").textContent)).toEqual([
      "Good",
      "Bad",
      "plot",
    ]);
  });

  it("shows the original output and the live panel for the original state", () => {
    const { el } = mount();
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.800");
    expect(byTestId(el, "lw-real-output").dataset.stateId).toBe("0");
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.350");
    expect(byTestId(el, "lw-difference").textContent).toBe("+0.450");
    expect(byTestId(el, "lw-status").textContent).toBe("live model");
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
    expect(byTestId(el, "lw-error").hidden).toBe(true);
    expect(el.querySelector(".lw-w-original").textContent).toContain("0.800");
  });
});

describe("text widget editing", () => {
  it("clicking a word removes every occurrence, bumps state_id and saves", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[1].click();
    expect(model.get("state")).toEqual([0, 1, 1, 1, 1, 1, 1]);
    expect(model.get("state_id")).toBe(1);
    expect(model.save_changes).toHaveBeenCalledTimes(1);
    expect(model.saved[0]).toEqual({ state: [0, 1, 1, 1, 1, 1, 1], state_id: 1 });
    for (const span of tokensOf(el, 0)) {
      expect(span.classList.contains("lw-w-removed")).toBe(true);
      expect(span.getAttribute("aria-pressed")).toBe("true");
    }
    expect(tokensOf(el, 1)[0].classList.contains("lw-w-removed")).toBe(false);
    // Surrogate estimate updates at once: 0.35 - 0.4.
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("-0.050");
    // Clicking again restores it.
    tokensOf(el, 0)[0].click();
    expect(model.get("state")).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(model.get("state_id")).toBe(2);
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.350");
  });

  it("Enter and Space on a focused word toggle it; other keys do nothing", () => {
    const { el, model } = mount();
    const plot = tokensOf(el, 6)[0];
    plot.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
    expect(model.save_changes).not.toHaveBeenCalled();
    plot.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.get("state")).toEqual([1, 1, 1, 1, 1, 1, 0]);
    plot.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
    expect(model.get("state")).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(model.get("state_id")).toBe(2);
  });

  it("without bow only the clicked position is a feature", () => {
    const tokens = [
      ["b", 0],
      [" ", -1],
      ["b", 1],
    ];
    const { el, model } = mount({
      tokens,
      bow: false,
      state: [1, 1],
      initial_state: [1, 1],
      feature_names: ["b", "b"],
      explanations: { 1: { intercept: 0, weights: [[1, 0.5]], score: 1, fidelity: null, local_pred: 0.5 } },
      labels: [1],
    });
    tokensOf(el, 1)[0].click();
    expect(model.get("state")).toEqual([1, 0]);
    expect(tokensOf(el, 0)[0].classList.contains("lw-w-removed")).toBe(false);
    expect(tokensOf(el, 1)[0].classList.contains("lw-w-removed")).toBe(true);
    expect(el.textContent).toContain("remove it at that position");
  });

  it("the chart rows are buttons that toggle too", () => {
    const { el, model } = mount();
    const row = el.querySelector('.lw-w-chart button[data-feature="4"]');
    row.click();
    expect(model.get("state")[4]).toBe(0);
    expect(el.querySelector('.lw-w-chart button[data-feature="4"]').getAttribute("aria-pressed")).toBe(
      "true",
    );
  });

  it("reset, hide top positive and keep only top positive follow CONTRACT.md", () => {
    const { el, model } = mount();
    tokensOf(el, 3)[0].click();
    byTestId(el, "lw-hide-top").click();
    // Top 3 positive weights: features 0 (0.4), 2 (0.1), 1 (0.05), starting from the original.
    expect(model.get("state")).toEqual([0, 0, 0, 1, 1, 1, 1]);
    byTestId(el, "lw-keep-top").click();
    expect(model.get("state")).toEqual([1, 1, 1, 0, 0, 0, 0]);
    byTestId(el, "lw-reset").click();
    expect(model.get("state")).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(model.get("state_id")).toBe(4);
    expect(model.save_changes).toHaveBeenCalledTimes(4);
  });

  it("changing the label and num_features writes the traits and repaints", () => {
    const { el, model } = mount();
    const select = byTestId(el, "lw-label-select");
    select.value = "0";
    select.dispatchEvent(new Event("change"));
    expect(model.get("label")).toBe(0);
    expect(model.save_changes).toHaveBeenCalledTimes(1);
    expect(tokensOf(el, 0)[0].style.backgroundColor).toBe("rgba(26, 115, 232, 0.800)");
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.650");
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.200");

    const count = byTestId(el, "lw-num-features");
    expect(count.max).toBe("5");
    count.value = "5";
    count.dispatchEvent(new Event("change"));
    expect(model.get("num_features")).toBe(5);
    expect(el.querySelectorAll(".lw-w-chart .lw-w-row")).toHaveLength(5);
    count.value = "0";
    count.dispatchEvent(new Event("change"));
    expect(model.get("num_features")).toBe(5);
    expect(count.getAttribute("aria-invalid")).toBe("true");
  });
});

describe("text widget live panel", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it("shows pending until Python answers for the current state_id", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[0].click();
    expect(byTestId(el, "lw-pending").hidden).toBe(false);
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
    expect(byTestId(el, "lw-difference").textContent).toBe("\u2013");
    expect(byTestId(el, "lw-real-output").classList.contains("lw-w-stale")).toBe(true);

    model.update("real_output", [0.6, 0.4]);
    model.update("real_state_id", 1);
    const real = byTestId(el, "lw-real-output");
    expect(real.textContent).toBe("0.400");
    expect(real.dataset.stateId).toBe("1");
    expect(real.classList.contains("lw-w-stale")).toBe(false);
    expect(byTestId(el, "lw-difference").textContent).toBe("+0.450");
    expect(byTestId(el, "lw-real-predicted").textContent).toBe("predicted: negative");
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
    expect(byTestId(el, "lw-status").textContent).toBe("live model");
  });

  it("an answer for an older state does not count as current", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[0].click();
    tokensOf(el, 1)[0].click();
    model.update("real_output", [0.6, 0.4]);
    model.update("real_state_id", 1);
    expect(byTestId(el, "lw-real-output").dataset.stateId).toBe("1");
    expect(byTestId(el, "lw-difference").textContent).toBe("\u2013");
    expect(byTestId(el, "lw-pending").hidden).toBe(false);
  });

  it("says there is no live model when nothing answers within 2 s", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[0].click();
    vi.advanceTimersByTime(1900);
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
    vi.advanceTimersByTime(200);
    expect(byTestId(el, "lw-status").textContent).toContain("no live model: surrogate estimate only");
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
    expect(el.textContent).toContain("Surrogate estimate (no live model)");
    // The surrogate keeps working.
    tokensOf(el, 4)[0].click();
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.250");
    // A late answer still shows up.
    model.update("real_output", [0.5, 0.5]);
    model.update("real_state_id", 2);
    expect(byTestId(el, "lw-status").textContent).toBe("live model");
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.500");
    expect(el.textContent).not.toContain("Surrogate estimate (no live model)");
  });

  it("a static page labels everything as surrogate-only and disables the search", () => {
    const { el } = mount({ static: true });
    expect(byTestId(el, "lw-status").textContent).toBe("no live model: surrogate estimate only");
    expect(byTestId(el, "lw-counterfactual").disabled).toBe(true);
    tokensOf(el, 0)[0].click();
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("-0.050");
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(byTestId(el, "lw-status").textContent).toBe("no live model: surrogate estimate only");
  });

  it("shows the model's error as text and keeps the previous output", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[0].click();
    model.update("error", "ValueError: <b>bad</b> input");
    model.update("pending", false);
    model.update("real_state_id", 1);
    const error = byTestId(el, "lw-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Model error: ValueError: <b>bad</b> input");
    expect(error.querySelector("b")).toBeNull();
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.800");
    model.update("error", "");
    expect(byTestId(el, "lw-error").hidden).toBe(true);
  });
});

describe("text widget status after a model error", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  // What Python sends when the model raises for state 1: error and error_state_id in one message,
  // real_output / real_state_id left on the last good state (0), then pending false.
  function failFor(model, stateId, message = "ValueError: cannot score it") {
    model.update("error", message);
    model.update("error_state_id", stateId);
    model.update("pending", false);
  }

  it("an error for the current edit is Python's answer: no pending, no timeout", () => {
    const { el, model } = mount({ error_state_id: -1 });
    tokensOf(el, 0)[0].click();
    model.update("pending", true);
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");

    model.update("error", "ValueError: cannot score it");
    model.update("error_state_id", 1);
    // Python still says pending (the worker has not finished): keep waiting until it stops.
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
    expect(byTestId(el, "lw-pending").hidden).toBe(false);

    model.update("pending", false);
    const status = byTestId(el, "lw-status");
    expect(status.textContent).toBe("the model raised an error: showing its last good output");
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
    expect(byTestId(el, "lw-error").textContent).toBe("Model error: ValueError: cannot score it");
    // The last good output stays, marked as belonging to the earlier edit.
    const real = byTestId(el, "lw-real-output");
    expect(real.textContent).toBe("0.800");
    expect(real.dataset.stateId).toBe("0");
    expect(real.classList.contains("lw-w-stale")).toBe(true);
    expect(byTestId(el, "lw-difference").textContent).toBe("\u2013");
    expect(el.querySelector(".lw-w-live").classList.contains("lw-w-surrogate-only")).toBe(false);

    // The kernel did answer: the no-answer deadline must not fire.
    vi.advanceTimersByTime(5000);
    expect(status.textContent).toBe("the model raised an error: showing its last good output");
    expect(el.textContent).not.toContain("no answer from the kernel");
    expect(el.textContent).not.toContain("Surrogate estimate (no live model)");
  });

  it("an error for an older edit does not answer the current one", () => {
    const { el, model } = mount({ error_state_id: -1 });
    tokensOf(el, 0)[0].click();
    tokensOf(el, 1)[0].click();
    failFor(model, 1);
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
    expect(byTestId(el, "lw-pending").hidden).toBe(false);
    vi.advanceTimersByTime(2100);
    expect(byTestId(el, "lw-status").textContent).toContain("(no answer from the kernel)");
    // ... until Python fails for this edit too (same message: only error_state_id changes).
    model.update("error_state_id", 2);
    expect(byTestId(el, "lw-status").textContent).toBe(
      "the model raised an error: showing its last good output",
    );
    expect(el.textContent).not.toContain("Surrogate estimate (no live model)");
  });

  it("a new edit after the error waits again, and a good answer clears the error", () => {
    const { el, model } = mount({ error_state_id: -1 });
    tokensOf(el, 0)[0].click();
    failFor(model, 1);
    tokensOf(el, 0)[0].click();
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
    expect(byTestId(el, "lw-pending").hidden).toBe(false);
    model.update("real_output", [0.2, 0.8]);
    model.update("error", "");
    model.update("error_state_id", -1);
    model.update("real_state_id", 2);
    expect(byTestId(el, "lw-status").textContent).toBe("live model");
    expect(byTestId(el, "lw-error").hidden).toBe(true);
    expect(byTestId(el, "lw-pending").hidden).toBe(true);
  });

  it("works when Python predates error_state_id (trait missing): waits as before", () => {
    const { el, model } = mount();
    tokensOf(el, 0)[0].click();
    model.update("error", "ValueError: cannot score it");
    model.update("pending", false);
    expect(byTestId(el, "lw-status").textContent).toBe("pending\u2026");
  });
});

describe("text widget counterfactual and cleanup", () => {
  it("asks Python for a search and shows the result as text", () => {
    const { el, model } = mount();
    const search = byTestId(el, "lw-counterfactual");
    search.click();
    expect(model.get("counterfactual_request")).toBe(1);
    expect(model.saved.at(-1)).toEqual({ counterfactual_request: 1 });
    expect(search.disabled).toBe(true);
    expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("searching\u2026");

    model.update("counterfactual", {
      found: true,
      features: [0, 5],
      label_before: 1,
      label_after: 0,
      output_after: [0.7, 0.3],
      queries: 7,
      message: "<i>verified</i>",
      request: 1,
    });
    expect(search.disabled).toBe(false);
    const result = byTestId(el, "lw-counterfactual-result");
    expect(result.textContent).toContain(
      `Removing 2 words (Good, b) changes the prediction from ${EVIL_NAME} to negative.`,
    );
    // Said once: the engine's message repeats the summary, so it is not shown for a found one.
    expect(result.textContent).not.toContain("<i>verified</i>");
    expect(result.children).toHaveLength(2);
    expect(result.children[1].textContent).toBe("verified with 7 model queries");
    expect(result.textContent.match(/changes the prediction/g)).toHaveLength(1);
    expect(result.textContent.match(/model queries/g)).toHaveLength(1);
    expect(el.querySelector("img, i")).toBeNull();

    const show = byTestId(el, "lw-counterfactual-apply");
    expect(show.textContent).toBe("Show it");
    expect(show.hidden).toBe(false);
    show.click();
    expect(model.get("state")).toEqual([0, 1, 1, 1, 1, 0, 1]);
  });

  it("keeps searching until the answer to its own request arrives", () => {
    const { el, model } = mount();
    byTestId(el, "lw-counterfactual").click();
    model.update("counterfactual", { found: false, features: [], message: "older", request: 0 });
    expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("searching\u2026");
    model.update("counterfactual", { found: false, features: [], message: "no luck", request: 1 });
    expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("");
    // Not found: the engine's message says why, once, as plain text.
    expect(byTestId(el, "lw-counterfactual-result").firstChild.textContent).toBe(
      "No counterfactual found: no luck",
    );
  });

  it("searches any number of times in a row", () => {
    const { el, model } = mount();
    const search = byTestId(el, "lw-counterfactual");
    for (const request of [1, 2, 3]) {
      search.click();
      expect(model.get("counterfactual_request")).toBe(request);
      expect(search.disabled).toBe(true);
      expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("searching\u2026");
      // A state error while searching is not the search's answer.
      model.update("error", "ValueError: boom");
      expect(search.disabled).toBe(true);
      model.update("counterfactual", {
        found: true,
        features: [request],
        label_before: 1,
        label_after: 0,
        request,
      });
      expect(search.disabled).toBe(false);
      expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("");
      expect(byTestId(el, "lw-counterfactual-result").textContent).toContain("Removing 1 words");
    }
  });

  it("cancels a search and is usable again at once", () => {
    const { el, model } = mount();
    const search = byTestId(el, "lw-counterfactual");
    const cancel = byTestId(el, "lw-counterfactual-cancel");
    expect(cancel.hidden).toBe(true);
    search.click();
    expect(cancel.hidden).toBe(false);
    cancel.click();
    expect(model.get("counterfactual_cancel")).toBe(1);
    expect(model.saved.at(-1)).toEqual({ counterfactual_cancel: 1 });
    expect(cancel.hidden).toBe(true);
    expect(search.disabled).toBe(false);
    expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("search cancelled");
    model.update("counterfactual", {
      found: false,
      features: [],
      message: "search cancelled",
      cancelled: true,
      request: 1,
    });
    expect(byTestId(el, "lw-counterfactual-result").textContent).toContain("Search cancelled.");
    expect(byTestId(el, "lw-counterfactual-result").textContent).not.toContain("No counterfactual found.");
    search.click();
    expect(model.get("counterfactual_request")).toBe(2);
    expect(byTestId(el, "lw-counterfactual-status").textContent).toBe("searching\u2026");
  });

  it("cleanup removes every listener and the DOM", () => {
    const { el, model, cleanup } = mount();
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childNodes).toHaveLength(0);
  });

  it("buildTokenNodes groups spans by feature", () => {
    const { nodes, spansByFeature } = buildTokenNodes(TOKENS);
    expect(nodes).toHaveLength(TOKENS.length);
    expect(spansByFeature.get(5)).toHaveLength(2);
    expect(spansByFeature.has(-1)).toBe(false);
  });
});
