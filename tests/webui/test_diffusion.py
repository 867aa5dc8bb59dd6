"""Web UI with the diffusion engine (tiny random models on CPU): one generated clip per gap, not one per frame."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

import framer
from framer.engines.diffusion.pipeline import FramerPipeline
from framer.webui import WebSettings, create_app
from helpers.diffusion_tiny import SMALL, save_tiny
from helpers.webui import HEADERS, square, upload, wait_for


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    model_dir, svd_dir = save_tiny(tmp_path_factory.mktemp("diffusion_tiny"))
    return framer.create_engine("diffusion", model_dir=model_dir, svd_dir=svd_dir, **SMALL)


@pytest.fixture
def client(engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note about httpx's successor
        from fastapi.testclient import TestClient

    app = create_app(WebSettings(max_frames=10, engines=("diffusion",)), engines={"diffusion": engine})
    with TestClient(app, base_url="http://127.0.0.1", headers=HEADERS) as test_client:
        yield test_client


@pytest.fixture
def pipeline_calls(monkeypatch):
    """Counts calls of the diffusion pipeline (one per generated clip)."""
    calls = []
    original = FramerPipeline.__call__

    def counted(self, *args, **kwargs):
        calls.append(kwargs.get("options", args[3] if len(args) > 3 else None))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FramerPipeline, "__call__", counted)
    return calls


@pytest.mark.parametrize("num_keyframes", [2, 3])
def test_diffusion_job_generates_one_clip_per_gap(client, engine, pipeline_calls, num_keyframes):
    keyframes = [square(x) for x in (8, 24, 40)[:num_keyframes]]
    set_id = upload(client, keyframes).json()["id"]
    response = client.post("/api/jobs", json={"keyframes": set_id, "engine": "diffusion", "num_frames": 3})
    assert response.status_code == 202, response.text
    status = wait_for(client, response.json()["id"], ("done", "failed", "cancelled"), timeout=300)
    assert status["state"] == "done", status["message"]
    gaps = num_keyframes - 1
    assert len(pipeline_calls) == gaps  # one clip per gap holds all three in-betweens
    assert [options.num_frames for options in pipeline_calls] == [5] * gaps  # 3 in-betweens + the 2 keyframes
    assert status["done"] == status["total"] == 3 * gaps
    assert len(status["frames"]) == 4 * gaps + 1  # keyframes included
    # The frames are those of the public API (the engine is seeded per clip, so the same clip is made again).
    expected = framer.interpolate(keyframes, num_frames=3, engine=engine, include_keyframes=True)
    assert len(pipeline_calls) == 2 * gaps
    for url, frame in zip(status["frames"], expected, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(client.get(url).content))), frame)
