// Global view of many explanations: one bar per feature (mean |weight| over the rows, coloured by the
// sign of the mean weight); activating a bar lists the rows where that feature weighs most; activating
// a row (or one of the picked explanations shown side by side) sets `selected_row`, and Python opens
// that row's own explanation widget below this chart.

import { weightChart } from "./components.js";
import { createSubscriptions, h, mountRoot } from "./dom.js";
import { formatSigned } from "./logic.js";

export { mountStandalone } from "./standalone.js";

/**
 * The aggregate entries of the shown label.
 * @param {object} aggregates `{label: [{name, mean_abs, mean, count, n, rows}]}`.
 * @param {number} label
 * @returns {Array<object>}
 */
export function labelAggregates(aggregates, label) {
  return (aggregates ?? {})[String(label)] ?? [];
}

function commit(model, name, value) {
  model.set(name, value);
  model.save_changes();
}

function featureBar(entry, top, selected, onSelect) {
  const width = top > 0 ? (Math.abs(entry.mean_abs) / top) * 100 : 0;
  const tip =
    `${entry.name}: mean |weight| ${Number(entry.mean_abs).toFixed(3)}, signed mean ` +
    `${formatSigned(entry.mean)}, weighted in ${entry.count} of ${entry.n} rows`;
  return h(
    "button",
    {
      type: "button",
      class: `lw-w-row lw-w-row-button lw-w-g-feature${selected ? " lw-w-g-selected" : ""}`,
      "data-testid": "lw-g-feature",
      dataset: { name: entry.name },
      "aria-pressed": selected ? "true" : "false",
      title: tip,
      on: { click: () => onSelect(entry.name) },
    },
    [
      h("span", { class: "lw-w-name", text: entry.name }),
      h("span", { class: "lw-w-track" }, [
        h("span", {
          class: `lw-w-bar ${entry.mean > 0 ? "lw-w-positive" : "lw-w-negative"}`,
          style: { left: "0%", width: `${width.toFixed(1)}%` },
        }),
      ]),
      h("span", {
        class: "lw-w-val",
        text: `${Number(entry.mean_abs).toFixed(3)} (${entry.count}/${entry.n})`,
      }),
    ],
  );
}

function rowList(model, entry) {
  const names = model.get("row_names") ?? [];
  const isStatic = Boolean(model.get("static"));
  const selectedRow = Number(model.get("selected_row") ?? -1);
  const items = (entry.rows ?? []).map(([position, weight]) =>
    h(
      "button",
      {
        type: "button",
        class: `lw-w-button lw-w-g-row${position === selectedRow ? " lw-w-g-selected" : ""}`,
        "data-testid": "lw-g-row",
        dataset: { position },
        disabled: isStatic,
        title: isStatic ? "open the notebook to explore this row" : "open this row's explanation",
        on: { click: () => commit(model, "selected_row", Number(position)) },
      },
      [`row ${names[position] ?? position}: ${formatSigned(weight)}`],
    ),
  );
  return h("div", { class: "lw-w-panel lw-w-g-rows", "data-testid": "lw-g-rows" }, [
    h("div", { class: "lw-w-title", text: `Rows where ${entry.name} matters most` }),
    h("div", { class: "lw-w-g-row-list" }, items),
    items.length === 0 ? h("div", { class: "lw-w-note", text: "no rows" }) : null,
  ]);
}

function pickedCards(model) {
  const picked = model.get("picked") ?? [];
  if (picked.length === 0) return null;
  const isStatic = Boolean(model.get("static"));
  const cards = picked.map((card) => {
    const chart = weightChart({
      title: String(card.title),
      items: (card.items ?? []).map(([, weight], i) => [i, Number(weight)]),
      names: (card.items ?? []).map(([name]) => String(name)),
    });
    return h(
      "button",
      {
        type: "button",
        class: "lw-w-g-card",
        "data-testid": "lw-g-picked",
        dataset: { position: card.position },
        disabled: isStatic,
        title: isStatic ? String(card.title) : `open ${card.title}`,
        on: { click: () => commit(model, "selected_row", Number(card.position)) },
      },
      [chart],
    );
  });
  return h("div", { class: "lw-w-g-picked-panel" }, [
    h("div", { class: "lw-w-title", text: "Picked explanations" }),
    h("div", { class: "lw-w-g-picked" }, cards),
  ]);
}

function render({ model, el }) {
  const subscriptions = createSubscriptions(model);
  const root = mountRoot(el, "global");

  const draw = () => {
    const labels = model.get("labels") ?? [];
    const label = Number(model.get("label"));
    const entries = labelAggregates(model.get("aggregates"), label);
    const selected = String(model.get("selected_feature") ?? "");
    const top = entries.reduce((m, e) => Math.max(m, Math.abs(Number(e.mean_abs))), 0);
    const current = labels.find((l) => Number(l.id) === label);

    const select =
      labels.length > 1
        ? h(
            "select",
            {
              class: "lw-w-select",
              "data-testid": "lw-g-label",
              "aria-label": "label",
              on: { change: (event) => commit(model, "label", Number(event.target.value)) },
            },
            labels.map((l) => {
              const option = h("option", { value: l.id, text: `${l.name} (${l.n} rows)` });
              option.selected = Number(l.id) === label;
              return option;
            }),
          )
        : null;
    const bars = entries.map((entry) =>
      featureBar(entry, top, entry.name === selected, (name) =>
        commit(model, "selected_feature", name === selected ? "" : name),
      ),
    );
    const chosen = entries.find((entry) => entry.name === selected);
    const failed = model.get("failed_rows") ?? [];
    const parts = [
      h("div", { class: "lw-w-panel lw-w-chart lw-w-g-chart" }, [
        h("div", { class: "lw-w-title", text: `Global view: ${current ? current.name : label}` }),
        h("div", {
          class: "lw-w-note",
          text:
            `Mean |weight| over ${current ? current.n : "the"} explanations (in brackets: rows that weight ` +
            "the feature); orange: pushes towards this label on average, blue: away. " +
            "Select a feature to list its rows.",
        }),
        select,
        ...bars,
        entries.length === 0 ? h("div", { class: "lw-w-note", text: "no features to show" }) : null,
        failed.length
          ? h("div", { class: "lw-w-note", text: `Rows that failed (not counted): ${failed.join(", ")}` })
          : null,
      ]),
      chosen ? rowList(model, chosen) : null,
      pickedCards(model),
    ];
    root.replaceChildren(...parts.filter(Boolean));
  };

  draw();
  subscriptions.onChange(
    [
      "labels",
      "label",
      "aggregates",
      "selected_feature",
      "selected_row",
      "picked",
      "row_names",
      "static",
      "failed_rows",
    ],
    draw,
  );
  return () => subscriptions.dispose();
}

export default { render };
