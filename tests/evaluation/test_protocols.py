"""Evaluation protocols: finding samples in folders (triplet, seven-frame, sequence), decoding them, and the errors
a wrong DATA_DIR gives."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from framer.errors import InputError, ShapeError
from framer.evaluation import find_samples, load_sample
from helpers.evaluation import HEIGHT, WIDTH, triplet, write_frames


def _one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith("."), message


def test_triplet_folder_is_one_sample(tmp_path):
    folder = triplet(tmp_path / "eggs")
    (samples,) = find_samples(folder, "triplet")
    assert samples.name == "eggs"
    assert samples.keyframes == (folder / "im1.png", folder / "im3.png")
    assert samples.targets == (folder / "im2.png",)
    assert samples.times == (0.5,)
    assert samples.size == (WIDTH, HEIGHT)


def test_tree_of_sample_folders_in_natural_order(tmp_path):
    root = tmp_path / "vimeo"
    for clip in ("00001/0010", "00001/0002", "00002/0001"):
        triplet(root / clip)
    (root / "tri_testlist.txt").write_text("not an image\n")
    names = [s.name for s in find_samples(root, "triplet")]
    assert names == ["vimeo/00001/0002", "vimeo/00001/0010", "vimeo/00002/0001"]


def test_several_data_dirs_and_numbered_names(tmp_path):
    bbb = write_frames(tmp_path / "bbb", ["im1_frame010.png", "im2_frame014.png", "im3_frame018.png"])
    extra = write_frames(tmp_path / "extra", ["im1.png", "im2.png", "im3.png", "notes.png"])
    samples = find_samples([bbb, extra], "triplet")
    assert [s.name for s in samples] == ["bbb", "extra"]
    assert samples[0].targets == (bbb / "im2_frame014.png",)
    assert samples[1].keyframes == (extra / "im1.png", extra / "im3.png")  # notes.png is not a protocol frame


def test_seven_frame_protocol(tmp_path):
    folder = write_frames(tmp_path / "davis", [f"im{i}.png" for i in range(1, 8)])
    (sample,) = find_samples(folder, "seven-frame")
    assert sample.keyframes == (folder / "im1.png", folder / "im7.png")
    assert [p.name for p in sample.targets] == ["im2.png", "im3.png", "im4.png", "im5.png", "im6.png"]
    assert sample.times == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])


def test_sequence_protocol_gaps_natural_order_and_leftover(tmp_path):
    names = [f"frame{i}.png" for i in range(7, 15)]  # frame7 .. frame14: natural order puts frame10 after frame9
    folder = write_frames(tmp_path / "whale", names)
    samples = find_samples(folder, "sequence", k=2)
    assert [s.name for s in samples] == ["whale frame7..frame9", "whale frame9..frame11", "whale frame11..frame13"]
    assert [s.targets[0].name for s in samples] == ["frame8.png", "frame10.png", "frame12.png"]
    assert all(s.times == (0.5,) for s in samples)  # frame14 comes after the last input frame: not scored
    (gap,) = find_samples(folder, "sequence", k=5)[:1]
    assert gap.keyframes == (folder / "frame7.png", folder / "frame12.png")
    assert gap.times == pytest.approx([0.2, 0.4, 0.6, 0.8])


def test_load_sample_quantises_to_8_bit_rgb_and_crops(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    grey16 = (np.arange(WIDTH * HEIGHT, dtype=np.uint16).reshape(HEIGHT, WIDTH) * 19).astype(np.uint16)
    Image.fromarray(grey16).save(folder / "im1.png")
    rgba = np.dstack([np.full((HEIGHT, WIDTH, 3), 200, np.uint8), np.zeros((HEIGHT, WIDTH), np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "im2.png")
    Image.fromarray(np.full((HEIGHT, WIDTH), 7, np.uint8)).save(folder / "im3.png")
    (sample,) = find_samples(folder, "triplet", crop=32)
    (first, last), (middle,) = load_sample(sample, crop=32)
    assert first.shape == middle.shape == last.shape == (32, 32, 3)
    assert first.dtype == middle.dtype == last.dtype == np.uint8
    expected = ((grey16[8:40, 16:48].astype(np.uint32) + 128) // 257).astype(np.uint8)  # centre 32x32 of 64x48
    np.testing.assert_array_equal(first, np.repeat(expected[:, :, None], 3, axis=2))
    assert (middle == 200).all() and (last == 7).all()  # alpha dropped, grey repeated


@pytest.mark.parametrize(
    ("layout", "protocol", "k", "crop", "error", "words"),
    [
        ("missing", "triplet", None, None, InputError, "does not exist"),
        ("file", "triplet", None, None, InputError, "is not a folder"),
        ("empty", "triplet", None, None, InputError, "holds no frames"),
        ("pair", "triplet", None, None, InputError, "needs im1..im3 or exactly 3 frames"),
        ("triplet", "seven-frame", None, None, InputError, "needs im1..im7 or exactly 7 frames"),
        ("pair", "sequence", 2, None, InputError, "needs at least 3"),
        ("sizes", "triplet", None, None, ShapeError, "must have one size"),
        ("triplet", "triplet", None, 100, ShapeError, "larger than the 64x48 frames"),
        ("triplet", "sequence", None, None, InputError, "needs `k`"),
        ("triplet", "triplet", 2, None, InputError, "only to the sequence protocol"),
        ("triplet", "quintuplet", None, None, InputError, "must be one of triplet, seven-frame, sequence"),
    ],
)
def test_bad_data_dirs_give_one_sentence(tmp_path, layout, protocol, k, crop, error, words):
    path = tmp_path / "data"
    if layout == "file":
        path.write_bytes(b"x")
    elif layout == "empty":
        (path / "sub").mkdir(parents=True)
    elif layout == "pair":
        write_frames(path, ["a.png", "b.png"])
    elif layout == "triplet":
        triplet(path)
    elif layout == "sizes":
        write_frames(path, ["im1.png", "im2.png"])
        write_frames(path / "x", ["im3.png"], size=(32, 32))
        (path / "x" / "im3.png").rename(path / "im3.png")
    with pytest.raises(error) as caught:
        find_samples(path, protocol, k=k, crop=crop)
    assert words in str(caught.value)
    _one_sentence(str(caught.value))
