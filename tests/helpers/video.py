"""Small synthetic clips for the video tests (made with PyAV) and a linear-blend engine.

The clips are tiny (64x48 unless a test needs more) and encoded losslessly (x264 ``crf 0``; only the RGB <-> YUV
rounding of a few levels remains), so frame content can be compared with what was written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from framer.engines import Capabilities
from framer.engines.base import Engine

WIDTH, HEIGHT = 64, 48


class BlendEngine(Engine):
    """``(1 - t) * frame0 + t * frame1``: a stand-in engine whose in-betweens are known exactly."""

    name = "blend"
    capabilities = Capabilities(tiles=True)

    def __init__(self, bytes_per_pixel: int = 0) -> None:
        self.device = torch.device("cpu")
        self.bytes_per_pixel = bytes_per_pixel
        self.calls = 0

    def iter_frames(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float]
    ) -> Iterator[torch.Tensor]:
        self.calls += 1
        for t in times:
            yield (1 - t) * frame0 + t * frame1

    def memory_needed(self, height: int, width: int) -> int:
        return self.bytes_per_pixel * height * width


def ramp_frames(times: Sequence[Fraction], end: Fraction, size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[np.ndarray]:
    """Frames whose green level rises linearly with time, 20 at 0 to 235 at ``end``; red is a fixed x gradient."""
    width, height = size
    frames = []
    for time in times:
        image = np.zeros((height, width, 3), np.uint8)
        image[:, :, 0] = (np.arange(width) * 200 // max(1, width - 1))[None]
        image[:, :, 1] = round(20 + 215 * float(time / end))
        image[:, :, 2] = 128
        frames.append(image)
    return frames


def green_time(image: np.ndarray, end: Fraction) -> float:
    """The time a :func:`ramp_frames` frame shows, from its mean green level."""
    return (float(image[:, :, 1].mean()) - 20) / 215 * float(end)


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    rate: Fraction = Fraction(24),
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    audio_seconds: float | None = None,
    audio_codec: str = "aac",
    rotation: int = 0,
    colorspace: int | None = None,
) -> Path:
    """Encode ``frames`` losslessly; ``pts`` in ``time_base`` give variable timing; optional sine-wave audio."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "0"}
        if time_base is not None:
            stream.time_base = time_base
            stream.codec_context.time_base = time_base
        if rotation:
            stream.set_display_rotation(rotation)
        if colorspace is not None:
            cc = stream.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = colorspace, colorspace, colorspace, 1
        audio = None
        if audio_seconds:
            audio = container.add_stream(audio_codec, rate=48000)
            audio.layout = "stereo"
        if time_base is not None and pts is None:
            pts = [round(Fraction(i) / Fraction(rate) / time_base) for i in range(len(frames))]
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[index], time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            _write_sine(container, audio, audio_seconds)
    return path


def _write_sine(container: av.container.OutputContainer, stream, seconds: float) -> None:
    rate = 48000
    samples = round(seconds * rate)
    t = np.arange(samples) / rate
    signal = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
    for start in range(0, samples, 1024):
        chunk = np.stack([signal[start : start + 1024]] * 2)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = rate, start
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout="stereo", rate=rate).resample(frame)[0]
            frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def decode_video(path: Path) -> tuple[list[Fraction], list[np.ndarray]]:
    """Presentation times (seconds) and RGB frames of the first video stream."""
    times, images = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            times.append(frame.pts * Fraction(frame.time_base))
            images.append(frame.to_ndarray(format="rgb24"))
    return times, images


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """All samples ``(channels, samples)`` of the first audio stream and the sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        return np.concatenate(chunks, axis=1), stream.rate


def stream_duration(path: Path, kind: str) -> Fraction:
    """Duration of the first ``kind`` ("video" or "audio") stream from its packets: last end minus first start."""
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        starts, ends = [], []
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            tb = Fraction(packet.time_base)
            starts.append(packet.pts * tb)
            ends.append((packet.pts + packet.duration) * tb)
    return max(ends) - max(min(starts), Fraction(0))
