"""Synthetic cases with known truth for the applications' checks: a time-lapse (a scene seen by a jittering camera
under an exposure ramp; the scene may be a real photograph) and clips to loop (an object orbiting, a camera
panning, a swing)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["LOOP_CASES", "SyntheticTimelapse", "exposure_ramp", "loop_clip", "textured_scene"]

_BORDER = 12  # the scene is this much larger on each side than the stills: jitter never shows its edge


def textured_scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A textured scene ``(height, width, 3)`` float32 in [0, 1]: smooth colour noise at two scales plus discs."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.random((height // 16 + 2, width // 16 + 2, 3)).astype(np.float32), (width, height),
                        interpolation=cv2.INTER_CUBIC)  # fmt: skip
    fine = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 1.5)
    scene = 0.6 * coarse + 0.4 * (fine - fine.mean()) * 4 + 0.2
    for _ in range(12):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(scene, centre, int(rng.integers(4, max(6, width // 12))), rng.random(3).tolist(), -1, cv2.LINE_AA)
    return np.clip(scene, 0.02, 0.7).astype(np.float32)  # headroom: a gain of 1.4 clips only the brightest


@dataclass(frozen=True)
class SyntheticTimelapse:
    """Stills ``(H, W, 3)`` uint8 of ``scene`` under ``gains`` (one per still) from camera offsets ``shifts``
    ``(N, 2)`` (x, y pixels); :meth:`truth` renders the scene between two stills."""

    scene: np.ndarray
    gains: np.ndarray
    shifts: np.ndarray
    size: tuple[int, int]

    def render(self, gain: float, shift: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` float32: the scene seen from ``shift`` with exposure ``gain`` (clipped like a sensor)."""
        width, height = self.size
        matrix = np.float32([[1, 0, _BORDER + shift[0]], [0, 1, _BORDER + shift[1]]])
        view = cv2.warpAffine(self.scene, matrix, (width, height), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        return np.clip(gain * view, 0.0, 1.0)

    @property
    def stills(self) -> list[np.ndarray]:
        return [
            np.round(self.render(g, s) * 255).astype(np.uint8) for g, s in zip(self.gains, self.shifts, strict=True)
        ]

    def truth(self, gap: int, t: float, static_camera: bool = False) -> np.ndarray:
        """The true frame at ``t`` between stills ``gap`` and ``gap + 1`` (float ``(H, W, 3)``): exposure linear in
        t; the camera between the two positions, or at the mean position with ``static_camera``."""
        gain = (1 - t) * self.gains[gap] + t * self.gains[gap + 1]
        shift = self.shifts.mean(0) if static_camera else (1 - t) * self.shifts[gap] + t * self.shifts[gap + 1]
        return self.render(float(gain), shift)


def exposure_ramp(num_stills: int = 6, size: tuple[int, int] = (160, 120), gains: tuple[float, float] = (0.6, 1.4),
                  jitter: tuple[float, float] = (2.0, 4.0), seed: int = 0, scene: np.ndarray | None = None
                  ) -> SyntheticTimelapse:  # fmt: skip
    """Stills of a (given or textured) scene with gains ramping over ``gains`` and camera jitter of ``jitter``
    pixels (size drawn uniformly in that range, direction random) from the first still's position.

    ``scene`` (float ``(H, W, 3)`` in [0, 1]) must be at least ``size`` plus 12 pixels on each side.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    if scene is None:
        scene = textured_scene(width + 2 * _BORDER, height + 2 * _BORDER, seed)
    lengths = rng.uniform(*jitter, num_stills)
    angles = rng.uniform(0, 2 * np.pi, num_stills)
    shifts = np.stack([lengths * np.cos(angles), lengths * np.sin(angles)], 1)
    shifts[0] = 0.0
    return SyntheticTimelapse(scene.astype(np.float32), np.linspace(*gains, num_stills), shifts, size)


LOOP_CASES = ("orbit", "pan", "swing")


def loop_clip(case: str, num_frames: int = 32, size: tuple[int, int] = (96, 64), seed: int = 0) -> list[np.ndarray]:
    """Frames ``(H, W, 3)`` uint8 of a clip that does not loop by itself.

    ``orbit``: a textured disc goes 85% of the way round a circle on a still background; ``pan``: the camera pans
    1.5 pixels a frame (the end is far from the start); ``swing``: a disc swings like a pendulum, 1.3 periods,
    dying down.
    """
    if case not in LOOP_CASES:
        raise ValueError(f"case must be one of {', '.join(LOOP_CASES)}, not {case!r}")
    width, height = size
    pan = 1.5 * num_frames if case == "pan" else 0.0
    scene = textured_scene(width + 2 * _BORDER + int(pan) + 2, height + 2 * _BORDER, seed)
    disc = textured_scene(2 * height // 5, 2 * height // 5, seed + 1)
    radius = disc.shape[0] // 2
    mask = np.zeros(disc.shape[:2], np.float32)
    cv2.circle(mask, (radius, radius), radius - 1, 1.0, -1, cv2.LINE_AA)
    frames = []
    for index in range(num_frames):
        phase = index / num_frames
        view = scene[_BORDER : _BORDER + height, :].copy()
        shift = 1.5 * index if case == "pan" else 0.0
        matrix = np.float32([[1, 0, _BORDER + shift], [0, 1, 0]])
        view = cv2.warpAffine(view, matrix, (width, height), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        if case != "pan":
            angle = (
                2 * np.pi * 0.85 * phase if case == "orbit" else (0.9 - 0.5 * phase) * np.sin(2 * np.pi * 1.3 * phase)
            )
            reach = 0.3 * min(width, height)
            centre = (
                width / 2 + reach * np.sin(angle),
                height / 2 + (reach * np.cos(angle) if case == "orbit" else 0),
            )
            place = np.float32([[1, 0, centre[0] - radius], [0, 1, centre[1] - radius]])
            layer = cv2.warpAffine(disc, place, (width, height), flags=cv2.INTER_LINEAR)
            alpha = cv2.warpAffine(mask, place, (width, height), flags=cv2.INTER_LINEAR)[..., None]
            view = alpha * (1 - layer) + (1 - alpha) * view  # the disc inverted: it stands out of the background
        frames.append(np.round(np.clip(view, 0, 1) * 255).astype(np.uint8))
    return frames
