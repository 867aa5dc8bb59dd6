"""Evaluation protocols: which frames of a folder are keyframes, which are ground truth, and at what time t.

Protocols (one per run):

- ``triplet`` (Vimeo-90K): a sample folder holds ``im1``, ``im2``, ``im3`` (or exactly three frames); ``im1`` and
  ``im3`` go in, ``im2`` is scored at t = 0.5.
- ``seven-frame`` (the Framer paper's DAVIS-7 / UCF101-7): seven consecutive frames (``im1``..``im7`` or exactly
  seven frames); frames 0 and 6 go in, frames 1..5 are scored at t = 1/6..5/6.
- ``sequence``: every k-th frame of a folder goes in (0, k, 2k, ...) and the frames between are scored, frame
  ``i * k + j`` at t = j / k; frames after the last input frame are not scored.

A DATA_DIR is either one sample (it holds the frames itself) or a tree of sample folders (every folder that holds
image files is one sample folder, at any depth). Frames are ordered naturally (``frame2`` before ``frame10``).
Each keyframe pair with its ground-truth frames is one :class:`Sample`; a sequence gives one per gap.

Convention: frames are read as 8-bit RGB, ``(H, W, 3)`` uint8: 16-bit frames are scaled (``(v + 128) // 257``),
grey is repeated into three channels and alpha is dropped, so every method is fed and scored on the same 8 bits.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framer.errors import InputError, ShapeError
from framer.io.images import probe_image, read_image

__all__ = [
    "IMAGE_SUFFIXES",
    "PROTOCOLS",
    "Sample",
    "center_crop",
    "find_samples",
    "load_sample",
    "to_uint8_rgb",
]

logger = logging.getLogger(__name__)

PROTOCOLS = ("triplet", "seven-frame", "sequence")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
_FIXED_LENGTH = {"triplet": 3, "seven-frame": 7}

Size = tuple[int, int]


@dataclass(frozen=True)
class Sample:
    """One keyframe pair and the ground-truth frames between it.

    Attributes:
        name: unique name, the sample folder relative to its DATA_DIR's parent (plus the gap for sequences).
        keyframes: the two input frames.
        targets: the ground-truth frames, in time order.
        times: where each target lies between the keyframes, in (0, 1).
        size: width and height of the frames as stored (before any crop).
    """

    name: str
    keyframes: tuple[Path, Path]
    targets: tuple[Path, ...]
    times: tuple[float, ...]
    size: Size


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _image_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted((p for p in files if not p.name.startswith(".")), key=_natural_key)


def _frame_folders(root: Path) -> list[Path]:
    """Every folder under ``root`` (itself included) that directly holds image files, in natural order."""
    found = []
    for folder, subfolders, _ in os.walk(root):
        subfolders[:] = sorted((s for s in subfolders if not s.startswith(".")), key=lambda s: _natural_key(Path(s)))
        if _image_files(Path(folder)):
            found.append(Path(folder))
    return found


def _numbered_frames(files: list[Path], count: int) -> list[Path] | None:
    """``im1``..``im{count}`` (stems ``imN`` or ``imN_...``) when each is present exactly once, else None."""
    chosen = []
    for number in range(1, count + 1):
        pattern = re.compile(rf"im{number}(?:[_\-.].*)?", re.IGNORECASE)
        matches = [p for p in files if pattern.fullmatch(p.stem)]
        if len(matches) != 1:
            return None
        chosen.append(matches[0])
    return chosen


def _protocol_frames(folder: Path, files: list[Path], protocol: str, k: int | None) -> list[Path]:
    if protocol == "sequence":
        if len(files) < k + 1:
            raise InputError(
                f"{folder} holds {len(files)} frames, but the sequence protocol with k={k} needs at least {k + 1}."
            )
        return files
    count = _FIXED_LENGTH[protocol]
    if len(files) == count:
        return files
    numbered = _numbered_frames(files, count)
    if numbered is None:
        raise InputError(
            f"{folder} holds {len(files)} frames, but the {protocol} protocol needs im1..im{count} or exactly "
            f"{count} frames in a sample folder."
        )
    return numbered


def _check_sizes(folder: Path, frames: list[Path], crop: int | None) -> Size:
    sizes = [probe_image(p) for p in frames]
    if len(set(sizes)) > 1:
        odd = next(i for i, size in enumerate(sizes) if size != sizes[0])
        raise ShapeError(
            f"Frames of a sample must have one size, but in {folder} {frames[0].name} is {sizes[0][0]}x{sizes[0][1]} "
            f"and {frames[odd].name} is {sizes[odd][0]}x{sizes[odd][1]}."
        )
    width, height = sizes[0]
    if crop is not None and (crop > width or crop > height):
        raise ShapeError(f"`crop` {crop} is larger than the {width}x{height} frames in {folder}; give a smaller crop.")
    return sizes[0]


def _gaps(frames: list[Path], protocol: str, k: int | None) -> list[tuple[int, int]]:
    """Index pairs of the keyframes of each gap."""
    if protocol != "sequence":
        return [(0, len(frames) - 1)]
    return [(start, start + k) for start in range(0, len(frames) - k, k)]


def _folder_samples(folder: Path, name: str, protocol: str, k: int | None, crop: int | None) -> list[Sample]:
    frames = _protocol_frames(folder, _image_files(folder), protocol, k)
    size = _check_sizes(folder, frames, crop)
    gaps = _gaps(frames, protocol, k)
    unscored = len(frames) - 1 - gaps[-1][1]
    if unscored:
        logger.info("%s: the last %d frame(s) come after the last input frame and are not scored.", name, unscored)
    samples = []
    for start, end in gaps:
        span = end - start
        gap_name = name if protocol != "sequence" else f"{name} {frames[start].stem}..{frames[end].stem}"
        samples.append(
            Sample(
                name=gap_name,
                keyframes=(frames[start], frames[end]),
                targets=tuple(frames[start + 1 : end]),
                times=tuple(j / span for j in range(1, span)),
                size=size,
            )
        )
    return samples


def _check_arguments(protocol: str, k: int | None, crop: int | None) -> None:
    if protocol not in PROTOCOLS:
        raise InputError(f"`protocol` must be one of {', '.join(PROTOCOLS)} but is {protocol!r}.")
    if protocol == "sequence":
        if isinstance(k, bool) or not isinstance(k, int) or k < 2:
            raise InputError(
                f"The sequence protocol needs `k` (every k-th frame goes in), an integer >= 2, not {k!r}."
            )
    elif k is not None:
        raise InputError(f"`k` applies only to the sequence protocol, not to {protocol}.")
    if crop is not None and (isinstance(crop, bool) or not isinstance(crop, int) or crop < 1):
        raise InputError(f"`crop` must be a positive integer (the side of the centre square) but is {crop!r}.")


def find_samples(
    data_dirs: Sequence[str | os.PathLike] | str | os.PathLike,
    protocol: str,
    k: int | None = None,
    crop: int | None = None,
) -> list[Sample]:
    """The samples of one or more DATA_DIRs under ``protocol`` (image headers are read, frames are not decoded).

    Args:
        data_dirs: folders, each one sample folder or a tree of them (see the module docstring).
        protocol: ``triplet``, ``seven-frame`` or ``sequence``.
        k: for ``sequence``: every k-th frame goes in (k >= 2).
        crop: side of a centre square to crop every frame to (256 as for DAVIS-7); checked against frame sizes.

    Raises:
        InputError: a folder is missing, holds no frames, or holds frames that do not fit the protocol.
        ShapeError: frames of one sample differ in size, or are smaller than ``crop``.
    """
    _check_arguments(protocol, k, crop)
    if isinstance(data_dirs, (str, os.PathLike)):
        data_dirs = [data_dirs]
    if not data_dirs:
        raise InputError("Give at least one DATA_DIR.")
    samples: list[Sample] = []
    for data_dir in map(Path, data_dirs):
        if not data_dir.exists():
            raise InputError(f"DATA_DIR {data_dir} does not exist.")
        if not data_dir.is_dir():
            raise InputError(f"DATA_DIR {data_dir} is not a folder; give a folder of frames or of sample folders.")
        folders = _frame_folders(data_dir)
        if not folders:
            raise InputError(
                f"DATA_DIR {data_dir} holds no frames ({', '.join(IMAGE_SUFFIXES)}) in it or in any folder below it."
            )
        base = data_dir.resolve().parent
        for folder in folders:
            name = folder.resolve().relative_to(base).as_posix()
            samples.extend(_folder_samples(folder, name, protocol, k, crop))
    names = [s.name for s in samples]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(
            f"Sample names must be unique, but {duplicates[0]!r} is found twice; give each DATA_DIR once."
        )
    return samples


def to_uint8_rgb(image: np.ndarray) -> np.ndarray:
    """An image as :func:`framer.io.read_image` returns it -> ``(H, W, 3)`` uint8 RGB (see the module docstring)."""
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def center_crop(image: np.ndarray, side: int | None) -> np.ndarray:
    """The centre ``side x side`` square of ``(H, W, ...)`` (the whole image when ``side`` is None)."""
    if side is None:
        return image
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return image[top : top + side, left : left + side]


def load_sample(sample: Sample, crop: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Decode a sample: its two keyframes and its targets, each ``(H, W, 3)`` uint8 RGB, centre-cropped."""

    def load(path: Path) -> np.ndarray:
        return np.ascontiguousarray(center_crop(to_uint8_rgb(read_image(path)), crop))

    return [load(p) for p in sample.keyframes], [load(p) for p in sample.targets]
