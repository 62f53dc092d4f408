import { deflateSync } from "node:zlib";

import { afterEach, describe, expect, it, vi } from "vitest";

import widget, {
  BOUNDARY_RGB,
  HIDDEN_TINT_FACTOR,
  HIGHLIGHT_RGB,
  MAX_TINT_ALPHA,
  OUTLINE_RGB,
  VIEW_HIDDEN_FADE,
  VIEW_HIDDEN_RGB,
  bytesOf,
  clientToPixel,
  composeImage,
  decodeSegmentMap,
  displayWidth,
  labelPoints,
  segmentAt,
  segmentTints,
  superpixelLabel,
} from "../src/image.js";
import { byTestId, createFakeModel } from "./fake-model.js";

// A 6 x 4 image with three superpixels (positions 0, 1, 2), row-major.
const WIDTH = 6;
const HEIGHT = 4;
// prettier-ignore
const SEGMENTS = [
  0, 0, 1, 1, 2, 2,
  0, 0, 1, 1, 2, 2,
  0, 0, 1, 1, 2, 2,
  0, 0, 0, 1, 2, 2,
];

/** What Python's `_encoding.py` sends: zlib(level 6) of little-endian uint16, as a DataView. */
function encodeSegmentMap(values) {
  const raw = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => raw.writeUInt16LE(value, i * 2));
  const compressed = deflateSync(raw, { level: 6 });
  return new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}

function solid(value) {
  return new Uint8ClampedArray(WIDTH * HEIGHT * 4).fill(value);
}

function pixel(data, x, y) {
  const o = (y * WIDTH + x) * 4;
  return [data[o], data[o + 1], data[o + 2], data[o + 3]];
}

const NO_TINT = { alpha: new Float32Array(3), rgb: new Uint8Array(9), selected: new Uint8Array(3) };

describe("segment map decoding", () => {
  it("inflates zlib little-endian uint16 positions", async () => {
    const map = await decodeSegmentMap(encodeSegmentMap(SEGMENTS), WIDTH, HEIGHT);
    expect(map).toBeInstanceOf(Uint16Array);
    expect(Array.from(map)).toEqual(SEGMENTS);
  });

  it("keeps values above 255 (two bytes per position)", async () => {
    const values = [0, 300, 65535, 1024];
    const map = await decodeSegmentMap(encodeSegmentMap(values), 2, 2);
    expect(Array.from(map)).toEqual(values);
  });

  it("rejects a map of the wrong size with a clear message", async () => {
    await expect(decodeSegmentMap(encodeSegmentMap(SEGMENTS), WIDTH, HEIGHT + 1)).rejects.toThrow(
      /segment map has 48 bytes after decompression, expected 60 \(6 x 5 uint16\)/,
    );
  });

  it("views DataView bytes without copying", () => {
    const buffer = new Uint8Array([9, 1, 2, 3, 9]).buffer;
    const bytes = bytesOf(new DataView(buffer, 1, 3));
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
    expect(bytes.buffer).toBe(buffer);
  });
});

describe("pixel to superpixel mapping", () => {
  it("scales client coordinates to image pixels", () => {
    const rect = { left: 10, top: 20, width: 300, height: 200 };
    expect(clientToPixel(10 + 150, 20 + 100, rect, 600, 400)).toEqual({ x: 300, y: 200 });
    expect(clientToPixel(10 + 299.9, 20 + 199.9, rect, 600, 400)).toEqual({ x: 599, y: 399 });
    expect(clientToPixel(9, 25, rect, 600, 400)).toBeNull();
    expect(clientToPixel(10 + 300, 25, rect, 600, 400)).toBeNull();
    // A canvas that is not laid out counts as unscaled.
    expect(clientToPixel(3.7, 1.2, { left: 0, top: 0, width: 0, height: 0 }, WIDTH, HEIGHT)).toEqual({
      x: 3,
      y: 1,
    });
  });

  it("finds the superpixel position of a pixel", () => {
    const map = Uint16Array.from(SEGMENTS);
    expect(segmentAt(map, WIDTH, HEIGHT, 2, 3)).toBe(0);
    expect(segmentAt(map, WIDTH, HEIGHT, 3, 3)).toBe(1);
    expect(segmentAt(map, WIDTH, HEIGHT, 5, 0)).toBe(2);
    expect(segmentAt(map, WIDTH, HEIGHT, 6, 0)).toBe(-1);
    expect(segmentAt(null, WIDTH, HEIGHT, 0, 0)).toBe(-1);
  });
});

