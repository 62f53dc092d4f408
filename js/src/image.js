// Image explanation widget: the photo with superpixel boundaries and a tint by weight; clicking a pixel
// toggles the superpixel that contains it (hidden superpixels are drawn from the hide-colour image that
// the explainer itself used), and Python re-queries the model with the engine's own perturbation.
//
// The per-pixel work happens in one typed-array pass (`composeImage`) into an ImageData; the pure
// functions are exported so they can be tested without a canvas.

import {
  buildControls,
  buildMaskActions,
  buildOriginalOutput,
  traitCheckbox,
  uncertaintyOptions,
  weightChart,
} from "./components.js";
import { buildCounterfactual } from "./counterfactual.js";
import {
  commitOnEnter,
  commitState,
  createSubscriptions,
  enterToggles,
  h,
  mountRoot,
  removeFromOriginal,
  replaceKeepingFocus,
  uniqueId,
} from "./dom.js";
import { buildLivePanel } from "./live.js";
import {
  className,
  formatSigned,
  labelEntry,
  maskEstimate,
  maxAbsWeight,
  NEGATIVE_RGB,
  POSITIVE_RGB,
  selectFeatures,
  toggledState,
} from "./logic.js";
import { withStaticFallback } from "./fallback.js";

export { mountStandalone } from "./standalone.js";

/** Strongest tint (alpha) of the superpixel with the largest |weight|. */
export const MAX_TINT_ALPHA = 0.6;
/** Hidden superpixels keep a fainter tint, so the removed evidence stays visible. */
export const HIDDEN_TINT_FACTOR = 0.5;
/** Superpixel boundaries, like scikit-image's `mark_boundaries` default (yellow). */
export const BOUNDARY_RGB = [255, 255, 0];
/** Outline of the superpixels of a counterfactual. */
export const OUTLINE_RGB = [230, 0, 180];
/** Outline of the superpixel under the pointer (or of the hovered / focused chart row). */
export const HIGHLIGHT_RGB = [0, 220, 255];
/** Superpixels hidden from view only ("Hide the rest"): the photo faded towards this grey ... */
export const VIEW_HIDDEN_RGB = [238, 238, 238];
/** ... by this much. They are not sent to the model, so they must not look like hidden ones. */
export const VIEW_HIDDEN_FADE = 0.8;
/** Superpixels hidden from the model get diagonal hatching over the hide colour, this dark. */
export const HATCH_DARKEN = 0.35;
/** Small images are shown enlarged up to this CSS width (pixels) so superpixels are easy to click. */
export const MIN_DISPLAY_WIDTH = 384;
/** ... but never enlarged more than this factor. */
const MAX_UPSCALE = 4;
/** Grey used when no hide-colour image was sent. */
const FALLBACK_HIDDEN = 128;

/**
 * The bytes of a `Bytes` trait (a DataView in anywidget) as a Uint8Array view, without copying.
 * @param {DataView|ArrayBuffer|Uint8Array|null|undefined} data
 * @returns {Uint8Array}
 */
