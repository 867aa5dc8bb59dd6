"""Animated output holds what it says (every GIF frame, timing right to 10 ms) and every writer says "the disk is
full" in one message, leaving nothing behind."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from fractions import Fraction

import numpy as np
import pytest
from PIL import GifImagePlugin, Image

from framer.errors import InputError
from framer.io import atomic, encode
from framer.io.atomic import DiskFullError
from framer.io.writers import frame_durations, write_frames


def _frames(values: list[int]) -> list[np.ndarray]:
    """16x20 RGB frames, each one flat grey level (equal levels: identical frames)."""
    return [np.full((16, 20, 3), value, np.uint8) for value in values]


def _gif_frames(path) -> tuple[int, list[int], list[int]]:
    """Frames stored in a GIF, each one's duration in ms and its grey level, read back with Pillow."""
    durations, levels = [], []
    with Image.open(path) as im:
        for index in range(im.n_frames):
            im.seek(index)
            durations.append(im.info["duration"])
            levels.append(int(np.asarray(im.convert("RGB"))[8, 10, 0]))
        return im.n_frames, durations, levels


class TestGif:
    @pytest.mark.parametrize("fps", [24, 25, Fraction(30000, 1001), 12, 50])
    def test_every_frame_is_stored_and_the_timing_adds_up(self, tmp_path, fps):
        values = [0] * 3 + [100] * 20 + [200] * 2  # 25 frames, runs of identical ones that Pillow would merge
        path = write_frames(_frames(values), tmp_path / "a.gif", fps=fps)
        count, durations, levels = _gif_frames(path)
        assert count == len(values)
        assert levels == values
        assert all(d % 10 == 0 and d >= 20 for d in durations)
        assert abs(sum(durations) - len(values) * 1000 / float(fps)) <= 10
        assert max(durations) - min(durations) <= 10  # 24 fps: 40 and 50 ms, never drifting

    def test_24_fps_alternates_40_and_50_ms_and_says_so(self, tmp_path, caplog):
        write_frames(_frames([0, 50] * 12), tmp_path / "a.gif", fps=24)
        _, durations, _ = _gif_frames(tmp_path / "a.gif")
        assert sorted(set(durations)) == [40, 50] and sum(durations) == 1000
        assert "GIF frame times are in 10 ms steps: at 24 fps the frames last 40 or 50 ms, 41.7 ms on average." in (
            caplog.messages
        )

    def test_an_exact_rate_says_nothing(self, tmp_path, caplog):
        write_frames(_frames([0, 50, 100]), tmp_path / "a.gif", fps=25)
        assert _gif_frames(tmp_path / "a.gif")[1] == [40, 40, 40]
        assert not caplog.messages

    def test_above_50_fps_is_refused_before_writing(self, tmp_path):
        with pytest.raises(InputError, match=r"A GIF plays at most 50 fps .* not 60; lower the fps"):
            write_frames(_frames([0, 50]), tmp_path / "a.gif", fps=60)
        assert list(tmp_path.iterdir()) == []

    def test_durations_have_no_drift(self):
        durations = frame_durations(240, Fraction(24), step_ms=10)
        assert sum(durations) == 10_000 and set(durations) == {40, 50}


def test_webp_says_how_many_repeated_frames_it_merged(tmp_path, caplog):
    caplog.set_level("INFO", logger="framer")
    path = write_frames(_frames([0, 0, 0, 100, 100]), tmp_path / "a.webp", fps=24)
    with Image.open(path) as im:
        stored = im.n_frames
    assert stored == 2  # libwebp merges repeats; the message must say what happened
    assert (
        "a.webp stores 2 of the 5 frames: WebP merges a frame that repeats the one before into a longer one (the "
        "timing is kept)." in caplog.messages
    )


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


class TestDiskFull:
    """Each writer, made to fail with ENOSPC (or EDQUOT) part-way: one message, nothing left behind."""

    def _check(self, tmp_path, output, code=errno.ENOSPC):
        with pytest.raises(DiskFullError) as info:
            write_frames(_frames([0, 50, 100, 150]), tmp_path / output, fps=24)
        why = "the disk is full" if code == errno.ENOSPC else "the disk quota is used up"
        assert str(info.value) == (
            f"Could not write {tmp_path / output}: {why}; nothing was left behind, free some space and run again."
        )
        assert info.value.errno == code
        assert list(tmp_path.iterdir()) == []  # no output, no partial sibling

    def test_png_folder(self, tmp_path, monkeypatch):
        written = []
        real = atomic.Path.write_bytes

        def write_bytes(self, data):
            if len(written) == 2:
                _enospc()
            written.append(self)
            return real(self, data)

        monkeypatch.setattr(atomic.Path, "write_bytes", write_bytes)
        self._check(tmp_path, "frames")
        assert len(written) == 2  # it failed on the third frame

    def test_png_folder_over_quota(self, tmp_path, monkeypatch):
        def over_quota(self, data):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")

        monkeypatch.setattr(atomic.Path, "write_bytes", over_quota)
        self._check(tmp_path, "frames", errno.EDQUOT)

    def test_mp4(self, tmp_path, monkeypatch):
        real = encode.VideoEncoder.write

        def write(self, image):
            if self.frames_written == 2:
                _enospc()
            real(self, image)

        monkeypatch.setattr(encode.VideoEncoder, "write", write)
        self._check(tmp_path, "clip.mp4")

    def test_gif(self, tmp_path, monkeypatch):
        calls = []
        real = GifImagePlugin.getdata

        def getdata(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                _enospc()
            return real(*args, **kwargs)

        monkeypatch.setattr(GifImagePlugin, "getdata", getdata)
        self._check(tmp_path, "anim.gif")

    def test_other_errors_pass_through(self, tmp_path, monkeypatch):
        def denied(self, data):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(atomic.Path, "write_bytes", denied)
        with pytest.raises(PermissionError):
            write_frames(_frames([0, 50]), tmp_path / "frames")


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs mounted for the test (needs root: mounting is a privileged operation)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a 1 MiB tmpfs needs root; the ENOSPC tests above inject the error instead")
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"could not mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("output", ["frames", "clip.mp4", "anim.gif"])
def test_a_real_full_disk(small_disk, output):
    """Noise frames (4 grey levels: quick to quantize for the GIF) that make every kind of output well over 1 MiB:
    the disk really fills, and the message and the clean-up are the same as with the injected errors."""
    rng = np.random.default_rng(0)
    frames = [np.repeat(rng.integers(0, 4, (512, 512, 1), dtype=np.uint8) * 80, 3, axis=2) for _ in range(24)]
    with pytest.raises(DiskFullError, match=rf"Could not write {small_disk / output}: the disk is full; nothing"):
        write_frames(frames, small_disk / output, fps=24)
    assert list(small_disk.iterdir()) == []
