"""``framer morph`` end to end on a small synthetic pair, and its refusals (one sentence, the right exit code)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from framer.applications._morph_cases import make_morph_case
from framer.trajectory import save_trajectories


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("morph")
    case = make_morph_case(size=128, amplitude=12.0, markers=6, grid=5)
    a, b = folder / "a.png", folder / "b.png"
    Image.fromarray(case.image0).save(a)
    Image.fromarray(case.image1).save(b)
    points = folder / "points.json"
    save_trajectories(points, case.drawn, 128, 128)
    return a, b, points


def _one_error(code: int, err: str, expected: int) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == expected and "Traceback" not in err
    assert len([line for line in lines if "error" in line.lower()]) == 1
    return err


@pytest.mark.parametrize(("output", "count"), [("frames", 3), ("morph.mp4", None), ("morph.gif", None)])
def test_writes_the_morph(cli, pair, tmp_path, output, count):
    a, b, points = pair
    target = tmp_path / output
    code, _, err = cli("morph", a, b, "-n", "3", "--trajectories", points, "--matcher", "none", "-o", target)
    assert code == 0, err
    if count is not None:
        assert sorted(p.name for p in target.iterdir()) == [f"frame_{i:05d}.png" for i in range(1, count + 1)]
        middle = np.asarray(Image.open(target / "frame_00002.png"))
        assert middle.shape == (128, 128, 3)
    else:
        assert target.stat().st_size > 1000
    assert "Wrote" in err


def test_pingpong_folder_holds_there_and_back(cli, pair, tmp_path):
    a, b, _ = pair
    target = tmp_path / "loop"
    code, _, err = cli(
        "morph", a, b, "-n", "2", "--drag", "40,40:44,42", "--matcher", "sift", "--pingpong", "--include-keyframes",
        "-o", target, "-q",
    )  # fmt: skip
    assert code == 0, err
    frames = sorted(target.iterdir())
    assert len(frames) == 6  # A, 2 in-betweens, B, the 2 in-betweens back
    assert np.array_equal(np.asarray(Image.open(frames[1])), np.asarray(Image.open(frames[5])))


def test_one_image_is_a_usage_error(cli, pair, tmp_path):
    code, _, err = cli("morph", pair[0], "-o", tmp_path / "out.mp4")
    assert code == 2 and "Missing argument 'B'" in err


def test_unreadable_image(cli, pair, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    code, _, err = cli("morph", pair[0], broken, "-o", tmp_path / "out.mp4")
    assert "broken.png" in _one_error(code, err, 1)
    assert not (tmp_path / "out.mp4").exists()


def test_size_mismatch_without_resize(cli, pair, tmp_path):
    small = tmp_path / "small.png"
    Image.open(pair[1]).crop((0, 0, 100, 90)).save(small)
    code, _, err = cli("morph", pair[0], small, "--trajectories", pair[2], "-o", tmp_path / "out.mp4")
    assert "--resize" in _one_error(code, err, 1)
    code, _, err = cli("morph", pair[0], small, "--trajectories", pair[2], "--resize", "-o", tmp_path / "out.mp4")
    assert code == 0, err


def test_too_few_matches_suggests_match_and_drawing(cli, tmp_path):
    rng = np.random.default_rng(1)
    paths = []
    for name in ("x.png", "y.png"):
        Image.fromarray(rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(tmp_path / name)
        paths.append(tmp_path / name)
    code, _, err = cli("morph", *paths, "-o", tmp_path / "out.gif")
    message = _one_error(code, err, 1)
    assert "framer match" in message and "--trajectories" in message
    assert not (tmp_path / "out.gif").exists()


def test_existing_output_is_kept(cli, pair, tmp_path):
    target = tmp_path / "out.gif"
    target.write_bytes(b"keep")
    code, _, err = cli("morph", pair[0], pair[1], "--trajectories", pair[2], "-o", target)
    assert "--overwrite" in _one_error(code, err, 1) and target.read_bytes() == b"keep"
