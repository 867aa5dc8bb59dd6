"""Drag trajectories on video: each gap inside the trajectories' span of source frames is steered along its piece.

The sprite clips come from the synthetic drag benchmark (``arc-s80``: a sprite moving along an arc): its two
keyframes and its true middle frame are three source frames, and the case's trajectory runs over them in sequence
time, as it does over three keyframes in ``framer tween``.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from framer.cli.main import main
from framer.engines import Capabilities
from framer.errors import InputError
from framer.io.images import ImageFormat, read_image
from framer.io.tensors import image_to_tensor, tensor_to_image
from framer.synthetic import make_case
from framer.synthetic.measures import trajectory_adherence
from framer.video import interpolate_video
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, decode_video, ramp_frames, write_clip


@pytest.fixture(scope="module")
def arc():
    """The case (keyframes, true middle frame, trajectory) and the same case's truth at t = 1/4, 1/2, 3/4."""
    return make_case("arc-s80", 256, num_frames=1), make_case("arc-s80", 256, num_frames=3)


def _folder(path: Path, frames: list[np.ndarray]) -> Path:
    path.mkdir()
    for index, image in enumerate(frames):
        cv2.imwrite(str(path / f"f{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def _plain(engine, image0: np.ndarray, image1: np.ndarray) -> np.ndarray:
    """The engine's plain in-between at t = 0.5, made as the video pipeline makes it."""
    fmt = ImageFormat(channels=3, bit_depth=8)
    frame = next(iter(engine.iter_frames(image_to_tensor(image0, fmt), image_to_tensor(image1, fmt), [0.5])))
    return tensor_to_image(frame[0], fmt)


def test_drag_places_the_sprite_on_its_path_inside_the_span_only(tmp_path, arc, flow_engine):
    case, quarters = arc
    k0, middle, k1 = case.keyframes[0], case.frames[0], case.keyframes[1]
    before = np.roll(k0, -6, axis=1)  # the gap before the span: a small pan
    source = _folder(tmp_path / "in", [before, k0, middle, k1])
    result = interpolate_video(source, tmp_path / "out", multi=2, engine=flow_engine,
                               trajectories=case.trajectories, trajectory_frames=(1, 3))  # fmt: skip
    assert result.guidance == {"steered": 2} and result.cuts == () and result.num_frames == 8
    out = [read_image(path) for path in sorted((tmp_path / "out").iterdir())]
    # Output frames 3, 4, 5 sit at sequence times 1/4, 1/2 (source frame 2), 3/4 of the span 1..3.
    dragged = trajectory_adherence(np.stack(out[3:6]), quarters)
    plain_frames = [_plain(flow_engine, k0, middle), middle, _plain(flow_engine, middle, k1)]
    plain = trajectory_adherence(np.stack(plain_frames), quarters)
    print(f"sprite position error (px) dragged {dragged.distances.round(2).tolist()}, "
          f"plain {plain.distances.round(2).tolist()}")  # fmt: skip
    assert dragged.median <= 2.0
    assert plain.median > 20.0  # the case needs steering
    # The gap outside the span is not steered: its in-between is the plain one.
    np.testing.assert_array_equal(out[1], _plain(flow_engine, before, k0))


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "in.mp4", ramp_frames([Fraction(i, 24) for i in range(6)], Fraction(1, 4)))


def test_cli_drag_on_a_video_file(tmp_path, clip, capsys):
    code = main(["video", str(clip), "--multi", "2", "--drag", "10,10:30,20:50,12", "--drag-frames", "1:4",
                 "-o", str(tmp_path / "out.mp4")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "3 gaps dragged" in err
    _, decoded = decode_video(tmp_path / "out.mp4")
    assert len(decoded) == 12


def _write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_cli_a_file_of_another_shape_is_stretched_only_when_asked(tmp_path, clip, capsys):
    wide = {"version": 1, "width": 128, "height": 48, "trajectories": [{"points": [[20, 10], [60, 20]]}]}
    path = _write_json(tmp_path / "wide.json", wide)
    args = ["video", str(clip), "--multi", "2", "--trajectories", str(path), "-o", str(tmp_path / "out.mp4")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert "another shape" in err and "--rescale-trajectories" in err and "\n" not in err
    assert not (tmp_path / "out.mp4").exists()
    assert main([*args, "--rescale-trajectories"]) == 0
    assert "5 gaps dragged" in capsys.readouterr().err
    assert main(["video", str(clip), "--multi", "2", "--drag", "1,1:5,5", "--rescale-trajectories", "-o",
                 str(tmp_path / "other.mp4")]) == 2  # fmt: skip
    assert "applies to a --trajectories file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--drag", "10,10:300,20"], 1, "Trajectory 0, point 1: (300, 20) lies outside the 64x48 frame"),
        (["--drag", "10,10:30,20", "--drag-frames", "2:9"], 1, "2:9 end after the video, whose last frame is 5"),
        (["--drag", "10,10:30,20", "--drag-frames", "3:3"], 1, "must be a first source frame >= 0 and a later"),
        (["--drag", "10,10"], 2, "Trajectory 0 has 1 point, but a trajectory needs at least 2"),
        (["--trajectories", "missing.json"], 1, "Cannot read the trajectory file"),
        (["--trajectories", "far.json"], 1, "far.json: Trajectory 0, point 1: (90, 20) lies outside the 64x48"),
        (["--drag-frames", "0:5"], 2, "--drag-frames sets where trajectories run: give --trajectories or --drag"),
        (["--drag", "10,10:30,20", "--drag-frames", "a:b"], 2, "expected two source frame indices FIRST:LAST"),
        (["--drag", "10,10:30,20", "--trajectories", "far.json"], 2, "Give either --trajectories or --drag"),
    ],
)
def test_cli_bad_trajectories_are_one_sentence(tmp_path, capsys, clip, options, code, message):
    far = {"version": 1, "width": 64, "height": 48, "trajectories": [{"points": [[10, 10], [90, 20]]}]}
    _write_json(tmp_path / "far.json", far)
    options = [str(tmp_path / value) if value.endswith(".json") else value for value in options]
    got = main(["video", str(clip), "--multi", "2", *options, "-o", str(tmp_path / "out.mp4")])
    err = capsys.readouterr().err.strip()
    assert got == code and message in err, err
    if code == 1:
        assert err.startswith("framer: error: ") and err.endswith(".") and "\n" not in err
    assert not (tmp_path / "out.mp4").exists() and not state_dir_for(tmp_path / "out.mp4").exists()


