"""framer.batch on local worker processes: split/join exactness, faults, resuming, reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import assert_same_video

from framer.batch import EngineSpec, expand_inputs, run_batch, split_segments
from framer.errors import InputError
from framer.video import interpolate_video
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, decode_video

VIDEO = {"multi": 2, "segment_seconds": Fraction(1, 4)}  # 12 output frames a segment: several per test clip
BLEND = EngineSpec(factory="batch_helpers:blend")


def _single(source: Path, output: Path, engine=None, **video) -> Path:
    interpolate_video(source, output, engine=engine or BlendEngine(), **{**VIDEO, **video})
    return output


def test_split_segments_covers_every_segment_once():
    assert split_segments(10, 3) == [(0, 3), (3, 7), (7, None)]
    assert split_segments(2, 5) == [(0, 1), (1, None)]  # at most one part per segment
    assert split_segments(7, 1) == [(0, None)]


def test_split_segments_falls_at_scene_cuts_near_its_even_points():
    assert split_segments(20, 2, [7]) == [(0, 7), (7, None)]  # the cut within half a part of the middle
    assert split_segments(20, 2, [2, 18]) == [(0, 10), (10, None)]  # cuts too far from it: the even point
    assert split_segments(20, 3, [5, 8, 12, 19]) == [(0, 8), (8, 12), (12, None)]  # the nearest cut to each point
    assert split_segments(20, 4, [6]) == [(0, 6), (6, 10), (10, 15), (15, None)]
    assert split_segments(3, 3, [1, 1, 2]) == [(0, 1), (1, 2), (2, None)]  # one part per segment, whatever the cuts
    for parts in range(1, 8):  # every split covers each segment once, in order
        for cuts in ([], [1], [3, 4], [1, 2, 3, 9]):
            bounds = [first for first, _ in split_segments(10, parts, cuts)]
            assert bounds == sorted(set(bounds)) and bounds[0] == 0 and len(bounds) == min(parts, 10)


def test_inputs_from_files_folders_globs_and_lists(tmp_path, clips):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, clip in clips.items():
        (folder / f"{name}.mp4").write_bytes(clip.read_bytes())
    (folder / "notes.txt").write_text("not a video")
    listing = tmp_path / "todo.txt"
    listing.write_text("# inputs\nin/plain.mp4\n\nmissing.mp4\n")
    found = expand_inputs([str(folder), f"{folder}/*.mp4", f"@{listing}", "nothing*.mp4"], tmp_path / "out", ".mkv")
    assert [Path(item.source).name for item in found] == ["cut.mp4", "plain.mp4", "missing.mp4", "nothing*.mp4"]
    assert found[0].output == str(tmp_path / "out" / "cut.mkv") and found[0].error is None
    assert "does not exist" in found[2].error and "matches no file" in found[3].error
    other = tmp_path / "other"
    other.mkdir()
    (other / "plain.mp4").write_bytes(b"x")
    with pytest.raises(InputError, match="would both write"):
        expand_inputs([str(folder / "plain.mp4"), str(other / "plain.mp4")], tmp_path / "out")


@pytest.fixture(scope="module")
def singles(tmp_path_factory, clips) -> dict[str, Path]:
    """The single-process outputs of the clips, the reference of every batch run."""
    folder = tmp_path_factory.mktemp("single")
    return {name: _single(clip, folder / f"{name}.mp4") for name, clip in clips.items()}


@pytest.fixture(scope="module")
def two_worker_batch(tmp_path_factory, clips):
    """Both clips and a corrupt file, 2 worker processes, each clip in 3 parts."""
    folder = tmp_path_factory.mktemp("batch")
    corrupt = folder / "corrupt.mp4"
    corrupt.write_bytes(clips["plain"].read_bytes()[:2000])  # the header and a little of the first packets
    start = time.monotonic()
    report = run_batch([str(clips["plain"]), str(corrupt), str(clips["cut"])], folder / "out", video=VIDEO,
                       engine=BLEND, workers=2, parts=3)  # fmt: skip
    return folder, report, time.monotonic() - start


@pytest.mark.parametrize("name", ["plain", "cut"])
def test_two_workers_in_parts_give_the_single_process_output(two_worker_batch, singles, name):
    folder, report, _ = two_worker_batch
    single = singles[name]
    assert_same_video(single, folder / "out" / f"{name}.mp4")
    record = next(record for record in report.inputs if Path(record.input).stem == name)
    assert record.status == "done" and record.parts == 3 and record.frames == len(decode_video(single)[0])
    assert record.cuts == (1 if name == "cut" else 0)  # the cut clip's cut is found, and never blended across
    assert not state_dir_for(folder / "out" / f"{name}.mp4").exists()  # the parts' work is cleaned up


def test_audio_is_muxed_once_at_the_end(two_worker_batch, singles):
    from helpers.video import decode_audio

    folder, report, _ = two_worker_batch
    samples, rate = decode_audio(folder / "out" / "plain.mp4")
    expected, expected_rate = decode_audio(singles["plain"])
    assert rate == expected_rate and np.array_equal(samples, expected)
    assert next(record for record in report.inputs if "plain" in record.input).audio == "copied"


def test_a_corrupt_input_is_reported_and_the_others_finish(two_worker_batch):
    folder, report, _ = two_worker_batch
    statuses = {Path(record.input).name: record.status for record in report.inputs}
    assert statuses == {"plain.mp4": "done", "corrupt.mp4": "failed", "cut.mp4": "done"}
    corrupt = next(record for record in report.inputs if record.status == "failed")
    assert corrupt.error and "\n" not in corrupt.error
    saved = json.loads((folder / "out" / "batch-report.json").read_text())
    assert saved["done"] == 2 and saved["failed"] == 1 and len(saved["worker_peak_rss_mib"]) >= 1
    assert all(value > 50 for value in saved["worker_peak_rss_mib"].values())  # MiB: a worker with PyTorch loaded
    assert "2 of 3 inputs done, 1 failed" in report.summary()


def test_the_tiny_flow_network_in_parts_matches_one_process(tmp_path, clips, tiny_flow_weights, tiny_flow_engine):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = _single(clips["cut"], tmp_path / "single.mp4", engine=tiny_flow_engine)
    finally:
        torch.set_num_threads(threads)
    spec = EngineSpec(options={"weights": str(tiny_flow_weights)}, factory="batch_helpers:tiny_flow")
    report = run_batch([str(clips["cut"])], tmp_path / "out", video=VIDEO, engine=spec, workers=2, threads=1)
    assert report.ok and report.inputs[0].parts == 2 and report.inputs[0].split_at_cuts == 1
    assert_same_video(single, tmp_path / "out" / "cut.mp4")


def test_cartoon_parts_match_framer_video_cartoon(tmp_path, clips, tiny_flow_weights, tiny_flow_engine):
    import torch

    from framer.engines.cartoon import CartoonEngine

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = _single(clips["cut"], tmp_path / "single.mp4", engine=CartoonEngine(tiny_flow_engine), dedupe=True)
        plain = _single(clips["cut"], tmp_path / "plain.mp4", engine=tiny_flow_engine, dedupe=True)
    finally:
        torch.set_num_threads(threads)
    options = {"weights": str(tiny_flow_weights)}
    spec = EngineSpec(options=options, factory="batch_helpers:tiny_flow", wrapper="batch_helpers:line_choice")
    report = run_batch([str(clips["cut"])], tmp_path / "out", video={**VIDEO, "dedupe": True}, engine=spec,
                       workers=2, threads=1)  # fmt: skip
    assert report.ok and report.inputs[0].parts == 2
    assert_same_video(single, tmp_path / "out" / "cut.mp4")
    with pytest.raises(AssertionError):  # the cartoon engine did run: its frames are not the plain engine's
        assert_same_video(plain, tmp_path / "out" / "cut.mp4")


def test_batch_cartoon_wraps_a_named_or_custom_engine_as_framer_video_cartoon(tiny_flow_weights, monkeypatch):
    from framer.cli.batch import _engine_spec
    from framer.engines.cartoon import CartoonEngine

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    custom = _engine_spec("flow", {}, "batch_helpers:tiny_flow", cartoon=True)
    named = _engine_spec("flow", {"device": "cpu"}, None, cartoon=True)
    assert custom.wrapper == named.wrapper == "framer.applications.cartoon:cartoon_engine"
    assert _engine_spec("flow", {}, None, cartoon=False).wrapper is None
    engine = EngineSpec(**{**custom.__dict__, "options": {"weights": str(tiny_flow_weights)}}).create()
    assert isinstance(engine, CartoonEngine) and engine.line_art_only
    assert engine.aligner.__name__ == "measured_drawing_layers"  # drawings matched, kept where they measure better


def test_a_worker_killed_mid_segment_is_redone(tmp_path, clips, singles):
    marker = tmp_path / "killed"
    spec = EngineSpec(options={"kill_marker": str(marker), "kill_after": 9}, factory="batch_helpers:blend")
    report = run_batch([str(clips["plain"])], tmp_path / "out", video=VIDEO, engine=spec, workers=1, parts=2)
    assert marker.exists()  # the worker did die (SIGKILL, in its 9th in-between: inside the part's 2nd segment)
    assert report.ok, report.inputs[0].error
    assert_same_video(singles["plain"], tmp_path / "out" / "plain.mp4")


_KILLABLE = """
import sys
from fractions import Fraction
sys.path[:0] = {path!r}
from framer.batch import EngineSpec, run_batch
if __name__ == "__main__":
    run_batch([{source!r}], {out!r}, video={{"multi": 2, "segment_seconds": Fraction(1, 4)}}, workers=1, parts=1,
              engine=EngineSpec(options={{"delay": 0.1}}, factory="batch_helpers:blend"))
