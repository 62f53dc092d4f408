"""save_html: one offline page with the bundle, the styles and the state, safe against injection."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from limewidgets import (
    ImageExplanationWidget,
    LimeTextExplainer,
    TabularExplanationWidget,
    TextExplanationWidget,
)
from limewidgets.widgets._export import (
    BYTES_MARKER,
    bundle_text,
    script_json,
    script_text,
    widget_state,
)

STATE_RE = re.compile(r'<script type="application/json" id="lw-state-(\w+)">(.*?)</script>', re.S)
BUNDLE_RE = re.compile(r'<script type="text/plain" id="lw-bundle-(\w+)">(.*?)</script>', re.S)


def read_page(path):
    page = path.read_text(encoding="utf8")
    (uid, state_text) = STATE_RE.search(page).groups()
    (bundle_uid, bundle) = BUNDLE_RE.search(page).groups()
    assert uid == bundle_uid and f'id="lw-root-{uid}"' in page
    return page, json.loads(state_text), bundle


def test_page_inlines_bundle_css_and_state(tmp_path, text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    widget.toggle(0)
    path = widget.save_html(tmp_path / "text.html", title="My <review>")
    page, state, bundle = read_page(path)
    assert bundle == script_text(bundle_text("text"))
    assert "mountStandalone" in bundle and "export" in bundle
    assert "mod.mountStandalone(mod.default, state," in page
    assert "<title>My &lt;review&gt;</title>" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    from limewidgets.widgets._assets import CSS_PATH

    if CSS_PATH.is_file():
        assert CSS_PATH.read_text(encoding="utf8").strip()[:200] in page
    assert state["static"] is True and state["pending"] is False and state["error"] == ""
    assert state["kind"] == "text" and state["state"] == widget.state and state["state_id"] == 1
    assert state["tokens"] == widget.tokens
    assert state["explanations"] == json.loads(json.dumps(widget.explanations))
    assert not any(name.startswith("_") or name == "layout" for name in state)
    assert state == widget_state(widget)


def test_page_escapes_script_in_user_data(tmp_path, text_model):
    attack = "</script><script>alert(1)</script><!-- & \u2028"
    explainer = LimeTextExplainer(class_names=["neg</script>", "pos"], random_state=0)
    explanation = explainer.explain_instance(f"good movie {attack} bad", text_model, num_samples=50)
    widget = TextExplanationWidget(explanation, threaded=False)
    page, state, _ = read_page(widget.save_html(tmp_path / "attack.html"))
    # Exactly three script elements end: bundle, state and loader; user data closes none.
    assert page.count("</script>") == 3
    assert "<script>alert(1)" not in page
    assert state["class_names"] == ["neg</script>", "pos"]
    assert "".join(text for text, _ in state["tokens"]) == f"good movie {attack} bad"


def test_bytes_traits_round_trip(tmp_path, image_explanation):
    widget = ImageExplanationWidget(image_explanation, threaded=False)
    _, state, _ = read_page(widget.save_html(tmp_path / "image.html"))
    for name in ("image_data", "hidden_data", "segment_map"):
        assert set(state[name]) == {BYTES_MARKER}
        assert base64.b64decode(state[name][BYTES_MARKER]) == getattr(widget, name)
    assert state["width"] == 64 and state["n_segments"] == 16


def test_tabular_page_and_nan_become_null(tmp_path, tabular_explanation):
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    widget.surrogate_output = float("nan")
    _, state, _ = read_page(widget.save_html(str(tmp_path / "tabular.html")))
    assert state["surrogate_output"] is None
    assert [f["name"] for f in state["features"]] == ["x0", "colour", "x2"]
    with pytest.raises(TypeError, match="path must be a str or path-like"):
        widget.save_html(42)


def test_script_helpers():
    assert script_json({"a": "</script>&\u2028"}) == '{"a":"\\u003c/script\\u003e\\u0026\\u2028"}'
    assert json.loads(script_json({"a": "</script>&\u2028"})) == {"a": "</script>&\u2028"}
    assert script_text('x = "</SCRIPT>"; // <!-- y') == 'x = "<\\/SCRIPT>"; // <\\!-- y'
    with pytest.raises(ValueError):
        script_json({"a": np.nan})
