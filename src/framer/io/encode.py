"""Encoding frames to video: the one streaming encoder (PyAV) behind ``write_frames`` and ``framer video``.

Frame ``k`` has presentation time exactly ``k / frame_rate`` (the stream time base is ``1 / frame_rate``, a
:class:`Fraction` such as ``1001/60000``). RGB frames are converted to YUV with the colour matrix and range of
:class:`ColorInfo` and the stream is tagged with its primaries, transfer, matrix and range, so players show the
output as the source looks: a video's own colours, or :data:`IMAGE_COLOR` (sRGB frames, stored as BT.709
limited-range YUV) for frames from images. x264 runs on one thread and without its macroblock tree, so the same
frames always give the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from framer.errors import InputError

__all__ = ["IMAGE_COLOR", "RANGE_FULL", "RANGE_LIMITED", "ColorInfo", "EncoderSettings", "VideoEncoder"]

# AVColorSpace (stream metadata) -> swscale colour matrix (SWS_CS_*): the matrix used for YUV <-> RGB.
_SWS_ITU709, _SWS_FCC, _SWS_ITU601, _SWS_SMPTE240M, _SWS_BT2020 = 1, 4, 5, 7, 9
_SWS_MATRIX = {1: _SWS_ITU709, 4: _SWS_FCC, 5: _SWS_ITU601, 6: _SWS_ITU601, 7: _SWS_SMPTE240M, 9: _SWS_BT2020}
# AVColorRange codes.
RANGE_LIMITED, RANGE_FULL = 1, 2


@dataclass(frozen=True)
class ColorInfo:
    """Colour metadata of a stream (FFmpeg's AVColorPrimaries/Trc/Space/Range codes; 2 and 0 mean unspecified)."""

    primaries: int = 2
    transfer: int = 2
    space: int = 2
    range: int = 0

    @property
    def matrix(self) -> int:
        """The swscale matrix for YUV <-> RGB (BT.601 when the stream declares none)."""
        return _SWS_MATRIX.get(self.space, _SWS_ITU601)

    @property
    def full_range(self) -> bool:
        return self.range == RANGE_FULL


# Colour of frames that come from image files: sRGB, stored as BT.709 limited-range YUV.
IMAGE_COLOR = ColorInfo(primaries=1, transfer=1, space=1, range=RANGE_LIMITED)

# x264's macroblock-tree rate control reads memory it has not written for some frames (seen at 64x48 and 320x180,
# not at 176x144 or 1280x720): the same frames then gave different bytes and pictures from run to run (the bitstream
# followed MALLOC_PERTURB_), which broke the exact output of resumed and segmented video jobs. Off, the encoder is a
# function of its frames again, at some cost in size for the same quality.
# Two slices encoded by two threads (sliced threads: each slice is a function of its frame alone, so the bytes do not
# depend on timing, unlike x264's frame threads, which were seen to give other bytes under load): 1.6x faster on 2
# cores for 1% more bytes; the count is fixed so that any machine, a resumed run or a batch part, gives the same bytes.
_DETERMINISTIC = {"libx264": {"x264-params": "mbtree=0:sliced-threads=1:threads=2"}}

# Frames a background encoder holds before write waits for it.
_QUEUED = 4

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
        with av.open(os.devnull, mode="w", format=container_format(suffix)) as probe:
            if codec.name not in probe.supported_codecs and codec.canonical_name not in probe.supported_codecs:
                raise InputError(f"`codec` {self.codec} cannot be stored in a {suffix} file; choose .mkv instead.")
        if self.crf is not None and (isinstance(self.crf, bool) or not 0 <= self.crf <= 63):
            raise InputError(f"`crf` must be an integer from 0 to 63 but is {self.crf!r}.")
        return self

    @property
    def options(self) -> dict[str, str]:
        crf = self.crf if self.crf is not None else _DEFAULT_CRF.get(self.codec)
        options = {} if crf is None or self.codec not in _DEFAULT_CRF else {"crf": str(crf)}
        return {**options, **_DETERMINISTIC.get(self.codec, {})}


def container_format(suffix: str) -> str:
    """The FFmpeg muxer for a file suffix (.mp4, .mov; anything else Matroska)."""
    return {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}.get(suffix.lower(), "matroska")


def _even_padding(pix_fmt: str, width: int, height: int) -> tuple[int, int]:
    """Rows and columns to add so a chroma-subsampled format gets even sides."""
    fmt = av.VideoFormat(pix_fmt)
    pad_h = height % 2 if fmt.chroma_height(64) < 64 else 0
    pad_w = width % 2 if fmt.chroma_width(64) < 64 else 0
    return pad_h, pad_w


class _Aborted(Exception):
    """The encoder was aborted: frames still queued are dropped."""


class VideoEncoder:
    """Streaming encoder: ``write`` frames ``(H, W, 3)`` uint8/uint16 RGB one at a time; frame ``k`` at ``k / rate``.

    Odd sides are padded by repeating the last row/column when the pixel format subsamples chroma. As a context
    manager it closes the file on success and aborts it (the caller removes it) on an exception.

    With ``background``, colour conversion and encoding run on one worker thread, in order, while the caller makes
    the next frames (PyAV releases the GIL in them): the same bytes, and the encoder's time hidden behind the
    caller's where the CPUs are not all busy. At most :data:`_QUEUED` frames wait; a written image must not be
    changed afterwards. An error of the worker is raised by the next ``write`` or by ``close``.

    Args:
        path: output file (.mp4, .mov, .mkv).
        width, height: frame size.
        frame_rate: output frame rate (exact).
        settings: encoder, quality, pixel format.
        color: colour metadata to convert with and to tag (a video's own, or IMAGE_COLOR for frames from images).
        rotation: display rotation in degrees to record in the container.
        background: encode on a worker thread (above).
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
        background: bool = False,
    ) -> None:
        settings = settings or EncoderSettings()
        self.path = Path(path)
        self.frame_rate = Fraction(frame_rate)
        self.color = color
        self.settings = settings
        self.frames_written = 0  # frames given to write
        self._encoded = 0
        self._pad = _even_padding(settings.pix_fmt, width, height)
        self._container = av.open(str(self.path), mode="w", format=container_format(self.path.suffix))
        try:
            stream = self._container.add_stream(settings.codec, rate=self.frame_rate)
            stream.width, stream.height = width + self._pad[1], height + self._pad[0]
            stream.pix_fmt = settings.pix_fmt
            stream.time_base = 1 / self.frame_rate
            stream.codec_context.time_base = 1 / self.frame_rate
            stream.options = settings.options
            # No frame threads: with them x264's bitstream was seen to depend on timing under load (same frames,
            # different bytes), and a resumed run must join into exactly the unbroken run's frames (x264's own
            # sliced threads are set in _DETERMINISTIC).
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
        self._queue: queue.Queue[np.ndarray | None] | None = None
        self._worker: threading.Thread | None = None
        self._error: BaseException | None = None
        if background:
            self._queue = queue.Queue(maxsize=_QUEUED)
            self._worker = threading.Thread(target=self._work, name="framer-encoder", daemon=True)
            self._worker.start()

    @property
    def _yuv_range(self) -> int:
        if self.settings.pix_fmt.startswith("yuvj") or self.color.full_range:
            return RANGE_FULL
        return RANGE_LIMITED

    def write(self, image: np.ndarray) -> None:
        """Encode the next frame, ``(H, W, 3)`` RGB uint8 or uint16 (with ``background``, queue it)."""
        if self._queue is None:
            self._encode(image)
        else:
            self._raise_worker_error()
            self._queue.put(image)
        self.frames_written += 1

    def _work(self) -> None:
        """The worker: encode queued frames until the end mark (None); after an error, drop the rest."""
        assert self._queue is not None
        while (image := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._encode(image)
                except BaseException as ex:  # handed to the caller's thread by _raise_worker_error
                    self._error = ex

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _stop_worker(self) -> None:
        """Let the worker finish what is queued, and end it."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None

    def _encode(self, image: np.ndarray) -> None:
        pad_h, pad_w = self._pad
        if pad_h or pad_w:
            image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        fmt = "rgb48le" if image.dtype == np.uint16 else "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=fmt)
        frame = frame.reformat(
            format=self.settings.pix_fmt,
            src_colorspace=self.color.matrix,
            dst_colorspace=self.color.matrix,
            src_color_range=RANGE_FULL,
            dst_color_range=self._yuv_range,
        )
        frame.pts = self._encoded
        frame.time_base = self._stream.codec_context.time_base
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._encoded += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        try:
            self._stop_worker()
            self._raise_worker_error()
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without flushing (the file is then incomplete; the caller removes it)."""
        if self._worker is not None:
            self._error = self._error or _Aborted()  # the worker drops what is still queued
            self._stop_worker()
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self._container.close()

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
