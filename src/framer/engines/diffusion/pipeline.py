"""Framer's sampling pipeline: two keyframes (and optional point tracks) in, a clip of frames between them out.

Models live apart (``unet.py``, ``controlnet.py``, diffusers' VAE, transformers' CLIP); this module owns the
conditioning, the denoising loop and decoding. Frames are ``(B, 3, H, W)`` float RGB in [0, 1]; clips
``(B, F, 3, H, W)``; tracks ``(N, F, 2)`` xy pixels of the working size; latents ``(B, F, 4, H / 8, W / 8)``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from diffusers import AutoencoderKLTemporalDecoder, EulerDiscreteScheduler
from torch import nn

from framer.checks import check_shape
from framer.engines.diffusion import points as point_ops
from framer.engines.diffusion.controlnet import ControlNetSVD
from framer.engines.diffusion.heatmaps import DEFAULT_RADIUS, DEFAULT_SIGMA, RELEASE_SCALE, gaussian_heatmaps
from framer.engines.diffusion.preprocess import clip_preprocess
from framer.engines.diffusion.unet import FramerUNet, release_temporal_context
from framer.errors import InputError, ShapeError

__all__ = ["FramerOutput", "FramerPipeline", "SamplingOptions", "guidance_scales"]

MULTIPLE = 64
OFFLOAD_DECODE_CHUNK = 8  # frames per VAE decode with offload and no decode_chunk_size given


@dataclass(frozen=True)
class SamplingOptions:
    """Settings of one sampling run (defaults: the paper's).

    Attributes:
        num_frames: frames of the clip, keyframes included (14 in the release).
        num_inference_steps: Euler (EDM) steps.
        min_guidance, max_guidance: classifier-free guidance scale at the first and last frame, linear between.
        fps: frames per second the clip is conditioned on (SVD takes ``fps - 1``; 7 gives the release's 6).
        motion_bucket_id: SVD's motion amount, 1..255 (more: more motion).
        noise_aug_strength: noise added to the keyframes before encoding them (also a micro-condition).
        conditioning_scale: weight of the ControlNet's residuals (the release's autopilot used 0.5).
        decode_chunk_size: frames the VAE decodes at a time; None: the whole clip at once as the release (its
            temporal decoder sees every frame), or ``OFFLOAD_DECODE_CHUNK`` with offload. Chunks use less memory
            but change the pictures.
        release_compat: reproduce the release's temporal attention under guidance (diffusers 0.24 mixed the two
            halves of the batch; see ``unet.release_temporal_context``), for bit-for-bit comparisons.
        update_points: move the in-between points during denoising (autopilot; see ``points.py``).
        update_radius, update_tolerance: search radius (image px) and forward-backward agreement (px).
        heatmap_sigma, heatmap_radius: Gaussian blob size (px at the working size).
    """

    num_frames: int = 14
    num_inference_steps: int = 30
    min_guidance: float = 1.0
    max_guidance: float = 3.0
    fps: int = 7
    motion_bucket_id: int = 100
    noise_aug_strength: float = 0.02
    conditioning_scale: float = 1.0
    decode_chunk_size: int | None = None
    update_points: bool = False
    update_radius: int = 5
    update_tolerance: float = 2.0
    heatmap_sigma: float = DEFAULT_SIGMA
    heatmap_radius: float = DEFAULT_RADIUS
    release_compat: bool = False

    def __post_init__(self) -> None:
        for name, low in (("num_frames", 3), ("num_inference_steps", 1), ("decode_chunk_size", 1), ("fps", 2)):
            value = getattr(self, name)
            if name == "decode_chunk_size" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"`{name}` must be an integer >= {low} but is {value!r}.")
        if isinstance(self.motion_bucket_id, bool) or not 1 <= int(self.motion_bucket_id) <= 255:
            raise InputError(f"`motion_bucket_id` must be an integer in 1..255 but is {self.motion_bucket_id!r}.")
        if not 1.0 <= self.min_guidance <= self.max_guidance:
            raise InputError(
                f"Guidance must satisfy 1 <= min_guidance <= max_guidance but is {self.min_guidance!r} to "
                f"{self.max_guidance!r}."
            )
        if self.noise_aug_strength < 0 or self.conditioning_scale < 0:
            raise InputError(
                f"`noise_aug_strength` and `conditioning_scale` must be >= 0 but are {self.noise_aug_strength!r} and "
                f"{self.conditioning_scale!r}."
            )


@dataclass
class FramerOutput:
    """``frames (B, F, 3, H, W)`` float in [0, 1]; ``tracks (N, F, 2)`` as last used (None without tracks)."""

    frames: torch.Tensor
    tracks: torch.Tensor | None = None


def guidance_scales(num_frames: int, low: float, high: float) -> torch.Tensor:
    """Per-frame CFG scale, linear from ``low`` (first frame) to ``high`` (last frame): ``(1, F, 1, 1, 1)``.

    A float32 ``linspace``, as the release computes it (float64 then rounded can differ by one ulp)."""
    return torch.linspace(low, high, num_frames, dtype=torch.float32).view(1, num_frames, 1, 1, 1)


@dataclass
class FramerPipeline:
    """The models of Framer and where they run.

    Attributes:
        unet, controlnet, vae, image_encoder: the models (the ControlNet is optional: without it, tracks are
            refused).
        image_mean, image_std, clip_size: CLIP preprocessing (from the feature extractor's config).
        scheduler: the EDM Euler scheduler (copied per run: schedulers keep state).
        device: where the models run; with ``offload`` they wait on the CPU and each moves there only while used.
    """

    unet: FramerUNet
    controlnet: ControlNetSVD | None
    vae: AutoencoderKLTemporalDecoder
    image_encoder: nn.Module
    scheduler: EulerDiscreteScheduler
    image_mean: tuple[float, float, float]
    image_std: tuple[float, float, float]
    clip_size: tuple[int, int]
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    offload: bool = False

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.conv_in.weight.dtype

    @contextlib.contextmanager
    def _on_device(self, *models: nn.Module | None) -> Iterator[None]:
        """Model CPU offload: move ``models`` to the execution device for the block, and back after it."""
        present = [m for m in models if m is not None]
        if self.offload:
            for model in present:
                model.to(self.device)
        try:
            yield
        finally:
            if self.offload:
                for model in present:
                    model.to("cpu")
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()

    # ------------------------------------------------------------------------------------------------------------
    # Steps

    def check_inputs(self, frame0: torch.Tensor, frame1: torch.Tensor, tracks: torch.Tensor | None, frames: int):
        check_shape(frame0, "B 3 H W", "frame0")
        check_shape(frame1, "B 3 H W", "frame1")
        if frame0.shape != frame1.shape:
            raise ShapeError(f"`frame0` and `frame1` must have one shape but have {tuple(frame0.shape)} and "
                             f"{tuple(frame1.shape)}.")  # fmt: skip
        height, width = frame0.shape[-2:]
        if height % MULTIPLE or width % MULTIPLE:
            raise ShapeError(f"`height` and `width` must be multiples of {MULTIPLE} but are {height} and {width}.")
        if tracks is not None:
            check_shape(tracks, f"N {frames} 2", "tracks")
            if self.controlnet is None:
                raise InputError("Tracks were given but the pipeline has no ControlNet to follow them.")

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """CLIP image embeddings of ``images (B, 3, H, W)`` in [0, 1]: ``(B, 1, D)``."""
        encoder_dtype = next(self.image_encoder.parameters()).dtype
        x = clip_preprocess(images, self.clip_size, self.image_mean, self.image_std).to(self.device, encoder_dtype)
        return self.image_encoder(pixel_values=x).image_embeds.unsqueeze(1)

    def encode_latents(self, images: torch.Tensor) -> torch.Tensor:
        """VAE latents (the distribution's mode, unscaled, as SVD) of ``images (B, 3, H, W)`` in [-1, 1]."""
        vae_dtype = self.vae.encoder.conv_in.weight.dtype
        return self.vae.encode(images.to(self.device, vae_dtype)).latent_dist.mode()

    def conditioning_latents(self, latent0: torch.Tensor, latent1: torch.Tensor, frames: int) -> torch.Tensor:
        """The 5 conditioning channels per frame: ``(B, F, 5, h, w)``.

        Channels 0-3: keyframe 0's latent at frame 0, keyframe 1's at the last frame, the learned mask token at
        every frame between; channel 4: the mask, 0 at the keyframes and 1 between.
        """
        batch, channels, height, width = latent0.shape
        token = self.unet.mask_token.to(latent0.device, latent0.dtype)  # (1, 1, C, 1, 1)
        middle = token.expand(batch, frames - 2, channels, height, width)
        latents = torch.cat((latent0[:, None], middle, latent1[:, None]), 1)
        mask = torch.ones(batch, frames, 1, height, width, device=latent0.device, dtype=latent0.dtype)
        mask[:, 0] = 0
        mask[:, -1] = 0
        return torch.cat((latents, mask), 2)

    def added_time_ids(self, options: SamplingOptions, batch: int) -> torch.Tensor:
        """SVD's micro-conditioning ``(B, 3)``: fps - 1, motion bucket, noise augmentation strength."""
        ids = [options.fps - 1, options.motion_bucket_id, options.noise_aug_strength]
        return torch.tensor([ids], dtype=self.dtype, device=self.device).repeat(batch, 1)

    def decode_latents(self, latents: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
        """``(B, F, 4, h, w)`` -> frames ``(B, F, 3, H, W)`` in [0, 1], ``chunk`` frames at a time (None: all)."""
        batch, frames = latents.shape[:2]
        chunk = chunk or frames
        vae_dtype = self.vae.decoder.conv_in.weight.dtype
        flat = latents.flatten(0, 1) / self.vae.config.scaling_factor  # [B * F, 4, h, w]
        pieces = []
        for b in range(batch):
            for start in range(0, frames, chunk):
                part = flat[b * frames + start : b * frames + min(start + chunk, frames)]
                pieces.append(self.vae.decode(part.to(self.device, vae_dtype), num_frames=len(part)).sample.float())
        images = torch.cat(pieces).reshape(batch, frames, *pieces[0].shape[1:])
        return (images / 2 + 0.5).clamp(0, 1)

    def heatmaps(self, tracks: torch.Tensor, height: int, width: int, options: SamplingOptions) -> torch.Tensor:
        """ControlNet input from ``tracks (N, F, 2)``: ``(1, F, 3, H, W)`` on the device, at the release's scale."""
        maps = gaussian_heatmaps(tracks.float(), height, width, options.heatmap_sigma, options.heatmap_radius)
        return (maps * RELEASE_SCALE).to(self.device, self.dtype)[None]

    # ------------------------------------------------------------------------------------------------------------

    @torch.no_grad()
    def __call__(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        tracks: torch.Tensor | None = None,
        options: SamplingOptions | None = None,
        generator: torch.Generator | None = None,
        callback: Callable[[int, dict[str, torch.Tensor]], None] | None = None,
    ) -> FramerOutput:
        """Generate the clip from ``frame0`` to ``frame1`` (``(B, 3, H, W)`` in [0, 1], H and W multiples of 64).

        ``tracks (N, F, 2)`` steer the motion through the ControlNet (the same tracks for every clip of the
        batch); ``generator`` (a CPU generator) makes the run reproducible bit for bit. ``callback(step, tensors)``,
        for inspection, sees each step's UNet input ``(B', F, 9, h, w)``, heatmaps, guided prediction and the
        latents after the step.
        """
        # 1. Check inputs
        options = options or SamplingOptions()
        frames = options.num_frames
        self.check_inputs(frame0, frame1, tracks, frames)
        batch, _, height, width = frame0.shape
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        cfg = options.max_guidance > 1.0

        # 2. CLIP embeddings of both keyframes, concatenated along the token axis: (B, 2, D)
        with self._on_device(self.image_encoder):
            embeddings = torch.cat((self.encode_image(frame0), self.encode_image(frame1)), 1).to(self.dtype)

        # 3. Keyframe latents, from noise-augmented keyframes in [-1, 1]
        pair = torch.cat((frame0, frame1)).float() * 2 - 1
        pair = pair + options.noise_aug_strength * torch.randn(pair.shape, generator=generator)
        with self._on_device(self.vae):
            latent0, latent1 = self.encode_latents(pair).float().chunk(2)
        condition = self.conditioning_latents(latent0.to(self.dtype), latent1.to(self.dtype), frames)

        # 4. Classifier-free guidance: the unconditional half sees no keyframes (zero embeddings and latents)
        time_ids = self.added_time_ids(options, batch)
        if cfg:
            empty = condition.clone()
            empty[:, :, :-1] = torch.where(self.mask_position(frames, condition), empty[:, :, :-1], 0)
            condition = torch.cat((empty, condition))
            embeddings = torch.cat((torch.zeros_like(embeddings), embeddings))
            time_ids = torch.cat((time_ids, time_ids))
        scales = guidance_scales(frames, options.min_guidance, options.max_guidance).to(self.device)

        # 5. Timesteps and initial noise
        with warnings.catch_warnings():  # diffusers 0.42 builds numpy arrays from tensors the way numpy 2 deprecates
            warnings.simplefilter("ignore", DeprecationWarning)
            scheduler = EulerDiscreteScheduler.from_config(self.scheduler.config)
            scheduler.set_timesteps(options.num_inference_steps, device=self.device)
        shape = (batch, frames, self.unet.config.out_channels, height // 8, width // 8)
        latents = torch.randn(shape, generator=generator).to(self.device) * scheduler.init_noise_sigma

        # 6. Trajectory heatmaps
        control = None
        if tracks is not None:
            tracks = tracks.float().cpu()
            anchors, anchored = tracks.clone(), torch.zeros(tracks.shape[:2], dtype=torch.bool)
            control = self.heatmaps(tracks, height, width, options)
            control = control.expand(condition.shape[0], *control.shape[1:])

        # 7. Denoising loop (release_compat: the release's temporal attention, see unet.release_temporal_context)
        compat = release_temporal_context(self.unet, self.controlnet) if options.release_compat else None
        with self._on_device(self.unet, self.controlnet), compat or contextlib.nullcontext():
            for step, t in enumerate(scheduler.timesteps):
                model_input = torch.cat((latents, latents)) if cfg else latents
                model_input = scheduler.scale_model_input(model_input, t)
                model_input = torch.cat((model_input.to(self.dtype), condition), 2)  # (B', F, 9, h, w)
                residuals = {}
                if control is not None:
                    out = self.controlnet(model_input, t, embeddings, time_ids, control, options.conditioning_scale)
                    residuals = {
                        "down_block_additional_residuals": out.down_block_res_samples,
                        "mid_block_additional_residual": out.mid_block_res_sample,
                    }
                wants_features = control is not None and options.update_points
                prediction = self.unet(model_input, t, embeddings, time_ids, return_features=wants_features,
                                       **residuals)  # fmt: skip
                noise = prediction.sample.float()
                if cfg:
                    uncond, cond = noise.chunk(2)
                    noise = uncond + scales * (cond - uncond)
                latents = scheduler.step(noise, t, latents, generator=generator).prev_sample
                if callback is not None:
                    seen = {"model_input": model_input, "control": control, "noise": noise, "latents": latents}
                    callback(step, seen)

                # 8. Point updating: move the in-between points, refit, rebuild the heatmaps for the next step
                # point updating (release rule): see points.py. The features of both branches are mixed like the
                # noise (per-frame guidance scale); the first clip's steer the tracks.
                if wants_features and step < len(scheduler.timesteps) - 1:
                    features = prediction.features.float()  # (B', F, C, h, w)
                    if cfg:
                        unguided, guided = features.chunk(2)
                        features = unguided + scales * (guided - unguided)
                    features = features[0]
                    moved, accepted = point_ops.update_points(
                        features, tracks, options.update_radius, options.update_tolerance, (height, width)
                    )
                    anchors = torch.where(accepted[..., None], moved.cpu(), anchors)
                    anchored = anchored | accepted.cpu()
                    tracks = point_ops.refit_tracks(anchors, anchored)
                    control = self.heatmaps(tracks, height, width, options)
                    control = control.expand(model_input.shape[0], *control.shape[1:])

        # 9. Decode: the whole clip at once unless asked (or offloading) to save memory
        chunk = options.decode_chunk_size or (OFFLOAD_DECODE_CHUNK if self.offload else None)
        with self._on_device(self.vae):
            clip = self.decode_latents(latents.to(self.dtype), chunk)
        return FramerOutput(clip, tracks)

    @staticmethod
    def mask_position(frames: int, condition: torch.Tensor) -> torch.Tensor:
        """True at the in-between frames (where the mask token sits), broadcastable over ``(B, F, C, h, w)``."""
        keep = torch.ones(1, frames, 1, 1, 1, dtype=torch.bool, device=condition.device)
        keep[:, 0] = keep[:, -1] = False
        return keep
