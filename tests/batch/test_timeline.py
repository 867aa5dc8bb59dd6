"""Timeline checkpoints: a part starts at its first segment (with its context frames) instead of replaying the video
before it, and its output is still exactly the single-process run's."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import assert_same_video

from framer.batch import EngineSpec, run_batch, split_segments
from framer.io.images import read_image
from framer.io.writers import write_frames
from framer.synthetic.overlays import make_overlay_clip
from framer.video import interpolate_video
from framer.video import reader as reader_module
from framer.video.parts import TIMELINE_FILE, VideoPart, load_timeline
from framer.video.state import state_dir_for
from helpers.video import BlendEngine, decode_video, write_clip

VIDEO = {"multi": 2, "segment_seconds": Fraction(1, 4), "dedupe": True}  # 12 output frames a segment
SEGMENT = 12


@pytest.fixture(scope="module")
def overlay_clip(tmp_path_factory) -> Path:
    """72 frames at 24 fps over a panning texture with a semi-transparent watermark: frames 12-31 each shown twice
    (holds, for --dedupe), a scene cut at frame 40 (another texture), frames 40-55 shown twice."""
    a = make_overlay_clip("watermark", num_frames=30, speed=8, seed=1).frames()
    b = make_overlay_clip("watermark", num_frames=24, speed=8, seed=7).frames()
    twice = [frame for frame in [*a[12:22], None, *b[:8]] for _ in range(2) if frame is not None]
    frames = [*a[:12], *twice[:20], *a[22:], *twice[20:], *b[8:]]
    return write_clip(tmp_path_factory.mktemp("timeline") / "overlay.mp4", frames, rate=Fraction(24))


class _Decoded:
    """Counts the frames a reader converts to RGB and the indices it hands on (every decoded frame it keeps)."""

    def __init__(self, monkeypatch) -> None:
        self.converted, self.indices = 0, []
        to_rgb, decode = reader_module.VideoReader._to_rgb, reader_module.VideoReader._decode

        def counting_to_rgb(reader, frame):
            self.converted += 1
            return to_rgb(reader, frame)

        def recording_decode(reader, *args):
            for frame in decode(reader, *args):
                self.indices.append(frame.index)
                yield frame

        monkeypatch.setattr(reader_module.VideoReader, "_to_rgb", counting_to_rgb)
        monkeypatch.setattr(reader_module.VideoReader, "_decode", recording_decode)

    def reset(self) -> None:
        self.converted, self.indices = 0, []


def _run_parts(source: Path, output: Path, parts: int, caplog, decoded: _Decoded | None = None) -> dict:
    """The timeline pass, each part in turn (each from its checkpoint: no replay), then the join; the timeline and
    each part's decoded indices."""
    with caplog.at_level(logging.INFO, logger="framer.video.pipeline"):
        run = _run_all(source, output, parts, decoded)
    assert "Replaying" not in caplog.text
    return run


