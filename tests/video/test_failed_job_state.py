"""A video job that fails on bad input removes the resume state it made (it could never finish), but keeps an older
resumable state, and a stopped job keeps its state."""

from __future__ import annotations

from fractions import Fraction

import cv2
import pytest

from framer.errors import ShapeError
from framer.video import interpolate_video
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, ramp_frames


def _folder(path, sizes):
    """A folder of PNG frames, one per size in ``sizes``."""
    path.mkdir()
    for index, size in enumerate(sizes):
        image = ramp_frames([Fraction(index, len(sizes))], Fraction(1), size)[0]
        cv2.imwrite(str(path / f"f{index + 1:03d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


class _FailAt(BlendEngine):
    """Raises ``error`` on its ``at``-th call (the same identity as BlendEngine, so it resumes BlendEngine's jobs)."""

    def __init__(self, at: int, error: BaseException) -> None:
        super().__init__()
        self.at, self.error = at, error

    def iter_frames(self, frame0, frame1, times):
        if self.calls + 1 == self.at:
            raise self.error
        return super().iter_frames(frame0, frame1, times)


@pytest.mark.parametrize("output", ["out.mp4", "out"])
def test_mixed_sizes_leave_no_state(tmp_path, output):
    source = _folder(tmp_path / "frames", [(64, 48)] * 4 + [(32, 24)])
    with pytest.raises(ShapeError, match="all frames of a folder must have one size"):
        interpolate_video(source, tmp_path / output, input_fps=12, multi=2, engine=BlendEngine(),
                          segment_seconds=Fraction(1, 12))  # fmt: skip
    assert not state_dir_for(tmp_path / output).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_bad_input_keeps_an_older_resumable_state(tmp_path):
    source = _folder(tmp_path / "frames", [(64, 48)] * 8)
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):  # stopped: the state stays for the next run
        interpolate_video(source, out, input_fps=12, multi=2, engine=_FailAt(5, KeyboardInterrupt()),
                          segment_seconds=Fraction(1, 12))  # fmt: skip
    state = state_dir_for(out)
    kept = sorted(p.name for p in state.iterdir())
    assert "state.json" in kept and any(name.startswith("segment_") for name in kept)
    with pytest.raises(ShapeError):  # the resumed run fails on bad input: the older state is not its to remove
        interpolate_video(source, out, input_fps=12, multi=2, engine=_FailAt(2, ShapeError("bad frame.")),
                          segment_seconds=Fraction(1, 12))  # fmt: skip
    assert set(kept) <= {p.name for p in state.iterdir()}  # kept (and maybe grown by the resumed run)
    resumed = interpolate_video(source, out, input_fps=12, multi=2, engine=BlendEngine(),
                                segment_seconds=Fraction(1, 12))  # fmt: skip
    assert resumed.resumed_from > 0 and out.is_file() and not state.exists()


def test_a_crash_keeps_the_new_state(tmp_path):
    source = _folder(tmp_path / "frames", [(64, 48)] * 4)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        interpolate_video(source, out, input_fps=12, multi=2, engine=_FailAt(3, RuntimeError("crash")))
    assert (state_dir_for(out) / "state.json").is_file()
