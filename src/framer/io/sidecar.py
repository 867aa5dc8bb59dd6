"""The confidence sidecar: one row per in-between (where it lies and how far the engine trusts it), CSV or JSON.

Written atomically like every output (under a temporary sibling name, then renamed into place), and checked before
any work is done (:func:`check_sidecar`) so a long run never fails at its end on a path it could not write.

JSON is ``{"frames": [{column: value, ...}, ...]}``; CSV has a header row with the same column names.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from framer.errors import InputError, OutputExistsError
from framer.io.atomic import disk_full, move_into_place, partial_path

__all__ = ["SIDECAR_SUFFIXES", "check_sidecar", "write_sidecar"]

SIDECAR_SUFFIXES = (".csv", ".json")


def check_sidecar(
    path: str | os.PathLike,
    option: str,
    overwrite: bool = False,
    others: Sequence[str | os.PathLike] = (),
) -> Path:
    """Check the sidecar ``path`` may be written; ``option`` names it in messages (``--confidence``).

    Raises:
        InputError: it does not end in .csv or .json, is one of ``others`` (inputs and the main output), is a
            folder, or its folder does not exist.
        OutputExistsError: it exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.suffix.lower() not in SIDECAR_SUFFIXES:
        raise InputError(f"{option} must be a .csv or .json file, not {os.fspath(path)!r}.")
    if any(path.resolve() == Path(other).resolve() for other in others):
        raise InputError(f"{option} {path} is also an input or the output; give another file.")
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; give a .csv or .json file.")
    if not path.parent.resolve().is_dir():
        raise InputError(f"{option} {path}: the folder {path.parent} does not exist.")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{option} {path} already exists; pass --overwrite to replace it.")
    return path


def _render(rows: Sequence[Mapping[str, object]], columns: Sequence[str], suffix: str) -> str:
    if suffix == ".json":
        return json.dumps({"frames": [{key: row[key] for key in columns} for row in rows]}, indent=1) + "\n"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_sidecar(path: str | os.PathLike, rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> Path:
    """Write ``rows`` (each holding every name in ``columns``) to ``path`` as CSV or JSON by its suffix, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SIDECAR_SUFFIXES:
        raise InputError(f"A sidecar must be a .csv or .json file, not {os.fspath(path)!r}.")
    temp = partial_path(path)
    try:
        with disk_full(path):
            temp.write_text(_render(rows, columns, suffix), encoding="utf-8")
            move_into_place(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
