"""The "Keep still" brush in a real headless Chromium: paint, erase, clear; the painted region stays still.

Needs Debian's ``chromium`` at /usr/bin/chromium and Playwright for Python, as ``test_browser.py``. Marked ``browser``.
"""

from __future__ import annotations

import base64
import io
import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.webui import serve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture
def server_url(tiny_flow_engine):
    """The web UI on 127.0.0.1 (a free port) in a thread, with the tiny flow engine (the mask needs no quality)."""
    from framer.webui import WebSettings, create_app

    with serve(create_app(WebSettings(), engines={"flow": tiny_flow_engine})) as url:
        yield url


@pytest.fixture
def page(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright (the browser is /usr/bin/chromium).")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1200, "height": 900},
        )  # fmt: skip
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            context.close()


def _keyframes(folder: Path) -> list[np.ndarray]:
    """Two 128x128 keyframes: a textured background and a bright square 40 px apart; saved in ``folder``."""
    rng = np.random.default_rng(3)
    images = []
    for k, x in enumerate((10, 50)):
        image = (rng.random((128, 128, 3)) * 80 + 40).astype(np.uint8) if k == 0 else images[0].copy()
        image[40:72, x : x + 32] = (240, 200, 40)
        Image.fromarray(image).save(folder / f"k{k}.png")
        images.append(image)
    return images


def _posted_mask(request) -> np.ndarray | None:
    data = json.loads(request.post_data)["static_mask"]
    if data is None:
        return None
    image = Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("L")
    return np.asarray(image) >= 128


def test_paint_erase_and_clear_the_static_mask(server_url, page, tmp_path):
    keyframes = _keyframes(tmp_path)
    page.goto(server_url)
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#file-input", [str(tmp_path / "k0.png"), str(tmp_path / "k1.png")])
    page.locator("#keyframe-status", has_text="2 keyframes of 128×128").wait_for()
    box = page.locator("#view-start").bounding_box()
    scale = box["width"] / 128

    def stroke(points) -> None:
        on_screen = [(box["x"] + (x + 0.5) * scale, box["y"] + (y + 0.5) * scale) for x, y in points]
        page.mouse.move(*on_screen[0])
        page.mouse.down()
        for point in on_screen[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()

    # Paint a band over the square's path (brush 16 px), erase its right end, then draw no trajectory.
    assert page.is_disabled("#clear-mask")
    page.click("#tool-paint")
    page.locator("#brush-size").fill("16")
    stroke([(20, 56), (100, 56)])
    page.click("#tool-erase")
    stroke([(100, 40), (100, 72)])
    assert page.is_enabled("#clear-mask") and page.is_visible("#mask-status")
    assert page.locator("#trajectory-list li").count() == 0
    page.fill("#num-frames", "3")
    page.uncheck("#include-keyframes")
    with page.expect_request("**/api/jobs") as sent:
        page.click("#generate")
    mask = _posted_mask(sent.value)
    assert mask is not None and mask.shape == (128, 128)
    assert mask[50:63, 22:88].all()  # painted
    assert not mask[:, 96:105].any() and not mask[:40].any() and not mask[72:].any()  # erased, and never painted
    page.wait_for_selector("#progress-box[data-state='done']", timeout=50_000)

    # The painted region of each in-between is the nearer keyframe's, unwarped.
    job = json.loads(sent.value.response().body())
    with urllib.request.urlopen(f"{server_url}api/jobs/{job['id']}") as response:
        status = json.loads(response.read())
    for url, nearer in zip(status["frames"], (0, 1, 1), strict=True):  # t = 1/4, 1/2, 3/4
        with urllib.request.urlopen(server_url.rstrip("/") + url) as response:
            frame = np.asarray(Image.open(io.BytesIO(response.read())).convert("RGB"))
        assert np.array_equal(frame[mask], keyframes[nearer][mask])

    # Clear: the next job goes without a mask.
    page.click("#clear-mask")
    assert page.is_disabled("#clear-mask") and page.is_hidden("#mask-status")
    with page.expect_request("**/api/jobs") as sent:
        page.click("#generate")
    assert _posted_mask(sent.value) is None
    page.wait_for_selector("#progress-box[data-state='done']", timeout=50_000)