describe("tints", () => {
  const weights = [
    [1, 0.6],
    [0, -0.3],
    [2, 0.15],
  ];

  it("tints the top features orange/blue with alpha by |w| / max|w|", () => {
    const tints = segmentTints(weights, 3, 2);
    expect(Array.from(tints.selected)).toEqual([1, 1, 0]);
    expect(tints.alpha[1]).toBeCloseTo(MAX_TINT_ALPHA, 6);
    expect(tints.alpha[0]).toBeCloseTo(MAX_TINT_ALPHA / 2, 6);
    expect(tints.alpha[2]).toBe(0);
    expect(Array.from(tints.rgb)).toEqual([26, 115, 232, 232, 113, 10, 0, 0, 0]);
  });

  it("respects positive_only, negative_only and min_weight", () => {
    expect(Array.from(segmentTints(weights, 3, 5, { positiveOnly: true }).selected)).toEqual([0, 1, 1]);
    expect(Array.from(segmentTints(weights, 3, 5, { negativeOnly: true }).selected)).toEqual([1, 0, 0]);
    expect(Array.from(segmentTints(weights, 3, 5, { minWeight: 0.2 }).selected)).toEqual([1, 1, 0]);
  });

  it("ignores positions outside the image", () => {
    expect(Array.from(segmentTints([[7, 1]], 3, 5).selected)).toEqual([0, 0, 0]);
  });
});

describe("composeImage", () => {
  const map = Uint16Array.from(SEGMENTS);
  const photo = solid(100);
  const hidden = solid(0);

  it("draws kept superpixels from the photo and hidden ones from the hide-colour image", () => {
    const out = composeImage({
      photo,
      hidden,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [1, 0, 1],
      tints: NO_TINT,
      boundaries: false,
    });
    expect(pixel(out, 0, 0)).toEqual([100, 100, 100, 255]);
    expect(pixel(out, 3, 1)).toEqual([0, 0, 0, 255]);
    expect(pixel(out, 5, 3)).toEqual([100, 100, 100, 255]);
  });

  it("tints by weight, fainter on hidden superpixels, and draws boundaries", () => {
    const tints = segmentTints(
      [
        [1, 0.6],
        [0, -0.3],
      ],
      3,
      5,
    );
    const out = composeImage({
      photo,
      hidden,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [1, 0, 1],
      tints,
    });
    // Segment 0 kept, blue at alpha 0.3: 100 + (c - 100) * 0.3.
    expect(pixel(out, 0, 0)).toEqual([
      Math.round(100 - 74 * 0.3),
      Math.round(100 + 15 * 0.3),
      Math.round(100 + 132 * 0.3),
      255,
    ]);
    // Segment 1 hidden (black), orange at alpha 0.6 * HIDDEN_TINT_FACTOR.
    const a = MAX_TINT_ALPHA * HIDDEN_TINT_FACTOR;
    expect(pixel(out, 2, 0)).toEqual([Math.round(232 * a), Math.round(113 * a), Math.round(10 * a), 255]);
    // Boundaries: right or lower neighbour in another superpixel.
    expect(pixel(out, 1, 0).slice(0, 3)).toEqual(BOUNDARY_RGB);
    expect(pixel(out, 2, 2).slice(0, 3)).toEqual(BOUNDARY_RGB);
    expect(pixel(out, 5, 3)).toEqual([100, 100, 100, 255]);
  });

  it("hide_rest fades unselected superpixels (view only), unlike superpixels hidden from the model", () => {
    const tints = segmentTints([[1, 0.6]], 3, 5);
    const out = composeImage({
      photo,
      hidden,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [1, 1, 1],
      tints,
      hideRest: true,
      boundaries: false,
    });
    // Still sent to the model: the photo, faded to light grey, not the hide colour (0) ...
    const faded = Math.round(100 + (VIEW_HIDDEN_RGB[0] - 100) * VIEW_HIDDEN_FADE);
    expect(pixel(out, 0, 0)).toEqual([faded, faded, faded, 255]);
    expect(pixel(out, 5, 0)).toEqual([faded, faded, faded, 255]);
    expect(pixel(out, 2, 0)[0]).toBe(Math.round(100 + 132 * MAX_TINT_ALPHA));
    // ... while a superpixel hidden from the model shows the hide colour, hatched.
    const removed = composeImage({
      photo,
      hidden: solid(200),
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [0, 1, 1],
      tints,
      hideRest: true,
      boundaries: false,
    });
    expect(pixel(removed, 0, 0)).toEqual([130, 130, 130, 255]); // (0 + 0) % 8 < 2: a hatch line
    expect(pixel(removed, 1, 1)).toEqual([200, 200, 200, 255]); // between hatch lines
    expect(pixel(removed, 0, 0)).not.toEqual(pixel(out, 0, 0));
  });

  it("outlines a counterfactual on both sides of its border", () => {
    const out = composeImage({
      photo,
      hidden,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [1, 1, 1],
      tints: NO_TINT,
      outline: Uint8Array.from([0, 0, 1]),
      boundaries: false,
    });
    expect(pixel(out, 3, 0).slice(0, 3)).toEqual(OUTLINE_RGB);
    expect(pixel(out, 4, 0).slice(0, 3)).toEqual(OUTLINE_RGB);
    expect(pixel(out, 5, 0)).toEqual([100, 100, 100, 255]);
    expect(pixel(out, 0, 0)).toEqual([100, 100, 100, 255]);
  });

  it("falls back to grey without a hide-colour image and writes into a given buffer", () => {
    const target = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
    const out = composeImage({
      photo,
      hidden: null,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [0, 1, 1],
      tints: NO_TINT,
      boundaries: false,
      out: target,
    });
    expect(out).toBe(target);
    expect(pixel(target, 1, 1)).toEqual([128, 128, 128, 255]);
  });

  it("outlines the hovered superpixel in cyan, inside its own border only", () => {
    const out = composeImage({
      photo,
      hidden,
      segmentMap: map,
      width: WIDTH,
      height: HEIGHT,
      state: [1, 1, 1],
      tints: NO_TINT,
      boundaries: false,
      highlight: 2,
    });
    expect(pixel(out, 4, 1).slice(0, 3)).toEqual(HIGHLIGHT_RGB); // left edge of superpixel 2
    expect(pixel(out, 5, 1).slice(0, 3)).toEqual(HIGHLIGHT_RGB); // image border
    expect(pixel(out, 3, 1)).toEqual([100, 100, 100, 255]); // superpixel 1: untouched
    expect(pixel(out, 0, 0)).toEqual([100, 100, 100, 255]);
  });
});

