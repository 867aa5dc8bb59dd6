"""Parsing what users type: sizes (``640x360``), frame rates and ratios (``30000/1001``), frame spans (``12:36``).

Pure functions: no PyTorch, no files. Each raises :class:`ParseError`, an :class:`~framer.errors.InputError` whose
message is one sentence naming the argument; its ``detail`` says the same without the name (``"must be positive,
got '0'."``), for callers that name the option themselves, such as the CLI.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from fractions import Fraction

from framer.errors import InputError

__all__ = ["MAX_DENOMINATOR", "ParseError", "parse_fps", "parse_rational", "parse_size", "parse_span"]

# Rates with a larger denominator are rounded to the nearest one with at most this (``30000/1001`` is kept exactly;
# the float 29.97002997... becomes 30000/1001).
MAX_DENOMINATOR = 1_000_000


class ParseError(InputError):
    """A value that does not parse; ``detail`` is the complaint without the argument's name."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def parse_size(text: object) -> tuple[int, int]:
    """``"640x360"`` -> ``(640, 360)`` (width, height); both positive integers."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(text))
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise ParseError(
            f"A size must be WIDTHxHEIGHT with positive integers, such as 640x360, not {text!r}.",
            f"expected WIDTHxHEIGHT with positive integers such as 640x360, got {text!r}.",
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
