"""Web UI API (framer.webui): uploads, limits, trajectory checks, jobs, queueing, cancelling, downloads, safety."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import re
import sys
import threading
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

import framer
import framer.engines
from framer.engines import Capabilities, Engine
from framer.errors import MissingExtraError
from framer.synthetic import make_case
from framer.trajectory import trajectories_from_dict
from framer.webui import WebSettings, create_app
from helpers.webui import HEADERS, png_bytes, square, upload, wait_for

GATE = threading.Event()  # the "webui-gate" engine waits on it before each frame


class GateEngine(Engine):
    """A cross-fade that waits for ``GATE`` before each frame, so tests can hold jobs running or queued."""

    name = "webui-gate"
    capabilities = Capabilities(tracks=True)
    device = torch.device("cpu")

    def iter_frames(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tracks=None
    ) -> Iterator[torch.Tensor]:
        for t in times:
            if not GATE.wait(timeout=30):
                raise TimeoutError("the test never opened the gate")
            yield (1 - t) * frame0 + t * frame1


def _broken_engine(**_options) -> Engine:
    raise MissingExtraError("it needs the 'diffusion' extra: pip install 'framer-vfi[diffusion]'.")


@pytest.fixture(scope="module", autouse=True)
def _test_engines():
    """Register the test engines for this module only, so other tests see the real engine list."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(framer.engines._ENGINES, "webui-gate", GateEngine)
        patch.setitem(framer.engines._ENGINES, "webui-broken", _broken_engine)
        yield


