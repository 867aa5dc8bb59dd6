"""Clips for the batch tests, and engines their workers make by factory (`factory="batch_helpers:blend"`)."""

from __future__ import annotations

import os
import signal
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from framer.io.images import read_image
from framer.video import open_video
from helpers.video import BlendEngine, decode_video, ramp_frames, write_clip


def assert_same_video(a: Path, b: Path) -> None:
    """Decoded pixels and timestamps equal, frame for frame."""
    times_a, images_a = decode_video(a)
    times_b, images_b = decode_video(b)
    assert times_a == times_b
    assert len(images_a) == len(images_b)
    assert all(np.array_equal(x, y) for x, y in zip(images_a, images_b, strict=True))


def make_clips(folder: Path, shared_data: Path) -> dict[str, Path]:
    """``plain``: a 36-frame ramp at 24 fps with audio; ``cut``: 12 carphone frames, then 9 Sintel frames (64x48)."""
    times = [Fraction(i, 24) for i in range(36)]
    plain = write_clip(folder / "plain.mp4", ramp_frames(times, Fraction(36, 24)), audio_seconds=1.5)
    with open_video(shared_data / "video_carphone" / "carphone_pristine.mp4") as reader:
        first = [frame.image for _, frame in zip(range(12), reader, strict=False)]
    second = [read_image(shared_data / "sintel_raft_demo" / f"frame_00{n}.png") for n in range(16, 25)]
    small = [np.ascontiguousarray(cv2.resize(f, (64, 48), interpolation=cv2.INTER_AREA)) for f in first + second]
    return {"plain": plain, "cut": write_clip(folder / "cut.mp4", small, rate=Fraction(24))}


class _SlowBlend(BlendEngine):
    """The blend engine, ``delay`` seconds per in-between; with ``kill_marker``, the worker kills itself (SIGKILL)
    at its ``kill_after``-th in-between if that file does not exist yet (it is created first: killed once)."""

    def __init__(self, delay: float = 0.0, kill_marker: str | None = None, kill_after: int = 3) -> None:
        super().__init__()
        self.delay, self.kill_marker, self.kill_after, self.made = delay, kill_marker, kill_after, 0

    def iter_frames(self, frame0, frame1, times):
        for frame in super().iter_frames(frame0, frame1, times):
            self.made += 1
            if self.kill_marker and self.made >= self.kill_after and not Path(self.kill_marker).exists():
                Path(self.kill_marker).write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(self.delay)
            yield frame


def blend(delay: float = 0.0, kill_marker: str | None = None, kill_after: int = 3) -> BlendEngine:
    return _SlowBlend(delay, kill_marker, kill_after)


def tiny_flow(weights: str):
    """The real flow engine on the tests' tiny IFNet (registered in this worker)."""
    import framer
    from helpers.flow_tiny import TINY_IFNET_ENTRY, registered

    with registered(TINY_IFNET_ENTRY):
        return framer.create_engine("flow", model=TINY_IFNET_ENTRY.name, weights=weights, device="cpu")


def line_choice(engine):
    """``engine`` wrapped in the plain line-choice :class:`CartoonEngine` (on every keyframe, line art or not)."""
    from framer.engines.cartoon import CartoonEngine

    return CartoonEngine(engine)
