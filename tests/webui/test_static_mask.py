"""The web UI's static mask (the "Keep still" brush): ``static_mask`` in ``POST /api/jobs`` keeps its region still."""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
import pytest
from PIL import Image

from framer.webui import WebSettings, create_app
from helpers.webui import HEADERS, png_bytes, square, upload, wait_for


@pytest.fixture
def client(tiny_flow_engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note about httpx's successor
        from fastapi.testclient import TestClient

    app = create_app(WebSettings(max_side=512, max_frames=10), engines={"flow": tiny_flow_engine})
    with TestClient(app, base_url="http://127.0.0.1", headers=HEADERS) as test_client:
        yield test_client


def _data_url(mask: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(mask)).decode()


def _frames(client, body: dict) -> list[np.ndarray]:
    job = client.post("/api/jobs", json=body)
    assert job.status_code == 202, job.text
    status = wait_for(client, job.json()["id"], ("done", "failed"))
    assert status["state"] == "done", status["message"]
    return [np.asarray(Image.open(io.BytesIO(client.get(url).content))) for url in status["frames"]]


def test_a_painted_mask_reaches_the_job_and_keeps_its_region_still(client):
    keyframes = [square(8), square(36)]  # a bright square moves 28 px over a textured background
    set_id = upload(client, keyframes).json()["id"]
    mask = np.zeros((64, 64, 4), np.uint8)  # as the page paints it: white where kept still, the rest black
    mask[..., 3] = 255
    mask[12:44, 30:56, :3] = 255
    still = mask[..., 0] > 0
    body = {"keyframes": set_id, "num_frames": 3, "include_keyframes": False}
    plain = _frames(client, body)
    masked = _frames(client, {**body, "static_mask": _data_url(mask)})
    for frame, nearer in zip(masked, [keyframes[0], keyframes[1], keyframes[1]], strict=True):  # t = 1/4, 1/2, 3/4
        assert np.array_equal(frame[still], nearer[still])  # the nearer keyframe, unwarped, to the level
    for frame, without in zip(masked, plain, strict=True):
        assert np.array_equal(frame[~still], without[~still])  # elsewhere: the engine's frame, as without a mask
    assert not np.array_equal(plain[0][still], keyframes[0][still])  # without it, the region moves


def test_an_empty_mask_is_no_mask(client):
    set_id = upload(client, [square(8), square(20)]).json()["id"]
    body = {"keyframes": set_id, "num_frames": 1, "include_keyframes": False}
    empty = _frames(client, {**body, "static_mask": _data_url(np.zeros((64, 64), np.uint8))})
    assert np.array_equal(empty[0], _frames(client, body)[0])


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (_data_url(np.zeros((32, 64), np.uint8)), "Field 'static_mask' is 64x32 but the frames are 64x64"),
        ("data:image/jpeg;base64,AAAA", "Field 'static_mask' must be a PNG data URL"),
        ("data:image/png;base64,@@@", "Field 'static_mask' is not valid base64"),
        ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), "is not a readable image"),
    ],
)
def test_a_bad_mask_is_refused_in_one_sentence(client, mask, message):
    set_id = upload(client, [square(8), square(20)]).json()["id"]
    response = client.post("/api/jobs", json={"keyframes": set_id, "num_frames": 1, "static_mask": mask})
    assert response.status_code == 400
    assert message in response.json()["error"]
