"""What a batch converts: files, folders, globs and list files expanded into (input, output) pairs.

An item is a video file; a folder (the videos directly in it, by suffix; a folder holding only image frames is one
input, read as a video); a glob (``clips/*.mp4``, ``**`` for sub-folders); or ``@LIST``, a text file with one item
per line (blank lines and ``#`` comments skipped; relative paths are relative to the list file's folder); or an fsspec
URL of a file, folder or glob (``s3://bucket/clips/*.mp4``, see :mod:`framer.batch.remote`). Each input is written
to ``OUT_DIR/<name><suffix>`` (``suffix`` empty: a folder of PNG frames; ``OUT_DIR`` may be a URL too). An item that
names nothing is a failed entry of the batch, not an error of the whole batch.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from framer.batch.remote import expand_url, is_url
from framer.errors import InputError

__all__ = ["VIDEO_SUFFIXES", "BatchInput", "expand_inputs", "read_list"]

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class BatchInput:
    """One input of a batch and its output; ``error`` (one sentence) when the item named nothing usable."""

    source: str
    output: str
    error: str | None = None


def read_list(path: str | os.PathLike) -> list[str]:
    """The items of a list file (``@LIST`` / ``--list``), relative paths resolved against its folder."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as ex:
        raise InputError(f"List file {path} cannot be read: {ex.strerror or ex}.") from None
    items = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            items.append(line if Path(line).is_absolute() else str(path.parent / line))
    return items


def _is_frames_folder(folder: Path) -> bool:
    return any(p.suffix.lower() in _IMAGE_SUFFIXES for p in folder.iterdir() if p.is_file())


def _expand(item: str) -> Iterator[tuple[str, str | None]]:
    """(source, error) for each input an item names."""
    if item.startswith("@"):
        try:
            items = read_list(item[1:])
        except InputError as ex:
            yield item, str(ex)
            return
        for entry in items:
            yield from _expand(entry)
        return
    if is_url(item):
        urls = expand_url(item, VIDEO_SUFFIXES)
        yield from ((url, None) for url in urls) if urls else [(item, f"{item} names no file.")]
        return
    if _GLOB_CHARS & set(item):
        matches = sorted(glob.glob(item, recursive=True))
        if not matches:
            yield item, f"{item} matches no file."
        for match in matches:
            if Path(match).is_file() or _is_frames_folder(Path(match)):
                yield match, None
        return
    path = Path(item)
    if path.is_dir():
        videos = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if videos:
            yield from ((str(video), None) for video in videos)
        elif _is_frames_folder(path):
            yield item, None
        else:
            yield item, f"Folder {item} holds no videos ({', '.join(VIDEO_SUFFIXES)}) and no image frames."
        return
    yield item, None if path.exists() else f"{item} does not exist."


def expand_inputs(items: Iterable[str], output_dir: str | os.PathLike, suffix: str = ".mp4") -> list[BatchInput]:
    """The batch's inputs, in the order given (each once), with their outputs in ``output_dir``.

    Raises:
        InputError: no item was given, or two inputs would write the same output.
    """
    inputs: list[BatchInput] = []
    seen: set[str] = set()
    owners: dict[str, str] = {}
    for item in items:
        for source, error in _expand(str(item)):
            key = source if is_url(source) else os.path.abspath(source)
            if key in seen:
                continue
            seen.add(key)
            name = f"{PurePosixPath(source.rstrip('/').split('://')[-1]).stem}{suffix}"
            output = f"{str(output_dir).rstrip('/')}/{name}" if is_url(output_dir) else str(Path(output_dir) / name)
            if error is None and output in owners:
                raise InputError(
                    f"Inputs {owners[output]} and {source} would both write {output}; give them different names."
                )
            owners.setdefault(output, source)
            inputs.append(BatchInput(source, output, error))
    if not inputs:
        raise InputError("No inputs were given; name video files, folders, globs or a list file (@LIST).")
    return inputs
