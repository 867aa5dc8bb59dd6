"""The video pipeline end to end on small clips: exact timing, audio, cuts, repeats, metadata, folders, tiles."""

from __future__ import annotations

import logging
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from framer.io.images import read_image
from framer.video import interpolate_video, retime
from framer.video.reader import open_video
from helpers.video import (
    BlendEngine,
    decode_audio,
    decode_video,
    ramp_frames,
    stream_duration,
    write_clip,
)


def _ramp_clip(path, rate, count, size=(64, 48), **options):
    times = [Fraction(i) / rate for i in range(count)]
    return write_clip(path, ramp_frames(times, Fraction(count) / rate, size), rate=rate, **options)


def _check_content(source, output, plan, tolerance):
    """Each output frame shows the linear blend its plan entry asks for, measured on the mean green level."""
    with open_video(source) as reader:
        green = [float(frame.image[:, :, 1].mean()) for frame in reader]
    _, images = decode_video(output)
    for frame, image in zip(plan, images, strict=True):
        expected = (1 - float(frame.t)) * green[frame.a] + float(frame.t) * green[frame.b]
        assert abs(float(image[:, :, 1].mean()) - expected) < tolerance
    return green


@pytest.mark.parametrize(
    ("source_rate", "target"),
    [(Fraction(24), Fraction(60)), (Fraction(24000, 1001), Fraction(60000, 1001))],
    ids=["24-60", "23.976-59.94"],
)
def test_output_frames_sit_at_exact_target_times(tmp_path, source_rate, target):
    count = 96  # 4 s at 24 fps
    source = _ramp_clip(tmp_path / "in.mp4", source_rate, count, time_base=1 / (source_rate * 1000))
    result = interpolate_video(source, tmp_path / "out.mp4", fps=target, engine=BlendEngine(), crf=0)
    duration = Fraction(count) / source_rate
    times, _ = decode_video(tmp_path / "out.mp4")
    assert result.num_frames == len(times)
    assert abs(len(times) - round(duration * target)) <= 1
    assert max(abs(time - Fraction(k) / target) for k, time in enumerate(times)) < Fraction(1, 1000)
    plan = retime([Fraction(i) / source_rate for i in range(count)], duration, target)
    _check_content(source, tmp_path / "out.mp4", plan, tolerance=2.0)


def test_variable_frame_rate_follows_timestamps(tmp_path):
    milliseconds = [0, 40, 90, 130, 200, 260, 300, 380]
    frames = ramp_frames([Fraction(ms, 1000) for ms in milliseconds], Fraction(420, 1000))
    source = write_clip(tmp_path / "vfr.mp4", frames, pts=milliseconds, time_base=Fraction(1, 1000))
    with open_video(source) as reader:
        read = list(reader)
    end = read[-1].time + read[-1].duration
    result = interpolate_video(source, tmp_path / "out.mp4", fps=50, engine=BlendEngine(), crf=0)
    out_times, images = decode_video(tmp_path / "out.mp4")
    plan = retime([frame.time for frame in read], end, Fraction(50))
    assert len(images) == len(plan) == result.num_frames
    assert max(abs(t - Fraction(k, 50)) for k, t in enumerate(out_times)) < Fraction(1, 1000)
    green = _check_content(source, tmp_path / "out.mp4", plan, tolerance=2.0)
    # Treating the clip as constant-rate would have shown visibly different content.
    cfr_green = np.interp(np.arange(len(images)) / 50, np.arange(len(read)) / 20, green)
    assert np.abs(cfr_green - [float(image[:, :, 1].mean()) for image in images]).max() > 10


def test_audio_is_copied_and_in_sync(tmp_path):
    source = _ramp_clip(tmp_path / "in.mp4", Fraction(24), 48, audio_seconds=2.0)
    result = interpolate_video(source, tmp_path / "out.mp4", multi=2, engine=BlendEngine())
    assert result.audio == "copied"
    video_duration = stream_duration(tmp_path / "out.mp4", "video")
    assert video_duration == Fraction(result.num_frames) / 48
    assert abs(stream_duration(tmp_path / "out.mp4", "audio") - video_duration) <= 1 / result.frame_rate
    samples, rate = decode_audio(tmp_path / "out.mp4")
    original, _ = decode_audio(source)
    assert rate == 48000
    np.testing.assert_array_equal(samples, original[:, : samples.shape[1]])


