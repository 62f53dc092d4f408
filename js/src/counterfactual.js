// The counterfactual search button and its result (text and image: features removed; tabular: values
// changed, see CONTRACT.md change 1).

import { commitOnEnter, h, uniqueId } from "./dom.js";
import { className, formatNumber } from "./logic.js";

/**
 * What a found counterfactual does to the decision, in words: "changes the prediction from a to b",
 * or for regression "moves the value to 12.3 (below the threshold 15)".
 * @param {object} found The `counterfactual` trait.
 * @param {object} context
 * @param {string} context.mode
 * @param {string[]} context.classNames
 * @param {number|null} context.threshold The `counterfactual_threshold` trait.
 * @returns {string}
 */
export function describeOutcome(found, { mode, classNames, threshold }) {
  if (mode === "regression") {
    const value = found.output_after?.[0];
    const side = found.label_after === 1 ? "at or above" : "below";
    const limit = threshold === null || threshold === undefined ? "" : ` ${formatNumber(threshold)}`;
    return `moves the value to ${formatNumber(value)} (${side} the threshold${limit})`;
  }
  return (
    `changes the prediction from ${className(classNames, found.label_before)} to ` +
    `${className(classNames, found.label_after)}`
  );
}

/**
 * The one-line summary of a search result (the engine's `message` says the same, so it is only shown
 * when nothing was found: it then says why).
 * @param {object} found The `counterfactual` trait.
 * @param {object} context `mode`, `classNames`, `threshold`, `names` (feature names by id), `what`.
 * @returns {string}
 */
export function summarizeCounterfactual(found, context) {
  if (found.cancelled) return "Search cancelled.";
  if (!found.found) {
    return found.message ? `No counterfactual found: ${found.message}` : "No counterfactual found.";
  }
  const outcome = describeOutcome(found, context);
  if (found.searched === "change") {
    const count = (found.changes ?? []).length;
    return `Changing ${count} value${count === 1 ? "" : "s"} ${outcome}:`;
  }
  const names = (found.features ?? []).map((id) => context.names?.[id] ?? `feature ${id}`);
  return `Removing ${names.length} ${context.what} (${names.join(", ")}) ${outcome}.`;
}

/**
 * How the search was checked: "verified with 14 model queries (3 answers reused)".
 * @param {object} found
 * @returns {string}
 */
export function queriesNote(found) {
  if (found.queries === undefined) return "";
  const reused = Number(found.reused ?? 0);
  const verb = found.found ? "verified with" : "searched with";
  return `${verb} ${found.queries} model queries${reused > 0 ? ` (${reused} answers reused)` : ""}`;
}

/**
 * The counterfactual search button, its Cancel button and its result. Clicking increments
 * `counterfactual_request`; Python runs the search and sets `counterfactual`, whose `request` says
 * which click it answers. Cancel sets `counterfactual_cancel` to the awaited request: Python stops
 * the search at its next model call and answers with `cancelled: true`; the button is usable again
 * at once.
 *
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @param {object} [options]
 * @param {string} [options.what] Plural noun for the features ("words", "superpixels").
 * @param {(features: number[], found: object) => void} [options.onApply] Make the counterfactual the
 *   current edit (called with its features and the whole result).
 * @param {string} [options.applyText] Text of the apply button.
 * @param {string} [options.searchTitle] What the search looks for (the button's title).
 * @returns {HTMLElement}
 */
