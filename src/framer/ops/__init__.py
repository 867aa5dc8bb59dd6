"""Pure, batched tensor operations shared by the engines.

Conventions: frames are ``(B, C, H, W)`` float in [0, 1]; flow is ``(B, 2, H, W)`` in pixels, channel 0 is x
(right), channel 1 is y (down), and maps each target pixel to the source position it is sampled from.
"""

from framer.ops.pad import pad_to_multiple, unpad
from framer.ops.warp import backward_warp

__all__ = ["backward_warp", "pad_to_multiple", "unpad"]
