"""A video file cut off after its header (a faststart MP4 missing the second half of its bytes) is reported with the
number of frames missing, and refused with ``--strict`` before any state or output is made."""

from __future__ import annotations

import logging
from fractions import Fraction

import av
import pytest

from framer.cli.main import main
from framer.errors import VideoOpenError
from framer.video import interpolate_video, open_video
from framer.video.state import state_dir_for
from helpers.flow_tiny import TINY_IFNET_ENTRY, registered
from helpers.video import BlendEngine, ramp_frames

FRAMES = 48


@pytest.fixture
def half(tmp_path):
    """A faststart MP4 of 48 frames (the index first, so the header still announces 48), then cut in half."""
    path = tmp_path / "full.mp4"
    frames = ramp_frames([Fraction(i, 24) for i in range(FRAMES)], Fraction(2))
    for i, image in enumerate(frames):  # texture, so that every frame has bytes of its own
        image[(i * 3) % 48 :, ::7, 2] = 255
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    data = path.read_bytes()
    cut = tmp_path / "half.mp4"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def _decoded(path) -> int:
    with open_video(path) as reader:
        return sum(1 for _ in reader)


def test_a_whole_file_gives_no_warning(tmp_path, half, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        assert _decoded(tmp_path / "full.mp4") == FRAMES
    assert not caplog.messages


def test_a_cut_off_file_is_reported_with_the_frames_missing(half, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        decoded = _decoded(half)
    assert 0 < decoded < FRAMES
    missing = FRAMES - decoded
    message = f"half.mp4 ended after {decoded} of {FRAMES} frames ({missing} missing): the file looks cut off."
    assert message in caplog.messages


def test_strict_refuses_a_cut_off_file_before_any_work(tmp_path, half):
    engine = BlendEngine()
    with pytest.raises(VideoOpenError, match=rf"half.mp4 ended after \d+ of {FRAMES} frames .*strict mode refuses it"):
        interpolate_video(half, tmp_path / "out.mp4", multi=2, engine=engine, strict=True)
    assert engine.calls == 0 and not (tmp_path / "out.mp4").exists()
    assert not state_dir_for(tmp_path / "out.mp4").exists()


def test_cli_prints_the_frames_missing_and_strict_fails(tmp_path, half, tiny_flow_weights, caplog, capsys):
    out = tmp_path / "out.mp4"
    model = ["--model", TINY_IFNET_ENTRY.name, "--weights", str(tiny_flow_weights), "--device", "cpu"]
    with registered(TINY_IFNET_ENTRY), caplog.at_level(logging.INFO, logger="framer"):
        assert main(["video", str(half), "--multi", "2", "-o", str(out), *model]) == 0
        missing = [r for r in caplog.records if "the file looks cut off" in r.getMessage()]
        assert len(missing) == 1 and missing[0].levelno == logging.WARNING
        assert f"of {FRAMES} frames (" in missing[0].getMessage()
        assert out.is_file()
        strict = tmp_path / "strict.mp4"
        assert main(["video", str(half), "--multi", "2", "-o", str(strict), "--strict", *model]) == 1
    assert "Loading model..." in caplog.messages  # said before the model is loaded, after the checks of the input
    err = capsys.readouterr().err
    assert f"of {FRAMES} frames" in err and "strict mode refuses it" in err
    assert not strict.exists() and not state_dir_for(strict).exists()
