"""Synthetic clips with static overlays over a panning textured background, and their true in-betweens.

Four kinds (``OVERLAY_KINDS``): ``logo`` (sharp opaque text), ``watermark`` (text blended at a constant alpha),
``hud`` (an opaque bar whose numbers change every 10 frames) and ``subtitles`` (outlined text that appears and
disappears). The background moves ``speed`` pixels per frame to the left (an even number, so the true in-between
at t = 0.5 is an exact crop); the overlay at an in-between is the nearest source frame's (``t < 0.5``: the earlier).

Frames are ``(H, W, 3)`` uint8 RGB; alpha maps ``(H, W)`` float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from framer.synthetic.textures import background_texture

__all__ = ["OVERLAY_KINDS", "OverlayClip", "make_overlay_clip"]

OVERLAY_KINDS = ("logo", "watermark", "hud", "subtitles")
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True, eq=False)
class OverlayClip:
    """A clip of ``num_frames`` frames, its background world, and each frame's overlay.

    Attributes:
        kind: one of :data:`OVERLAY_KINDS`.
        world: ``(H, W + speed * num_frames, 3)`` float32 background the frames are crops of.
        overlays: per source frame, ``(rgb (H, W, 3) float32, alpha (H, W) float32)``.
        speed: background motion in pixels per frame.
    """

    kind: str
    world: np.ndarray
    overlays: list[tuple[np.ndarray, np.ndarray]]
    speed: int
    width: int

    @property
    def num_frames(self) -> int:
        return len(self.overlays)

    def render(self, position: float, state: int) -> np.ndarray:
        """The frame with the background at frame time ``position`` and the overlay of source frame ``state``."""
        offset = round(self.speed * position)
        background = self.world[:, offset : offset + self.width]
        rgb, alpha = self.overlays[state]
        return np.clip(alpha[:, :, None] * rgb + (1 - alpha[:, :, None]) * background + 0.5, 0, 255).astype(np.uint8)

    def frames(self) -> np.ndarray:
        """``(N, H, W, 3)`` uint8 source frames."""
        return np.stack([self.render(k, k) for k in range(self.num_frames)])

    def truth(self, k: int, t: float) -> tuple[np.ndarray, np.ndarray]:
        """The true in-between at time ``t`` of the gap ``k -> k + 1``, and its overlay alpha ``(H, W)``."""
        state = k if t < 0.5 else k + 1
        return self.render(k + t, state), self.overlays[state][1]

    def overlay_area(self) -> np.ndarray:
        """``(H, W)`` bool: pixels any frame's overlay touches."""
        return np.any([alpha > 0 for _, alpha in self.overlays], axis=0)


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float, thickness: int, outline: int) -> None:
    """Draw sharp (not anti-aliased) text into ``canvas`` ``(H, W)`` uint8 (255: text, 128: its outline)."""
    if outline:
        cv2.putText(canvas, text, origin, _FONT, scale, 128, thickness + 2 * outline, cv2.LINE_8)
    cv2.putText(canvas, text, origin, _FONT, scale, 255, thickness, cv2.LINE_8)


def _overlay(kind: str, k: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    canvas = np.zeros((height, width), np.uint8)
    unit = height / 160
    if kind == "logo":
        _text(canvas, "framer TV", (int(width * 0.55), int(24 * unit)), 0.6 * unit, max(1, round(2 * unit)), 1)
        alpha = (canvas > 0).astype(np.float32)
    elif kind == "watermark":
        _text(canvas, "SAMPLE", (int(width * 0.18), int(height * 0.6)), 1.6 * unit, max(2, round(4 * unit)), 0)
        alpha = (canvas > 0).astype(np.float32) * 0.45
    elif kind == "hud":
        bar = int(22 * unit)
        canvas[height - bar :] = 60
        score, clock = 120 + 7 * (k // 10), 15 + k // 10
        _text(canvas, f"SCORE {score:05d}  TIME 0:{clock:02d}", (6, height - int(6 * unit)), 0.5 * unit, 1, 0)
        alpha = (canvas > 0).astype(np.float32)
    elif kind == "subtitles":
        line = {range(4, 12): "Where are we going?", range(16, 24): "Somewhere warm."}
        for frames, text in line.items():
            if k in frames:
                _text(canvas, text, (int(width * 0.12), height - int(14 * unit)), 0.6 * unit, max(1, round(unit)), 2)
        alpha = (canvas > 0).astype(np.float32)
    else:
        raise ValueError(f"`kind` must be one of {', '.join(OVERLAY_KINDS)} but is {kind!r}.")
    rgb = np.empty((height, width, 3), np.float32)
    rgb[:] = np.where(canvas[:, :, None] == 128, 0.0, 240.0)  # white text, black outline
    rgb[canvas == 60] = (30.0, 40.0, 70.0)  # the HUD bar
    return rgb, alpha


def make_overlay_clip(
    kind: str, width: int = 256, height: int = 160, num_frames: int = 28, speed: int = 24, seed: int = 0
) -> OverlayClip:  # fmt: skip
    """A clip of ``kind`` (see :data:`OVERLAY_KINDS`): background panning ``speed`` px per frame (even)."""
    if speed % 2:
        raise ValueError(f"`speed` must be even (exact in-betweens at t = 0.5) but is {speed}.")
    rng = np.random.default_rng(seed)
    world = background_texture(rng, width + speed * num_frames, height)
    overlays = [_overlay(kind, k, width, height) for k in range(num_frames)]
    return OverlayClip(kind=kind, world=world, overlays=overlays, speed=speed, width=width)