"""


def test_a_killed_batch_run_again_keeps_its_finished_segments(tmp_path, clips, singles):
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(_KILLABLE.format(path=sys.path[:], source=str(clips["plain"]), out=str(out)))
    state = state_dir_for(out / "plain.mp4")
    process = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(state.glob("segment_00000[0-9].mp4"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker, at once
        process.wait()
    finished = sorted(state.glob("segment_00000[0-9].mp4"))
    assert len(finished) >= 2 and not (out / "plain.mp4").exists()
    report = run_batch([str(clips["plain"])], out, video=VIDEO, engine=BLEND, workers=1, parts=1)
    assert report.ok and report.inputs[0].segments_kept == len(finished)
    assert f"{len(finished)} finished segments kept" in report.summary()
    # 35 in-betweens in all, 6 in each kept segment of 12 frames: those were not made again
    assert report.inputs[0].interpolated <= 35 - 6 * len(finished)
    assert_same_video(singles["plain"], out / "plain.mp4")


def test_existing_outputs_are_skipped_and_a_finished_batch_is_not_redone(two_worker_batch, clips):
    folder, _, _ = two_worker_batch
    report = run_batch([str(clips["plain"])], folder / "out", video=VIDEO, engine=BLEND, workers=1,
                       report=folder / "again.json")  # fmt: skip
    assert report.inputs[0].status == "skipped" and report.ok


def test_inputs_and_outputs_as_fsspec_urls(tmp_path, clips, singles, monkeypatch):
    pytest.importorskip("fsspec")
    monkeypatch.setenv("FRAMER_BATCH_CACHE", str(tmp_path / "cache"))
    out = f"file://{tmp_path}/bucket/out"
    report = run_batch([f"file://{clips['cut'].parent}/c*.mp4"], out, video=VIDEO, engine=BLEND, workers=1,
                       work_dir=tmp_path / "work")  # fmt: skip
    assert report.ok and report.inputs[0].output == f"{out}/cut.mp4" and report.path == f"{out}/batch-report.json"
    assert_same_video(singles["cut"], tmp_path / "bucket" / "out" / "cut.mp4")  # staged, made, uploaded
    assert json.loads((tmp_path / "bucket" / "out" / "batch-report.json").read_text())["done"] == 1
    assert not list((tmp_path / "work").iterdir())  # the local copy of the output went up


def test_options_a_batch_cannot_take_are_refused(tmp_path, clips):
    with pytest.raises(InputError, match="confidence"):
        run_batch([str(clips["plain"])], tmp_path, video={**VIDEO, "confidence": "c.csv"}, engine=BLEND)
