"""Keyframe images: read from files, PIL images or arrays into one array convention.

Convention: an image is a numpy array ``(H, W)`` (grey) or ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA), dtype
``uint8`` or ``uint16``; float arrays in [0, 1] are accepted as input. Reading never modifies its source.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from framer.errors import ImageReadError, InputError, ResourceError

__all__ = ["ImageFormat", "ImageSource", "float_rgb", "is_still_image", "probe_image", "read_image"]

ImageSource = str | os.PathLike | Image.Image | np.ndarray

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, order=True)
class ImageFormat:
    """Channel count (1 grey, 3 RGB, 4 RGBA) and sample type of an image; ``max`` of two is wide enough for both."""

    channels: int
    bit_depth: int  # 8 or 16

    @classmethod
    def of(cls, image: np.ndarray) -> ImageFormat:
        channels = 1 if image.ndim == 2 else image.shape[2]
        return cls(channels=channels, bit_depth=16 if image.dtype == np.uint16 else 8)

    def widen(self, other: ImageFormat) -> ImageFormat:
        channels = 4 if 4 in (self.channels, other.channels) else max(self.channels, other.channels)
        return ImageFormat(channels=channels, bit_depth=max(self.bit_depth, other.bit_depth))

    @property
    def dtype(self) -> type:
        return np.uint16 if self.bit_depth == 16 else np.uint8


def _describe(source: ImageSource) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else type(source).__name__


def _file_kind(path: Path) -> str:
    """What a path that is not a regular file is, for messages ("a character device", "a named pipe (FIFO)")."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "it is not a regular file"
    kinds = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))  # fmt: skip
    return next((f"it is {kind}" for test, kind in kinds if test(mode)), "it is not a regular file")


