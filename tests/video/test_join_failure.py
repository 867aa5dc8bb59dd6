"""A failure while joining the segments (a full disk) leaves no truncated joined file in the partial folder, and
the same command finishes the job once it can write again, byte-identical to an unbroken run."""

from __future__ import annotations

import errno
import io
import os
import subprocess
from fractions import Fraction

import pytest

from framer.video import interpolate_video, pipeline, writer
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, ramp_frames, write_clip

SEGMENT = 0.25  # seconds of output per segment: 12 frames at 48 fps


@pytest.fixture
def clip(tmp_path):
    frames = ramp_frames([Fraction(i, 24) for i in range(24)], Fraction(1))
    for i, image in enumerate(frames):
        image[(i * 3) % 48 :, ::7, 2] = 255
    return write_clip(tmp_path / "in.mp4", frames, rate=Fraction(24))


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # closed meanwhile
        return ""


def _finish_after_failure(clip, out, reference):
    """Assert the failed join left its segments but no joined file, then that the rerun finishes the job."""
    state = state_dir_for(out)
    assert not out.exists() and not list(state.glob("joined*"))
    assert len(list(state.glob("segment_*.mp4"))) == 4
    engine = BlendEngine()
    resumed = interpolate_video(clip, out, multi=2, engine=engine, segment_seconds=SEGMENT)
    assert resumed.resumed_from == resumed.num_frames == 48 and engine.calls == 0
    assert out.read_bytes() == reference.read_bytes()
    assert not state.exists()


class _FullAfter(io.FileIO):
    """A file that takes ``LIMIT`` bytes, then fails as a full disk does."""

    LIMIT = 2000

    def write(self, data) -> int:
        if self.tell() + len(data) > self.LIMIT:
            raise OSError(errno.ENOSPC, "No space left on device", self.name)
        return super().write(data)


def test_a_write_error_in_the_join_removes_the_joined_file(tmp_path, clip, monkeypatch):
    reference = interpolate_video(clip, tmp_path / "reference.mp4", multi=2, engine=BlendEngine(),
                                  segment_seconds=SEGMENT).output  # fmt: skip
    out = tmp_path / "out.mp4"
    assert reference.stat().st_size > _FullAfter.LIMIT
    monkeypatch.setattr(writer, "open", lambda path, mode: _FullAfter(path, mode[0]), raising=False)
    with pytest.raises(OSError, match="No space left on device"):
        interpolate_video(clip, out, multi=2, engine=BlendEngine(), segment_seconds=SEGMENT)
    monkeypatch.undo()
    _finish_after_failure(clip, out, reference)


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (needs root and a system that allows mounting)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_at_the_join_removes_the_joined_file(tmp_path, clip, small_disk, monkeypatch):
    reference = interpolate_video(clip, tmp_path / "reference.mp4", multi=2, engine=BlendEngine(),
                                  segment_seconds=SEGMENT).output  # fmt: skip
    out = small_disk / "out.mp4"
    join = pipeline.join_segments

    def fill_then_join(*args, **kwargs):  # the segments are done: fill the disk, then join
        with open(small_disk / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as ex:
                assert ex.errno == errno.ENOSPC
        return join(*args, **kwargs)

    monkeypatch.setattr(pipeline, "join_segments", fill_then_join)
    with pytest.raises(OSError, match="No space left on device"):
        interpolate_video(clip, out, multi=2, engine=BlendEngine(), segment_seconds=SEGMENT)
    monkeypatch.undo()
    held = [fd for fd in os.listdir("/proc/self/fd") if str(small_disk) in _target(fd)]
    assert not held  # the failed join's file is closed, not only removed: its space is free
    (small_disk / "filler").unlink()  # space is freed
    _finish_after_failure(clip, out, reference)
