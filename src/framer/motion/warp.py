"""Pre-aligning a keyframe pair to a time t with an alignment's sampling maps, and composing motions back.

Tensors are ``(1, C, H, W)`` float; a map ``(H, W, 2)`` holds, for each pixel of the frame at time t, where to sample
a keyframe (``(x, y)`` pixels, the centre of the top-left pixel at ``(0, 0)``); flows are target-to-source.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from framer.errors import InputError
from framer.ops.warp import backward_warp

__all__ = ["SAMPLINGS", "compose_flow", "compose_frame", "warp_pair"]

_MODE = "bilinear"
SAMPLINGS = ("bilinear", "bicubic")  # the kernels compose_frame samples the keyframes with


def _sample(image: torch.Tensor, sample_map: torch.Tensor, mode: str = _MODE) -> torch.Tensor:
    """``image`` ``(1, C, H, W)`` sampled at ``sample_map`` ``(H', W', 2)`` pixels (``mode``, edge padding)."""
    height, width = image.shape[-2:]
    scale = sample_map.new_tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)])
    grid = (sample_map * scale - 1.0).unsqueeze(0).to(image.dtype)
    return F.grid_sample(image, grid, mode=mode, padding_mode="border", align_corners=True)


def _inside(sample_map: torch.Tensor, width: int, height: int, margin: float = 0.5) -> torch.Tensor:
    """``(H, W)`` bool: the map points inside the frame (up to ``margin`` px beyond the edge pixels' centres)."""
    x, y = sample_map[..., 0], sample_map[..., 1]
    return (x >= -margin) & (x <= width - 1 + margin) & (y >= -margin) & (y <= height - 1 + margin)


def warp_pair(
    frame0: torch.Tensor, frame1: torch.Tensor, map0: np.ndarray, map1: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both keyframes sampled for the frame at time t, each filled from the other where it has no content.

    Args:
        frame0, frame1: ``(1, C, H, W)`` float keyframes.
        map0, map1: ``(H, W, 2)`` from :meth:`Alignment.maps`.

    Returns:
        ``(warped0, warped1)``, ``(1, C, H, W)`` each, in the input's dtype and device.
    """
    height, width = frame0.shape[-2:]
    m0 = torch.from_numpy(np.ascontiguousarray(map0)).to(frame0.device, torch.float32)
    m1 = torch.from_numpy(np.ascontiguousarray(map1)).to(frame0.device, torch.float32)
    warped0, warped1 = _sample(frame0, m0), _sample(frame1, m1)
    inside0, inside1 = _inside(m0, width, height), _inside(m1, width, height)
    only1 = (~inside0 & inside1)[None, None]
    only0 = (inside0 & ~inside1)[None, None]
    return torch.where(only1, warped1, warped0), torch.where(only0, warped0, warped1)


def _map_tensor(sample_map: np.ndarray, device: torch.device) -> torch.Tensor:
    """``(H, W, 2)`` numpy map -> ``(1, 2, H, W)`` float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(sample_map, np.float32)).permute(2, 0, 1).unsqueeze(0).to(device)


def _follow(
    own: torch.Tensor,
    other: torch.Tensor,
    own_map: torch.Tensor,
    other_map: torch.Tensor,
    from_other: torch.Tensor,
    buffer: torch.Tensor,
    residual: torch.Tensor,
    mode: str = _MODE,
) -> torch.Tensor:
    """One pre-aligned keyframe moved by the network's residual flow, sampled once from the original keyframe (with
    the ``mode`` kernel).

    The pre-aligned buffer holds ``own`` sampled through ``own_map``, except where ``from_other`` (then ``other``
    through ``other_map``). Following the residual flow, each pixel's position in the original keyframe is the map
    sampled at ``p + residual(p)``; the keyframe is sampled there directly (one interpolation instead of two).
    Where the residual flow lands on the seam between the two sources, the buffer itself is warped.
    """
    share = backward_warp(from_other.to(residual.dtype), residual)  # (1, 1, H, W): fraction from `other`
    own_positions = backward_warp(own_map, residual)[0].permute(1, 2, 0)  # (H, W, 2)
    other_positions = backward_warp(other_map, residual)[0].permute(1, 2, 0)
    seam = backward_warp(buffer, residual)
    single = torch.where(share == 0, _sample(own, own_positions, mode), _sample(other, other_positions, mode))
    return torch.where((share == 0) | (share == 1), single, seam)


def compose_frame(
    frame0: torch.Tensor,
    frame1: torch.Tensor,
    warped0: torch.Tensor,
    warped1: torch.Tensor,
    map0: np.ndarray,
    map1: np.ndarray,
    flow: torch.Tensor,
    mask: torch.Tensor,
    sampling: str = _MODE,
) -> torch.Tensor:
    """The frame at time t from the network's output on the pair pre-aligned to t, the motions composed.

    The network's residual flows are composed with the pre-alignment maps, and each keyframe is sampled once at the
    composed positions and blended with the network's mask, as the network blends its own warps; sampling the
    pre-aligned pair again would blur fine texture a second time. ``sampling`` (:data:`SAMPLINGS`) is the kernel:
    bilinear, as the network warps, or bicubic, which keeps thin lines sharp where they land between pixels (its
    overshoot beyond [0, 1] is left to the caller to clamp).

    Args:
        frame0, frame1: ``(1, C, H, W)`` the original keyframes.
        warped0, warped1: ``(1, C, H, W)`` the pre-aligned pair from :func:`warp_pair`.
        map0, map1: ``(H, W, 2)`` the maps that made it.
        flow: ``(1, 4, H, W)`` the network's residual flows on the pre-aligned pair (channels 0-1 sample warped0,
            2-3 warped1; target to source).
        mask: ``(1, 1, H, W)`` the network's weight of warped0 in [0, 1].
        sampling: ``"bilinear"`` or ``"bicubic"`` (:attr:`framer.motion.Alignment.sampling`).

    Returns:
        ``(1, C, H, W)`` the frame at t.
    """
    height, width = frame0.shape[-2:]
    m0, m1 = _map_tensor(map0, frame0.device), _map_tensor(map1, frame0.device)
    inside0 = _inside(m0[0].permute(1, 2, 0), width, height)
    inside1 = _inside(m1[0].permute(1, 2, 0), width, height)
    from_other0 = (~inside0 & inside1)[None, None]
    from_other1 = (inside0 & ~inside1)[None, None]
    flow = flow.to(frame0.dtype)
    if sampling not in SAMPLINGS:
        raise InputError(f"`sampling` must be one of {', '.join(SAMPLINGS)}, not {sampling!r}.")
    final0 = _follow(frame0, frame1, m0, m1, from_other0, warped0, flow[:, 0:2], sampling)
    final1 = _follow(frame1, frame0, m1, m0, from_other1, warped1, flow[:, 2:4], sampling)
    return torch.lerp(final1, final0, mask.to(frame0.dtype))


def compose_flow(sample_map: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Total flow ``(H, W, 2)`` of a flow ``flow`` ``(H, W, 2)`` found on a pre-aligned frame sampled through
    ``sample_map``: pixel p's content is at ``sample_map(p + flow(p))`` in the keyframe, so the flow is that minus p.
    """
    import cv2

    height, width = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    at = cv2.remap(
        np.ascontiguousarray(sample_map, dtype=np.float32),
        xs + flow[..., 0].astype(np.float32),
        ys + flow[..., 1].astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return at - np.stack([xs, ys], axis=-1)
