"""CLIP preprocessing: ours equals the released Framer pipeline's ``_encode_image`` (diffusers 0.24 SVD code).

Golden numbers (``golden/clip_release.npz``) came from calling the release's own
``StableVideoDiffusionInterpControlPipeline._encode_image`` (aim-uofa/Framer @ d0ba81f) unchanged on PIL images, in a
throwaway environment outside the repo (diffusers 0.24.0, transformers 4.27.0 ``CLIPImageProcessor`` with SVD's
feature-extractor settings = CLIP's defaults, torch 2.13 CPU); a stub image encoder recorded the pixel values it
was given. The images are the integer patterns of :func:`_pattern` (stripes, a checkerboard, an XOR texture: hard
edges that show any difference in the blur) at 512x320, 320x512, 1024x576 and 100x60. Stored per image: 3,000
pixel values at fixed random positions of the ``(3, 224, 224)`` result and its per-channel float64 sums. Only
numbers, no code of the release.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from framer.engines.diffusion.pipeline import FramerPipeline
from framer.engines.diffusion.preprocess import clip_preprocess, release_resize

GOLDEN = np.load(Path(__file__).parent / "golden" / "clip_release.npz")
MEAN = (0.48145466, 0.4578275, 0.40821073)  # SVD's feature extractor (CLIP's)
STD = (0.26862954, 0.26130258, 0.27577711)
SIZES = {"512x320": (512, 320), "320x512": (320, 512), "1024x576": (1024, 576), "100x60": (100, 60)}


def _pattern(width: int, height: int, seed: int) -> torch.Tensor:
    """``(1, 3, H, W)`` float in [0, 1] (uint8 / 255, as the release's ``pil_to_numpy``) from integer arithmetic."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    red = (x * 7 + y * 3 + seed * 31) % 256
    green = np.where(((x // (5 + seed)) + (y // 9)) % 2 == 0, 230, 20)
    blue = ((x ^ y) * (seed + 1)) % 256
    image = np.stack([red, green, blue]).astype(np.uint8)
    return torch.from_numpy(image.astype(np.float32) / 255.0)[None]


@pytest.mark.parametrize("name", sorted(SIZES))
def test_clip_preprocessing_equals_the_release(name):
    image = _pattern(*SIZES[name], int(GOLDEN[f"{name}_seed"]))
    ours = clip_preprocess(image, (224, 224), MEAN, STD)
    assert ours.shape == (1, 3, 224, 224) and ours.dtype == torch.float32
    sampled = ours.reshape(-1)[torch.from_numpy(GOLDEN[f"{name}_index"]).long()]
    assert (sampled - torch.from_numpy(GOLDEN[f"{name}_values"])).abs().max() <= 1e-6  # measured: 0 (bit-exact)
    sums = ours[0].double().sum((1, 2)).numpy()
    np.testing.assert_allclose(sums, GOLDEN[f"{name}_channel_sums"], rtol=0, atol=1e-3)  # all 150,528 values


def test_antialiased_bicubic_is_not_the_release():
    """The old preprocessing (PyTorch's antialiased bicubic, clamped) differs from the release by far more."""
    image = _pattern(512, 320, 0)
    old = torch.nn.functional.interpolate(image, (224, 224), mode="bicubic", antialias=True, align_corners=False)
    release = (release_resize(image * 2 - 1, (224, 224)) + 1) / 2
    assert (old.clamp(0, 1) - release).abs().max() > 0.05


def test_encode_image_uses_the_release_preprocessing():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(1))
            self.seen = []

        def forward(self, pixel_values):
            self.seen.append(pixel_values)
            return SimpleNamespace(image_embeds=torch.zeros(len(pixel_values), 4))

    encoder = Encoder()
    stub = SimpleNamespace(image_encoder=encoder, clip_size=(224, 224), image_mean=MEAN, image_std=STD,
                           device=torch.device("cpu"))  # fmt: skip
    image = _pattern(512, 320, 0)
    assert FramerPipeline.encode_image(stub, image).shape == (1, 1, 4)
    assert torch.equal(encoder.seen[0], clip_preprocess(image, (224, 224), MEAN, STD))
