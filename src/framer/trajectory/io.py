"""Reading and writing trajectories: the versioned JSON file format and the ``--drag`` shorthand.

The file format is documented in ``docs/trajectory-format.md``; the web UI, the autopilot, the CLI and the Python
API all read and write it through this module. Every rule is checked on read and on write, and every error is
one sentence naming the trajectory (index and name) and the point.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framer.errors import FramerError
from framer.trajectory.model import (
    INTERPOLATIONS,
    Trajectory,
    TrajectoryError,
    _label,
    check_confidence,
    check_in_frame,
    check_points,
    check_times,
    chord_times,
)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "TrajectoryFile",
    "TrajectoryFileError",
    "check_trajectories",
    "coerce_trajectories",
    "dumps_trajectories",
    "load_trajectories",
    "parse_drag",
    "save_trajectories",
    "trajectories_from_dict",
    "trajectories_to_dict",
]

FORMAT_NAME = "framer-trajectories"
FORMAT_VERSION = 1

_TOP_KEYS = ("format", "version", "width", "height", "trajectories")
_ITEM_KEYS = ("name", "points", "times", "interpolation", "confidence")


class TrajectoryFileError(FramerError, OSError):
    """A trajectory file cannot be read or written (missing, unreadable, not UTF-8 text)."""


@dataclass(frozen=True)
class TrajectoryFile:
    """The content of a trajectory file: trajectories drawn on a ``width x height`` frame."""

    trajectories: list[Trajectory]
    width: int
    height: int

    def for_size(self, width: int, height: int) -> list[Trajectory]:
        """The trajectories on keyframes of ``width x height`` (rescaled when the size differs)."""
        if (width, height) == (self.width, self.height):
            return list(self.trajectories)
        return [t.resized((self.width, self.height), (width, height)) for t in self.trajectories]


def _unknown_keys(data: Mapping, allowed: Sequence[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Allowed keys: {', '.join(allowed)}."
            raise TrajectoryError(f"{where} has an unknown key {key!r}.{hint}")


def _check_size(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TrajectoryError(f"Trajectory file: {key!r} must be a positive integer (pixels), not {value!r}.")
    return value


def check_trajectories(trajectories: Sequence[Trajectory], width: int, height: int) -> list[Trajectory]:
    """Check a list of trajectories fits a ``width x height`` frame; returns it as a list.

    Raises:
        TrajectoryError: naming the first trajectory (index and name) and point that breaks a rule.
    """
    if isinstance(trajectories, (str, bytes, Trajectory)) or not isinstance(trajectories, Sequence):
        raise TrajectoryError(f"`trajectories` must be a list of trajectories, not {trajectories!r}.")
    for index, trajectory in enumerate(trajectories):
        if not isinstance(trajectory, Trajectory):
            raise TrajectoryError(f"Trajectory {index}: expected a Trajectory, not {type(trajectory).__name__}.")
        check_in_frame(trajectory, width, height, index)
    return list(trajectories)


def _trajectory_from_item(item: object, index: int) -> Trajectory:
    if not isinstance(item, Mapping):
        raise TrajectoryError(f"Trajectory {index}: must be an object with 'points', not {item!r}.")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise TrajectoryError(f"Trajectory {index}: 'name' must be a string, not {name!r}.")
    label = _label(index, name)
    _unknown_keys(item, _ITEM_KEYS, label)
    if "points" not in item:
        raise TrajectoryError(f"{label} has no 'points'; give a list of [x, y] pairs, start first.")
    points = check_points(item["points"], label)
    times = item.get("times")
    if times is not None:
        times = check_times(times, len(points), label)
    interpolation = item.get("interpolation", "catmull-rom")
    if interpolation not in INTERPOLATIONS:
        raise TrajectoryError(
            f"{label}: 'interpolation' must be one of {', '.join(INTERPOLATIONS)}, not {interpolation!r}."
        )
    confidence = check_confidence(item.get("confidence"), label)
    if times is None:
        chord_times(points, label)  # fails on repeated points, naming this trajectory's index
    return Trajectory(points, times, name, interpolation, confidence)


def trajectories_from_dict(data: object) -> TrajectoryFile:
    """Parse and check the JSON object of a trajectory file (see ``docs/trajectory-format.md``).

    Raises:
        TrajectoryError: the object breaks a rule of the format; the message names the trajectory and point.
    """
    if not isinstance(data, Mapping):
        raise TrajectoryError(f"Trajectory file: the top level must be a JSON object, not {type(data).__name__}.")
    _unknown_keys(data, _TOP_KEYS, "Trajectory file")
    if "format" in data and data["format"] != FORMAT_NAME:
        raise TrajectoryError(f"Trajectory file: 'format' must be {FORMAT_NAME!r}, not {data['format']!r}.")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise TrajectoryError(f"Trajectory file: 'version' must be the integer {FORMAT_VERSION}, not {version!r}.")
    if version > FORMAT_VERSION:
        raise TrajectoryError(
            f"Trajectory file: format version {version} was written by a newer framer; this one reads version "
            f"{FORMAT_VERSION}. Upgrade framer."
        )
    if version < 1:
        raise TrajectoryError(f"Trajectory file: 'version' must be {FORMAT_VERSION}, not {version}.")
    width, height = _check_size(data.get("width"), "width"), _check_size(data.get("height"), "height")
    items = data.get("trajectories")
    if not isinstance(items, list):
        raise TrajectoryError(f"Trajectory file: 'trajectories' must be a list, not {items!r}.")
    trajectories = [_trajectory_from_item(item, index) for index, item in enumerate(items)]
    return TrajectoryFile(check_trajectories(trajectories, width, height), width, height)


def _number(value: float) -> int | float:
    """Write integral values without a decimal point and others with full round-trip precision."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def trajectories_to_dict(trajectories: Sequence[Trajectory], width: int, height: int) -> dict:
    """The JSON object of a trajectory file for ``trajectories`` on a ``width x height`` frame (checked first)."""
    width, height = _check_size(width, "width"), _check_size(height, "height")
    items = []
    for trajectory in check_trajectories(trajectories, width, height):
        item: dict = {}
        if trajectory.name is not None:
            item["name"] = trajectory.name
        item["points"] = [[_number(x), _number(y)] for x, y in trajectory.points]
        if trajectory.times is not None:
            item["times"] = [_number(t) for t in trajectory.times]
        if trajectory.interpolation != "catmull-rom":
            item["interpolation"] = trajectory.interpolation
        if trajectory.confidence is not None:
            item["confidence"] = _number(trajectory.confidence)
        items.append(item)
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "width": width, "height": height, "trajectories": items}


