"""Training Framer's two stages as the paper describes them (the authors released no training code).

Stage 1 fine-tunes the UNet for end-frame conditioning: its input conv (9 channels), the mask token and the
temporal attention layers train, the rest stays frozen (paper: 100K iterations, learning rate 1e-5). Stage 2
freezes the UNet and trains the ControlNet, started from a copy of the UNet's encoder
(:meth:`ControlNetSVD.from_unet`), on trajectory heatmaps (paper: 10K iterations). In both, the keyframe
conditioning (CLIP embeddings and keyframe latents) is dropped with probability 0.1 so that classifier-free
guidance works.

The loss is SVD's EDM objective with v-prediction: ``sigma`` log-normal (``p_mean``, ``p_std``), the model sees
``x / sqrt(sigma^2 + 1)`` at time ``0.25 log sigma``, its denoised estimate is ``x / (sigma^2 + 1) - sigma /
sqrt(sigma^2 + 1) * F`` and the squared error to the clean latents is weighted by ``(sigma^2 + 1) / sigma^2``.

Clips are ``(B, F, 3, H, W)`` float in [0, 1] (H, W multiples of 64); tracks ``(N, F, 2)`` xy pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from framer.engines.diffusion.pipeline import FramerPipeline, SamplingOptions
from framer.errors import InputError

__all__ = ["TrainConfig", "select_trainable", "set_gradient_checkpointing", "train_step", "training_loss"]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training stage (defaults from the paper and SVD)."""

    stage: int = 1
    learning_rate: float = 1e-5
    p_mean: float = 0.7
    p_std: float = 1.6
    drop_probability: float = 0.1
    noise_aug_strength: float = 0.02
    fps: int = 7
    motion_bucket_id: int = 100

    def __post_init__(self) -> None:
        if self.stage not in (1, 2):
            raise InputError(f"`stage` must be 1 (UNet) or 2 (ControlNet) but is {self.stage!r}.")


def select_trainable(pipeline: FramerPipeline, stage: int) -> list[nn.Parameter]:
    """Set ``requires_grad`` for a stage and return the parameters that train (see the module docstring)."""
    for model in (pipeline.unet, pipeline.controlnet, pipeline.vae, pipeline.image_encoder):
        if model is not None:
            model.requires_grad_(False)
    if stage == 1:
        chosen = [
            parameter
            for name, parameter in pipeline.unet.named_parameters()
            if name == "mask_token" or name.startswith("conv_in.") or ".temporal_transformer_blocks." in name
        ]
    else:
        if pipeline.controlnet is None:
            raise InputError("Stage 2 trains the ControlNet, but the pipeline has none.")
        chosen = list(pipeline.controlnet.parameters())
    for parameter in chosen:
        parameter.requires_grad_(True)
    return chosen


Generators = torch.Generator | Sequence[torch.Generator]
Tracks = torch.Tensor | Sequence[torch.Tensor] | None


def _per_clip(generator: Generators, batch: int) -> list[torch.Generator]:
    """One generator per clip: a clip's random draws then do not depend on the batch it is in (so two processes
    with one clip each draw what one process with both clips draws)."""
    if isinstance(generator, torch.Generator):
        return [generator] * batch
    generators = list(generator)
    if len(generators) != batch:
        raise InputError(f"`generator` must be one generator or one per clip ({batch}) but holds {len(generators)}.")
    return generators


def _draw(kind: str, shape: tuple[int, ...], generators: list[torch.Generator]) -> torch.Tensor:
    """``(B, *shape)`` draws, clip ``b`` from ``generators[b]`` (``randn`` or ``rand``); on the CPU."""
    function = torch.randn if kind == "randn" else torch.rand
    return torch.stack([function(shape, generator=g) for g in generators])


def _control(pipeline: FramerPipeline, tracks: Tracks, batch: int, frames: int, height: int, width: int):
    """Heatmaps ``(B, F, 3, H, W)`` from one ``(N, F, 2)`` tensor for every clip or one per clip, drawn exactly as
    the engine draws them (:meth:`FramerPipeline.heatmaps`)."""
    if tracks is None:
        raise InputError("Stage 2 trains on trajectories: give `tracks`.")
    options = SamplingOptions(num_frames=frames)
    if isinstance(tracks, torch.Tensor):
        return pipeline.heatmaps(tracks, height, width, options).expand(batch, -1, -1, -1, -1)
    if len(tracks) != batch:
        raise InputError(f"`tracks` must hold one tensor per clip ({batch}) but holds {len(tracks)}.")
    return torch.cat([pipeline.heatmaps(t, height, width, options) for t in tracks])


def set_gradient_checkpointing(model: nn.Module, enable: bool = True) -> None:
    """Recompute the activations of ``model``'s blocks in the backward pass instead of keeping them (less memory)."""
    if enable:
        model.enable_gradient_checkpointing()
    else:
        model.disable_gradient_checkpointing()


