"""The flow engine's network architectures, by the name a registry entry gives (``ModelEntry.architecture``).

Every network here takes the same call (``forward(frame0, frame1, t, features0, features1, scale)`` ->
:class:`~framer.engines.flow.model.IFNetOutput`, ``encode_frames``, ``config.pad_multiple_at``), so the engine
drives them alike; what one cannot do is declared in the capabilities it is built with.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from torch import nn

from framer.engines.base import Capabilities
from framer.engines.flow import ifnet_hdv3, ifnet_v4_0
from framer.engines.flow.backends import BACKEND_CHOICES, PRECISIONS
from framer.engines.flow.model import IFNet, IFNetConfig
from framer.registry import ModelEntry

__all__ = ["ARCHITECTURES", "BuiltNetwork", "build_network"]

# v4.25 layout: every guidance the engine offers, every backend (the ONNX export knows this layout) and precision
# (its blocks take a compute dtype for their convolutions).
_IFNET_CAPABILITIES = Capabilities(
    tracks=True, alignment=True, correspondences=True, tiles=True, backends=BACKEND_CHOICES, precisions=PRECISIONS
)
_TORCH_FP32 = {"backends": ("auto", "torch"), "precisions": ("fp32",)}  # the other layouts: PyTorch, float32

ARCHITECTURES: dict[str, tuple[type[nn.Module], type, Capabilities]] = {
    "ifnet": (IFNet, IFNetConfig, _IFNET_CAPABILITIES),
    "ifnet_v4_0": (ifnet_v4_0.IFNetV4_0, ifnet_v4_0.IFNetV4_0Config, replace(ifnet_v4_0.CAPABILITIES, **_TORCH_FP32)),
    "ifnet_hdv3": (ifnet_hdv3.IFNetHDv3, ifnet_hdv3.IFNetHDv3Config, replace(ifnet_hdv3.CAPABILITIES, **_TORCH_FP32)),
}


class BuiltNetwork(NamedTuple):
    """A network built from a registry entry, with the colour order it was trained on and what it can do."""

    net: nn.Module
    channel_order: str
    capabilities: Capabilities


def build_network(entry: ModelEntry) -> BuiltNetwork:
    """The untrained network of ``entry`` (``entry.config`` holds its hyper-parameters and ``channel_order``)."""
    if entry.architecture not in ARCHITECTURES:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"Model {entry.name} names an unknown flow architecture {entry.architecture!r} ({known}).")
    network, config_type, capabilities = ARCHITECTURES[entry.architecture]
    config = dict(entry.config)
    channel_order = config.pop("channel_order", "rgb")
    config = {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}
    return BuiltNetwork(network(config_type(**config)), channel_order, capabilities)
