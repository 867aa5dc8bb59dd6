"""The flow engine's model zoo side by side: quality (PSNR per case and worst case) and CPU cost per model.

Quality: each model's in-between against the true middle frame of real triplets (Vimeo eggs and runner,
Middlebury RubberWhale 08/10/12, Sintel 0017..0023 from their neighbours, Big Buck Bunny 1280x720), PSNR on 8-bit
RGB as ``benchmarks/parity.py`` computes it. Cost: seconds per in-between (one in-between per pair, t = 0.5, the
time every model offers) at 448x256 and 1280x720 on ``--threads`` threads, the models interleaved and the minimum
of ``--repeats`` runs taken (the machine may be shared: minima are the least disturbed figures), the CPU seconds
of the process at 1280x720 (less sensitive to other processes than the wall clock), and GFLOP per 1280x720
in-between counted by ``torch.utils.flop_counter`` on the same pair. Prints a markdown table for the README.

    python benchmarks/zoo.py
    python benchmarks/zoo.py --models rife.v4_25 rife.v4_0 --repeats 5
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import machine_description
from parity import psnr, read_rgb

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
SPEED_SIZES = ((448, 256), (1280, 720))


@dataclass(frozen=True)
class Case:
    """A keyframe pair (``folder``/``frame0``, ``frame1``) with its true middle frame ``target``."""

    name: str
    folder: str
    frame0: str
    frame1: str
    target: str


def _sintel(index: int) -> Case:
    names = [f"frame_{index + offset:04d}.png" for offset in (-1, 1, 0)]
    return Case(f"sintel_{index:04d}", "sintel_raft_demo", *names)


CASES = (
    Case("vimeo_eggs", "vimeo_triplet_eggs", "im1.png", "im3.png", "im2.png"),
    Case("vimeo_runner", "vimeo_triplet_runner", "im1.png", "im3.png", "im2.png"),
    Case("rubberwhale_08", "middlebury_rubberwhale", "frame07.png", "frame09.png", "frame08.png"),
    Case("rubberwhale_10", "middlebury_rubberwhale", "frame09.png", "frame11.png", "frame10.png"),
    Case("rubberwhale_12", "middlebury_rubberwhale", "frame11.png", "frame13.png", "frame12.png"),
    *(_sintel(index) for index in range(17, 24)),
    Case("bbb_cartoon", "bbb_cartoon_triplet", "im1_frame010.png", "im3_frame018.png", "im2_frame014.png"),
)
GROUPS = {"vimeo": "Vimeo", "rubberwhale": "RubberWhale", "sintel": "Sintel", "bbb": "BBB 720p"}


def measure_quality(engine, data: Path) -> dict[str, float]:
    """PSNR (dB) of ``engine``'s in-between at t = 0.5 for every case."""
    import framer

    scores = {}
    for case in CASES:
        folder = data / case.folder
        (output,) = framer.interpolate([folder / case.frame0, folder / case.frame1], times=[0.5], engine=engine)
        scores[case.name] = psnr(np.asarray(output), read_rgb(folder / case.target))
    return scores


SPEED_PAIR = ("bbb_cartoon_triplet/im1_frame010.png", "bbb_cartoon_triplet/im3_frame018.png")  # as speed.py
SMALL_MOTION_PAIR = ("middlebury_rubberwhale/frame07.png", "middlebury_rubberwhale/frame09.png")


def _speed_pair(data: Path, width: int, height: int, names: tuple[str, str] = SPEED_PAIR):
    """A real keyframe pair resized to ``width`` x ``height``: two ``(1, 3, H, W)`` tensors."""
    import cv2
    import torch

    frames = []
    for name in names:
        image = read_rgb(data / name)
        shrink = width * height < image.shape[0] * image.shape[1]
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
        image = cv2.resize(image, (width, height), interpolation=interpolation)
        frames.append(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0)
    return frames


def seconds_per_frame(engine, pair) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process, all threads) of one in-between of ``pair``."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in engine.iter_frames(pair[0], pair[1], [0.5]):
        pass
    return time.perf_counter() - start, time.process_time() - cpu


