"""Autopilot on video: each gap of source frames goes through it as two keyframes do, with one summary at the end.

The clips are pans over a seeded texture (a crop moving ``shift`` px per source frame), so the true in-between of
each gap is the crop half-way between, and they are written as PNG folders so nothing is lost to a codec.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from framer.cli.main import main
from framer.engines import Capabilities
from framer.errors import InputError
from framer.io.images import read_image
from framer.matching import AutopilotConfig
from framer.synthetic.measures import psnr
from framer.synthetic.textures import background_texture
from framer.video import interpolate_video
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, decode_video, write_clip

WIDTH, HEIGHT = 256, 160


def _pan(shift: int, count: int, seed: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``count`` frames of a pan ``shift`` px per frame to the left, and the true middle frame of each gap.

    Rendered at twice the size and shrunk, so an odd ``shift`` puts the middle frames half-way between pixels.
    """
    rng = np.random.default_rng(seed)
    world = background_texture(rng, 2 * (WIDTH + shift * (count - 1) + 1), 2 * HEIGHT)
    world = np.clip(world, 0, 255).astype(np.uint8)

    def crop(x: int) -> np.ndarray:
        return cv2.resize(world[:, x : x + 2 * WIDTH], (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)

    return [crop(2 * shift * i) for i in range(count)], [crop(2 * shift * i + shift) for i in range(count - 1)]


def _folder(path: Path, frames: list[np.ndarray]) -> Path:
    path.mkdir()
    for index, image in enumerate(frames):
        cv2.imwrite(str(path / f"f{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def _read(folder: Path) -> list[np.ndarray]:
    return [read_image(path) for path in sorted(folder.iterdir())]


def _middles(folder: Path, gaps: int) -> np.ndarray:
    """The in-betweens of ``--multi 2`` output: frames 2, 4, ... (frame_00002.png, ...)."""
    return np.stack([read_image(folder / f"frame_{2 * gap + 2:05d}.png") for gap in range(gaps)])


def test_small_motion_gives_exactly_the_plain_frames(tmp_path, flow_engine, caplog):
    frames, _ = _pan(3, 2)
    source = _folder(tmp_path / "in", frames)
    plain = interpolate_video(source, tmp_path / "plain", multi=2, engine=flow_engine)
    with caplog.at_level(logging.DEBUG, logger="framer"):
        piloted = interpolate_video(source, tmp_path / "piloted", multi=2, engine=flow_engine, autopilot=True)
    assert piloted.guidance == {"small-motion": 1} and plain.guidance == {}
    for a, b in zip(_read(tmp_path / "plain"), _read(tmp_path / "piloted"), strict=True):
        np.testing.assert_array_equal(a, b)
    summaries = [r for r in caplog.records if r.name == "framer.video.guidance" and r.levelno >= logging.INFO]
    assert len(summaries) == 1
    assert "Autopilot: 0 of 1 source gap pre-aligned, 1 with small motion" in summaries[0].getMessage()
    assert not [r for r in caplog.records if r.name == "framer.matching.autopilot" and r.levelno >= logging.INFO]


def test_large_pan_gains_with_and_without_tiles(tmp_path, flow_engine):
    frames, middles = _pan(95, 2)
    source = _folder(tmp_path / "in", frames)
    scores = {}
    for name, options in {
        "plain": {},
        "plain, no cut detection": {"scene_threshold": 0},
        "autopilot": {"autopilot": True},
        "autopilot, tiles": {"autopilot": True, "tile": 128, "overlap": 32},
    }.items():
        result = interpolate_video(source, tmp_path / name, multi=2, engine=flow_engine, **options)
        scores[name] = psnr(_middles(tmp_path / name, 1), middles[0][None])
        print(f"{name}: PSNR {scores[name]:.2f} dB, cuts {result.cuts}, {result.guidance}, tile {result.tile}")
        assert result.tile == options.get("tile")
        assert result.cuts == ()  # the scene measure undoes the pan's translation: not a cut, even without autopilot
        if "autopilot" in options:  # the autopilot sees one scene moving far, and pre-aligns it
            assert result.guidance in ({"align": 1}, {"align-layers": 1})  # global or layered, as measured
    assert scores["autopilot"] >= max(scores["plain"], scores["plain, no cut detection"]) + 10.0
    assert scores["autopilot, tiles"] >= scores["autopilot"] - 1.0


def test_a_real_cut_is_not_interpolated_with_autopilot(tmp_path, flow_engine):
    frames, _ = _pan(95, 2)
    other, _ = _pan(8, 1, seed=11)  # another scene
    source = _folder(tmp_path / "in", [*frames, *other])
    config = AutopilotConfig(refine=False)  # the matches alone decide; refining would only cost time here
    result = interpolate_video(source, tmp_path / "out", multi=2, engine=flow_engine, autopilot=config)
    print(f"cuts {result.cuts}; {result.guidance}")
    assert result.cuts == (2,) and result.guidance in ({"align": 1}, {"align-layers": 1})
    out = _read(tmp_path / "out")
    # Across the cut (frames 1 -> 2) the in-between is a copy of one side.
    assert min(np.abs(out[3].astype(int) - side.astype(int)).max() for side in (frames[1], other[0])) == 0


class _Stop(BlendEngine):
    """A blend engine that takes ``alignment`` (so the autopilot accepts it) and stops like Ctrl-C on a call."""

    capabilities = Capabilities(alignment=True, tiles=True)

    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__()
        self.stop_at = stop_at

    def iter_frames(self, frame0, frame1, times, alignment=None):
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        return super().iter_frames(frame0, frame1, times)


def test_autopilot_is_part_of_the_resume_identity(tmp_path):
    frames, _ = _pan(2, 6, seed=1)
    source = _folder(tmp_path / "in", frames)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(source, out, multi=2, engine=_Stop(stop_at=3))
    assert state_dir_for(out).is_dir()
    with pytest.raises(InputError, match="different command"):
        interpolate_video(source, out, multi=2, engine=_Stop(), autopilot=True)
    resumed = interpolate_video(source, out, multi=2, engine=_Stop())
    assert resumed.resumed_from > 0
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(source, tmp_path / "again", multi=2, engine=_Stop(stop_at=3), autopilot=True)
    with pytest.raises(InputError, match="different command"):
        interpolate_video(source, tmp_path / "again", multi=2, engine=_Stop())


def test_autopilot_needs_an_engine_that_pre_aligns(tmp_path):
    frames, _ = _pan(2, 2)
    with pytest.raises(InputError, match="`autopilot` needs an engine that pre-aligns"):
        interpolate_video(_folder(tmp_path / "in", frames), tmp_path / "out", multi=2, engine=BlendEngine(),
                          autopilot=True)  # fmt: skip


def test_cli_autopilot_on_a_video_file(tmp_path, capsys, caplog):
    frames, _ = _pan(3, 3)
    source = write_clip(tmp_path / "pan.mp4", frames, rate=Fraction(12))
    with caplog.at_level(logging.INFO, logger="framer"):
        code = main(["video", str(source), "--multi", "2", "--autopilot", "-o", str(tmp_path / "out.mp4")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "autopilot aligned 0 of 2 gaps" in err
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("framer.")]
    assert [m for m in messages if "utopilot" in m] == [
        "Autopilot: 0 of 2 source gaps pre-aligned, 2 with small motion left to the network."
    ]
    times, decoded = decode_video(tmp_path / "out.mp4")
    assert len(decoded) == 6 and times[1] == Fraction(1, 24)


def test_a_fast_zoom_is_a_cut_candidate_that_the_autopilot_interpolates(tmp_path, flow_engine):
    """Undoing a translation cannot explain a 1.6x zoom, so the scene measure alone calls it a cut (copies); the
    autopilot's matches show one scene and the gap is pre-aligned and interpolated instead."""
    rng = np.random.default_rng(3)
    world = np.clip(background_texture(rng, 2 * WIDTH, 2 * HEIGHT), 0, 255).astype(np.uint8)

    def zoomed(factor: float) -> np.ndarray:
        matrix = cv2.getRotationMatrix2D((WIDTH, HEIGHT), 0, factor)
        image = cv2.warpAffine(world, matrix, (2 * WIDTH, 2 * HEIGHT), borderMode=cv2.BORDER_REFLECT)
        return cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)

    source = _folder(tmp_path / "in", [zoomed(1.0), zoomed(1.6)])
    plain = interpolate_video(source, tmp_path / "plain", multi=2, engine=flow_engine)
    assert plain.cuts == (1,) and plain.interpolated == 0
    config = AutopilotConfig(refine=False)
    piloted = interpolate_video(source, tmp_path / "piloted", multi=2, engine=flow_engine, autopilot=config)
    assert piloted.cuts == () and piloted.interpolated == 1
    assert piloted.guidance in ({"align": 1, "not-a-cut": 1}, {"align-layers": 1, "not-a-cut": 1})
    truth = zoomed(1.6**0.5)  # half-way in a zoom is the geometric mean of the scales
    scores = [psnr(_middles(tmp_path / name, 1), truth[None]) for name in ("plain", "piloted")]
    print(f"fast zoom: plain (a cut: copy) {scores[0]:.2f} dB, autopilot {scores[1]:.2f} dB")
    assert scores[1] >= scores[0] + 3.0
