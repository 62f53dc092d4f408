import { deflateSync } from "node:zlib";

import { afterEach, describe, expect, it, vi } from "vitest";

import imageWidget from "../src/image.js";
import {
  BYTES_MARKER,
  base64ToBytes,
  createStandaloneModel,
  decodeState,
  mountStandalone,
} from "../src/standalone.js";
import textWidget from "../src/text.js";
import { byTestId } from "./fake-model.js";

/** Serialise like limewidgets/widgets/_export.py: JSON made safe for a <script> element. */
function pageJson(state) {
  return JSON.stringify(state)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

const base64 = (bytes) => Buffer.from(bytes).toString("base64");

function textPageState() {
  return {
    kind: "text",
    mode: "classification",
    class_names: ["ham", "spam & </script>"],
    labels: [1],
    explanations: {
      1: {
        intercept: 0.1,
        weights: [
          [1, 0.6],
          [0, 0.2],
        ],
        score: 1,
        fidelity: null,
        local_pred: 0.9,
      },
    },
    feature_names: ["hello", "</script><b>x</b>"],
    original_output: [0.1, 0.9],
    min_value: 0,
    max_value: 1,
    initial_state: [1, 1],
    state: [1, 1],
    state_id: 3,
    real_output: [0.1, 0.9],
    real_state_id: 3,
    surrogate_output: 0.9,
    pending: false,
    error: "",
    counterfactual: {},
    counterfactual_request: 0,
    counterfactual_cancel: 0,
    static: true,
    label: 1,
    num_features: 10,
    tokens: [
      ["hello", 0],
      [" ", -1],
      ["</script><b>x</b>", 1],
      ["\u2028", -1],
    ],
    bow: true,
  };
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("state decoding", () => {
  it("turns exactly {$lw_bytes: base64} into a DataView and copies the rest", () => {
    const tokens = [["a", 0]];
    const decoded = decodeState({
      image_data: { [BYTES_MARKER]: base64([1, 2, 3, 255]) },
      empty: { [BYTES_MARKER]: "" },
      not_bytes: { [BYTES_MARKER]: "AQI=", other: 1 },
      tokens,
    });
    expect(decoded.image_data).toBeInstanceOf(DataView);
    expect(Array.from(new Uint8Array(decoded.image_data.buffer))).toEqual([1, 2, 3, 255]);
    expect(decoded.empty.byteLength).toBe(0);
    expect(decoded.not_bytes).toEqual({ [BYTES_MARKER]: "AQI=", other: 1 });
    expect(decoded.tokens).toEqual(tokens);
    expect(decoded.tokens).not.toBe(tokens);
  });

  it("decodes padded base64", () => {
    expect(Array.from(base64ToBytes("AAEC/w=="))).toEqual([0, 1, 2, 255]);
  });
});

describe("standalone model", () => {
  it("fires change events only for real changes and supports off", () => {
    const model = createStandaloneModel({ state: [1, 1], label: 1 });
    const onState = vi.fn();
    const onAny = vi.fn();
    model.on("change:state", onState);
    model.on("change", onAny);
    model.set("state", [1, 0]);
    expect(onState).toHaveBeenCalledWith(model, [1, 0]);
    expect(onAny).toHaveBeenCalledTimes(1);
    model.set("state", [1, 0]);
    expect(onState).toHaveBeenCalledTimes(1);
    model.off("change:state", onState);
    model.set("state", [0, 0]);
    expect(onState).toHaveBeenCalledTimes(1);
    expect(model.get("state")).toEqual([0, 0]);
    model.save_changes();
    model.send({ hello: 1 });
    expect(model.saveCount).toBe(1);
    expect(model.sent).toEqual([{ content: { hello: 1 }, buffers: undefined }]);
    model.off();
    model.set("label", 0);
    expect(onAny).toHaveBeenCalledTimes(2);
  });
});

describe("mountStandalone", () => {
  it("renders a text widget from page JSON with no kernel and stays interactive", () => {
    const el = document.createElement("div");
    document.body.append(el);
    const json = pageJson(textPageState());
    expect(json).not.toContain("</script>");
    const dispose = mountStandalone(textWidget, JSON.parse(json), el);
    const tokens = el.querySelectorAll('[data-testid="lw-token"]');
    expect(tokens[1].textContent).toBe("</script><b>x</b>");
    expect(el.querySelector("b, script")).toBeNull();
    expect(byTestId(el, "lw-status").textContent).toBe("no live model: surrogate estimate only");
    // The page state was exported for the current state: its real output is shown.
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.900");
    tokens[1].click();
    expect(dispose.model.get("state")).toEqual([1, 0]);
    expect(dispose.model.get("state_id")).toBe(4);
    expect(dispose.model.saveCount).toBe(1);
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.300");
    expect(byTestId(el, "lw-real-output").textContent).toBe("0.900");
    expect(byTestId(el, "lw-difference").textContent).toBe("\u2013");
    dispose();
    expect(el.childNodes).toHaveLength(0);
  });

  it("renders an image widget whose Bytes traits came as base64", async () => {
    const raw = Buffer.alloc(4 * 2);
    [0, 1, 1, 0].forEach((value, i) => raw.writeUInt16LE(value, i * 2));
    const state = {
      ...textPageState(),
      kind: "image",
      feature_names: ["superpixel 0", "superpixel 1"],
      image_data: { [BYTES_MARKER]: base64([0xff, 0xd8]) },
      image_format: "jpeg",
      hidden_data: { [BYTES_MARKER]: base64([0x89, 0x50]) },
      segment_map: { [BYTES_MARKER]: base64(deflateSync(raw)) },
      width: 2,
      height: 2,
      n_segments: 2,
      positive_only: false,
      negative_only: false,
      hide_rest: false,
      min_weight: 0,
    };
    const el = document.createElement("div");
    document.body.append(el);
    const dispose = mountStandalone({ default: imageWidget }, JSON.parse(pageJson(state)), el);
    await dispose.ready;
    const canvas = byTestId(el, "lw-canvas");
    canvas.dispatchEvent(new MouseEvent("click", { clientX: 0.5, clientY: 1.5, bubbles: true }));
    expect(dispose.model.get("state")).toEqual([1, 0]);
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("0.300");
  });

  it("accepts anywidget's module shapes and rejects anything else", () => {
    const render = vi.fn(() => "cleanup-result");
    const el = document.createElement("div");
    mountStandalone({ render }, {}, el);
    mountStandalone({ default: { render } }, {}, el);
    mountStandalone({ default: () => ({ render }) }, {}, el);
    expect(render).toHaveBeenCalledTimes(3);
    expect(render.mock.calls[0][0].el).toBe(el);
    expect(() => mountStandalone({}, {}, el)).toThrow(TypeError);
  });
});