def test_audio_is_reencoded_when_the_container_cannot_hold_it(tmp_path):
    source = _ramp_clip(tmp_path / "in.mov", Fraction(24), 24, audio_seconds=1.0, audio_codec="pcm_mulaw")
    result = interpolate_video(source, tmp_path / "out.mp4", fps=30, engine=BlendEngine())
    assert result.audio == "re-encoded"
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
    video_duration = stream_duration(tmp_path / "out.mp4", "video")
    assert abs(stream_duration(tmp_path / "out.mp4", "audio") - video_duration) <= 1 / result.frame_rate


def test_slowmo_drops_audio_with_a_message(tmp_path, caplog):
    source = _ramp_clip(tmp_path / "in.mp4", Fraction(24), 12, audio_seconds=0.5)
    with caplog.at_level(logging.WARNING, logger="framer"):
        result = interpolate_video(source, tmp_path / "out.mp4", slowmo=4, engine=BlendEngine())
    assert result.audio == "dropped" and "audio is dropped" in caplog.text
    assert result.frame_rate == 24 and result.num_frames == 48
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert not container.streams.audio


def test_no_frame_blends_across_a_scene_cut(tmp_path, shared_data):
    with open_video(shared_data / "video_carphone" / "carphone_pristine.mp4") as reader:
        first = [frame.image for _, frame in zip(range(12), reader, strict=False)]
    second = [
        cv2.resize(
            read_image(shared_data / "sintel_raft_demo" / f"frame_00{n}.png"), (176, 144), interpolation=cv2.INTER_AREA
        )
        for n in range(16, 25)
    ]
    source = write_clip(tmp_path / "cut.mp4", first + second, rate=Fraction(24))
    _, decoded = decode_video(source)
    result = interpolate_video(source, tmp_path / "out.mp4", fps=60, engine=BlendEngine(), crf=0)
    assert result.cuts == (12,)
    times, images = decode_video(tmp_path / "out.mp4")
    last, next_ = decoded[11].astype(int), decoded[12].astype(int)
    between = [
        image.astype(int) for t, image in zip(times, images, strict=True) if Fraction(11, 24) < t < Fraction(12, 24)
    ]
    assert len(between) == 2
    for image in between:
        assert min(np.abs(image - last).mean(), np.abs(image - next_).mean()) < 2.0


def test_repeated_frames_copied_or_deduplicated(tmp_path):
    # "On twos": every frame shown twice at 24 fps, so 12 distinct drawings per second.
    drawings = ramp_frames([Fraction(i, 12) for i in range(12)], Fraction(1))
    source = write_clip(tmp_path / "twos.mp4", [d for d in drawings for _ in range(2)], rate=Fraction(24))
    engine = BlendEngine()
    kept = interpolate_video(source, tmp_path / "kept.mp4", multi=2, engine=engine)
    assert kept.duplicates == tuple(range(1, 24, 2))
    _, kept_images = decode_video(tmp_path / "kept.mp4")
    even = interpolate_video(source, tmp_path / "even.mp4", multi=2, engine=BlendEngine(), dedupe=True)
    _, even_images = decode_video(tmp_path / "even.mp4")
    assert kept.num_frames == even.num_frames == 48
    # Kept: motion in jumps (half of the steps are 0); deduplicated: even steps through the holds.
    kept_steps = np.diff([float(image[:, :, 1].mean()) for image in kept_images[:44]])
    even_steps = np.diff([float(image[:, :, 1].mean()) for image in even_images[:44]])
    assert (np.abs(kept_steps) < 0.5).sum() >= 20
    assert np.abs(even_steps - even_steps.mean()).max() < 1.0


