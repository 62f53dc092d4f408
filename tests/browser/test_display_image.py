"""``display_image=`` as a reader sees it: the standalone page of a [-1, 1] image explanation.

The model takes Inception-style inputs in [-1, 1]. Opened offline in Chromium, the widget built with
``display_image=photo`` must draw the photo's own pixels, and a hidden superpixel in the photo's
colours of the hide colour; without it, the widget says why its picture is rescaled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from skimage.data import chelsea

from ._harness import click_pixel, wait_until_painted

pytestmark = pytest.mark.browser

PHOTO = chelsea()[::4, ::4][:72, :108]  # 72 x 108 uint8: small enough for a lossless PNG
CELL = 18  # the segmentation is a grid of 18 x 18 cells


def warm_model(images):
    red = (np.asarray(images, dtype=float)[..., 0].mean(axis=(1, 2)) + 1) / 2
    return np.column_stack([1 - red, red])


@pytest.fixture(scope="module")
def pages(browser_stack: None, tmp_path_factory: pytest.TempPathFactory) -> dict:
    import warnings

    from limewidgets import LimeImageExplainer
    from limewidgets.widgets import ImageExplanationWidget

    folder = tmp_path_factory.mktemp("display_image")
    rows, cols = np.indices(PHOTO.shape[:2])
    grid = (rows // CELL) * (PHOTO.shape[1] // CELL) + cols // CELL
    explanation = LimeImageExplainer(random_state=0).explain_instance(
        PHOTO / 127.5 - 1, warm_model, top_labels=2, hide_color=0, num_samples=200,
        segmentation_fn=lambda image: grid, progress_bar=False,
    )  # fmt: skip
    label = explanation.top_labels[0]
    top = explanation.local_exp[label][0][0]
    with_photo = ImageExplanationWidget(explanation, num_features=1, display_image=PHOTO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without = ImageExplanationWidget(explanation, num_features=1)
    quiet = next(f for f in range(grid.max() + 1) if f != top)
    row, col = np.argwhere(grid == quiet).mean(axis=0).round().astype(int)
    return {
        "photo": with_photo.save_html(folder / "with_photo.html"),
        "plain": without.save_html(folder / "plain.html"),
        "pixel": (int(row), int(col)),
        "feature": int(quiet),
    }


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:", "blob:"))
            else route.abort()
        ),
    )
    try:
        yield context.new_page()
    finally:
        context.close()


PIXEL_JS = "(c, [x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))"


def open_canvas(page: Any, path: Any) -> tuple[Any, Any]:
    page.goto(path.as_uri())
    root = page.wait_for_selector(".lw-w-root[data-kind=image]", state="visible", timeout=20_000)
    canvas = root.query_selector("[data-testid=lw-canvas]")
    wait_until_painted(page, canvas)
    return root, canvas


def test_display_image_is_drawn_as_the_photo(pages: dict, page: Any) -> None:
    root, canvas = open_canvas(page, pages["photo"])
    row, col = pages["pixel"]
    shown = canvas.evaluate(PIXEL_JS, [col, row])
    assert shown == pytest.approx(PHOTO[row, col].tolist(), abs=2)
    assert root.query_selector("[data-testid=lw-display-note]").is_hidden()
    # A hidden superpixel: the model saw 0 (its hide colour); in the photo's colours that is grey.
    assert max(abs(v - 127.5) for v in shown) > 10  # the photo there is not grey already
    click_pixel(page, canvas, row, col, *PHOTO.shape[:2])
    col += (4 - (row + col)) % 8  # off the darker hatching lines of hidden superpixels
    page.wait_for_function(
        "([c, x, y]) => { const p = c.getContext('2d').getImageData(x, y, 1, 1).data;"
        " return [0, 1, 2].every((i) => Math.abs(p[i] - 127.5) <= 3); }",
        arg=[canvas, col, row],
        timeout=10_000,
    )


def test_without_display_image_the_widget_says_why(pages: dict, page: Any) -> None:
    root, canvas = open_canvas(page, pages["plain"])
    note = root.query_selector("[data-testid=lw-display-note]")
    assert note.is_visible() and "[-1, 1]" in note.text_content()
    # drawn as (x + 1) / 2, not clipped to black
    row, col = pages["pixel"]
    assert canvas.evaluate(PIXEL_JS, [col, row]) == pytest.approx(PHOTO[row, col].tolist(), abs=2)
