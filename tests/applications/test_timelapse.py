"""framer.applications.timelapse: stills found, EXIF pacing, colour matched and restored, jitter removed, frames
that barely change blended; on a synthetic exposure ramp with jitter whose truth is known."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np
import pytest
from PIL import Image

import framer
from framer.applications._timelapse_colour import fit_colour, match_pair
from framer.applications._timelapse_stabilize import residual_jitter, stabilize
from framer.applications._timelapse_stills import collect_stills, exif_times, gap_counts
from framer.applications._timelapse_synthetic import exposure_ramp
from framer.applications.timelapse import timelapse
from framer.errors import ImageReadError, InputError, ShapeError

SIZE = (96, 64)


@pytest.fixture(scope="module")
def engine():
    return framer.create_engine("flow", device="cpu")


@pytest.fixture(scope="module")
def ramp():
    return exposure_ramp(num_stills=4, size=SIZE, seed=1)


def _save(folder, images, suffix=".png", times=None):
    folder.mkdir(exist_ok=True)
    paths = []
    for index, image in enumerate(images):
        path = folder / f"still{index}{suffix}"
        exif = Image.Exif()
        if times is not None:
            exif.get_ifd(0x8769)[36867] = times[index].strftime("%Y:%m:%d %H:%M:%S")
        Image.fromarray(image).save(path, exif=exif)
        paths.append(path)
    return paths


class Blend:
    """A stand-in engine: the linear blend of the pair (for tests of pacing and plumbing)."""

    def iter_frames(self, frame0, frame1, times):
        for t in times:
            yield (1 - t) * frame0 + t * frame1


def _rms(shifts: np.ndarray) -> float:
    return float(np.sqrt((shifts**2).sum(1).mean()))


# --- which stills ---


def test_stills_come_from_a_folder_a_glob_or_a_list_in_natural_order(tmp_path, ramp):
    paths = _save(tmp_path / "s", ramp.stills)
    (tmp_path / "s" / "notes.txt").write_text("not a still")
    (tmp_path / "s" / "still10.png").write_bytes(paths[0].read_bytes())
    by_folder = collect_stills(tmp_path / "s")
    assert [p.name for p in by_folder] == ["still0.png", "still1.png", "still2.png", "still3.png", "still10.png"]
    assert collect_stills(str(tmp_path / "s" / "still*.png")) == by_folder
    assert collect_stills([paths[2], paths[0]]) == [paths[2], paths[0]]


def test_too_few_stills_an_empty_folder_and_a_glob_matching_nothing_are_one_sentence(tmp_path, ramp):
    (tmp_path / "empty").mkdir()
    one = _save(tmp_path / "one", ramp.stills[:1])
    with pytest.raises(InputError, match=r"^Folder .*empty holds no images \(\.png"):
        collect_stills(tmp_path / "empty")
    with pytest.raises(InputError, match=r"^No file matches '.*\*\.jpg'\.$"):
        collect_stills(str(tmp_path / "*.jpg"))
    with pytest.raises(InputError, match=r"^A time-lapse needs at least two stills, but only .*still0\.png was"):
        collect_stills(one)


def test_an_unreadable_still_and_a_size_mismatch_are_refused(tmp_path, ramp, engine):
    paths = _save(tmp_path, ramp.stills[:2])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ImageReadError, match=r"bad\.png"):
        timelapse([paths[0], bad], engine=engine)
    Image.fromarray(ramp.stills[1][:40]).save(tmp_path / "small.png")
    with pytest.raises(ShapeError, match=r"^Stills differ in size .*--resize"):
        timelapse([paths[0], tmp_path / "small.png"], engine=engine)


# --- pacing ---


def test_exif_times_pace_the_frames_by_real_time(tmp_path, ramp):
    start = datetime(2026, 5, 1, 6, 0, 0)
    times = [start, start + timedelta(minutes=10), start + timedelta(minutes=40), start + timedelta(minutes=50)]
    paths = _save(tmp_path, ramp.stills, ".jpg", times)
    assert exif_times(paths) == [0.0, 600.0, 2400.0, 3000.0]
    counts = gap_counts(exif_times(paths), 4, 4)  # 12 frames over 50 minutes: 10, 30 and 10 minutes
    assert counts == [2, 8, 2]
    assert gap_counts(None, 4, 4) == [4, 4, 4]
    result = timelapse(paths, 4, pace="exif", engine=Blend())
    assert result.pace == "exif" and result.counts == [2, 8, 2] and len(result.frames) == 13


def test_stills_without_exif_fall_back_to_even_pacing_with_a_warning(tmp_path, ramp, caplog):
    paths = _save(tmp_path, ramp.stills[:3])
    with caplog.at_level(logging.WARNING):
        result = timelapse(paths, 3, pace="exif", engine=Blend())
    assert result.pace == "even" and result.counts == [3, 3]
    assert len(result.frames) == 7
    assert "No EXIF DateTimeOriginal in" in caplog.text and "pacing the frames evenly" in caplog.text


# --- colour, jitter, still gaps ---


def test_colour_fit_recovers_a_gain_and_matching_maps_the_brighter_still_down(ramp):
    scene = ramp.render(1.0, np.zeros(2))
    dark = np.clip(0.7 * scene + 0.02, 0, 1)
    fit = fit_colour(scene, dark)
    np.testing.assert_allclose(fit.gain, 0.7, atol=0.02)
    np.testing.assert_allclose(fit.offset, 0.02, atol=0.01)
    to0, to1 = match_pair(dark, scene)  # the second is brighter: it is mapped, the first kept
    np.testing.assert_allclose(to0.gain, 1.0)
    assert abs(float(to1.apply(scene).mean()) - float(dark.mean())) < 0.005


def test_stabilize_removes_the_jitter_and_crops_every_still_alike(ramp):
    images = [still.astype(np.float32) / 255 for still in ramp.stills]
    before = _rms(residual_jitter(images))
    fixed = stabilize(images)
    after = _rms(residual_jitter(fixed.images))
    assert before > 1.5
    assert after < 0.5
    assert len({image.shape for image in fixed.images}) == 1
    mx, my = fixed.margins
    assert fixed.images[0].shape == (SIZE[1] - 2 * my, SIZE[0] - 2 * mx, 3)
    assert 0 < mx <= 6 and 0 < my <= 6  # jitter of at most 4 px from the first, held at the mean


def test_in_betweens_follow_the_true_exposure_ramp_within_two_percent(tmp_path, ramp, engine):
    paths = _save(tmp_path, ramp.stills)
    result = timelapse(tmp_path, 2, engine=engine)
    assert result.counts == [2, 2, 2] and len(result.frames) == 7 and result.margins == (0, 0)
    for index, frame in enumerate(result.frames):
        gap, k = min(index // 2, 2), index - 2 * min(index // 2, 2)
        truth = ramp.truth(gap, k / 2)
        error = abs(frame.mean() / 255 - truth.mean()) / truth.mean()
        assert error < 0.02, (index, error)
    np.testing.assert_array_equal(result.frames[2], np.asarray(Image.open(paths[1])))  # stills are kept as they are


def test_stabilized_time_lapse_has_under_half_a_pixel_of_jitter(tmp_path, ramp, engine):
    _save(tmp_path, ramp.stills)
    result = timelapse(tmp_path, 2, stabilize=True, engine=engine)
    assert _rms(residual_jitter(result.frames)) < 0.5
    assert _rms(residual_jitter(ramp.stills)) > 1.5
    mx, my = result.margins
    assert result.frames[0].shape == (SIZE[1] - 2 * my, SIZE[0] - 2 * mx, 3)


def test_gaps_that_barely_change_are_blended_without_the_engine(tmp_path, ramp):
    class Refuses:
        def iter_frames(self, *args):
            raise AssertionError("the network should not run on a still gap")

    still = ramp.stills[0]
    brighter = np.clip(still.astype(np.float32) * 1.2, 0, 255).astype(np.uint8)  # the light changed, nothing moved
    paths = _save(tmp_path, [still, brighter])
    result = timelapse(paths, 4, engine=Refuses())
    assert result.blended == [0]
    means = [float(frame.mean()) for frame in result.frames]
    assert means == sorted(means) and means[0] < means[2] < means[4]
    truth = 0.5 * (still.astype(np.float32) + brighter)
    assert float(np.abs(result.frames[2] - truth).mean()) < 1.5


def test_arguments_are_checked_before_any_work(tmp_path, ramp):
    paths = _save(tmp_path, ramp.stills[:2])
    with pytest.raises(InputError, match=r"`multi` must be an integer >= 1 but is 0"):
        timelapse(paths, 0)
    with pytest.raises(InputError, match=r"`pace` must be one of even, exif but is 'gps'"):
        timelapse(paths, pace="gps")
