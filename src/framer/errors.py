"""Exceptions raised by framer.

Every error a user can cause subclasses both :class:`FramerError` and the built-in that fits, so callers may catch
either. Messages are one sentence naming the argument, the rule and the offending value.
"""

from __future__ import annotations

__all__ = [
    "FramerError",
    "ImageReadError",
    "InputError",
    "MissingExtraError",
    "OutputExistsError",
    "ResourceError",
    "ShapeError",
    "UnknownNameError",
    "VideoOpenError",
    "VideoWriteError",
    "WeightsError",
]


class FramerError(Exception):
    """Base class of all errors framer raises on purpose."""


class InputError(FramerError, ValueError):
    """An argument or an input value breaks a documented rule."""


class ShapeError(InputError):
    """A tensor or image has the wrong shape, or keyframes disagree in size."""


class UnknownNameError(InputError):
    """A model, engine or option name is not registered."""


class ImageReadError(FramerError, OSError):
    """An image file is missing, empty, truncated or not an image."""


class OutputExistsError(FramerError, FileExistsError):
    """The output exists and is not empty, and overwriting was not asked for."""


class WeightsError(FramerError, OSError):
    """Model weights could not be found, fetched or verified."""


class ResourceError(FramerError, MemoryError):
    """The job needs more memory than the machine has available."""


class MissingExtraError(FramerError, ImportError):
    """An optional dependency is not installed."""


class VideoOpenError(FramerError, OSError):
    """A video is missing, unreadable, corrupt, has no video stream or no frames."""


class VideoWriteError(FramerError, OSError):
    """A video could not be encoded or written."""