def test_colour_metadata_and_rotation_are_kept(tmp_path):
    source = _ramp_clip(tmp_path / "in.mp4", Fraction(24), 12, rotation=90, colorspace=1)
    interpolate_video(source, tmp_path / "out.mp4", multi=2, engine=BlendEngine(), crf=0)
    with open_video(tmp_path / "out.mp4") as out, open_video(source) as original:
        assert out.info.rotation == original.info.rotation == 90
        assert out.info.color == original.info.color
        assert (out.info.color.primaries, out.info.color.space) == (1, 1)
        written, source_frames = list(out), list(original)
    for index, frame in enumerate(source_frames):  # every other output frame is a source frame
        assert np.abs(frame.image.astype(int) - written[2 * index].image.astype(int)).max() <= 3


def test_folder_in_and_out(tmp_path):
    frames_in = tmp_path / "frames"
    frames_in.mkdir()
    images = ramp_frames([Fraction(i, 12) for i in range(6)], Fraction(1, 2))
    for index, image in enumerate(images):
        cv2.imwrite(str(frames_in / f"f{index + 1}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    result = interpolate_video(frames_in, tmp_path / "out", input_fps="12", multi=2, engine=BlendEngine())
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert result.num_frames == len(names) == 12 and names[0] == "frame_00001.png"
    middle = read_image(tmp_path / "out" / "frame_00002.png").astype(float)
    np.testing.assert_allclose(middle, (images[0].astype(float) + images[1]) / 2, atol=0.51)
    to_video = interpolate_video(tmp_path / "out", tmp_path / "out.mp4", input_fps=24, fps=30, engine=BlendEngine())
    assert to_video.num_frames == 15
    assert not list(tmp_path.glob(".*framer-partial"))


def test_tiles_chosen_automatically_match_whole_frames(tmp_path):
    source = _ramp_clip(tmp_path / "in.mp4", Fraction(24), 4, size=(256, 192))
    whole = interpolate_video(source, tmp_path / "whole", multi=2, engine=BlendEngine())
    engine = BlendEngine(bytes_per_pixel=1000)  # 49 MB for a whole frame, 16 MB for a 128 px tile
    tiled = interpolate_video(source, tmp_path / "tiled", multi=2, engine=engine, memory_budget=20_000_000, overlap=16)
    assert whole.tile is None and tiled.tile == 128
    for path in sorted((tmp_path / "whole").iterdir()):
        difference = read_image(path).astype(int) - read_image(tmp_path / "tiled" / path.name).astype(int)
        assert np.abs(difference).max() <= 1


def test_flow_engine_on_a_tiny_clip(tmp_path, flow_engine):
    frames = []
    for i in range(4):
        image = np.full((48, 64, 3), 40, np.uint8)
        image[16:32, 8 + 8 * i : 24 + 8 * i] = 220  # a square moving 8 px per frame
        frames.append(image)
    source = write_clip(tmp_path / "square.mp4", frames, rate=Fraction(12))
    result = interpolate_video(source, tmp_path / "out", multi=2, engine=flow_engine)
    assert result.num_frames == 8 and result.interpolated == 3
    middle = read_image(tmp_path / "out" / "frame_00002.png")
    bright = np.argwhere(middle[:, :, 0] > 130)
    # The square is in between (x from 12 to 27), not two half-bright ghosts.
    assert abs(bright[:, 1].min() - 12) <= 2 and abs(bright[:, 1].max() - 27) <= 2


@pytest.mark.parametrize("suffix", [".mkv", ".mov"])
def test_other_containers_keep_exact_times(tmp_path, suffix):
    source = _ramp_clip(tmp_path / f"in{suffix}", Fraction(24000, 1001), 24, audio_seconds=1.0)
    result = interpolate_video(source, tmp_path / f"out{suffix}", fps=Fraction(60000, 1001), engine=BlendEngine())
    times, _ = decode_video(tmp_path / f"out{suffix}")
    assert len(times) == result.num_frames == 60 and result.audio == "copied"
    assert max(abs(time - k * Fraction(1001, 60000)) for k, time in enumerate(times)) < Fraction(1, 1000)
