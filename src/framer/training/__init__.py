"""Training the diffusion engine (`framer train`): data, point tracks from the flow engine, the accelerate loop.

``train(TrainingConfig(...))`` runs both stages of the paper (see ``docs/training.md``); names load on first use.
"""

from __future__ import annotations

import importlib

__all__ = ["TrainingConfig", "load_config", "save_config", "train"]

_HOMES = {"TrainingConfig": "config", "load_config": "config", "save_config": "config", "train": "loop"}


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(importlib.import_module(f"framer.training.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'framer.training' has no attribute {name!r}")