describe("superpixel ids", () => {
  it("places each id on the superpixel's pixel nearest its centroid", () => {
    const points = labelPoints(Uint16Array.from(SEGMENTS), WIDTH, HEIGHT, 4);
    for (const [position, point] of points.entries()) {
      if (point) expect(SEGMENTS[point.y * WIDTH + point.x]).toBe(position);
    }
    expect(points[2]).toEqual({ x: 4, y: 1 });
    expect(points[3]).toBeNull(); // no pixel
  });

  it("labels a superpixel with the number of its feature name", () => {
    expect(superpixelLabel("superpixel 14", 13)).toBe("14");
    expect(superpixelLabel(undefined, 3)).toBe("3");
    expect(superpixelLabel("sky", 0)).toBe("0");
  });
});

// ---- rendering -------------------------------------------------------------------------------------

function imageState(overrides = {}) {
  return {
    kind: "image",
    mode: "classification",
    class_names: ["cat", "dog"],
    labels: [1, 0],
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
      0: { intercept: 0.8, weights: [[0, -0.5]], score: 0.8, fidelity: 0.7, local_pred: 0.3 },
    },
    feature_names: ["superpixel 0", "superpixel 1", "superpixel 2"],
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
    counterfactual: {},
    counterfactual_request: 0,
    counterfactual_cancel: 0,
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

function mount(overrides) {
  // The fake model deep-copies with structuredClone, which keeps DataViews.
  const model = createFakeModel(imageState(overrides));
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

/**
 * happy-dom has no canvas: give canvases a 2D context whose decoded "photo" is 200 everywhere and the
 * hide-colour PNG 10 everywhere, recording what the widget puts on screen.
 */
function installFakeCanvas() {
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function getContext() {
    if (!this.fakeContext) {
      this.fakeContext = {
        source: null,
        shown: null,
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

function click(element, x, y) {
  element.dispatchEvent(new MouseEvent("click", { clientX: x, clientY: y, bubbles: true }));
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

describe("image widget", () => {
  it("shows the display note when Python sends one, and only then", async () => {
    const { el, model, cleanup } = mount({ display_note: "The image has values in [-1, 1]" });
    await cleanup.ready;
    const note = byTestId(el, "lw-display-note");
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe("The image has values in [-1, 1]");
    model.update("display_note", "");
    expect(note.hidden).toBe(true);
    const plain = mount();
    expect(byTestId(plain.el, "lw-display-note").hidden).toBe(true);
  });

  it("clicking a pixel toggles its superpixel, even with no 2D canvas", async () => {
    const { el, model, cleanup } = mount();
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    expect([canvas.width, canvas.height]).toEqual([WIDTH, HEIGHT]);
    expect(canvas.style.width).toBe(`${WIDTH * 4}px`);
    click(canvas, 2.5, 3.5); // pixel (2, 3) is in superpixel 0
    expect(model.get("state")).toEqual([0, 1, 1]);
    expect(model.get("state_id")).toBe(1);
    expect(model.save_changes).toHaveBeenCalledTimes(1);
    // Surrogate: 0.2 + 0.5 - 0.25 -> 0.2 - 0.25 once superpixel 0 is hidden.
    expect(byTestId(el, "lw-surrogate-output").textContent).toBe("-0.050");
    click(canvas, 3.5, 3.5); // pixel (3, 3) is in superpixel 1
    expect(model.get("state")).toEqual([0, 0, 1]);
    click(canvas, 60, 3); // outside the image: nothing
    expect(model.get("state_id")).toBe(2);
  });

  it("draws the composed image and redraws after a toggle", async () => {
    installFakeCanvas();
    const { el, cleanup } = mount();
    await cleanup.ready;
    const canvas = byTestId(el, "lw-canvas");
    const context = canvas.getContext("2d");
    // Superpixel 1 has no weight: untinted photo inside, hide colour once toggled.
    expect(pixel(context.shown.data, 2, 0)).toEqual([200, 200, 200, 255]);
    expect(globalThis.createImageBitmap).toHaveBeenCalledTimes(2);
    const types = globalThis.createImageBitmap.mock.calls.map(([blob]) => blob.type).sort();
    expect(types).toEqual(["image/jpeg", "image/png"]);
    click(canvas, 2.5, 0.5);
    expect(pixel(context.shown.data, 2, 0)).toEqual([10, 10, 10, 255]);
    // Superpixel 0 is tinted orange at full strength (largest |w|).
    const [r] = pixel(context.shown.data, 0, 0);
    expect(r).toBe(Math.round(200 + (232 - 200) * MAX_TINT_ALPHA));
  });

  it("outlines a counterfactual found by Python and can show it", async () => {
    installFakeCanvas();
    const { el, model, cleanup } = mount();
    await cleanup.ready;
    const context = byTestId(el, "lw-canvas").getContext("2d");
    model.update("counterfactual", {
      found: true,
      features: [2],
      label_before: 1,
      label_after: 0,
      output_after: [0.7, 0.3],
      queries: 4,
      message: "",
      request: 0,
    });
    expect(pixel(context.shown.data, 4, 1).slice(0, 3)).toEqual(OUTLINE_RGB);
    expect(byTestId(el, "lw-counterfactual-result").textContent).toContain(
      "Removing 1 superpixels (superpixel 2) changes the prediction from dog to cat.",
    );
    const show = byTestId(el, "lw-counterfactual-apply");
    expect(show.textContent).toBe("Show it");
    show.click();
    expect(model.get("state")).toEqual([1, 1, 0]);
  });

  it("display options are two-way bound to their traits", async () => {
    const { el, model, cleanup } = mount();
    await cleanup.ready;
    const positive = byTestId(el, "lw-positive-only");
    const negative = byTestId(el, "lw-negative-only");
    negative.click();
    expect(model.get("negative_only")).toBe(true);
    positive.click();
    expect(model.get("positive_only")).toBe(true);
    // lime refuses both at once: checking one clears the other.
    expect(model.get("negative_only")).toBe(false);
    expect(negative.checked).toBe(false);
    expect(el.querySelectorAll(".lw-w-chart .lw-w-row")).toHaveLength(1);
    const minWeight = byTestId(el, "lw-min-weight");
    minWeight.value = "0.3";
    minWeight.dispatchEvent(new Event("change"));
    expect(model.get("min_weight")).toBe(0.3);
    model.update("hide_rest", true);
    expect(byTestId(el, "lw-hide-rest").checked).toBe(true);
    model.update("min_weight", 0.1);
    expect(minWeight.value).toBe("0.1");
  });

  it("hide top positive and keep only top positive buttons", async () => {
    const { el, model, cleanup } = mount();
    await cleanup.ready;
    byTestId(el, "lw-hide-top").click();
    expect(model.get("state")).toEqual([0, 1, 1]);
    byTestId(el, "lw-keep-top").click();
    expect(model.get("state")).toEqual([1, 0, 0]);
    byTestId(el, "lw-reset").click();
    expect(model.get("state")).toEqual([1, 1, 1]);
  });

  it("reports an undecodable segment map in the widget", async () => {
    const { el, cleanup } = mount({ height: HEIGHT + 1 });
    await cleanup.ready;
    const error = el.querySelector(".lw-w-canvas-wrap .lw-w-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toContain("segment map has 48 bytes");
  });

  it("cleanup removes listeners", async () => {
    const { model, cleanup } = mount();
    await cleanup.ready;
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });
});

describe("display size", () => {
  it("enlarges small images up to 384 CSS pixels, at most 4 times", () => {
    expect(displayWidth(128)).toBe(384);
    expect(displayWidth(50)).toBe(200);
    expect(displayWidth(1024)).toBe(1024);
    expect(displayWidth(0)).toBe(0);
  });
});
