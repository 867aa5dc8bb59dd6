"""How far an in-between can be trusted, from the signals an engine has while making it (pure, batched tensors).

Each signal is turned into an *expected squared error* per frame ``(B,)`` in [0, 1] intensity units (an MSE), so
signals of different engines read alike; :func:`confidence_from_error` maps it to a confidence in [0, 1] through the
PSNR it predicts.

- :func:`flow_error` (flow engines): the two keyframes warped to time t by the network's own flows should show the
  same picture; how far they disagree (mean absolute difference), how far the keyframes differ at all (mean squared
  difference) and where t lies between them predict the frame's error. The position enters as ``t (1 - t)``: if the
  true path strays from the straight one the network assumes like a random walk pinned at both keyframes, its
  variance, and so the squared error, is proportional to ``t (1 - t)`` (frames near a keyframe are easier). Fitted by
  least squares of log MSE on the logs of the three signals, slopes within each set (only the ranking inside a clip
  is wanted from them) and the scale over all (``benchmarks/confidence.py --fit``), on RubberWhale and windows of the
  three shared videos that the benchmark does not test. Added to these, none of: the disagreement weighted by where
  the fusion mask uses both sides or measured on a low-pass image, the occlusion share, flow magnitude,
  forward-backward consistency, the flows' departure from a straight path, a texture or noise-floor term, or the
  network's disagreement with itself on the swapped pair or at half resolution ranked both the calibration and the
  held-out clips better.
- :func:`keyframe_support` (any engine): each pixel of the in-between should be found in one of the keyframes nearby.

Convention: frames ``(B, C, H, W)`` float in [0, 1] (C >= 3, the first three RGB); flows as :mod:`framer.ops.warp`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from framer.ops.warp import backward_warp

__all__ = [
    "FLOW_ERROR_FIT",
    "MIDPOINT_DB",
    "SPREAD_DB",
    "confidence_from_error",
    "flow_error",
    "flow_signals",
    "keyframe_support",
    "predicted_psnr",
]

# log(MSE) = log_scale + disagreement * log(mean |warp0 - warp1|) + change * log(mean (frame0 - frame1)^2)
#            + position * log(t (1 - t))
FLOW_ERROR_FIT = {"log_scale": 1.88, "disagreement": 0.55, "change": 0.94, "position": 1.39}
# confidence = sigmoid((predicted PSNR - MIDPOINT_DB) / SPREAD_DB): 0.5 at MIDPOINT_DB.
MIDPOINT_DB = 24.0
SPREAD_DB = 3.0
_EPS = 1e-10
_MIN_POSITION = 1e-3  # t (1 - t) for t within 0.001 of a keyframe


def flow_signals(frame0: torch.Tensor, frame1: torch.Tensor, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A flow network's two signals about its in-between at t.

    Args:
        frame0, frame1: ``(B, C, H, W)`` the keyframes the network saw.
        flow: ``(B, 4, H, W)`` pixels, from the frame at t: channels 0-1 into ``frame0``, 2-3 into ``frame1``.

    Returns:
        ``(disagreement, change)``, each ``(B,)``: the mean absolute difference of the two keyframes warped to t
        (RGB), and the mean squared difference of the keyframes themselves.
    """
    batch = frame0.shape[0]
    rgb0, rgb1 = frame0[:, :3].float(), frame1[:, :3].float()
    warped = backward_warp(torch.cat((rgb0, rgb1), 0), torch.cat((flow[:, :2], flow[:, 2:4]), 0).float())
    disagreement = (warped[:batch] - warped[batch:]).abs().flatten(1).mean(1)
    change = (rgb0 - rgb1).square().flatten(1).mean(1)
    return disagreement, change


def flow_error(
    frame0: torch.Tensor, frame1: torch.Tensor, flow: torch.Tensor, t: float | torch.Tensor
) -> torch.Tensor:
    """Expected squared error ``(B,)`` of a flow network's in-between at time ``t`` (a float or ``(B,)``), from
    :func:`flow_signals` and ``t (1 - t)`` (see the module docstring for the fit); other arguments as
    :func:`flow_signals`."""
    disagreement, change = flow_signals(frame0, frame1, flow)
    t = torch.as_tensor(t, dtype=torch.float32, device=disagreement.device)
    position = (t * (1.0 - t)).clamp_min(_MIN_POSITION).expand_as(disagreement)
    fit = FLOW_ERROR_FIT
    log_error = (
        fit["log_scale"]
        + fit["disagreement"] * disagreement.clamp_min(_EPS).log()
        + fit["change"] * change.clamp_min(_EPS).log()
        + fit["position"] * position.log()
    )
    return log_error.clamp(max=0.0).exp()  # an MSE of images in [0, 1] is at most 1


def keyframe_support(frame: torch.Tensor, frame0: torch.Tensor, frame1: torch.Tensor, reach: int = 8) -> torch.Tensor:
    """Expected squared error of an in-between from how well its content is found in the keyframes nearby.

    All three frames are smoothed and subsampled to a grid of ``reach / 2`` pixels; each cell of ``frame`` is
    compared with the cells of both keyframes up to ``reach`` pixels away and the closest counts. Content found in
    neither keyframe nearby (the ghosts of a cross-fade, invented detail, motion beyond ``reach``) scores high.
    Needs nothing from an engine but its frame.

    Args:
        frame, frame0, frame1: ``(B, C, H, W)``.
        reach: how far content may have moved, in pixels (at least 2).

    Returns:
        ``(B,)`` the mean over cells of the smallest squared difference (mean over RGB).
    """
    step = max(1, min(reach // 2, frame.shape[-2] // 8, frame.shape[-1] // 8))
    small, small0, small1 = (_smooth(x[:, :3].float(), step) for x in (frame, frame0, frame1))
    height, width = small.shape[-2:]
    best = None
    for source in (small0, small1):
        padded = F.pad(source, (2, 2, 2, 2), mode="replicate")
        for dy in range(5):
            for dx in range(5):
                squared = (small - padded[..., dy : dy + height, dx : dx + width]).square().mean(1)
                best = squared if best is None else torch.minimum(best, squared)
    assert best is not None
    return best.flatten(1).mean(1)


def _smooth(frame: torch.Tensor, step: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> means over ``step``-pixel cells, then over 3 x 3 cells: ``(B, C, ~H / step, ~W / step)``."""
    cells = F.avg_pool2d(frame, step, ceil_mode=True)
    return F.avg_pool2d(F.pad(cells, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def predicted_psnr(error: torch.Tensor) -> torch.Tensor:
    """``(B,)`` expected squared errors -> the PSNR (dB, peak 1) they predict."""
    return -10.0 * torch.log10(error.clamp_min(_EPS))


def confidence_from_error(
    error: torch.Tensor, midpoint_db: float = MIDPOINT_DB, spread_db: float = SPREAD_DB
) -> torch.Tensor:
    """``(B,)`` expected squared errors -> confidences in [0, 1]: a logistic of the predicted PSNR.

    0.5 at ``midpoint_db``; ``spread_db`` sets how fast it rises (0.73 at ``midpoint + spread``, 0.95 at
    ``midpoint + 3 spread``).
    """
    return torch.sigmoid((predicted_psnr(error) - midpoint_db) / spread_db)
