"""Drag mode end to end: the flow engine follows user trajectories (API and CLI), on the synthetic benchmark cases."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

import framer
from framer.engines.flow.drag import fit_transform
from framer.errors import InputError
from framer.synthetic import make_case
from framer.synthetic.measures import background_mask, background_psnr, psnr, trajectory_adherence
from framer.trajectory import save_trajectories

NUM_FRAMES = 3


def _run(case, engine, drag: bool) -> np.ndarray:
    trajectories = case.trajectories if drag else None
    return np.stack(
        framer.interpolate(list(case.keyframes), times=list(case.times), engine=engine, trajectories=trajectories)
    )


@pytest.mark.parametrize("kind", ["arc-s80", "rotation", "crossing"])
def test_drag_follows_trajectories_and_keeps_background(kind, flow_engine):
    case = make_case(kind, 256, num_frames=NUM_FRAMES)
    plain, dragged = _run(case, flow_engine, False), _run(case, flow_engine, True)
    assert trajectory_adherence(dragged, case).median <= 2.0
    assert trajectory_adherence(plain, case).median > 20.0  # the case really needs steering
    assert psnr(dragged, case.frames) >= psnr(plain, case.frames) + 3.0
    mask = background_mask(case)
    assert background_psnr(dragged, case.frames, mask) >= background_psnr(plain, case.frames, mask) - 0.2


def test_fit_transform_recovers_translation_similarity_and_affine():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    angle, scale = 0.3, 1.2
    similarity = np.array(
        [[scale * np.cos(angle), -scale * np.sin(angle), 7.0], [scale * np.sin(angle), scale * np.cos(angle), -3.0]]
    )
    affine = np.array([[1.1, 0.2, 4.0], [-0.1, 0.9, 2.0]])
    apply = lambda m, p: p @ m[:, :2].T + m[:, 2]  # noqa: E731
    np.testing.assert_allclose(
        fit_transform(src[:1], src[:1] + np.array([3.0, 4.0])), [[1, 0, 3], [0, 1, 4]], atol=1e-12
    )
    np.testing.assert_allclose(fit_transform(src[:2], apply(similarity, src[:2])), similarity, atol=1e-9)
    np.testing.assert_allclose(fit_transform(src, apply(affine, src)), affine, atol=1e-9)


def test_drag_with_more_keyframes_spans_the_whole_sequence(flow_engine):
    case = make_case("arc-s80", 256, num_frames=1)
    middle = case.frames[0]  # ground truth at t = 0.5 becomes the middle keyframe
    frames = framer.interpolate(
        [case.keyframes[0], middle, case.keyframes[1]], times=[0.5], engine=flow_engine,
        trajectories=case.trajectories, include_keyframes=True,
    )  # fmt: skip
    assert len(frames) == 5
    # Frames at sequence times 0.25 (gap 0, t=0.5), 0.5 (the middle keyframe) and 0.75 (gap 1, t=0.5) put the
    # sprite on the trajectory's points for those times.
    quarters = make_case("arc-s80", 256, num_frames=3)
    assert list(quarters.times) == pytest.approx([0.25, 0.5, 0.75])
    assert trajectory_adherence(np.stack(frames[1:4]), quarters).median <= 2.0


def test_drag_on_small_frames_whose_support_covers_the_frame_does_not_blow_up(flow_engine):
    """A 12 px square dragged over three 64x48 keyframes: the support covers the whole frame, so there is nothing
    around it to rebuild the background from (this once asked OpenCV for 8 GiB)."""

    def square(x: int) -> np.ndarray:
        image = np.full((48, 64, 3), 40, np.uint8)
        image[20:32, x : x + 12] = 220
        return image

    keyframes = [square(8), square(24), square(40)]
    frames = framer.interpolate(
        keyframes, times=[0.5], engine=flow_engine, trajectories=[[[15, 27], [31, 12], [47, 27]]]
    )
    assert len(frames) == 2 and all(frame.shape == (48, 64, 3) and frame.dtype == np.uint8 for frame in frames)
    assert all(frame.max() > 150 for frame in frames)  # the square is still there


def test_overlay_draws_on_output(flow_engine):
    case = make_case("arc-s80", 256, num_frames=1)
    plain = framer.interpolate(list(case.keyframes), times=[0.5], engine=flow_engine, trajectories=case.trajectories)
    drawn = framer.interpolate(
        list(case.keyframes), times=[0.5], engine=flow_engine, trajectories=case.trajectories, overlay=True
    )
    changed = np.abs(drawn[0].astype(int) - plain[0].astype(int)).sum(-1) > 30
    x, y = (int(v) for v in case.trajectories[0].sample(0.5))
    assert changed[y - 3 : y + 4, x - 3 : x + 4].any()  # the dot for t = 0.5
    with pytest.raises(InputError, match="no trajectories"):
        framer.interpolate(list(case.keyframes), times=[0.5], engine=flow_engine, overlay=True)


def test_api_rejects_trajectory_outside_frame(flow_engine):
    case = make_case("arc-s80", 256, num_frames=1)
    with pytest.raises(InputError, match="outside"):
        framer.interpolate(list(case.keyframes), times=[0.5], engine=flow_engine, trajectories=["10,10:300,20"])


def _write_keyframes(case, folder):
    paths = []
    for index, image in enumerate(case.keyframes):
        path = folder / f"k{index}.png"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    return paths


def _framer(*args: str):
    return subprocess.run([sys.executable, "-m", "framer", *args], capture_output=True, text=True, timeout=300)


def test_cli_drag_and_trajectory_file_give_the_same_frames(tmp_path):
    case = make_case("arc-s80", 256, num_frames=1)
    keyframes = _write_keyframes(case, tmp_path)
    trajectory = case.trajectories[0]
    drag = ":".join(f"{x:.3f},{y:.3f}" for x, y in trajectory.points)
    file = tmp_path / "drag.json"
    save_trajectories(file, [framer.Trajectory(trajectory.points)], 256, 256)
    assert json.loads(file.read_text())["version"] == 1
    first = _framer("tween", *keyframes, "--times", "0.5", "--drag", drag, "-o", str(tmp_path / "a"), "-q")
    second = _framer(
        "tween", *keyframes, "--times", "0.5", "--trajectories", str(file), "-o", str(tmp_path / "b"), "-q"
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    a = cv2.imread(str(tmp_path / "a" / "frame_00001.png"))
    b = cv2.imread(str(tmp_path / "b" / "frame_00001.png"))
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    # The sprite is near the requested point for t = 0.5, far from where plain interpolation puts it.
    frame = cv2.cvtColor(a, cv2.COLOR_BGR2RGB)
    assert trajectory_adherence(frame[None], case).median <= 2.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--drag", "10,10"], "needs at least 2"),
        (["--drag", "10,10:nan,5"], "with numbers"),
        (["--drag", "10,10:900,5"], "outside"),
        (["--trajectories", "missing.json"], "missing.json"),
        (["--trajectories", "BAD_TIMES"], "increas"),
        (["--overlay"], "--overlay"),
    ],
)
def test_cli_rejects_bad_trajectories_with_one_line(tmp_path, extra, message):
    case = make_case("arc-s80", 256, num_frames=1)
    keyframes = _write_keyframes(case, tmp_path)
    if "BAD_TIMES" in extra:
        bad = {"format": "framer-trajectories", "version": 1, "width": 256, "height": 256,
               "trajectories": [{"points": [[10, 10], [50, 50], [90, 10]], "times": [0.0, 0.7, 0.4]}]}  # fmt: skip
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        extra = [str(tmp_path / "bad.json") if item == "BAD_TIMES" else item for item in extra]
    result = _framer("tween", *keyframes, "--times", "0.5", "-o", str(tmp_path / "out"), *extra)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
