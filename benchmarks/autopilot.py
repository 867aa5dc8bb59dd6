"""Autopilot benchmark: plain flow interpolation against ``autopilot=True``, side by side, PSNR and SSIM per case.

Three tables, each run through the public API (``framer.interpolate(..., autopilot=...)``, 8-bit frames):

1. **Synthetic large motion** (``framer.synthetic.large_motion``): a textured scene shifted, rotated or zoomed by
   64, 128, 192 and 256 px between the keyframes, 7 in-betweens with exact ground truth.
   Target: autopilot >= plain + 3 dB on every case of 128 px or more.
2. **Real large motion**: the Sintel frames of ``sintel_raft_demo`` taken with gaps of 4, 6 and 8 frames, every
   start that fits; the frames between are the ground truth. Target: mean PSNR autopilot >= plain + 1 dB at gap 8,
   and not below plain at gap 4.
3. **Small motion**: the Vimeo-90K triplets. Target: autopilot no more than 0.05 dB below plain on each.

PSNR is per frame (RGB, peak 1) averaged over a case's frames; SSIM likewise (``framer.metrics``). ``decision``
is what the autopilot chose (``align``, or why it interpolated plainly). The script ends by saying which targets
are met; ``--check`` exits 1 when one is missed.

For Sintel the script also prints how far the true motion leaves the straight keyframe-to-keyframe path, which no
method that sees only the two keyframes can know: points on a grid are tracked through the in-between frames with
OpenCV's DIS flow (frame to frame, chained), and the largest distance of each track from the straight line between
its ends (at the same time) is summarised. A diagnostic from the ground truth, not part of any method.

    python benchmarks/autopilot.py                     # everything (several minutes on 2 CPU cores)
    python benchmarks/autopilot.py --quick             # one synthetic case per motion at 128 px, Sintel gaps 4 and 8
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import framer
from framer.io.images import read_image
from framer.matching import AutopilotConfig, plan_autopilot
from framer.metrics import psnr, ssim
from framer.synthetic.large_motion import MAGNITUDES, MOTIONS, make_large_motion_case

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SINTEL_FRAMES = [f"frame_{n:04d}.png" for n in range(16, 25)]
VIMEO = ("vimeo_triplet_eggs", "vimeo_triplet_runner")
GAPS = (4, 6, 8)

TARGET_SYNTHETIC_GAIN = 3.0  # dB, at >= 128 px
TARGET_SINTEL_GAIN = 1.0  # dB, mean at gap 8
TARGET_SMALL_LOSS = 0.05  # dB


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (see the module docstring)")
    parser.add_argument("--tables", default="synthetic,sintel,small", help="comma-separated tables to run")
    parser.add_argument("--num-frames", type=int, default=7, help="in-betweens per synthetic case")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared test data folder")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the engine")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    return parser.parse_args(argv)


def _tensor(frames: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    """``T`` uint8 arrays ``(H, W, 3)`` -> ``(T, 3, H, W)`` float64 in [0, 1]."""
    return torch.from_numpy(np.stack(frames)[..., :3]).permute(0, 3, 1, 2).double() / 255.0


def score(frames: list[np.ndarray], truth: list[np.ndarray] | np.ndarray) -> tuple[float, float]:
    """Mean PSNR (dB) and SSIM over frames."""
    pred, target = _tensor(frames), _tensor(truth)
    return float(psnr(pred, target).mean()), float(ssim(pred, target).mean())


def compare(engine, keyframes: list[np.ndarray], times: list[float], truth) -> dict:
    """Plain and autopilot in-betweens of one keyframe pair, scored; and what the autopilot decided."""
    start = time.perf_counter()
    plain = framer.interpolate(keyframes, times=times, engine=engine)
    middle = time.perf_counter()
    piloted = framer.interpolate(keyframes, times=times, engine=engine, autopilot=True)
    end = time.perf_counter()
    plan = plan_autopilot(keyframes[0], keyframes[1], AutopilotConfig())
    psnr_plain, ssim_plain = score(plain, truth)
    psnr_auto, ssim_auto = score(piloted, truth)
    return {
        "psnr_plain": psnr_plain,
        "psnr_auto": psnr_auto,
        "gain": psnr_auto - psnr_plain,
        "ssim_plain": ssim_plain,
        "ssim_auto": ssim_auto,
        "decision": plan.decision,
        "matches": plan.correspondences.verified,
        "motion_px": plan.correspondences.motion,
        "identical": all(np.array_equal(a, b) for a, b in zip(plain, piloted, strict=True)),
        "seconds_plain": middle - start,
        "seconds_auto": end - middle,
    }


HEADER = (
    f"{'case':<22} | {'PSNR plain':>10} {'autopilot':>9} {'gain':>6} | {'SSIM plain':>10} {'autopilot':>9} | "
    f"{'decision':<18} {'matches':>7} {'motion':>6} | {'s plain':>7} {'s auto':>6}"
)


def print_row(name: str, r: dict) -> None:
    print(
        f"{name:<22} | {r['psnr_plain']:>10.2f} {r['psnr_auto']:>9.2f} {r['gain']:>+6.2f} | "
        f"{r['ssim_plain']:>10.4f} {r['ssim_auto']:>9.4f} | {r['decision']:<18} {r['matches']:>7d} "
        f"{r['motion_px']:>6.1f} | {r['seconds_plain']:>7.1f} {r['seconds_auto']:>6.1f}",
        flush=True,
    )


def print_header(title: str) -> None:
    print(f"\n{title}\n{HEADER}\n{'-' * len(HEADER)}", flush=True)


def run_synthetic(engine, quick: bool, num_frames: int) -> list[dict]:
    print_header(f"1. Synthetic large motion (448x256, {num_frames} in-betweens)")
    cases = [(m, 128) for m in MOTIONS] if quick else [(m, d) for m in MOTIONS for d in MAGNITUDES]
    results = []
    for motion, magnitude in cases:
        case = make_large_motion_case(motion, magnitude, num_frames=num_frames)
        r = compare(engine, list(case.keyframes), list(case.times), case.frames)
        r.update(case=case.name, magnitude=magnitude)
        print_row(case.name, r)
        results.append(r)
    return results


def run_sintel(engine, data: Path, quick: bool) -> list[dict]:
    print_header("2. Real large motion: Sintel (sintel_raft_demo, 1024x436), keyframes `gap` frames apart")
    frames = [read_image(data / "sintel_raft_demo" / name) for name in SINTEL_FRAMES]
    results = []
    for gap in (4, 8) if quick else GAPS:
        starts = [0] if quick else range(len(frames) - gap)
        rows = []
        for start in starts:
            times = [k / gap for k in range(1, gap)]
            truth = frames[start + 1 : start + gap]
            r = compare(engine, [frames[start], frames[start + gap]], times, truth)
            r.update(case=f"gap {gap} from {16 + start}", gap=gap)
            print_row(r["case"], r)
            rows.append(r)
        mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if isinstance(rows[0][key], float)}
        matches = int(np.mean([r["matches"] for r in rows]))
        mean.update(case=f"gap {gap} mean", gap=gap, decision="-", matches=matches, mean=True)
        print_row(mean["case"], mean)
        results.extend([*rows, mean])
    return results


def path_deviation(frames: list[np.ndarray], spacing: int = 8) -> dict:
    """How far the true motion through ``frames`` (the keyframes and all between) leaves the straight path.

    Returns the 95th percentile (px) over grid points of each track's largest distance from the straight line, and
    the share of points that stray more than 8 px.
    """
    grey = [cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2GRAY) for frame in frames]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    height, width = grey[0].shape
    ys, xs = np.mgrid[0:height:spacing, 0:width:spacing]
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    track = [points]
    for before, after in itertools.pairwise(grey):
        flow = dis.calc(before, after, None)
        step = cv2.remap(
            flow, points[None, :, 0], points[None, :, 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        points = points + step[0]
        track.append(points)
    tracks = np.stack(track)  # (K, N, 2)
    t = np.linspace(0.0, 1.0, len(frames))[:, None, None]
    straight = (1.0 - t) * tracks[0] + t * tracks[-1]
    largest = np.linalg.norm(tracks - straight, axis=2).max(axis=0)
    return {"p95": float(np.percentile(largest, 95)), "over_8px": float(np.mean(largest > 8.0))}


def print_deviation(data: Path, gaps: tuple[int, ...]) -> None:
    frames = [read_image(data / "sintel_raft_demo" / name) for name in SINTEL_FRAMES]
    print(
        "\nSintel: true motion off the straight keyframe-to-keyframe path (ground truth, DIS tracks, mean of starts)"
    )
    for gap in gaps:
        found = [path_deviation(frames[start : start + gap + 1]) for start in range(len(frames) - gap)]
        p95 = np.mean([f["p95"] for f in found])
        over = np.mean([f["over_8px"] for f in found])
        print(f"  gap {gap}: 95th percentile {p95:.1f} px, {100 * over:.1f}% of points more than 8 px off", flush=True)


def run_small(engine, data: Path) -> list[dict]:
    print_header("3. Small motion: Vimeo-90K triplets (448x256), middle frame")
    results = []
    for name in VIMEO:
        im1, im2, im3 = (read_image(data / name / f"im{i}.png") for i in (1, 2, 3))
        r = compare(engine, [im1, im3], [0.5], [im2])
        r.update(case=name)
        print_row(name, r)
        results.append(r)
    return results


def verdicts(results: dict[str, list[dict]]) -> list[tuple[str, bool, str]]:
    """(target, met, figures) for each target whose table ran."""
    found = []
    if "synthetic" in results:
        large = [r for r in results["synthetic"] if r["magnitude"] >= 128]
        worst = min(large, key=lambda r: r["gain"])
        found.append(
            (
                f"synthetic: autopilot >= plain + {TARGET_SYNTHETIC_GAIN:g} dB on every case >= 128 px",
                all(r["gain"] >= TARGET_SYNTHETIC_GAIN for r in large),
                f"smallest gain {worst['gain']:+.2f} dB ({worst['case']}) over {len(large)} cases",
            )
        )
    if "sintel" in results:
        means = {r["gap"]: r for r in results["sintel"] if r.get("mean")}
        if 8 in means:
            found.append(
                (
                    f"Sintel gap 8: mean autopilot >= plain + {TARGET_SINTEL_GAIN:g} dB",
                    means[8]["gain"] >= TARGET_SINTEL_GAIN,
                    f"{means[8]['psnr_auto']:.2f} vs {means[8]['psnr_plain']:.2f} dB ({means[8]['gain']:+.2f})",
                )
            )
        if 4 in means:
            found.append(
                (
                    "Sintel gap 4: mean autopilot not below plain",
                    means[4]["gain"] >= 0.0,
                    f"{means[4]['psnr_auto']:.2f} vs {means[4]['psnr_plain']:.2f} dB ({means[4]['gain']:+.2f})",
                )
            )
    if "small" in results:
        worst = min(results["small"], key=lambda r: r["gain"])
        found.append(
            (
                f"small motion: autopilot no more than {TARGET_SMALL_LOSS:g} dB below plain",
                all(r["gain"] >= -TARGET_SMALL_LOSS for r in results["small"]),
                f"smallest difference {worst['gain']:+.3f} dB ({worst['case']})",
            )
        )
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    tables = [name.strip() for name in args.tables.split(",") if name.strip()]
    unknown = sorted(set(tables) - {"synthetic", "sintel", "small"})
    if unknown:
        raise SystemExit(f"Unknown tables {unknown}; choose from synthetic, sintel, small.")
    engine = framer.create_engine("flow", device=args.device, threads=args.threads)
    results: dict[str, list[dict]] = {}
    if "synthetic" in tables:
        results["synthetic"] = run_synthetic(engine, args.quick, args.num_frames)
    if "sintel" in tables:
        results["sintel"] = run_sintel(engine, args.data, args.quick)
        print_deviation(args.data, (4, 8) if args.quick else GAPS)
    if "small" in tables:
        results["small"] = run_small(engine, args.data)
    print("\nTargets:")
    found = verdicts(results)
    for target, met, figures in found:
        print(f"  [{'met' if met else 'MISSED'}] {target}: {figures}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if args.check and not all(met for _, met, _ in found) else 0


if __name__ == "__main__":
    sys.exit(main())