def _run_all(source: Path, output: Path, parts: int, decoded: _Decoded | None) -> dict:
    walked = interpolate_video(source, output, engine=BlendEngine(), timeline=True, **VIDEO)
    timeline = load_timeline(state_dir_for(output) / TIMELINE_FILE)
    seen = {}
    for part in split_segments(-(-walked.num_frames // SEGMENT), parts):
        if decoded is not None:
            decoded.reset()
        interpolate_video(source, output, engine=BlendEngine(), part=VideoPart(*part), **VIDEO)
        if decoded is not None:
            seen[part] = (decoded.converted, list(decoded.indices))
    interpolate_video(source, output, engine=BlendEngine(), resume=True, **VIDEO)
    return {"timeline": timeline, "decoded": seen}


def test_a_part_decodes_nothing_before_its_context(tmp_path, overlay_clip, monkeypatch, caplog):
    decoded = _Decoded(monkeypatch)
    single = interpolate_video(overlay_clip, tmp_path / "single.mp4", engine=BlendEngine(), **VIDEO)
    full = decoded.converted
    run = _run_parts(overlay_clip, tmp_path / "split.mp4", 3, caplog, decoded)
    assert_same_video(tmp_path / "single.mp4", tmp_path / "split.mp4")
    timeline = run["timeline"]
    assert timeline.num_frames == single.num_frames and timeline.cuts == list(single.cuts)
    for (first, end), (converted, indices) in run["decoded"].items():
        assert converted == len(indices)  # every frame converted to RGB was handed on (dropped ones are not converted)
        if first == 0:
            assert indices[0] == 0
            continue
        context = timeline.points[first].context[0]
        # frame 0 is decoded when the reader opens (the video's size and start time), then nothing before the context
        assert indices[0] == 0 and min(indices[1:]) == context > 1
        assert indices[1:] == list(range(context, context + len(indices) - 1))
        if end is None:
            assert len(indices) - 1 == full - context  # from the context to the end, once
    assert sum(converted for converted, _ in run["decoded"].values()) < 2 * full  # replays decoded 1 + 2/3 + 1/3


def test_exact_across_boundaries_with_a_cut_holds_and_a_watermark(tmp_path, overlay_clip, caplog):
    single = interpolate_video(overlay_clip, tmp_path / "single.mp4", engine=BlendEngine(), **VIDEO)
    assert single.cuts == (40,) and len(single.duplicates) == 18 and single.protected > 0
    run = _run_parts(overlay_clip, tmp_path / "split.mp4", 12, caplog)  # a part per segment: every boundary is used
    assert_same_video(tmp_path / "single.mp4", tmp_path / "split.mp4")
    points = run["timeline"].points.values()
    assert any(point.start - point.anchor > 1 for point in points)  # a hold (repeated frames) across a boundary
    assert any(point.cuts == 1 for point in points) and any(point.cuts == 0 for point in points)
    assert any(point.chain is not None and run["timeline"].marks[point.chain[0]] for point in points)  # a watermark
    assert all(point.frames[0][0] == max(0, point.anchor - 4) for point in points)  # the tracker's window before


def test_parts_split_at_the_scene_cut(tmp_path, overlay_clip, caplog):
    interpolate_video(overlay_clip, tmp_path / "single.mp4", engine=BlendEngine(), **VIDEO)
    output = tmp_path / "split.mp4"
    walked = interpolate_video(overlay_clip, output, engine=BlendEngine(), timeline=True, **VIDEO)
    timeline = load_timeline(state_dir_for(output) / TIMELINE_FILE)
    (scene,) = timeline.cut_frames  # the first output frame of the new scene: the picture changes there
    _, images = decode_video(tmp_path / "single.mp4")
    step = [float(np.abs(images[i + 1].astype(np.int16) - images[i]).mean()) for i in range(len(images) - 1)]
    assert step[scene - 1] == max(step) > 5 * np.median(step)
    segments = -(-walked.num_frames // SEGMENT)
    cuts = timeline.cut_segments(SEGMENT)
    assert cuts == [round(scene / SEGMENT)] and split_segments(segments, 2) != split_segments(segments, 2, cuts)
    with caplog.at_level(logging.INFO, logger="framer.video.pipeline"):
        for part in split_segments(segments, 2, cuts):
            interpolate_video(overlay_clip, output, engine=BlendEngine(), part=VideoPart(*part), **VIDEO)
    assert "Replaying" not in caplog.text
    interpolate_video(overlay_clip, output, engine=BlendEngine(), resume=True, **VIDEO)
    assert_same_video(tmp_path / "single.mp4", output)


def test_a_context_frame_that_differs_falls_back_to_a_replay(tmp_path, overlay_clip, caplog):
    interpolate_video(overlay_clip, tmp_path / "single.mp4", engine=BlendEngine(), **VIDEO)
    output = tmp_path / "split.mp4"
    walked = interpolate_video(overlay_clip, output, engine=BlendEngine(), timeline=True, **VIDEO)
    path = state_dir_for(output) / TIMELINE_FILE
    timeline = load_timeline(path)
    for number, point in timeline.points.items():  # as if the seek gave other pixels
        frames = ((point.frames[0][0], point.frames[0][1], point.frames[0][2] ^ 1), *point.frames[1:])
        timeline.points[number] = type(point)(**{**point.__dict__, "frames": frames})
    timeline.save(path)
    with caplog.at_level(logging.INFO, logger="framer.video.pipeline"):
        for part in split_segments(-(-walked.num_frames // SEGMENT), 2):
            interpolate_video(overlay_clip, output, engine=BlendEngine(), part=VideoPart(*part), **VIDEO)
    assert "differs after the seek" in caplog.text and "Replaying the video" in caplog.text
    interpolate_video(overlay_clip, output, engine=BlendEngine(), resume=True, **VIDEO)
    assert_same_video(tmp_path / "single.mp4", output)


def test_a_folder_of_frames_starts_at_its_checkpoint(tmp_path, caplog):
    frames = make_overlay_clip("logo", num_frames=20, speed=8, seed=3).frames()
    folder = tmp_path / "frames"
    write_frames(list(frames), folder)
    single = tmp_path / "single"
    interpolate_video(folder, single, engine=BlendEngine(), **VIDEO)
    _run_parts(folder, tmp_path / "split", 3, caplog)
    names = sorted(path.name for path in single.iterdir())
    assert names == sorted(path.name for path in (tmp_path / "split").iterdir())
    assert all(np.array_equal(read_image(single / name), read_image(tmp_path / "split" / name)) for name in names)


def test_batch_with_parts_is_exact_on_the_overlay_clip(tmp_path, overlay_clip):
    interpolate_video(overlay_clip, tmp_path / "single.mp4", engine=BlendEngine(), **VIDEO)
    report = run_batch([str(overlay_clip)], tmp_path / "out", video=VIDEO, workers=2, parts=3,
                       engine=EngineSpec(factory="batch_helpers:blend"))  # fmt: skip
    assert report.ok and report.inputs[0].parts == 3
    assert_same_video(tmp_path / "single.mp4", tmp_path / "out" / "overlay.mp4")
