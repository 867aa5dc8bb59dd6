"""Exposure and white balance of time-lapse stills: matched before interpolation, restored after.

A still's colours are mapped onto its neighbour's by a per-channel gain and offset fitted on their quantiles (the
distributions of the two frames, so small camera motion does not disturb the fit, and clipped tails are left out).
The network then sees one exposure; each in-between gets back the colours of its time by interpolating the two
stills' transforms in t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IDENTITY", "ColourTransform", "fit_colour", "match_pair"]

_QUANTILES = np.linspace(0.02, 0.98, 49)
_CLIPPED = 1.0 / 255.0  # quantiles this close to 0 or 1 are clipped, not measured
_GAIN_RANGE = (0.2, 5.0)


@dataclass(frozen=True)
class ColourTransform:
    """``gain * image + offset`` per channel; ``gain`` and ``offset`` are ``(3,)`` float64, images float in [0, 1]."""

    gain: np.ndarray
    offset: np.ndarray

    def apply(self, image: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` float -> ``(H, W, 3)`` float32 (not clipped: the caller decides)."""
        return (image * self.gain + self.offset).astype(np.float32)

    def inverse(self) -> ColourTransform:
        return ColourTransform(1.0 / self.gain, -self.offset / self.gain)

    def lerp(self, other: ColourTransform, t: float) -> ColourTransform:
        """The transform a fraction ``t`` of the way to ``other`` (linear in gain and offset, as exposure is)."""
        return ColourTransform(
            self.gain + t * (other.gain - self.gain), self.offset + t * (other.offset - self.offset)
        )

    @property
    def brightness(self) -> float:
        """Mean gain: above 1 the transform brightens."""
        return float(self.gain.mean())


IDENTITY = ColourTransform(np.ones(3), np.zeros(3))


def _fit_channel(source: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Gain and offset taking ``source``'s quantiles to ``target``'s (least squares on the unclipped ones)."""
    qs, qt = np.quantile(source, _QUANTILES), np.quantile(target, _QUANTILES)
    keep = (qs > _CLIPPED) & (qs < 1 - _CLIPPED) & (qt > _CLIPPED) & (qt < 1 - _CLIPPED)
    if keep.sum() < 5 or np.ptp(qs[keep]) < 0.02:  # (nearly) flat or clipped: only the level can be matched
        return 1.0, float(np.mean(qt) - np.mean(qs))
    gain, _ = np.polyfit(qs[keep], qt[keep], 1)
    gain = float(np.clip(gain, *_GAIN_RANGE))
    return gain, float(np.mean(qt[keep]) - gain * np.mean(qs[keep]))


def fit_colour(source: np.ndarray, target: np.ndarray) -> ColourTransform:
    """The per-channel gain and offset mapping the colours of ``source`` onto those of ``target``.

    Args:
        source, target: ``(H, W, 3)`` float in [0, 1] (any sizes: only their distributions are compared).
    """
    fits = [_fit_channel(source[..., c].ravel(), target[..., c].ravel()) for c in range(3)]
    return ColourTransform(np.array([f[0] for f in fits]), np.array([f[1] for f in fits]))


def match_pair(image0: np.ndarray, image1: np.ndarray) -> tuple[ColourTransform, ColourTransform]:
    """Transforms ``(m0, m1)`` that give the pair one exposure: the brighter still is mapped onto the darker one
    (so nothing is pushed past white and clipped), the other is kept (identity)."""
    to0 = fit_colour(image1, image0)
    if to0.brightness <= 1.0:
        return IDENTITY, to0
    return fit_colour(image0, image1), IDENTITY
