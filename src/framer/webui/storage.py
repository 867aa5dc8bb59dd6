"""Uploaded keyframe sets in a private temporary folder: checked, normalised to 8-bit, removed after use.

The client never names a file on this machine: uploads are written under names the server makes (``upload-0``,
``k0.png``...), sets and jobs are addressed by random hex ids matched against a fixed pattern, and the client's
file names only ever appear in messages.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from framer.errors import FramerError, ImageReadError, InputError, ResourceError

__all__ = ["ID_PATTERN", "KeyframeSet", "KeyframeStore", "NotFoundError", "TooLargeError", "private_root"]

logger = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")


class NotFoundError(FramerError, LookupError):
    """A keyframe set, job or file the client asked for does not exist (or has expired)."""


class TooLargeError(InputError):
    """An upload is larger than the server's limits allow (bytes or pixels)."""


def private_root(prefix: str = "framer-web-") -> Path:
    """A new temporary folder only this user can read (``mkdtemp`` creates it with mode 0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def new_id() -> str:
    """A random 128-bit id as 32 lowercase hex digits."""
    return secrets.token_hex(16)


def check_id(value: str, what: str) -> str:
    """``value`` if it is a well-formed id, else :class:`NotFoundError` (nothing else reaches a path)."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise NotFoundError(f"There is no {what} with id {str(value)[:40]!r}.")
    return value


def display_name(name: str | None, index: int) -> str:
    """A client file name made safe to show: printable characters only, at most 80; ``file N`` if none is left."""
    text = "".join(ch for ch in (name or "") if ch.isprintable()).strip()[:80]
    return text or f"file {index + 1}"


