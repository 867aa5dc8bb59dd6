"""Autopilot end to end (``interpolate(autopilot=True)``, ``framer tween --autopilot``, ``framer match``).

A fast subset of ``benchmarks/autopilot.py``: large synthetic motion gains 3 dB or more, small motion gives exactly
the plain result, Sintel at a gap of 4 frames is no worse, too few matches fall back with a message, and the
matches come out as a trajectory file.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from PIL import Image

import framer
from framer import api
from framer.cli.main import main
from framer.errors import InputError
from framer.io.images import read_image
from framer.matching import AutopilotConfig
from framer.motion import apply_homography
from framer.synthetic.large_motion import make_large_motion_case
from framer.synthetic.measures import psnr
from framer.trajectory import Trajectory, load_trajectories


def _frames(keyframes, times, engine, **options) -> np.ndarray:
    return np.stack(framer.interpolate(list(keyframes), times=list(times), engine=engine, **options))


@pytest.fixture(scope="module")
def rotated():
    return make_large_motion_case("rotate", 128, width=256, height=160, num_frames=1)


@pytest.mark.parametrize("motion", ["shift", "zoom"])
def test_autopilot_gains_on_large_motion(motion, flow_engine):
    case = make_large_motion_case(motion, 128, width=256, height=160, num_frames=1)
    plain = _frames(case.keyframes, case.times, flow_engine)
    piloted = _frames(case.keyframes, case.times, flow_engine, autopilot=True)
    assert psnr(piloted, case.frames) >= psnr(plain, case.frames) + 3.0


def test_autopilot_on_rotation_with_overlay_and_more_keyframes(rotated, flow_engine):
    plain = _frames(rotated.keyframes, rotated.times, flow_engine)
    piloted = _frames(rotated.keyframes, rotated.times, flow_engine, autopilot=True)
    assert psnr(piloted, rotated.frames) >= psnr(plain, rotated.frames) + 3.0

    three = framer.interpolate(
        [rotated.keyframes[0], rotated.keyframes[1], rotated.keyframes[0]],
        times=[0.5],
        engine=flow_engine,
        autopilot=True,
        overlay=True,
        include_keyframes=True,
    )
    assert len(three) == 5
    assert not np.array_equal(three[1], piloted[0])  # the trajectories are drawn on it
    assert not np.array_equal(three[0], rotated.keyframes[0])  # the keyframes too


def test_small_motion_gives_exactly_the_plain_result(shared_data, flow_engine, caplog):
    folder = shared_data / "vimeo_triplet_eggs"
    keyframes = [read_image(folder / "im1.png"), read_image(folder / "im3.png")]
    plain = _frames(keyframes, [0.5], flow_engine)
    with caplog.at_level(logging.INFO, logger="framer"):
        piloted = _frames(keyframes, [0.5], flow_engine, autopilot=True)
    np.testing.assert_array_equal(piloted, plain)
    assert "autopilot not needed: the motion is small" in caplog.text


def test_sintel_at_a_gap_of_four_is_no_worse(shared_data, flow_engine):
    folder = shared_data / "sintel_raft_demo"
    keyframes = [read_image(folder / "frame_0016.png"), read_image(folder / "frame_0020.png")]
    truth = [read_image(folder / "frame_0018.png")]
    plain = psnr(_frames(keyframes, [0.5], flow_engine), truth)
    piloted = psnr(_frames(keyframes, [0.5], flow_engine, autopilot=True), truth)
    assert piloted >= plain - 0.05


def test_too_few_matches_fall_back_with_a_warning(flow_engine, caplog):
    rng = np.random.default_rng(0)
    smooth = np.linspace(0, 255, 160, dtype=np.float32)[None, :, None] * np.ones((96, 1, 3), np.float32)
    keyframes = [smooth.astype(np.uint8), (255 - smooth).astype(np.uint8)]
    keyframes[1][::7] = rng.integers(0, 255, keyframes[1][::7].shape, dtype=np.uint8)
    plain = _frames(keyframes, [0.5], flow_engine)
    with caplog.at_level(logging.INFO, logger="framer"):
        piloted = _frames(keyframes, [0.5], flow_engine, autopilot=True)
    np.testing.assert_array_equal(piloted, plain)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "interpolating without it" in warnings[0].getMessage()


def test_autopilot_uses_given_trajectories_as_correspondences(rotated, flow_engine):
    rng = np.random.default_rng(1)
    starts = rng.uniform([30, 30], [220, 130], (12, 2))
    paths = []
    for start in starts:
        points = [apply_homography(m, start) for m in (rotated.transforms[0], *rotated.transforms[1:])]
        times = [0.0, *rotated.times, 1.0]
        paths.append(Trajectory(np.clip(points, 0, [255, 159]), times))
    plain = _frames(rotated.keyframes, rotated.times, flow_engine)
    steered = _frames(rotated.keyframes, rotated.times, flow_engine, autopilot=True, trajectories=paths)
    assert psnr(steered, rotated.frames) >= psnr(plain, rotated.frames) + 3.0


def test_autopilot_needs_an_engine_that_aligns(rotated):
    class NoAlignment(framer.Engine):
        name = "stub"

        def iter_frames(self, frame0, frame1, times, tracks=None):
            yield from ()

    with pytest.raises(InputError, match="autopilot"):
        framer.interpolate(list(rotated.keyframes), num_frames=1, engine=NoAlignment(), autopilot=True)
    with pytest.raises(InputError, match="autopilot"):
        framer.interpolate(list(rotated.keyframes), num_frames=1, engine=NoAlignment(), autopilot="yes")


@pytest.fixture
def cli(capsys, monkeypatch, flow_engine):
    """Run ``framer ARGS`` in this process with the session's engine; returns (exit code, stderr)."""
    create = api.create_engine

    def create_engine(name="flow", **options):
        return flow_engine if name == "flow" and options == {"device": "cpu"} else create(name, **options)

    monkeypatch.setattr(api, "create_engine", create_engine)
    level = logging.getLogger("framer").level

    def run(*args):
        code = main([str(arg) for arg in args])
        return code, capsys.readouterr().err

    yield run
    logging.getLogger("framer").setLevel(level)


