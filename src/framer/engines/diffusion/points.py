"""Point updating during denoising: move the autopilot's intermediate points to where the UNet's decoder features
say the matched content is, then refit each trajectory through the accepted points.

For every point and in-between frame ``k`` a forward pass looks, within ``radius`` feature-grid cells of the
point's current position, for the position whose feature is nearest (L1) to the point's feature in frame ``k - 1``
(chained from frame 0); a backward pass does the same from the last frame. An update is accepted where the two
agree within ``tolerance`` pixels (their mean becomes the point's anchor in that frame). Each trajectory is then a
monotone cubic (PCHIP) in time through its anchors, the keyframe points always among them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from framer.trajectory.model import Trajectory

__all__ = ["refit_tracks", "sample_features", "update_points"]


def sample_features(features: torch.Tensor, points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear samples of ``features (C, h, w)`` at ``points (..., 2)`` xy pixels of a ``width x height`` frame.

    Returns:
        ``(..., C)``.
    """
    shape = points.shape[:-1]
    # pixel centres -> grid_sample's [-1, 1] (align_corners=False: -1 and 1 are the outer pixel edges)
    grid = torch.stack(((points[..., 0] + 0.5) / width * 2 - 1, (points[..., 1] + 0.5) / height * 2 - 1), -1)
    grid = grid.reshape(1, 1, -1, 2).to(features.dtype)
    sampled = F.grid_sample(features[None], grid, mode="bilinear", padding_mode="border", align_corners=False)
    return sampled[0, :, 0].transpose(0, 1).reshape(*shape, features.shape[0])


def _search(
    features: torch.Tensor, reference: torch.Tensor, guess: torch.Tensor, offsets: torch.Tensor, size: tuple[int, int]
) -> torch.Tensor:
    """Per point, the candidate ``guess + offset`` whose feature is nearest (L1) to ``reference (N, C)``."""
    height, width = size
    limit = torch.tensor([width - 1, height - 1], dtype=guess.dtype, device=guess.device)
    candidates = torch.minimum((guess[:, None] + offsets[None]).clamp(min=0), limit)  # (N, K, 2)
    distance = (sample_features(features, candidates, height, width) - reference[:, None]).abs().sum(-1)
    return candidates[torch.arange(len(guess)), distance.argmin(1)]


def update_points(
    features: torch.Tensor,
    tracks: torch.Tensor,
    radius: int = 5,
    tolerance: float = 2.0,
    size: tuple[int, int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-backward feature matching of the in-between points (see the module docstring).

    Args:
        features: ``(F, C, h, w)`` decoder features of one clip.
        tracks: ``(N, F, 2)`` current xy pixels.
        radius: search radius in feature-grid cells.
        tolerance: largest forward-backward disagreement (px) for an update to be accepted.
        size: ``(height, width)`` of the frame the pixels refer to; None: the feature grid's size.

    Returns:
        ``positions (N, F, 2)`` (the agreed positions; the keyframe points unchanged) and ``accepted (N, F)`` bool.
    """
    frames = tracks.shape[1]
    height, width = size if size is not None else features.shape[-2:]
    features = features.float()
    tracks = tracks.float()
    step = torch.tensor([width / features.shape[-1], height / features.shape[-2]], device=tracks.device)
    span = torch.arange(-radius, radius + 1, device=tracks.device, dtype=torch.float32)
    offsets = torch.stack(torch.meshgrid(span, span, indexing="xy"), -1).reshape(-1, 2) * step  # (K, 2)
    forward, backward = tracks.clone(), tracks.clone()
    for k in range(1, frames - 1):
        reference = sample_features(features[k - 1], forward[:, k - 1], height, width)
        forward[:, k] = _search(features[k], reference, tracks[:, k], offsets, (height, width))
    for k in range(frames - 2, 0, -1):
        reference = sample_features(features[k + 1], backward[:, k + 1], height, width)
        backward[:, k] = _search(features[k], reference, tracks[:, k], offsets, (height, width))
    accepted = (forward - backward).norm(dim=-1) < tolerance
    accepted[:, 0] = accepted[:, -1] = False
    positions = torch.where(accepted[..., None], (forward + backward) / 2, tracks)
    return positions, accepted


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
