"""Interrupted runs: no half-written output, and the same call resumes to exactly the frames of an unbroken run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from framer.cli.main import main
from framer.engines import Capabilities
from framer.errors import InputError
from framer.video import interpolate_video
from framer.video.state import state_dir_for
from helpers import TESTS
from helpers.flow_tiny import TINY_IFNET_ENTRY, registered
from helpers.video import BlendEngine, decode_video, ramp_frames, write_clip

SEGMENT = 0.25  # seconds of output per segment: 12 frames at 48 fps


@pytest.fixture
def clip(tmp_path):
    frames = ramp_frames([Fraction(i, 24) for i in range(48)], Fraction(2))
    for i, image in enumerate(frames):  # some texture, so the encoder has work to do
        image[(i * 3) % 48 :, ::7, 2] = 255
    return write_clip(tmp_path / "in.mp4", frames, rate=Fraction(24))


class _StopAfter(BlendEngine):
    """Raises KeyboardInterrupt (as Ctrl-C does) on its ``stop_at``-th call."""

    capabilities = Capabilities(tracks=True, tiles=True)

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.stop_at = stop_at

    def iter_frames(self, frame0, frame1, times, tracks=None):
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        return super().iter_frames(frame0, frame1, times)


def _same_frames(first: Path, second: Path) -> bool:
    _, a = decode_video(first)
    _, b = decode_video(second)
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_ctrl_c_leaves_no_output_and_the_same_call_resumes(tmp_path, clip):
    reference = interpolate_video(
        clip, tmp_path / "reference.mp4", multi=2, engine=BlendEngine(), segment_seconds=SEGMENT
    )
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(clip, out, multi=2, engine=_StopAfter(30), segment_seconds=SEGMENT)
    state = state_dir_for(out)
    assert not out.exists()
    # Calls 1..29 made output frames 0..57, and frame 58 (a copy of source frame 29) was written before call 30:
    # four whole segments of 12; the fifth was being encoded and is gone, but its 11 frames are saved raw.
    assert sorted(p.name for p in state.glob("segment_*")) == [f"segment_{n:06d}.mp4" for n in range(4)]
    engine = BlendEngine()
    resumed = interpolate_video(clip, out, multi=2, engine=engine, segment_seconds=SEGMENT)
    assert resumed.resumed_from == 59 and resumed.num_frames == reference.num_frames == 96
    assert engine.calls == 18  # only the gaps that make frames 59 and on: source frames 29 -> 30 .. 46 -> 47
    assert _same_frames(tmp_path / "reference.mp4", out)
    assert not state.exists()


def test_sigkill_then_rerun_gives_identical_frames(tmp_path, clip):
    out = tmp_path / "out.mp4"
    script = f"""
import sys, time
sys.path.insert(0, {str(TESTS)!r})
from helpers.video import BlendEngine
from framer.video import interpolate_video

class Slow(BlendEngine):
    def iter_frames(self, frame0, frame1, times):
        time.sleep(0.05)
        return super().iter_frames(frame0, frame1, times)

interpolate_video({str(clip)!r}, {str(out)!r}, multi=2, engine=Slow(), segment_seconds={SEGMENT})
"""
    process = subprocess.Popen([sys.executable, "-c", script])
    third_segment = state_dir_for(out) / "segment_000002.mp4"
    deadline = time.monotonic() + 120
    while not third_segment.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL and not out.exists()
    resumed = interpolate_video(clip, out, multi=2, engine=BlendEngine(), segment_seconds=SEGMENT)
    assert resumed.resumed_from >= 36
    interpolate_video(clip, tmp_path / "reference.mp4", multi=2, engine=BlendEngine(), segment_seconds=SEGMENT)
    assert _same_frames(tmp_path / "reference.mp4", out)


def test_a_different_command_does_not_resume_unasked(tmp_path, clip):
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(clip, out, multi=2, engine=_StopAfter(20), segment_seconds=SEGMENT)
    with pytest.raises(InputError, match="pass --restart to discard it"):
        interpolate_video(clip, out, multi=3, engine=BlendEngine(), segment_seconds=SEGMENT)
    restarted = interpolate_video(clip, out, multi=3, engine=BlendEngine(), segment_seconds=SEGMENT, resume=False)
    assert restarted.resumed_from == 0 and restarted.num_frames == 144


def test_cli_rerun_resumes(tmp_path, clip, tiny_flow_engine, tiny_flow_weights, monkeypatch, capsys):
    short = write_clip(tmp_path / "short.mp4", decode_video(clip)[1][:6], rate=Fraction(24))
    out = tmp_path / "out.mp4"
    original = tiny_flow_engine.iter_scored
    calls = []

    def stop_at_three(frame0, frame1, times):
        calls.append(times)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(frame0, frame1, times)

    monkeypatch.setattr(tiny_flow_engine, "iter_scored", stop_at_three)
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(short, out, multi=2, engine=tiny_flow_engine, segment_seconds=Fraction(1, 12))
    monkeypatch.undo()
    model = ["--model", TINY_IFNET_ENTRY.name, "--weights", str(tiny_flow_weights)]  # the same engine, loaded anew
    with registered(TINY_IFNET_ENTRY):
        assert main(["video", str(short), "--multi", "2", "-o", str(out), "--segment-seconds", "1/12", *model]) == 0
    message = capsys.readouterr().err
    assert "Wrote 12 frames at 48 fps" in message and "4 kept from the earlier run" in message
    assert not state_dir_for(out).exists()
