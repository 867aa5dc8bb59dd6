"""Input checks shared by the metrics: two batches of RGB images ``(B, 3, H, W)`` float in [0, 1]."""

from __future__ import annotations

import torch

from framer.checks import check_shape
from framer.errors import InputError, ShapeError

__all__ = ["check_image_pair", "check_images", "work_dtype"]


def check_images(x: torch.Tensor, name: str, min_size: int = 1) -> None:
    """Check ``x`` is a non-empty ``(B, 3, H, W)`` float tensor in [0, 1] with H and W >= ``min_size``.

    Raises:
        ShapeError: wrong rank or channel count, an empty batch, or too small images.
        InputError: not a tensor, not floating point, or values outside [0, 1] (NaN included).
    """
    if not isinstance(x, torch.Tensor):
        raise InputError(f"`{name}` must be a torch.Tensor of shape (B, 3, H, W) but is a {type(x).__name__}.")
    check_shape(x, "B 3 H W", name)
    batch, _, height, width = x.shape
    if batch == 0:
        raise ShapeError(f"`{name}` must hold at least one image but the batch is empty.")
    if min(height, width) < min_size:
        raise ShapeError(
            f"`{name}` must be at least {min_size}x{min_size} pixels for this metric but is {width}x{height}."
        )
    if not x.is_floating_point():
        raise InputError(f"`{name}` must be floating point in [0, 1] but has dtype {x.dtype}.")
    low, high = torch.aminmax(x.detach())
    if not (low >= 0 and high <= 1):  # False for NaN too
        raise InputError(f"`{name}` must hold values in [0, 1] but ranges over [{low.item():g}, {high.item():g}].")


def check_image_pair(pred: torch.Tensor, target: torch.Tensor, min_size: int = 1) -> None:
    """Check ``pred`` and ``target`` are same-shaped images as :func:`check_images` requires."""
    for name, x in (("pred", pred), ("target", target)):
        if not isinstance(x, torch.Tensor):
            raise InputError(f"`{name}` must be a torch.Tensor of shape (B, 3, H, W) but is a {type(x).__name__}.")
        check_shape(x, "B 3 H W", name)
    if pred.shape != target.shape:
        raise ShapeError(
            f"`pred` and `target` must have the same shape but have {tuple(pred.shape)} and {tuple(target.shape)}."
        )
    check_images(pred, "pred", min_size)
    check_images(target, "target", min_size)


def work_dtype(x: torch.Tensor) -> torch.dtype:
    """Precision to accumulate statistics in: float64 where the device has it (MPS has not), else float32."""
    return torch.float32 if x.device.type == "mps" else torch.float64
