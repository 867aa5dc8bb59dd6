"""Point tracks for stage 2 without CoTracker: chained flows of the flow engine, checked forward and backward.

For each pair of consecutive frames the flow engine gives dense correspondences through their middle frame in
both orders (:meth:`~framer.engines.flow.FlowEngine.correspondence_maps`: for each pixel ``p`` of the middle frame
its positions ``to0(p)`` and ``to1(p)``, and how far the network's two answers, pair forward and pair backward,
disagree). A point ``x`` of frame ``k`` is carried to frame ``k + 1`` by finding the middle-frame pixel ``p`` with
``to0(p) = x`` (fixed-point iteration) and taking ``to1(p)``; OpenCV's pyramidal Lucas-Kanade then refines that
position to sub-pixel accuracy (RIFE's flows to the middle frame are made for blending and fall short of large
motion by up to a fifth: 2 px after five frames of a 2.5 px/frame sprite, 0.03 px refined) and runs back to
frame ``k``. A point is dropped for good (the whole track) as soon as the network's two runs disagree by more
than ``tolerance`` px where it is, the inversion does not converge, the Lucas-Kanade round trip misses by more
than half of it, the refinement moves far from the flow's answer (occlusion, a cut), or it leaves the frame.
Tracks start on a regular grid of frame 0 and are cached per clip on disk.

Convention: points are ``(x, y)`` pixels, centre of the top-left pixel at ``(0, 0)``; tracks ``(N, F, 2)``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import cv2
import numpy as np
import torch

from framer.checks import check_shape
from framer.motion import identity_alignment

__all__ = ["FlowTracker", "grid_points", "sample_points", "track_clip"]

logger = logging.getLogger(__name__)

_INVERSION_STEPS = 12
_WINDOW = (15, 15)
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


def grid_points(width: int, height: int, spacing: int) -> np.ndarray:
    """``(M, 2)`` float32 points every ``spacing`` px, half a spacing in from the borders."""
    xs = np.arange(spacing / 2 - 0.5, width - 0.5, spacing, dtype=np.float32)
    ys = np.arange(spacing / 2 - 0.5, height - 0.5, spacing, dtype=np.float32)
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``image (H, W[, C])`` float32 at ``points (M, 2)``: ``(M[, C])``."""
    map_x = np.ascontiguousarray(points[None, :, 0], dtype=np.float32)
    map_y = np.ascontiguousarray(points[None, :, 1], dtype=np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[0]


def _grey(frame: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` float in [0, 1] -> ``(H, W)`` uint8 luma."""
    image = (frame.permute(1, 2, 0).float().cpu().numpy() * 255).round().clip(0, 255).astype(np.uint8)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _lucas_kanade(grey0: np.ndarray, grey1: np.ndarray, points: np.ndarray, guess: np.ndarray):
    """Pyramidal Lucas-Kanade from ``points`` of ``grey0`` into ``grey1``, started at ``guess``: ``(M, 2), (M,)``."""
    found, status, _ = cv2.calcOpticalFlowPyrLK(
        grey0, grey1, points.reshape(-1, 1, 2).astype(np.float32), guess.reshape(-1, 1, 2).astype(np.float32).copy(),
        winSize=_WINDOW, maxLevel=1, criteria=_CRITERIA, flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
    )  # fmt: skip
    return found.reshape(-1, 2), status.reshape(-1).astype(bool)


def _carry(points: np.ndarray, maps: tuple[np.ndarray, ...], greys: tuple[np.ndarray, np.ndarray], tolerance: float):
    """Points of one frame in the next, and which of them passed the checks (see the module docstring)."""
    to0, to1, disagreement = maps
    height, width = disagreement.shape
    middle = points.copy()
    for _ in range(_INVERSION_STEPS):  # solve to0(middle) = points
        middle = middle + (points - _sample(to0, middle))
        middle[:, 0] = middle[:, 0].clip(0, width - 1)
        middle[:, 1] = middle[:, 1].clip(0, height - 1)
    residual = np.linalg.norm(_sample(to0, middle) - points, axis=-1)
    guess = _sample(to1, middle)
    moved, ok_forward = _lucas_kanade(greys[0], greys[1], points, guess)
    back, ok_backward = _lucas_kanade(greys[1], greys[0], moved, points)
    round_trip = np.linalg.norm(back - points, axis=-1)
    inside = (moved[:, 0] >= 0) & (moved[:, 0] <= width - 1) & (moved[:, 1] >= 0) & (moved[:, 1] <= height - 1)
    ok = residual <= tolerance / 2
    ok &= (_sample(disagreement, middle) <= tolerance) & ok_forward & ok_backward & (round_trip <= tolerance / 2)
    ok &= inside & (
        np.linalg.norm(moved - guess, axis=-1) <= 2 * tolerance + 0.5 * np.linalg.norm(guess - points, axis=-1)
    )
    return moved, ok


@torch.inference_mode()
def track_clip(
    engine: object, clip: torch.Tensor, points: np.ndarray, tolerance: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Track ``points (M, 2)`` of frame 0 through ``clip (F, 3, H, W)`` in [0, 1] with a flow ``engine`` (one with
    ``correspondence_maps``).

    Returns:
        ``(tracks (M, F, 2) float32, consistent (M,) bool)``: every point's positions, and whether it passed the
        checks at every pair (inconsistent tracks are kept in place from where they failed on).
    """
    check_shape(clip, "F 3 H W", "clip")
    frames, _, height, width = clip.shape
    alignment = identity_alignment(width, height)
    tracks = np.zeros((len(points), frames, 2), np.float32)
    tracks[:, 0] = points
    consistent = np.ones(len(points), bool)
    greys = [_grey(frame) for frame in clip]
    for k in range(frames - 1):
        to0, to1, disagreement = engine.correspondence_maps(clip[k : k + 1], clip[k + 1 : k + 2], alignment, 0.5)
        maps = (to0, to1, disagreement.astype(np.float32))
        moved, ok = _carry(tracks[:, k], maps, (greys[k], greys[k + 1]), tolerance)
        consistent &= ok
        tracks[:, k + 1] = np.where(consistent[:, None], moved, tracks[:, k])
    return tracks, consistent


def sample_points(
    tracks: torch.Tensor, low: int, high: int, min_motion: float, generator: torch.Generator
) -> torch.Tensor:
    """``low..high`` tracks of ``tracks (M, F, 2)``, drawn among those that move at least ``min_motion`` px (all,
    when none does), as the paper samples 1 to 10 per clip: ``(N, F, 2)`` (N = 0 when M = 0)."""
    count = int(torch.randint(low, high + 1, (), generator=generator))
    if len(tracks) == 0:
        return tracks[:0]
    motion = (tracks - tracks[:, :1]).norm(dim=-1).amax(1)
    pool = torch.nonzero(motion >= min_motion).flatten()
    if len(pool) == 0:
        pool = torch.arange(len(tracks))
    chosen = pool[torch.randperm(len(pool), generator=generator)[:count]]
    return tracks[chosen.sort().values]


class FlowTracker:
    """``tracker(clip, key)``: the consistent tracks of a clip ``(M, F, 2)`` float32 tensor, from the cache at
    ``cache_dir/<key>.npy`` or computed (then cached). The flow engine is made on first use, in each process."""

    def __init__(self, cache_dir: str | os.PathLike, spacing: int = 16, tolerance: float = 1.0,
                 model: str | None = None, device: str = "cpu", threads: int | None = 1) -> None:  # fmt: skip
        self.cache_dir, self.spacing, self.tolerance = Path(cache_dir), spacing, tolerance
        self.model, self.device, self.threads = model, device, threads
        self._engine = None
        self.computed = 0

    def engine(self) -> object:
        if self._engine is None:
            from framer.engines import create_engine

            self._engine = create_engine("flow", model=self.model, device=self.device, threads=self.threads)
        return self._engine

    def __call__(self, clip: torch.Tensor, key: str) -> torch.Tensor:
        path = self.cache_dir / f"{key}.npy"
        if path.is_file():
            try:
                return torch.from_numpy(np.load(path))
            except (OSError, ValueError):
                logger.warning("Track cache %s is damaged; tracking the clip again", path)
        height, width = clip.shape[-2:]
        tracks, consistent = track_clip(self.engine(), clip, grid_points(width, height, self.spacing), self.tolerance)
        kept = np.ascontiguousarray(tracks[consistent])
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        np.save(temp, kept)
        os.replace(temp, path)
        self.computed += 1
        return torch.from_numpy(kept)
