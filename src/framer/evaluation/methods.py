"""The methods an evaluation compares: two baselines that need no model, and engines (each loaded once).

- ``linear``: linear blend (cross-fade) of the keyframes, ``(1 - t) I0 + t I1``, rounded to 8 bits.
- ``nearest``: the nearer keyframe (the first one for t <= 0.5), i.e. frame repetition.
- an engine, ``NAME`` or ``NAME:MODEL`` (``flow``, ``flow:rife.v4_25``), run through :func:`framer.interpolate`;
  with autopilot, the same engine again with ``autopilot=True`` (only where the API offers it).

Every method maps two keyframes ``(H, W, 3)`` uint8 and times in (0, 1) to one ``(H, W, 3)`` uint8 frame per time.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from framer.errors import InputError
from framer.evaluation.protocols import to_uint8_rgb

__all__ = [
    "BASELINES",
    "Method",
    "ScoredRun",
    "autopilot_available",
    "build_methods",
    "linear_blend",
    "nearest_keyframe",
    "parse_engine_spec",
]

Frames = list[np.ndarray]


class ScoredRun(NamedTuple):
    """What an engine method returns: its frames and the engine's confidence in each (see
    :meth:`framer.engines.Engine.iter_scored`); baselines return their frames only."""

    frames: Frames
    confidence: list[float]


def linear_blend(frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> Frames:
    """Cross-fades ``(1 - t) frame0 + t frame1`` of two ``(H, W, 3)`` uint8 frames, rounded to uint8."""
    a, b = frame0.astype(np.float64), frame1.astype(np.float64)
    return [np.clip(np.round((1.0 - t) * a + t * b), 0, 255).astype(np.uint8) for t in times]


def nearest_keyframe(frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> Frames:
    """For each time the nearer keyframe, ``frame0`` for t <= 0.5 (frame repetition), as copies."""
    return [(frame0 if t <= 0.5 else frame1).copy() for t in times]


@dataclass(frozen=True)
class Method:
    """One column of the comparison.

    Attributes:
        id: key in results (``linear``, ``nearest``, ``flow``, ``flow+autopilot``, ``flow:rife.v4_25``).
        label: human-readable name for tables and plots.
        kind: ``baseline`` or ``engine``.
        settings: what defines the method (engine, model, device, autopilot), recorded in the results.
        run: ``run(frame0, frame1, times)`` -> one ``(H, W, 3)`` uint8 frame per time (an engine: as a
            :class:`ScoredRun`, with its confidences).
    """

    id: str
    label: str
    kind: str
    settings: dict
    run: Callable[[np.ndarray, np.ndarray, Sequence[float]], Frames | ScoredRun]


BASELINES = (
    Method("linear", "linear blend", "baseline", {}, linear_blend),
    Method("nearest", "nearest keyframe", "baseline", {}, nearest_keyframe),
)


def autopilot_available() -> bool:
    """Whether :func:`framer.interpolate` takes ``autopilot=`` in this version of framer."""
    from framer.api import interpolate

    return "autopilot" in inspect.signature(interpolate).parameters


def parse_engine_spec(spec: str) -> tuple[str, str | None]:
    """``"flow"`` -> ``("flow", None)``; ``"flow:rife.v4_25"`` -> ``("flow", "rife.v4_25")``."""
    name, _, model = str(spec).partition(":")
    if not name or (_ and not model):
        raise InputError(
            f"An engine must be given as NAME or NAME:MODEL, such as flow or flow:rife.v4_25, not {spec!r}."
        )
    return name, model or None


def _engine_method(engine, spec_id: str, autopilot: bool) -> Method:
    from framer.api import iter_interpolate

    entry = getattr(engine, "entry", None)
    settings = {
        "engine": engine.name,
        "model": getattr(entry, "name", None),
        "device": str(engine.device),
        "autopilot": autopilot,
    }
    options = {"autopilot": True} if autopilot else {}

    def run(frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> ScoredRun:
        items = list(iter_interpolate([frame0, frame1], times=list(times), engine=engine, **options))
        frames = [to_uint8_rgb(item.frame) for item in items]  # already uint8 RGB for uint8 RGB keyframes
        return ScoredRun(frames, [item.confidence for item in items])

    method_id = f"{spec_id}+autopilot" if autopilot else spec_id
    label = f"{spec_id} (autopilot)" if autopilot else spec_id
    return Method(method_id, label, "engine", settings, run)


def build_methods(
    engines: Sequence[str | object] = ("flow",),
    autopilot: bool = False,
    baselines: bool = True,
    device: str | None = "cpu",
    threads: int | None = None,
    weights: str | os.PathLike | None = None,
) -> list[Method]:
    """Baselines, then each engine (loaded once here), then each engine with autopilot when asked for.

    Args:
        engines: engine specs (``flow``, ``flow:MODEL``) or engines made by :func:`framer.create_engine`.
        autopilot: add each engine's autopilot variant; an error when the API has no autopilot.
        baselines: include ``linear`` and ``nearest``.
        device, threads, weights: passed to :func:`framer.create_engine` for specs given by name.

    Raises:
        InputError: autopilot asked for but not available, no method at all, or the same engine twice.
    """
    if autopilot and not autopilot_available():
        raise InputError(
            "Autopilot is not available yet in this version of framer (framer.interpolate takes no `autopilot`); "
            "leave out --autopilot."
        )
    from framer.engines import Engine, create_engine

    planned: list[tuple[str, object]] = []
    for spec in engines:
        if isinstance(spec, Engine):
            model = getattr(getattr(spec, "entry", None), "name", None)
            planned.append((f"{spec.name}:{model}" if model and len(engines) > 1 else spec.name, spec))
        else:
            parse_engine_spec(spec)
            planned.append((str(spec), spec))
    ids = [spec_id for spec_id, _ in planned]
    if len(set(ids)) != len(ids):
        raise InputError(f"Each engine may be given once, but the engines are {', '.join(ids)}.")
    loaded: list[tuple[str, Engine]] = []
    for spec_id, spec in planned:
        if not isinstance(spec, Engine):
            name, model = parse_engine_spec(spec)
            options = {"device": device, "threads": threads, "weights": weights, "model": model}
            spec = create_engine(name, **{key: value for key, value in options.items() if value is not None})
        loaded.append((spec_id, spec))
    methods = list(BASELINES) if baselines else []
    methods.extend(_engine_method(engine, spec_id, autopilot=False) for spec_id, engine in loaded)
    if autopilot:
        methods.extend(_engine_method(engine, spec_id, autopilot=True) for spec_id, engine in loaded)
    if not methods:
        raise InputError("There is nothing to compare: give at least one engine or keep the baselines.")
    return methods