def _check_header(path: Path) -> None:
    """Refuse a file whose header no image format recognises before reading all of it (a large non-image file)."""
    try:
        with path.open("rb") as handle, warnings.catch_warnings():
            if not handle.read(1):
                return  # empty: the read below says so
            handle.seek(0)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.open(handle).close()
    except UnidentifiedImageError:
        raise ImageReadError(
            f"Image {path} is not an image file framer can read (PNG, JPEG, WebP, TIFF, BMP)."
        ) from None
    except (Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        pass  # an image, but too large, unreadable or corrupt: the full read below says which


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ImageReadError(f"Image {path} does not exist.")
    if path.is_dir():
        raise ImageReadError(f"Image {path} is a folder, not an image file.")
    if not path.is_file():
        # Never read a device or a pipe: /dev/zero has no end, and a FIFO blocks until someone writes to it.
        raise ImageReadError(f"Image {path} is not an image file ({_file_kind(path)}).")
    _check_header(path)
    try:
        data = path.read_bytes()
    except OSError as ex:
        raise ImageReadError(f"Image {path} cannot be read: {ex.strerror or ex}.") from ex
    if not data:
        raise ImageReadError(f"Image {path} is empty (0 bytes).")
    return data


def _open_pil(data: bytes, name: str) -> Image.Image:
    """Open an image (header only). Pillow's size warning is silenced: the API checks memory itself."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise ResourceError(
            f"Image {name} is too large to decode safely (more than {limit:,} pixels); downscale it first."
        ) from None
    except UnidentifiedImageError:
        raise ImageReadError(
            f"Image {name} is not an image file framer can read (PNG, JPEG, WebP, TIFF, BMP)."
        ) from None
    except (OSError, SyntaxError, ValueError) as ex:
        raise ImageReadError(f"Image {name} is corrupt and cannot be opened ({ex}).") from ex


def is_still_image(path: str | os.PathLike) -> bool:
    """True when ``path`` is a file holding one picture (a PNG, JPEG...; an animated GIF or WebP, a video or a
    folder is not). Reads the header only."""
    if not Path(path).is_file():
        return False
    try:
        with Image.open(path) as im:
            return getattr(im, "n_frames", 1) == 1
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def probe_image(source: ImageSource) -> tuple[int, int]:
    """Width and height of an image, reading only its header when it is a file."""
    if isinstance(source, np.ndarray):
        return int(source.shape[1]), int(source.shape[0])
    if isinstance(source, Image.Image):
        return _oriented_size(source)
    path = Path(source)
    data = _read_bytes(path)
    with _open_pil(data, str(path)) as im:
        return _oriented_size(im)


def _oriented_size(im: Image.Image) -> tuple[int, int]:
    """Width and height after the EXIF orientation that :func:`read_image` applies (quarter turns swap them).

    The base ``getexif`` reads only what the header gave; PNG's own override would decode the whole image.
    """
    width, height = im.size
    orientation = Image.Image.getexif(im).get(ExifTags.Base.Orientation, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _png_bit_depth(data: bytes) -> int | None:
    if data[:8] == _PNG_SIGNATURE and len(data) > 24:
        return data[24]
    return None


def _from_pil(im: Image.Image, name: str) -> np.ndarray:
    """Decode a PIL image into the array convention (applies EXIF orientation)."""
    try:
        im.load()
    except (OSError, SyntaxError, ValueError) as ex:
        raise ImageReadError(f"Image {name} is truncated or corrupt ({ex}).") from ex
    im = ImageOps.exif_transpose(im)
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return np.clip(np.asarray(im, dtype=np.int64), 0, 65535).astype(np.uint16)
    if mode == "1":
        im = im.convert("L")
    elif mode in ("P", "PA"):
        im = im.convert("RGBA" if "transparency" in im.info or mode == "PA" else "RGB")
    elif mode == "LA":
        im = im.convert("RGBA")
    elif mode not in ("L", "RGB", "RGBA"):
        im = im.convert("RGB")
    return np.array(im)


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise InputError(f"An image array must have shape (H, W), (H, W, 3) or (H, W, 4) but has {array.shape}.")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InputError(f"An image array must not be empty but has shape {array.shape}.")
    if array.dtype in (np.uint8, np.uint16):
        return array.copy()
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError("An image array holds NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise InputError(f"A float image array must hold values in [0, 1] but holds [{low:.3g}, {high:.3g}].")
        return np.round(array * 65535.0).astype(np.uint16)
    raise InputError(f"An image array must be uint8, uint16 or float in [0, 1] but has dtype {array.dtype}.")


def read_image(source: ImageSource) -> np.ndarray:
    """Read a keyframe into an ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` uint8/uint16 array (RGB order).

    Accepts a path (PNG 8/16-bit, JPEG, WebP, TIFF, BMP; grey, RGB, RGBA, palette), a PIL image or an array
    (uint8, uint16, or float in [0, 1], which is kept at 16-bit precision).
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        return _from_pil(source.copy(), "(PIL image)")
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"A keyframe must be a path, a PIL image or a numpy array, not {type(source).__name__}.")
    path = Path(source)
    data = _read_bytes(path)
    im = _open_pil(data, str(path))
    if _png_bit_depth(data) == 16 and im.mode not in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow reduces 16-bit colour PNGs to 8 bits; OpenCV keeps all 16. Pillow still validates the file first.
        _from_pil(im, str(path))
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if decoded is None:
            raise ImageReadError(f"Image {path} is truncated or corrupt.")
        code = cv2.COLOR_BGRA2RGBA if decoded.ndim == 3 and decoded.shape[2] == 4 else cv2.COLOR_BGR2RGB
        return decoded if decoded.ndim == 2 else cv2.cvtColor(decoded, code)
    return _from_pil(im, str(path))


def float_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` uint8, uint16 or float image -> ``(H, W, 3)`` float32 in [0, 1], C-contiguous (grey repeated,
    alpha dropped); an image already so is returned as it is, not copied."""
    image = np.asarray(image)
    if image.dtype == np.float32 and image.ndim == 3 and image.shape[2] == 3 and image.flags.c_contiguous:
        return image
    scale = 255.0 if image.dtype == np.uint8 else 65535.0 if image.dtype == np.uint16 else 1.0
    image = image.astype(np.float32) / scale
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else np.ascontiguousarray(image[..., :3])
