"""Video mode's fallback: in-betweens below the confidence threshold are replaced; the sidecar and summary say so."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from fractions import Fraction

import numpy as np
import pytest
import torch

import framer.engines
from framer.cli.main import main
from framer.engines import Capabilities, Engine, ScoredFrame
from framer.errors import InputError
from framer.io.atomic import write_png
from framer.io.images import read_image
from framer.video import interpolate_video
from framer.video.fallback import FallbackPolicy
from framer.video.state import state_dir_for
from helpers.video import ramp_frames

CONFIDENCES = (0.2, 0.9, 0.45)  # the scripted engine's confidences, in turn


class _Scripted(Engine):
    """Black in-betweens with scripted confidences, so a replaced frame (a blend or a source frame) is plain to see."""

    name = "scripted"
    capabilities = Capabilities(tiles=True)
    device = torch.device("cpu")

    def __init__(self, stop_at: int | None = None, **_options) -> None:
        self.calls, self.made, self.stop_at = 0, 0, stop_at

    def iter_frames(self, frame0, frame1, times) -> Iterator[torch.Tensor]:
        for scored in self.iter_scored(frame0, frame1, times):
            yield scored.frame

    def iter_scored(self, frame0, frame1, times: Sequence[float], **_guidance) -> Iterator[ScoredFrame]:
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        for _ in times:
            self.made += 1
            yield ScoredFrame(torch.zeros_like(frame0), CONFIDENCES[(self.made - 1) % len(CONFIDENCES)])


@pytest.fixture
def frames_folder(tmp_path):
    """Six PNG frames whose green level rises 20 -> 235 (exact: no video coding in the way)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for index, image in enumerate(ramp_frames([Fraction(i) for i in range(6)], Fraction(5), size=(32, 24))):
        write_png(image, folder / f"f{index:02d}.png")
    return folder


def _outputs(folder) -> list[np.ndarray]:
    return [read_image(path).astype(int) for path in sorted(folder.glob("*.png"))]


def _run(source, out, **options):
    return interpolate_video(source, out, input_fps=12, multi=2, engine=_Scripted(), **options)


def test_no_frame_falls_back_at_threshold_0_and_low_ones_do_when_it_is_raised(tmp_path, frames_folder):
    sources = _outputs(frames_folder)
    kept = _run(frames_folder, tmp_path / "zero", fallback="blend", fallback_threshold=0.0)
    assert kept.interpolated == 5 and kept.fell_back == 0
    in_betweens = _outputs(tmp_path / "zero")[1:10:2]  # output 2k + 1 lies between source frames k and k + 1
    assert all(frame.max() == 0 for frame in in_betweens)  # the engine's black frames, all kept

    raised = _run(frames_folder, tmp_path / "half", fallback="blend", fallback_threshold=0.5)
    low = [CONFIDENCES[k % 3] < 0.5 for k in range(5)]  # 0.2 and 0.45 fall back, 0.9 does not
    assert raised.fell_back == sum(low) == 3
    for k, (frame, replaced) in enumerate(zip(_outputs(tmp_path / "half")[1:10:2], low, strict=True)):
        if replaced:  # the blend of source frames k and k + 1 at t = 1/2, to the rounding of 8 bits
            assert np.abs(frame - (sources[k] + sources[k + 1]) / 2).max() <= 1
        else:
            assert frame.max() == 0

    everything = _run(frames_folder, tmp_path / "all", fallback="nearest", fallback_threshold=1.0)
    assert everything.fell_back == 5
    for k, frame in enumerate(_outputs(tmp_path / "all")[1:10:2]):
        assert np.array_equal(frame, sources[k + 1])  # t = 1/2 is not below 1/2: the later source frame


def test_fallback_none_keeps_every_frame_and_the_default_changes_nothing(tmp_path, frames_folder):
    result = _run(frames_folder, tmp_path / "out", fallback="none", fallback_threshold=1.0)
    assert result.fell_back == 0 and result.confidence_file is None
    assert all(frame.max() == 0 for frame in _outputs(tmp_path / "out")[1:10:2])


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_sidecar_lists_each_in_between_with_its_confidence_and_fallback(tmp_path, frames_folder, suffix):
    sidecar = tmp_path / f"confidence{suffix}"
    result = _run(frames_folder, tmp_path / "out", fallback="blend", fallback_threshold=0.3, confidence=sidecar)
    assert result.confidence_file == sidecar and result.fell_back == 2
    if suffix == ".json":
        rows = json.loads(sidecar.read_text())["frames"]
    else:
        with sidecar.open(newline="") as file:
            rows = list(csv.DictReader(file))
    assert [int(row["output_frame"]) for row in rows] == [1, 3, 5, 7, 9]
    assert [(int(row["source_a"]), int(row["source_b"])) for row in rows] == [(k, k + 1) for k in range(5)]
    assert [float(row["output_time"]) for row in rows] == pytest.approx([k / 24 for k in (1, 3, 5, 7, 9)], abs=1e-6)
    assert [float(row["t"]) for row in rows] == [0.5] * 5
    assert [float(row["confidence"]) for row in rows] == [CONFIDENCES[k % 3] for k in range(5)]
    assert [str(row["fell_back"]) for row in rows] == ["True", "False", "False", "True", "False"]
    assert "2 of 5 in-betweens fell back to blend (confidence below 0.3)" in result.confidence_note
    assert str(sidecar) in result.confidence_note
    assert not list(tmp_path.glob(".confidence*"))  # no partial file left beside it