export function bytesOf(data) {
  if (!data) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * Inflate zlib-compressed bytes (Python's `zlib.compress`) with the browser's DecompressionStream.
 * @param {Uint8Array} compressed
 * @returns {Promise<Uint8Array>}
 */
export async function inflate(compressed) {
  if (typeof DecompressionStream !== "function") {
    throw new Error("this browser has no DecompressionStream: cannot decode the segment map");
  }
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // Write and close without awaiting: the reader below drains the stream, so no back-pressure stall.
  const written = writer.write(compressed).then(() => writer.close());
  written.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  await written;
  const result = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return result;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode the `segment_map` trait: zlib-compressed little-endian uint16 superpixel positions, row-major,
 * at display size.
 *
 * @param {DataView|Uint8Array} data
 * @param {number} width
 * @param {number} height
 * @returns {Promise<Uint16Array>} One superpixel position per pixel.
 */
export async function decodeSegmentMap(data, width, height) {
  const raw = await inflate(bytesOf(data));
  const expected = width * height * 2;
  if (raw.byteLength !== expected) {
    throw new Error(
      `segment map has ${raw.byteLength} bytes after decompression, expected ${expected} ` +
        `(${width} x ${height} uint16)`,
    );
  }
  if (LITTLE_ENDIAN) return new Uint16Array(raw.buffer, raw.byteOffset, width * height);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const positions = new Uint16Array(width * height);
  for (let i = 0; i < positions.length; i += 1) positions[i] = view.getUint16(2 * i, true);
  return positions;
}

/**
 * Map a pointer position to image pixel coordinates, for a canvas that CSS may have scaled.
 *
 * @param {number} clientX
 * @param {number} clientY
 * @param {{left: number, top: number, width: number, height: number}} rect The canvas's bounding box.
 * @param {number} width Image width in pixels.
 * @param {number} height Image height in pixels.
 * @returns {{x: number, y: number}|null} null outside the image.
 */
export function clientToPixel(clientX, clientY, rect, width, height) {
  // An element that is not laid out (width 0) is treated as unscaled.
  const scaleX = rect.width > 0 ? width / rect.width : 1;
  const scaleY = rect.height > 0 ? height / rect.height : 1;
  const x = Math.floor((clientX - rect.left) * scaleX);
  const y = Math.floor((clientY - rect.top) * scaleY);
  if (!(x >= 0 && y >= 0 && x < width && y < height)) return null;
  return { x, y };
}

/**
 * CSS width of the canvas: the image's own width, or enlarged (at most MAX_UPSCALE times) up to
 * MIN_DISPLAY_WIDTH for small images. CSS `max-width: 100%` still shrinks it to the cell.
 * @param {number} width Image width in pixels.
 * @returns {number}
 */
export function displayWidth(width) {
  if (!(width > 0)) return 0;
  return width >= MIN_DISPLAY_WIDTH ? width : Math.min(MIN_DISPLAY_WIDTH, width * MAX_UPSCALE);
}

/**
 * The superpixel position at pixel (x, y), or -1 outside the image.
 * @param {Uint16Array} segmentMap
 * @param {number} width
 * @param {number} height
 * @param {number} x
 * @param {number} y
 * @returns {number}
 */
export function segmentAt(segmentMap, width, height, x, y) {
  if (!segmentMap || x < 0 || y < 0 || x >= width || y >= height) return -1;
  return segmentMap[y * width + x];
}

/**
 * Tint of every superpixel: the features selected like lime's `get_image_and_mask` get orange
 * (positive) or blue (negative) with alpha `MAX_TINT_ALPHA * |w| / max|w|`.
 *
 * @param {Array<[number, number]>} weights `[[position, weight], ...]` sorted by |w| descending.
 * @param {number} nSegments
 * @param {number} numFeatures
 * @param {{positiveOnly?: boolean, negativeOnly?: boolean, minWeight?: number}} [options]
 * @returns {{alpha: Float32Array, rgb: Uint8Array, selected: Uint8Array}}
 */
export function segmentTints(weights, nSegments, numFeatures, options = {}) {
  const alpha = new Float32Array(nSegments);
  const rgb = new Uint8Array(nSegments * 3);
  const selected = new Uint8Array(nSegments);
  const maxAbs = maxAbsWeight(weights);
  for (const [position, weight] of selectFeatures(weights, numFeatures, options)) {
    if (position < 0 || position >= nSegments) continue;
    selected[position] = 1;
    alpha[position] = maxAbs > 0 ? (MAX_TINT_ALPHA * Math.abs(weight)) / maxAbs : 0;
    rgb.set(weight > 0 ? POSITIVE_RGB : NEGATIVE_RGB, position * 3);
  }
  return { alpha, rgb, selected };
}

/**
 * Compose the displayed image in one pass over the pixels: kept superpixels from the photo; superpixels
 * hidden from the model from the hide-colour image (what the model saw) with diagonal hatching; with
 * `hideRest`, the superpixels not selected are hidden from view only: the photo faded to light grey,
 * no hatching (they are still sent to the model). Then the weight tint, yellow superpixel boundaries,
 * a magenta outline around the `outline` superpixels and a cyan one around `highlight`.
 *
 * @param {object} args
 * @param {Uint8ClampedArray|Uint8Array} args.photo RGBA pixels of the image.
 * @param {Uint8ClampedArray|Uint8Array|null} args.hidden RGBA pixels of the hide-colour image.
 * @param {Uint16Array} args.segmentMap Superpixel position per pixel.
 * @param {number} args.width
 * @param {number} args.height
 * @param {ArrayLike<number>} args.state 1 keeps a superpixel, 0 hides it.
 * @param {{alpha: Float32Array, rgb: Uint8Array, selected: Uint8Array}} args.tints
 * @param {boolean} [args.hideRest]
 * @param {Uint8Array|null} [args.outline] 1 for the superpixels to outline.
 * @param {boolean} [args.boundaries]
 * @param {number} [args.highlight] Superpixel position to outline in cyan (-1: none).
 * @param {Uint8ClampedArray} [args.out] Destination (e.g. an ImageData's `data`).
 * @returns {Uint8ClampedArray}
 */
export function composeImage({
  photo,
  hidden,
  segmentMap,
  width,
  height,
  state,
  tints,
  hideRest = false,
  outline = null,
  boundaries = true,
  highlight = -1,
  out = null,
}) {
  const target = out ?? new Uint8ClampedArray(width * height * 4);
  const nSegments = tints.alpha.length;
  // 1: photo; 2: hidden from view only (faded photo); 0: hidden from the model (hide colour).
  const source = new Uint8Array(nSegments);
  const alpha = new Float32Array(nSegments);
  for (let s = 0; s < nSegments; s += 1) {
    const kept = Number(state[s]) !== 0;
    source[s] = kept ? (!hideRest || tints.selected[s] === 1 ? 1 : 2) : 0;
    alpha[s] = tints.alpha[s] * (kept ? 1 : HIDDEN_TINT_FACTOR);
  }
  const [fadeR, fadeG, fadeB] = VIEW_HIDDEN_RGB;
  const tintRgb = tints.rgb;
  for (let y = 0; y < height; y += 1) {
    const rowStart = y * width;
    for (let x = 0; x < width; x += 1) {
      const p = rowStart + x;
      const s = segmentMap[p];
      const o = p * 4;
      let r;
      let g;
      let b;
      const from = source[s];
      if (from !== 0) {
        r = photo[o];
        g = photo[o + 1];
        b = photo[o + 2];
        if (from === 2) {
          r += (fadeR - r) * VIEW_HIDDEN_FADE;
          g += (fadeG - g) * VIEW_HIDDEN_FADE;
          b += (fadeB - b) * VIEW_HIDDEN_FADE;
        }
      } else {
        if (hidden) {
          r = hidden[o];
          g = hidden[o + 1];
          b = hidden[o + 2];
        } else {
          r = FALLBACK_HIDDEN;
          g = FALLBACK_HIDDEN;
          b = FALLBACK_HIDDEN;
        }
        if ((x + y) % 8 < 2) {
          r *= 1 - HATCH_DARKEN;
          g *= 1 - HATCH_DARKEN;
          b *= 1 - HATCH_DARKEN;
        }
      }
      const a = alpha[s];
      if (a > 0) {
        r += (tintRgb[s * 3] - r) * a;
        g += (tintRgb[s * 3 + 1] - g) * a;
        b += (tintRgb[s * 3 + 2] - b) * a;
      }
      const right = x + 1 < width ? segmentMap[p + 1] : s;
      const below = y + 1 < height ? segmentMap[p + width] : s;
      if (boundaries && (right !== s || below !== s)) {
        [r, g, b] = BOUNDARY_RGB;
      }
      if (outline) {
        // Two pixels wide: both sides of the border between outlined and other superpixels.
        const inside = outline[s];
        const left = x > 0 ? segmentMap[p - 1] : s;
        const above = y > 0 ? segmentMap[p - width] : s;
        if (
          outline[right] !== inside ||
          outline[below] !== inside ||
          outline[left] !== inside ||
          outline[above] !== inside
        ) {
          [r, g, b] = OUTLINE_RGB;
        }
      }
      if (highlight >= 0 && s === highlight) {
        const left = x > 0 ? segmentMap[p - 1] : -1;
        const above = y > 0 ? segmentMap[p - width] : -1;
        const rightOut = x + 1 < width ? segmentMap[p + 1] : -1;
        const belowOut = y + 1 < height ? segmentMap[p + width] : -1;
        if (left !== s || above !== s || rightOut !== s || belowOut !== s) [r, g, b] = HIGHLIGHT_RGB;
      }
      target[o] = r;
      target[o + 1] = g;
      target[o + 2] = b;
      target[o + 3] = 255;
    }
  }
  return target;
}

/**
 * Where to write each superpixel's id: the pixel of the superpixel closest to its centroid (so the
 * label sits inside even a crescent-shaped superpixel).
 * @param {Uint16Array} segmentMap
 * @param {number} width
 * @param {number} height
 * @param {number} nSegments
 * @returns {Array<{x: number, y: number}|null>} One point per position, null for an empty one.
 */
export function labelPoints(segmentMap, width, height, nSegments) {
  const sumX = new Float64Array(nSegments);
  const sumY = new Float64Array(nSegments);
  const count = new Float64Array(nSegments);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const s = segmentMap[y * width + x];
      if (s >= nSegments) continue;
      sumX[s] += x;
      sumY[s] += y;
      count[s] += 1;
    }
  }
  const cx = new Float64Array(nSegments);
  const cy = new Float64Array(nSegments);
  for (let s = 0; s < nSegments; s += 1) {
    cx[s] = count[s] > 0 ? sumX[s] / count[s] : 0;
    cy[s] = count[s] > 0 ? sumY[s] / count[s] : 0;
  }
  const best = new Float64Array(nSegments).fill(Infinity);
  const points = new Array(nSegments).fill(null);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const s = segmentMap[y * width + x];
      if (s >= nSegments) continue;
      const d = (x - cx[s]) ** 2 + (y - cy[s]) ** 2;
      if (d < best[s]) {
        best[s] = d;
        points[s] = { x, y };
      }
    }
  }
  return points;
}

