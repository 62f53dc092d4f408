// Superpixel drawing for the image widget, as pure functions over typed arrays: pointer-to-pixel
// geometry, the weight tints, the one-pass composition of the displayed image and the superpixel id
// labels. Exported so they can be tested without a canvas; the widget (image.js) owns the state.

import { maxAbsWeight, NEGATIVE_RGB, POSITIVE_RGB, selectFeatures } from "./logic.js";

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

/**
 * Write every superpixel's id on a 2D context, white with a dark outline so it reads on any photo.
 * @param {CanvasRenderingContext2D} context
 * @param {Array<{x: number, y: number}|null>} points From `labelPoints`.
 * @param {Array<string>} names Feature names by position.
 * @param {number} width Image width in pixels.
 * @param {number} height Image height in pixels.
 */
export function drawSuperpixelIds(context, points, names, width, height) {
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
}
