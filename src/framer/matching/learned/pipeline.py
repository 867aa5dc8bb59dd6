"""The learned matchers end to end: keyframes -> features -> LightGlue -> :class:`framer.matching.sift.Matches`.

``xfeat`` is XFeat + LighterGlue, ``disk`` is DISK + LightGlue (models in :mod:`framer.matching.zoo`). The weights
are fetched into framer's cache on first use (:func:`framer.weights.resolve_weights`), loaded with
``torch.load(weights_only=True)`` and strictly (a missing or unexpected key is an error), and kept for the process.
Conventions follow each model's release (see :mod:`.xfeat`, :mod:`.disk`), so that keypoints and matches equal
upstream's on the same input; points are then given in full-size pixels with the centre of the top-left pixel at
``(0, 0)``, as SIFT's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from framer.errors import InputError, ShapeError
from framer.matching.learned.disk import DISK, detect_disk
from framer.matching.learned.lightglue import LightGlue, LightGlueConfig, rename_lightglue_keys
from framer.matching.learned.xfeat import XFeat, detect_xfeat
from framer.matching.sift import Matches
from framer.registry import get_model_entry
from framer.weights import check_state_dict, load_state_dict, resolve_weights

__all__ = ["LEARNED", "build_model", "learned_matches", "load_model", "load_models"]

# matcher name -> (features model, matcher model) in the registry
LEARNED = {"xfeat": ("xfeat.sparse", "lighterglue.xfeat"), "disk": ("disk.depth", "lightglue.disk")}
_SIZE = {"xfeat": 8.0, "disk": 5.0}  # nominal keypoint size (px): XFeat's cell, DISK's suppression window


def build_model(name: str) -> nn.Module:
    """The randomly initialised module of registered model ``name`` (its architecture and config)."""
    entry = get_model_entry(name, engine="matching")
    if entry.architecture == "xfeat":
        return XFeat().eval()
    if entry.architecture == "disk":
        return DISK().eval()
    return LightGlue(LightGlueConfig(**entry.config)).eval()


def _fit_keys(state: dict, model: nn.Module) -> dict:
    """Released LightGlue files: ``matcher.`` prefixes (LighterGlue), flat layer names, and an unused per-layer
    scalar ``log_assignment.<i>.r`` left from training (always 1.0 in the DISK file)."""
    if not isinstance(model, LightGlue):
        return state
    state = {key.removeprefix("matcher."): value for key, value in state.items()}
    state = rename_lightglue_keys(state, model.config.n_layers)
    unused = {key for key in state if key.startswith("log_assignment.") and key.endswith(".r")}
    return {key: value for key, value in state.items() if key not in unused}


def load_model(name: str, weights: str | None = None) -> nn.Module:
    """Registered model ``name`` with its weights (``weights``: a local file instead of the cached one)."""
    entry = get_model_entry(name, engine="matching")
    path = resolve_weights(entry.weights, entry.name, weights)
    model = build_model(name)
    drop = entry.weights.drop_prefixes if entry.weights else ()
    state = _fit_keys(load_state_dict(path, drop), model)
    check_state_dict(state, model.state_dict(), path, f"model {name}")
    model.load_state_dict(state, strict=True)
    return model


@functools.lru_cache(maxsize=4)
def load_models(matcher: str) -> tuple[nn.Module, nn.Module]:
    """The features and matcher modules of learned matcher ``matcher``, loaded once per process."""
    features, glue = LEARNED[matcher]
    return load_model(features), load_model(glue)


@dataclass(frozen=True)
class _Prepared:
    """One keyframe as the detector sees it, and the scale back to full-size pixels."""

    tensor: torch.Tensor  # (1, 3, H, W) float RGB in [0, 1]
    factor: float  # full-size pixels per pixel of ``tensor``


def _rgb_float(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` uint8, uint16 or float in [0, 1] -> ``(H, W, 3)`` float32 RGB in [0, 1] (alpha dropped)."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        shape = getattr(image, "shape", image)
        raise ShapeError(f"An image must be a numpy array (H, W) or (H, W, C), not {shape!r}.")
    if image.dtype == np.uint8:
        out = image.astype(np.float32) / 255.0
    elif image.dtype == np.uint16:
        out = image.astype(np.float32) / 65535.0
    elif image.dtype.kind == "f":
        out = np.clip(image, 0.0, 1.0).astype(np.float32)
    else:
        raise InputError(f"An image must be uint8, uint16 or float in [0, 1], not {image.dtype}.")
    if out.ndim == 2:
        out = out[..., None]
    if out.shape[2] not in (1, 3, 4):
        raise ShapeError(f"An image must have 1, 3 or 4 channels, not {out.shape[2]}.")
    return np.ascontiguousarray(np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out[..., :3])


def _prepare(image: np.ndarray, max_side: int) -> _Prepared:
    rgb = _rgb_float(image)
    height, width = rgb.shape[:2]
    factor = 1.0
    if max(height, width) > max_side:
        size = (round(width * max_side / max(height, width)), round(height * max_side / max(height, width)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        factor = width / size[0]
    return _Prepared(torch.from_numpy(rgb).permute(2, 0, 1)[None].contiguous(), factor)


def _xfeat_points(net: XFeat, image: torch.Tensor, config: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """XFeat keypoints in ``image`` pixels (upstream's scaling back from the multiple-of-32 resize) and descriptors."""
    height, width = image.shape[-2:]
    small_h, small_w = max(32, height // 32 * 32), max(32, width // 32 * 32)
    resized = F.interpolate(image, (small_h, small_w), mode="bilinear", align_corners=False)
    found = detect_xfeat(net, resized, config["top_k"], config["threshold"])
    return found.keypoints * torch.tensor([width / small_w, height / small_h]), found.descriptors


def learned_matches(
    name: str, image0: np.ndarray, image1: np.ndarray, ratio: float = 0.75, max_side: int = 1600
) -> Matches:
    """Match two keyframes with learned matcher ``name`` (``xfeat`` or ``disk``).

    Keyframes with a longer side than ``max_side`` (or than the model's own limit) are matched on a copy scaled
    down to it. The matching score ``s`` becomes Lowe's ratio ``(1 - s) * ratio`` (a certain match looks maximally
    distinctive, one at the score's threshold like one at the ratio test's limit ``ratio``), so that
    :func:`framer.matching.select.match_confidence` weighs it like SIFT's.
    """
    first, second = (np.asarray(image) for image in (image0, image1))
    if first.shape[:2] != second.shape[:2]:
        raise ShapeError(f"Keyframes must have one size to be matched, not {first.shape[:2]} and {second.shape[:2]}.")
    features, glue = load_models(name)
    entry = get_model_entry(LEARNED[name][0], engine="matching")
    max_side = min(max_side, entry.config.get("max_side", max_side))
    height, width = first.shape[:2]
    prepared = [_prepare(image, max_side) for image in (first, second)]
    points, descriptors = [], []
    for item in prepared:
        if name == "xfeat":
            found_points, found_desc = _xfeat_points(features, item.tensor, entry.config)
        else:
            found = detect_disk(features, item.tensor, entry.config["top_k"], entry.config["threshold"])
            found_points, found_desc = found.keypoints, found.descriptors
        points.append(found_points)
        descriptors.append(found_desc)
    size = (prepared[0].tensor.shape[-1], prepared[0].tensor.shape[-2])
    result = glue(points[0], points[1], descriptors[0], descriptors[1], size, size)
    factor = prepared[0].factor
    starts = (points[0][result.index0].double().numpy() + 0.5) * factor - 0.5
    ends = (points[1][result.index1].double().numpy() + 0.5) * factor - 0.5
    scores = result.scores.double().numpy()
    order = np.argsort(-scores, kind="stable")
    ratios = (1.0 - np.clip(scores[order], 0.0, 1.0)) * ratio
    return Matches(starts[order], ends[order], ratios, np.full(len(order), _SIZE[name] * factor), width, height)
