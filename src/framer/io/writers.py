"""Writing frame sequences: a folder of PNGs, an MP4 (H.264 via PyAV), an animated GIF or WebP.

Videos go through the one encoder of :mod:`framer.io.encode` (the one ``framer video`` uses): frames from images
are sRGB, stored as BT.709 limited-range YUV and tagged so.

Outputs are written atomically: into a temporary sibling first, then renamed into place, so a failed or
interrupted run never leaves a half-written output where a good one was. An existing non-empty output is only
replaced when ``overwrite=True``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from framer.errors import InputError, OutputExistsError
from framer.io.atomic import move_into_place, partial_path, remove_stale_partials, write_png
from framer.io.encode import IMAGE_COLOR, EncoderSettings, VideoEncoder
from framer.parsing import parse_fps

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


def _check_location(output: str | os.PathLike, resolved: Path, inputs: Sequence[str | os.PathLike]) -> None:
    """Refuse outputs that can never be replaced by a rename: empty, ``.``, a folder holding the current folder or an
    input, or the filesystem root."""
    if not os.fspath(output).strip():
        raise InputError("Output is empty; give a folder or a file name.")
    if resolved.parent == resolved:
        raise InputError(f"Output {output} is the filesystem root; give a new folder or a file name.")
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise InputError(
            f"Output {output} is the current folder or holds it; give a new folder or a file name inside it."
        )
    for source in inputs:
        source_path = Path(source).resolve()
        if source_path == resolved:
            raise InputError(f"Output {output} would overwrite the input {source}; choose another output.")
        if resolved in source_path.parents:
            raise InputError(
                f"Output {output} holds the input {source}, so replacing it would overwrite the input; "
                "choose another output."
            )


def _check_writable(path: Path) -> None:
    """The folder ``path`` goes in exists and is writable, or can be made (its nearest existing ancestor is a
    writable folder)."""
    parent = path.parent
    existing = parent
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"Output folder {parent} cannot be made: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        why = "" if existing == parent else f" cannot be made: {existing}"
        raise InputError(f"Output folder {parent}{why} is not writable (read-only, or no permission to write).")


def check_output(output: str | os.PathLike, overwrite: bool = False, inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """Check ``output`` may be written before any work is done; returns it as a Path.

    Raises:
        OutputExistsError: it exists, is not empty, and ``overwrite`` is False.
        InputError: it is one of ``inputs`` or a folder holding one (inputs are never modified); it is empty, the
            current folder or one holding it, or the filesystem root; its folder is not writable or cannot be made;
            or its kind clashes with what exists.
    """
    path = Path(output)
    resolved = path.resolve()
    _check_location(output, resolved, inputs)
    kind = output_kind(path)
    if _is_nonempty(path):
        if not overwrite:
            raise OutputExistsError(f"Output {path} already exists and is not empty; pass --overwrite to replace it.")
        if kind == "folder" and not path.is_dir():
            raise InputError(f"Output {path} is a file, but a folder of frames was asked for.")
        if kind != "folder" and path.is_dir():
            raise InputError(f"Output {path} is a folder, but a {kind} file was asked for.")
    _check_writable(resolved)
    return path


def _to_uint8_rgb(frame: np.ndarray, keep_alpha: bool = False) -> np.ndarray:
    if frame.dtype == np.uint16:
        frame = ((frame.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4 and not keep_alpha:
        frame = frame[:, :, :3]
    return np.ascontiguousarray(frame)


def _write_folder(frames: Sequence[np.ndarray], folder: Path, start_number: int) -> None:
    folder.mkdir()
    digits = max(5, len(str(start_number + len(frames))))
    for index, frame in enumerate(frames, start=start_number):
        write_png(frame, folder / f"frame_{index:0{digits}d}.png")


def _write_video(frames: Sequence[np.ndarray], path: Path, fps: Fraction, settings: EncoderSettings) -> None:
    height, width = frames[0].shape[:2]
    with VideoEncoder(path, width, height, fps, settings, color=IMAGE_COLOR) as encoder:
        for frame in frames:
            encoder.write(_to_uint8_rgb(frame))


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
    fps: float | Fraction | str = 24,
    overwrite: bool = False,
    codec: str = "libx264",
    crf: int = 18,
    loop: int = 0,
    start_number: int = 1,
) -> Path:
    """Write frames (arrays as :func:`framer.io.read_image` returns them) to ``output``, atomically.

    The kind of output follows the suffix: none -> folder of ``frame_00001.png``... (keeps bit depth and alpha);
    ``.mp4``/``.mkv``/``.mov`` -> H.264 yuv420p video tagged BT.709 (see :mod:`framer.io.encode`); ``.gif``/``.webp``
    -> looping animation. ``fps`` is a number or a ratio such as ``"30000/1001"``.
    """
    if len(frames) == 0:
        raise InputError("There are no frames to write.")
    fps = parse_fps(fps)
    path = check_output(output, overwrite=overwrite)
    kind = output_kind(path)
    settings = EncoderSettings(codec, crf).check(path.suffix) if kind == "video" else None
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)  # left by a run that was killed (SIGKILL, power loss) while writing
    temp = partial_path(path)
    try:
        if kind == "folder":
            _write_folder(frames, temp, start_number)
        elif kind == "video":
            _write_video(frames, temp, fps, settings)
        else:
            _write_animation(frames, temp, fps, loop)
        move_into_place(temp, path)
    finally:
        if temp.is_dir():
            shutil.rmtree(temp, ignore_errors=True)
        elif temp.exists():
            temp.unlink()
    return path
