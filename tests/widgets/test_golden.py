"""The committed JS golden fixtures are what the Python implementation answers today."""

from __future__ import annotations

import json
import math

from .golden import FIXTURE, build


def _differences(expected, actual, path="$"):
    """Paths where two JSON values differ (floats compared to 1e-9 relative)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{path}: keys {sorted(set(expected) ^ set(actual))}"]
        return [
            d for key in expected for d in _differences(expected[key], actual[key], f"{path}.{key}")
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: length {len(expected)} != {len(actual)}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _differences(e, a, f"{path}[{i}]")
        ]
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        return [] if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12) else [path]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def test_committed_fixtures_are_current():
    committed = json.loads(FIXTURE.read_text(encoding="utf8"))
    fresh = build()
    differences = _differences(fresh, committed)
    assert not differences, (
        "js/tests/fixtures/semantics.json is stale: regenerate it with "
        "`PYTHONPATH=$PWD python -m tests.widgets.golden` and commit it; differences: "
        f"{differences[:10]}"
    )


def test_the_fixtures_cover_every_rule_and_scenario():
    fixtures = build()
    rule_types = {rule["type"] for case in fixtures["apply_rule"] for rule in case["rules"]}
    assert rule_types == {"bin", "equal", "scale"}
    assert {case["answered"] for case in fixtures["status"]} == {True, False}
    assert len({case["text"] for case in fixtures["status"]}) == 4
    assert any(case["name"] == "regression" for case in fixtures["tabular_estimate"])
