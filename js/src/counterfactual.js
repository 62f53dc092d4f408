// The counterfactual search button and its result (text and image widgets).

import { h } from "./dom.js";
import { className } from "./logic.js";

/**
 * The counterfactual search button and its result. Clicking increments `counterfactual_request`;
 * Python runs the search and sets `counterfactual`.
 *
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @param {object} [options]
 * @param {string} [options.what] Plural noun for the features ("words", "superpixels").
 * @param {(features: number[]) => void} [options.onApply] Show the counterfactual as the state.
 * @returns {HTMLElement}
 */
export function buildCounterfactual(model, subscriptions, { what = "features", onApply = null } = {}) {
  // The request this view is waiting for; Python's answer carries the request it answers.
  let awaitedRequest = 0;
  let searching = false;
  const button = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual",
    text: "Find counterfactual",
    title: `find a small set of ${what} whose removal changes the predicted label`,
    on: {
      click: () => {
        searching = true;
        awaitedRequest = Number(model.get("counterfactual_request") ?? 0) + 1;
        model.set("counterfactual_request", awaitedRequest);
        model.save_changes();
        update();
      },
    },
  });
  const apply = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual-apply",
    text: "Show it",
    hidden: true,
  });
  const progress = h("span", { class: "lw-w-note", "data-testid": "lw-counterfactual-status" });
  const result = h("div", { class: "lw-w-cf-result", "data-testid": "lw-counterfactual-result" });
  if (onApply) {
    apply.addEventListener("click", () => onApply(model.get("counterfactual")?.features ?? []));
  }

  const update = () => {
    const isStatic = Boolean(model.get("static"));
    button.disabled = isStatic || searching;
    button.title = isStatic
      ? "needs a live model: run the notebook to search"
      : `find a small set of ${what} whose removal changes the predicted label`;
    progress.textContent = searching ? "searching\u2026" : isStatic ? "needs a live model" : "";
    const found = model.get("counterfactual") ?? {};
    if (!("found" in found)) {
      result.replaceChildren();
      apply.hidden = true;
      return;
    }
    const classNames = model.get("class_names") ?? [];
    const names = model.get("feature_names") ?? [];
    const lines = [];
    if (found.found) {
      const featureNames = (found.features ?? []).map((id) => names[id] ?? `feature ${id}`);
      const change =
        model.get("mode") === "regression"
          ? "changes the prediction"
          : `changes the prediction from ${className(classNames, found.label_before)} to ` +
            `${className(classNames, found.label_after)}`;
      lines.push(
        h("div", { text: `Removing ${featureNames.length} ${what} (${featureNames.join(", ")}) ${change}.` }),
      );
    } else lines.push(h("div", { text: "No counterfactual found." }));
    if (found.message) lines.push(h("div", { class: "lw-w-note", text: String(found.message) }));
    if (found.queries !== undefined) {
      lines.push(h("div", { class: "lw-w-note", text: `${found.queries} model queries` }));
    }
    result.replaceChildren(...lines);
    result.classList.toggle("lw-w-cf-found", Boolean(found.found));
    apply.hidden = !(found.found && onApply);
  };
  update();
  subscriptions.onChange(["counterfactual"], () => {
    const answered = Number(model.get("counterfactual")?.request ?? awaitedRequest);
    if (answered >= awaitedRequest) searching = false;
    update();
  });
  subscriptions.onChange(["error"], () => {
    // A failed search is reported through `error`; stop saying "searching".
    if (model.get("error")) searching = false;
    update();
  });
  subscriptions.onChange(["static", "class_names", "feature_names"], update);
  return h("div", { class: "lw-w-panel lw-w-cf" }, [
    h("div", { class: "lw-w-buttons" }, [button, apply, progress]),
    result,
  ]);
}
