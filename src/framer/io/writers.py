"""Writing frame sequences: a folder of PNGs, an MP4 (H.264 via PyAV), an animated GIF or WebP.

Outputs are written atomically: into a temporary sibling first, then renamed into place, so a failed or
interrupted run never leaves a half-written output where a good one was. An existing non-empty output is only
replaced when ``overwrite=True``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from framer.errors import InputError, OutputExistsError

__all__ = ["ANIMATION_SUFFIXES", "VIDEO_SUFFIXES", "check_output", "output_kind", "write_frames"]

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov")
ANIMATION_SUFFIXES = (".gif", ".webp")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def output_kind(output: str | os.PathLike) -> str:
    """``"folder"``, ``"video"`` or ``"animation"``, from the suffix of ``output`` (no suffix: a folder)."""
    suffix = Path(output).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in ANIMATION_SUFFIXES:
        return "animation"
    if suffix in _IMAGE_SUFFIXES:
        raise InputError(
            f"Output {output} names a single image, but several frames are written: give a folder (no suffix), "
            f"or a file ending in {', '.join(VIDEO_SUFFIXES + ANIMATION_SUFFIXES)}."
        )
    if suffix and not Path(output).is_dir():
        raise InputError(
            f"Output suffix {suffix!r} is not supported: give a folder, or a file ending in "
            f"{', '.join(VIDEO_SUFFIXES + ANIMATION_SUFFIXES)}."
        )
    return "folder"


def _is_nonempty(path: Path) -> bool:
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


def check_output(output: str | os.PathLike, overwrite: bool = False, inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """Check ``output`` may be written before any work is done; returns it as a Path.

    Raises:
        OutputExistsError: it exists, is not empty, and ``overwrite`` is False.
        InputError: it is one of ``inputs`` (inputs are never modified), or its kind clashes with what exists.
    """
    path = Path(output)
    kind = output_kind(path)
    resolved = path.resolve()
    for source in inputs:
        source_path = Path(source).resolve()
        if source_path == resolved or resolved in source_path.parents:
            raise InputError(f"Output {path} would overwrite the input {source}; choose another output.")
    if _is_nonempty(path):
        if not overwrite:
            raise OutputExistsError(f"Output {path} already exists and is not empty; pass --overwrite to replace it.")
        if kind == "folder" and not path.is_dir():
            raise InputError(f"Output {path} is a file, but a folder of frames was asked for.")
        if kind != "folder" and path.is_dir():
            raise InputError(f"Output {path} is a folder, but a {kind} file was asked for.")
    return path


def _to_uint8_rgb(frame: np.ndarray, keep_alpha: bool = False) -> np.ndarray:
    if frame.dtype == np.uint16:
        frame = ((frame.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4 and not keep_alpha:
        frame = frame[:, :, :3]
    return np.ascontiguousarray(frame)


def _write_png(frame: np.ndarray, path: Path) -> None:
    if frame.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if frame.shape[2] == 4 else cv2.COLOR_RGB2BGR
        frame = cv2.cvtColor(frame, code)
    if not cv2.imwrite(str(path), frame):
        raise OSError(f"could not write {path}")


def _write_folder(frames: Sequence[np.ndarray], folder: Path, start_number: int) -> None:
    folder.mkdir()
    digits = max(5, len(str(start_number + len(frames))))
    for index, frame in enumerate(frames, start=start_number):
        _write_png(frame, folder / f"frame_{index:0{digits}d}.png")


def _write_video(frames: Sequence[np.ndarray], path: Path, fps: Fraction, codec: str, crf: int) -> None:
    height, width = frames[0].shape[:2]
    # yuv420p needs even sides: pad by repeating the last row/column.
    pad_h, pad_w = height % 2, width % 2
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width + pad_w, height + pad_h
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)} if codec in ("libx264", "h264", "libx265") else {}
        for frame in frames:
            rgb = _to_uint8_rgb(frame)
            if pad_h or pad_w:
                rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_animation(frames: Sequence[np.ndarray], path: Path, fps: Fraction, loop: int) -> None:
    suffix = path.suffix.lower()
    keep_alpha = suffix == ".webp"
    images = [Image.fromarray(_to_uint8_rgb(frame, keep_alpha=keep_alpha)) for frame in frames]
    duration_ms = max(1, round(1000 / float(fps)))
    options: dict = {"save_all": True, "append_images": images[1:], "duration": duration_ms, "loop": loop}
    if suffix == ".webp":
        options.update(lossless=False, quality=90, format="WEBP")
    else:
        options.update(format="GIF", optimize=False, disposal=2)
    images[0].save(path, **options)


def write_frames(
    frames: Sequence[np.ndarray],
    output: str | os.PathLike,
    fps: float | Fraction = 24,
    overwrite: bool = False,
    codec: str = "libx264",
    crf: int = 18,
    loop: int = 0,
    start_number: int = 1,
) -> Path:
    """Write frames (arrays as :func:`framer.io.read_image` returns them) to ``output``, atomically.

    The kind of output follows the suffix: none -> folder of ``frame_00001.png``... (keeps bit depth and alpha);
    ``.mp4``/``.mkv``/``.mov`` -> H.264 yuv420p video; ``.gif``/``.webp`` -> looping animation.
    """
    if len(frames) == 0:
        raise InputError("There are no frames to write.")
    try:
        fps = Fraction(fps).limit_denominator(1_000_000)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        raise InputError(f"`fps` must be a positive finite number but is {fps!r}.") from None
    if fps <= 0:
        raise InputError(f"`fps` must be positive but is {float(fps)}.")
    path = check_output(output, overwrite=overwrite)
    kind = output_kind(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}{path.suffix}"
    try:
        if kind == "folder":
            _write_folder(frames, temp, start_number)
        elif kind == "video":
            _write_video(frames, temp, fps, codec, crf)
        else:
            _write_animation(frames, temp, fps, loop)
        _move_into_place(temp, path)
    finally:
        if temp.is_dir():
            shutil.rmtree(temp, ignore_errors=True)
        elif temp.exists():
            temp.unlink()
    return path


def _move_into_place(temp: Path, path: Path) -> None:
    """Rename ``temp`` onto ``path``; a folder being replaced is moved aside first and removed after."""
    if temp.is_dir() and path.is_dir() and any(path.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.replace(path, old / path.name)
        os.replace(temp, path)
        shutil.rmtree(old, ignore_errors=True)
    elif temp.is_dir() and path.is_dir():
        path.rmdir()
        os.replace(temp, path)
    else:
        os.replace(temp, path)
