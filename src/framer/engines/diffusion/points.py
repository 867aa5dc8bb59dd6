"""Point updating during denoising (the release's DragGAN-style rule, its ``sift_match.point_tracking``): move the
autopilot's in-between points to where the UNet's decoder features say the keyframe content is, then refit each
trajectory through the accepted points.

The features (up block 2, mixed from the guided and unguided branches with each frame's guidance scale; the
pipeline mixes them) are upsampled bilinearly (``align_corners=False``) to the full image. For every point and
in-between frame ``k`` a forward pass searches the whole pixels within ``radius`` of the point's current position
(truncated to whole pixels, window clipped to the image) for the one whose feature is nearest (L1) to frame 0's
feature at the keyframe point (truncated); a backward pass does the same with the last frame. An update is
accepted where the two agree within ``tolerance`` pixels (strictly); their mean becomes the point's anchor in that
frame. Each trajectory is then a monotone cubic (PCHIP) in time ``k / (F - 1)`` through its anchors, the keyframe
points always among them.

The full upsampled map (640 channels at 512x320, 14 frames: ~4.6 GB in float32) is never built: only the
candidate pixels are computed, with PyTorch's bilinear formula (:func:`upsampled_at`). Unlike the release, which
never redraws the ControlNet's heatmaps after an update (so its updates reach nothing), the pipeline redraws them
before the next step. A keyframe point off the image (the release would index out of range) is clamped into it.
"""

from __future__ import annotations

import numpy as np
import torch

from framer.trajectory.model import Trajectory

__all__ = ["match_keyframes", "refit_tracks", "update_points", "upsampled_at"]