def to_uint8(image: np.ndarray, channels: int) -> np.ndarray:
    """An ``(H, W)``/``(H, W, 3)``/``(H, W, 4)`` uint8 or uint16 image as ``(H, W, channels)`` uint8 (3 or 4)."""
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 4 and channels == 3:
        image = image[:, :, :3]
    elif image.shape[2] == 3 and channels == 4:
        image = np.concatenate([image, np.full((*image.shape[:2], 1), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(image)


@dataclass
class KeyframeSet:
    """Keyframes uploaded together, stored as ``k0.png``, ``k1.png``... of one size.

    Attributes:
        id: 32 hex digits.
        folder: where its PNGs are (inside the store's private root).
        names: the client's file names, for display only.
        width, height: the size every keyframe was brought to (the first one's).
        notes: what was changed on the way in (keyframes scaled to the first one's size).
    """

    id: str
    folder: Path
    names: list[str]
    width: int
    height: int
    notes: list[str] = field(default_factory=list)
    last_used: float = field(default_factory=time.monotonic)

    @property
    def paths(self) -> list[Path]:
        return [self.folder / f"k{index}.png" for index in range(len(self.names))]

    def describe(self) -> dict:
        return {
            "id": self.id,
            "count": len(self.names),
            "names": self.names,
            "width": self.width,
            "height": self.height,
            "notes": self.notes,
            "previews": [f"/api/keyframes/{self.id}/{index}.png" for index in range(len(self.names))],
        }


class KeyframeStore:
    """The keyframe sets of one server, in ``root/sets``; the least recently used are removed past ``max_sets``."""

    def __init__(self, root: Path, max_side: int, max_keyframes: int, max_sets: int, idle_seconds: float) -> None:
        self.folder = root / "sets"
        self.folder.mkdir(mode=0o700)
        self.max_side = max_side
        self.max_keyframes = max_keyframes
        self.max_sets = max_sets
        self.idle_seconds = idle_seconds
        self._sets: dict[str, KeyframeSet] = {}
        self._lock = threading.Lock()

    def add(self, uploads: list[tuple[str | None, bytes]]) -> KeyframeSet:
        """Check and store keyframes given as ``(client file name, bytes)``, in order.

        Raises:
            InputError: fewer than two or more than ``max_keyframes`` files; a file is empty or not an image.
            TooLargeError: an image is larger than ``max_side`` pixels on a side.
        """
        if len(uploads) < 2:
            raise InputError(f"At least two keyframes are needed, but {len(uploads)} file(s) came.")
        if len(uploads) > self.max_keyframes:
            raise InputError(f"At most {self.max_keyframes} keyframes can be used at once, but {len(uploads)} came.")
        set_id = new_id()
        folder = self.folder / set_id
        folder.mkdir(mode=0o700)
        try:
            names = [display_name(name, index) for index, (name, _) in enumerate(uploads)]
            images = [self._decode(folder, i, f"'{names[i]}'", data) for i, (_, data) in enumerate(uploads)]
            keyframe_set = self._save(set_id, folder, names, images)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._sets[set_id] = keyframe_set
        self.sweep()
        return keyframe_set

    def _decode(self, folder: Path, index: int, label: str, data: bytes) -> np.ndarray:
        """Write one upload under a server-made name, check its header, decode it, remove the file."""
        from framer import read_image
        from framer.io.images import probe_image

        if not data:
            raise InputError(f"Keyframe {label} is empty (0 bytes).")
        path = folder / f"upload-{index}"
        path.write_bytes(data)
        try:
            width, height = probe_image(path)
            if max(width, height) > self.max_side:
                raise TooLargeError(
                    f"Keyframe {label} is {width}x{height} pixels; this server takes at most {self.max_side} pixels "
                    "on a side, so downscale it first."
                )
            return read_image(path)
        except TooLargeError:
            raise
        except ResourceError as ex:  # a decompression bomb, refused from its header
            raise TooLargeError(str(ex).replace(str(path), label)) from None
        except (ImageReadError, InputError) as ex:  # the message names our file: show the client's name instead
            raise InputError(str(ex).replace(str(path), label)) from None
        finally:
            path.unlink(missing_ok=True)

    def _save(self, set_id: str, folder: Path, names: list[str], images: list[np.ndarray]) -> KeyframeSet:
        """Bring the keyframes to 8 bits, one channel count and the first one's size; write them as PNGs."""
        from PIL import Image

        from framer import load_keyframes

        channels = 4 if any(image.ndim == 3 and image.shape[2] == 4 for image in images) else 3
        images = [to_uint8(image, channels) for image in images]
        height, width = images[0].shape[:2]
        notes = [
            f"Keyframe {index + 1} ({names[index]}, {image.shape[1]}x{image.shape[0]}) was scaled to the first "
            f"keyframe's size, {width}x{height}."
            for index, image in enumerate(images)
            if image.shape[:2] != (height, width)
        ]
        if notes:
            images = load_keyframes(images, resize=True)
        for index, image in enumerate(images):
            Image.fromarray(image).save(folder / f"k{index}.png", compress_level=1)
        return KeyframeSet(set_id, folder, names, width, height, notes)

    def get(self, set_id: str) -> KeyframeSet:
        """The set ``set_id`` (marked as used now).

        Raises:
            NotFoundError: no such set (never made, deleted or expired).
        """
        check_id(set_id, "keyframe set")
        with self._lock:
            keyframe_set = self._sets.get(set_id)
            if keyframe_set is None:
                raise NotFoundError(
                    "These keyframes are no longer on the server (removed after use or expired); load them again."
                )
            keyframe_set.last_used = time.monotonic()
            return keyframe_set

    def delete(self, set_id: str) -> bool:
        """Remove a set and its files; False if there was none."""
        check_id(set_id, "keyframe set")
        with self._lock:
            keyframe_set = self._sets.pop(set_id, None)
        if keyframe_set is None:
            return False
        shutil.rmtree(keyframe_set.folder, ignore_errors=True)
        return True

    def sweep(self) -> None:
        """Remove sets idle longer than ``idle_seconds``, then the least recently used beyond ``max_sets``."""
        now = time.monotonic()
        with self._lock:
            ordered = sorted(self._sets.values(), key=lambda s: s.last_used)
            stale = [s for s in ordered if now - s.last_used > self.idle_seconds]
            fresh = [s for s in ordered if s not in stale]
            stale += fresh[: max(0, len(fresh) - self.max_sets)]
            for keyframe_set in stale:
                del self._sets[keyframe_set.id]
        for keyframe_set in stale:
            logger.debug("removing keyframe set %s", keyframe_set.id)
            shutil.rmtree(keyframe_set.folder, ignore_errors=True)

    def __len__(self) -> int:
        return len(self._sets)
