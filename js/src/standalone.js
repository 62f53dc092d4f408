// Run a widget renderer with no kernel: the standalone page written by `widget.save_html(path)` calls
// `mountStandalone(module.default, state, el)` (see limewidgets/widgets/CONTRACT.md, "Standalone page").
// The fake model keeps the traits in a plain object and fires Backbone-style "change:<name>" events,
// so the very same render function runs in Jupyter and offline.

/** Key of the object that carries a `bytes` trait as base64 in the page's JSON state. */
export const BYTES_MARKER = "$lw_bytes";

/**
 * Decode standard base64 into bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether `value` is exactly `{"$lw_bytes": "<base64>"}`. */
function isEncodedBytes(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof value[BYTES_MARKER] === "string"
  );
}

/**
 * Copy of the page's trait state with every top-level `{"$lw_bytes": ...}` turned into a DataView,
 * which is what anywidget hands a renderer for a `traitlets.Bytes` trait.
 * @param {object} state
 * @returns {object}
 */
export function decodeState(state) {
  const decoded = {};
  for (const [name, value] of Object.entries(state ?? {})) {
    if (isEncodedBytes(value)) {
      const bytes = base64ToBytes(value[BYTES_MARKER]);
      decoded[name] = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } else decoded[name] = structuredClone(value);
  }
  return decoded;
}

/** Backbone-like equality: same primitive / object, or equal JSON for plain data. */
function sameValue(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof DataView || b instanceof DataView) return false;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A model with anywidget's interface over a plain object: `get`, `set` (fires `change:<name>` and then
 * `change` when the value differs), `on`, `off`, `save_changes` and `send` (no-ops: there is no kernel).
 * `saveCount` and `sent` record calls, for tests and for debugging a page.
 *
 * @param {object} state Trait values (already decoded).
 * @returns {object}
 */
export function createStandaloneModel(state) {
  const values = { ...state };
  const listeners = new Map();
  const model = {
    saveCount: 0,
    sent: [],
    get(name) {
      return values[name];
    },
    set(name, value) {
      if (sameValue(values[name], value)) return;
      values[name] = value;
      for (const event of [`change:${name}`, "change"]) {
        for (const callback of [...(listeners.get(event) ?? [])]) callback(model, value);
      }
    },
    on(event, callback) {
      for (const name of String(event).split(/\s+/).filter(Boolean)) {
        if (!listeners.has(name)) listeners.set(name, []);
        listeners.get(name).push(callback);
      }
    },
    off(event, callback) {
      if (event === undefined || event === null) {
        listeners.clear();
        return;
      }
      for (const name of String(event).split(/\s+/).filter(Boolean)) {
        if (callback === undefined) listeners.delete(name);
        else
          listeners.set(
            name,
            (listeners.get(name) ?? []).filter((item) => item !== callback),
          );
      }
    },
    save_changes() {
      model.saveCount += 1;
    },
    send(content, callbacks, buffers) {
      model.sent.push({ content, buffers });
    },
  };
  return model;
}

/** The `render` function of an anywidget module in any of its accepted shapes. */
function resolveRender(renderModule) {
  let widget = renderModule?.default ?? renderModule;
  if (typeof widget === "function" && typeof widget.render !== "function") widget = widget();
  if (!widget || typeof widget.render !== "function") {
    throw new TypeError("mountStandalone: renderModule must provide a render({ model, el }) function");
  }
  return widget.render;
}

/**
 * Render a widget with no kernel.
 *
 * @param {object} renderModule The bundle's default export (`{ render }`) or the module itself.
 * @param {object} state The trait state from the page (Bytes as `{"$lw_bytes": base64}`).
 * @param {HTMLElement} el Where to render.
 * @returns {Function} Cleanup; its `model` property is the fake model.
 */
export function mountStandalone(renderModule, state, el) {
  const render = resolveRender(renderModule);
  const model = createStandaloneModel(decodeState(state));
  let cleanup = null;
  let disposed = false;
  const result = render({ model, el });
  if (result && typeof result.then === "function") {
    result.then((fn) => {
      if (disposed && typeof fn === "function") fn();
      else cleanup = fn;
    });
  } else cleanup = result;
  const dispose = () => {
    disposed = true;
    if (typeof cleanup === "function") cleanup();
  };
  dispose.model = model;
  dispose.ready = result?.ready;
  return dispose;
}
