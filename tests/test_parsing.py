"""framer.parsing: sizes, frame rates and ratios, frame spans typed by users; values and one-sentence errors."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from framer.errors import InputError
from framer.parsing import MAX_DENOMINATOR, ParseError, parse_fps, parse_rational, parse_size, parse_span


class TestSize:
    @pytest.mark.parametrize(
        ("text", "size"),
        [("640x360", (640, 360)), (" 64 X 48 ", (64, 48)), ("1x1", (1, 1)), ("07x3", (7, 3)), ("65536x1", (65536, 1))],
    )
    def test_values(self, text, size):
        assert parse_size(text) == size

    @pytest.mark.parametrize(
        "text",
        ["big", "640", "640x", "0x360", "640x0", "-640x360", "640x360x2", "6.4x3", "", "65537x10", "99999999x1"],
    )
    def test_errors(self, text):
        with pytest.raises(ParseError) as caught:
            parse_size(text)
        assert str(caught.value) == (
            f"A size must be WIDTHxHEIGHT with integers from 1 to 65536, such as 640x360, not {text!r}."
        )
        assert (
            caught.value.detail
            == f"expected WIDTHxHEIGHT with integers from 1 to 65536 such as 640x360, got {text!r}."
        )


class TestRational:
    @pytest.mark.parametrize(
        ("value", "rate"),
        [
            ("24", Fraction(24)),
            (" 30000/1001 ", Fraction(30000, 1001)),
            ("59.94", Fraction(2997, 50)),
            ("1e2", Fraction(100)),
            (25, Fraction(25)),
            (np.int64(48), Fraction(48)),
            (29.97, Fraction(2997, 100)),  # a float by its decimal form, not its binary value
            (np.float64(12.5), Fraction(25, 2)),
            (30000 / 1001, Fraction(30000, 1001)),  # the float's long decimal form rounds back to the ratio
            (Fraction(60000, 1001), Fraction(60000, 1001)),
            (Decimal("23.976"), Fraction(2997, 125)),
        ],
    )
    def test_fps_values(self, value, rate):
        parsed = parse_fps(value)
        assert parsed == rate and isinstance(parsed, Fraction)

    def test_large_denominators_are_rounded(self):
        assert parse_fps("29.97002997002997") == Fraction(30000, 1001)
        assert parse_fps(f"1/{MAX_DENOMINATOR}") == Fraction(1, MAX_DENOMINATOR)
        assert parse_fps(f"1/{3 * MAX_DENOMINATOR}") == Fraction(1, 3 * MAX_DENOMINATOR)  # rounding would give 0

    @pytest.mark.parametrize("value", ["fast", "", "1/0", "inf", "nan", float("nan"), float("inf"), None, True, [24]])
    def test_not_a_number(self, value):
        with pytest.raises(InputError) as caught:
            parse_fps(value)
        assert str(caught.value) == f"`fps` must be a number or a ratio such as 30000/1001 but is {value!r}."
        assert caught.value.detail == f"expected a number or a ratio such as 30000/1001, got {value!r}."

    @pytest.mark.parametrize("value", ["0", "-24", 0, -0.5, Fraction(-1, 2)])
    def test_not_positive(self, value):
        with pytest.raises(ParseError) as caught:
            parse_fps(value, "input_fps")
        assert str(caught.value) == f"`input_fps` must be positive but is {value!r}."
        assert caught.value.detail == f"must be positive, got {value!r}."

    def test_minimum(self):
        assert parse_rational("1.5", "slowmo", minimum=1) == Fraction(3, 2)
        with pytest.raises(ParseError) as caught:
            parse_rational("0.5", "slowmo", minimum=1)
        assert str(caught.value) == "`slowmo` must be above 1 but is '0.5'."
        assert caught.value.detail == "must be above 1, got '0.5'."


class TestSpan:
    @pytest.mark.parametrize(
        ("value", "span"),
        [("12:36", (12, 36)), (" 1 : 4 ", (1, 4)), ("5:2", (5, 2)), ((0, 9), (0, 9)), ([3, 3], (3, 3))],
    )
    def test_values(self, value, span):
        assert parse_span(value) == span

    @pytest.mark.parametrize("value", ["a:b", "12", "1:2:3", "1.5:3", "", (1, 2, 3), (1.0, 2), (True, 2), 12, None])
    def test_errors(self, value):
        with pytest.raises(ParseError) as caught:
            parse_span(value)
        assert str(caught.value) == (
            "`trajectory_frames` must be two source frame indices FIRST:LAST or (first, last), such as 12:36, "
            f"but is {value!r}."
        )
        assert caught.value.detail == f"expected two source frame indices FIRST:LAST such as 12:36, got {value!r}."

    def test_name_is_the_argument(self):
        with pytest.raises(ParseError, match=r"^`drag_frames` must be two source frame indices"):
            parse_span("x", "drag_frames")


def test_importing_needs_no_pytorch():
    code = "import sys, framer.parsing; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
