"""Autopilot end to end (``interpolate(autopilot=True)``, ``framer tween --autopilot``, ``framer match``).

A fast subset of ``benchmarks/autopilot.py``: large synthetic motion gains 3 dB or more, small motion gives exactly
the plain result, Sintel at a gap of 4 frames is no worse, too few matches fall back with a message, and the
matches come out as a trajectory file.
"""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest
from PIL import Image

import framer
from framer import api
from framer.cli.main import main
from framer.errors import InputError
from framer.guidance import Guide
from framer.io.images import read_image
from framer.io.tensors import image_to_tensor, tensor_to_float_image
from framer.matching import AutopilotConfig
from framer.motion import apply_homography
from framer.synthetic.large_motion import make_large_motion_case
from framer.synthetic.measures import psnr
from framer.synthetic.mixed import make_mixed_case
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


def _guided(engine, keyframes, times, config: AutopilotConfig | None):
    """The guide's plan for a pair (None: plain) and the engine's frames with it, 8-bit."""
    frame0, frame1 = (image_to_tensor(k) for k in keyframes)
    plan = Guide(engine, autopilot=config).plan(keyframes[0], keyframes[1], frame0, frame1, list(times))
    frames = engine.iter_frames(frame0, frame1, list(times), **plan.engine_options())
    return plan, np.stack([np.round(tensor_to_float_image(f) * 255).astype(np.uint8) for f in frames])


def test_layered_autopilot_beats_plain_and_global_on_an_object_over_a_panning_background(flow_engine):
    case = make_mixed_case(pan=64, object_motion=128, width=320, height=192, num_frames=1)
    _, plain = _guided(flow_engine, case.keyframes, case.times, None)
    _, global_ = _guided(flow_engine, case.keyframes, case.times, AutopilotConfig(method="global"))
    plan, piloted = _guided(flow_engine, case.keyframes, case.times, AutopilotConfig())
    assert plan.decision == "align-layers" and "layered pre-alignment chosen by measurement" in plan.reason
    gain = psnr(piloted, case.frames) - psnr(plain, case.frames)
    assert gain >= 3.0
    assert psnr(piloted, case.frames) >= psnr(global_, case.frames) + 1.0


def test_real_footage_with_a_fast_layer_is_measured_and_loses_nothing(shared_data, flow_engine):
    """Sintel 0020 -> 0024 at half size: a layer of matches moves 40 px, so the autopilot measures its candidates;
    pre-aligning would lose 0.9 dB here (2.2 dB on the frame at t = 0.25), and the measurement keeps plain."""
    folder = shared_data / "sintel_raft_demo"
    first, middle, last = (
        cv2.resize(read_image(folder / f"frame_{n:04d}.png")[..., :3], (512, 218), interpolation=cv2.INTER_AREA)
        for n in (20, 22, 24)
    )
    _, plain = _guided(flow_engine, (first, last), [0.5], None)
    plan, piloted = _guided(flow_engine, (first, last), [0.5], AutopilotConfig())
    assert plan.decision == "plain-measured" and "middle-frame error" in plan.reason  # measured, then kept plain
    assert psnr(piloted, [middle]) >= psnr(plain, [middle]) - 0.3
    np.testing.assert_array_equal(piloted, plain)
