"""Reading keyframes and writing frames: images on disk, in-memory arrays, videos and animations."""

from framer.io.images import ImageFormat, probe_image, read_image
from framer.io.writers import check_output, write_frames

__all__ = ["ImageFormat", "check_output", "probe_image", "read_image", "write_frames"]
