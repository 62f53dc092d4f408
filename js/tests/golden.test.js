// The JS semantics against fixtures written by the Python implementation (tests/widgets/golden.py):
// the rules and surrogate estimates the browser recomputes, the mask buttons and the live status.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import {
  answerStatus,
  applyRule,
  hideTopPositive,
  keepTopPositive,
  liveStatus,
  maskEstimate,
  tabularEstimate,
} from "../src/logic.js";

const fixtures = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "semantics.json"), "utf8"),
);

describe("golden fixtures from Python", () => {
  it.each(fixtures.apply_rule.map((c) => [c.name, c]))("applyRule: %s", (_, c) => {
    c.rows.forEach((row, i) => {
      row.forEach((x, j) => {
        expect(applyRule(c.rules[j], x), `row ${i}, feature ${j}`).toBeCloseTo(c.expected[i][j], 9);
      });
    });
  });

  it.each(fixtures.tabular_estimate.map((c) => [c.name, c]))("tabularEstimate: %s", (_, c) => {
    c.rows.forEach((row, i) => {
      expect(tabularEstimate(c.entry, c.rules, row), `row ${i}`).toBeCloseTo(c.expected[i], 9);
    });
  });

  it.each(fixtures.mask_estimate.map((c) => [c.name, c]))("maskEstimate: %s", (_, c) => {
    c.masks.forEach((mask, i) => {
      expect(maskEstimate(c.entry, mask), `mask ${i}`).toBeCloseTo(c.expected[i], 9);
    });
  });

  it.each(fixtures.mask_buttons.map((c) => [c.name, c]))("mask buttons: %s", (_, c) => {
    expect(hideTopPositive(c.initial_state, c.weights, c.k)).toEqual(c.hide_top);
    expect(keepTopPositive(c.initial_state.length, c.weights, c.k)).toEqual(c.keep_top);
  });

  it.each(fixtures.status.map((c) => [c.name, c]))("live status: %s", (_, c) => {
    const t = c.traits;
    const { answered } = answerStatus({
      stateId: t.state_id,
      realStateId: t.real_state_id,
      realOutputLength: t.real_output_length,
      pending: t.pending,
      error: t.error,
      errorStateId: t.error_state_id,
    });
    expect(answered).toBe(c.answered);
    const shown = liveStatus({
      isStatic: t.static,
      answered,
      pending: t.pending,
      error: t.error,
      timedOut: false,
    });
    expect(shown.text).toBe(c.text);
  });
});
