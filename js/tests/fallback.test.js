import { afterEach, describe, expect, it } from "vitest";

import { fallbackRules, hideStaticFallback, withStaticFallback } from "../src/fallback.js";
import textWidget from "../src/text.js";

function fallbackNode(id) {
  const node = document.createElement("div");
  node.className = `lw-fallback lw-fallback-${id}`;
  node.textContent = "static view";
  document.body.appendChild(node);
  return node;
}

const modelWith = (values) => ({ get: (name) => values[name] });
const hidden = (node) => getComputedStyle(node).display === "none";

afterEach(() => {
  document.body.replaceChildren();
  for (const style of document.head.querySelectorAll("style[data-lw-fallback-rule]")) style.remove();
});

describe("static fallback hiding", () => {
  it("hides only the fallbacks of the widget whose view rendered, until its last view goes", () => {
    const mine = fallbackNode("abc123");
    const again = fallbackNode("abc123"); // the same widget displayed twice
    const other = fallbackNode("def456");
    const first = hideStaticFallback(modelWith({ fallback_id: "abc123" }));
    const second = hideStaticFallback(modelWith({ fallback_id: "abc123" }));
    expect([hidden(mine), hidden(again), hidden(other)]).toEqual([true, true, false]);
    expect(document.head.querySelectorAll("style[data-lw-fallback-rule]").length).toBe(1);
    first();
    first(); // releasing twice counts once
    expect(hidden(mine)).toBe(true);
    second();
    expect(hidden(mine)).toBe(false);
    expect(document.head.querySelectorAll("style[data-lw-fallback-rule]").length).toBe(0);
  });

  it("hides a fallback inserted after the view rendered", () => {
    const release = hideStaticFallback(modelWith({ fallback_id: "late1" }));
    const late = fallbackNode("late1");
    expect(hidden(late)).toBe(true);
    release();
  });

  it("ignores a missing or unsafe id (no rule, nothing hidden)", () => {
    for (const id of [undefined, "", 'x"]{}body{display:none}[a="', "a b"]) {
      hideStaticFallback(modelWith({ fallback_id: id }))();
    }
    expect(document.head.querySelectorAll("style[data-lw-fallback-rule]").length).toBe(0);
    expect(fallbackRules("abc")).toContain(".lw-fallback-abc{display:none !important}");
  });

  it("does not hide anything when the render itself fails", () => {
    const node = fallbackNode("fail1");
    const render = withStaticFallback(() => {
      throw new Error("broken");
    });
    expect(() =>
      render({ model: modelWith({ fallback_id: "fail1" }), el: document.createElement("div") }),
    ).toThrow("broken");
    expect(hidden(node)).toBe(false);
  });

  it("keeps extra properties of the cleanup and runs it", () => {
    let cleaned = false;
    const cleanup = () => {
      cleaned = true;
    };
    cleanup.ready = "promise";
    const render = withStaticFallback(() => cleanup);
    const node = fallbackNode("keep1");
    const wrapped = render({ model: modelWith({ fallback_id: "keep1" }), el: document.createElement("div") });
    expect(wrapped.ready).toBe("promise");
    expect(hidden(node)).toBe(true);
    wrapped();
    expect(cleaned).toBe(true);
    expect(hidden(node)).toBe(false);
  });

  it("is wired into the widget renderers", () => {
    expect(textWidget.render.name).toBe("renderWithFallback");
  });
});
