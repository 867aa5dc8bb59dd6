"""The background encoder (``VideoEncoder(background=True)``, as ``framer video`` uses it): the same bytes as encoding
in the caller's thread, a worker's error raised in the caller's thread, and no worker left after close or abort."""

from __future__ import annotations

import errno
import threading
from fractions import Fraction

import numpy as np
import pytest

from framer.io import encode
from framer.io.encode import VideoEncoder


def _frames(count: int = 24) -> list[np.ndarray]:
    """Moving gradients with noise, 160x96: content x264 has to work on."""
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[:96, :160]
    frames = []
    for k in range(count):
        base = np.stack([(xs * 2 + k * 5) % 256, (ys * 3 + k * 2) % 256, (xs + ys + k * 7) % 256], -1)
        frames.append(np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8))
    return frames


def _encode(path, frames, background: bool) -> None:
    encoder = VideoEncoder(path, 160, 96, Fraction(24), background=background)
    for image in frames:
        encoder.write(image)
    encoder.close()


def _workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "framer-encoder"]


def test_the_background_encoder_writes_the_bytes_of_the_plain_one(tmp_path):
    frames = _frames()
    _encode(tmp_path / "plain.mp4", frames, background=False)
    _encode(tmp_path / "background.mp4", frames, background=True)
    assert (tmp_path / "background.mp4").read_bytes() == (tmp_path / "plain.mp4").read_bytes()
    assert _workers() == []


def test_an_error_of_the_worker_is_raised_in_the_callers_thread(tmp_path, monkeypatch):
    real = VideoEncoder._encode
    encoded = []

    def fail_on_the_third(self, image):
        if len(encoded) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        encoded.append(1)
        real(self, image)

    monkeypatch.setattr(VideoEncoder, "_encode", fail_on_the_third)
    encoder = VideoEncoder(tmp_path / "out.mp4", 160, 96, Fraction(24), background=True)
    with pytest.raises(OSError) as raised:  # by a later write, or at the latest by close
        for image in _frames(12):
            encoder.write(image)
        encoder.close()
    assert raised.value.errno == errno.ENOSPC
    encoder.abort()
    assert len(encoded) == 2  # nothing was encoded after the error
    assert _workers() == []


def test_abort_drops_the_queued_frames_and_ends_the_worker(tmp_path, monkeypatch):
    release = threading.Event()
    real = VideoEncoder._encode
    encoded = []

    def slow(self, image):
        release.wait(5)
        encoded.append(1)
        real(self, image)

    monkeypatch.setattr(VideoEncoder, "_encode", slow)
    encoder = VideoEncoder(tmp_path / "out.mp4", 160, 96, Fraction(24), background=True)
    frames = _frames(encode._QUEUED + 1)
    for image in frames:  # the worker holds one frame, the queue the rest
        encoder.write(image)
    assert encoder.frames_written == len(frames)
    threading.Timer(0.3, release.set).start()  # the worker goes on only after abort has begun
    encoder.abort()
    assert len(encoded) == 1  # the one the worker held when abort came
    assert _workers() == []