def test_match_writes_the_trajectories_and_tween_reads_them(rotated, tmp_path, cli):
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    for path, image in zip(paths, rotated.keyframes, strict=True):
        Image.fromarray(image).save(path)
    out = tmp_path / "matches.json"
    code, err = cli("match", *paths, "-o", out, "--count", "12", "--preview", tmp_path / "preview.png")
    assert code == 0, err
    assert "Wrote 12 trajectories" in err and "autopilot steers with" in err
    found = load_trajectories(out)
    assert (found.width, found.height) == (256, 160) and len(found.trajectories) == 12
    items = json.loads(out.read_text(encoding="utf-8"))["trajectories"]
    assert [item["name"] for item in items] == [f"match {i:02d}" for i in range(12)]
    assert all(0.0 < item["confidence"] <= 1.0 for item in items)  # the match's confidence, as data
    for trajectory, item in zip(found.trajectories, items, strict=True):
        assert trajectory.confidence == item["confidence"]
        assert np.linalg.norm(apply_homography(rotated.transforms[-1], trajectory.start) - trajectory.end) < 2.0
        assert len(trajectory.points) == 5  # waypoints along the rotation
    with Image.open(tmp_path / "preview.png") as preview:
        assert preview.size == (512, 160)

    assert cli("match", *paths, "-o", out)[0] == 1  # exists, no --overwrite
    code, err = cli(
        "tween", *paths, "--times", "0.5", "--autopilot", "--trajectories", out, "--overlay", "-o", tmp_path / "f"
    )
    assert code == 0, err
    assert (tmp_path / "f" / "frame_00001.png").is_file()


def test_tween_autopilot_says_what_it_did(rotated, tmp_path, cli, caplog):
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    for path, image in zip(paths, (rotated.keyframes[0], rotated.keyframes[0]), strict=True):
        Image.fromarray(image).save(path)
    with caplog.at_level(logging.INFO, logger="framer"):
        code, err = cli("tween", *paths, "-n", "1", "--autopilot", "--overlay", "-o", tmp_path / "out")
    assert code == 0, err
    assert "autopilot not needed" in caplog.text
    code, err = cli("tween", *paths, "-n", "1", "--overlay", "-o", tmp_path / "no")
    assert code == 2 and "--autopilot" in err


def test_autopilot_config_is_accepted(rotated, flow_engine):
    config = AutopilotConfig(min_motion=1000.0)  # never needed: exactly plain
    plain = _frames(rotated.keyframes, [0.5], flow_engine)
    np.testing.assert_array_equal(_frames(rotated.keyframes, [0.5], flow_engine, autopilot=config), plain)