/**
 * The id written on a superpixel: the number in its feature name ("superpixel 14" -> "14"), so it
 * matches the chart rows; else its position.
 * @param {string|undefined} name
 * @param {number} position
 * @returns {string}
 */
export function superpixelLabel(name, position) {
  const match = /(-?\d+)\s*$/.exec(String(name ?? ""));
  return match ? match[1] : String(position);
}

/** Decode an encoded image (JPEG/PNG bytes) into RGBA pixels at the given size, or null without 2D. */
async function decodePixels(data, format, width, height) {
  const bytes = bytesOf(data);
  if (bytes.byteLength === 0) return null;
  const blob = new Blob([bytes], { type: format === "png" ? "image/png" : "image/jpeg" });
  const scratch = document.createElement("canvas");
  scratch.width = width;
  scratch.height = height;
  const context = get2dContext(scratch);
  if (!context) return null;
  let source;
  if (typeof createImageBitmap === "function") source = await createImageBitmap(blob);
  else {
    const url = URL.createObjectURL(blob);
    try {
      source = new Image();
      source.src = url;
      await source.decode();
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  context.drawImage(source, 0, 0, width, height);
  source.close?.();
  return context.getImageData(0, 0, width, height).data;
}

/** A 2D context, or null where canvas is not implemented (e.g. a DOM emulator in tests). */
function get2dContext(canvas) {
  try {
    return canvas.getContext?.("2d") ?? null;
  } catch {
    return null;
  }
}

/** One legend entry: a swatch and what it means. */
function legendItem(swatchClass, text) {
  return h("span", { class: "lw-w-legend-item" }, [
    h("span", { class: `lw-w-swatch ${swatchClass}`, "aria-hidden": "true" }),
    h("span", { text }),
  ]);
}

function render({ model, el }) {
  const subscriptions = createSubscriptions(model);
  const root = mountRoot(el, "image");

  const canvas = h("canvas", {
    class: "lw-w-canvas",
    "data-testid": "lw-canvas",
    role: "img",
    tabindex: 0,
    "aria-label":
      "the explained image with its superpixels: click a superpixel to hide it from the model; " +
      "with the keyboard, arrow keys pick a superpixel and Enter or Space hides or restores it",
  });
  const instruction = h("div", {
    class: "lw-w-note",
    "data-testid": "lw-image-instruction",
    text:
      "Click a superpixel to hide it from the model (click again to restore it). " +
      "Hover a superpixel or a chart row to see which is which.",
  });
  const legend = h("div", { class: "lw-w-legend", "data-testid": "lw-image-legend" }, [
    legendItem("lw-w-swatch-positive", "orange tint: supports the label (stronger = larger weight)"),
    legendItem("lw-w-swatch-negative", "blue tint: against it"),
    legendItem("lw-w-swatch-boundary", "yellow lines: superpixel boundaries"),
    legendItem("lw-w-swatch-model-hidden", "hatched: hidden from the model (hide colour)"),
    legendItem(
      "lw-w-swatch-view-hidden",
      "faded: hidden from view only (Hide the rest), still sent to the model",
    ),
    legendItem("lw-w-swatch-outline", "magenta outline: counterfactual superpixels"),
    legendItem("lw-w-swatch-hover", "cyan outline: the superpixel under the pointer / chart row"),
  ]);
  const displayError = h("div", { class: "lw-w-error", role: "alert", hidden: true });
  // Why the picture may differ from the photo (e.g. a [-1, 1] model input drawn rescaled).
  const displayNote = h("div", { class: "lw-w-note", "data-testid": "lw-display-note", hidden: true });
  const paintDisplayNote = () => {
    const note = String(model.get("display_note") ?? "");
    displayNote.hidden = !note;
    displayNote.textContent = note;
  };
  paintDisplayNote();
  subscriptions.onChange(["display_note"], paintDisplayNote);
  const chartSlot = h("div", { class: "lw-w-chart-slot" });
  let context = null;
  let segmentMap = null;
  let photo = null;
  let hidden = null;
  let loadGeneration = 0;
  // The superpixel under the pointer, of the hovered / focused chart row, or picked by the arrow
  // keys on the canvas (-1: none); view state only, nothing is sent to Python.
  let hovered = -1;
  let showIds = false;
  let points = null;

  const size = () => ({ width: Number(model.get("width") ?? 0), height: Number(model.get("height") ?? 0) });
  const nSegments = () => {
    const count = Number(model.get("n_segments") ?? 0);
    return count > 0 ? count : (model.get("state") ?? []).length;
  };
  const currentEntry = () => labelEntry(model.get("explanations"), Number(model.get("label")));
  const displayOptions = () => ({
    positiveOnly: Boolean(model.get("positive_only")),
    negativeOnly: Boolean(model.get("negative_only")),
    minWeight: Number(model.get("min_weight") ?? 0),
  });
  const shownFeatures = () =>
    selectFeatures(currentEntry()?.weights ?? [], model.get("num_features") ?? 10, displayOptions());

  const redraw = () => {
    const { width, height } = size();
    if (!context || !photo || !segmentMap || segmentMap.length !== width * height) return;
    const counterfactual = model.get("counterfactual") ?? {};
    let outline = null;
    if (counterfactual.found && Array.isArray(counterfactual.features)) {
      outline = new Uint8Array(nSegments());
      for (const position of counterfactual.features) outline[position] = 1;
    }
    const imageData = context.createImageData(width, height);
    composeImage({
      photo,
      hidden,
      segmentMap,
      width,
      height,
      state: model.get("state") ?? [],
      tints: segmentTints(
        currentEntry()?.weights ?? [],
        nSegments(),
        model.get("num_features") ?? 10,
        displayOptions(),
      ),
      hideRest: Boolean(model.get("hide_rest")),
      outline,
      highlight: hovered,
      out: imageData.data,
    });
    context.putImageData(imageData, 0, 0);
    if (showIds) drawIds(width, height);
  };

  const drawIds = (width, height) => {
    if (!points || points.length !== nSegments())
      points = labelPoints(segmentMap, width, height, nSegments());
    const names = model.get("feature_names") ?? [];
    const fontSize = Math.max(9, Math.round(Math.max(width, height) / 40));
    context.save?.();
    context.font = `bold ${fontSize}px sans-serif`;
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.lineWidth = Math.max(2, fontSize / 4);
    context.strokeStyle = "rgba(0, 0, 0, 0.8)";
    context.fillStyle = "#fff";
    for (const [position, point] of points.entries()) {
      if (!point) continue;
      const text = superpixelLabel(names[position], position);
      context.strokeText(text, point.x, point.y);
      context.fillText(text, point.x, point.y);
    }
    context.restore?.();
  };

  const setHovered = (position) => {
    if (position === hovered) return;
    hovered = position;
    for (const row of chartSlot.querySelectorAll(".lw-w-row[data-feature]")) {
      row.classList.toggle("lw-w-hover", Number(row.dataset.feature) === hovered);
    }
    canvas.dataset.hovered = String(hovered);
    redraw();
  };

  const showDisplayError = (message) => {
    displayError.hidden = !message;
    displayError.textContent = message ? `Cannot display the image: ${message}` : "";
  };

  const loadAssets = async () => {
    loadGeneration += 1;
    const generation = loadGeneration;
    const { width, height } = size();
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${displayWidth(width)}px`;
    context = get2dContext(canvas);
    try {
      const format = String(model.get("image_format") ?? "png");
      const [map, photoPixels, hiddenPixels] = await Promise.all([
        decodeSegmentMap(model.get("segment_map"), width, height),
        context ? decodePixels(model.get("image_data"), format, width, height) : null,
        context ? decodePixels(model.get("hidden_data"), "png", width, height) : null,
      ]);
      if (generation !== loadGeneration) return;
      segmentMap = map;
      points = null;
      photo = photoPixels;
      hidden = hiddenPixels;
      showDisplayError("");
      redraw();
    } catch (error) {
      if (generation !== loadGeneration) return;
      showDisplayError(error?.message ?? String(error));
    }
  };

  const positionAtEvent = (event) => {
    const { width, height } = size();
    const pixel = clientToPixel(event.clientX, event.clientY, canvas.getBoundingClientRect(), width, height);
    return pixel ? segmentAt(segmentMap, width, height, pixel.x, pixel.y) : -1;
  };
  const toggle = (position) => commitState(model, toggledState(model.get("state") ?? [], position));

  canvas.addEventListener("click", (event) => {
    const position = positionAtEvent(event);
    if (position >= 0) toggle(position);
  });
  canvas.addEventListener("mousemove", (event) => {
    const position = positionAtEvent(event);
    setHovered(position);
    if (position < 0) return;
    const weight = new Map(currentEntry()?.weights ?? []).get(position);
    const names = model.get("feature_names") ?? [];
    const removed = Number((model.get("state") ?? [])[position]) === 0;
    canvas.title =
      `${names[position] ?? `superpixel ${position}`}` +
      `${weight === undefined ? "" : `: weight ${formatSigned(weight)}`}` +
      ` (click to ${removed ? "restore" : "hide"})`;
  });
  canvas.addEventListener("mouseleave", () => setHovered(-1));
  // Keyboard: the arrow keys walk through the superpixels (chart order first, then the rest), Enter
  // or Space hides / restores the one picked.
  canvas.addEventListener("keydown", (event) => {
    const count = nSegments();
    if (count === 0) return;
    const order = [...shownFeatures().map(([position]) => position)];
    const listed = new Set(order);
    for (let position = 0; position < count; position += 1) if (!listed.has(position)) order.push(position);
    const at = order.indexOf(hovered);
    if (["ArrowRight", "ArrowDown"].includes(event.key)) {
      event.preventDefault();
      setHovered(order[(at + 1) % order.length]);
    } else if (["ArrowLeft", "ArrowUp"].includes(event.key)) {
      event.preventDefault();
      setHovered(order[at <= 0 ? order.length - 1 : at - 1]);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (hovered >= 0) toggle(hovered);
      else setHovered(order[0]);
    }
  });
  canvas.addEventListener("blur", () => setHovered(-1));

  const paintChart = () => {
    const state = model.get("state") ?? [];
    const label = className(model.get("class_names") ?? [], Number(model.get("label")));
    replaceKeepingFocus(
      chartSlot,
      weightChart({
        title: model.get("mode") === "regression" ? "Top superpixels" : `Top superpixels for ${label}`,
        items: shownFeatures(),
        names: model.get("feature_names") ?? [],
        isOff: (position) => Number(state[position]) === 0,
        onToggle: toggle,
        onHover: setHovered,
        ...uncertaintyOptions(model, currentEntry()),
      }),
    );
    for (const row of chartSlot.querySelectorAll(".lw-w-row[data-feature]")) {
      row.classList.toggle("lw-w-hover", Number(row.dataset.feature) === hovered);
    }
  };

  // Superpixel ids on the image, on demand (view state only).
  const idsId = uniqueId("show-ids");
  const idsInput = h("input", {
    id: idsId,
    type: "checkbox",
    "data-testid": "lw-show-ids",
    on: {
      change: () => {
        showIds = idsInput.checked;
        redraw();
      },
    },
  });
  enterToggles(idsInput);
  const idsToggle = h("span", { class: "lw-w-field" }, [
    idsInput,
    h("label", { for: idsId, text: "Show superpixel ids" }),
  ]);

  // Display options: lime's get_image_and_mask arguments, two-way bound to their traits.
  const minWeightId = uniqueId("min-weight");
  const minWeight = h("input", {
    id: minWeightId,
    type: "number",
    min: 0,
    step: "any",
    class: "lw-w-number",
    "data-testid": "lw-min-weight",
    value: Number(model.get("min_weight") ?? 0),
  });
  commitOnEnter(minWeight, () => {
    const value = Number(minWeight.value);
    if (minWeight.value.trim() === "" || !Number.isFinite(value) || value < 0) {
      minWeight.setAttribute("aria-invalid", "true");
      return;
    }
    minWeight.removeAttribute("aria-invalid");
    if (value === Number(model.get("min_weight"))) return;
    model.set("min_weight", value);
    model.save_changes();
  });
  subscriptions.onChange(["min_weight"], () => {
    minWeight.value = String(model.get("min_weight") ?? 0);
  });
  const options = h("div", { class: "lw-w-controls" }, [
    // positive_only and negative_only exclude each other (lime raises if both are set).
    traitCheckbox(model, subscriptions, "positive_only", "Positive only", (on) => {
      if (on) model.set("negative_only", false);
    }),
    traitCheckbox(model, subscriptions, "negative_only", "Negative only", (on) => {
      if (on) model.set("positive_only", false);
    }),
    traitCheckbox(model, subscriptions, "hide_rest", "Hide the rest"),
    idsToggle,
    h("span", { class: "lw-w-field" }, [h("label", { for: minWeightId, text: "Min |weight|" }), minWeight]),
  ]);

  const actions = buildMaskActions(model, {
    hideText:
      "from the original, hide the k superpixels (k = features shown) that push most towards the selected label",
    keepText:
      "hide every superpixel except the k (k = features shown) that push most towards the selected label",
  });

  const live = buildLivePanel(model, subscriptions, maskEstimate);
  const counterfactual = buildCounterfactual(model, subscriptions, {
    what: "superpixels",
    onApply: (features) => removeFromOriginal(model, features),
  });

  root.append(
    buildControls(model, subscriptions),
    options,
    h("div", { class: "lw-w-columns" }, [
      h("div", { class: "lw-w-main" }, [
        h("div", { class: "lw-w-panel lw-w-canvas-wrap" }, [
          instruction,
          canvas,
          legend,
          displayError,
          displayNote,
        ]),
        actions,
        chartSlot,
      ]),
      h("div", { class: "lw-w-side" }, [
        buildOriginalOutput(model, subscriptions),
        live.element,
        counterfactual,
      ]),
    ]),
  );

  const ready = loadAssets();
  paintChart();
  subscriptions.onChange(
    ["image_data", "hidden_data", "segment_map", "width", "height", "image_format"],
    loadAssets,
  );
  subscriptions.onChange(
    [
      "state",
      "label",
      "num_features",
      "explanations",
      "positive_only",
      "negative_only",
      "hide_rest",
      "min_weight",
      "counterfactual",
      "n_segments",
    ],
    () => {
      redraw();
      paintChart();
    },
  );
  subscriptions.onChange(["feature_names", "class_names"], paintChart);

  const cleanup = () => {
    loadGeneration += 1;
    subscriptions.dispose();
    el.replaceChildren();
  };
  // Tests await the first decode through this promise; anywidget ignores extra properties.
  cleanup.ready = ready;
  return cleanup;
}

export default { render: withStaticFallback(render) };
