"""save_html: one offline page with the bundle, the styles and the state, safe against injection."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets
import numpy as np
import pytest

from limewidgets import (
    ImageExplanationWidget,
    LimeTextExplainer,
    TabularExplanationWidget,
    TextExplanationWidget,
)
from limewidgets.widgets._export import BYTES_MARKER, script_json, script_text

STATIC = Path(__file__).resolve().parents[2] / "limewidgets" / "static"
# The traits of ipywidgets/anywidget plumbing: not part of the page's state.
PLUMBING = set(ipywidgets.DOMWidget.class_trait_names(sync=True))


class PageParser(HTMLParser):
    """What a browser's HTML parser sees: every element with its attributes and raw text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "link", "img", "br", "input"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1]["text"] += data


def parse_page(path):
    """(parser, state dict, bundle source as the page's loader reads it, uid)."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf8"))
    parser.close()
    scripts = [e for e in parser.elements if e["tag"] == "script"]
    by_type = {e["attrs"].get("type"): e for e in scripts}
    state_element = by_type["application/json"]
    uid = state_element["attrs"]["id"].removeprefix("lw-state-")
    assert by_type["text/plain"]["attrs"]["id"] == f"lw-bundle-{uid}"
    assert any(e["attrs"].get("id") == f"lw-root-{uid}" for e in parser.elements)
    return parser, json.loads(state_element["text"]), by_type["text/plain"]["text"], uid


def unescape_script_text(text):
    """Undo the two rewrites the page applies to JavaScript inside a script element."""
    return re.sub(r"<\\/(script)", r"</\1", text, flags=re.IGNORECASE).replace("<\\!--", "<!--")


def expected_state(widget):
    """The widget's contract traits as JSON, computed here independently of ``_export``."""
    expected = {}
    for name in widget.trait_names(sync=True):
        if name in PLUMBING or name.startswith("_"):
            continue
        value = getattr(widget, name)
        if isinstance(value, bytes):
            value = {"$lw_bytes": base64.b64encode(value).decode("ascii")}
        expected[name] = json.loads(json.dumps(value))
    expected.update({"static": True, "pending": False, "error": ""})
    return expected


def assert_no_external_request(parser):
    """No element loads anything: no src/href, no URL in the scripts or styles."""
    for element in parser.elements:
        for attribute in ("src", "href", "srcset", "action", "data"):
            assert attribute not in element["attrs"], element
        if element["tag"] in ("script", "style"):
            text = element["text"].replace("http://www.w3.org/", "")
            assert not re.search(r"https?://|url\(\s*['\"]?(?!data:)[a-z]", text), element["tag"]
    assert not any(e["tag"] in ("link", "iframe", "img") for e in parser.elements)


@pytest.mark.parametrize("kind", ["text", "tabular", "image"])
def test_page_embeds_the_shipped_bundle_css_and_the_widget_state(tmp_path, request, kind):
    widget_class = {
        "text": TextExplanationWidget,
        "tabular": TabularExplanationWidget,
        "image": ImageExplanationWidget,
    }[kind]
    widget = widget_class(request.getfixturevalue(f"{kind}_explanation"), threaded=False)
    if kind == "tabular":
        widget.set_value(0, 2.5)
    else:
        widget.hide_top(1)
    parser, state, bundle, _ = parse_page(widget.save_html(tmp_path / f"{kind}.html"))
    # The bundle, as the loader reads it, is the shipped file byte for byte.
    shipped = (STATIC / f"{kind}.js").read_text(encoding="utf8")
    assert unescape_script_text(bundle) == shipped
    assert "mountStandalone" in shipped
    # The stylesheet is the shipped one, in full.
    styles = [e["text"] for e in parser.elements if e["tag"] == "style"]
    assert (STATIC / "widgets.css").read_text(encoding="utf8") in styles
    # The state is every contract trait as it is now (the edit included), marked static.
    assert state == expected_state(widget)
    assert state["state_id"] == 1 and state["state"] == widget.state
    assert not any(name.startswith("_") or name == "layout" for name in state)
    assert_no_external_request(parser)


def test_page_title_is_escaped(tmp_path, text_explanation):
    widget = TextExplanationWidget(text_explanation, threaded=False)
    parser, _, _, _ = parse_page(widget.save_html(tmp_path / "text.html", title="My <review>"))
    titles = [e["text"] for e in parser.elements if e["tag"] == "title"]
    assert titles == ["My <review>"]


def test_page_escapes_script_in_user_data(tmp_path, text_model):
    attack = "</script><script>alert(1)</script><!-- & \u2028"
    explainer = LimeTextExplainer(class_names=["neg</script>", "pos"], random_state=0)
    explanation = explainer.explain_instance(f"good movie {attack} bad", text_model, num_samples=50)
    widget = TextExplanationWidget(explanation, threaded=False)
    path = widget.save_html(tmp_path / "attack.html")
    parser, state, _, _ = parse_page(path)
    # A real HTML parser sees exactly three scripts: bundle, state and loader; user data
    # closes none of them and opens no element.
    assert [e["tag"] for e in parser.elements].count("script") == 3
    assert "<script>alert(1)" not in path.read_text(encoding="utf8")
    assert state["class_names"] == ["neg</script>", "pos"]
    assert "".join(text for text, _ in state["tokens"]) == f"good movie {attack} bad"


def test_bytes_traits_round_trip(tmp_path, image_explanation):
    widget = ImageExplanationWidget(image_explanation, threaded=False)
    _, state, _, _ = parse_page(widget.save_html(tmp_path / "image.html"))
    for name in ("image_data", "hidden_data", "segment_map"):
        assert set(state[name]) == {BYTES_MARKER}
        assert base64.b64decode(state[name][BYTES_MARKER]) == getattr(widget, name)
    assert state["width"] == 64 and state["n_segments"] == 16


def test_tabular_page_and_nan_become_null(tmp_path, tabular_explanation):
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    widget.surrogate_output = float("nan")
    _, state, _, _ = parse_page(widget.save_html(str(tmp_path / "tabular.html")))
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