@pytest.fixture
def client(tiny_flow_engine):
    """A TestClient on an app with small limits, the session's tiny flow engine and the test engines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note about httpx's successor
        from fastapi.testclient import TestClient

    settings = WebSettings(
        max_request_bytes=2**20,
        max_side=512,
        max_frames=10,
        max_queue=3,
        engines=("flow", "webui-gate", "webui-broken"),
    )
    GATE.set()
    app = create_app(settings, engines={"flow": tiny_flow_engine})
    with TestClient(app, base_url="http://127.0.0.1", headers=HEADERS) as test_client:
        yield test_client
    GATE.set()


# -- uploads and limits -------------------------------------------------------------------------------------------


def test_upload_returns_keyframe_set_with_previews(client):
    images = [square(8), square(40)]
    response = upload(client, images, ["start.png", "end.png"])
    assert response.status_code == 201, response.text
    described = response.json()
    assert (described["count"], described["width"], described["height"]) == (2, 64, 64)
    assert described["names"] == ["start.png", "end.png"]
    for url, image in zip(described["previews"], images, strict=True):
        preview = client.get(url)
        assert preview.headers["content-type"] == "image/png"
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(preview.content))), image)


def test_keyframes_of_other_sizes_are_scaled_to_the_first(client):
    response = upload(client, [square(8), np.zeros((32, 48, 3), np.uint8)])
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (64, 64)
    assert "48x32" in response.json()["notes"][0]


def test_oversize_upload_is_rejected_with_413(client):
    big = b"\x89PNG" + bytes(2 * 2**20)
    response = client.post("/api/keyframes", files=[("files", ("a.png", big, "image/png"))] * 2)
    assert response.status_code == 413
    assert "larger than this server accepts" in response.json()["error"]

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(40):
            yield bytes(64 * 1024)

    response = client.post(
        "/api/keyframes", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert response.status_code == 413
    assert "larger than this server accepts" in response.json()["error"]


def test_image_larger_than_the_side_limit_is_rejected_with_413(client, blank_png, tmp_path):
    wide = blank_png(tmp_path / "wide.png", 600, 10).read_bytes()
    files = [("files", ("wide.png", wide, "image/png")), ("files", ("b.png", png_bytes(square(8)), "image/png"))]
    response = client.post("/api/keyframes", files=files)
    assert response.status_code == 413
    assert response.json()["error"].startswith("Keyframe 'wide.png' is 600x10 pixels")


def test_non_image_is_rejected_with_400_naming_the_file(client):
    files = [
        ("files", ("notes.txt", b"not an image", "text/plain")),
        ("files", ("b.png", png_bytes(square(8)), "image/png")),
    ]
    response = client.post("/api/keyframes", files=files)
    assert response.status_code == 400
    assert "'notes.txt' is not an image" in response.json()["error"]
    response = upload(client, [square(8)])
    assert response.status_code == 400
    assert "At least two keyframes" in response.json()["error"]


# -- trajectories -------------------------------------------------------------------------------------------------


def _file(*items: dict, **top) -> dict:
    return {
        "format": "framer-trajectories",
        "version": 1,
        "width": 64,
        "height": 64,
        "trajectories": list(items),
    } | top


@pytest.mark.parametrize(
    ("trajectories", "named"),
    [
        (_file({"pointz": [[10, 10], [40, 20]]}), ["unknown key 'pointz'", "'points'"]),
        (_file({"points": [[10, 10], [40, "20"]]}), ["Trajectory 0, point 1", "y = '20'"]),
        (_file({"points": [[10, 10]]}), ["Trajectory 0 has 1 point"]),
        (_file({"name": "ball", "points": [[10, 10], [90, 20]]}), ["Trajectory 0 ('ball'), point 1", "outside"]),
        (_file({"points": [[10, 10], [40, 20]], "times": [0, 0.5]}), ["point 1", "the end must be at time 1"]),
        (_file(version=None), ["'version'"]),
        (_file(widht=64), ["unknown key 'widht'", "'width'"]),
        ([1, 2], ["top level must be a JSON object"]),
    ],
)
def test_malformed_trajectory_json_is_rejected_with_a_message_naming_the_field(client, trajectories, named):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    for url, body in (
        ("/api/jobs", {"keyframes": set_id, "num_frames": 1, "trajectories": trajectories}),
        ("/api/trajectories/check", {"keyframes": set_id, "trajectories": trajectories}),
    ):
        response = client.post(url, json=body)
        assert response.status_code == 400, response.text
        for part in named:
            assert part in response.json()["error"]


def test_trajectory_check_scales_a_file_to_the_keyframes(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    drawn_on_double = _file(
        {"points": [[15, 55], [79, 55]]}, {"points": [[0, 0], [9, 9]], "confidence": 0.75}, width=128, height=128
    )
    response = client.post("/api/trajectories/check", json={"keyframes": set_id, "trajectories": drawn_on_double})
    assert response.status_code == 200, response.text
    checked = response.json()["trajectories"]
    assert (checked["width"], checked["height"]) == (64, 64)
    assert checked["trajectories"][0]["points"] == [[7.25, 27.25], [39.25, 27.25]]
    assert "confidence" not in checked["trajectories"][0] and checked["trajectories"][1]["confidence"] == 0.75


def test_more_trajectories_than_the_limit_are_refused_naming_the_field(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    many = _file(*[{"points": [[10, 10], [40, 20]]}] * 101)
    for url, body in (
        ("/api/jobs", {"keyframes": set_id, "num_frames": 1, "trajectories": many}),
        ("/api/trajectories/check", {"keyframes": set_id, "trajectories": many}),
    ):
        response = client.post(url, json=body)
        assert response.status_code == 400, response.text
        assert "'trajectories' holds 101 trajectories, more than the limit of 100" in response.json()["error"]
    long = _file({"points": [[float(i % 60), 5.0] for i in range(1001)]})
    response = client.post("/api/trajectories/check", json={"keyframes": set_id, "trajectories": long})
    assert response.status_code == 400 and "has 1001 points, more than the limit of 1000" in response.json()["error"]


def test_absurd_file_sizes_and_points_merged_by_scaling_are_refused(client):
    """A file "drawn" on 10^30 pixels used to come back as [[0, 0], [0, 0]], two equal points."""
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    absurd = _file({"points": [[0, 0], [10**29, 0]]}, width=10**30, height=10**30)
    response = client.post("/api/trajectories/check", json={"keyframes": set_id, "trajectories": absurd})
    assert response.status_code == 400, response.text
    assert "'width' must be a positive integer (pixels) of at most 65536" in response.json()["error"]
    largest = _file({"name": "tiny", "points": [[0, 0], [500, 0]]}, width=65536, height=65536)
    response = client.post("/api/trajectories/check", json={"keyframes": set_id, "trajectories": largest})
    assert response.status_code == 400, response.text
    assert "Trajectory 0 ('tiny'), point 1: scaled from the 65536x65536 frame" in response.json()["error"]


def test_deeply_nested_json_is_refused_with_one_sentence(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    for depth in (100_000, 500):
        body = f'{{"keyframes": "{set_id}", "trajectories": ' + "[" * depth + "]" * depth + "}"
        response = client.post("/api/trajectories/check", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        message = response.json()["error"]
        assert "\n" not in message and message.endswith(".") and len(message) < 300, message


def test_bad_generate_fields_are_named(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    cases = [
        ({"num_frames": 0}, "Field 'num_frames'"),
        ({"num_frames": 11}, "Field 'num_frames' must be at most 10"),
        ({"timing": "ease-inn"}, "Did you mean ease-in"),
        ({"fps": -1}, "Field 'fps'"),
        ({"engine": "nope"}, "Unknown engine 'nope'"),
        ({"colour": "red"}, "Field 'colour' is not known"),
    ]
    for extra, expected in cases:
        response = client.post("/api/jobs", json={"keyframes": set_id} | extra)
        assert response.status_code == 400, response.text
        assert expected in response.json()["error"]
    response = client.post("/api/jobs", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_generate_refuses_non_finite_fps_by_name(client, value):
    """Python's JSON parser takes NaN and Infinity: the answer names fps and says it must be finite, not "<= 240"."""
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    body = f'{{"keyframes": "{set_id}", "num_frames": 1, "fps": {value}}}'.encode()
    response = client.post("/api/jobs", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert "Field 'fps'" in message and "finite" in message and "240" not in message


# -- jobs -----------------------------------------------------------------------------------------------------------


def test_generate_streams_progress_and_serves_frames_and_downloads(client, tiny_flow_engine):
    keyframes = [square(8), square(40)]
    set_id = upload(client, keyframes).json()["id"]
    drag = _file({"name": "square", "points": [[15, 27], [31, 12], [47, 27]]})
    response = client.post(
        "/api/jobs", json={"keyframes": set_id, "num_frames": 3, "fps": 10, "trajectories": drag, "timing": "ease-in"}
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    events = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["state"] == "done"
    done = [event["done"] for event in events]  # the latest state at each change (changes may coalesce)
    assert done == sorted(done) and done[-1] == events[-1]["total"] == 3
    status = events[-1]
    # Keyframes included: K0, three in-betweens, K1; times through the ease-in curve.
    assert len(status["frames"]) == 5
    assert status["frame_times"] == pytest.approx([0, 0.0625, 0.25, 0.5625, 1])
    expected = framer.interpolate(
        keyframes, num_frames=3, timing="ease-in", engine=tiny_flow_engine, include_keyframes=True,
        trajectories=trajectories_from_dict(drag).trajectories,
    )  # fmt: skip
    for url, frame in zip(status["frames"], expected, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(client.get(url).content))), frame)

    downloads = {kind: client.get(url) for kind, url in status["downloads"].items()}
    assert set(downloads) == {"mp4", "gif", "zip", "json"}
    assert all(response.status_code == 200 for response in downloads.values())
    assert downloads["mp4"].content[4:8] == b"ftyp"
    assert downloads["gif"].content[:6] == b"GIF89a"
    with zipfile.ZipFile(io.BytesIO(downloads["zip"].content)) as archive:
        names = archive.namelist()
        assert names == [f"frame_{index:05d}.png" for index in range(1, 6)]
        np.testing.assert_array_equal(np.asarray(Image.open(archive.open(names[2]))), expected[2])
    saved = trajectories_from_dict(downloads["json"].json())
    assert saved.trajectories[0].name == "square"
    assert 'filename="framer-' in downloads["mp4"].headers["content-disposition"]


