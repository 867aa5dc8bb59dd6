"""Golden numbers of one denoising run of the release's own pipeline, for ``test_release_compat.py``.

Runs in a throwaway environment OUTSIDE the repository, never in framer's (how it was made, 2026-12, issue 18):

    python3 -m venv /tmp/release18/venv && . /tmp/release18/venv/bin/activate
    pip install torch==2.13.0 diffusers==0.24.0 transformers==4.27.0 "huggingface_hub<0.26" accelerate==0.27.2 \
        einops safetensors "numpy<2" pillow scipy opencv-python-headless
    git -C <mirror of aim-uofa/Framer> archive d0ba81f models_diffusers pipelines | tar -x -C /tmp/release18/code

The release's code runs as it is (no stubs needed on CPU: xformers is only imported by its app.py). framer's tiny
models are saved first with framer's own environment (``build_release_dirs`` in ``test_release_compat.py``), then:

    /tmp/release18/venv/bin/python make_release_step.py /tmp/release18/tiny release_step.npz /tmp/release18/code

It stores the inputs, the step-0 tensors the release built (conditioning, embeddings, heatmaps, time ids), and the
guided noise prediction and latents of each of 3 steps, at ControlNet scales 1.0 and 0.5, plus a digest of the
weights so a test can tell when the tiny models it rebuilds are no longer these.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else "/tmp/release18/code")
from diffusers import AutoencoderKLTemporalDecoder, EulerDiscreteScheduler
from models_diffusers.controlnet_svd import ControlNetSVDModel
from models_diffusers.unet_spatio_temporal_condition import UNetSpatioTemporalConditionModel
from pipelines.pipeline_stable_video_diffusion_interp_control import (
    StableVideoDiffusionInterpControlPipeline,
)
from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

root, out = sys.argv[1], sys.argv[2]


def weights_digest(folder: str) -> str:
    """SHA-256 over every tensor of every safetensors file below ``folder`` (names and bytes, in sorted order)."""
    from safetensors.numpy import load_file

    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.safetensors"), key=lambda p: p.relative_to(folder).as_posix()):
        state = load_file(str(path))
        for key in sorted(state):
            digest.update(f"{path.relative_to(folder).as_posix()}:{key}".encode())
            digest.update(np.ascontiguousarray(state[key]).tobytes())
    return digest.hexdigest()


torch.set_num_threads(1)
HEIGHT, WIDTH, FRAMES, STEPS = 64, 128, 5, 3

# inputs: two smooth keyframes (a seeded texture, the second shifted), three tracks (F, P, 2) in pixels
rng = np.random.default_rng(18)
texture = rng.uniform(0, 255, (12, 20, 3)).astype(np.uint8)
big = np.asarray(Image.fromarray(texture).resize((160, 96), Image.BILINEAR))
key0, key1 = big[10 : 10 + HEIGHT, 8 : 8 + WIDTH], big[16 : 16 + HEIGHT, 20 : 20 + WIDTH]
starts = np.array([[30.4, 20.7], [70.0, 40.2], [100.9, 30.5]])
ends = starts + np.array([[-12.0, -6.0], [-12.5, -5.5], [-11.2, -6.3]])
weights = np.linspace(0, 1, FRAMES)[:, None, None]
tracks = (starts[None] * (1 - weights) + ends[None] * weights).astype(np.float32)  # (F, P, 2)

unet = UNetSpatioTemporalConditionModel.from_pretrained(
    f"{root}/framer/unet", low_cpu_mem_usage=True, custom_resume=True
)
controlnet = ControlNetSVDModel.from_pretrained(  # up_block_types: a config key the release checks, never builds
    f"{root}/framer/controlnet", up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal")
)
vae = AutoencoderKLTemporalDecoder.from_pretrained(f"{root}/svd/vae")
image_encoder = CLIPVisionModelWithProjection.from_pretrained(f"{root}/svd/image_encoder")
feature_extractor = CLIPImageProcessor.from_pretrained(f"{root}/svd/feature_extractor")
scheduler = EulerDiscreteScheduler.from_pretrained(f"{root}/svd/scheduler")
pipe = StableVideoDiffusionInterpControlPipeline(vae, image_encoder, unet, scheduler, feature_extractor, controlnet)
pipe.set_progress_bar_config(disable=True)

seen = {}
prepare_latents = pipe.prepare_latents


def recording_prepare_latents(*args, **kwargs):
    latents = prepare_latents(*args, **kwargs)
    seen["initial_latents"] = latents.float().numpy().copy()
    return latents


pipe.prepare_latents = recording_prepare_latents
NAMES = [
    "latent_model_input",
    "image_embeddings",
    "image_latents",
    "controlnet_image",
    "added_time_ids",
    "noise_pred",
    "latents",
    "t",
]


def record(pipeline, i, t, kwargs):
    for name in NAMES:
        seen[f"step{i}_{name}"] = torch.as_tensor(kwargs[name]).detach().float().numpy().copy()
    return {}


results = {}
for label, scale in (("scale10", 1.0), ("scale05", 0.5)):
    seen.clear()
    final = pipe(
        Image.fromarray(key0),
        Image.fromarray(key1),
        with_control=True,
        point_tracks=torch.from_numpy(tracks),
        controlnet_cond_scale=scale,
        height=HEIGHT,
        width=WIDTH,
        num_frames=FRAMES,
        num_inference_steps=STEPS,
        min_guidance_scale=1.0,
        max_guidance_scale=3.0,
        fps=7,
        motion_bucket_id=100,
        noise_aug_strength=0.02,
        generator=torch.Generator().manual_seed(0),
        output_type="latent",
        callback_on_step_end=record,
        callback_on_step_end_tensor_inputs=NAMES,
    ).frames
    keep = [f"step{k}_{name}" for k in range(STEPS) for name in ("noise_pred", "latents")]
    if label == "scale10":  # the inputs, the same at both scales
        keep += ["initial_latents"] + [f"step0_{name}" for name in NAMES]
    results.update({f"{label}_{key}": seen[key] for key in keep})
    assert np.array_equal(final.float().numpy(), results[f"{label}_step{STEPS - 1}_latents"])

results["key0"], results["key1"], results["tracks"] = key0, key1, tracks
results["weights_sha256"] = np.array(weights_digest(root))
for key in [k for k in results if "controlnet_image" in k]:
    results[key] = results[key][:1].astype(np.uint8)  # (1, F, 3, H, W): both halves see the same heatmaps
np.savez_compressed(out, **results)
for key, value in sorted(results.items()):
    print(key, value.shape, value.dtype)
