"""Reading videos frame by frame with their presentation timestamps (PyAV), or a folder of frames as a video.

Frames come out as ``(H, W, 3)`` RGB arrays, uint8 (uint16 for sources with more than 8 bits per sample), with
their time in seconds after the first frame as an exact :class:`Fraction` (``pts * time_base``). YUV is converted
with the matrix and range the stream declares (BT.601 when it declares none), and :mod:`framer.io.encode` uses
the same ones on the way back, so colours survive the round trip. Decoding streams: memory does not grow with the
length of the video. PyAV errors become :class:`VideoOpenError` with one sentence naming the file.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from framer.errors import ImageReadError, ShapeError, VideoOpenError
from framer.io.encode import RANGE_FULL, RANGE_LIMITED, ColorInfo

__all__ = [
    "AudioInfo",
    "ColorInfo",
    "FolderReader",
    "SeekError",
    "SourceFrame",
    "VideoInfo",
    "VideoReader",
    "open_video",
]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
DEFAULT_FOLDER_RATE = Fraction(24)


class SeekError(Exception):
    """A reader cannot start exactly at a given frame (the caller reads from the first frame instead)."""


@dataclass(frozen=True)
class AudioInfo:
    """The first audio stream of a video."""

    index: int
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a video before decoding it all.

    Attributes:
        frame_rate: nominal frame rate (the average for variable frame rate).
        duration: seconds from the first frame to the end of the last, estimated from the container (None: unknown).
        num_frames: frame count from the container, if it records one.
        rotation: display rotation in degrees, counter-clockwise, as the container asks players to apply.
        bit_depth: 8, or 16 when the frames come out as uint16.
        start_time: presentation time of the first frame in seconds (audio is aligned to it).
    """

    path: Path
    width: int
    height: int
    frame_rate: Fraction
    duration: Fraction | None = None
    num_frames: int | None = None
    rotation: int = 0
    color: ColorInfo = field(default_factory=ColorInfo)
    pix_fmt: str = "rgb24"
    bit_depth: int = 8
    start_time: Fraction = Fraction(0)
    audio: AudioInfo | None = None
    is_folder: bool = False


@dataclass(frozen=True)
class SourceFrame:
    """One decoded frame: ``image`` is ``(H, W, 3)`` uint8/uint16 RGB; ``time`` is seconds after the first frame."""

    index: int
    time: Fraction
    duration: Fraction | None
    image: np.ndarray


def _wrap(path: Path, action: str, ex: Exception) -> VideoOpenError:
    detail = (getattr(ex, "strerror", None) or str(ex)).strip().rstrip(".") or type(ex).__name__
    return VideoOpenError(f"Video {path} {action}: {detail}.")


def _pix_bit_depth(stream: av.video.stream.VideoStream) -> int:
    try:
        depth = max(c.bits for c in stream.codec_context.format.components)
    except (AttributeError, ValueError, TypeError):
        return 8
    return 16 if depth > 8 else 8


def _expected_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream
                     ) -> tuple[int, bool] | None:  # fmt: skip
    """How many frames the container says the stream holds, and whether that is a count (True) or an estimate
    from its duration and frame rate (False); None when it says neither."""
    if stream.frames:
        return stream.frames, True
    rate = stream.average_rate or stream.guessed_rate
    if stream.duration and stream.time_base:
        seconds = stream.duration * Fraction(stream.time_base)
    elif container.duration:
        seconds = Fraction(container.duration, av.time_base)
    else:
        return None
    return (round(seconds * Fraction(rate)), False) if rate else None


