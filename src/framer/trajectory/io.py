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
    "MAX_FILE_BYTES",
    "MAX_POINTS",
    "MAX_SIZE",
    "MAX_TRAJECTORIES",
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

# Limits on what framer reads (docs/trajectory-format.md, "Limits"): files, ``trajectories=``, ``--drag``, the web UI.
# Drawn drags never need more; the autopilot keeps its own count of matches and is not held to them.
MAX_TRAJECTORIES = 100  # trajectories in one file or one ``trajectories=`` list
MAX_POINTS = 1000  # points (start, waypoints, end) in one trajectory
MAX_SIZE = 65536  # the largest ``width`` / ``height`` of a trajectory file, in pixels
MAX_FILE_BYTES = 16 * 2**20  # the largest trajectory file read (16 MiB)

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
        """The trajectories on keyframes of ``width x height`` (rescaled when the size differs).

        Raises:
            TrajectoryError: two consecutive points of a trajectory fall on one point once rescaled.
        """
        if (width, height) == (self.width, self.height):
            return list(self.trajectories)
        size = (self.width, self.height)
        return [t.resized(size, (width, height), index) for index, t in enumerate(self.trajectories)]


def _unknown_keys(data: Mapping, allowed: Sequence[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Allowed keys: {', '.join(allowed)}."
            raise TrajectoryError(f"{where} has an unknown key {key!r}.{hint}")


def _check_size(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
        shown = f"{value!r}" if not isinstance(value, int) or abs(value) < 10**12 else f"{float(value):.3g}"
        raise TrajectoryError(
            f"Trajectory file: {key!r} must be a positive integer (pixels) of at most {MAX_SIZE}, not {shown}."
        )
    return value


def _check_count(count: int, where: str) -> None:
    """Refuse more than :data:`MAX_TRAJECTORIES` trajectories; ``where`` names the parameter or the key."""
    if count > MAX_TRAJECTORIES:
        raise TrajectoryError(
            f"{where} holds {count} trajectories, more than the limit of {MAX_TRAJECTORIES} "
            "(framer.trajectory.MAX_TRAJECTORIES); drawn drags never need more, so give at most that many."
        )


def _check_point_count(count: int, label: str) -> None:
    """Refuse a trajectory of more than :data:`MAX_POINTS` points."""
    if count > MAX_POINTS:
        raise TrajectoryError(
            f"{label} has {count} points, more than the limit of {MAX_POINTS} per trajectory "
            "(framer.trajectory.MAX_POINTS); give fewer waypoints."
        )


def _sized_count(points: object) -> int | None:
    """How many points a list (or array) of points holds, or None when it is not one (check_points says why)."""
    if isinstance(points, (str, bytes)) or not isinstance(points, (Sequence, np.ndarray)):
        return None
    return len(points)


_PARAMETER = "`trajectories` (--trajectories or --drag on the command line)"


def check_trajectories(trajectories: Sequence[Trajectory], width: int, height: int) -> list[Trajectory]:
    """Check a list of trajectories fits a ``width x height`` frame and the limits; returns it as a list.

    At most :data:`MAX_TRAJECTORIES` trajectories of at most :data:`MAX_POINTS` points each.

    Raises:
        TrajectoryError: naming the first trajectory (index and name) and point that breaks a rule.
    """
    return _check_all(trajectories, width, height, limits=True)


def _check_all(trajectories: Sequence[Trajectory], width: int, height: int, *, limits: bool) -> list[Trajectory]:
    """:func:`check_trajectories`; writers (``limits=False``) are not held to the limits on what framer reads."""
    if isinstance(trajectories, (str, bytes, Trajectory)) or not isinstance(trajectories, Sequence):
        raise TrajectoryError(f"`trajectories` must be a list of trajectories, not {trajectories!r}.")
    if limits:
        _check_count(len(trajectories), _PARAMETER)
    for index, trajectory in enumerate(trajectories):
        if not isinstance(trajectory, Trajectory):
            raise TrajectoryError(f"Trajectory {index}: expected a Trajectory, not {type(trajectory).__name__}.")
        if limits:
            _check_point_count(len(trajectory.points), _label(index, trajectory.name))
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
    count = _sized_count(item["points"])
    if count is not None:
        _check_point_count(count, label)
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
    _check_count(len(items), "Trajectory file: 'trajectories'")
    trajectories = [_trajectory_from_item(item, index) for index, item in enumerate(items)]
    return TrajectoryFile(check_trajectories(trajectories, width, height), width, height)


def _number(value: float) -> int | float:
    """Write integral values without a decimal point and others with full round-trip precision."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def trajectories_to_dict(trajectories: Sequence[Trajectory], width: int, height: int) -> dict:
    """The JSON object of a trajectory file for ``trajectories`` on a ``width x height`` frame (checked first)."""
    width, height = _check_size(width, "width"), _check_size(height, "height")
    items = []
    for trajectory in _check_all(trajectories, width, height, limits=False):
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
        TrajectoryError: it is larger than :data:`MAX_FILE_BYTES`, not valid JSON (or nested too deeply to parse),
            or breaks a rule of the format.
    """
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise TrajectoryFileError(f"Cannot read the trajectory file {str(path)!r}: {reason}.") from error
    if len(raw) > MAX_FILE_BYTES:
        raise TrajectoryError(
            f"The trajectory file {str(path)!r} is larger than {MAX_FILE_BYTES // 2**20} MiB, the most framer reads "
            f"(framer.trajectory.MAX_FILE_BYTES); a file of at most {MAX_TRAJECTORIES} trajectories is far smaller."
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrajectoryError(
            f"The trajectory file {str(path)!r} is not valid JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}."
        ) from None
    except RecursionError:
        raise TrajectoryError(
            f"The trajectory file {str(path)!r} is not a trajectory file: its JSON lists or objects are nested too "
            "deeply to read (a trajectory file nests them 4 deep)."
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
    _check_point_count(text.count(":") + 1, f"{label} (--drag)")
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
    ``PathLike`` ending in ``.json``) in place of the list reads a trajectory file. The limits
    (:data:`MAX_TRAJECTORIES`, :data:`MAX_POINTS`) are checked before anything is parsed; frame bounds are not
    checked here: call :func:`check_trajectories` once the keyframes' size is known.
    """
    if isinstance(items, os.PathLike) or (isinstance(items, str) and items.lower().endswith(".json")):
        return load_trajectories(items).trajectories
    if isinstance(items, (str, bytes, Trajectory, Mapping)) or not isinstance(items, (Sequence, np.ndarray)):
        raise TrajectoryError(
            f"`trajectories` must be a list (of Trajectory objects, 'x0,y0:x1,y1' strings, point lists or "
            f"objects with 'points'), or a .json file, not {items!r}."
        )
    _check_count(len(items), _PARAMETER)
    result = []
    for index, item in enumerate(items):
        if isinstance(item, Trajectory):
            result.append(item)
        elif isinstance(item, str):
            result.append(parse_drag(item, index))
        elif isinstance(item, Mapping):
            result.append(_trajectory_from_item(item, index))
        else:
            count = _sized_count(item)
            if count is not None:
                _check_point_count(count, _label(index, None))
            points = check_points(item, _label(index, None))
            chord_times(points, _label(index, None))
            result.append(Trajectory(points))
    return result
