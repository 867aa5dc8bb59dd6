"""``framer video`` from the command line: bad input gives one clear sentence and the right exit code."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from framer.cli.main import main
from helpers.video import ramp_frames, write_clip


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "in.mp4", ramp_frames([Fraction(i, 24) for i in range(6)], Fraction(1, 4)))


def _corrupt(folder):
    path = folder / "bad.mp4"
    path.write_bytes(b"not a video at all" * 50)
    return path


def _empty(folder):
    path = folder / "bad.mp4"
    path.touch()
    return path


def _missing(folder):
    return folder / "bad.mp4"


def _audio_only(folder):
    path = folder / "bad.m4a"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return path


def _no_frames(folder):
    path = folder / "bad.mkv"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def _run(capsys, *args):
    code = main(["video", *map(str, args)])
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_corrupt, "cannot be opened as a video: Invalid data"),
        (_empty, "is empty (0 bytes)."),
        (_missing, "does not exist."),
        (_audio_only, "has no video stream."),
        (_no_frames, "ends before its first frame"),
    ],
    ids=["corrupt", "empty", "missing", "no-video-stream", "no-frames"],
)
def test_bad_input_is_one_sentence(tmp_path, capsys, make, message):
    source = make(tmp_path)
    code, err = _run(capsys, source, "--fps", "60", "-o", tmp_path / "out.mp4")
    assert code == 1
    assert err.startswith("framer: error: ") and message in err and err.endswith(".") and "\n" not in err
    assert not (tmp_path / "out.mp4").exists()


def test_truncated_file_is_one_sentence(tmp_path, capsys, clip):
    data = clip.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    code, err = _run(capsys, tmp_path / "cut.mp4", "--multi", "2", "-o", tmp_path / "out.mp4")
    assert code == 1 and err.startswith("framer: error: Video") and "\n" not in err


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--fps", "24"], 1, "The target fps 24 must be above the source's 24 fps"),
        (["--fps", "12"], 1, "must be above the source's 24 fps"),
        (["--multi", "1"], 2, "Invalid value for '--multi': must be an integer >= 2, got 1."),
        (["--slowmo", "1"], 2, "must be above 1, got"),
        ([], 2, "Give exactly one of --multi, --fps or --slowmo (got none)."),
        (["--multi", "2", "--fps", "60"], 2, "(got --multi, --fps)"),
        (["--multi", "2", "--codec", "nope"], 1, "--codec 'nope' is not a video encoder"),
    ],
)
def test_unsupported_targets(tmp_path, capsys, clip, options, code, message):
    got, err = _run(capsys, clip, *options, "-o", tmp_path / "out.mp4")
    assert got == code and message in err
    assert not (tmp_path / "out.mp4").exists()


def test_existing_output_needs_overwrite(tmp_path, capsys, clip):
    (tmp_path / "out.mp4").write_bytes(b"keep me")
    code, err = _run(capsys, clip, "--multi", "2", "-o", tmp_path / "out.mp4")
    assert code == 1 and "pass --overwrite" in err
    assert (tmp_path / "out.mp4").read_bytes() == b"keep me"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--fps", "sixty"], "Invalid value for '--fps': expected a number or a ratio"),
        (["--slowmo", "0.5"], "Invalid value for '--slowmo': must be above 1, got '0.5'."),
        (["--multi", "2", "--tile", "big"], "expected auto, 0 or a tile side in pixels"),
    ],
)
def test_bad_option_values_name_the_option(tmp_path, capsys, clip, options, message):
    code, err = _run(capsys, clip, *options, "-o", tmp_path / "out.mp4")
    assert code == 2 and message in err