def training_loss(
    pipeline: FramerPipeline,
    clip: torch.Tensor,
    tracks: Tracks,
    config: TrainConfig,
    generator: Generators,
    unet: nn.Module | None = None,
    controlnet: nn.Module | None = None,
) -> torch.Tensor:
    """The EDM loss on one batch of clips (a scalar, the mean over clips).

    Args:
        clip: ``(B, F, 3, H, W)`` in [0, 1].
        tracks: stage 2: ``(N, F, 2)`` for every clip, or a sequence of B such tensors (N may differ).
        generator: a CPU generator, or one per clip (each clip's draws then come from its own).
        unet, controlnet: the modules to call instead of the pipeline's (a distributed wrapper of the same model).
    """
    # 1. Targets and conditioning, without gradients (VAE and CLIP stay frozen)
    batch, frames, _, height, width = clip.shape
    device, dtype = pipeline.device, pipeline.dtype
    generators = _per_clip(generator, batch)
    with torch.no_grad():
        flat = clip.flatten(0, 1).to(device) * 2 - 1  # [B, F, 3, H, W] -> [B * F, 3, H, W]
        latents = pipeline.vae.encode(flat.to(pipeline.vae.encoder.conv_in.weight.dtype)).latent_dist.mode()
        latents = (latents.float() * pipeline.vae.config.scaling_factor).reshape(batch, frames, *latents.shape[1:])
        ends = torch.stack((clip[:, 0], clip[:, -1]), 1).float()  # (B, 2, 3, H, W)
        embeddings = pipeline.encode_image(ends.flatten(0, 1)).reshape(batch, 2, -1).to(dtype)  # (B, 2, D)
        augment = config.noise_aug_strength * _draw("randn", tuple(ends.shape[1:]), generators)
        noisy_ends = (ends * 2 - 1 + augment).flatten(0, 1)  # [B, 2, 3, H, W] -> [B * 2, 3, H, W]
        end_latents = pipeline.encode_latents(noisy_ends).to(dtype).reshape(batch, 2, -1, *latents.shape[-2:])
        latent0, latent1 = end_latents[:, 0], end_latents[:, 1]
    # 2. Drop the keyframe conditioning for some clips (classifier-free guidance)
    keep = (_draw("rand", (), generators) >= config.drop_probability).to(device, dtype)
    embeddings = embeddings * keep.view(batch, 1, 1)
    condition = pipeline.conditioning_latents(
        latent0 * keep.view(-1, 1, 1, 1), latent1 * keep.view(-1, 1, 1, 1), frames
    )
    # 3. Noise at a log-normal sigma, EDM preconditioning for v-prediction
    sigma = (_draw("randn", (), generators) * config.p_std + config.p_mean).exp().to(device)
    noise = _draw("randn", tuple(latents.shape[1:]), generators).to(device)
    s = sigma.view(batch, 1, 1, 1, 1)
    noisy = latents + s * noise
    model_input = torch.cat(((noisy / (s**2 + 1).sqrt()).to(dtype), condition), 2)
    timestep = 0.25 * sigma.log()
    options = SamplingOptions(fps=config.fps, motion_bucket_id=config.motion_bucket_id,
                              noise_aug_strength=config.noise_aug_strength)  # fmt: skip
    time_ids = pipeline.added_time_ids(options, batch)
    # 4. Prediction (with the ControlNet in stage 2)
    unet = unet if unet is not None else pipeline.unet
    residuals = {}
    if config.stage == 2:
        control = _control(pipeline, tracks, batch, frames, height, width)
        controlnet = controlnet if controlnet is not None else pipeline.controlnet
        out = controlnet(model_input, timestep, embeddings, time_ids, control)
        residuals = {
            "down_block_additional_residuals": out.down_block_res_samples,
            "mid_block_additional_residual": out.mid_block_res_sample,
        }
    prediction = unet(model_input, timestep, embeddings, time_ids, **residuals).sample.float()
    denoised = noisy / (s**2 + 1) - s / (s**2 + 1).sqrt() * prediction
    weight = (s**2 + 1) / s**2
    return (weight * (denoised - latents) ** 2).mean()


def train_step(
    pipeline: FramerPipeline,
    optimizer: torch.optim.Optimizer,
    clip: torch.Tensor,
    tracks: Tracks,
    config: TrainConfig,
    generator: Generators,
) -> float:
    """One optimiser step on a batch; returns the loss. Build the optimiser over :func:`select_trainable`."""
    model = pipeline.unet if config.stage == 1 else pipeline.controlnet
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = training_loss(pipeline, clip, tracks, config, generator)
    loss.backward()
    optimizer.step()
    model.eval()
    return float(loss.detach())
