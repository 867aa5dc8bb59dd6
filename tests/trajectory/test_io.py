"""Trajectory files (versioned JSON), their validation, the --drag shorthand and API input coercion."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import framer.trajectory.io as io_module
from framer.errors import InputError
from framer.trajectory import (
    FORMAT_VERSION,
    MAX_FILE_BYTES,
    MAX_POINTS,
    MAX_SIZE,
    MAX_TRAJECTORIES,
    Trajectory,
    TrajectoryError,
    TrajectoryFileError,
    check_trajectories,
    coerce_trajectories,
    dumps_trajectories,
    load_trajectories,
    parse_drag,
    save_trajectories,
    trajectories_from_dict,
    trajectories_to_dict,
)
from helpers import REPO

DOC = REPO / "docs" / "trajectory-format.md"


def _file(*items: dict, width: int = 100, height: int = 50, **top) -> dict:
    return {
        "format": "framer-trajectories",
        "version": 1,
        "width": width,
        "height": height,
        "trajectories": list(items),
    } | top


def _trajectories() -> list[Trajectory]:
    return [
        Trajectory([(1.5, 2.25), (50.0, 40.0), (99.0, 0.0)], [0.0, 0.3125, 1.0], name="ball"),
        Trajectory([(10.0, 10.0), (20.0, 49.0)], interpolation="monotone"),
        Trajectory([(0.1, 0.2), (1 / 3, 2 / 3), (3.0, 4.0)]),
    ]


def test_file_round_trip_is_exact(tmp_path):
    path = tmp_path / "drags.json"
    save_trajectories(path, _trajectories(), 100, 50)
    loaded = load_trajectories(path)
    assert (loaded.width, loaded.height) == (100, 50)
    assert loaded.trajectories == _trajectories()  # floats such as 1/3 survive exactly
    assert json.loads(path.read_text())["version"] == FORMAT_VERSION
    assert not list(tmp_path.glob(".*.tmp"))


def test_dict_round_trip_and_compact_text():
    data = trajectories_to_dict(_trajectories(), 100, 50)
    assert data["trajectories"][0] == {
        "name": "ball",
        "points": [[1.5, 2.25], [50, 40], [99, 0]],
        "times": [0, 0.3125, 1],
    }
    assert "times" not in data["trajectories"][1] and data["trajectories"][1]["interpolation"] == "monotone"
    assert trajectories_from_dict(data).trajectories == _trajectories()
    assert "[1.5, 2.25]," in dumps_trajectories(_trajectories(), 100, 50)  # one pair per line


def test_the_documented_example_is_valid():
    example = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    parsed = trajectories_from_dict(json.loads(example))
    assert (parsed.width, parsed.height) == (512, 320) and len(parsed.trajectories) == 2
    assert parsed.trajectories[0].name == "ball" and parsed.trajectories[1].interpolation == "monotone"
    assert parsed.trajectories[0].confidence is None and parsed.trajectories[1].confidence == 0.9


def test_for_size_rescales_only_when_the_size_differs():
    loaded = trajectories_from_dict(_file({"points": [[0, 0], [99, 49]]}))
    assert loaded.for_size(100, 50) == loaded.trajectories
    np.testing.assert_allclose(loaded.for_size(200, 100)[0].points, [[0.5, 0.5], [198.5, 98.5]])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _file({"name": "ball", "points": [[1, 2], [150, 20]]}),
            "Trajectory 0 ('ball'), point 1: (150, 20) lies outside the 100x50 frame",
        ),
        (
            _file({"points": [[1, 2], [5, 6]]}, {"points": [[1, 2], [5, -0.5]]}),
            "Trajectory 1, point 1: (5, -0.5) lies outside",
        ),
        (_file({"points": [[1, 2]]}), "Trajectory 0 has 1 point, but a trajectory needs at least 2"),
        (
            _file({"points": [[0, 0], [5, 5], [9, 9]], "times": [0, 0.5, 0.5]}),
            "Trajectory 0, point 2: time 0.5 is not greater",
        ),
        (_file({"points": [[0, 0], [5, 5], [9, 9]], "times": [0, 0.7, 0.4]}), "times must increase strictly"),
        (_file({"points": [[0, 0], [5, 5]], "times": [0.2, 1]}), "point 0: the start must be at time 0"),
        (_file({"points": [[0, 0], [5, 5]], "times": [0, 1, 1]}), "has 2 points but 3 times"),
        (_file({"points": [[0, 0], [float("nan"), 5]]}), "Trajectory 0, point 1: x = nan is not a finite number"),
        (_file({"points": [[0, 0], [5, "5"]]}), "Trajectory 0, point 1: y = '5' is not a number"),
        (_file({"points": [[0, 0], [5, None]]}), "Trajectory 0, point 1: y = None is not a number"),
        (_file({"points": [[0, 0], [5, 5]], "times": [0, "1"]}), "point 1: time '1' is not a number"),
        (_file({"points": [[0, 0], [5, 5, 5]]}), "point 1: [5, 5, 5] is not an [x, y] pair"),
        (_file({"points": "0,0:5,5"}), "points must be a list of [x, y] pairs"),
        (_file({"times": [0, 1]}), "Trajectory 0 has no 'points'"),
        (_file({"points": [[0, 0], [5, 5]], "time": [0, 1]}), "unknown key 'time'. Did you mean 'times'?"),
        (_file({"points": [[0, 0], [5, 5]], "interpolation": "linear"}), "'interpolation' must be one of"),
        (_file({"points": [[0, 0], [0, 0], [5, 5]]}), "Trajectory 0, point 1: it repeats point 0"),
        (_file(version=2), "format version 2 was written by a newer framer"),
        (_file(version="1"), "'version' must be the integer 1"),
        (_file(format="other"), "'format' must be 'framer-trajectories'"),
        (_file(width=0), "'width' must be a positive integer"),
        (_file(colour="red"), "Trajectory file has an unknown key 'colour'"),
        ({"version": 1, "width": 10, "height": 10}, "'trajectories' must be a list"),
        ([1, 2], "the top level must be a JSON object"),
    ],
)
def test_every_broken_rule_is_one_clear_error(data, message):
    with pytest.raises(TrajectoryError, match=re.escape(message)):
        trajectories_from_dict(data)


def test_confidence_round_trips_and_is_written_only_when_given(tmp_path):
    rated = [
        Trajectory([(1, 2), (50, 40)], name="match 00", confidence=0.87),
        Trajectory([(1, 2), (50, 40)], confidence=1 / 3),  # any float survives exactly
        Trajectory([(1, 2), (50, 40)], confidence=0),
        Trajectory([(1, 2), (50, 40)], confidence=1),
        Trajectory([(1, 2), (50, 40)]),
    ]
    path = tmp_path / "rated.json"
    save_trajectories(path, rated, 100, 50)
    items = json.loads(path.read_text(encoding="utf-8"))["trajectories"]
    assert [item.get("confidence", "absent") for item in items] == [0.87, 1 / 3, 0, 1, "absent"]
    loaded = load_trajectories(path).trajectories
    assert loaded == rated and [t.confidence for t in loaded] == [0.87, 1 / 3, 0.0, 1.0, None]
    assert loaded[0] != Trajectory([(1, 2), (50, 40)], name="match 00", confidence=0.5)
    assert load_trajectories(path).for_size(200, 100)[0].confidence == 0.87  # rescaling keeps it


def test_a_file_without_confidence_or_with_null_loads_as_none():
    loaded = trajectories_from_dict(
        _file({"points": [[0, 0], [5, 5]]}, {"points": [[0, 0], [5, 5]], "confidence": None})
    ).trajectories
    assert [t.confidence for t in loaded] == [None, None]
    assert "confidence" not in trajectories_to_dict(loaded, 100, 50)["trajectories"][1]
    assert coerce_trajectories([{"points": [[0, 0], [5, 5]], "confidence": 0.25}])[0].confidence == 0.25


def test_confidence_does_not_change_sampling():
    plain = Trajectory([(0, 0), (40, 10), (80, 0)])
    rated = Trajectory([(0, 0), (40, 10), (80, 0)], confidence=0.1)
    times = np.linspace(0, 1, 11)
    np.testing.assert_array_equal(plain.sample(times), rated.sample(times))
    np.testing.assert_array_equal(plain.polyline(), rated.polyline())
    assert "confidence=0.1" in repr(rated) and "confidence" not in repr(plain)


@pytest.mark.parametrize(
    ("confidence", "message"),
    [
        ("high", "Trajectory 0 ('m'): confidence 'high' is not a number (give a number in [0, 1])."),
        (True, "Trajectory 0 ('m'): confidence True is not a number"),
        ([0.5], "Trajectory 0 ('m'): confidence [0.5] is not a number"),
        (float("nan"), "Trajectory 0 ('m'): confidence nan is not a finite number"),
        (float("inf"), "Trajectory 0 ('m'): confidence inf is not a finite number"),
        (1.5, "Trajectory 0 ('m'): confidence 1.5 is outside [0, 1]."),
        (-0.25, "Trajectory 0 ('m'): confidence -0.25 is outside [0, 1]."),
    ],
)
def test_every_bad_confidence_is_one_clear_error(confidence, message):
    with pytest.raises(TrajectoryError, match=re.escape(message)):
        trajectories_from_dict(_file({"name": "m", "points": [[0, 0], [5, 5]], "confidence": confidence}))
    with pytest.raises(TrajectoryError, match=re.escape(message.replace("Trajectory 0 (", "Trajectory ("))):
        Trajectory([(0, 0), (5, 5)], name="m", confidence=confidence)


def test_a_nan_confidence_in_a_file_names_the_file_and_trajectory(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(
        '{"version": 1, "width": 9, "height": 9, "trajectories": [{"points": [[1, 1], [2, 2]]}, '
        '{"points": [[1, 1], [2, 2]], "confidence": NaN}]}'
    )
    with pytest.raises(TrajectoryError, match=r"nan.json: Trajectory 1: confidence nan is not a finite number"):
        load_trajectories(path)


def test_files_with_nan_and_bad_json_and_missing_files(tmp_path):
    nan_file = tmp_path / "nan.json"
    nan_file.write_text('{"version": 1, "width": 9, "height": 9, "trajectories": [{"points": [[1, NaN], [2, 2]]}]}')
    with pytest.raises(TrajectoryError, match=r"nan.json: Trajectory 0, point 0: y = nan is not a finite number"):
        load_trajectories(nan_file)
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1,')
    with pytest.raises(TrajectoryError, match="is not valid JSON"):
        load_trajectories(broken)
    with pytest.raises(TrajectoryFileError, match="Cannot read the trajectory file") as caught:
        load_trajectories(tmp_path / "missing.json")
    assert isinstance(caught.value, OSError)


def test_writing_checks_the_rules_too(tmp_path):
    with pytest.raises(
        TrajectoryError, match=re.escape("Trajectory 0 ('ball'), point 1: (50, 40) lies outside the 50x50 frame")
    ):
        save_trajectories(tmp_path / "x.json", _trajectories(), 50, 50)
    assert not (tmp_path / "x.json").exists()


def test_check_trajectories_against_the_keyframes():
    assert check_trajectories(_trajectories(), 100, 50) == _trajectories()
    with pytest.raises(InputError, match=re.escape("Trajectory 2, point 2: (3, 4) lies outside the 3x3 frame")):
        check_trajectories([Trajectory([(0, 0), (1, 1)])] * 2 + [_trajectories()[2]], 3, 3)
    with pytest.raises(TrajectoryError, match="must be a list of trajectories"):
        check_trajectories(_trajectories()[0], 100, 50)


@pytest.mark.parametrize(
    ("text", "points", "times"),
    [
        ("10,20:30,40", [[10, 20], [30, 40]], None),
        (" 1.5 , 2 : 3e1,4 : 5,6 ", [[1.5, 2], [30, 4], [5, 6]], None),
        ("10,20@0:30,40@0.25:50,60@1", [[10, 20], [30, 40], [50, 60]], [0, 0.25, 1]),
    ],
)
def test_parse_drag(text, points, times):
    trajectory = parse_drag(text)
    np.testing.assert_allclose(trajectory.points, points)
    assert (trajectory.times is None) if times is None else np.allclose(trajectory.times, times)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10,20", "Trajectory 4 has 1 point"),
        ("10,20:x,5", "Trajectory 4, point 1: 'x,5' in --drag '10,20:x,5' is not 'x,y' or 'x,y@t' with numbers"),
        ("10,20:30", "point 1: '30'"),
        ("10,20:30,40:", "point 2: ''"),
        (
            "10,20@0:30,40",
            "Trajectory 4, point 1: in --drag '10,20@0:30,40' give a time '@t' to every point or to none",
        ),
        ("10,20@0:30,40@0:50,60@1", "point 1: time 0.0 is not greater"),
        ("10,20@0:30,40@0.5", "point 1: the end must be at time 1"),
        ("nan,1:2,3", "point 0: 'nan,1'"),
        ("", "--drag needs points"),
    ],
)
def test_parse_drag_errors(text, message):
    with pytest.raises(TrajectoryError, match=re.escape(message)):
        parse_drag(text, index=4)


def test_coerce_trajectories_takes_every_documented_form(tmp_path):
    path = tmp_path / "d.json"
    save_trajectories(path, _trajectories(), 100, 50)
    given = [_trajectories()[0], "1,2:3,4", [(5, 6), (7, 8)], {"points": [[9, 9], [10, 10]], "name": "obj"}]
    result = coerce_trajectories(given)
    assert result[0] == _trajectories()[0] and result[1] == Trajectory([(1, 2), (3, 4)])
    assert result[2] == Trajectory([(5, 6), (7, 8)]) and result[3].name == "obj"
    assert coerce_trajectories(str(path)) == _trajectories() == coerce_trajectories(path)
    with pytest.raises(TrajectoryError, match="Trajectory 1, point 1"):
        coerce_trajectories(["1,2:3,4", [(0, 0), (float("nan"), 0)]])
    with pytest.raises(TrajectoryError, match="`trajectories` must be a list"):
        coerce_trajectories("1,2:3,4")


# -- limits on what framer reads ----------------------------------------------------------------------------------


def test_more_than_max_trajectories_are_refused_in_every_form_naming_the_limit():
    assert MAX_TRAJECTORIES == 100
    items = [{"points": [[1, 1], [2, 2]]}] * (MAX_TRAJECTORIES + 1)
    with pytest.raises(
        TrajectoryError, match=r"Trajectory file: 'trajectories' holds 101 trajectories, more than the limit of 100"
    ):
        trajectories_from_dict(_file(*items))
    for given in (["1,1:2,2"] * 101, [[(1, 1), (2, 2)]] * 101, [Trajectory([(1, 1), (2, 2)])] * 101):
        with pytest.raises(
            TrajectoryError, match=r"^`trajectories` \(--trajectories or --drag .*more than the limit of 100"
        ):
            coerce_trajectories(given)
    with pytest.raises(InputError, match="holds 101 trajectories, more than the limit of 100"):
        check_trajectories([Trajectory([(1, 1), (2, 2)])] * 101, 100, 50)
    assert len(trajectories_from_dict(_file(*items[:100])).trajectories) == 100
    assert len(coerce_trajectories(["1,1:2,2"] * 100)) == 100


def test_many_trajectories_are_refused_before_they_are_parsed(monkeypatch):
    """20,000 trajectories once ran for minutes: the count is checked before any of them is parsed."""

    def parse(*_args):
        raise AssertionError("parsed a trajectory past the limit")

    monkeypatch.setattr(io_module, "parse_drag", parse)
    monkeypatch.setattr(io_module, "_trajectory_from_item", parse)
    with pytest.raises(TrajectoryError, match="holds 20000 trajectories"):
        coerce_trajectories(["1,1:2,2"] * 20000)
    with pytest.raises(TrajectoryError, match="holds 20000 trajectories"):
        trajectories_from_dict(_file(*[{"points": [[1, 1], [2, 2]]}] * 20000))


def test_more_than_max_points_in_a_trajectory_are_refused():
    assert MAX_POINTS == 1000
    points = [[float(i % 90), float(i % 7)] for i in range(MAX_POINTS + 1)]
    with pytest.raises(TrajectoryError, match=r"Trajectory 0 \('long'\) has 1001 points, more than the limit of 1000"):
        trajectories_from_dict(_file({"name": "long", "points": points}))
    with pytest.raises(TrajectoryError, match=r"Trajectory 2 \(--drag\) has 1001 points, more than the limit of 1000"):
        parse_drag(":".join(f"{x},{y}" for x, y in points), 2)
    with pytest.raises(TrajectoryError, match="Trajectory 0 has 1001 points"):
        coerce_trajectories([points])
    with pytest.raises(TrajectoryError, match="Trajectory 0 has 1001 points"):
        check_trajectories([Trajectory(points, np.linspace(0, 1, len(points)))], 100, 50)
    assert len(trajectories_from_dict(_file({"points": points[:1000]})).trajectories[0].points) == 1000


def test_writers_are_not_held_to_the_limits():
    """The autopilot (``framer match --count``) keeps its own count; only what framer reads is limited."""
    many = [Trajectory([(1, 1), (2, 2)], name=f"match {i:03d}") for i in range(MAX_TRAJECTORIES + 1)]
    assert len(trajectories_to_dict(many, 100, 50)["trajectories"]) == 101


@pytest.mark.parametrize("size", [10**30, 0, -3, MAX_SIZE + 1, 2.5, "64", True])
def test_absurd_file_sizes_are_refused(size):
    with pytest.raises(
        TrajectoryError, match=r"Trajectory file: 'width' must be a positive integer \(pixels\) of at most 65536"
    ):
        trajectories_from_dict(_file({"points": [[0, 0], [1, 1]]}, width=size))
    with pytest.raises(TrajectoryError, match=r"'height' must be a positive integer \(pixels\) of at most 65536"):
        trajectories_to_dict([], 10, size)
    assert trajectories_from_dict(_file({"points": [[0, 0], [9, 9]]}, width=MAX_SIZE, height=MAX_SIZE)).width == 65536


def test_points_that_fall_together_on_the_keyframes_are_refused():
    """Drawn on a huge frame, read for small keyframes: two points would become one, which the docs call an error."""
    drawn = trajectories_from_dict(
        _file(
            {"points": [[1000, 1000], [60000, 1000]]},
            {"name": "tiny", "points": [[0, 0], [5, 0]]},
            width=65536,
            height=65536,
        )
    )
    with pytest.raises(TrajectoryError, match=r"Trajectory 1 \('tiny'\), point 1: scaled from the 65536x65536 frame"):
        drawn.for_size(64, 64)


def test_deeply_nested_json_is_one_sentence(tmp_path):
    path = tmp_path / "nested.json"
    path.write_text("[" * 100_000)
    for read in (load_trajectories, coerce_trajectories):
        with pytest.raises(
            TrajectoryError, match="is not a trajectory file: its JSON lists or objects are nested too"
        ) as info:
            read(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to write
    with pytest.raises(TrajectoryError, match=r"huge.json' is larger than 16 MiB, the most framer reads"):
        load_trajectories(path)
