"""framer.applications.loop: the join chosen in the windows, the bridge's length from the motion, a loop whose last
frame leads into its first no less smoothly than the clip's own frames follow each other."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest

import framer
from framer.applications._timelapse_synthetic import loop_clip
from framer.applications.loop import choose_join, frame_difference, make_loop
from framer.errors import InputError, VideoOpenError
from framer.io.writers import write_frames


@pytest.fixture(scope="module")
def engine():
    return framer.create_engine("flow", device="cpu")


@pytest.fixture(scope="module")
def orbit(tmp_path_factory):
    """A 24-frame clip at 24 fps (lossless) whose disc goes 85% of the way round: it does not loop by itself."""
    path = tmp_path_factory.mktemp("clips") / "orbit.mp4"
    write_frames(loop_clip("orbit", num_frames=24, size=(64, 48)), path, fps=24, crf=0)
    return path


def test_the_loop_ends_no_further_from_its_start_than_the_clip_steps(orbit, engine):
    result = make_loop(orbit, engine=engine)
    assert result.frame_rate == 24
    assert result.cut_difference > 1.5 * result.step_difference  # the clip as it is jumps when it loops
    assert result.join_difference <= result.step_difference
    assert result.frames[0] is not None and len(result.frames) == result.end - result.start + 1 + result.inserted
    assert result.inserted >= 1 and not result.audio_dropped
    # The bridge runs from the end to the start: its first frame is nearer the end, its last nearer the start.
    first, last = result.frames[result.end - result.start + 1], result.frames[-1]
    end, start = result.frames[result.end - result.start], result.frames[0]
    assert frame_difference(first, end) < frame_difference(first, start)
    assert frame_difference(last, start) < frame_difference(last, end)


def test_a_loop_as_smooth_as_its_clip_has_no_step_back_larger_than_the_clips(orbit, engine, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        result = make_loop(orbit, engine=engine)
    assert result.bridge_step <= 2.0 * result.step_difference
    kept = result.end - result.start + 1  # the source frames; then the bridge, then the loop starts again
    back = [*result.frames[kept - 1 :], result.frames[0]]
    steps = [frame_difference(a, b) for a, b in itertools.pairwise(back)]
    assert result.bridge_step == pytest.approx(max(steps))
    assert "still jumps" not in caplog.text


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory):
    """12 frames of an orbiting disc, then (a scene cut) 16 of a swinging one: 64x48 at 24 fps, lossless."""
    shot0 = loop_clip("orbit", num_frames=12, size=(64, 48), seed=0)
    shot1 = loop_clip("swing", num_frames=16, size=(64, 48), seed=5)
    path = tmp_path_factory.mktemp("clips") / "cut.mp4"
    write_frames(shot0 + shot1, path, fps=24, crf=0)
    return path


def test_a_clip_of_two_shots_loops_its_longest_and_says_so(two_shots, engine, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        result = make_loop(two_shots, window=4, max_frames=4, engine=engine)
    assert result.shots == ((0, 11), (12, 27))
    assert 12 <= result.start < result.end <= 27  # inside the longer shot
    assert len(result.frames) == result.end - result.start + 1 + result.inserted
    assert result.bridge_step <= 2.0 * result.step_difference  # no jump back across the cut
    assert result.join_difference <= result.step_difference
    assert "2 shots (scene cuts before frames 12); the loop uses the longest, frames 12 to 27" in caplog.text
    assert "--across-cuts" in caplog.text and "still jumps" not in caplog.text


def test_ends_from_two_shots_are_a_jump_the_user_is_told_of(two_shots, engine, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        result = make_loop(two_shots, window=4, max_frames=4, across_cuts=True, engine=engine)
    assert result.start < 12 and result.end > 11  # both shots
    assert result.bridge_step > 2.0 * result.step_difference
    assert "still jumps where it returns to its start" in caplog.text and "--duration" in caplog.text


def test_shots_too_short_to_loop_are_one_sentence(tmp_path):
    shots = [loop_clip(kind, num_frames=3, size=(64, 48), seed=seed) for kind, seed in (("orbit", 0), ("swing", 5))]
    path = tmp_path / "short-shots.mp4"
    write_frames(shots[0] + shots[1], path, fps=24, crf=0)
    with pytest.raises(InputError, match=r"has 2 shots and the longest has 3 frames; a loop needs at least 4"):
        make_loop(path, engine="no such engine: it must not be made")


def test_a_given_number_of_in_betweens_is_kept(orbit, engine):
    result = make_loop(orbit, window=3, frames=2, engine=engine)
    assert result.inserted == 2
    assert result.start <= 2 and result.end >= 21
    assert len(result.frames) == result.end - result.start + 3


def test_the_join_is_the_closest_pair_in_the_windows():
    rng = np.random.default_rng(0)
    thumbs = [rng.random((12, 16), np.float32) * 255 for _ in range(20)]
    thumbs[17] = thumbs[2] + 1.0  # frame 17 nearly repeats frame 2
    assert choose_join(thumbs, 4)[:2] == (2, 17)
    thumbs[19] = thumbs[0].copy()  # an exact repeat wins, and makes the longer loop
    assert choose_join(thumbs, 4)[:2] == (0, 19)


def test_a_clip_that_already_loops_needs_no_in_between(tmp_path, engine):
    orbit = loop_clip("orbit", num_frames=24, size=(64, 48))
    # There and back: the last frame repeats the first, the one before leads into it with a step smaller than most.
    frames = [orbit[index] for index in (0, 1, 3, 5, 7, 9, 7, 5, 3, 1, 0)]
    path = tmp_path / "loops.mp4"
    write_frames(frames, path, fps=12, crf=0)
    result = make_loop(path, window=2, engine="no such engine: it must not be made")
    assert (result.start, result.end, result.inserted) == (0, 9, 0)
    assert result.join_difference <= result.step_difference


def test_audio_is_dropped_with_a_note(engine, caplog, shared_data):
    clip = shared_data / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4"
    with caplog.at_level(logging.INFO, logger="framer"):  # an earlier in-process CLI run may have quietened it
        result = make_loop(clip, duration=0.5, resize="96x54", frames=1, engine=engine)
    assert result.audio_dropped and result.frames[0].shape == (54, 96, 3)
    assert result.frame_rate == 25 and result.end - result.start + 1 <= 13
    assert "audio is dropped" in caplog.text


def test_a_clip_too_short_to_loop_and_bad_arguments_are_one_sentence(tmp_path, orbit):
    short = tmp_path / "short.mp4"
    write_frames(loop_clip("orbit", num_frames=3, size=(64, 48)), short, fps=24)
    with pytest.raises(InputError, match=r"short\.mp4 has 3 frames; a loop needs at least 4\.$"):
        make_loop(short)
    with pytest.raises(InputError, match=r"^The first 0\.1 s of .*orbit\.mp4 hold 3 frames; a loop needs at least 4"):
        make_loop(orbit, duration=0.1)
    with pytest.raises(InputError, match=r"^A join window of 13 frames is more than half of the clip's 24 frames"):
        make_loop(orbit, window=13)
    with pytest.raises(InputError, match=r"`frames` must be an integer >= 0 but is -1"):
        make_loop(orbit, frames=-1)
    with pytest.raises(VideoOpenError, match="does not exist"):
        make_loop(tmp_path / "missing.mp4")