def _cut_off(path: Path, found: int, expected: tuple[int, bool] | None) -> str | None:
    """The sentence saying that ``path`` ended after ``found`` frames of those expected; None when none are missing
    (an estimate from the duration may be off by a frame or two, or a hundredth)."""
    if expected is None:
        return None
    count, exact = expected
    missing = count - found
    if missing <= 0 or (not exact and missing < max(2, count // 100)):
        return None
    about = "" if exact else "about "
    return f"{path.name} ended after {found} of {about}{count} frames ({missing} missing): the file looks cut off."


class VideoReader:
    """Decodes a video file in presentation order; iterate it for :class:`SourceFrame` objects.

    The first frame is decoded when the reader opens, so an unreadable file, a file without a video stream and a
    video without frames all fail here, before any model is loaded.

    A file that ends before the frames its container announces (a cut-off download or copy) is reported with a
    warning when decoding ends. With ``strict``, its packets are counted when it opens (without decoding them: a
    read of the file) and it is refused if any are missing; decoding checks again.
    """

    def __init__(self, path: str | os.PathLike, strict: bool = False) -> None:
        self.path = Path(path)
        self.strict = strict
        if not self.path.exists():
            raise VideoOpenError(f"Video {self.path} does not exist.")
        if self.path.is_file() and self.path.stat().st_size == 0:
            raise VideoOpenError(f"Video {self.path} is empty (0 bytes).")
        try:
            self._container = av.open(str(self.path), mode="r")
        except av.error.EOFError:
            raise VideoOpenError(f"Video {self.path} ends before its first frame (no frames, or cut short).") from None
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as ex:
            raise _wrap(self.path, "cannot be opened as a video", ex) from ex
        try:
            if not self._container.streams.video:
                raise VideoOpenError(f"{self.path} has no video stream.")
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
            self._expected = _expected_frames(self._container, self._stream)
            if strict:
                self._check_packets()
            self._frames = self._decode()
            try:
                self._first = next(self._frames)
            except StopIteration:
                raise VideoOpenError(f"Video {self.path} holds no frames.") from None
            self.info = self._make_info()
        except BaseException:
            self._container.close()
            raise

    def _check_packets(self) -> None:
        """Refuse a file whose video packets are fewer than the frames its container announces."""
        with av.open(str(self.path)) as container:
            try:
                packets = sum(1 for packet in container.demux(video=0) if packet.size)
            except (av.error.FFmpegError, ValueError) as ex:
                raise _wrap(self.path, "cannot be read to its end", ex) from ex
        message = _cut_off(self.path, packets, self._expected)
        if message is not None:
            raise VideoOpenError(f"Video {message[:-1]}; strict mode refuses it.")

    def _report_missing(self, decoded: int) -> None:
        """Warn (strict: fail) when decoding ended before the frames the container announces."""
        message = _cut_off(self.path, decoded, self._expected)
        if message is None:
            return
        if self.strict:
            raise VideoOpenError(f"Video {message[:-1]}; strict mode refuses it.")
        logger.warning("%s", message)

    def _make_info(self) -> VideoInfo:
        stream, first = self._stream, self._first
        time_base = Fraction(stream.time_base) if stream.time_base else None
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        duration = None
        if stream.duration and time_base:
            duration = stream.duration * time_base
        elif self._container.duration:
            duration = Fraction(self._container.duration, av.time_base)
        audio = None
        if self._container.streams.audio:
            a = self._container.streams.audio[0]
            audio = AudioInfo(index=a.index, codec=a.codec_context.name, sample_rate=a.rate or 0, channels=a.channels)
        cc = stream.codec_context
        return VideoInfo(
            path=self.path,
            width=first.image.shape[1],
            height=first.image.shape[0],
            frame_rate=Fraction(rate) if rate else Fraction(0),
            duration=duration,
            num_frames=stream.frames or None,
            rotation=self._rotation,
            color=ColorInfo(int(cc.color_primaries), int(cc.color_trc), int(cc.colorspace), int(cc.color_range)),
            pix_fmt=cc.pix_fmt or "",
            bit_depth=first.image.dtype.itemsize * 8,
            start_time=self._start,
            audio=audio,
        )

    def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        space = int(frame.colorspace) if int(frame.colorspace) != 2 else int(self._stream.codec_context.colorspace)
        color = ColorInfo(space=space, range=int(frame.color_range))
        fmt = "rgb48le" if _pix_bit_depth(self._stream) == 16 else "rgb24"
        rgb = frame.reformat(
            format=fmt,
            src_colorspace=color.matrix,
            dst_colorspace=color.matrix,
            src_color_range=RANGE_FULL if color.full_range else RANGE_LIMITED,
            dst_color_range=RANGE_FULL,
        )
        return rgb.to_ndarray()

    def _decode(self, index: int = 0, target: Fraction | None = None) -> Iterator[SourceFrame]:
        """Frames with strictly increasing times; a frame without a timestamp follows its predecessor.

        A packet the decoder rejects is skipped (FFmpeg conceals the damage in the frames after it) and counted;
        the count is reported once at the end. A container that cannot be read on raises.

        ``target`` (after a seek, see :meth:`iter_from`): frames before this time (seconds after the first frame)
        are dropped unconverted; the first one kept must be at exactly this time and is numbered ``index``.
        """
        last, damaged, decoded = None, 0, 0
        time_base = Fraction(self._stream.time_base) if self._stream.time_base else None
        packets = self._container.demux(self._stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except (av.error.FFmpegError, ValueError) as ex:
                raise _wrap(self.path, f"cannot be read after frame {index}", ex) from ex
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError):
                damaged += 1
                continue
            for frame in frames:
                decoded += 1
                tb = Fraction(frame.time_base) if frame.time_base else time_base
                pts = frame.pts if frame.pts is not None else getattr(frame, "dts", None)
                duration = frame.duration * tb if frame.duration and tb else None
                if pts is None or tb is None:
                    if target is not None:
                        raise SeekError(f"Video {self.path}: a frame without a timestamp after the seek.")
                    step = duration or (Fraction(1) / Fraction(self._stream.average_rate or 24))
                    seconds = Fraction(0) if last is None else last + step
                else:
                    seconds = pts * tb
                if target is not None and last is None:
                    if seconds - self._start < target:
                        continue  # before the context: dropped unconverted
                    if seconds - self._start != target:
                        raise SeekError(f"Video {self.path}: no frame at {target} s after the seek.")
                    last = seconds
                elif last is None:
                    self._start = seconds
                    self._rotation = int(frame.rotation or 0)
                elif seconds <= last:
                    logger.debug("Skipping frame with non-increasing time %s in %s.", seconds, self.path)
                    continue
                last = seconds
                image = self._to_rgb(frame)
                yield SourceFrame(index=index, time=seconds - self._start, duration=duration, image=image)
                index += 1
        if damaged:
            logger.warning("Video %s: %d damaged packets could not be decoded and were skipped.", self.path, damaged)
        if target is None:
            self._report_missing(decoded)

    def __iter__(self) -> Iterator[SourceFrame]:
        if self._first is None:
            raise RuntimeError("A VideoReader can be iterated only once.")
        first, self._first = self._first, None
        yield first
        yield from self._frames

    def iter_from(self, index: int, time: Fraction) -> Iterator[SourceFrame]:
        """Frames from source frame ``index`` at ``time`` (seconds after the first frame, as iteration gives it)
        on, numbered as iteration numbers them: a seek to the keyframe at or before it, then decoding forward
        (frames before it are dropped unconverted). Instead of iterating; once.

        Raises:
            SeekError: no frame is at exactly ``time`` after the seek, or a frame has no timestamp.
        """
        if index == 0:
            return iter(self)
        if self._first is None:
            raise RuntimeError("A VideoReader can be iterated only once.")
        self._first = None
        time_base = Fraction(self._stream.time_base) if self._stream.time_base else None
        if time_base is None:
            raise SeekError(f"Video {self.path} has no time base to seek by.")
        self._container.seek(math.floor((Fraction(time) + self._start) / time_base), stream=self._stream,
                             backward=True, any_frame=False)  # fmt: skip
        return self._decode(index, Fraction(time))

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class FolderReader:
    """A folder of image frames read as a video at ``frame_rate`` (frame ``i`` at ``i / frame_rate`` seconds).

    Files with image suffixes are taken in natural order (``frame2`` before ``frame10``); grey frames become RGB,
    alpha is dropped. All frames must have the size of the first.
    """

    def __init__(self, path: str | os.PathLike, frame_rate: Fraction | None = None) -> None:
        self.path = Path(path)
        rate = Fraction(frame_rate) if frame_rate is not None else DEFAULT_FOLDER_RATE
        if rate <= 0:
            raise VideoOpenError(f"The frame rate of the folder {self.path} must be positive but is {rate}.")
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()), key=_natural_key
        )
        if not self.files:
            raise VideoOpenError(
                f"Folder {self.path} holds no image frames ({', '.join(IMAGE_SUFFIXES)}) to read as a video."
            )
        first = self._read(self.files[0])
        self.info = VideoInfo(
            path=self.path,
            width=first.shape[1],
            height=first.shape[0],
            frame_rate=rate,
            duration=len(self.files) / rate,
            num_frames=len(self.files),
            bit_depth=first.dtype.itemsize * 8,
            pix_fmt="rgb48le" if first.dtype == np.uint16 else "rgb24",
            is_folder=True,
        )

    @staticmethod
    def _read(path: Path) -> np.ndarray:
        from framer.io.images import read_image

        try:
            image = read_image(path)
        except ImageReadError as ex:
            raise VideoOpenError(f"Frame {path} cannot be read: {ex}") from ex
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        return np.ascontiguousarray(image[:, :, :3])

    def __iter__(self) -> Iterator[SourceFrame]:
        return self.iter_from(0, Fraction(0))

    def iter_from(self, index: int, time: Fraction) -> Iterator[SourceFrame]:
        """Frames from source frame ``index`` on (``time``: its time, checked), as iteration numbers them."""
        rate = self.info.frame_rate
        if index and (index >= len(self.files) or Fraction(index) / rate != time):
            raise SeekError(f"Folder {self.path} has no frame {index} at {time} s.")
        return self._frames_from(index)

    def _frames_from(self, start: int) -> Iterator[SourceFrame]:
        rate, info = self.info.frame_rate, self.info
        for index, path in enumerate(self.files[start:], start):
            image = self._read(path)
            if image.shape[:2] != (info.height, info.width):
                raise ShapeError(
                    f"Frame {path.name} is {image.shape[1]}x{image.shape[0]} but the folder's first frame is "
                    f"{info.width}x{info.height}; all frames of a folder must have one size."
                )
            if image.dtype.itemsize * 8 != info.bit_depth:
                image = _convert_depth(image, info.bit_depth)
            yield SourceFrame(index=index, time=index / rate, duration=1 / rate, image=image)

    def close(self) -> None:
        pass

    def __enter__(self) -> FolderReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _convert_depth(image: np.ndarray, bit_depth: int) -> np.ndarray:
    if bit_depth == 16:
        return image.astype(np.uint16) * 257
    return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)


def open_video(source: str | os.PathLike, frame_rate: Fraction | None = None, strict: bool = False
               ) -> VideoReader | FolderReader:  # fmt: skip
    """Open a video file, or a folder of frames read at ``frame_rate`` (default 24 fps).

    ``frame_rate`` applies to folders only; a video file's timestamps come from the file. ``strict``: refuse a video
    file that ends before the frames its container announces (see :class:`VideoReader`) instead of warning.
    """
    path = Path(source)
    if path.is_dir():
        return FolderReader(path, frame_rate)
    return VideoReader(path, strict=strict)
