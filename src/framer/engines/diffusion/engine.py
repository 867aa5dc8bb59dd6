"""The diffusion engine: Framer (SVD-XT, end-frame conditioning, trajectory ControlNet) behind the Engine interface.

Times: Framer generates a whole clip at once, ``F`` frames at the evenly spaced times ``k / (F - 1)``, keyframes at
both ends. With ``clip_frames=None`` (the default) the engine picks the clip length nearest to the release's 14
(between 3 and 25 frames) that puts every requested time on a generated frame, e.g. 14 for ``-n 12``, 13 for
``-n 3``, 17 for ``-n 7``. When no length does (arbitrary times), or ``clip_frames`` is fixed, a requested time
between two generated frames gets their blend, weighted by the distance in time.

Sizes: the model was trained at 512x320 only, so every pair works at 512x320 by default, whatever its shape
(portrait too), resized with PIL's bilinear filter as the release did. ``fit`` chooses how the keyframes fill it:
``stretch`` (the release), ``pad`` (letterbox: scaled to fit, black bars) or ``crop`` (scaled to cover, centre cut;
the cut-off margins of the frames are cross-faded between the keyframes). The frames are fitted back to the
keyframes' size. Another ``size`` is used when asked, with a warning. Channels after RGB (alpha) are cross-faded
between the keyframes.

ControlNet scale: 1.0 for drawn tracks, 0.5 (the release's) for the autopilot's estimates (``refine_tracks``)
unless ``conditioning_scale`` is given.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from framer.checks import check_frame_pair, check_times
from framer.device import resolve_device
from framer.engines import register_engine
from framer.engines.base import Capabilities, Engine
from framer.engines.diffusion.loading import load_pipeline
from framer.engines.diffusion.pipeline import MULTIPLE, FramerPipeline, SamplingOptions
from framer.errors import InputError, ShapeError
from framer.trajectory.model import Trajectory

__all__ = ["FITS", "DiffusionEngine", "Placement", "clip_length", "place", "working_size"]

logger = logging.getLogger(__name__)

RELEASE_FRAMES = 14
RELEASE_SIZE = (512, 320)  # (W, H): the only size the released model was trained at
RELEASE_AREA = RELEASE_SIZE[0] * RELEASE_SIZE[1]
FITS = ("stretch", "pad", "crop")  # the words of framer tween --fit
AUTOPILOT_CONTROL_SCALE = 0.5  # the release's for its SIFT tracks; drawn tracks get 1.0
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


def _pil_bilinear(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(B, 3, h, w)`` in [0, 1] -> ``(B, 3, height, width)`` with PIL's bilinear filter (the release's resize).

    8-bit pictures go through PIL's 8-bit path, giving the release's pixels exactly; others (16-bit) are resized
    per channel in float (mode ``F``), which differs from that path by its rounding only (at most one 8-bit level).
    """
    if x.shape[-2:] == (height, width):
        return x
    planes = x.detach().float().cpu().numpy()
    levels = planes * 255
    if np.abs(levels - np.round(levels)).max() < 1e-3:
        rgb = np.round(levels).clip(0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
        out = np.stack([np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))
                        for image in rgb]).transpose(0, 3, 1, 2).astype(np.float32) / 255  # fmt: skip
    else:
        size, bilinear = (width, height), Image.Resampling.BILINEAR
        out = np.stack([np.stack([np.asarray(Image.fromarray(c).resize(size, bilinear)) for c in image])
                        for image in planes])  # fmt: skip
    return torch.from_numpy(np.ascontiguousarray(out)).to(x.device, x.dtype)


@dataclass(frozen=True)
class Placement:
    """Where the keyframes sit in the working frame: each keyframe pixel edge ``p`` lands at ``p * scale + offset``.

    ``canvas`` ``(W, H)`` is the keyframes' size at the working scale (the working size for ``stretch``);
    ``offset`` ``(x, y)`` is where the canvas's top-left corner sits in the working frame (positive: the bars of
    ``pad``; negative: the part ``crop`` cut off).
    """

    scale: tuple[float, float]
    offset: tuple[float, float]
    canvas: tuple[int, int]


