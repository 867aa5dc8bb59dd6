"""The `framer batch` command: usage errors, a batch with a bad input, the report, and a rerun that skips."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from helpers.video import ramp_frames, write_clip

BATCH_TESTS = Path(__file__).parents[1] / "batch"


@pytest.fixture
def clip(tmp_path, monkeypatch) -> Path:
    monkeypatch.syspath_prepend(str(BATCH_TESTS))  # the test engine's module, for the spawned workers too
    times = [Fraction(i, 24) for i in range(12)]
    return write_clip(tmp_path / "walk.mp4", ramp_frames(times, Fraction(12, 24)))


def test_usage_errors_exit_2(cli, clip, tmp_path):
    code, _, err = cli("batch", "-o", tmp_path / "out", "--multi", "2")
    assert code == 2 and "Give the inputs" in err
    code, _, err = cli("batch", clip, "-o", tmp_path / "out")
    assert code == 2 and "exactly one of --multi, --fps or --slowmo" in err
    code, _, err = cli("batch", clip, "-o", tmp_path / "out", "--multi", "2", "--workers", "0")
    assert code == 2 and "--workers" in err
    assert not (tmp_path / "out").exists()


def test_a_bad_input_fails_alone_and_a_rerun_skips_what_is_done(cli, clip, tmp_path):
    out = tmp_path / "out"
    args = ["batch", clip, tmp_path / "missing.mp4", "-o", out, "--multi", "2", "--workers", "1",
            "--engine-factory", "batch_helpers:blend"]  # fmt: skip
    code, _, err = cli(*args)
    assert code == 1
    assert "missing.mp4 failed: " in err and "does not exist" in err
    assert "1 of 2 inputs done, 1 failed" in err
    report = json.loads((out / "batch-report.json").read_text())
    assert [entry["status"] for entry in report["inputs"]] == ["done", "failed"]
    assert report["inputs"][0]["frames"] == 24 and (out / "walk.mp4").stat().st_size > 0
    code, _, err = cli(*args[:2], *args[3:], "-q")  # the good input alone: its output exists
    assert code == 0 and err == ""
    assert json.loads((out / "batch-report.json").read_text())["skipped"] == 1


def test_an_input_that_is_not_a_video_is_reported_once(cli, clip, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video\n")
    code, _, err = cli("batch", notes, "-o", tmp_path / "out", "--multi", "2", "--workers", "1",
                       "--engine-factory", "batch_helpers:blend")  # fmt: skip
    assert code == 1 and "0 of 1 inputs done, 1 failed" in err
    assert err.count("cannot be opened as a video") == 1, err
    assert notes.read_text() == "not a video\n" and not (tmp_path / "out" / "notes.mp4").exists()