def dumps_trajectories(trajectories: Sequence[Trajectory], width: int, height: int) -> str:
    """The text of a trajectory file: indented JSON with one ``[x, y]`` pair per line."""
    text = json.dumps(trajectories_to_dict(trajectories, width, height), indent=2, allow_nan=False)
    # Put each innermost list of numbers on one line: [\n  1,\n  2\n] -> [1, 2].
    return re.sub(r"\[\s*([-+0-9.eE,\s]+?)\s*\]", lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text) + "\n"


def save_trajectories(path: str | os.PathLike, trajectories: Sequence[Trajectory], width: int, height: int) -> None:
    """Write a trajectory file (UTF-8 JSON); the file is replaced atomically."""
    text = dumps_trajectories(trajectories, width, height)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise TrajectoryFileError(
            f"Cannot write the trajectory file {str(path)!r}: {error.strerror or error}."
        ) from error


def load_trajectories(path: str | os.PathLike) -> TrajectoryFile:
    """Read and check a trajectory file.

    Raises:
        TrajectoryFileError: the file is missing or unreadable.
        TrajectoryError: it is not valid JSON or breaks a rule of the format.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise TrajectoryFileError(f"Cannot read the trajectory file {str(path)!r}: {reason}.") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrajectoryError(
            f"The trajectory file {str(path)!r} is not valid JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}."
        ) from None
    try:
        return trajectories_from_dict(data)
    except TrajectoryError as error:
        raise TrajectoryError(f"{path}: {error}") from None


_FLOAT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_DRAG_POINT = re.compile(rf"\s*({_FLOAT})\s*,\s*({_FLOAT})\s*(?:@\s*({_FLOAT})\s*)?")


def parse_drag(text: str, index: int | None = None) -> Trajectory:
    """Parse the ``--drag`` shorthand ``"x0,y0:x1,y1:x2,y2"`` (start, waypoints, end) into a trajectory.

    Each point may carry its time as ``x,y@t`` (all points or none), e.g. ``"10,20@0:60,5@0.3:90,40@1"``.
    ``index`` (the option's position on the command line) only labels errors.

    Raises:
        TrajectoryError: a point is not two numbers, there are fewer than two points, or the times break a rule.
    """
    label = _label(index, None)
    if not isinstance(text, str) or not text.strip():
        raise TrajectoryError(f"{label}: --drag needs points as 'x0,y0:x1,y1[:...]', not {text!r}.")
    points, times = [], []
    for j, part in enumerate(text.split(":")):
        match = _DRAG_POINT.fullmatch(part)
        if match is None:
            raise TrajectoryError(
                f"{label}, point {j}: {part.strip()!r} in --drag {text!r} is not 'x,y' or 'x,y@t' with numbers."
            )
        x, y = float(match.group(1)), float(match.group(2))
        points.append((x, y))
        times.append(None if match.group(3) is None else float(match.group(3)))
    timed = [t is not None for t in times]
    if any(timed) and not all(timed):
        j = timed.index(not timed[0])
        raise TrajectoryError(f"{label}, point {j}: in --drag {text!r} give a time '@t' to every point or to none.")
    points_array = check_points(points, label)
    times_array = check_times(times, len(points), label) if all(timed) else None
    if times_array is None:
        chord_times(points_array, label)
    return Trajectory(points_array, times_array)


def coerce_trajectories(items: object) -> list[Trajectory]:
    """Turn what a caller may pass as ``trajectories=`` into a list of :class:`Trajectory`.

    Each item may be a :class:`Trajectory`, a ``--drag`` string (``"x0,y0:x1,y1"``), a list of ``(x, y)``
    points, or an object of the file format (``{"points": ..., "times": ...}``). A path (``str`` or
    ``PathLike`` ending in ``.json``) in place of the list reads a trajectory file. Frame bounds are not checked
    here: call :func:`check_trajectories` once the keyframes' size is known.
    """
    if isinstance(items, os.PathLike) or (isinstance(items, str) and items.lower().endswith(".json")):
        return load_trajectories(items).trajectories
    if isinstance(items, (str, bytes, Trajectory, Mapping)) or not isinstance(items, (Sequence, np.ndarray)):
        raise TrajectoryError(
            f"`trajectories` must be a list (of Trajectory objects, 'x0,y0:x1,y1' strings, point lists or "
            f"objects with 'points'), or a .json file, not {items!r}."
        )
    result = []
    for index, item in enumerate(items):
        if isinstance(item, Trajectory):
            result.append(item)
        elif isinstance(item, str):
            result.append(parse_drag(item, index))
        elif isinstance(item, Mapping):
            result.append(_trajectory_from_item(item, index))
        else:
            points = check_points(item, _label(index, None))
            chord_times(points, _label(index, None))
            result.append(Trajectory(points))
    return result