def place(width: int, height: int, work: tuple[int, int], fit: str = "stretch") -> Placement:
    """How a ``width x height`` keyframe fills the working size ``work`` ``(W, H)`` (see the module docstring)."""
    work_w, work_h = work
    if fit == "stretch":
        return Placement((work_w / width, work_h / height), (0.0, 0.0), (work_w, work_h))
    factor = (min if fit == "pad" else max)(work_w / width, work_h / height)
    canvas_w, canvas_h = max(1, round(width * factor)), max(1, round(height * factor))
    sign = 1 if fit == "pad" else -1  # pad: bars (offset >= 0); crop: the cut (offset <= 0), centred alike
    offset = (sign * (sign * (work_w - canvas_w) // 2), sign * (sign * (work_h - canvas_h) // 2))
    return Placement((canvas_w / width, canvas_h / height), (float(offset[0]), float(offset[1])), (canvas_w, canvas_h))


def _to_work(x: torch.Tensor, where: Placement, work: tuple[int, int]) -> torch.Tensor:
    """Keyframes ``(B, 3, h, w)`` -> the working frame ``(B, 3, H, W)``: resized, then padded or cut."""
    canvas = _pil_bilinear(x, where.canvas[1], where.canvas[0])
    ox, oy = int(where.offset[0]), int(where.offset[1])
    if ox >= 0 and oy >= 0:  # stretch or pad
        return F.pad(canvas, (ox, work[0] - where.canvas[0] - ox, oy, work[1] - where.canvas[1] - oy))
    return canvas[..., -oy : -oy + work[1], -ox : -ox + work[0]]


def _from_work(clip: torch.Tensor, backdrop: torch.Tensor, where: Placement, height: int, width: int) -> torch.Tensor:
    """Generated frames ``(N, 3, H, W)`` -> ``(N, 3, height, width)``: bars cut off, or pasted over ``backdrop``
    (the frames at the canvas size that fill what a crop cut off), then resized to the keyframes' size."""
    ox, oy = int(where.offset[0]), int(where.offset[1])
    if ox >= 0 and oy >= 0:
        canvas = clip[..., oy : oy + where.canvas[1], ox : ox + where.canvas[0]]
    else:
        canvas = backdrop.clone()
        canvas[..., -oy : -oy + clip.shape[-2], -ox : -ox + clip.shape[-1]] = clip
    return _resize(canvas, height, width)


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
        size: working ``(width, height)``, multiples of 64; None: the release's 512x320 (another size logs a
            warning: the model never saw it).
        fit: how the keyframes fill the working size: ``stretch`` (the release), ``pad`` (letterbox) or ``crop``.
        clip_frames: frames per generated clip, keyframes included; None: chosen from the requested times.
        seed: the run's random seed; the same seed gives the same frames bit for bit (on one machine).
        autopilot_points: how many of the autopilot's matches it steers with (its declared ``track_limit``; the
            autopilot itself runs above the engine, in :mod:`framer.guidance`).
        update_points: update points during denoising; None: only for tracks that are estimates (the autopilot's,
            passed with ``refine_tracks=True``).
        threads: CPU threads for PyTorch (process-wide).
        **sampling: any :class:`~framer.engines.diffusion.pipeline.SamplingOptions` field except ``num_frames``
            and ``update_points`` (``num_inference_steps``, ``motion_bucket_id``, ``min_guidance``,
            ``max_guidance``, ``fps``, ``noise_aug_strength``, ``decode_chunk_size``, ``release_compat``, ...).
            ``conditioning_scale``: None (default) gives 1.0 for drawn tracks and 0.5 for the autopilot's.
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
        fit: str = "stretch",
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
        if fit not in FITS:
            raise InputError(f"`fit` must be one of {', '.join(FITS)} but is {fit!r}.")
        control_scale = sampling.pop("conditioning_scale", None)
        if control_scale is not None and (isinstance(control_scale, bool) or not float(control_scale) >= 0):
            raise InputError(f"`conditioning_scale` must be a number >= 0 but is {control_scale!r}.")
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InputError(f"`threads` must be an integer >= 1 but is {threads!r}.")
            torch.set_num_threads(threads)
        self.options = SamplingOptions(**{"num_frames": clip_frames or RELEASE_FRAMES, **sampling})
        self.device = resolve_device(device)
        self.size = RELEASE_SIZE if size is None else (int(size[0]), int(size[1]))
        if self.size != RELEASE_SIZE:
            logger.warning("Working size %dx%d: the model was trained at 512x320 only; expect lower quality.",
                           *self.size)  # fmt: skip
        self.fit = fit
        self.control_scale = None if control_scale is None else float(control_scale)
        self.clip_frames = clip_frames
        self.seed = seed
        if isinstance(autopilot_points, bool) or not isinstance(autopilot_points, int) or autopilot_points < 1:
            raise InputError(f"`autopilot_points` must be an integer >= 1 but is {autopilot_points!r}.")
        self.capabilities = Capabilities(tracks=True, refines_tracks=True, track_limit=autopilot_points)
        self.update = update_points
        self.pipeline: FramerPipeline = load_pipeline(model_dir, svd_dir, self.device, dtype, offload, attention)
        self.last_tracks: torch.Tensor | None = None

    def identity(self) -> dict:
        """Engine, device, seed, working size and fit, and sampling options (each changes the frames)."""
        options = {key: value for key, value in vars(self.options).items() if key != "num_frames"}
        options["conditioning_scale"] = self.control_scale
        return {
            "engine": self.name, "device": str(self.device), "seed": self.seed, "size": self.size, "fit": self.fit,
            "clip_frames": self.clip_frames, "update_points": self.update, "options": options,
        }  # fmt: skip

    def _clip_tracks(self, tracks: np.ndarray, knots: list[float], frames: int, where: Placement) -> torch.Tensor:
        """Tracks ``(N, K, 2)`` sampled at ``knots`` -> ``(N, frames, 2)`` at the clip's times, working-size pixels."""
        tracks = np.asarray(tracks, dtype=np.float64)
        order = np.argsort(knots, kind="stable")
        knot_times, keep = np.unique(np.asarray(knots)[order], return_index=True)
        clip_times = np.linspace(0.0, 1.0, frames)
        rows = []
        scale, offset = np.array(where.scale), np.array(where.offset)
        for track in tracks:
            points = (track[order][keep] + 0.5) * scale + offset - 0.5  # pixel centres onto pixel centres
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
        where = place(width, height, self.size, self.fit)
        x0 = _to_work(frame0[:, :3].float(), where, self.size).to(self.device)
        x1 = _to_work(frame1[:, :3].float(), where, self.size).to(self.device)
        update = self.update if self.update is not None else (tracks is not None and refine_tracks)
        if tracks is not None and knots is None:
            knots = np.linspace(0.0, 1.0, np.shape(tracks)[1]).tolist()
        clip_tracks = None if tracks is None else self._clip_tracks(tracks, knots, num_frames, where)
        scale = self.control_scale
        if scale is None:
            scale = AUTOPILOT_CONTROL_SCALE if refine_tracks else self.options.conditioning_scale
        options = SamplingOptions(**{**vars(self.options), "num_frames": num_frames, "update_points": bool(update),
                                     "conditioning_scale": scale})  # fmt: skip
        generator = torch.Generator().manual_seed(self.seed)
        out = self.pipeline(x0, x1, clip_tracks, options, generator)
        # the tracks as last used (after point updating), in keyframe pixels
        if out.tracks is None:
            self.last_tracks = None
        else:
            offset, factor = torch.tensor(where.offset), torch.tensor(where.scale)
            self.last_tracks = ((out.tracks + 0.5 - offset) / factor - 0.5).float()
        batch, frames = out.frames.shape[:2]
        backdrop = None
        if where.offset[0] < 0 or where.offset[1] < 0:  # crop: the cut-off margins, cross-faded between keyframes
            ends = [_pil_bilinear(f[:, :3].float().cpu(), where.canvas[1], where.canvas[0]) for f in (frame0, frame1)]
            mix = torch.linspace(0, 1, frames).view(1, frames, 1, 1, 1)
            backdrop = (ends[0][:, None] + mix * (ends[1][:, None] - ends[0][:, None])).flatten(0, 1)
        flat = _from_work(out.frames.flatten(0, 1).float().cpu(), backdrop, where, height, width)
        clip = flat.reshape(batch, frames, 3, height, width).to(out.frames.device)
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
