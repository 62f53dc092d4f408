// Image explanation widget: the photo with superpixel boundaries and a tint by weight; clicking a pixel
// toggles the superpixel that contains it (hidden superpixels are drawn from the hide-colour image that
// the explainer itself used), and Python re-queries the model with the engine's own perturbation.
//
// This module is the widget's render entry (DOM, state, events). Decoding the binary traits lives in
// decode.js and the per-pixel drawing (one typed-array pass, `composeImage`) in superpixels.js; both are
// re-exported here so the bundle and the tests keep one import path per kind.

import {
  buildControls,
  buildMaskActions,
  buildOriginalOutput,
  traitCheckbox,
  uncertaintyOptions,
  weightChart,
} from "./components.js";
import { buildCounterfactual } from "./counterfactual.js";
import { decodePixels, decodeSegmentMap, get2dContext } from "./decode.js";
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
import { withStaticFallback } from "./fallback.js";
import { buildLivePanel } from "./live.js";
import { className, formatSigned, labelEntry, maskEstimate, selectFeatures, toggledState } from "./logic.js";
import {
  clientToPixel,
  composeImage,
  displayWidth,
  drawSuperpixelIds,
  labelPoints,
  segmentAt,
  segmentTints,
} from "./superpixels.js";

export { bytesOf, decodeSegmentMap, inflate } from "./decode.js";
export { mountStandalone } from "./standalone.js";
export {
  BOUNDARY_RGB,
  clientToPixel,
  composeImage,
  displayWidth,
  HATCH_DARKEN,
  HIDDEN_TINT_FACTOR,
  HIGHLIGHT_RGB,
  labelPoints,
  MAX_TINT_ALPHA,
  MIN_DISPLAY_WIDTH,
  OUTLINE_RGB,
  segmentAt,
  segmentTints,
  superpixelLabel,
  VIEW_HIDDEN_FADE,
  VIEW_HIDDEN_RGB,
} from "./superpixels.js";

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
    drawSuperpixelIds(context, points, model.get("feature_names") ?? [], width, height);
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
