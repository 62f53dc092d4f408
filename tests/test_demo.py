"""The README's headless demo runs, explains what the model predicts and writes a standalone page."""

import re

from limewidgets import demo


def test_demo_explains_three_kinds_and_writes_html(tmp_path, capsys):
    path = demo.main(["--output", str(tmp_path / "demo.html")])
    out = capsys.readouterr().out
    headers = dict(re.findall(r"^(\w+): (the model predicts .*)$", out, flags=re.MULTILINE))
    assert sorted(headers) == ["image", "tabular", "text"]
    for name, header in headers.items():
        predicted, explained = re.match(
            r"the model predicts '(\w+)' \(P = [\d.]+\); explained class '(\w+)'", header
        ).groups()
        # The explained class is the one the model predicts (it was 'positive' for a review the
        # model calls negative).
        assert explained == predicted, f"{name}: {header}"
    assert "image: the model predicts 'cat'" in out
    assert "text: the model predicts 'negative'" in out
    assert "tabular: the model predicts 'virginica'" in out
    # the sentiment model reads sentiment words: they lead the text explanation
    text_block = out.split("text:")[1].split("tabular:")[0]
    top_words = [line.split()[1] for line in text_block.strip().splitlines()[1:4]]
    assert set(top_words) <= {"boring", "clumsy", "superb", "wonderful"}
    page = path.read_text(encoding="utf8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "petal" in page and "data:image/png;base64," in page
    # the picture is titled with the class name ("label 1" stood beside "cat")
    assert "Superpixels for cat" in page and "label 1" not in page


def test_demo_class_names_and_model_agree():
    """The printed prediction is the model's own: re-run the demo's text model on its review."""
    explanation = demo.text_demo()
    proba = explanation.predict_proba
    assert explanation.top_labels == [int(proba.argmax())]
    assert explanation.class_names[int(proba.argmax())] == "negative"
