"""Scene-cut and repeated-frame measures on the shared videos and on pairs of different shots."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from framer.io.images import read_image
from framer.video.reader import open_video
from framer.video.scenes import is_cut, is_duplicate, make_thumbnail, thumbnail_ssim

VIDEOS = {
    "carphone": "video_carphone/carphone_pristine.mp4",
    "bbb": "video_bigbuckbunny_audio/bigbuckbunny.mp4",
    "vtest": "video_vtest_opencv/vtest.avi",
}
STILLS = [
    "sintel_raft_demo/frame_0016.png",
    "middlebury_rubberwhale/frame07.png",
    "vimeo_triplet_eggs/im1.png",
    "vimeo_triplet_runner/im1.png",
    "practical_rife_demo_pair/i0.png",
    "rife_demo_pairs/I2_0.png",
]


def _scan(path):
    cuts, duplicates, previous = [], [], None
    with open_video(path) as reader:
        for frame in reader:
            thumbnail = make_thumbnail(frame.image)
            if previous is not None:
                cuts += [frame.index] if is_cut(previous, thumbnail) else []
                duplicates += [frame.index] if is_duplicate(previous, thumbnail) else []
            previous = thumbnail
    return cuts, duplicates


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_no_false_cut_on_shared_videos(shared_data, name):
    cuts, duplicates = _scan(shared_data / VIDEOS[name])
    assert cuts == []
    # Big Buck Bunny repeats frames 6, 31, 56, 81 and 106 (24 -> 25 fps pulldown); the others repeat none.
    assert duplicates == ([7, 32, 57, 82, 107] if name == "bbb" else [])


def test_cuts_between_different_shots(shared_data):
    images = [read_image(shared_data / still) for still in STILLS]
    for video in VIDEOS.values():
        with open_video(shared_data / video) as reader:
            images.append(next(iter(reader)).image)
    for first, second in itertools.permutations(images, 2):
        second = cv2.resize(second, (first.shape[1], first.shape[0]), interpolation=cv2.INTER_AREA)
        assert is_cut(make_thumbnail(first), make_thumbnail(second))


def test_thumbnail_measures_on_small_changes():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(image, (5, 5), 2)
    same = make_thumbnail(image)
    assert thumbnail_ssim(same, same) == pytest.approx(1.0)
    assert is_duplicate(same, make_thumbnail(image))
    shifted = make_thumbnail(np.roll(image, 2, axis=1))
    assert not is_duplicate(same, shifted)
    assert not is_cut(same, shifted)
    brighter = make_thumbnail(np.clip(image.astype(int) + 40, 0, 255).astype(np.uint8))  # a flash: colours only
    assert not is_cut(same, brighter)
    assert not is_cut(same, make_thumbnail(255 - image), ssim_threshold=0)  # 0 turns detection off
