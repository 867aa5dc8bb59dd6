"""The diffusion engine: Framer (SVD-XT, end-frame conditioning, trajectory ControlNet) behind the Engine interface.

Times: Framer generates a whole clip at once, ``F`` frames at the evenly spaced times ``k / (F - 1)``, keyframes at
both ends. With ``clip_frames=None`` (the default) the engine picks the clip length nearest to the release's 14
(between 3 and 25 frames) that puts every requested time on a generated frame, e.g. 14 for ``-n 12``, 13 for
``-n 3``, 17 for ``-n 7``. When no length does (arbitrary times), or ``clip_frames`` is fixed, a requested time
between two generated frames gets their blend, weighted by the distance in time.

Sizes: the keyframes are resized to the working size (multiples of 64; by default the one nearest in shape to the
keyframes with the area of 512x320), and the frames back to the keyframes' size. Channels after RGB (alpha) are
cross-faded between the keyframes.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from framer.checks import check_frame_pair, check_times
from framer.device import resolve_device
from framer.engines import register_engine
from framer.engines.base import Capabilities, Engine
from framer.engines.diffusion.loading import load_pipeline
from framer.engines.diffusion.pipeline import MULTIPLE, FramerPipeline, SamplingOptions
from framer.errors import InputError, ShapeError
from framer.trajectory.model import Trajectory

__all__ = ["DiffusionEngine", "clip_length", "working_size"]

logger = logging.getLogger(__name__)

RELEASE_FRAMES = 14
RELEASE_AREA = 512 * 320
_MAX_FRAMES = 25
_EXACT = 1e-6


def clip_length(times: Sequence[float], preferred: int = RELEASE_FRAMES) -> tuple[int, bool]:
    """Clip length for ``times`` and whether every time falls on one of its frames (see the module docstring)."""
    fits = [f for f in range(3, _MAX_FRAMES + 1) if all(abs(t * (f - 1) - round(t * (f - 1))) < _EXACT for t in times)]
    if not fits:
        return preferred, False
    return min(fits, key=lambda f: (abs(f - preferred), f)), True


def working_size(width: int, height: int, area: int = RELEASE_AREA) -> tuple[int, int]:
    """``(W, H)`` multiples of 64 with about ``area`` pixels and the aspect ratio of ``width x height``."""
    scale = math.sqrt(area / (width * height))
    return max(MULTIPLE, round(width * scale / MULTIPLE) * MULTIPLE), max(
        MULTIPLE, round(height * scale / MULTIPLE) * MULTIPLE
    )


def _resize(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if x.shape[-2:] == (height, width):
        return x
    return F.interpolate(x, size=(height, width), mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)


@register_engine("diffusion")
class DiffusionEngine(Engine):
    """Framer from local folders (see ``docs/diffusion.md``); the models load once.

    Args:
        model_dir: the Framer folder (``unet/``, ``controlnet/``); None: ``$FRAMER_DIFFUSION_DIR``.
        svd_dir: the SVD-XT folder (``vae/``, ``image_encoder/``, ``feature_extractor/``, ``scheduler/``); None:
            ``$FRAMER_SVD_DIR``.
        device: ``cpu``, ``cuda``, ``mps`` or ``auto``.
        dtype: ``fp16``, ``bf16`` or ``fp32``; None: fp16 on CUDA, fp32 elsewhere.
        offload: model CPU offload (each model on the GPU only while it runs).
        attention: ``sdpa`` or ``math``.
        size: working ``(width, height)``, multiples of 64; None: see the module docstring.
        clip_frames: frames per generated clip, keyframes included; None: chosen from the requested times.
        seed: the run's random seed; the same seed gives the same frames bit for bit (on one machine).
        autopilot_points: how many of the autopilot's matches it steers with (its declared ``track_limit``; the
            autopilot itself runs above the engine, in :mod:`framer.guidance`).
        update_points: update points during denoising; None: only for tracks that are estimates (the autopilot's,
            passed with ``refine_tracks=True``).
        threads: CPU threads for PyTorch (process-wide).
        **sampling: any :class:`~framer.engines.diffusion.pipeline.SamplingOptions` field except ``num_frames``
            and ``update_points`` (``num_inference_steps``, ``motion_bucket_id``, ``conditioning_scale``,
            ``min_guidance``, ``max_guidance``, ``fps``, ``noise_aug_strength``, ``decode_chunk_size``, ...).
    """

    name = "diffusion"

    def __init__(
        self,
        model_dir: str | os.PathLike | None = None,
        svd_dir: str | os.PathLike | None = None,
        device: str | torch.device | None = "auto",
        dtype: str | None = None,
        offload: bool = False,
        attention: str = "sdpa",
        size: tuple[int, int] | None = None,
        clip_frames: int | None = None,
        seed: int = 0,
        autopilot_points: int = 5,
        update_points: bool | None = None,
        threads: int | None = None,
        **sampling,
    ) -> None:
        unknown = sorted(set(sampling) - (set(SamplingOptions.__dataclass_fields__) - {"num_frames", "update_points"}))
        if unknown and unknown[0] in ("model", "weights"):
            raise InputError(f"The diffusion engine takes no `{unknown[0]}`; give its folders with model_dir and "
                             "svd_dir (--model-dir, --svd-dir).")  # fmt: skip
        if unknown:
            raise InputError(f"Unknown option {unknown[0]!r} for the diffusion engine; see docs/diffusion.md.")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InputError(f"`seed` must be an integer but is {seed!r}.")
        if size is not None and (len(size) != 2 or any(int(v) % MULTIPLE or int(v) < MULTIPLE for v in size)):
            raise InputError(f"`size` must be (width, height), multiples of {MULTIPLE}, but is {size!r}.")
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InputError(f"`threads` must be an integer >= 1 but is {threads!r}.")
            torch.set_num_threads(threads)
        self.options = SamplingOptions(**{"num_frames": clip_frames or RELEASE_FRAMES, **sampling})
        self.device = resolve_device(device)
        self.size = None if size is None else (int(size[0]), int(size[1]))
        self.clip_frames = clip_frames
        self.seed = seed
        if isinstance(autopilot_points, bool) or not isinstance(autopilot_points, int) or autopilot_points < 1:
            raise InputError(f"`autopilot_points` must be an integer >= 1 but is {autopilot_points!r}.")
        self.capabilities = Capabilities(tracks=True, refines_tracks=True, track_limit=autopilot_points)
        self.update = update_points
        self.pipeline: FramerPipeline = load_pipeline(model_dir, svd_dir, self.device, dtype, offload, attention)
        self.last_tracks: torch.Tensor | None = None

    def identity(self) -> dict:
        """Engine, device, seed, working size and sampling options (each changes the frames)."""
        options = {key: value for key, value in vars(self.options).items() if key != "num_frames"}
        return {
            "engine": self.name, "device": str(self.device), "seed": self.seed, "size": self.size,
            "clip_frames": self.clip_frames, "update_points": self.update, "options": options,
        }  # fmt: skip

    def _clip_tracks(self, tracks: np.ndarray, knots: list[float], frames: int, scale: np.ndarray) -> torch.Tensor:
        """Tracks ``(N, K, 2)`` sampled at ``knots`` -> ``(N, frames, 2)`` at the clip's times, working-size pixels."""
        tracks = np.asarray(tracks, dtype=np.float64)
        order = np.argsort(knots, kind="stable")
        knot_times, keep = np.unique(np.asarray(knots)[order], return_index=True)
        clip_times = np.linspace(0.0, 1.0, frames)
        rows = []
        for track in tracks:
            points = (track[order][keep] + 0.5) * scale - 0.5  # pixel centres onto pixel centres
            rows.append(Trajectory(points, knot_times, interpolation="monotone").sample(clip_times))
        return torch.from_numpy(np.stack(rows)).float()

    def generate(
        self, frame0: torch.Tensor, frame1: torch.Tensor, num_frames: int, tracks: np.ndarray | None = None,
        knots: list[float] | None = None, refine_tracks: bool = False,
    ) -> torch.Tensor:  # fmt: skip
        """The whole clip ``(B, F, C, H, W)`` in [0, 1] at the keyframes' size (keyframes at both ends).

        ``tracks (N, K, 2)`` are xy pixels of the keyframes at times ``knots`` (K values from 0 to 1; None: evenly
        spaced); ``refine_tracks``: they are estimates, updated during denoising unless ``update_points`` says
        otherwise.
        """
        height, width = frame0.shape[-2:]
        work_w, work_h = self.size or working_size(width, height)
        x0 = _resize(frame0[:, :3].float(), work_h, work_w).to(self.device)
        x1 = _resize(frame1[:, :3].float(), work_h, work_w).to(self.device)
        scale = np.array([work_w / width, work_h / height])
        update = self.update if self.update is not None else (tracks is not None and refine_tracks)
        if tracks is not None and knots is None:
            knots = np.linspace(0.0, 1.0, np.shape(tracks)[1]).tolist()
        clip_tracks = None if tracks is None else self._clip_tracks(tracks, knots, num_frames, scale)
        options = SamplingOptions(**{**vars(self.options), "num_frames": num_frames, "update_points": bool(update)})
        generator = torch.Generator().manual_seed(self.seed)
        out = self.pipeline(x0, x1, clip_tracks, options, generator)
        # the tracks as last used (after point updating), in keyframe pixels
        self.last_tracks = None if out.tracks is None else (out.tracks + 0.5) / torch.from_numpy(scale).float() - 0.5
        batch, frames = out.frames.shape[:2]
        clip = _resize(out.frames.flatten(0, 1).float(), height, width).reshape(batch, frames, 3, height, width)
        if frame0.shape[1] > 3:  # extra channels (alpha): cross-faded between the keyframes
            weights = torch.linspace(0, 1, frames, device=clip.device).view(1, frames, 1, 1, 1)
            extra0, extra1 = frame0[:, None, 3:].to(clip), frame1[:, None, 3:].to(clip)
            clip = torch.cat((clip, extra0 + weights * (extra1 - extra0)), 2)
        return clip

    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: None = None,
        refine_tracks: bool = False,
    ) -> Iterator[torch.Tensor]:
        """Yield ``(B, C, H, W)`` frames in [0, 1] at each time (one generated clip; see the module docstring).

        Args:
            tracks: optional drag trajectories ``(N, len(times) + 2, 2)``, xy pixels of the keyframes at times
                ``0, *times, 1``; resampled (monotone cubic in time) at the clip's frame times.
            alignment: not supported (``capabilities.alignment`` is False); must be None.
            refine_tracks: the tracks are estimates (the autopilot's matches): update them during denoising.
        """
        self.require(alignment=alignment is not None)
        check_frame_pair(frame0, frame1)
        times = check_times(times)
        if tracks is not None:
            tracks = np.asarray(tracks, dtype=np.float64)
            if tracks.ndim != 3 or tracks.shape[1:] != (len(times) + 2, 2):
                raise ShapeError(f"`tracks` must have shape (N, {len(times) + 2}, 2) but has shape {tracks.shape}.")
        if self.clip_frames is None:
            frames, exact = clip_length(times)
        else:
            frames, exact = self.clip_frames, False
        if not exact:
            logger.info("times %s fall between the %d generated frames; blending neighbours", times, frames)
        knots = [0.0, *times, 1.0]
        clip = self.generate(frame0, frame1, frames, tracks, knots, refine_tracks)
        for t in times:
            position = t * (frames - 1)
            low = min(math.floor(position + _EXACT), frames - 2)
            weight = position - low
            frame = clip[:, low] if weight < _EXACT else clip[:, low] * (1 - weight) + clip[:, low + 1] * weight
            yield frame.to(frame0.device, frame0.dtype)
