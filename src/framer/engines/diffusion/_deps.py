"""The optional dependencies of the diffusion engine, checked once with one clear message."""

from __future__ import annotations

import importlib

from framer.errors import MissingExtraError

__all__ = ["EXTRA_HINT", "check_extra"]

EXTRA_HINT = 'pip install "framer-vfi[diffusion]"'


def check_extra() -> None:
    """Import diffusers and transformers, or raise :class:`MissingExtraError` saying which extra to install."""
    for name in ("diffusers", "transformers", "safetensors"):
        try:
            importlib.import_module(name)
        except ImportError:
            raise MissingExtraError(
                f"The diffusion engine needs the optional package {name!r}, which is not installed; install the "
                f"extra with: {EXTRA_HINT}"
            ) from None
