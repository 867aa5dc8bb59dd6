"""Outputs that can never be written are refused in one sentence before any frame is made: ``-o ''``, ``-o .``,
unwritable folders (``framer tween``, ``framer video``), and ``framer match`` outputs with the wrong suffix."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framer import api
from framer.cli.main import main
from helpers.video import ramp_frames, write_clip


@pytest.fixture
def keyframes(tmp_path):
    paths = []
    for index, level in enumerate((30, 220)):
        path = tmp_path / "keys" / f"k{index}.png"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(np.full((24, 32, 3), level, np.uint8)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the CLI gets as far as making frames."""

    def refuse(*args, **kwargs):
        raise AssertionError("frames were computed")

    monkeypatch.setattr(api, "interpolate", refuse)
    monkeypatch.setattr(api, "create_engine", refuse)


def _run(capsys, *args):
    code = main([str(arg) for arg in args])
    err = capsys.readouterr().err.strip()
    return code, err


def _one_sentence(err: str) -> str:
    assert "\n" not in err and err.startswith("framer: error: ") and err.endswith("."), err
    return err.removeprefix("framer: error: ")


@pytest.mark.parametrize("output", ["", "."])
@pytest.mark.parametrize("command", ["tween", "video"])
def test_current_folder_is_refused_and_left_alone(tmp_path, monkeypatch, capsys, keyframes, no_work, command, output):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    if command == "tween":
        args = ["tween", *keyframes, "-n", "1", "-o", output, "--overwrite"]
    else:
        args = ["video", tmp_path / "keys", "--input-fps", "12", "--multi", "2", "-o", output, "--overwrite"]
    code, err = _run(capsys, *args)
    assert code == 1
    assert "current folder" in _one_sentence(err) or "empty" in err
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt"]  # no ..old-* folder, nothing moved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys", "work"]


def test_tween_into_a_folder_holding_an_input_is_refused(tmp_path, capsys, keyframes, no_work):
    code, err = _run(capsys, "tween", *keyframes, "-n", "1", "-o", tmp_path / "keys", "--overwrite")
    assert code == 1 and "holds the input" in _one_sentence(err)
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["k0.png", "k1.png"]


def test_tween_into_a_read_only_folder_is_refused_before_any_work(tmp_path, monkeypatch, capsys, keyframes, no_work):
    read_only = tmp_path / "ro"
    read_only.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == read_only else real_access(p, mode))
    code, err = _run(capsys, "tween", *keyframes, "-n", "1", "-o", read_only / "out.mp4")
    assert code == 1
    assert _one_sentence(err).startswith(f"Output folder {read_only} is not writable")


def test_video_under_a_file_is_refused_before_reading_the_source(tmp_path, capsys):
    clip = write_clip(tmp_path / "in.mp4", ramp_frames([Fraction(i, 24) for i in range(4)], Fraction(1, 6)))
    (tmp_path / "file").write_text("x")
    code, err = _run(capsys, "video", clip, "--multi", "2", "-o", tmp_path / "file" / "sub" / "out.mp4")
    assert code == 1
    assert _one_sentence(err).startswith(f"Output folder {tmp_path / 'file' / 'sub'} cannot be made")
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-o", "m.png"], "Output m.png must end in .json: framer match writes a JSON trajectory file."),
        (["-o", "matches"], "Output matches must end in .json"),
        (["-o", "m.json", "--preview", "p.json"], "Preview p.json must end in .png, .jpg"),
        (["-o", "m.json", "--preview", "p.mp4"], "Preview p.mp4 must end in"),
    ],
)
def test_match_refuses_wrong_suffixes(tmp_path, monkeypatch, capsys, keyframes, no_work, options, message):
    monkeypatch.chdir(tmp_path)
    code, err = _run(capsys, "match", *keyframes, *options)
    assert code == 2
    last = err.splitlines()[-1]  # click's usage lines, then the one sentence
    assert last.startswith("Error: ") and message in last and last.endswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys"]
