"""The stills of a time-lapse: which files (a folder, a glob or a list), and when each was taken (EXIF)."""

from __future__ import annotations

import glob
import itertools
import logging
import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from framer.errors import InputError

__all__ = ["STILL_SUFFIXES", "collect_stills", "exif_times", "gap_counts"]

logger = logging.getLogger(__name__)

STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_SUBSEC_ORIGINAL = 37521
_DATETIME = 306  # IFD0 "DateTime" (last changed): used when DateTimeOriginal is missing


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _expand(source: str | os.PathLike) -> list[Path]:
    """One command-line item: a folder (its images in natural order), a glob pattern, or a file."""
    path = Path(source)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in STILL_SUFFIXES),
                       key=_natural_key)  # fmt: skip
        if not files:
            raise InputError(f"Folder {path} holds no images ({', '.join(STILL_SUFFIXES)}).")
        return files
    if glob.has_magic(str(source)) and not path.exists():
        matches = sorted((Path(p) for p in glob.glob(str(source)) if Path(p).is_file()), key=_natural_key)
        if not matches:
            raise InputError(f"No file matches {str(source)!r}.")
        return matches
    return [path]  # read_image says what is wrong with a missing or unreadable file


def collect_stills(sources: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """The stills named by ``sources``: a folder, a glob pattern, a file, or a list of any of these, in order.

    Raises:
        InputError: a folder without images, a pattern matching nothing, or fewer than two stills in all.
    """
    items = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    stills = [path for item in items for path in _expand(item)]
    if len(stills) < 2:
        found = f"only {stills[0]}" if stills else "none"
        raise InputError(f"A time-lapse needs at least two stills, but {found} was given.")
    return stills


def _exif_time(path: Path) -> datetime | None:
    """When the still was taken: EXIF DateTimeOriginal (with its sub-seconds), else DateTime; None without EXIF."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            exif = image.getexif()
    except (OSError, UnidentifiedImageError):
        return None
    sub = exif.get_ifd(_EXIF_IFD)
    text = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    fraction = str(sub.get(_SUBSEC_ORIGINAL, "")).strip("\x00 ")
    if fraction.isdigit():
        stamp = stamp.replace(microsecond=int(fraction.ljust(6, "0")[:6]))
    return stamp


def exif_times(stills: Sequence[Path]) -> list[float] | None:
    """Seconds after the first still at which each was taken, from EXIF; None (with a warning saying why) when a
    still has no EXIF time or the times do not increase, so the caller paces the frames evenly."""
    stamps = [_exif_time(Path(path)) for path in stills]
    missing = [str(path) for path, stamp in zip(stills, stamps, strict=True) if stamp is None]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        logger.warning("No EXIF DateTimeOriginal in %s%s: pacing the frames evenly instead.", missing[0], more)
        return None
    seconds = [(stamp - stamps[0]).total_seconds() for stamp in stamps]  # type: ignore[operator]
    if any(b <= a for a, b in itertools.pairwise(seconds)):
        logger.warning("The stills' EXIF times do not increase in the order given: pacing the frames evenly instead.")
        return None
    return seconds


def gap_counts(times: Sequence[float] | None, stills: int, multi: int) -> list[int]:
    """Output frames per gap between stills (the still that opens it and its in-betweens).

    Even pacing: ``multi`` per gap. EXIF pacing: the ``(stills - 1) * multi`` frames shared out in proportion to the
    real time of each gap (at least one per gap, so every still is shown), rounding carried over so the total holds.
    """
    gaps = stills - 1
    if times is None:
        return [multi] * gaps
    total, span = gaps * multi, times[-1] - times[0]
    ends = [round(total * (t - times[0]) / span) for t in times]
    counts, last = [], 0
    for end in ends[1:]:
        count = max(1, end - last)
        counts.append(count)
        last += count
    return counts