def gflop_per_frame(engine, pair) -> float:
    """Floating-point operations of one in-between of ``pair`` (convolutions and matmuls), in GFLOP."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        seconds_per_frame(engine, pair)
    return counter.get_total_flops() / 1e9


def _group_worst(scores: dict[str, float], prefix: str) -> float:
    return min(value for name, value in scores.items() if name.startswith(prefix))


def table_lines(models: list[str], quality: dict, speed: dict, flops: dict) -> list[str]:
    """The README's markdown table: per model, worst PSNR per data set, mean, worst overall and cost."""
    header = "| model | " + " | ".join(f"{label} worst dB" for label in GROUPS.values())
    header += " | mean dB | worst dB | s/frame 448x256 | s/frame 1280x720 | CPU s 720p | GFLOP 720p |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for model in models:
        scores = quality[model]
        groups = " | ".join(f"{_group_worst(scores, prefix):.2f}" for prefix in GROUPS)
        cost = " | ".join(f"{speed[model][size][0]:.3f}" for size in SPEED_SIZES)
        cpu = speed[model][SPEED_SIZES[-1]][1]
        mean, worst = sum(scores.values()) / len(scores), min(scores.values())
        lines.append(f"| `{model}` | {groups} | {mean:.2f} | {worst:.2f} | {cost} | {cpu:.2f} | {flops[model]:.1f} |")
    return lines


def case_lines(models: list[str], quality: dict) -> list[str]:
    lines = ["| case | " + " | ".join(f"`{model}`" for model in models) + " |", "|---|" + "---|" * len(models)]
    for case in CASES:
        lines.append(f"| {case.name} | " + " | ".join(f"{quality[m][case.name]:.2f}" for m in models) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="registered flow models (default: all)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)

    import torch

    import framer
    from framer.registry import list_models

    models = args.models or [entry.name for entry in list_models("flow")]
    torch.set_num_threads(args.threads)
    engines = {model: framer.create_engine("flow", model=model, device="cpu") for model in models}
    print(f"# {machine_description()}; torch {torch.__version__}; {args.threads} threads", flush=True)

    quality = {} if args.skip_quality else {model: measure_quality(engines[model], args.data) for model in models}
    flops = {}
    speed: dict[str, dict] = {model: {size: (math.inf, math.inf) for size in SPEED_SIZES} for model in models}
    for size in SPEED_SIZES:
        pair = _speed_pair(args.data, *size)
        for model in models:  # warm-up (first-call allocations, grid caches), FLOPs counted on the same pair
            flops[model] = gflop_per_frame(engines[model], pair)
        for _ in range(args.repeats):
            for model in models:  # interleaved, so a burst of load elsewhere hits every model alike
                wall, cpu = seconds_per_frame(engines[model], pair)
                best = speed[model][size]
                speed[model][size] = (min(best[0], wall), min(best[1], cpu))
        print(f"# timed {size[0]}x{size[1]}", flush=True)
    small = _speed_pair(args.data, *SPEED_SIZES[-1], names=SMALL_MOTION_PAIR)
    flops_small = {model: gflop_per_frame(engines[model], small) for model in models}

    if quality:
        print("\nPSNR (dB) per case, in-between at t = 0.5 vs the true middle frame:\n")
        print("\n".join(case_lines(models, quality)))
        print("\nModel zoo (worst = lowest PSNR over the cases; s = min over repeats, one in-between per pair):\n")
        print("\n".join(table_lines(models, quality, speed, flops)))
    else:
        for model in models:
            cost = ", ".join(f"{w}x{h}: {speed[model][(w, h)][0]:.3f} s" for w, h in SPEED_SIZES)
            print(f"{model}: {cost}, {speed[model][SPEED_SIZES[-1]][1]:.2f} CPU s at 1280x720")
    print(f"\nGFLOP per 1280x720 in-between, {SPEED_PAIR[0].split('/')[0]} pair (timed) / small motion (RubberWhale):")
    for model in models:
        print(f"  {model}: {flops[model]:.1f} / {flops_small[model]:.1f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
