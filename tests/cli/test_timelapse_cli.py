"""``framer timelapse``: stills in, a clip out; bad inputs are one sentence with the right exit code."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from framer.applications._timelapse_synthetic import exposure_ramp
from framer.video import open_video


@pytest.fixture(scope="module")
def stills(tmp_path_factory):
    """A folder of four 96x64 stills under an exposure ramp with camera jitter."""
    folder = tmp_path_factory.mktemp("stills")
    for index, still in enumerate(exposure_ramp(num_stills=4, size=(96, 64), seed=2).stills):
        Image.fromarray(still).save(folder / f"shot{index}.png")
    return folder


def _frames(path):
    with open_video(path) as reader:
        return [frame.image for frame in reader]


def test_a_folder_of_stills_becomes_a_clip(cli, stills, tmp_path):
    out = tmp_path / "out.mp4"
    code, _, err = cli("timelapse", stills, "--multi", "3", "--fps", "12", "-o", out)
    assert code == 0, err
    assert "Wrote 10 frames from 4 stills to" in err and "(even pacing)" in err
    frames = _frames(out)
    assert len(frames) == 10 and frames[0].shape == (64, 96, 3)
    means = [float(frame.mean()) for frame in frames]
    assert means[-1] > 1.8 * means[0]  # the exposure ramp 0.6 -> 1.4 is kept, not matched away
    with open_video(out) as reader:
        assert reader.info.frame_rate == 12


def test_a_glob_with_stabilize_and_exif_pacing_writes_a_cropped_gif(cli, stills, tmp_path, caplog):
    out = tmp_path / "out.gif"
    caplog.set_level("INFO", logger="framer")
    code, _, err = cli("timelapse", str(stills / "shot*.png"), "--stabilize", "--pace", "exif", "-o", out)
    assert code == 0, err
    assert "(even pacing)" in err  # PNGs without EXIF: even pacing, with a warning
    assert any(message.startswith("No EXIF DateTimeOriginal in") for message in caplog.messages)
    assert any(message.startswith("Stabilized:") for message in caplog.messages)
    with Image.open(out) as gif:
        assert gif.n_frames == 13
        assert gif.size[0] < 96 and gif.size[1] < 64  # cropped alike by the stabilizer


def test_too_few_stills_an_empty_folder_and_a_glob_matching_nothing_are_usage_errors(cli, stills, tmp_path):
    (tmp_path / "empty").mkdir()
    for args, sentence in (
        ([stills / "shot0.png"], "A time-lapse needs at least two stills, but only"),
        ([tmp_path / "empty"], "holds no images (.png"),
        ([str(tmp_path / "*.jpg")], "No file matches"),
    ):
        code, _, err = cli("timelapse", *args, "-o", tmp_path / "out.mp4")
        assert code == 2 and sentence in err, err
        assert len([line for line in err.splitlines() if line.startswith("Error:")]) == 1 and "Traceback" not in err
    code, _, err = cli("timelapse", stills, "--smooth", "2", "-o", tmp_path / "out.mp4")
    assert code == 2 and "--smooth sets how --stabilize follows the camera" in err
    assert not (tmp_path / "out.mp4").exists()


def test_an_unreadable_still_and_a_size_mismatch_are_errors(cli, stills, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code, _, err = cli("timelapse", stills / "shot0.png", bad, "-o", tmp_path / "out.mp4")
    assert code == 1 and "framer: error:" in err and "bad.png" in err and "Traceback" not in err
    Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(tmp_path / "small.png")
    code, _, err = cli("timelapse", stills / "shot0.png", tmp_path / "small.png", "-o", tmp_path / "out.mp4")
    assert code == 1 and "Stills differ in size" in err and "first still's size" in err and "--resize" in err
    assert not (tmp_path / "out.mp4").exists()


def test_an_existing_output_is_kept_without_overwrite(cli, stills, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    code, _, err = cli("timelapse", stills, "-o", out)
    assert code == 1 and "already exists" in err
    assert out.read_bytes() == b"keep me"
