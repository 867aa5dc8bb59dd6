"""Same pictures on every backend: PSNR against the true middle frame per backend and precision, and the cost of
half-resolution flow, on the shared real data.

Part 1: on the Vimeo triplets (eggs, runner) and Middlebury RubberWhale (08, 10, 12 from 07/09, 09/11, 11/13),
each backend's PSNR minus the torch fp32 path's, per sample and worst; targets: |delta| <= 0.05 dB for fp32
backends, <= 0.15 dB for bf16 (printed separately). Part 2 (``--scales``): PSNR at pyramid scale 1 and 0.5 on
the HD frames with a true middle frame (Big Buck Bunny 1280x720, Sintel 1024x436 frames 16/18 -> 17,
18/20 -> 19, 20/22 -> 21), per case, so half-resolution flow is chosen only where it costs nothing.

    python benchmarks/backends_quality.py
    python benchmarks/backends_quality.py --backends torch,bf16,openvino,onnxruntime --scales --threads 2

PSNR: on 8-bit RGB images in [0, 1], ``10 log10(1 / MSE)``, as ``benchmarks/parity.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path

import numpy as np

from common import machine_description

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
SAMPLES = (  # name, folder, frame 0, frame 1, true middle frame
    ("vimeo_eggs", "vimeo_triplet_eggs", "im1.png", "im3.png", "im2.png"),
    ("vimeo_runner", "vimeo_triplet_runner", "im1.png", "im3.png", "im2.png"),
    ("rubberwhale_08", "middlebury_rubberwhale", "frame07.png", "frame09.png", "frame08.png"),
    ("rubberwhale_10", "middlebury_rubberwhale", "frame09.png", "frame11.png", "frame10.png"),
    ("rubberwhale_12", "middlebury_rubberwhale", "frame11.png", "frame13.png", "frame12.png"),
)
HD_SAMPLES = (
    ("bbb_720p", "bbb_cartoon_triplet", "im1_frame010.png", "im3_frame018.png", "im2_frame014.png"),
    ("sintel_17", "sintel_raft_demo", "frame_0016.png", "frame_0018.png", "frame_0017.png"),
    ("sintel_19", "sintel_raft_demo", "frame_0018.png", "frame_0020.png", "frame_0019.png"),
    ("sintel_21", "sintel_raft_demo", "frame_0020.png", "frame_0022.png", "frame_0021.png"),
)
TOLERANCE_DB = {"fp32": 0.05, "bf16": 0.15}


def psnr(image: np.ndarray, truth: np.ndarray) -> float:
    mse = float(np.mean((image.astype(np.float64) / 255.0 - truth.astype(np.float64) / 255.0) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def _variants(text: str) -> list[tuple[str, str]]:
    """``torch,bf16,openvino`` -> [(backend, precision)], torch fp32 first (the reference); absent extras dropped."""
    variants = [("torch", "fp32")]
    for name in (part.strip() for part in text.split(",") if part.strip()):
        variant = ("torch", "bf16") if name == "bf16" else (name, "fp32")
        if variant[0] != "torch" and importlib.util.find_spec(variant[0]) is None:
            print(f"({variant[0]} is not installed: left out)", file=sys.stderr)
        elif variant not in variants:
            variants.append(variant)
    return variants


def _in_betweens(engine, samples, data: Path) -> list[float]:
    """PSNR of ``engine``'s middle frame against the truth, per sample."""
    import framer
    from framer.io.images import read_image

    scores = []
    for _, folder, first, second, truth in samples:
        pair = [read_image(data / folder / name) for name in (first, second)]
        (frame,) = framer.interpolate(pair, times=[0.5], engine=engine)
        scores.append(psnr(frame, read_image(data / folder / truth)))
    return scores


def backend_table(variants: list[tuple[str, str]], data: Path, threads: int) -> bool:
    """Part 1; returns whether every variant is within its tolerance on every sample."""
    import framer

    results = {}
    for backend, precision in variants:
        engine = framer.create_engine("flow", backend=backend, precision=precision, threads=threads)
        start = time.perf_counter()
        results[(backend, precision)] = _in_betweens(engine, SAMPLES, data)
        print(f"  {backend} {precision}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    reference = results[("torch", "fp32")]
    names = [f"{backend} {precision}" for backend, precision in variants]
    print(f"{'sample':<16}" + "".join(f"{name:>20}" for name in names))
    for index, (sample, *_) in enumerate(SAMPLES):
        cells = [f"{reference[index]:>20.3f}"]
        for variant in variants[1:]:
            value = results[variant][index]
            cells.append(f"{value:>10.3f} ({value - reference[index]:+.3f})")
        print(f"{sample:<16}" + "".join(cells))
    ok = True
    for variant in variants[1:]:
        worst = max(abs(a - b) for a, b in zip(results[variant], reference, strict=True))
        limit = TOLERANCE_DB[variant[1]]
        verdict = "meets" if worst <= limit else "MISSES"
        ok &= worst <= limit
        print(f"{variant[0]} {variant[1]}: worst |PSNR - torch fp32| {worst:.4f} dB (target <= {limit}): {verdict}")
    return ok


def scale_table(data: Path, threads: int) -> None:
    """Part 2: pyramid scale 1 against 0.5 on HD frames with a true middle frame."""
    import framer

    full = _in_betweens(framer.create_engine("flow", backend="torch", threads=threads), HD_SAMPLES, data)
    half = _in_betweens(framer.create_engine("flow", backend="torch", threads=threads, scale=0.5), HD_SAMPLES, data)
    print(f"{'sample':<12}{'scale 1':>10}{'scale 0.5':>11}{'delta':>9}")
    for (name, *_), a, b in zip(HD_SAMPLES, full, half, strict=True):
        print(f"{name:<12}{a:>10.3f}{b:>11.3f}{b - a:>+9.3f}")
    worst = min(b - a for a, b in zip(full, half, strict=True))
    print(f"half-resolution flow, worst PSNR change {worst:+.3f} dB (a cost where negative)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="bf16,onnxruntime,openvino", help="compared with torch fp32")
    parser.add_argument("--scales", action="store_true", help="also PSNR at pyramid scale 1 vs 0.5 on HD frames")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    print(f"framer flow engine, backends against torch fp32; {machine_description()}; {args.threads} threads")
    ok = backend_table(_variants(args.backends), args.data, args.threads)
    if args.scales:
        scale_table(args.data, args.threads)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