def test_the_fallback_settings_are_part_of_the_resume_identity(tmp_path, frames_folder):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        interpolate_video(frames_folder, out, input_fps=12, multi=2, engine=_Scripted(stop_at=4),
                          fallback="blend", fallback_threshold=0.5, segment_seconds=Fraction(1, 12))  # fmt: skip
    assert state_dir_for(out).is_dir()
    for changed in (
        {"fallback": "nearest", "fallback_threshold": 0.5},
        {"fallback": "blend", "fallback_threshold": 0.6},
    ):
        with pytest.raises(InputError, match="different command"):
            _run(frames_folder, out, segment_seconds=Fraction(1, 12), **changed)
    resumed = _run(frames_folder, out, fallback="blend", fallback_threshold=0.5, segment_seconds=Fraction(1, 12))
    assert resumed.resumed_from > 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fallback": "ghost"}, "`fallback` must be one of none, blend, nearest but is 'ghost'."),
        ({"fallback": "blend", "fallback_threshold": 1.5}, "`fallback_threshold` must be a number in [0, 1]"),
        ({"confidence": "scores.txt"}, "`confidence` must be a .csv or .json file"),
    ],
)
def test_bad_fallback_options_are_refused_before_any_work(tmp_path, frames_folder, options, message):
    engine = _Scripted()
    with pytest.raises(InputError) as caught:
        interpolate_video(frames_folder, tmp_path / "out", input_fps=12, multi=2, engine=engine, **options)
    assert message in str(caught.value)
    assert engine.calls == 0 and not (tmp_path / "out").exists()


def test_policy_identity_ignores_the_threshold_when_nothing_falls_back():
    assert FallbackPolicy("none", 0.1).identity() == FallbackPolicy("none", 0.9).identity() == {"fallback": None}
    assert FallbackPolicy("blend", 0.25).identity() == {"fallback": ["blend", 0.25]}


@pytest.fixture
def scripted_engine_name():
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(framer.engines._ENGINES, "scripted", _Scripted)
        yield "scripted"


def test_cli_summary_line_counts_fallbacks_and_names_the_sidecar(tmp_path, frames_folder, scripted_engine_name,
                                                                 capsys):  # fmt: skip
    sidecar = tmp_path / "scores.csv"
    code = main(["video", str(frames_folder), "--input-fps", "12", "--multi", "2", "--engine", scripted_engine_name,
                 "--fallback", "blend", "--fallback-threshold", "0.5", "--confidence", str(sidecar),
                 "-o", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    summary = [line for line in err.splitlines() if line.startswith("Wrote ")]
    assert len(summary) == 1
    assert "3 of 5 in-betweens fell back to blend (confidence below 0.5), lowest confidence 0.20" in summary[0]
    assert f"confidence per frame in {sidecar}" in summary[0]
    assert sidecar.read_text().splitlines()[0] == "output_frame,output_time,source_a,source_b,t,confidence,fell_back"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fallback-threshold", "0.5"], "--fallback-threshold sets when --fallback replaces frames"),
        (["--fallback", "blend", "--fallback-threshold", "1.5"], "1.5 is not in the range 0<=x<=1"),
        (["--fallback", "sometimes"], "'sometimes' is not one of 'none', 'blend', 'nearest'"),
        (["--confidence", "scores.txt"], "must be a .csv or .json file, not 'scores.txt'"),
    ],
)
def test_cli_usage_errors_exit_2_before_any_work(tmp_path, frames_folder, arguments, message, capsys):
    code = main(["video", str(frames_folder), "--multi", "2", "-o", str(tmp_path / "out"), *arguments])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_an_existing_sidecar_without_overwrite(tmp_path, frames_folder, capsys):
    sidecar = tmp_path / "scores.json"
    sidecar.write_text("{}")
    code = main(["video", str(frames_folder), "--multi", "2", "-o", str(tmp_path / "out"), "--confidence",
                 str(sidecar)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "already exists; pass --overwrite to replace it." in err
    assert sidecar.read_text() == "{}"
