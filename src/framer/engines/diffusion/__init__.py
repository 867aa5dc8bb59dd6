"""The diffusion engine: Framer (SVD-XT with end-frame conditioning and a trajectory ControlNet).

Needs the ``diffusion`` extra (``pip install "framer-vfi[diffusion]"``) and two local folders: Framer's checkpoint
(``unet/``, ``controlnet/``) and SVD-XT's (``vae/``, ``image_encoder/``, ``feature_extractor/``, ``scheduler/``);
see ``docs/diffusion.md``. ``framer.create_engine("diffusion", model_dir=..., svd_dir=...)`` builds it.
"""

from framer.engines.diffusion._deps import check_extra

check_extra()

from framer.engines.diffusion.controlnet import ControlNetSVD  # noqa: E402
from framer.engines.diffusion.engine import DiffusionEngine, clip_length, working_size  # noqa: E402
from framer.engines.diffusion.heatmaps import gaussian_heatmaps  # noqa: E402
from framer.engines.diffusion.loading import load_pipeline  # noqa: E402
from framer.engines.diffusion.pipeline import FramerOutput, FramerPipeline, SamplingOptions  # noqa: E402
from framer.engines.diffusion.unet import FramerUNet  # noqa: E402

__all__ = [
    "ControlNetSVD",
    "DiffusionEngine",
    "FramerOutput",
    "FramerPipeline",
    "FramerUNet",
    "SamplingOptions",
    "clip_length",
    "gaussian_heatmaps",
    "load_pipeline",
    "working_size",
]