def _source_index(out: torch.Tensor, size_in: int, size_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PyTorch's bilinear source indices and weight (``align_corners=False``) for output indices ``out`` (long)."""
    scale = torch.tensor(size_in, dtype=torch.float32) / size_out
    real = (scale * (out.float() + 0.5) - 0.5).clamp(min=0)
    low = real.long().clamp(max=size_in - 1)
    weight = (real - low).clamp(0, 1)
    high = torch.where(low < size_in - 1, low + 1, low)
    return low, high, weight


def upsampled_at(
    features: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, size: tuple[int, int]
) -> torch.Tensor:
    """Values of ``F.interpolate(features[None], size, mode="bilinear", align_corners=False)[0]`` at whole pixels.

    Args:
        features: ``(C, h, w)``.
        rows, cols: long pixel indices of one shape ``S`` (inside the ``size`` image).
        size: ``(height, width)`` of the upsampled image.

    Returns:
        ``(C, *S)``, equal to upsampling then indexing (to float rounding), without building the upsampled map.
    """
    (_, h, w), (height, width) = features.shape, size
    y0, y1, wy = _source_index(rows, h, height)
    x0, x1, wx = _source_index(cols, w, width)
    wy, wx = wy.to(features.dtype), wx.to(features.dtype)
    top = (1 - wx) * features[:, y0, x0] + wx * features[:, y0, x1]
    bottom = (1 - wx) * features[:, y1, x0] + wx * features[:, y1, x1]
    return (1 - wy) * top + wy * bottom


def _nearest(
    features: torch.Tensor, reference: torch.Tensor, guess: torch.Tensor, radius: int, size: tuple[int, int]
) -> torch.Tensor:
    """Per point, the whole pixel within ``radius`` of ``guess (N, 2)`` (truncated) whose upsampled feature is
    nearest (L1) to ``reference (C, N)``; ties go to the first in row-major order. Returns ``(N, 2)`` xy float."""
    height, width = size
    span = torch.arange(-radius, radius + 1, device=guess.device)
    # (N, K, K) candidate rows and columns around the truncated guess; those off the image are masked out
    rows = guess[:, 1].long()[:, None, None] + span[None, :, None]
    cols = guess[:, 0].long()[:, None, None] + span[None, None, :]
    rows, cols = torch.broadcast_tensors(rows, cols)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    values = upsampled_at(features, rows.clamp(0, height - 1), cols.clamp(0, width - 1), size)  # (C, N, K, K)
    distance = (values - reference[:, :, None, None]).abs().sum(0).masked_fill(~inside, float("inf"))
    best = distance.flatten(1).argmin(1)  # row-major: the release's order within its clipped window
    index = torch.arange(len(guess), device=guess.device)
    return torch.stack((cols.flatten(1)[index, best], rows.flatten(1)[index, best]), -1).to(guess.dtype)


def match_keyframes(
    features: torch.Tensor, tracks: torch.Tensor, radius: int = 5, size: tuple[int, int] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward and backward matches of the in-between points (module docstring).

    Args:
        features: ``(F, C, h, w)`` decoder features of one clip (already mixed across the guidance branches).
        tracks: ``(N, F, 2)`` current xy pixels of the ``size`` image.
        radius: search radius in image pixels.
        size: ``(height, width)`` of the image the pixels refer to; None: the feature grid's size.

    Returns:
        ``forward, backward (N, F, 2)``: whole-pixel matches to frame 0's and the last frame's keyframe feature;
        the keyframes keep their points.
    """
    frames = tracks.shape[1]
    height, width = size if size is not None else features.shape[-2:]
    tracks = tracks.float()
    limit = torch.tensor([width - 1, height - 1], device=tracks.device)

    def keyframe_feature(k: int) -> torch.Tensor:  # (C, N) at the truncated keyframe point
        point = torch.minimum(tracks[:, k].long().clamp(min=0), limit)
        return upsampled_at(features[k], point[:, 1], point[:, 0], (height, width))

    forward, backward = tracks.clone(), tracks.clone()
    start, end = keyframe_feature(0), keyframe_feature(frames - 1)
    for k in range(1, frames - 1):
        guess = torch.minimum(tracks[:, k].clamp(min=0), limit)  # a point off the image searches from its edge
        forward[:, k] = _nearest(features[k], start, guess, radius, (height, width))
        backward[:, k] = _nearest(features[k], end, guess, radius, (height, width))
    return forward, backward


def update_points(
    features: torch.Tensor,
    tracks: torch.Tensor,
    radius: int = 5,
    tolerance: float = 2.0,
    size: tuple[int, int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The release's point update (module docstring): forward-backward matching of the in-between points.

    Args:
        features: ``(F, C, h, w)`` decoder features of one clip, mixed across the guidance branches.
        tracks: ``(N, F, 2)`` current xy pixels.
        radius: search radius in image pixels (the release: 5).
        tolerance: forward and backward must lie closer than this (px) for an update to be accepted.
        size: ``(height, width)`` of the image the pixels refer to; None: the feature grid's size.

    Returns:
        ``positions (N, F, 2)`` (the agreed positions; elsewhere, and at the keyframes, ``tracks``) and
        ``accepted (N, F)`` bool, on the device of ``tracks``.
    """
    forward, backward = match_keyframes(features.float(), tracks.to(features.device), radius, size)
    accepted = (forward - backward).norm(dim=-1) < tolerance
    accepted[:, 0] = accepted[:, -1] = False
    positions = torch.where(accepted[..., None], (forward + backward) / 2, tracks.to(forward.device).float())
    return positions.to(tracks.device), accepted.to(tracks.device)


def refit_tracks(anchors: torch.Tensor, anchored: torch.Tensor) -> torch.Tensor:
    """Monotone cubic (PCHIP) through each trajectory's anchored frames, sampled at every frame.

    Args:
        anchors: ``(N, F, 2)`` xy pixels; ``anchored (N, F)`` bool marks the frames that hold a known point (the
            first and last frame are always taken as known).

    Returns:
        ``(N, F, 2)`` on the device and dtype of ``anchors``.
    """
    frames = anchors.shape[1]
    times = np.linspace(0.0, 1.0, frames)
    known = anchored.detach().cpu().numpy().copy()
    known[:, 0] = known[:, -1] = True
    points = anchors.detach().cpu().double().numpy()
    rows = [Trajectory(points[n][known[n]], times[known[n]], interpolation="monotone").sample(times) for n in
            range(len(points))]  # fmt: skip
    refit = np.stack(rows) if rows else np.zeros((0, frames, 2))
    return torch.from_numpy(refit).to(anchors.device, anchors.dtype)
