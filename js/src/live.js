// The live panel: the real model's output for the current edit, the surrogate's estimate and their
// difference, with the pending / no-live-model status (logic.js decides what it says).

import { h } from "./dom.js";
import {
  NO_ANSWER_TIMEOUT_MS,
  answerStatus,
  argmax,
  className,
  formatNumber,
  formatSigned,
  labelEntry,
  liveStatus,
  surrogateHint,
} from "./logic.js";
import { valueTrack } from "./components.js";

/**
 * The live panel: the real model's output for the current state, the surrogate's estimate and
 * their difference, with pending / no-live-model status and the model's error.
 *
 * @param {object} model
 * @param {ReturnType<typeof createSubscriptions>} subscriptions
 * @param {(entry: object, state: number[]) => number} estimate Surrogate estimate of a state for the
 *   explanation entry of the selected label.
 * @returns {{element: HTMLElement, update: () => void}}
 */
export function buildLivePanel(model, subscriptions, estimate) {
  const isRegression = () => model.get("mode") === "regression";
  const realName = h("span", { class: "lw-w-live-name" });
  const real = h("span", { class: "lw-w-live-value", "data-testid": "lw-real-output" });
  const predicted = h("span", { class: "lw-w-note", "data-testid": "lw-real-predicted" });
  const surrogateName = h("span", { class: "lw-w-live-name" });
  const surrogate = h("span", { class: "lw-w-live-value", "data-testid": "lw-surrogate-output" });
  const hint = h("span", { class: "lw-w-hint", "data-testid": "lw-surrogate-hint", hidden: true });
  const difference = h("span", { class: "lw-w-live-value", "data-testid": "lw-difference" });
  const status = h("div", { class: "lw-w-status", "data-testid": "lw-status", role: "status" });
  const pending = h("div", {
    class: "lw-w-pending",
    "data-testid": "lw-pending",
    text: "pending\u2026 waiting for the model",
    hidden: true,
  });
  const error = h("div", { class: "lw-w-error", "data-testid": "lw-error", role: "alert", hidden: true });
  const cached = h("div", {
    class: "lw-w-note lw-w-cached",
    "data-testid": "lw-from-cache",
    text: "answered from cache: this instance was queried before, no model call",
    hidden: true,
  });
  const track = h("div", { class: "lw-w-live-track" });

  const element = h("div", { class: "lw-w-panel lw-w-live", "aria-live": "polite" }, [
    h("div", { class: "lw-w-title", text: "Edited instance" }),
    h("div", { class: "lw-w-live-row" }, [realName, real, predicted]),
    h("div", { class: "lw-w-live-row" }, [surrogateName, surrogate, hint]),
    h("div", { class: "lw-w-live-row" }, [
      h("span", { class: "lw-w-live-name", text: "Difference (real \u2212 surrogate)" }),
      difference,
    ]),
    track,
    status,
    cached,
    pending,
    error,
  ]);

  // Whether the kernel missed the answer deadline for the current state_id.
  let timedOut = false;
  let timer = null;
  let timerStateId = null;

  const update = () => {
    const label = Number(model.get("label"));
    const classNames = model.get("class_names") ?? [];
    const stateId = Number(model.get("state_id") ?? 0);
    const realStateId = Number(model.get("real_state_id"));
    const isStatic = Boolean(model.get("static"));
    const entry = labelEntry(model.get("explanations"), label);
    const state = model.get("state") ?? [];
    const estimateValue = entry ? estimate(entry, state) : Number.NaN;
    let realOutput = model.get("real_output") ?? [];
    const errorText = String(model.get("error") ?? "");
    const pythonPending = Boolean(model.get("pending"));
    let { upToDate, answered } = answerStatus({
      stateId,
      realStateId,
      realOutputLength: realOutput.length,
      pending: pythonPending,
      error: errorText,
      errorStateId: Number(model.get("error_state_id") ?? -1),
    });
    // With no kernel (a saved page) the one other real output known for sure is the original's:
    // after Reset show it instead of the last saved answer, which belongs to another edit.
    if (isStatic && !upToDate && sameRow(state, model.get("initial_state"))) {
      const original = model.get("original_output") ?? [];
      if (original.length > 0) {
        realOutput = original;
        upToDate = true;
        answered = true;
      }
    }
    const realValue = isRegression() ? realOutput[0] : realOutput[label];

    realName.textContent = isRegression()
      ? "Real model: value"
      : `Real model: P(${className(classNames, label)})`;

    real.dataset.stateId = String(upToDate ? stateId : realStateId);
    real.classList.toggle("lw-w-stale", !upToDate);
    if (realOutput.length === 0) {
      real.textContent = "\u2013";
      real.title = "";
    } else {
      real.textContent = formatNumber(realValue);
      real.title = upToDate
        ? ""
        : `model output for an earlier edit (#${realStateId}); the current edit is #${stateId}`;
    }
    if (!isRegression() && realOutput.length > 0) {
      predicted.textContent = `predicted: ${className(classNames, argmax(realOutput))}`;
    } else predicted.textContent = "";
    surrogate.textContent = formatNumber(estimateValue);
    const hintText = surrogateHint(estimateValue, model.get("mode"));
    hint.textContent = hintText;
    hint.hidden = hintText === "";
    difference.textContent = upToDate ? formatSigned(realValue - estimateValue) : "\u2013";

    if (isRegression()) {
      track.replaceChildren(
        valueTrack(
          upToDate ? realValue : estimateValue,
          model.get("min_value"),
          model.get("max_value"),
          upToDate ? "real" : "surrogate",
        ),
      );
    } else track.replaceChildren();

    error.hidden = errorText === "";
    error.textContent = errorText === "" ? "" : `Model error: ${errorText}`;

    // The answer deadline restarts for every new state_id and stops once Python answers.
    if (answered || isStatic) {
      if (timer !== null) subscriptions.clearTimeout(timer);
      timer = null;
      timedOut = false;
    } else if (timerStateId !== stateId) {
      if (timer !== null) subscriptions.clearTimeout(timer);
      timedOut = false;
      timerStateId = stateId;
      timer = subscriptions.setTimeout(() => {
        timer = null;
        timedOut = true;
        update();
      }, NO_ANSWER_TIMEOUT_MS);
    }

    // After the deadline logic: a late answer resets timedOut.
    const shown = liveStatus({ isStatic, answered, pending: pythonPending, error: errorText, timedOut });
    surrogateName.textContent = shown.surrogateName;
    // Python is also pending while it runs a counterfactual search for the current state.
    pending.hidden = !shown.showPending;
    status.textContent = shown.text;
    // Python answered this very edit from its query cache (an instance already asked for).
    const fromCache = !isStatic && upToDate && Boolean(model.get("real_from_cache"));
    cached.hidden = !fromCache;
    cached.title = fromCache
      ? `model answers reused by this widget so far: ${Number(model.get("cache_hits") ?? 0)}`
      : "";
    element.classList.toggle("lw-w-surrogate-only", shown.surrogateOnly);
  };

  update();
  subscriptions.onChange(
    [
      "state",
      "state_id",
      "real_output",
      "real_state_id",
      "pending",
      "error",
      "error_state_id",
      "label",
      "static",
      "explanations",
      "class_names",
      "mode",
      "min_value",
      "max_value",
      "initial_state",
      "original_output",
      "real_from_cache",
      "cache_hits",
    ],
    update,
  );
  return { element, update };
}

/** Whether two edit rows hold the same values. */
function sameRow(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (Number(a[i]) !== Number(b[i])) return false;
  return true;
}
