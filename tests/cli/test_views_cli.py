"""``framer views`` end to end on a small synthetic two-plane scene, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import framer.engines
from framer.applications._views_cases import make_views_case


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("views")
    case = make_views_case(48, width=192, height=128)
    left, right = folder / "left.png", folder / "right.png"
    Image.fromarray(case.left).save(left)
    Image.fromarray(case.right).save(right)
    return left, right


@pytest.fixture
def tiny_engine(monkeypatch, tiny_flow_engine):
    """The session's tiny flow engine whenever the command asks for the default one: the command is tested here,
    the pictures in tests/applications/test_views.py."""
    create = framer.engines.create_engine

    def create_engine(name="flow", **options):
        return tiny_flow_engine if name == "flow" and options == {"device": "cpu"} else create(name, **options)

    monkeypatch.setattr(framer.engines, "create_engine", create_engine)


def _one_error(code: int, err: str, expected: int) -> str:
    assert code == expected and "Traceback" not in err
    assert len([line for line in err.splitlines() if "error" in line.lower()]) == 1
    return err


def test_writes_the_views(cli, scene, tmp_path, tiny_engine):
    target = tmp_path / "views"
    code, _, err = cli("views", *scene, "-n", "3", "-o", target)
    assert code == 0, err
    frames = sorted(target.iterdir())
    assert [p.name for p in frames] == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
    assert np.asarray(Image.open(frames[0])).shape == (128, 192, 3)
    code, _, err = cli("views", *scene, "-n", "2", "-o", tmp_path / "views.mp4", "-q")
    assert code == 0 and (tmp_path / "views.mp4").stat().st_size > 1000


def test_one_image_is_a_usage_error(cli, scene, tmp_path):
    code, _, err = cli("views", scene[0], "-o", tmp_path / "out.mp4")
    assert code == 2 and "Missing argument 'RIGHT'" in err


def test_unreadable_image(cli, scene, tmp_path, tiny_engine):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"")
    code, _, err = cli("views", scene[0], broken, "-o", tmp_path / "out.mp4")
    assert "broken.png" in _one_error(code, err, 1)
    assert not (tmp_path / "out.mp4").exists()


def test_size_mismatch_without_resize(cli, scene, tmp_path, tiny_engine):
    small = tmp_path / "small.png"
    Image.open(scene[1]).crop((0, 0, 150, 100)).save(small)
    code, _, err = cli("views", scene[0], small, "-o", tmp_path / "out.mp4")
    assert "--resize" in _one_error(code, err, 1)


def test_too_few_matches(cli, tmp_path, tiny_engine):
    rng = np.random.default_rng(2)
    paths = []
    for name in ("x.png", "y.png"):
        Image.fromarray(rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(tmp_path / name)
        paths.append(tmp_path / name)
    code, _, err = cli("views", *paths, "-o", tmp_path / "out.gif")
    assert "framer match" in _one_error(code, err, 1)
    assert not (tmp_path / "out.gif").exists()
