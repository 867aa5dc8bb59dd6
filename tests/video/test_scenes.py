"""Scene-cut and repeated-frame measures on the shared videos, on pairs of different shots and on fast pans."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from framer.io.images import read_image
from framer.synthetic.textures import background_texture
from framer.video.reader import open_video
from framer.video.scenes import (
    HISTOGRAM_THRESHOLD,
    SSIM_THRESHOLD,
    compensated_measures,
    histogram_distance,
    is_cut,
    is_duplicate,
    make_thumbnail,
    thumbnail_ssim,
)

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
    "rife_demo_pairs/I0_0.png",
    "rife_demo_pairs/I1_0.png",
    "morph_pair_astronaut_chelsea/astronaut.png",
    "vimeo_septuplet_lr_tiny/im1.png",
]
WIDTH, HEIGHT = 256, 160


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
    """Every ordered pair of first frames from different folders (150 pairs) is a cut, motion compensation or not."""
    images = {still: read_image(shared_data / still) for still in STILLS}
    for video in VIDEOS.values():
        with open_video(shared_data / video) as reader:
            images[video] = next(iter(reader)).image
    pairs = [(a, b) for a, b in itertools.permutations(images, 2) if a.split("/")[0] != b.split("/")[0]]
    assert len(pairs) == 150
    for name0, name1 in pairs:
        first, second = images[name0], images[name1]
        second = cv2.resize(second, (first.shape[1], first.shape[0]), interpolation=cv2.INTER_AREA)
        assert is_cut(make_thumbnail(first), make_thumbnail(second)), (name0, name1)


def _pan(shift: int, diagonal: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two ``(HEIGHT, WIDTH, 3)`` uint8 frames of a seeded texture panned ``shift`` px to the left, and as many
    times ``HEIGHT / WIDTH`` px up when ``diagonal``; rendered at twice the size and shrunk, as a camera would."""
    up = round(shift * HEIGHT / WIDTH) if diagonal else 0
    world = background_texture(np.random.default_rng(seed), 2 * (WIDTH + shift), 2 * (HEIGHT + up))
    world = np.clip(world, 0, 255).astype(np.uint8)

    def crop(x: int, y: int) -> np.ndarray:
        return cv2.resize(world[y : y + 2 * HEIGHT, x : x + 2 * WIDTH], (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)

    return crop(0, 0), crop(2 * shift, 2 * up)


@pytest.mark.parametrize("diagonal", [False, True], ids=["horizontal", "diagonal"])
@pytest.mark.parametrize("shift", [48, 95, 128])
def test_fast_pans_are_not_cuts(shift, diagonal):
    """Pans of up to half the frame width (and, diagonally, 5/16 of its height too) over 10 textures: the frames
    differ enough to be cut candidates, but once the translation is undone they agree, so none is a cut."""
    candidates = 0
    for seed in range(10):
        a, b = (make_thumbnail(image) for image in _pan(shift, diagonal, seed))
        candidates += histogram_distance(a, b) > HISTOGRAM_THRESHOLD and thumbnail_ssim(a, b) < SSIM_THRESHOLD
        ssim, colour = compensated_measures(a, b)
        assert ssim >= SSIM_THRESHOLD and colour <= HISTOGRAM_THRESHOLD, (seed, ssim, colour)
        assert not is_cut(a, b), seed
    if (shift, diagonal) != (48, False):  # a 48 px sideways pan keeps the colours: never even a candidate
        assert candidates >= 5


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
