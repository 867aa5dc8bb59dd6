"""DISTS (Ding et al., TPAMI 2020): structure and texture similarity of VGG16 features; matches ``DISTS_pytorch``.

The image itself and five VGG16 stages (max pooling replaced by :class:`~framer.metrics._backbones.L2Pool2d`)
are compared channel by channel through their global means (texture) and their global covariance (structure);
the learned weights ``alpha`` and ``beta`` (1475 = 3 + 64 + 128 + 256 + 512 + 512 channels each) mix the two,
and the distance is one minus the weighted similarity. Images are used at the size given: the official command
line tool shrinks images whose short side exceeds 256 pixels to 256 first, the network does not, nor does this.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from framer.device import resolve_device
from framer.errors import WeightsError
from framer.metrics._backbones import VGG16Features, load_flax_convs
from framer.metrics._checks import check_image_pair
from framer.metrics._weights import load_numpy_pickle, resolve_metric_weights
from framer.metrics.zoo import DISTS_ALPHA_BETA, VGG16_IMAGENET
from framer.weights import load_state_dict

__all__ = ["DISTS", "dists", "load_dists"]

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
_C1 = 1e-6
_C2 = 1e-6


class DISTS(nn.Module):
    """The DISTS network (randomly initialized; :func:`load_dists` gives it its weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = VGG16Features(pool="l2")
        self.channels = (3, *self.backbone.channels)
        total = sum(self.channels)
        self.register_buffer("alpha", torch.full((1, total, 1, 1), 0.1))
        self.register_buffer("beta", torch.full((1, total, 1, 1), 0.1))
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Distance of each image pair (differentiable).

        Args:
            pred: ``(B, 3, H, W)`` float in [0, 1].
            target: ``(B, 3, H, W)`` float in [0, 1].

        Returns:
            ``(B,)`` DISTS distance (0 for identical images).
        """
        check_image_pair(pred, target)
        batch = pred.shape[0]
        # [B, 3, H, W] x 2 -> [2B, 3, H, W]: one backbone pass for both images.
        images = torch.cat([pred, target]).to(self.mean.dtype)
        features = [images, *self.backbone((images - self.mean) / self.std)]
        norm = self.alpha.sum() + self.beta.sum()
        alphas = torch.split(self.alpha / norm, self.channels, dim=1)
        betas = torch.split(self.beta / norm, self.channels, dim=1)
        similarity = images.new_zeros(batch)
        for feature, alpha, beta in zip(features, alphas, betas, strict=True):
            x, y = feature[:batch], feature[batch:]
            # [B, C, h, w] -> [B, C, 1, 1] global statistics per channel
            mean_x, mean_y = x.mean(dim=(2, 3), keepdim=True), y.mean(dim=(2, 3), keepdim=True)
            var_x = (x - mean_x).square().mean(dim=(2, 3), keepdim=True)
            var_y = (y - mean_y).square().mean(dim=(2, 3), keepdim=True)
            cov = (x * y).mean(dim=(2, 3), keepdim=True) - mean_x * mean_y
            texture = (2 * mean_x * mean_y + _C1) / (mean_x.square() + mean_y.square() + _C1)
            structure = (2 * cov + _C2) / (var_x + var_y + _C2)
            similarity = similarity + (alpha * texture + beta * structure).sum(dim=(1, 2, 3))
        return 1 - similarity


def load_dists(device: str | torch.device | None = "cpu", download: bool = True) -> DISTS:
    """A DISTS network with the official weights, in eval mode, frozen, on ``device`` (fetched once, cached)."""
    model = DISTS()
    params = load_numpy_pickle(resolve_metric_weights(VGG16_IMAGENET, download=download))
    load_flax_convs(model.backbone.convs(), params, "VGG16_0")
    path = resolve_metric_weights(DISTS_ALPHA_BETA, download=download)
    state = load_state_dict(path)
    if set(state) != {"alpha", "beta"} or any(state[k].shape != getattr(model, k).shape for k in state):
        raise WeightsError(f"{path} does not hold DISTS' alpha and beta of shape {tuple(model.alpha.shape)}.")
    with torch.no_grad():
        model.alpha.copy_(state["alpha"])
        model.beta.copy_(state["beta"])
    return model.eval().requires_grad_(False).to(resolve_device(device))


@functools.lru_cache(maxsize=2)
def _cached_model(device: str) -> DISTS:
    return load_dists(device)


@torch.no_grad()
def dists(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """DISTS distance of each image of ``pred`` to ``target``, on ``pred``'s device (model loaded once, kept).

    Args:
        pred: ``(B, 3, H, W)`` float in [0, 1].
        target: ``(B, 3, H, W)`` float in [0, 1].

    Returns:
        ``(B,)`` distances in the dtype of ``pred`` (computed in float32).
    """
    check_image_pair(pred, target)
    return _cached_model(str(pred.device))(pred, target).to(pred.dtype)
