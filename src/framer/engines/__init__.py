"""Engine registry: one factory, ``create_engine(name, **options)``, for every interpolation engine.

Engines register themselves with :func:`register_engine`; built-in engines are imported only when first asked
for, so ``import framer`` stays cheap and optional engines need their extras only when used. Each declares what it
can do (:class:`Capabilities`) and what makes its frames differ (``identity()``).

Neighbours: the guidance an engine receives (drag tracks, pre-alignments) is decided above, in
:mod:`framer.guidance`; the motion model an aligning engine composes with lives below, in :mod:`framer.motion`.
Engines never import the matcher, guidance, video or the API.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import TypeVar

from framer.engines.base import Capabilities, Engine, ScoredFrame
from framer.errors import UnknownNameError

__all__ = ["Capabilities", "Engine", "ScoredFrame", "create_engine", "list_engines", "register_engine"]

_BUILTIN_ENGINES = {"diffusion": "framer.engines.diffusion", "flow": "framer.engines.flow"}
_ENGINES: dict[str, Callable[..., Engine]] = {}

EngineT = TypeVar("EngineT", bound=Callable[..., Engine])


def register_engine(name: str) -> Callable[[EngineT], EngineT]:
    """Class decorator registering an engine factory under ``name``."""

    def decorator(factory: EngineT) -> EngineT:
        if name in _ENGINES and _ENGINES[name] is not factory:
            raise ValueError(f"An engine named {name!r} is already registered.")
        _ENGINES[name] = factory
        return factory

    return decorator


def list_engines() -> list[str]:
    """Names of all engines, registered or built in, sorted."""
    return sorted(set(_ENGINES) | set(_BUILTIN_ENGINES))


def create_engine(name: str = "flow", **options) -> Engine:
    """Build the engine registered as ``name`` (loading its model once), e.g. ``create_engine("flow")``.

    Options are passed to the engine: for ``flow``, ``model``, ``weights``, ``strict_weights``, ``device``,
    ``threads``, ``download``, ``scale``.
    """
    if name not in _ENGINES and name in _BUILTIN_ENGINES:
        importlib.import_module(_BUILTIN_ENGINES[name])
    if name not in _ENGINES:
        close = difflib.get_close_matches(str(name), list_engines(), n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"Unknown engine {name!r}.{hint} Available: {', '.join(list_engines())}.")
    return _ENGINES[name](**options)
