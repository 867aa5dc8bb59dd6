"""Video output is saved by time: a hard stop loses at most SAVE_SECONDS of work, a Ctrl-C none, and the message
names the frame the next run resumes from; the resumed output is byte-identical to an unbroken run's."""

from __future__ import annotations

import logging
import shutil
from fractions import Fraction

import pytest

from framer.cli.main import main
from framer.video import interpolate_video, pipeline
from framer.video.guidance import VideoGuide
from framer.video.state import state_dir_for
from helpers.flow_tiny import TINY_IFNET_ENTRY, registered
from helpers.video import BlendEngine, ramp_frames, write_clip

SEGMENT = 1  # second of output per segment: 48 frames at 48 fps, so saves fall inside segments
SECONDS_PER_CALL = 10.0  # simulated work per in-between (multi=2: one per engine call)


class _Killed(BaseException):
    """Stands for SIGKILL: nothing in the pipeline may run after it (the test restores the state a kill leaves)."""


@pytest.fixture
def clip(tmp_path):
    frames = ramp_frames([Fraction(i, 24) for i in range(40)], Fraction(2))
    for i, image in enumerate(frames):  # some texture, so the encoder has work to do
        image[(i * 3) % 48 :, ::7, 2] = 255
    return write_clip(tmp_path / "in.mp4", frames, rate=Fraction(24))


@pytest.fixture
def clock(monkeypatch):
    """A clock the engine below advances by SECONDS_PER_CALL per in-between."""
    now = [0.0]
    monkeypatch.setattr(pipeline, "_clock", lambda: now[0])
    return now


class _Clocked(BlendEngine):
    """Takes ``seconds`` of simulated time per call; on call ``stop_at`` runs ``stop`` instead."""

    def __init__(self, clock, stop_at: int, stop, seconds: float = SECONDS_PER_CALL) -> None:
        super().__init__()
        self.clock, self.stop_at, self.stop, self.seconds = clock, stop_at, stop, seconds

    def iter_frames(self, frame0, frame1, times, tracks=None):
        if self.calls + 1 == self.stop_at:
            self.stop()
        self.clock[0] += self.seconds
        return super().iter_frames(frame0, frame1, times)


def _reference(clip, tmp_path):
    return interpolate_video(clip, tmp_path / "reference.mp4", multi=2, engine=BlendEngine(), segment_seconds=SEGMENT)


@pytest.mark.parametrize("stop_at", [9, 23, 32])
def test_a_hard_stop_loses_at_most_save_seconds(tmp_path, clip, clock, stop_at):
    out = tmp_path / "out.mp4"
    state, snapshot = state_dir_for(out), tmp_path / "snapshot"

    def kill():  # what SIGKILL at this moment leaves on disk
        shutil.copytree(state, snapshot)
        raise _Killed

    with pytest.raises(_Killed):
        interpolate_video(clip, out, multi=2, engine=_Clocked(clock, stop_at, kill), segment_seconds=SEGMENT)
    shutil.rmtree(state)
    shutil.move(snapshot, state)
    engine = BlendEngine()
    resumed = interpolate_video(clip, out, multi=2, engine=engine, segment_seconds=SEGMENT)
    # Output frame 2i copies source frame i, 2i + 1 is the in-between of call i + 1: before call ``stop_at`` frames
    # 0 .. 2 * stop_at - 2 were written. Those the rerun made again are the work the kill lost.
    written = 2 * stop_at - 1
    lost = sum(1 for index in range(resumed.resumed_from, written) if index % 2 == 1)
    assert 0 < resumed.resumed_from <= written
    assert lost * SECONDS_PER_CALL <= pipeline.SAVE_SECONDS
    assert resumed.resumed_from % 48 != 0  # saved inside a segment, not only when one closed
    assert engine.calls == 39 - resumed.resumed_from // 2
    assert out.read_bytes() == _reference(clip, tmp_path).output.read_bytes()


