// Text explanation widget: the document with words highlighted by weight; activating a word removes
// it (every occurrence when the explanation used bag-of-words, that position otherwise, as encoded in
// each token's feature id) and Python re-queries the model.

import {
  buildControls,
  buildMaskActions,
  buildOriginalOutput,
  uncertaintyOptions,
  weightChart,
} from "./components.js";
import { buildCounterfactual } from "./counterfactual.js";
import {
  commitState,
  createSubscriptions,
  h,
  mountRoot,
  removeFromOriginal,
  replaceKeepingFocus,
} from "./dom.js";
import { buildLivePanel } from "./live.js";
import {
  className,
  formatSigned,
  labelEntry,
  maskEstimate,
  maxAbsWeight,
  selectFeatures,
  toggledState,
  weightColor,
} from "./logic.js";
import { withStaticFallback } from "./fallback.js";

export { mountStandalone } from "./standalone.js";

/**
 * Build the document: one span per token that is a feature (keyboard-activatable), plain text nodes
 * for separators and tokens that are not features.
 *
 * @param {Array<[string, number]>} tokens `[text, feature_id]`, feature_id -1 for non-features.
 * @returns {{nodes: Node[], spansByFeature: Map<number, HTMLElement[]>}}
 */
export function buildTokenNodes(tokens) {
  const nodes = [];
  const spansByFeature = new Map();
  for (const [text, feature] of tokens ?? []) {
    if (feature === null || feature === undefined || Number(feature) < 0) {
      nodes.push(document.createTextNode(String(text)));
      continue;
    }
    const id = Number(feature);
    const span = h("span", {
      class: "lw-w-token",
      role: "button",
      tabindex: 0,
      "data-testid": "lw-token",
      dataset: { feature: id },
      text: String(text),
    });
    nodes.push(span);
    if (!spansByFeature.has(id)) spansByFeature.set(id, []);
    spansByFeature.get(id).push(span);
  }
  return { nodes, spansByFeature };
}

function render({ model, el }) {
  const subscriptions = createSubscriptions(model);
  const root = mountRoot(el, "text");

  const toggle = (feature) => commitState(model, toggledState(model.get("state") ?? [], feature));
  const currentEntry = () => labelEntry(model.get("explanations"), Number(model.get("label")));
  const shownFeatures = () => selectFeatures(currentEntry()?.weights ?? [], model.get("num_features") ?? 10);

  const documentView = h("div", {
    class: "lw-w-doc",
    "aria-label": "document: activate a highlighted word to remove or restore it",
    on: {
      click: (event) => {
        const token = event.target.closest?.("[data-testid='lw-token']");
        if (token) toggle(Number(token.dataset.feature));
      },
      keydown: (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        const token = event.target.closest?.("[data-testid='lw-token']");
        if (!token) return;
        event.preventDefault();
        toggle(Number(token.dataset.feature));
      },
    },
  });
  const note = h("div", { class: "lw-w-note" });
  const chartSlot = h("div", { class: "lw-w-chart-slot" });
  let spansByFeature = new Map();

  const buildDocument = () => {
    const built = buildTokenNodes(model.get("tokens"));
    spansByFeature = built.spansByFeature;
    documentView.replaceChildren(...built.nodes);
    note.textContent = model.get("bow")
      ? "Click a highlighted word (or focus it and press Enter) to remove every occurrence of it."
      : "Click a highlighted word (or focus it and press Enter) to remove it at that position.";
  };

  const paint = () => {
    const state = model.get("state") ?? [];
    const shown = shownFeatures();
    const maxAbs = maxAbsWeight(shown);
    const shownWeights = new Map(shown);
    const allWeights = new Map(currentEntry()?.weights ?? []);
    for (const [feature, spans] of spansByFeature) {
      const removed = Number(state[feature]) === 0;
      const weight = allWeights.get(feature);
      const background = shownWeights.has(feature) ? weightColor(shownWeights.get(feature), maxAbs) : "";
      const title =
        `${weight === undefined ? "not in the explanation" : `weight ${formatSigned(weight)}`}; ` +
        `${removed ? "activate to restore" : "activate to remove"}`;
      for (const span of spans) {
        span.style.backgroundColor = background;
        span.classList.toggle("lw-w-removed", removed);
        span.setAttribute("aria-pressed", removed ? "true" : "false");
        span.title = title;
      }
    }
    const names = model.get("feature_names") ?? [];
    const label = className(model.get("class_names") ?? [], Number(model.get("label")));
    replaceKeepingFocus(
      chartSlot,
      weightChart({
        title: model.get("mode") === "regression" ? "Top words" : `Top words for ${label}`,
        items: shown,
        names,
        isOff: (feature) => Number(state[feature]) === 0,
        onToggle: toggle,
        ...uncertaintyOptions(model, currentEntry()),
      }),
    );
  };

  const actions = buildMaskActions(model, {
    hideText:
      "from the original, remove the k words (k = features shown) that push most towards the selected label",
    keepText: "remove every word except the k (k = features shown) that push most towards the selected label",
  });

  const live = buildLivePanel(model, subscriptions, maskEstimate);
  const counterfactual = buildCounterfactual(model, subscriptions, {
    what: "words",
    onApply: (features) => removeFromOriginal(model, features),
  });

  root.append(
    buildControls(model, subscriptions),
    h("div", { class: "lw-w-columns" }, [
      h("div", { class: "lw-w-main" }, [
        h("div", { class: "lw-w-panel" }, [documentView, note]),
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

  buildDocument();
  paint();
  subscriptions.onChange(["tokens", "bow"], () => {
    buildDocument();
    paint();
  });
  subscriptions.onChange(
    ["state", "label", "num_features", "explanations", "feature_names", "class_names"],
    paint,
  );

  return () => {
    subscriptions.dispose();
    el.replaceChildren();
  };
}

export default { render: withStaticFallback(render) };
