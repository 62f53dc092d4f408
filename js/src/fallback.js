// Hide a widget's static fallback once its live view has rendered.
//
// Displaying a widget in a notebook publishes two outputs: a script-free HTML view of the explanation
// (`<div class="lw-fallback lw-fallback-ID">`, for nbconvert, GitHub, reopened notebooks...) and
// the widget view. Where the widget renders, the static copy would show the explanation twice, so the
// first live view of a widget adds one rule to the page that hides every fallback carrying its
// `fallback_id` class (re-displays and outputs added later included); the last view to go removes it.
// See limewidgets/widgets/_fallback.py.

/** Live views per fallback id: `{ count, style }`. */
const liveViews = new Map();

/** Fallback ids are hex strings written by Python; anything else is ignored (no CSS injection). */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The CSS that hides the fallback `id`: the element itself, and (where `:has` is supported) the output
 * area that holds only it, so no empty output row is left. Two rules, so a browser without `:has` still
 * applies the first.
 * @param {string} id
 * @returns {string}
 */
export function fallbackRules(id) {
  // A class, not the data-lw-fallback attribute: JupyterLab's sanitizer (untrusted notebooks) drops data-*.
  const selector = `.lw-fallback-${id}`;
  return (
    `${selector}{display:none !important}\n` +
    `:is(.jp-OutputArea-child,.output_area):has(${selector}):not(:has(.lw-w-root)){display:none !important}\n`
  );
}

/**
 * Hide the static fallback of the widget behind `model` while this view lives.
 * @param {{get: (name: string) => unknown}} model
 * @param {Document} [doc]
 * @returns {() => void} releases this view (the rule goes when no view of the widget is left)
 */
export function hideStaticFallback(model, doc = globalThis.document) {
  const id = model.get("fallback_id");
  if (typeof id !== "string" || !SAFE_ID.test(id) || !doc?.head) return () => {};
  let entry = liveViews.get(id);
  if (!entry) {
    const style = doc.createElement("style");
    style.dataset.lwFallbackRule = id;
    style.textContent = fallbackRules(id);
    doc.head.appendChild(style);
    entry = { count: 0, style };
    liveViews.set(id, entry);
  }
  entry.count += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    entry.count -= 1;
    if (entry.count === 0) {
      entry.style.remove();
      liveViews.delete(id);
    }
  };
}

/**
 * Wrap a widget's `render` so that a successfully rendered view hides its static fallback.
 * Extra properties of the cleanup function (e.g. the image widget's `ready` promise) are kept.
 * @param {(props: {model: object, el: HTMLElement}) => (void | (() => void))} render
 */
export function withStaticFallback(render) {
  return function renderWithFallback(props) {
    const cleanup = render(props);
    const release = hideStaticFallback(props.model, props.el?.ownerDocument ?? globalThis.document);
    const wrapped = () => {
      release();
      if (typeof cleanup === "function") cleanup();
    };
    if (typeof cleanup === "function") Object.assign(wrapped, cleanup);
    return wrapped;
  };
}