@pytest.mark.parametrize("drag", [False, True])
def test_flow_frames_do_not_depend_on_the_other_times_of_the_call(tiny_flow_engine, drag):
    """Jobs make all times in one call (they used to make one call per time): for the flow engine, whose frames are
    each computed on their own, the frames are the same either way."""
    keyframes = [square(8), square(40)] if drag else [square(8), square(24), square(40)]
    trajectories = trajectories_from_dict(_file({"points": [[15, 27], [31, 12], [47, 27]]})).trajectories
    options = {"timing": "ease-in", "engine": tiny_flow_engine, "trajectories": trajectories if drag else None}
    together = framer.interpolate(keyframes, num_frames=3, **options)  # [gap][time]
    times = framer.timing.uniform_times(3)
    one_by_one = [framer.interpolate(keyframes, times=[u], **options) for u in times]  # [time][gap]
    for index, frame in enumerate(together):
        np.testing.assert_array_equal(frame, one_by_one[index % 3][index // 3])


def test_three_keyframes_make_one_sequence(client):
    keyframes = [square(8), square(24), square(40)]
    set_id = upload(client, keyframes).json()["id"]
    job = client.post("/api/jobs", json={"keyframes": set_id, "engine": "webui-gate", "num_frames": 1}).json()
    status = wait_for(client, job["id"], ("done", "failed"))
    assert status["state"] == "done", status["message"]
    assert status["frame_times"] == [0, 0.25, 0.5, 0.75, 1]
    frames = [np.asarray(Image.open(io.BytesIO(client.get(url).content))).astype(int) for url in status["frames"]]
    for frame, expected in zip(
        frames, [keyframes[0], (keyframes[0] + keyframes[1].astype(int)) / 2, keyframes[1],
                 (keyframes[1] + keyframes[2].astype(int)) / 2, keyframes[2]], strict=True
    ):  # fmt: skip
        assert np.abs(frame - expected).max() <= 1


def test_concurrent_generate_requests_are_queued_not_crashed(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    GATE.clear()
    body = {"keyframes": set_id, "engine": "webui-gate", "num_frames": 2}
    first = client.post("/api/jobs", json=body).json()["id"]
    assert wait_for(client, first, ("running",))["state"] == "running"  # the queue (3 places) is empty again
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: client.post("/api/jobs", json=body), range(3)))
    assert [response.status_code for response in responses] == [202] * 3
    jobs = [first, *(response.json()["id"] for response in responses)]
    positions = sorted(client.get(f"/api/jobs/{job}").json()["position"] for job in jobs if job != first)
    assert positions == [1, 2, 3]  # one runs; the others wait in order, each told how many jobs are ahead
    full = client.post("/api/jobs", json=body)
    assert full.status_code == 429
    assert "queue of the webui-gate engine is full" in full.json()["error"]
    GATE.set()
    assert [wait_for(client, job, ("done", "failed"))["state"] for job in jobs] == ["done"] * 4


def test_cancel_queued_and_running_jobs(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    GATE.clear()
    body = {"keyframes": set_id, "engine": "webui-gate", "num_frames": 3}
    running = client.post("/api/jobs", json=body).json()["id"]
    waiting = client.post("/api/jobs", json=body).json()["id"]
    wait_for(client, running, ("running",))
    assert client.post(f"/api/jobs/{waiting}/cancel").json()["state"] == "cancelled"
    assert client.post(f"/api/jobs/{running}/cancel").json()["state"] == "running"
    GATE.set()
    assert wait_for(client, running, ("done", "failed", "cancelled"))["state"] == "cancelled"
    assert client.get(f"/api/jobs/{running}/frames/0.png").status_code == 404


def test_unavailable_engine_fails_the_job_with_a_readable_message(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    job = client.post("/api/jobs", json={"keyframes": set_id, "engine": "webui-broken", "num_frames": 1}).json()
    status = wait_for(client, job["id"], ("done", "failed"))
    assert status["state"] == "failed"
    assert status["message"] == (
        "The webui-broken engine is not available: it needs the 'diffusion' extra: "
        "pip install 'framer-vfi[diffusion]'."
    )


def autopilot_available() -> bool:
    """Whether this installation has the autopilot (framer.matching with plan_autopilot)."""
    if importlib.util.find_spec("framer.matching") is None:
        return False
    return hasattr(importlib.import_module("framer.matching"), "plan_autopilot")


def test_autopilot_proposes_trajectories_or_says_it_is_not_available(client):
    case = make_case("arc-s80", 256, num_frames=1)
    set_id = upload(client, list(case.keyframes)).json()["id"]
    response = client.post(f"/api/keyframes/{set_id}/autopilot")
    assert client.get("/api/config").json()["autopilot"] is autopilot_available()
    if autopilot_available():
        assert response.status_code == 200, response.text
        proposed = trajectories_from_dict(response.json()["trajectories"])
        assert (proposed.width, proposed.height) == (256, 256)
        assert 1 <= len(proposed.trajectories) <= 8
        assert all(0.0 <= t.confidence <= 1.0 and t.name.startswith("match ") for t in proposed.trajectories)
        assert response.json()["reason"].startswith("autopilot")
    else:
        assert response.status_code == 501
        assert response.json()["error"].startswith("Autopilot is not available yet")


def test_autopilot_without_framer_matching_says_so(client, monkeypatch):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    monkeypatch.setitem(sys.modules, "framer.matching", None)  # as if framer.matching were not installed
    response = client.post(f"/api/keyframes/{set_id}/autopilot")
    assert response.status_code == 501
    assert response.json()["error"] == (
        "Autopilot is not available yet: this version of framer has no framer.matching module; draw the "
        "trajectories by hand."
    )


# -- safety ---------------------------------------------------------------------------------------------------------


def test_changes_need_the_page_header_and_a_local_host(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    body = {"keyframes": set_id, "engine": "webui-gate", "num_frames": 1}
    response = client.post("/api/jobs", json=body, headers={"X-Framer-Request": ""})
    assert response.status_code == 202  # the header's presence is what counts
    bare = client.build_request("POST", "/api/jobs", json=body)
    del bare.headers["X-Framer-Request"]
    assert client.send(bare).status_code == 403
    assert client.get("/api/config", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding
    for host in ("localhost:7860", "[::1]:7860", "127.0.0.1"):
        assert client.get("/api/config", headers={"host": host}).status_code == 200
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_page_scripts_are_modules_served_as_javascript(client):
    """The page loads one module script; it and every module it imports come from here as JavaScript."""
    page = client.get("/").text
    assert '<script type="module" src="/static/js/main.js"></script>' in page
    assert page.count("<script") == 1  # no inline script: the CSP allows 'self' only
    pending, seen = ["/static/js/main.js"], set()
    while pending:
        url = pending.pop()
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/javascript"), url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        for name in re.findall(r"^import .* from '\./([\w-]+\.js)';$", response.text, flags=re.MULTILINE):
            if f"/static/js/{name}" not in seen:
                pending.append(f"/static/js/{name}")
    assert {"/static/js/state.js", "/static/js/api.js", "/static/js/curves.js"} <= seen


def test_client_paths_never_reach_the_file_system(client):
    set_id = upload(client, [square(8), square(40)]).json()["id"]
    for url in (
        "/api/keyframes/../../etc/passwd",
        f"/api/keyframes/{set_id}/..%2F..%2Fapp.py",
        f"/api/keyframes/{set_id}/2.png",
        f"/api/keyframes/{set_id}/-1.png",
        "/api/keyframes/ZZZ/0.png",
        "/api/jobs/..%2Fsets/frames/0.png",
        "/static/..%2Fapp.py",
    ):
        response = client.get(url)
        assert response.status_code in (404, 400), url
        assert b"import" not in response.content


def test_uploads_live_in_a_private_folder_removed_after_use(flow_engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(WebSettings(max_sets=2), engines={"flow": flow_engine})
    root = app.state.root
    with TestClient(app, base_url="http://127.0.0.1", headers=HEADERS) as client:
        assert root.stat().st_mode & 0o077 == 0
        ids = [upload(client, [square(8), square(40)]).json()["id"] for _ in range(3)]
        assert sorted(p.name for p in (root / "sets").iterdir()) == sorted(ids[1:])  # the oldest was removed
        assert not list((root / "sets").rglob("upload-*"))  # raw uploads are gone once decoded
        assert client.delete(f"/api/keyframes/{ids[2]}").status_code == 204
        assert client.get(f"/api/keyframes/{ids[2]}/0.png").status_code == 404
        assert not (root / "sets" / ids[2]).exists()
    assert not root.exists()


def test_finished_jobs_carry_each_frames_confidence(client, tiny_flow_engine):
    keyframes = [square(8), square(40)]
    set_id = upload(client, keyframes).json()["id"]
    job = client.post("/api/jobs", json={"keyframes": set_id, "num_frames": 3}).json()
    status = wait_for(client, job["id"], ("done", "failed"))
    assert status["state"] == "done", status["message"]
    confidence = status["frame_confidence"]
    assert len(confidence) == len(status["frames"]) == 5
    assert confidence[0] == confidence[-1] == 1.0  # the keyframes
    items = list(framer.iter_interpolate(keyframes, num_frames=3, engine=tiny_flow_engine))
    assert confidence[1:4] == pytest.approx([item.confidence for item in items], abs=1e-4)
    assert all(0.0 <= value <= 1.0 for value in confidence)
