"""Web UI end to end in a real headless Chromium: upload two keyframes, draw a curved drag, generate, check the frames.

Needs Debian's ``chromium`` at /usr/bin/chromium and Playwright for Python (never ``playwright install``: the
system browser is used). Marked ``browser``; CI installs both and selects it. Set ``FRAMER_WEBUI_SCREENSHOTS`` to
a folder to keep the screenshots (the README's come from there); otherwise they go to the test's temp folder.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import io
import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framer.synthetic import make_case
from framer.synthetic.measures import trajectory_adherence
from framer.trajectory import sample_trajectories, trajectories_from_dict
from helpers.webui import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def server_url(flow_engine):
    """The web UI served by uvicorn on 127.0.0.1 (a free port) in a thread, with the session's flow engine; jobs of
    up to 600 frames, so one can still be running when a test cancels it."""
    from framer.webui import WebSettings, create_app

    with serve(create_app(WebSettings(max_frames=600), engines={"flow": flow_engine})) as url:
        yield url


@pytest.fixture
def page(tmp_path):
    """A page of a fresh headless Chromium profile (the system browser, driven by Playwright)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright (the browser is /usr/bin/chromium).")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 960},
            accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            context.close()


def _save_screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=False)
    folder = os.environ.get("FRAMER_WEBUI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(folder) / name)
    return path


def _save_keyframes(case, folder: Path) -> list[Path]:
    """The case's keyframes as PNG files in ``folder``."""
    paths = [folder / f"keyframe-{index}.png" for index in range(len(case.keyframes))]
    for path, image in zip(paths, case.keyframes, strict=True):
        Image.fromarray(image).save(path)
    return paths


def _download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def test_draw_a_curved_drag_and_get_frames_that_follow_it(server_url, page, tmp_path):
    started = time.monotonic()
    case = make_case("arc-s80", 256, num_frames=3)
    keyframes = _save_keyframes(case, tmp_path)

    # 1. Load the page and both keyframes.
    page.goto(server_url)
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#file-input", [str(path) for path in keyframes])
    page.locator("#keyframe-status", has_text="2 keyframes of 256×256").wait_for()
    assert page.is_visible("#view-start") and page.is_visible("#view-end")

    # 2. Press on the sprite in the start frame and drag along its curved path to where it is in the end frame.
    box = page.locator("#view-start").bounding_box()
    scale = box["width"] / 256

    def on_screen(point) -> tuple[float, float]:
        return box["x"] + (point[0] + 0.5) * scale, box["y"] + (point[1] + 0.5) * scale

    stroke = case.trajectories[0].sample(np.linspace(0.0, 1.0, 60))  # (60, 2) the true, curved path
    page.mouse.move(*on_screen(stroke[0]))
    page.mouse.down()
    for point in stroke[1:]:
        page.mouse.move(*on_screen(point))
    page.mouse.up()
    assert page.locator("#trajectory-list li").count() == 1
    _save_screenshot(page, tmp_path, "webui-drawing.png")

    # The trajectory the page made from the stroke, in the file format, stays on the drawn path.
    drawn = trajectories_from_dict(json.loads(_download(page, "#save-json")))
    assert (drawn.width, drawn.height) == (256, 256)
    path = drawn.trajectories[0].sample(np.linspace(0.0, 1.0, 200))
    gaps = np.linalg.norm(path[:, None, :] - case.trajectories[0].sample(np.linspace(0, 1, 400))[None], axis=2)
    assert gaps.min(axis=1).max() <= 1.5  # pixels between the page's trajectory and the stroke

    # 3. Generate three in-betweens and wait for the player.
    page.fill("#num-frames", "3")
    page.fill("#fps", "6")
    page.click("#generate")
    page.wait_for_selector("#player[data-frames='5']", timeout=50_000)
    assert page.is_visible("#player") and page.is_visible("#scrubber")
    assert page.get_attribute("#progress-box", "data-state") == "done"
    page.check("#overlay")
    page.click("#play")  # pause, then show the middle frame with the trajectory drawn over it
    page.locator("#scrubber").fill("2")
    assert re.search(r"frame 3 of 5, t = 0\.500, confidence [01]\.\d\d$", page.inner_text("#frame-label"))
    assert page.is_visible("#confidence-strip")  # one bar per frame under the timeline
    _save_screenshot(page, tmp_path, "webui-result.png")

    # 4. The in-betweens put the sprite where the drawn trajectory says, at the frames' times.
    with zipfile.ZipFile(io.BytesIO(_download(page, "#download-zip"))) as archive:
        frames = [np.asarray(Image.open(archive.open(name)).convert("RGB")) for name in sorted(archive.namelist())]
    assert len(frames) == 5  # keyframe, three in-betweens, keyframe
    requested = sample_trajectories(drawn.trajectories, case.times)[0]
    adherence = trajectory_adherence(np.stack(frames[1:4]), case, requested=requested)
    print(f"adherence to the drawn path: median {adherence.median:.3f} px, max {adherence.distances.max():.3f} px")
    assert adherence.median <= 3.0
    assert adherence.distances.max() <= 3.0
    assert time.monotonic() - started < 60


def _autopilot_available() -> bool:
    """Whether this installation has the autopilot (framer.matching with plan_autopilot)."""
    if importlib.util.find_spec("framer.matching") is None:
        return False
    return hasattr(importlib.import_module("framer.matching"), "plan_autopilot")


def _drop_file(page, selector: str, path: Path) -> None:
    """Drop ``path`` on ``selector`` as a file dragged from the desktop would be."""
    data = base64.b64encode(path.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([data, name]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: 'image/png' }));
            return transfer;
        }""",
        [data, path.name],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def _trajectory_file(page) -> dict:
    return json.loads(_download(page, "#save-json"))


def test_page_edits_trajectories_queues_jobs_and_shows_server_errors(server_url, page, tmp_path):
    started = time.monotonic()
    case = make_case("arc-s80", 256, num_frames=3)
    keyframes = _save_keyframes(case, tmp_path)
    (tmp_path / "notes.txt").write_text("not an image")
    bad = {"version": 1, "width": 256, "height": 256, "trajectories": [{"points": [[10, 10], [20, "x"]]}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    error = page.locator("#error-text")

    # A file that is not an image: the server's message shows in the page.
    page.goto(server_url)
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#file-input", [str(tmp_path / "notes.txt"), str(keyframes[0])])
    page.wait_for_selector("#error:not([hidden])")
    assert "'notes.txt' is not an image file" in error.text_content()
    page.click("#keyframe-list li:has-text('notes.txt') button")
    _drop_file(page, "#dropzone", keyframes[1])  # the second keyframe comes by drag and drop
    page.locator("#keyframe-status", has_text="2 keyframes").wait_for()
    assert page.locator("#keyframe-list li").all_inner_texts()[1].startswith("2. keyframe-1.png")

    # Autopilot: proposals from framer.matching where it exists, else a clear message.
    assert page.is_hidden("#error")  # a successful upload clears the message
    page.click("#autopilot")
    if _autopilot_available():
        page.wait_for_selector("#autopilot:not([disabled])")
        assert page.is_hidden("#error"), page.locator("#error-text").text_content()
        assert page.locator("#trajectory-list li").count() > 0  # proposals appear as ordinary, editable trajectories
        assert page.locator("#autopilot-status").text_content().startswith("Autopilot ")
    else:
        page.wait_for_selector("#error:not([hidden])")
        assert error.text_content().startswith("Autopilot is not available yet")
    page.click("#clear")

    # A malformed trajectory file: the message names the trajectory, the point and the field.
    page.set_input_files("#json-input", str(tmp_path / "bad.json"))
    page.locator("#error-text", has_text="bad.json: Trajectory 0, point 1: y = 'x' is not a number.").wait_for()
    page.click("#error-close")
    assert page.is_hidden("#error")

    # Draw, then edit: move the end point on the end frame, remove a waypoint, add one, delete.
    box, end_box = page.locator("#view-start").bounding_box(), page.locator("#view-end").bounding_box()
    scale = box["width"] / 256

    def on(view_box, point) -> tuple[float, float]:
        return view_box["x"] + (point[0] + 0.5) * scale, view_box["y"] + (point[1] + 0.5) * scale

    def drag(view_box, points) -> None:
        page.mouse.move(*on(view_box, points[0]))
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*on(view_box, point))
        page.mouse.up()

    drag(box, case.trajectories[0].sample(np.linspace(0.0, 1.0, 40)))
    drawn = _trajectory_file(page)["trajectories"][0]
    waypoints = len(drawn["points"]) - 2
    assert waypoints >= 2
    drag(end_box, [drawn["points"][-1], [200.0, 160.0], [210.0, 170.0]])
    moved = _trajectory_file(page)["trajectories"][0]
    assert moved["points"][-1] == pytest.approx([210.0, 170.0], abs=0.6)
    assert moved["points"][:-1] == drawn["points"][:-1]
    page.mouse.dblclick(*on(box, moved["points"][1]))
    assert len(_trajectory_file(page)["trajectories"][0]["points"]) == waypoints + 1
    trajectory = trajectories_from_dict(_trajectory_file(page)).trajectories[0]
    knots = trajectory.knot_times
    page.mouse.dblclick(*on(box, trajectory.sample((knots[1] + knots[2]) / 2)))
    assert len(_trajectory_file(page)["trajectories"][0]["points"]) == waypoints + 2
    page.keyboard.press("Delete")
    assert page.locator("#trajectory-list li").count() == 0

    # Two trajectories get distinct colours; the onion skin shows them over both keyframes.
    drag(box, [[40, 40], [80, 30], [120, 40]])
    drag(box, [[200, 200], [200, 120]])
    swatches = page.locator("#trajectory-list .swatch")
    assert swatches.count() == 2
    assert swatches.nth(0).get_attribute("style") != swatches.nth(1).get_attribute("style")
    page.click("#view-onion")
    assert page.is_visible("#view-onion-canvas") and not page.is_visible("#view-start")
    page.click("#view-side")

    # Two pages generate at once: the second waits in the queue and is told so; both can be cancelled.
    other = page.context.new_page()
    other.goto(server_url)
    other.wait_for_selector("body[data-ready='1']")
    other.set_input_files("#file-input", [str(path) for path in keyframes])
    other.locator("#keyframe-status", has_text="2 keyframes").wait_for()
    page.fill("#num-frames", "600")  # long enough to be running still when it is cancelled (40 once finished first)
    page.click("#generate")
    page.locator("#progress-text", has_text="Interpolating").wait_for()
    other.click("#generate")
    other.locator("#progress-text", has_text="Waiting in the queue: 1 job ahead of yours.").wait_for()
    other.click("#cancel")
    other.wait_for_selector("#progress-box[data-state='cancelled']")
    page.click("#cancel")
    page.wait_for_selector("#progress-box[data-state='cancelled']", timeout=30_000)
    assert time.monotonic() - started < 60


def test_page_curves_match_the_python_trajectories(server_url, page):
    """The path the page draws (static/js/curves.js) is the one the server follows (framer.trajectory)."""
    from framer.trajectory import Trajectory

    page.goto(server_url)
    page.wait_for_selector("body[data-ready='1']")
    trajectories = [
        Trajectory([(10, 20), (60, 5), (90, 70), (30, 90)]),
        Trajectory([(10, 20), (60, 5), (90, 70), (30, 90)], interpolation="monotone"),
        Trajectory([(5, 5), (50, 60), (52, 61), (100, 10), (120, 30)], times=[0, 0.1, 0.5, 0.55, 1]),
        Trajectory([(5, 5), (50, 60), (100, 10)], times=[0, 0.8, 1], interpolation="monotone"),
        Trajectory([(0, 0), (40, 30)]),
    ]
    ts = np.linspace(0.0, 1.0, 57).tolist()
    for trajectory in trajectories:
        item = {
            "points": trajectory.points.tolist(),
            "times": None if trajectory.times is None else trajectory.times.tolist(),
            "interpolation": trajectory.interpolation,
        }
        sampled = page.evaluate(
            "async ([item, ts]) => { const { curveOf, sampleCurve } = await import('/static/js/curves.js');"
            " const c = curveOf(item); return ts.map((t) => sampleCurve(c, t)); }",
            [item, ts],
        )
        np.testing.assert_allclose(sampled, trajectory.sample(ts), atol=1e-9)
