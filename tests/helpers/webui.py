"""Web UI test helpers: the header every changing request needs, keyframe images, uploads and job polling."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator

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


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a thread; yields its URL, stops it on exit."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline, "the web UI server did not start within 15 s"
            assert thread.is_alive(), "the web UI server stopped while starting"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
