"""Reading keyframes and writing frames: images on disk, in-memory arrays, videos and animations.

One home each: :mod:`~framer.io.images` (reading, formats), :mod:`~framer.io.tensors` (numpy <-> torch),
:mod:`~framer.io.writers` (PNG folders, MP4, GIF, WebP), :mod:`~framer.io.encode` (the one H.264 encoder, also used
by video mode), :mod:`~framer.io.atomic` (write to a temporary sibling, move into place).
"""

from framer.io.images import ImageFormat, probe_image, read_image
from framer.io.writers import check_output, write_frames

__all__ = ["ImageFormat", "check_output", "probe_image", "read_image", "write_frames"]
