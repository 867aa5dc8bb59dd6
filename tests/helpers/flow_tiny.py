"""A tiny IFNet with seeded random weights, for tests of plumbing (exit codes, files written, counts, shapes,
resuming, progress) rather than of pictures: the real network is built and driven by the real ``FlowEngine``, only
smaller (two levels, a few channels) and untrained, so its in-betweens differ with the time but look like nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch

from framer import registry
from framer.engines.flow.model import IFNet, IFNetConfig
from framer.registry import ModelEntry

__all__ = ["TINY_IFNET", "TINY_IFNET_ENTRY", "registered", "save_tiny_ifnet"]

TINY_IFNET = {
    "block_channels": [16, 8],
    "scales": [2, 1],  # pad multiple 8 (64 for the real network)
    "encoder_channels": 4,
    "feature_channels": 2,
    "hidden_channels": 4,
    "num_res_blocks": 1,
}

TINY_IFNET_ENTRY = ModelEntry(
    name="test.tiny_ifnet",
    engine="flow",
    architecture="ifnet",
    description="A tiny untrained IFNet for the tests (weights: save_tiny_ifnet).",
    license="MIT",
    weights=None,  # no source to fetch from: always loaded from a local file, ``weights=PATH``
    config=TINY_IFNET,
)


def save_tiny_ifnet(path: Path, seed: int = 0) -> Path:
    """Save the tiny IFNet's state dict, random weights from ``seed``, to ``path``."""
    torch.manual_seed(seed)
    config = {key: tuple(value) if isinstance(value, list) else value for key, value in TINY_IFNET.items()}
    torch.save(IFNet(IFNetConfig(**config)).state_dict(), path)
    return path


@contextlib.contextmanager
def registered(entry: ModelEntry = TINY_IFNET_ENTRY) -> Iterator[ModelEntry]:
    """``entry`` in framer's model registry inside the block only: outside it, `framer models`, `framer weights`
    and the lists of registered models in error messages stay what a user sees."""
    registry.register_model(entry)
    try:
        yield entry
    finally:
        registry._MODELS.pop(entry.name, None)
