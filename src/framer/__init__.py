"""framer: interactive frame interpolation. Keyframes in, the frames between them out.

>>> import framer
>>> frames = framer.interpolate(["a.png", "b.png"], num_frames=7)        # doctest: +SKIP
>>> engine = framer.create_engine("flow")                                # load once, reuse  # doctest: +SKIP
>>> framer.write_frames(frames, "out.mp4", fps=24)                       # doctest: +SKIP
>>> for gap, t, frame, confidence in framer.iter_interpolate(["a.png", "b.png"]):  # a stream  # doctest: +SKIP
...     pass

The layers and where each job lives: ``docs/architecture.md``.

Names are resolved lazily, so ``import framer`` does not import PyTorch until an engine is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framer._lazy import lazy_attributes
from framer._version import __version__

__all__ = [
    "Engine",
    "FramerError",
    "Trajectory",
    "__version__",
    "create_engine",
    "interpolate",
    "interpolate_video",
    "iter_interpolate",
    "list_engines",
    "list_models",
    "load_keyframes",
    "load_trajectories",
    "open_video",
    "overlay_frames",
    "read_image",
    "save_trajectories",
    "write_frames",
]

_LAZY = {
    "Engine": "framer.engines",
    "FramerError": "framer.errors",
    "Trajectory": "framer.trajectory",
    "create_engine": "framer.engines",
    "interpolate": "framer.api",
    "iter_interpolate": "framer.api",
    "interpolate_video": "framer.video",
    "open_video": "framer.video",
    "list_engines": "framer.engines",
    "list_models": "framer.registry",
    "load_keyframes": "framer.api",
    "load_trajectories": "framer.trajectory",
    "overlay_frames": "framer.trajectory",
    "save_trajectories": "framer.trajectory",
    "read_image": "framer.io.images",
    "write_frames": "framer.io.writers",
}

if TYPE_CHECKING:
    from framer.api import interpolate, iter_interpolate, load_keyframes
    from framer.engines import Engine, create_engine, list_engines
    from framer.errors import FramerError
    from framer.io.images import read_image
    from framer.io.writers import write_frames
    from framer.registry import list_models
    from framer.trajectory import Trajectory, load_trajectories, overlay_frames, save_trajectories
    from framer.video import interpolate_video, open_video


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