export function buildCounterfactual(
  model,
  subscriptions,
  {
    what = "features",
    onApply = null,
    applyText = "Show it",
    searchTitle = `find a small set of ${what} whose removal changes the predicted label`,
  } = {},
) {
  // The request this view is waiting for; Python's answer carries the request it answers.
  let awaitedRequest = 0;
  let searching = false;
  // The awaited search was cancelled here (its answer may still arrive, marked cancelled).
  let cancelled = false;
  const button = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual",
    text: "Find counterfactual",
    title: searchTitle,
    on: {
      click: () => {
        searching = true;
        cancelled = false;
        awaitedRequest = Number(model.get("counterfactual_request") ?? 0) + 1;
        model.set("counterfactual_request", awaitedRequest);
        model.save_changes();
        update();
      },
    },
  });
  const cancel = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual-cancel",
    text: "Cancel",
    title: "stop the search (at its next model call)",
    hidden: true,
    on: {
      click: () => {
        model.set("counterfactual_cancel", awaitedRequest);
        model.save_changes();
        searching = false;
        cancelled = true;
        update();
      },
    },
  });
  const apply = h("button", {
    type: "button",
    class: "lw-w-button",
    "data-testid": "lw-counterfactual-apply",
    text: applyText,
    hidden: true,
  });
  const progress = h("span", { class: "lw-w-note", "data-testid": "lw-counterfactual-status" });
  const result = h("div", { class: "lw-w-cf-result", "data-testid": "lw-counterfactual-result" });
  if (onApply) {
    apply.addEventListener("click", () => {
      const found = model.get("counterfactual") ?? {};
      if (found.found) onApply(found.features ?? [], found);
    });
  }

  // Regression: the value the search must cross (CONTRACT.md change 1), editable here.
  const thresholdId = uniqueId("cf-threshold");
  const threshold = h("input", {
    id: thresholdId,
    type: "number",
    step: "any",
    class: "lw-w-number",
    "data-testid": "lw-counterfactual-threshold",
  });
  commitOnEnter(threshold, () => {
    const value = Number(threshold.value);
    if (threshold.value.trim() === "" || !Number.isFinite(value)) {
      threshold.setAttribute("aria-invalid", "true");
      return;
    }
    threshold.removeAttribute("aria-invalid");
    if (value === model.get("counterfactual_threshold")) return;
    model.set("counterfactual_threshold", value);
    model.save_changes();
  });
  const thresholdField = h("span", { class: "lw-w-field" }, [
    h("label", { for: thresholdId, text: "Threshold" }),
    threshold,
  ]);
  const fillThreshold = () => {
    thresholdField.hidden = model.get("mode") !== "regression";
    const value = model.get("counterfactual_threshold");
    if (value !== null && value !== undefined) threshold.value = String(value);
  };
  fillThreshold();
  subscriptions.onChange(["counterfactual_threshold", "mode"], fillThreshold);

  const update = () => {
    const isStatic = Boolean(model.get("static"));
    button.disabled = isStatic || searching;
    button.title = isStatic ? "needs a live model: run the notebook to search" : searchTitle;
    cancel.hidden = !searching || isStatic;
    if (searching) progress.textContent = "searching\u2026";
    else if (isStatic) progress.textContent = "needs a live model";
    else progress.textContent = cancelled ? "search cancelled" : "";
    const found = model.get("counterfactual") ?? {};
    if (!("found" in found)) {
      result.replaceChildren();
      apply.hidden = true;
      return;
    }
    const context = {
      mode: model.get("mode"),
      classNames: model.get("class_names") ?? [],
      threshold: model.get("counterfactual_threshold"),
      names: model.get("feature_names") ?? [],
      what,
    };
    const lines = [h("div", { text: summarizeCounterfactual(found, context) })];
    if (found.found && found.searched === "change") {
      lines.push(
        h(
          "ul",
          { class: "lw-w-cf-changes", "data-testid": "lw-counterfactual-changes" },
          (found.changes ?? []).map((change) =>
            h("li", {
              dataset: { feature: change.feature },
              text: `${change.name}: ${change.from_display} \u2192 ${change.to_display}`,
            }),
          ),
        ),
      );
    }
    const note = queriesNote(found);
    if (note) lines.push(h("div", { class: "lw-w-note", text: note }));
    result.replaceChildren(...lines);
    result.classList.toggle("lw-w-cf-found", Boolean(found.found));
    apply.hidden = !(found.found && onApply);
  };
  update();
  subscriptions.onChange(["counterfactual"], () => {
    // Python answers every request, failed or cancelled ones too (with the request they answer).
    const answered = Number(model.get("counterfactual")?.request ?? awaitedRequest);
    if (answered >= awaitedRequest) {
      searching = false;
      cancelled = false;
    }
    update();
  });
  subscriptions.onChange(["static", "class_names", "feature_names", "counterfactual_threshold"], update);
  return h("div", { class: "lw-w-panel lw-w-cf" }, [
    h("div", { class: "lw-w-buttons" }, [button, cancel, apply, progress]),
    thresholdField,
    result,
  ]);
}
