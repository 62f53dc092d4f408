"""The README's headless demo runs and writes a standalone page."""

from limewidgets import demo


def test_demo_explains_three_kinds_and_writes_html(tmp_path, capsys):
    path = demo.main(["--output", str(tmp_path / "demo.html")])
    out = capsys.readouterr().out
    assert "image: explained class 'cat'" in out and "text: explained class 'positive'" in out
    assert "tabular: explained class 'virginica'" in out
    # the sentiment model reads sentiment words: they lead the text explanation
    text_block = out.split("text:")[1].split("tabular:")[0]
    top_words = [line.split()[1] for line in text_block.strip().splitlines()[1:4]]
    assert set(top_words) <= {"boring", "clumsy", "superb", "wonderful"}
    page = path.read_text(encoding="utf8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "petal" in page and "data:image/png;base64," in page
