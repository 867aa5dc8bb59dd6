"""Putting outputs in place atomically: a file or folder made under a temporary name is renamed onto its target, and
a PNG is written the same way, so nothing is ever seen half-written where a good output was (or is expected).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from framer.errors import FramerError

__all__ = [
    "DiskFullError",
    "disk_full",
    "move_into_place",
    "out_of_space",
    "partial_path",
    "remove_stale_partials",
    "write_png",
]

# What each out-of-space errno means, in the words of the one message every writer gives.
_OUT_OF_SPACE = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up"}


class DiskFullError(FramerError, OSError):
    """Writing an output ran out of disk space (ENOSPC) or quota (EDQUOT); what was written of it was removed."""


def out_of_space(ex: BaseException) -> str | None:
    """``"the disk is full"`` (or the quota) when ``ex`` is an out-of-space error, else None."""
    return _OUT_OF_SPACE.get(getattr(ex, "errno", None)) if isinstance(ex, OSError) else None


@contextlib.contextmanager
def disk_full(output: str | os.PathLike) -> Iterator[None]:
    """Turn an out-of-space error raised while writing ``output`` into the one :class:`DiskFullError` message.

    The caller removes what it wrote before the error leaves it (``write_frames`` writes to a temporary sibling and
    deletes it), which the message promises.
    """
    try:
        yield
    except OSError as ex:
        why = out_of_space(ex)
        if why is None:
            raise
        error = DiskFullError(
            f"Could not write {os.fspath(output)}: {why}; nothing was left behind, free some space and run again."
        )
        error.errno = ex.errno
        raise error from ex


def partial_path(path: str | os.PathLike) -> Path:
    """A hidden temporary sibling of ``path`` to write it under: ``.NAME.partial-PID-RANDOM.SUFFIX``.

    The process id in the name lets a later run tell a partial output left by a killed process (see
    :func:`remove_stale_partials`) from one a running process is still writing.
    """
    path = Path(path)
    return path.parent / f".{path.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or an impossible number: leave the file alone)
    return True


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Delete the partial outputs of ``path`` (named by :func:`partial_path`) left by processes no longer running.

    Only siblings matching ``path``'s own partial pattern are touched; those of a live process are kept. Returns
    what was removed.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.partial-(\d+)-[0-9a-f]{{8}}{re.escape(path.suffix)}")
    removed = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for sibling in siblings:
        match = pattern.fullmatch(sibling.name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        try:
            if sibling.is_dir() and not sibling.is_symlink():
                shutil.rmtree(sibling)
            else:
                sibling.unlink()
        except OSError:
            continue
        removed.append(sibling)
    return removed


def move_into_place(temp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Rename ``temp`` (a file or a folder, beside ``path``) onto ``path``.

    An empty folder at ``path`` is removed first; a non-empty one is moved aside into a hidden ``.NAME.old-*``
    folder, replaced, then deleted (put back if the rename fails). Callers check beforehand whether ``path`` may be
    replaced.
    """
    temp, path = Path(temp), Path(path)
    if path.is_dir() and any(path.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.replace(path, old / path.name)
        try:
            os.replace(temp, path)
        except BaseException:
            os.replace(old / path.name, path)
            old.rmdir()
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    if path.is_dir():
        path.rmdir()
    os.replace(temp, path)


def write_png(image: np.ndarray, path: str | os.PathLike) -> None:
    """Write a frame as a PNG, atomically (under a hidden temporary name, then renamed onto ``path``).

    ``image`` is ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, uint8 or uint16 (kept as 16-bit).
    """
    path = Path(path)
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OSError(f"could not encode frame {path.name} as PNG")
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_bytes(data.tobytes())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
