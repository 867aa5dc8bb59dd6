"""Parsing what users type: sizes (``640x360``), frame rates and ratios (``30000/1001``), frame spans (``12:36``).

Pure functions: no PyTorch, no files. Each raises :class:`ParseError`, an :class:`~framer.errors.InputError` whose
message is one sentence naming the argument; its ``detail`` says the same without the name (``"must be positive,
got '0'."``), for callers that name the option themselves, such as the CLI.
"""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Sequence
from fractions import Fraction

from framer.errors import InputError

__all__ = [
    "FALLBACK_MODES",
    "FITS",
    "MAX_DENOMINATOR",
    "ParseError",
    "parse_fps",
    "parse_rational",
    "parse_size",
    "parse_span",
    "parse_times",
]

# What replaces an in-between the engine does not trust (`framer video --fallback`; see framer.video.fallback).
FALLBACK_MODES = ("none", "blend", "nearest")
# How a keyframe of another shape is fitted into the size it is interpolated at (``fit=``, ``--fit``; see
# framer.api): scaled to fit inside and padded, scaled to cover and cropped at the centre, or stretched.
FITS = ("pad", "crop", "stretch")

# Rates with a larger denominator are rounded to the nearest one with at most this (``30000/1001`` is kept exactly;
# the float 29.97002997... becomes 30000/1001).
MAX_DENOMINATOR = 1_000_000


class ParseError(InputError):
    """A value that does not parse; ``detail`` is the complaint without the argument's name."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


MAX_SIDE = 65536  # the largest width or height framer takes (as trajectory files: framer.trajectory.io)


def parse_size(text: object) -> tuple[int, int]:
    """``"640x360"`` -> ``(640, 360)`` (width, height); both integers in 1..:data:`MAX_SIDE`."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(text))
    if not match or not all(1 <= int(side) <= MAX_SIDE for side in match.groups()):
        raise ParseError(
            f"A size must be WIDTHxHEIGHT with integers from 1 to {MAX_SIDE}, such as 640x360, not {text!r}.",
            f"expected WIDTHxHEIGHT with integers from 1 to {MAX_SIDE} such as 640x360, got {text!r}.",
        )
    return int(match.group(1)), int(match.group(2))


def parse_rational(value: object, name: str, minimum: int = 0) -> Fraction:
    """A number or ratio above ``minimum`` as an exact Fraction: ``60``, ``"59.94"``, ``"60000/1001"``, a Fraction.

    Floats count by their decimal form (``59.94`` -> ``2997/50``); a denominator above :data:`MAX_DENOMINATOR` is
    rounded to the nearest fraction within it.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Rational):
            number = Fraction(str(float(value)))  # a float by its decimal form
        else:
            number = Fraction(value)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        raise ParseError(
            f"`{name}` must be a number or a ratio such as 30000/1001 but is {value!r}.",
            f"expected a number or a ratio such as 30000/1001, got {value!r}.",
        ) from None
    if number <= minimum:
        rule = "positive" if minimum == 0 else f"above {minimum}"
        raise ParseError(f"`{name}` must be {rule} but is {value!r}.", f"must be {rule}, got {value!r}.")
    rounded = number.limit_denominator(MAX_DENOMINATOR)
    return rounded if rounded > minimum else number


def parse_fps(value: object, name: str = "fps") -> Fraction:
    """A positive frame rate: ``24``, ``29.97``, ``"30000/1001"`` or a Fraction (see :func:`parse_rational`)."""
    return parse_rational(value, name)


def parse_span(value: object, name: str = "trajectory_frames") -> tuple[int, int]:
    """``"12:36"`` or ``(12, 36)`` -> ``(12, 36)``: two frame indices, first and last (their order is not checked)."""
    if isinstance(value, str):
        try:
            values: list = [int(part) for part in value.split(":")]
        except ValueError:
            values = []
    elif isinstance(value, Sequence):
        values = list(value)
    else:
        values = []
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ParseError(
            f"`{name}` must be two source frame indices FIRST:LAST or (first, last), such as 12:36, but is {value!r}.",
            f"expected two source frame indices FIRST:LAST such as 12:36, got {value!r}.",
        )
    return values[0], values[1]


def _number(value: object) -> float | None:
    """``value`` as a float, or None when it is not a number (bools and non-numeric strings are not)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_times(value: object, name: str = "times") -> list[float]:
    """In-between times: ``"0.25,0.5"`` or a sequence of numbers, each strictly inside (0, 1), increasing.

    Frames are made and written in the order given, so times out of order or repeated are refused rather than
    sorted. Every value that is not a number or lies outside (0, 1) is named, not only the first.
    """
    if isinstance(value, str):
        parts: list = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "__iter__")):
        parts = list(value)  # type: ignore[call-overload]
    else:
        parts = []
    if not parts:
        raise ParseError(
            f"`{name}` must hold at least one time in (0, 1), such as 0.25,0.5, but is {value!r}.",
            f"expected at least one time in (0, 1) such as 0.25,0.5, got {value!r}.",
        )
    numbers_ = [_number(part) for part in parts]
    bad = [str(part) for part, number in zip(parts, numbers_, strict=True) if number is None or not 0.0 < number < 1.0]
    if bad:
        rule = "each must be a number strictly between 0 and 1"
        named = bad[0] if len(bad) == 1 else f"{', '.join(bad[:-1])} and {bad[-1]}"
        detail = f"{rule}, but {named} {'is' if len(bad) == 1 else 'are'} not."
        raise ParseError(f"`{name}`: {detail}", detail)
    times = [float(number) for number in numbers_]  # type: ignore[arg-type]
    for before, after in itertools.pairwise(times):
        if after <= before:
            why = f"{after:g} is repeated" if after == before else f"{after:g} comes after {before:g}"
            detail = f"must increase without repeats (frames are written in the order given), but {why}."
            raise ParseError(f"`{name}`: {detail}", detail)
    return times
