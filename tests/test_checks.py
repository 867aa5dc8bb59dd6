"""framer.checks: the input checks at the public boundary, and the messages they give."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from framer.checks import check_frame_pair, check_num_frames, check_shape, check_times
from framer.errors import InputError, ShapeError


@pytest.mark.parametrize(
    ("shape", "spec"),
    [((2, 3, 5, 7), "B 3 H W"), ((1, 4, 8, 8), "B C>=3 H W"), ((1, 3, 8, 8), "B C>=3 H W"), ((6,), "N")],
)
def test_check_shape_accepts_matching_shapes(shape, spec):
    check_shape(torch.zeros(shape), spec, "x")


@pytest.mark.parametrize(
    ("shape", "spec"),
    [((3, 5, 7), "B 3 H W"), ((1, 2, 5, 7), "B 3 H W"), ((1, 2, 8, 8), "B C>=3 H W"), ((1, 1, 3, 4, 5), "B C H W")],
)
def test_check_shape_names_the_argument_the_rule_and_the_shape(shape, spec):
    with pytest.raises(ShapeError) as info:
        check_shape(torch.zeros(shape), spec, "frame0")
    message = str(info.value)
    assert message.startswith("`frame0` must have shape (")
    assert f"but has shape {shape}" in message
    assert isinstance(info.value, ValueError)  # callers may catch the built-in


def test_check_frame_pair_accepts_float_frames_of_one_shape():
    check_frame_pair(torch.rand(2, 4, 9, 11), torch.rand(2, 4, 9, 11))


def test_check_frame_pair_refuses_different_shapes():
    with pytest.raises(ShapeError, match=r"same shape but have \(1, 3, 8, 8\) and \(1, 3, 8, 9\)"):
        check_frame_pair(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))


def test_check_frame_pair_refuses_integer_frames():
    frame = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    with pytest.raises(InputError, match="floating point"):
        check_frame_pair(frame, frame)


def test_check_frame_pair_refuses_missing_colour_channels():
    with pytest.raises(ShapeError, match="frame1"):
        check_frame_pair(torch.rand(1, 3, 4, 4), torch.rand(1, 1, 4, 4))


@pytest.mark.parametrize("value", [1, 7, 1000])
def test_check_num_frames_accepts_positive_integers(value):
    assert check_num_frames(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "`num_frames` must be >= 1 but is 0."),
        (-2, "`num_frames` must be >= 1 but is -2."),
        (1.0, "`num_frames` must be an integer >= 1 but is 1.0."),
        (True, "`num_frames` must be an integer >= 1 but is True."),
        ("3", "`num_frames` must be an integer >= 1 but is '3'."),
    ],
)
def test_check_num_frames_refuses(value, message):
    with pytest.raises(InputError) as info:
        check_num_frames(value)
    assert str(info.value) == message


def test_check_times_returns_floats():
    assert check_times([np.float32(0.25), 0.5, "0.75"]) == [0.25, 0.5, 0.75]


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ([], "`times` must hold at least one time in (0, 1) but is empty."),
        ([0.0], "`times` must lie strictly between 0 and 1 but holds 0.0."),
        ([0.5, 1.0], "`times` must lie strictly between 0 and 1 but holds 1.0."),
        ([-0.1], "`times` must lie strictly between 0 and 1 but holds -0.1."),
        ([math.nan], "`times` must lie strictly between 0 and 1 but holds nan."),
        ([math.inf], "`times` must lie strictly between 0 and 1 but holds inf."),
        (["half"], "`times` must hold numbers in (0, 1) but holds 'half'."),
        ([None], "`times` must hold numbers in (0, 1) but holds None."),
    ],
)
def test_check_times_refuses(times, message):
    with pytest.raises(InputError) as info:
        check_times(times)
    assert str(info.value) == message
