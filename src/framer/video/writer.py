"""Writing video: a streaming encoder (PyAV), joining encoded segments with the source's audio, PNG frames.

Frame ``k`` of an output has presentation time exactly ``k / frame_rate`` (the stream time base is
``1 / frame_rate``, a :class:`Fraction` such as ``1001/60000``). Frames are converted to YUV with the colour matrix
and range of the source and tagged with its primaries, transfer and matrix, so players show the output as they
show the source. Audio is copied packet for packet when the output container accepts its codec, else re-encoded.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from framer.errors import InputError, VideoWriteError
from framer.video.reader import _RANGE_FULL, _RANGE_LIMITED, ColorInfo

__all__ = ["EncoderSettings", "VideoWriter", "join_segments", "write_png"]

logger = logging.getLogger(__name__)

# Colour of frames that come from image files: sRGB, stored as BT.709 limited-range YUV.
IMAGE_COLOR = ColorInfo(primaries=1, transfer=1, space=1, range=_RANGE_LIMITED)

# Quality option per encoder when --crf is not given (each encoder's own scale).
_DEFAULT_CRF = {"libx264": 18, "libx265": 20, "libvpx-vp9": 30, "libaom-av1": 30, "libsvtav1": 30}


@dataclass(frozen=True)
class EncoderSettings:
    """Video encoder, its constant-rate-factor quality (None: the encoder's framer default) and pixel format."""

    codec: str = "libx264"
    crf: int | None = None
    pix_fmt: str = "yuv420p"

    def check(self, suffix: str) -> EncoderSettings:
        """Check the encoder exists in this FFmpeg build, takes ``pix_fmt`` and fits the container ``suffix``."""
        try:
            codec = av.codec.Codec(self.codec, "w")
        except (av.error.FFmpegError, ValueError):
            raise InputError(
                f"`codec` {self.codec!r} is not a video encoder in this FFmpeg build; try libx264, libx265, "
                "libvpx-vp9 or libsvtav1."
            ) from None
        if codec.type != "video":
            raise InputError(f"`codec` {self.codec!r} encodes {codec.type}, not video.")
        formats = [f.name for f in codec.video_formats or ()]
        if formats and self.pix_fmt not in formats:
            raise InputError(
                f"`pix_fmt` {self.pix_fmt!r} is not supported by {self.codec}; it takes {', '.join(formats)}."
            )
        with av.open(os.devnull, mode="w", format=_container_format(suffix)) as probe:
            if codec.name not in probe.supported_codecs and codec.canonical_name not in probe.supported_codecs:
                raise InputError(f"`codec` {self.codec} cannot be stored in a {suffix} file; choose .mkv instead.")
        if self.crf is not None and (isinstance(self.crf, bool) or not 0 <= self.crf <= 63):
            raise InputError(f"`crf` must be an integer from 0 to 63 but is {self.crf!r}.")
        return self

    @property
    def options(self) -> dict[str, str]:
        crf = self.crf if self.crf is not None else _DEFAULT_CRF.get(self.codec)
        return {} if crf is None or self.codec not in _DEFAULT_CRF else {"crf": str(crf)}


def _container_format(suffix: str) -> str:
    return {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}.get(suffix.lower(), "matroska")


def _even_padding(pix_fmt: str, width: int, height: int) -> tuple[int, int]:
    """Rows and columns to add so a chroma-subsampled format gets even sides."""
    fmt = av.VideoFormat(pix_fmt)
    pad_h = height % 2 if fmt.chroma_height(64) < 64 else 0
    pad_w = width % 2 if fmt.chroma_width(64) < 64 else 0
    return pad_h, pad_w


class VideoWriter:
    """Streaming encoder: ``write`` frames ``(H, W, 3)`` uint8/uint16 RGB one at a time; frame ``k`` at ``k / rate``.

    Odd sides are padded by repeating the last row/column when the pixel format subsamples chroma.

    Args:
        path: output file (.mp4, .mov, .mkv).
        width, height: frame size.
        frame_rate: output frame rate (exact).
        settings: encoder, quality, pixel format.
        color: colour metadata to convert with and to tag (the source's).
        rotation: display rotation in degrees to record in the container.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width: int,
        height: int,
        frame_rate: Fraction,
        settings: EncoderSettings | None = None,
        color: ColorInfo = IMAGE_COLOR,
        rotation: int = 0,
    ) -> None:
        settings = settings or EncoderSettings()
        self.path = Path(path)
        self.frame_rate = Fraction(frame_rate)
        self.color = color
        self.settings = settings
        self.frames_written = 0
        self._pad = _even_padding(settings.pix_fmt, width, height)
        self._container = av.open(str(self.path), mode="w", format=_container_format(self.path.suffix))
        try:
            stream = self._container.add_stream(settings.codec, rate=self.frame_rate)
            stream.width, stream.height = width + self._pad[1], height + self._pad[0]
            stream.pix_fmt = settings.pix_fmt
            stream.time_base = 1 / self.frame_rate
            stream.codec_context.time_base = 1 / self.frame_rate
            stream.options = settings.options
            # One encoder thread: with frame threads x264's bitstream was seen to depend on timing under load
            # (same frames, different bytes), and a resumed run must join into exactly the unbroken run's frames.
            stream.codec_context.thread_count = 1
            cc = stream.codec_context
            cc.color_primaries, cc.color_trc, cc.colorspace = color.primaries, color.transfer, color.space
            cc.color_range = self._yuv_range
            if rotation:
                stream.set_display_rotation(rotation)
        except BaseException:
            self._container.close()
            raise
        self._stream = stream

    @property
    def _yuv_range(self) -> int:
        if self.settings.pix_fmt.startswith("yuvj") or self.color.full_range:
            return _RANGE_FULL
        return _RANGE_LIMITED

    def write(self, image: np.ndarray) -> None:
        """Encode the next frame, ``(H, W, 3)`` RGB uint8 or uint16."""
        pad_h, pad_w = self._pad
        if pad_h or pad_w:
            image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        fmt = "rgb48le" if image.dtype == np.uint16 else "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=fmt)
        frame = frame.reformat(
            format=self.settings.pix_fmt,
            src_colorspace=self.color.matrix,
            dst_colorspace=self.color.matrix,
            src_color_range=_RANGE_FULL,
            dst_color_range=self._yuv_range,
        )
        frame.pts = self.frames_written
        frame.time_base = self._stream.codec_context.time_base
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without flushing (the file is then incomplete; the caller removes it)."""
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self._container.close()


def write_png(image: np.ndarray, path: Path) -> None:
    """Write an ``(H, W, 3)`` RGB uint8/uint16 frame as PNG atomically (temporary name, then rename)."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode frame {path.name} as PNG")
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data.tobytes())
    os.replace(temp, path)


# --- joining segments -------------------------------------------------------------------------------------------


def _video_packets(segments: Sequence[tuple[Path, int]], rate: Fraction) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """Packets of all segments with pts/dts in output frames (time base ``1 / rate``); time = dts in seconds."""
    for path, first_frame in segments:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                tb = Fraction(packet.time_base)
                packet.pts = first_frame + round(packet.pts * tb * rate)
                dts = packet.dts if packet.dts is not None else packet.pts
                packet.dts = first_frame + round(dts * tb * rate)
                packet.duration = 1
                packet.time_base = 1 / rate
                yield Fraction(packet.dts) / rate, 0, packet


def _audio_copy(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, offset: Fraction, end: Fraction
) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """Audio packets shifted by ``-offset`` seconds, from the last one ending at or before 0 (the decoder's pre-roll,
    such as AAC priming; the container marks it as not to be played) to the last one centred before ``end``."""
    tb = Fraction(stream.time_base)
    shift = round(offset / tb)
    preroll = None
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        duration = packet.duration or 0
        start = packet.pts - shift
        packet.pts = start
        packet.dts = (packet.dts - shift) if packet.dts is not None else start
        if start + duration <= 0:
            preroll = packet
            continue
        if (start + Fraction(duration, 2)) * tb >= end:
            break
        if preroll is not None:
            yield preroll.dts * tb, 1, preroll
            preroll = None
        yield packet.dts * tb, 1, packet


def _audio_frames(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, offset: Fraction, end: Fraction
) -> Iterator[tuple[Fraction, int, av.AudioFrame]]:
    """Decoded audio frames shifted by ``-offset`` seconds, for re-encoding; same dropping rule as the copy."""
    for frame in container.decode(stream):
        if frame.pts is None:
            continue
        tb = Fraction(frame.time_base)
        start = frame.pts * tb - offset
        duration = Fraction(frame.samples, frame.sample_rate)
        if start + duration <= 0 or start + duration / 2 >= end:
            continue
        frame.pts = round(start * frame.sample_rate)
        frame.time_base = Fraction(1, frame.sample_rate)
        yield start, 1, frame


def _add_audio(
    output: av.container.OutputContainer, source: av.container.InputContainer, stream_index: int
) -> tuple[av.audio.stream.AudioStream, bool]:
    """The output audio stream: a copy of the source's when the container takes its codec, else AAC (or default)."""
    stream = source.streams[stream_index]
    if stream.codec_context.name in output.supported_codecs:
        return output.add_stream_from_template(stream), True
    codec = "aac" if "aac" in output.supported_codecs else output.default_audio_codec
    logger.info("Re-encoding the audio as %s: a %s file cannot hold %s.", codec, output.format.name,
                stream.codec_context.name)  # fmt: skip
    out = output.add_stream(codec, rate=stream.rate)
    out.layout = stream.layout
    return out, False


def join_segments(
    segments: Sequence[tuple[Path, int]],
    output: str | os.PathLike,
    frame_rate: Fraction,
    num_frames: int,
    rotation: int = 0,
    audio_source: Path | None = None,
    audio_stream: int | None = None,
    audio_offset: Fraction = Fraction(0),
) -> bool:
    """Join encoded segments (path, index of its first frame) into ``output`` without re-encoding the video.

    With ``audio_source``, its audio stream ``audio_stream`` is added, shifted so that ``audio_offset`` seconds of
    the source land on the output's first frame, and cut where the video ends (to the nearest packet).
    """
    rate = Fraction(frame_rate)
    end = Fraction(num_frames) / rate
    source = av.open(str(audio_source)) if audio_source is not None and audio_stream is not None else None
    try:
        with av.open(str(output), mode="w", format=_container_format(Path(output).suffix)) as container:
            with av.open(str(segments[0][0])) as first:
                video = container.add_stream_from_template(first.streams.video[0])
            video.time_base = 1 / rate
            if rotation:
                video.set_display_rotation(rotation)
            items: list[Iterator] = [_video_packets(segments, rate)]
            audio, copy = None, True
            if source is not None:
                audio, copy = _add_audio(container, source, audio_stream)
                in_stream = source.streams[audio_stream]
                feed = _audio_copy if copy else _audio_frames
                items.append(feed(source, in_stream, audio_offset, end))
            for _, kind, item in heapq.merge(*items, key=lambda entry: (entry[0], entry[1])):
                if kind == 0:
                    item.stream = video
                    container.mux(item)
                elif copy:
                    item.stream = audio
                    container.mux(item)
                else:
                    for packet in audio.encode(item):
                        container.mux(packet)
            if audio is not None and not copy:
                for packet in audio.encode():
                    container.mux(packet)
    except av.error.FFmpegError as ex:
        raise VideoWriteError(f"Could not write the video {output}: {ex}.") from ex
    finally:
        if source is not None:
            source.close()
    return copy
