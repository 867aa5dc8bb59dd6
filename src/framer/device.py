"""The one place a device name becomes a ``torch.device``: engines, metrics and evaluation all ask here."""

from __future__ import annotations

import torch

from framer.errors import InputError

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"cpu"``, ``"cuda[:N]"``, ``"mps"`` or ``"auto"`` -> a device that exists on this machine."""
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"Unknown device {device!r}; use cpu, cuda, cuda:N, mps or auto.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"Device {device!r} was asked for, but this PyTorch build sees no CUDA GPU; use --device cpu."
        )
    if resolved.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise InputError(f"Device {device!r} was asked for, but Apple's MPS is not available here; use --device cpu.")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"Device type {resolved.type!r} is not supported; use cpu, cuda or mps.")
    return resolved
