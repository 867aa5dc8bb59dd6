"""``framer cartoon`` end to end on small frames (the tiny flow model: plumbing, not pictures), and its refusals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from helpers.flow_tiny import TINY_IFNET_ENTRY, registered

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # faster on a busy 2-core runner (tests/conftest.py)


def _save(path, value: int, size=(64, 48), line_x: int | None = None):
    image = np.full((size[1], size[0], 3), value, np.uint8)
    if line_x is not None:
        image[:, line_x : line_x + 2] = 20
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def pair(tmp_path):
    return _save(tmp_path / "a.png", 220, line_x=20), _save(tmp_path / "b.png", 220, line_x=28)


@pytest.fixture
def model(tiny_flow_weights):
    with registered(TINY_IFNET_ENTRY):
        yield ["--model", TINY_IFNET_ENTRY.name, "--weights", str(tiny_flow_weights), "--device", "cpu"]


def test_writes_the_in_betweens_to_a_folder(cli, pair, model, tmp_path) -> None:
    before = [path.read_bytes() for path in pair]
    code, _, err = cli("cartoon", *pair, "-n", "3", "-o", tmp_path / "out", *model)
    assert code == 0, err
    written = sorted((tmp_path / "out").iterdir())
    assert [path.name for path in written] == [f"frame_0000{i}.png" for i in (1, 2, 3)]
    assert all(np.asarray(Image.open(path)).shape == (48, 64, 3) for path in written)
    assert "Wrote 3 frames" in err
    assert [path.read_bytes() for path in pair] == before  # inputs untouched


def test_fill_holds_keeps_the_count_and_replaces_held_copies(cli, model, tmp_path) -> None:
    frames = [_save(tmp_path / f"f{i}.png", 220, line_x=x) for i, x in enumerate((10, 10, 30, 30, 50))]
    code, _, err = cli("cartoon", *frames, "--fill-holds", "-o", tmp_path / "out", *model)
    assert code == 0, err
    assert "3 drawings, 2 held frames replaced" in err
    written = [np.asarray(Image.open(path)) for path in sorted((tmp_path / "out").iterdir())]
    assert len(written) == 5
    source = [np.asarray(Image.open(path)) for path in frames]
    for index in (0, 2, 4):  # the drawings themselves are kept
        np.testing.assert_array_equal(written[index], source[index])
    assert not np.array_equal(written[1], source[1])  # a held copy became an in-between


def test_refuses_bad_input_in_one_sentence(cli, pair, tmp_path) -> None:
    code, _, err = cli("cartoon", pair[0], "-o", tmp_path / "one")
    assert code == 2 and "At least two keyframes are needed." in err
    (tmp_path / "broken.png").write_bytes(b"not an image")
    code, _, err = cli("cartoon", pair[0], tmp_path / "broken.png", "-o", tmp_path / "broken")
    assert code == 1 and err.startswith("framer: error: Image") and "broken.png" in err
    assert "Traceback" not in err
    small = _save(tmp_path / "small.png", 220, size=(32, 24))
    code, _, err = cli("cartoon", pair[0], small, "-o", tmp_path / "sizes")
    assert code == 1 and "Keyframes differ in size" in err and "--resize" in err
    code, _, err = cli("cartoon", *pair, "--fill-holds", "-n", "2", "-o", tmp_path / "holds")
    assert code == 2 and "--fill-holds" in err
    assert not any(path.name in {"one", "broken", "sizes", "holds"} for path in tmp_path.iterdir())  # nothing left


def test_video_cartoon_drops_held_drawings_and_interpolates_between_drawings(cli, model, tmp_path) -> None:
    source = tmp_path / "frames"
    source.mkdir()
    for index, x in enumerate((10, 10, 20, 20, 30, 30)):  # drawings on twos
        _save(source / f"f{index:02d}.png", 220, line_x=x)
    code, _, err = cli("video", source, "--input-fps", "12", "--multi", "2", "--cartoon", "-o", tmp_path / "out",
                       *model)  # fmt: skip
    assert code == 0, err
    written = [np.asarray(Image.open(path)) for path in sorted((tmp_path / "out").iterdir())]
    assert len(written) == 12
    # Up to the last drawing (source frame 4, output frame 8) the holds became motion, no frame repeats the one
    # before; after it nothing follows to interpolate towards, so the last drawing is held.
    assert not any(np.array_equal(a, b) for a, b in itertools.pairwise(written[:9]))
    assert all(np.array_equal(frame, written[8]) for frame in written[9:])
