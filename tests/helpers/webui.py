"""Web UI test helpers: the header every changing request needs, keyframe images, uploads and job polling."""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

HEADERS = {"X-Framer-Request": "1"}  # the page sends it; requests that change state without it are refused


def png_bytes(image: np.ndarray) -> bytes:
    """``image`` encoded as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def square(x: int, size: int = 64) -> np.ndarray:
    """``(size, size, 3)`` uint8: a textured background with a bright square whose left edge is at ``x``."""
    rng = np.random.default_rng(0)
    image = (rng.random((size, size, 3)) * 80 + 40).astype(np.uint8)
    image[20:36, x : x + 16] = (240, 200, 40)
    return image


def upload(client, images: list[np.ndarray], names: list[str] | None = None):
    """POST ``images`` as PNG files to ``/api/keyframes``; returns the response."""
    names = names or [f"k{index}.png" for index in range(len(images))]
    files = [("files", (name, png_bytes(image), "image/png")) for name, image in zip(names, images, strict=True)]
    return client.post("/api/keyframes", files=files)


def wait_for(client, job_id: str, states: tuple[str, ...], timeout: float = 60.0) -> dict:
    """Poll the job until its state is one of ``states``; returns its status (fails after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["state"] in states:
            return status
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not reach {states} within {timeout} s: {status}")