class _Steerable(BlendEngine):
    """A blend engine that takes ``tracks`` (ignoring them) and stops like Ctrl-C on its ``stop_at``-th call."""

    capabilities = Capabilities(tracks=True, tiles=True)

    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__()
        self.stop_at = stop_at
        self.steered = 0

    def iter_frames(self, frame0, frame1, times, tracks=None):
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        self.steered += tracks is not None
        return super().iter_frames(frame0, frame1, times)


def test_trajectories_are_part_of_the_resume_identity(tmp_path, clip):
    out = tmp_path / "out.mp4"
    drag, other = ["10,10:30,20"], ["10,10:31,20"]
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(clip, out, multi=2, engine=_Steerable(stop_at=5), trajectories=drag, segment_seconds=0.125)
    assert state_dir_for(out).is_dir()
    for changed in ({"trajectories": other}, {"trajectories": drag, "trajectory_frames": (1, 5)}, {}):
        with pytest.raises(InputError, match="different command"):
            interpolate_video(clip, out, multi=2, engine=_Steerable(), segment_seconds=0.125, **changed)
    engine = _Steerable()
    resumed = interpolate_video(clip, out, multi=2, engine=engine, trajectories=drag, segment_seconds=0.125)
    assert resumed.resumed_from > 0 and resumed.guidance == {"steered": engine.steered} and engine.steered > 0


class _Recorder(BlendEngine):
    """A blend engine that takes ``tracks`` and ``alignment`` and records which one each gap got."""

    capabilities = Capabilities(tracks=True, alignment=True, tiles=True)

    def __init__(self) -> None:
        super().__init__()
        self.options: list[str] = []

    def iter_frames(self, frame0, frame1, times, tracks=None, alignment=None):
        self.options.append("tracks" if tracks is not None else "alignment" if alignment is not None else "plain")
        return super().iter_frames(frame0, frame1, times)


def test_with_autopilot_the_trajectories_pre_align_the_gaps_they_span(tmp_path, clip):
    engine = _Recorder()
    result = interpolate_video(clip, tmp_path / "out.mp4", multi=2, engine=engine, autopilot=True,
                               trajectories=["10,10:30,20:50,12"], trajectory_frames="1:4")  # fmt: skip
    # Gaps 1-2, 2-3, 3-4 are pre-aligned with the trajectories; the flat ramp frames outside give no matches.
    assert engine.options == ["plain", "alignment", "alignment", "alignment", "plain"]
    assert result.guidance == {"too-few-matches": 2, "trajectories": 3}
    # Pre-alignment works with tiles (whole frames are pre-aligned, the engine sees tiles of them).
    tiled = interpolate_video(clip, tmp_path / "tiled.mp4", multi=2, engine=_Recorder(), autopilot=True,
                              trajectories=["10,10:30,20:50,12"], tile=32, overlap=8)  # fmt: skip
    assert tiled.tile == 32 and tiled.guidance == {"trajectories": 5}


def test_drag_needs_an_engine_that_steers_and_whole_frames(tmp_path, clip):
    with pytest.raises(InputError, match="Drag trajectories need an engine that follows them"):
        interpolate_video(clip, tmp_path / "a.mp4", multi=2, engine=BlendEngine(), trajectories=["10,10:30,20"])
    with pytest.raises(InputError, match="Drag trajectories need whole frames, but the frames are interpolated in"):
        interpolate_video(clip, tmp_path / "b.mp4", multi=2, engine=_Steerable(), trajectories=["10,10:30,20"],
                          tile=32, overlap=8)  # fmt: skip
    with pytest.raises(InputError, match="give `trajectories` too"):
        interpolate_video(clip, tmp_path / "c.mp4", multi=2, engine=BlendEngine(), trajectory_frames=(0, 3))
    assert not list(tmp_path.glob(".*framer-partial"))
