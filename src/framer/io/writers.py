"""Writing frame sequences: a folder of PNGs, an MP4 (H.264 via PyAV), an animated GIF or WebP.

Videos go through the one encoder of :mod:`framer.io.encode` (the one ``framer video`` uses): frames from images
are sRGB, stored as BT.709 limited-range YUV and tagged so.

Outputs are written atomically: into a temporary sibling first, then renamed into place, so a failed or
interrupted run never leaves a half-written output where a good one was. An existing non-empty output is only
replaced when ``overwrite=True``, and a folder only when it holds nothing but framer's frames.

A GIF stores frame times in 10 ms steps: each frame ends at the 10 ms step nearest its true time, so 24 fps
alternates 40 and 50 ms frames and the animation keeps its length (a warning says so). Every frame is stored, also
one that repeats the one before (Pillow's own GIF writer would merge them). WebP (libwebp) merges repeated frames
into longer ones, keeping the timing; a log line says how many.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image

from framer.errors import InputError, OutputExistsError
from framer.io.atomic import disk_full, move_into_place, partial_path, remove_stale_partials, write_png
from framer.io.encode import IMAGE_COLOR, EncoderSettings, VideoEncoder
from framer.parsing import parse_fps

__all__ = ["ANIMATION_SUFFIXES", "VIDEO_SUFFIXES", "check_output", "output_kind", "write_frames"]

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov")
ANIMATION_SUFFIXES = (".gif", ".webp")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# The names framer gives the frames of a folder output (``framer tween`` and ``framer video``): only a folder of
# these is replaced by --overwrite.
FRAME_NAME = re.compile(r"frame_\d+\.png")
# GIF frame times are whole centiseconds, and players slow delays under 20 ms down (often to 100 ms).
GIF_MAX_FPS = 50

logger = logging.getLogger(__name__)


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


def _check_only_frames(path: Path) -> None:
    """Refuse to replace a folder that holds anything framer did not write (a file that is not a frame)."""
    foreign = sorted(entry.name for entry in path.iterdir() if not FRAME_NAME.fullmatch(entry.name))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise InputError(
            f"Output {path} holds files framer did not write ({foreign[0]}{more}), which replacing it would delete; "
            "move them away or choose another output."
        )


def _check_animation_fps(path: Path, fps: Fraction) -> None:
    if path.suffix.lower() == ".gif" and fps > GIF_MAX_FPS:
        raise InputError(
            f"A GIF plays at most {GIF_MAX_FPS} fps (its frame times are in 10 ms steps and players slow down frames "
            f"under 20 ms), not {float(fps):g}; lower the fps or write a .webp or .mp4."
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
    why = "" if existing == parent else f" cannot be made: {existing}"
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"Output folder {parent}{why} is not writable (read-only, or no permission to write).")
    try:  # os.access says yes to root on read-only or virtual file systems: try it
        with tempfile.TemporaryFile(dir=existing, prefix=".framer-write-check-"):
            pass
    except OSError as ex:
        reason = ex.strerror or type(ex).__name__
        raise InputError(
            f"Output folder {parent}{why} is not writable: no file can be made there ({reason})."
        ) from None


def check_output(
    output: str | os.PathLike,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike] = (),
    fps: Fraction | None = None,
) -> Path:
    """Check ``output`` may be written before any work is done; returns it as a Path.

    Raises:
        OutputExistsError: it exists, is not empty, and ``overwrite`` is False.
        InputError: it is one of ``inputs`` or a folder holding one (inputs are never modified); it is empty, the
            current folder or one holding it, or the filesystem root; its folder is not writable or cannot be made;
            its kind clashes with what exists; it is a folder holding files that are not framer's frames; or it is a
            GIF and ``fps`` (when given) is above :data:`GIF_MAX_FPS`.
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
        if kind == "folder":
            _check_only_frames(path)
    if fps is not None:
        _check_animation_fps(path, fps)
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


def frame_durations(count: int, fps: Fraction, step_ms: int = 1) -> list[int]:
    """Display times in ms, multiples of ``step_ms``, of ``count`` frames at ``fps``: frame ``k`` ends at the step
    nearest ``(k + 1) / fps``, so the total is right within half a step and no error builds up."""
    ends = [round(Fraction(1000 * k) / (fps * step_ms)) * step_ms for k in range(count + 1)]
    return [end - start for start, end in itertools.pairwise(ends)]


def _write_gif(images: Sequence[Image.Image], path: Path, durations: Sequence[int], loop: int) -> None:
    """Every frame as its own GIF image with its own palette (Pillow's ``save`` drops a frame that repeats the one
    before, which changes the count); written with Pillow's frame-level GIF functions."""
    with open(path, "wb") as file:
        for index, (image, duration) in enumerate(zip(images, durations, strict=True)):
            frame = image.convert("P", palette=Image.Palette.ADAPTIVE)
            if index == 0:
                header, _ = GifImagePlugin.getheader(frame, info={"loop": loop})
                file.write(b"".join(header))
            for chunk in GifImagePlugin.getdata(frame, duration=duration, disposal=1, include_color_table=True):
                file.write(chunk)
        file.write(b";")  # trailer


def _write_animation(frames: Sequence[np.ndarray], path: Path, fps: Fraction, loop: int) -> int:
    """Write a GIF or WebP animation; returns how many frames it stores (WebP: repeated frames merged)."""
    images = [Image.fromarray(_to_uint8_rgb(frame, keep_alpha=path.suffix.lower() == ".webp")) for frame in frames]
    if path.suffix.lower() == ".gif":
        durations = frame_durations(len(images), fps, step_ms=10)
        if len(set(durations)) > 1:
            logger.warning(
                "GIF frame times are in 10 ms steps: at %g fps the frames last %s ms, %.1f ms on average.",
                float(fps), " or ".join(str(d) for d in sorted(set(durations))), 1000 / float(fps),
            )  # fmt: skip
        _write_gif(images, path, durations, loop)
        return len(images)
    durations = frame_durations(len(images), fps)
    images[0].save(path, format="WEBP", save_all=True, append_images=images[1:], duration=durations, loop=loop,
                   lossless=False, quality=90)  # fmt: skip
    with Image.open(path) as written:
        return written.n_frames


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
    path = check_output(output, overwrite=overwrite, fps=fps)
    kind = output_kind(path)
    settings = EncoderSettings(codec, crf).check(path.suffix) if kind == "video" else None
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)  # left by a run that was killed (SIGKILL, power loss) while writing
    temp = partial_path(path)
    try:
        with disk_full(path):
            if kind == "folder":
                _write_folder(frames, temp, start_number)
            elif kind == "video":
                _write_video(frames, temp, fps, settings)
            else:
                stored = _write_animation(frames, temp, fps, loop)
                if stored < len(frames):
                    logger.info(
                        "%s stores %d of the %d frames: WebP merges a frame that repeats the one before into a "
                        "longer one (the timing is kept).", path.name, stored, len(frames),
                    )  # fmt: skip
            move_into_place(temp, path)
    finally:
        if temp.is_dir():
            shutil.rmtree(temp, ignore_errors=True)
        elif temp.exists():
            temp.unlink()
    return path
