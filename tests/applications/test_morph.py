"""framer.applications.morph: the synthetic check (issue 17, check 1), the mesh, the stream and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from framer.applications._morph_cases import edge_count, find_markers, make_morph_case
from framer.applications._morph_mesh import build_mesh
from framer.applications.morph import MIN_CORRESPONDENCES, iter_morph, morph
from framer.errors import InputError, ShapeError
from framer.trajectory import Trajectory


@pytest.fixture(scope="module")
def case():
    return make_morph_case()


def _middle_error(case, middle: np.ndarray) -> np.ndarray:
    truth = case.markers_at(0.5)
    return np.linalg.norm(find_markers(middle, truth) - truth, axis=1)


def test_markers_are_found_where_they_are_drawn(case):
    assert np.nanmax(np.linalg.norm(find_markers(case.image0, case.markers0) - case.markers0, axis=1)) < 0.5
    assert np.nanmax(np.linalg.norm(find_markers(case.image1, case.markers1) - case.markers1, axis=1)) < 0.5


@pytest.mark.parametrize("warp", ["spline", "mesh"])
def test_drawn_correspondences_place_landmarks_and_keep_edges(case, warp):
    (middle,) = morph(
        case.image0, case.image1, 1, trajectories=case.drawn, matcher=None, warp=warp, include_keyframes=False
    )
    error = _middle_error(case, middle)
    assert not np.isnan(error).any() and error.max() <= 3.0
    keys = (edge_count(case.image0) + edge_count(case.image1)) / 2
    assert abs(edge_count(middle) / keys - 1.0) <= 0.2
    with pytest.raises(InputError, match="`warp` must be one of spline, mesh"):
        morph(case.image0, case.image1, 1, trajectories=case.drawn, warp="bent")


def test_matcher_correspondences_refined_with_the_flow_engine(case, flow_engine):
    (middle,) = morph(case.image0, case.image1, 1, matcher="sift", engine=flow_engine, include_keyframes=False)
    error = _middle_error(case, middle)
    assert not np.isnan(error).any() and error.max() <= 3.0
    keys = (edge_count(case.image0) + edge_count(case.image1)) / 2
    assert abs(edge_count(middle) / keys - 1.0) <= 0.2


def test_stream_keyframes_and_pingpong(case):
    items = list(iter_morph(case.image0, case.image1, 3, trajectories=case.drawn, matcher=None, pingpong=True))
    assert [round(item.t, 2) for item in items] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert np.array_equal(items[0].frame, case.image0) and np.array_equal(items[4].frame, case.image1)
    assert all(np.array_equal(items[k].frame, items[8 - k].frame) for k in (5, 6, 7))
    assert all(item.frame.dtype == np.uint8 and item.frame.shape == case.image0.shape for item in items)


def test_too_few_correspondences_say_how_to_draw_them():
    rng = np.random.default_rng(0)
    noise0, noise1 = (rng.integers(0, 256, (96, 96, 3), dtype=np.uint8) for _ in range(2))
    with pytest.raises(InputError, match=r"framer match .*--trajectories"):
        morph(noise0, noise1, 2)
    drawn = [Trajectory(np.array([[10.0, 10.0], [20.0, 20.0]]), np.array([0.0, 1.0]))]
    with pytest.raises(InputError, match=f"fewer than the {MIN_CORRESPONDENCES}"):
        morph(noise0, noise1, 2, trajectories=drawn, matcher=None)


def test_sizes_must_agree_unless_resized(case):
    small = case.image1[:200, :180]
    with pytest.raises(ShapeError, match="resize"):
        morph(case.image0, small, 1, trajectories=case.drawn, matcher=None)
    frames = morph(case.image0, small, 1, trajectories=case.drawn, matcher=None, resize=True)
    assert all(frame.shape == case.image0.shape for frame in frames)


def test_mesh_is_exact_at_landmarks_and_drops_a_folding_one():
    angles = np.arange(6) * np.pi / 3
    ring = np.round(50 + 24 * np.stack([np.cos(angles), np.sin(angles)], 1))
    starts = np.concatenate([ring, [[50.0, 50.0]]])
    moved = ring + np.array([4.0, -2.0])
    ends = np.concatenate([moved, [[50.0, 94.0]]])  # the centre jumps out over the ring: a wrong match
    mesh = build_mesh(starts, ends, 100, 100, warp="mesh")
    assert mesh.landmarks == 6  # one of the two landmarks that cross is dropped, and no triangle folds over
    mean = (mesh.starts + mesh.ends) / 2
    for shape in (mesh.starts, mesh.ends):
        assert np.all(np.sign(_areas(shape, mesh.triangles)) == np.sign(_areas(mean, mesh.triangles)))
    map0, map1 = mesh.maps(0.5)
    for start, end in zip(mesh.starts[:6], mesh.ends[:6], strict=True):
        x, y = ((start + end) / 2).astype(int)
        assert np.allclose(map0[y, x], start, atol=1e-3) and np.allclose(map1[y, x], end, atol=1e-3)


def _areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = points[triangles[:, 0]], points[triangles[:, 1]], points[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def test_mesh_follows_a_drawn_path():
    path = Trajectory(np.array([[40.0, 40.0], [70.0, 20.0], [60.0, 60.0]]), np.array([0.0, 0.5, 1.0]))
    others = np.array([[20.0, 70.0], [80.0, 80.0], [30.0, 20.0]])
    starts = np.concatenate([path.points[:1], others])
    ends = np.concatenate([path.points[-1:], others])
    for warp, tolerance in (("mesh", 1e-3), ("spline", 0.75)):  # the spline: evaluated every 4 px, then bilinearly
        mesh = build_mesh(starts, ends, 100, 100, [path, None, None, None], warp)
        assert np.allclose(mesh.points_at(0.5)[0], [70.0, 20.0])
        map0, map1 = mesh.maps(0.5)
        assert np.allclose(map0[20, 70], [40.0, 40.0], atol=tolerance)
        assert np.allclose(map1[20, 70], [60.0, 60.0], atol=tolerance)
        assert np.allclose(map0[0, 0], [0.0, 0.0], atol=tolerance)  # the border stays in place
