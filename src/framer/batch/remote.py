"""Inputs and outputs as fsspec URLs (``s3://bucket/clip.mp4``, ``gs://...``, ``file:///...``).

PyAV decodes local files, so a remote input is copied once to a cache folder on each machine that needs it
(:func:`stage`); the copy's path depends only on the URL and its modification time is the remote file's, so every
worker of a job sees the same file identity (video mode's resume key). A remote output is made in a local work
folder (a path every worker sees, on a cluster) and uploaded by the job's last task (:func:`publish`). The
filesystem's own package (``s3fs``, ``gcsfs``, ...) must be installed where the tasks run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from framer.errors import InputError, MissingExtraError
from framer.io.atomic import partial_path

__all__ = ["cache_folder", "expand_url", "is_url", "publish", "stage", "url_exists"]

_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified")


def is_url(item: str | os.PathLike) -> bool:
    """Whether ``item`` names a file through fsspec (it has a ``scheme://``)."""
    return "://" in str(item)


def _fs(url: str):
    try:
        import fsspec
    except ImportError as ex:
        raise MissingExtraError(f"{url} is a URL: reading it needs fsspec (pip install 'framer-vfi[ray]').") from ex
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as ex:  # no package for the scheme (s3fs, gcsfs, ...), or a bad URL
        raise InputError(f"{url} cannot be opened: {ex}") from None


def cache_folder() -> Path:
    """Where remote inputs are copied: ``$FRAMER_BATCH_CACHE``, else ``<temp>/framer-batch-inputs``."""
    return Path(os.environ.get("FRAMER_BATCH_CACHE") or Path(tempfile.gettempdir()) / "framer-batch-inputs")


def expand_url(item: str, suffixes: tuple[str, ...]) -> list[str]:
    """The URLs an item names: itself, the files of a folder with ``suffixes``, or the matches of a glob."""
    fs, path = _fs(item)
    if set("*?[") & set(path):
        return [fs.unstrip_protocol(match) for match in sorted(fs.glob(path))]
    if fs.isdir(path):
        files = sorted(fs.ls(path, detail=False))
        return [fs.unstrip_protocol(file) for file in files if PurePosixPath(file).suffix.lower() in suffixes]
    return [item] if fs.exists(path) else []


def url_exists(url: str) -> bool:
    fs, path = _fs(url)
    return bool(fs.exists(path))


def _mtime_ns(info: dict) -> int:
    for key in _MTIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, (int, float)):
            return int(value * 1e9)
        if isinstance(value, str):
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
            except ValueError:
                continue
    return 0


def stage(url: str) -> Path:
    """A local copy of the remote file ``url`` (copied once; again when its size or time changed)."""
    fs, path = _fs(url)
    info = fs.info(path)
    mtime = _mtime_ns(info)
    local = cache_folder() / hashlib.sha256(url.encode()).hexdigest()[:16] / PurePosixPath(path).name
    if local.is_file() and local.stat().st_size == info.get("size") and local.stat().st_mtime_ns == mtime:
        return local
    local.parent.mkdir(parents=True, exist_ok=True)
    temp = partial_path(local)
    try:
        fs.get(path, str(temp))
        os.utime(temp, ns=(mtime, mtime))
        os.replace(temp, local)
    finally:
        temp.unlink(missing_ok=True)
    return local


def publish(local: Path, url: str) -> None:
    """Upload a finished output (a file, or a folder of frames) to ``url``, then remove the local one."""
    fs, path = _fs(url)
    fs.makedirs(str(PurePosixPath(path).parent), exist_ok=True)  # a local or hierarchical store needs the folder
    if local.is_dir():
        fs.put(str(local), path, recursive=True)
        shutil.rmtree(local)
    else:
        fs.put(str(local), path)
        local.unlink()
