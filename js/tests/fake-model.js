// A minimal anywidget model for unit tests: traits in a plain object, Backbone-style change events,
// and spies on save_changes / send so tests can assert what the view asked Python to do.

import { vi } from "vitest";

/**
 * @param {object} state Initial trait values.
 * @returns {object} Model with `get`, `set`, `on`, `off`, `save_changes`, `send`, plus `update(name, value)`
 *   to simulate Python changing a trait, `listenerCount()` and `saved` (the traits set before each save).
 */
export function createFakeModel(state) {
  const values = structuredClone(state);
  const listeners = new Map();
  let dirty = {};
  const model = {
    saved: [],
    get: (name) => values[name],
    set: (name, value) => {
      values[name] = value;
      dirty[name] = value;
      for (const callback of [...(listeners.get(`change:${name}`) ?? [])]) callback(model, value);
    },
    on: (event, callback) => {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    off: (event, callback) => {
      listeners.set(
        event,
        (listeners.get(event) ?? []).filter((item) => item !== callback),
      );
    },
    save_changes: vi.fn(() => {
      model.saved.push(dirty);
      dirty = {};
    }),
    send: vi.fn(),
    /** What Python does: change a trait and notify the view. */
    update(name, value) {
      values[name] = value;
      for (const callback of [...(listeners.get(`change:${name}`) ?? [])]) callback(model, value);
    },
    listenerCount() {
      let count = 0;
      for (const list of listeners.values()) count += list.length;
      return count;
    },
  };
  return model;
}

/** Text of the element with `data-testid`, or throws if missing. */
export function byTestId(root, id) {
  const element = root.querySelector(`[data-testid="${id}"]`);
  if (!element) throw new Error(`no element with data-testid=${id}`);
  return element;
}

export const EVIL_NAME = "<img src=x onerror=alert(1)>";
