import { afterEach, describe, expect, it } from "vitest";

import widget, { labelAggregates } from "../src/global.js";
import { EVIL_NAME, byTestId, createFakeModel } from "./fake-model.js";

function globalState(overrides = {}) {
  return {
    labels: [
      { id: 0, name: "no", n: 3 },
      { id: 1, name: EVIL_NAME, n: 3 },
    ],
    label: 1,
    aggregates: {
      0: [{ name: "beta", mean_abs: 0.2, mean: -0.2, count: 3, n: 3, rows: [[1, -0.3]] }],
      1: [
        {
          name: EVIL_NAME,
          mean_abs: 0.4,
          mean: 0.3,
          count: 3,
          n: 3,
          rows: [
            [2, 0.6],
            [0, -0.2],
          ],
        },
        { name: "gamma", mean_abs: 0.1, mean: -0.1, count: 1, n: 3, rows: [[1, -0.3]] },
      ],
    },
    row_names: ["r0", "r1", "r2"],
    picked: [
      {
        position: 2,
        title: "Row r2",
        items: [
          [EVIL_NAME, 0.6],
          ["gamma", -0.1],
        ],
      },
    ],
    failed_rows: [],
    static: false,
    selected_feature: "",
    selected_row: -1,
    ...overrides,
  };
}

let cleanup = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
  document.body.replaceChildren();
});

function mount(state) {
  const model = createFakeModel(state);
  const el = document.createElement("div");
  document.body.append(el);
  cleanup = widget.render({ model, el });
  return { model, el };
}

describe("global view", () => {
  it("draws one bar per feature of the shown label, widths relative to the largest", () => {
    const { el } = mount(globalState());
    const bars = el.querySelectorAll("[data-testid='lw-g-feature']");
    expect([...bars].map((b) => b.dataset.name)).toEqual([EVIL_NAME, "gamma"]);
    const widths = [...el.querySelectorAll("[data-testid='lw-g-feature'] .lw-w-bar")].map(
      (b) => b.style.width,
    );
    expect(widths).toEqual(["100.0%", "25.0%"]);
    expect(bars[0].querySelector(".lw-w-bar").className).toContain("lw-w-positive");
    expect(bars[1].querySelector(".lw-w-bar").className).toContain("lw-w-negative");
    // User text is never parsed as HTML.
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain(EVIL_NAME);
  });

  it("selecting a feature lists its rows; selecting a row asks Python to open it", () => {
    const { model, el } = mount(globalState());
    el.querySelector("[data-testid='lw-g-feature']").click();
    expect(model.get("selected_feature")).toBe(EVIL_NAME);
    const rows = [...el.querySelectorAll("[data-testid='lw-g-row']")];
    expect(rows.map((r) => r.textContent)).toEqual(["row r2: +0.600", "row r0: -0.200"]);
    rows[1].click();
    expect(model.get("selected_row")).toBe(0);
    expect(model.saved.at(-1)).toEqual({ selected_row: 0 });
    // Selecting the feature again closes its list.
    el.querySelector("[data-testid='lw-g-feature']").click();
    expect(model.get("selected_feature")).toBe("");
    expect(el.querySelector("[data-testid='lw-g-rows']")).toBeNull();
  });

  it("switches label and shows the picked explanations side by side", () => {
    const { model, el } = mount(globalState());
    const select = byTestId(el, "lw-g-label");
    select.value = "0";
    select.dispatchEvent(new Event("change"));
    expect(model.get("label")).toBe(0);
    expect([...el.querySelectorAll("[data-testid='lw-g-feature']")].map((b) => b.dataset.name)).toEqual([
      "beta",
    ]);
    const cards = el.querySelectorAll("[data-testid='lw-g-picked']");
    expect(cards.length).toBe(1);
    cards[0].click();
    expect(model.get("selected_row")).toBe(2);
  });

  it("is read-only in a standalone page and redraws on Python's changes", () => {
    const { model, el } = mount(globalState({ static: true, selected_feature: "gamma" }));
    expect(byTestId(el, "lw-g-row").disabled).toBe(true);
    model.update("aggregates", { 1: [] });
    expect(el.textContent).toContain("no features to show");
    expect(labelAggregates(undefined, 3)).toEqual([]);
  });

  it("removes its listeners on cleanup", () => {
    const { model } = mount(globalState());
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    cleanup = null;
    expect(model.listenerCount()).toBe(0);
  });
});
