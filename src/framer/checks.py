"""Input checks used at the public boundary (one helper per rule, messages name argument, rule and value)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from framer.errors import InputError, ShapeError

if TYPE_CHECKING:  # PyTorch is imported only for annotations: the CLI checks its arguments before it loads
    import torch

__all__ = ["check_frame_pair", "check_num_frames", "check_shape", "check_times"]


def check_shape(x: torch.Tensor, spec: str, name: str) -> None:
    """Check that ``x`` matches a space-separated shape spec such as ``"B 3 H W"``.

    Letters match any size, digits must match exactly, and ``C>=3`` style entries give a lower bound.
    """
    dims = spec.split()
    if x.ndim != len(dims):
        raise ShapeError(f"`{name}` must have shape ({', '.join(dims)}) but has shape {tuple(x.shape)}.")
    for size, dim in zip(x.shape, dims, strict=True):
        if dim.isdigit() and size != int(dim):
            raise ShapeError(f"`{name}` must have shape ({', '.join(dims)}) but has shape {tuple(x.shape)}.")
        if ">=" in dim and size < int(dim.split(">=")[1]):
            raise ShapeError(f"`{name}` must have shape ({', '.join(dims)}) but has shape {tuple(x.shape)}.")


def check_frame_pair(frame0: torch.Tensor, frame1: torch.Tensor) -> None:
    """Check two batched frames ``(B, C, H, W)`` (C >= 3) agree in shape and are floating point."""
    check_shape(frame0, "B C>=3 H W", "frame0")
    check_shape(frame1, "B C>=3 H W", "frame1")
    if frame0.shape != frame1.shape:
        raise ShapeError(
            f"`frame0` and `frame1` must have the same shape but have {tuple(frame0.shape)} and {tuple(frame1.shape)}."
        )
    if not (frame0.is_floating_point() and frame1.is_floating_point()):
        raise InputError(f"frames must be floating point in [0, 1] but have dtype {frame0.dtype} and {frame1.dtype}.")


def check_num_frames(num_frames: int) -> int:
    """Check the number of in-betweens per gap is an integer >= 1."""
    if isinstance(num_frames, bool) or not isinstance(num_frames, int):
        raise InputError(f"`num_frames` must be an integer >= 1 but is {num_frames!r}.")
    if num_frames < 1:
        raise InputError(f"`num_frames` must be >= 1 but is {num_frames}.")
    return num_frames


def check_times(times: Sequence[float]) -> list[float]:
    """Check in-between times are finite numbers strictly inside (0, 1); returns them as floats."""
    if len(times) == 0:
        raise InputError("`times` must hold at least one time in (0, 1) but is empty.")
    checked = []
    for t in times:
        try:
            value = float(t)
        except (TypeError, ValueError):
            raise InputError(f"`times` must hold numbers in (0, 1) but holds {t!r}.") from None
        if math.isnan(value) or not 0.0 < value < 1.0:
            raise InputError(f"`times` must lie strictly between 0 and 1 but holds {value}.")
        checked.append(value)
    return checked