def test_a_slow_pair_is_saved_whole(tmp_path, clip, clock):
    """An engine that takes 40 s per pair and then gives its three frames at once (as the diffusion engine does):
    each pair's frames are all saved before the next pair starts, so a kill loses only the pair in progress."""
    out = tmp_path / "out.mp4"
    snapshot = tmp_path / "snapshot"

    def kill():
        shutil.copytree(state_dir_for(out), snapshot)
        raise _Killed

    with pytest.raises(_Killed):
        interpolate_video(clip, out, multi=4, engine=_Clocked(clock, 6, kill, seconds=40),
                          segment_seconds=SEGMENT)  # fmt: skip
    shutil.rmtree(state_dir_for(out))
    shutil.move(snapshot, state_dir_for(out))
    engine = BlendEngine()
    resumed = interpolate_video(clip, out, multi=4, engine=engine, segment_seconds=SEGMENT)
    # Pairs 1..5 made frames 0..19; frame 20 (a copy of source frame 5) was written as pair 6 started.
    assert resumed.resumed_from == 20 and engine.calls == 39 - 5


def test_ctrl_c_saves_everything_and_names_the_frame(tmp_path, clip, clock, caplog):
    out = tmp_path / "out.mp4"

    def interrupt():
        raise KeyboardInterrupt

    with caplog.at_level(logging.INFO, logger="framer"), pytest.raises(KeyboardInterrupt):
        interpolate_video(clip, out, multi=2, engine=_Clocked(clock, 30, interrupt), segment_seconds=SEGMENT)
    # Frames 0 .. 58 were written before call 30: segment 0 closed at 48, 11 frames of segment 1 are saved raw.
    assert "59 output frames are saved; run the same command again to resume from frame 60." in caplog.messages
    assert "Stopped" not in caplog.text  # the CLI says "stopped." once
    engine = BlendEngine()
    resumed = interpolate_video(clip, out, multi=2, engine=engine, segment_seconds=SEGMENT)
    assert resumed.resumed_from == 59 and engine.calls == 10  # gaps 29 -> 30 .. 38 -> 39
    assert out.read_bytes() == _reference(clip, tmp_path).output.read_bytes()
    assert not state_dir_for(out).exists()


def test_cli_ctrl_c_says_stopped_once_and_the_rerun_resumes(tmp_path, tiny_flow_weights, monkeypatch, caplog, capsys):
    short = write_clip(tmp_path / "short.mp4", ramp_frames([Fraction(i, 24) for i in range(12)], Fraction(1, 2)))
    out = tmp_path / "out.mp4"
    model = ["--model", TINY_IFNET_ENTRY.name, "--weights", str(tiny_flow_weights), "--device", "cpu"]
    frames, calls = VideoGuide.frames, []

    def stop_at_five(self, *args, **kwargs):
        calls.append(args[:2])
        if len(calls) == 5:
            raise KeyboardInterrupt
        return frames(self, *args, **kwargs)

    monkeypatch.setattr(VideoGuide, "frames", stop_at_five)
    with registered(TINY_IFNET_ENTRY), caplog.at_level(logging.INFO, logger="framer"):
        assert main(["video", str(short), "--multi", "2", "-o", str(out), *model]) == 130
        # Gaps 0 -> 1 .. 3 -> 4 made frames 0 .. 7; the fifth gap stopped before writing anything.
        assert "8 output frames are saved; run the same command again to resume from frame 9." in caplog.messages
        assert sum("stopped" in message.lower() for message in caplog.messages) == 0
        assert capsys.readouterr().err.strip() == "framer: stopped."  # said once
        monkeypatch.undo()
        assert main(["video", str(short), "--multi", "2", "-o", str(out), *model]) == 0
    err = capsys.readouterr().err
    assert "Wrote 24 frames at 48 fps" in err and "8 kept from the earlier run" in err
