"""Writing video: joining encoded segments with the source's audio. Encoding frames and writing PNGs have their
one home in :mod:`framer.io.encode` and :mod:`framer.io.atomic`; their names are re-exported here for the pipeline.

Frame ``k`` of an output has presentation time exactly ``k / frame_rate`` (the stream time base is
``1 / frame_rate``). Audio is copied packet for packet when the output container accepts its codec, else re-encoded.
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av

from framer.errors import VideoWriteError
from framer.io.atomic import write_png
from framer.io.encode import IMAGE_COLOR, EncoderSettings, container_format
from framer.io.encode import VideoEncoder as VideoWriter

__all__ = ["IMAGE_COLOR", "EncoderSettings", "VideoWriter", "join_segments", "write_png"]

logger = logging.getLogger(__name__)


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
    the source land on the output's first frame, and cut where the video ends (to the nearest packet). On any
    failure (a full disk, an interrupt) ``output`` is removed: a truncated join is never left behind.
    """
    rate = Fraction(frame_rate)
    end = Fraction(num_frames) / rate
    source = av.open(str(audio_source)) if audio_source is not None and audio_stream is not None else None
    try:
        # Our own file handle: PyAV leaves its own open when writing the header fails (a full disk), which would
        # hold the space of the removed file until the process ends.
        fmt = container_format(Path(output).suffix)
        with open(output, "wb") as file, av.open(file, mode="w", format=fmt) as container:
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
        Path(output).unlink(missing_ok=True)
        if isinstance(ex.__context__, OSError):  # PyAV wraps the errors of our file, such as a full disk
            raise ex.__context__ from None
        raise VideoWriteError(f"Could not write the video {output}: {ex}.") from ex
    except BaseException:
        Path(output).unlink(missing_ok=True)
        raise
    finally:
        if source is not None:
            source.close()
    return copy
