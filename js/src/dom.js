// DOM building and model plumbing shared by the renderers.
//
// User-provided text (tokens, feature and class names, values, error messages) only ever reaches
// the DOM through `textContent` or attributes, never through `innerHTML`. CSS classes use the
// `lw-w-` prefix: `_css` is global in JupyterLab and the static HTML views of the engine already use
// plain `lw-` names for their own layout.

// One counter per page, shared by the three kind bundles (each bundle has its own copy of this module).
const ID_COUNTER = Symbol.for("limewidgets.widgets.idCounter");
/**
 * A document-unique id for `<label for>` pairs (several widgets can share one page).
 * @param {string} stem
 * @returns {string}
 */
export function uniqueId(stem) {
  globalThis[ID_COUNTER] = (globalThis[ID_COUNTER] ?? 0) + 1;
  return `lw-w-${stem}-${globalThis[ID_COUNTER]}`;
}

/**
 * Create an element. Text children become text nodes, so user text is never parsed as HTML.
 *
 * @param {string} tag Element name.
 * @param {object} [props] `class`, `text`, `style` (object), `dataset` (object), `on` (object of
 *   listeners), `hidden`, `disabled`, `checked`, `value`; anything else is set as an attribute.
 * @param {Array<Node|string|null|undefined>} [children]
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, children = []) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = String(value);
    else if (key === "style") Object.assign(element.style, value);
    else if (key === "dataset") {
      for (const [name, item] of Object.entries(value)) element.dataset[name] = String(item);
    } else if (key === "on") {
      for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    } else if (key === "hidden" || key === "disabled" || key === "checked") element[key] = Boolean(value);
    else if (key === "value") element.value = String(value);
    else element.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * A plain button.
 * @param {string} text
 * @param {() => void} onClick
 * @param {object} [props] Extra properties (e.g. `data-testid`, `title`).
 * @returns {HTMLButtonElement}
 */
export function button(text, onClick, props = {}) {
  return h("button", { type: "button", class: "lw-w-button", text, on: { click: onClick }, ...props });
}

/**
 * The root element of a widget, replacing whatever `el` held.
 * @param {HTMLElement} el
 * @param {string} kind
 * @returns {HTMLElement}
 */
export function mountRoot(el, kind) {
  const root = h("div", { class: `lw-w-root lw-w-${kind}`, "data-kind": kind });
  el.replaceChildren(root);
  return root;
}

/**
 * Send a new edit-space row to Python: set `state`, bump `state_id` (Python answers with
 * `real_state_id`; stale ids are skipped there), then one `save_changes` for both.
 * @param {object} model anywidget model.
 * @param {ArrayLike<number>} state
 */
export function commitState(model, state) {
  model.set("state", Array.from(state));
  model.set("state_id", Number(model.get("state_id") ?? 0) + 1);
  model.save_changes();
}

/**
 * Model listeners and timers that can all be removed by the render cleanup.
 * @param {object} model
 */
export function createSubscriptions(model) {
  const handlers = [];
  const timers = new Set();
  return {
    /**
     * Call `callback` on each `change:<name>` of the given traits.
     * @param {string[]} names
     * @param {Function} callback
     */
    onChange(names, callback) {
      for (const name of names) {
        const event = `change:${name}`;
        model.on(event, callback);
        handlers.push([event, callback]);
      }
    },
    /** setTimeout that is cancelled on dispose. */
    setTimeout(callback, ms) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        callback();
      }, ms);
      timers.add(timer);
      return timer;
    },
    clearTimeout(timer) {
      clearTimeout(timer);
      timers.delete(timer);
    },
    dispose() {
      for (const [event, callback] of handlers) model.off(event, callback);
      handlers.length = 0;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Commit the original instance with `features` switched off (a counterfactual shown). */
export function removeFromOriginal(model, features) {
  const next = Array.from(model.get("initial_state") ?? [], Number);
  for (const feature of features) next[feature] = 0;
  commitState(model, next);
}

/**
 * Call `commit` when a field's value is committed: on `change`, and on Enter. JupyterLab's number
 * fields do not blur (so fire no `change`) on Enter; committing twice is harmless because the
 * callers ignore a value equal to the current one.
 * @param {HTMLInputElement} input
 * @param {() => void} commit
 */
export function commitOnEnter(input, commit) {
  input.addEventListener("change", commit);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    commit();
  });
}

/**
 * Replace `container`'s children, keeping the keyboard focus on the "same" element: if focus was
 * on an element inside it with a `data-feature`, the new element with that feature (and the same
 * `data-testid`, when it has one) gets it back. Rebuilt chart rows would otherwise drop focus to
 * `<body>`.
 * @param {HTMLElement} container
 * @param {...Node} children
 */
export function replaceKeepingFocus(container, ...children) {
  const active = container.ownerDocument?.activeElement;
  const key = active && container.contains(active) ? active.dataset?.feature : undefined;
  container.replaceChildren(...children);
  if (key === undefined) return;
  const match = Array.from(container.querySelectorAll("[data-feature]")).find(
    (element) => element.dataset.feature === key && element.tabIndex >= 0,
  );
  match?.focus({ preventScroll: true });
}

/**
 * Make Enter toggle a checkbox, as Space does natively: every control answers both keys.
 * @param {HTMLInputElement} checkbox
 */
export function enterToggles(checkbox) {
  checkbox.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    checkbox.click();
  });
}
