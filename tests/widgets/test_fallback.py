"""The static fallback output that every display of a widget publishes (see widgets/_fallback.py)."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from limewidgets import LimeTextExplainer
from limewidgets.widgets import (
    ImageExplanationWidget,
    TabularExplanationWidget,
    TextExplanationWidget,
    _fallback,
    set_static_fallback,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Published:
    """Stands in for IPython's display(): records what a widget display publishes."""

    def __init__(self, monkeypatch):
        self.outputs = []
        monkeypatch.setattr(_fallback, "_kernel_shell", lambda: object())
        import IPython.display

        monkeypatch.setattr(IPython.display, "display", self.display)

    def display(self, data, raw=False, metadata=None):
        assert raw
        self.outputs.append((data, metadata))


def bundle_data(widget):
    bundle = widget._repr_mimebundle_()
    return bundle[0] if isinstance(bundle, tuple) else bundle


def fallback_of(html: str) -> str:
    match = re.search(r'data-lw-fallback="([0-9a-f]+)"', html)
    assert match, html[:200]
    return match.group(1)


def test_each_display_publishes_the_static_view_before_the_widget(monkeypatch, tabular_explanation):
    published = Published(monkeypatch)
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    data = bundle_data(widget)
    assert WIDGET_VIEW in data and "text/html" not in data  # the widget view stays the widget's
    assert "needs a running kernel" in data["text/plain"]
    assert len(published.outputs) == 1
    output, metadata = published.outputs[0]
    assert metadata == {"limewidgets": {"fallback_id": widget.fallback_id}}
    html = output["text/html"]
    assert fallback_of(html) == widget.fallback_id and len(widget.fallback_id) == 32
    # the live view hides it by this class (sanitizers keep classes, drop data-* attributes)
    assert f'class="lw-fallback lw-fallback-{widget.fallback_id}"' in html
    assert "<script" not in html.lower()
    label = widget.label
    for name, weight in tabular_explanation.as_list(label=label):
        assert _fallback.html_view.esc(name) in html
        assert _fallback.html_view.fmt(weight) in html
        assert f"{weight:+.3f}  {name}" in output["text/plain"]
    # a re-display publishes its own copy, linked to the same widget
    bundle_data(widget)
    assert len(published.outputs) == 2
    assert fallback_of(published.outputs[1][0]["text/html"]) == widget.fallback_id
    # another widget of the same explanation is another id
    other = TabularExplanationWidget(tabular_explanation, threaded=False)
    assert other.fallback_id != widget.fallback_id


def test_the_static_view_follows_the_selected_label(monkeypatch, text_explanation):
    published = Published(monkeypatch)
    widget = TextExplanationWidget(text_explanation, threaded=False, label=0)
    bundle_data(widget)
    html = published.outputs[0][0]["text/html"]
    assert "Explanation for negative" in html and "Explanation for positive" not in html
    widget.label = 1
    bundle_data(widget)
    assert "Explanation for positive" in published.outputs[1][0]["text/html"]


def test_image_fallback_draws_the_picture(monkeypatch, image_explanation):
    published = Published(monkeypatch)
    widget = ImageExplanationWidget(image_explanation, threaded=False)
    bundle_data(widget)
    html = published.outputs[0][0]["text/html"]
    assert '<img class="lw-img"' in html and "data:image/png;base64," in html
    assert "superpixel" in html


def test_styles_are_inlined_for_pages_that_drop_style_elements():
    css = ".a{color:red; width:1px}\n.b,.c{margin:0}\n.a td{padding:9px}"
    html = '<div class="a b"><span class="c" style="left:5%">x</span><td class="z">y</td></div>'
    assert _fallback.inline_styles(html, css) == (
        '<div class="a b" style="color:red; width:1px;margin:0;">'
        '<span class="c" style="margin:0;left:5%">x</span><td class="z">y</td></div>'
    )


def test_user_text_is_escaped_in_the_fallback(monkeypatch, text_model):
    published = Published(monkeypatch)
    hostile = '</style><script>window.x=1</script><img src=x onerror="alert(1)">'
    explanation = LimeTextExplainer(
        class_names=["negative", hostile], random_state=0
    ).explain_instance("good movie <b>bad</b> plot", text_model, num_samples=200)
    bundle_data(TextExplanationWidget(explanation, threaded=False))
    html = published.outputs[0][0]["text/html"]
    assert "<script" not in html and "<img src=x" not in html and "<b>" not in html
    assert _fallback.html_view.esc(hostile) in html


def test_no_fallback_outside_a_kernel_or_when_disabled(monkeypatch, tabular_explanation):
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    calls = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: calls.append(a))
    bundle_data(widget)  # plain Python: no kernel, nothing published
    assert calls == []
    monkeypatch.setattr(_fallback, "_kernel_shell", lambda: object())
    monkeypatch.setattr(_fallback, "enabled", True)  # restored after the test
    set_static_fallback(False)
    assert WIDGET_VIEW in bundle_data(widget)
    assert calls == []
    set_static_fallback(True)
    with pytest.raises(TypeError, match="enabled must be True or False"):
        set_static_fallback(1)


def test_colab_gets_the_static_view_inside_the_widget_bundle(monkeypatch, tabular_explanation):
    published = Published(monkeypatch)
    monkeypatch.setitem(sys.modules, "google.colab", object())
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    data = bundle_data(widget)
    assert published.outputs == []
    assert WIDGET_VIEW in data and fallback_of(data["text/html"]) == widget.fallback_id


def test_a_failing_static_view_never_stops_the_widget(monkeypatch, tabular_explanation):
    published = Published(monkeypatch)
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)

    def broken(_widget):
        raise RuntimeError("boom")

    monkeypatch.setattr(_fallback, "fallback_html", broken)
    assert WIDGET_VIEW in bundle_data(widget)
    assert published.outputs == []


def test_executed_notebook_has_one_fallback_before_each_widget_view(tmp_path):
    """nbclient, as nbconvert --execute: display(w), the last expression, show_in_notebook."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    setup = (
        "import numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from limewidgets import LimeTabularExplainer\n"
        "rng = np.random.RandomState(0)\n"
        "X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)\n"
        "model = LogisticRegression().fit(X, y)\n"
        "exp = LimeTabularExplainer(X, feature_names=['alpha', 'beta', 'gamma'],"
        " class_names=['no', 'yes'], random_state=0).explain_instance("
        "X[0], model.predict_proba, num_samples=300)\n"
        "w = exp.widget()"
    )
    cells = [setup, "display(w)", "w", "exp.show_in_notebook()", "print('no widget here')"]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    ids = []
    for cell in notebook.cells[1:4]:
        kinds = [sorted(output.get("data", {})) for output in cell.outputs]
        assert kinds == [["text/html", "text/plain"], [WIDGET_VIEW, "text/plain"]], kinds
        html = cell.outputs[0]["data"]["text/html"]
        assert "alpha" in html and "Explanation for" in html
        ids.append(fallback_of(html))
    assert len(set(ids[:2])) == 1  # the same widget displayed twice
    assert [output.output_type for output in notebook.cells[4].outputs] == ["stream"]
    assert np.all([len(i) == 32 for i in ids])
