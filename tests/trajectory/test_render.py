"""Overlay drawing: paths, start and end marks, sampled and current points, on every frame format."""

from __future__ import annotations

import numpy as np
import pytest

from framer.errors import InputError
from framer.trajectory import Trajectory, draw_trajectories, overlay_frames, trajectory_color

H, W = 120, 200
PATH = Trajectory([(20.0, 60.0), (100.0, 20.0), (180.0, 60.0)])
SECOND = Trajectory([(20.0, 100.0), (180.0, 100.0)])


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(after.astype(np.int32) - before.astype(np.int32)).sum(axis=2) > 0


def _near_colour(image: np.ndarray, xy: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    x, y = (round(float(v)) for v in xy)
    return bool(np.abs(image[y, x, :3].astype(int) - np.array(colour)).max() <= tolerance)


def test_the_path_is_drawn_where_it_runs_and_nowhere_far_from_it():
    image = np.full((H, W, 3), 128, np.uint8)
    drawn = draw_trajectories(image, [PATH])
    changed = _changed(image, drawn)
    path = PATH.polyline(1.0)
    # every pixel on the path has the trajectory's colour (the start ring's centre excepted)
    on_path = [p for p in path if np.linalg.norm(p - PATH.start) > 8]
    assert all(_near_colour(drawn, p, trajectory_color(0)) for p in on_path)
    # pixels farther than the marks reach from the path are untouched
    ys, xs = np.nonzero(changed)
    distance = np.min(np.linalg.norm(np.stack([xs, ys], 1)[:, None, :] - path[None, :, :], axis=2), axis=1)
    assert distance.max() < 15
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert (image == 128).all()  # the input is not modified


def test_current_point_sampled_points_and_distinct_colours():
    image = np.zeros((H, W, 3), np.uint8)
    drawn = draw_trajectories(image, [PATH, SECOND], t=0.5, sample_times=[0.25, 0.75])
    assert trajectory_color(0) != trajectory_color(1)
    current = PATH.sample(0.5)
    assert _near_colour(drawn, current, trajectory_color(0), tolerance=5)  # filled dot
    assert _near_colour(drawn, current + np.array([0.0, 3.0]), trajectory_color(0), tolerance=5)
    assert _near_colour(drawn, SECOND.sample(0.75), trajectory_color(1), tolerance=5)
    preview = draw_trajectories(image, [PATH, SECOND])
    assert _changed(preview, drawn)[int(current[1]) - 3 : int(current[1]) + 4, int(current[0])].any()
    assert len({trajectory_color(i) for i in range(40)}) == 40


def test_end_is_an_arrowhead_and_the_start_a_ring():
    image = np.zeros((H, W, 3), np.uint8)
    drawn = draw_trajectories(image, [SECOND])
    assert _near_colour(drawn, SECOND.end + np.array([-3.0, 0.0]), trajectory_color(0), tolerance=5)  # inside the head
    ring = _changed(image, drawn)[100, 5:20]  # the ring crosses the row left of the start
    assert ring.any()


@pytest.mark.parametrize(
    ("image", "shape"),
    [
        (np.zeros((H, W), np.uint8), (H, W, 3)),
        (np.zeros((H, W, 1), np.uint8), (H, W, 3)),
        (np.zeros((H, W, 4), np.uint8), (H, W, 4)),
        (np.zeros((H, W, 3), np.uint16), (H, W, 3)),
    ],
)
def test_every_frame_format(image, shape):
    drawn = draw_trajectories(image, [PATH], t=0.3)
    assert drawn.shape == shape and drawn.dtype == image.dtype
    full = 65535 if image.dtype == np.uint16 else 255
    x, y = (round(float(v)) for v in PATH.sample(0.3))
    assert drawn[y, x, :3].max() > 0.5 * full
    if shape[2] == 4:
        assert drawn[y, x, 3] == 255  # drawn pixels are opaque


def test_a_still_point_is_marked():
    image = np.zeros((H, W, 3), np.uint8)
    drawn = draw_trajectories(image, [Trajectory([(50.0, 50.0), (50.0, 50.0)])])
    assert _near_colour(drawn, np.array([50.0, 50.0]), trajectory_color(0), tolerance=5)


def test_overlay_frames_marks_each_frame_at_its_time():
    frames = [np.zeros((H, W, 3), np.uint8) for _ in range(3)]
    times = [0.0, 0.5, 1.0]
    drawn = overlay_frames(frames, [SECOND], times)
    for frame, t in zip(drawn, times, strict=True):
        assert _near_colour(frame, SECOND.sample(t), trajectory_color(0), tolerance=5)
    with pytest.raises(InputError, match="same length"):
        overlay_frames(frames, [SECOND], [0.5])
    with pytest.raises(InputError, match="uint8 or uint16"):
        draw_trajectories(np.zeros((H, W, 3), np.float32), [SECOND])
