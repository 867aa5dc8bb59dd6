"""``framer loop``: a clip in, a loop out (video or GIF); bad inputs are one sentence with the right exit code."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from framer.applications._timelapse_synthetic import loop_clip
from framer.applications.loop import frame_difference
from framer.io.writers import write_frames
from framer.video import open_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """24 frames of 64x48 at 24 fps whose end is far from its start."""
    path = tmp_path_factory.mktemp("clips") / "orbit.mp4"
    write_frames(loop_clip("orbit", num_frames=24, size=(64, 48)), path, fps=24, crf=0)
    return path


def _frames(path):
    with open_video(path) as reader:
        return reader.info, [frame.image for frame in reader]


def test_a_clip_becomes_a_video_that_loops(cli, clip, tmp_path):
    out = tmp_path / "loop.mp4"
    code, _, err = cli("loop", clip, "-o", out)
    assert code == 0, err
    assert "Wrote a loop of" in err and "jump at the join" in err
    info, frames = _frames(out)
    assert info.frame_rate == 24 and frames[0].shape == (48, 64, 3)
    _, source = _frames(clip)
    steps = [frame_difference(a, b) for a, b in itertools.pairwise(source)]
    assert frame_difference(frames[-1], frames[0]) <= np.median(steps) + 1.0  # + the encoder's rounding
    assert frame_difference(source[-1], source[0]) > 1.5 * np.median(steps)


def test_a_gif_with_a_given_window_and_bridge(cli, clip, tmp_path):
    out = tmp_path / "loop.gif"
    code, _, err = cli("loop", clip, "--window", "3", "--frames", "2", "--resize", "32x24", "-o", out)
    assert code == 0, err
    assert "and 2 in-betweens" in err
    with Image.open(out) as gif:
        assert gif.size == (32, 24) and 22 <= gif.n_frames <= 26


def test_a_video_too_short_a_still_image_and_a_non_video_are_refused(cli, tmp_path):
    short = tmp_path / "short.mp4"
    write_frames(loop_clip("orbit", num_frames=3, size=(64, 48)), short, fps=24)
    code, _, err = cli("loop", short, "-o", tmp_path / "out.mp4")
    assert code == 1 and "has 3 frames; a loop needs at least 4." in err and "Traceback" not in err
    still = tmp_path / "still.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(still)
    code, _, err = cli("loop", still, "-o", tmp_path / "out.mp4")
    assert code == 2 and "is a still image, not a video" in err
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    code, _, err = cli("loop", text, "-o", tmp_path / "out.mp4")
    assert code == 1 and "framer: error:" in err and "notes.mp4" in err
    code, _, err = cli("loop", tmp_path / "missing.mp4", "-o", tmp_path / "out.mp4")
    assert code == 1 and "does not exist" in err
    assert not (tmp_path / "out.mp4").exists()


def test_a_window_larger_than_half_the_clip_and_bad_options(cli, clip, tmp_path):
    code, _, err = cli("loop", clip, "--window", "13", "-o", tmp_path / "out.mp4")
    assert code == 1 and "join window of 13 frames is more than half of the clip's 24 frames" in err
    code, _, err = cli("loop", clip, "--window", "1", "-o", tmp_path / "out.mp4")
    assert code == 2 and "--window" in err
    code, _, err = cli("loop", clip, "--resize", "-o", tmp_path / "out.mp4")
    assert code == 2
    assert not (tmp_path / "out.mp4").exists()


def test_a_clip_of_two_shots_loops_its_longest_unless_across_cuts(cli, tmp_path, caplog):
    caplog.set_level("WARNING", logger="framer")
    clip = tmp_path / "cut.mp4"
    shots = loop_clip("orbit", num_frames=12, size=(64, 48), seed=0) + loop_clip("swing", 16, (64, 48), seed=5)
    write_frames(shots, clip, fps=24, crf=0)
    code, _, err = cli("loop", clip, "--window", "4", "-o", tmp_path / "shot.mp4")
    assert code == 0, err
    assert "the loop uses the longest, frames 12 to 27 (loop across the cuts with --across-cuts)" in caplog.text
    first, last = (int(n) for n in err.split("source frames ")[1].split(" ")[0].split("-"))
    assert 12 <= first < last <= 27
    caplog.clear()
    code, _, err = cli("loop", clip, "--window", "4", "--across-cuts", "-o", tmp_path / "whole.mp4")
    assert code == 0, err
    assert "the loop uses the longest" not in caplog.text and "still jumps" in caplog.text
    first, last = (int(n) for n in err.split("source frames ")[1].split(" ")[0].split("-"))
    assert first < 12 and last > 11
