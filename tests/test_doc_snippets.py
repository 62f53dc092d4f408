"""Every Python code block of the README and of the documentation runs as written.

The blocks of one page run top to bottom in one fresh namespace (a reader copies them in order), so
each page must define everything it uses: a ``NameError`` here is a snippet that cannot run on its
own. Blocks fenced as ``python`` run; ``bash`` and other languages do not. A block preceded by the
comment ``<!-- snippet: skip -->`` is not run (for code that needs something this machine lacks).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "doc").rglob("*.md"))]
PAGES = [page for page in PAGES if "_build" not in page.parts]
FENCE = re.compile(
    r"(?P<skip><!-- snippet: skip -->\s*\n)?^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def snippets(page: Path) -> list[tuple[int, str]]:
    """``[(line number, code), ...]`` of the page's runnable ``python`` blocks."""
    text = page.read_text(encoding="utf8")
    return [
        (text.count("\n", 0, match.start("code")) + 1, match.group("code"))
        for match in FENCE.finditer(text)
        if not match.group("skip")
    ]


def test_the_runner_finds_the_blocks():
    counts = {page.relative_to(ROOT).as_posix(): len(snippets(page)) for page in PAGES}
    assert counts["README.md"] >= 2 and counts["doc/getting-started.md"] >= 3
    assert sum(counts.values()) >= 12


@pytest.mark.parametrize(
    "page", [page for page in PAGES if snippets(page)], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_page_snippets_run_on_their_own(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    namespace: dict = {"__name__": "__snippet__"}
    for line, code in snippets(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        try:
            exec(compile(code, where, "exec"), namespace)  # noqa: S102 - the docs' own code
        except Exception as error:
            raise AssertionError(
                f"the block at {where} fails: {type(error).__name__}: {error}"
            ) from error
    for value in namespace.values():  # stop widget worker threads
        close = getattr(value, "close", None)
        if callable(close) and type(value).__name__.endswith("ExplanationWidget"):
            close()
