"""Matcher benchmark: the autopilot's keypoint matchers (SIFT, XFeat + LighterGlue, DISK + LightGlue) on large motion.

For each matcher and case it prints:

- ``verified``: matches kept by the autopilot's geometric verification (``framer.matching.find_correspondences``);
- ``inliers``: the share of the matches the autopilot keeps (verified, then spread over the frame: up to 512, the
  ones it fits its motion model to) that lie within 3 px of the true motion. Synthetic cases
  (:mod:`framer.synthetic.large_motion`: shift, rotation, zoom of 128 and 256 px at 448x256) know it exactly (their
  homography). The real pairs (frames far apart: Sintel ``frame_0016`` -> ``frame_0024``, and frames 8 apart of the
  Big Buck Bunny, vtest and carphone videos, longer side at most 640 px) have no ground-truth flow in the shared
  data, so the reference is OpenCV's DIS optical flow chained through every frame between (consecutive frames move
  little, so each step is accurate; a point occluded on the way counts as an outlier, which lowers all matchers
  alike);
- ``PSNR``: synthetic cases only, end to end: the mean PSNR (RGB, peak 1) of the 3 in-betweens of
  ``framer.interpolate(keyframes, times=..., autopilot=AutopilotConfig(matcher=...))`` against the rendered truth,
  with the flow engine (RIFE v4.25); ``plain`` is without autopilot;
- ``s/pair``: seconds of ``find_correspondences`` (matching and verification) per keyframe pair on ``--threads``
  CPU threads, after one warm-up pair (model loading is not counted).

Then the mean and the worst case per matcher.

    python benchmarks/matchers.py --threads 2            # everything (43 min on 2 cores shared with other jobs)
    python benchmarks/matchers.py --quick --threads 2    # fewer cases, no PSNR
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import torch

import framer
from framer.matching import AutopilotConfig, find_correspondences
from framer.motion import apply_homography
from framer.synthetic.large_motion import make_large_motion_case

MATCHERS = ("sift", "xfeat", "disk")
INLIER_PX = 3.0
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@dataclass(frozen=True)
class Case:
    """Two keyframes, the true end of any start point, and (synthetic) the in-betweens with their times."""

    name: str
    keyframes: tuple[np.ndarray, np.ndarray]
    truth: object  # callable (N, 2) starts -> (N, 2) true ends
    frames: np.ndarray | None = None
    times: tuple[float, ...] = ()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch and OpenCV (default 2).")
    parser.add_argument("--matchers", default=",".join(MATCHERS), help="Comma-separated matchers (default: all).")
    parser.add_argument("--data", type=Path, default=DATA, help="The shared data folder (see its MANIFEST.md).")
    parser.add_argument("--quick", action="store_true", help="Fewer cases and no end-to-end PSNR.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the rows as JSON here.")
    return parser.parse_args(argv)


def synthetic_cases(quick: bool) -> list[Case]:
    cases = []
    for motion in ("shift", "rotate", "zoom"):
        for magnitude in (128,) if quick else (128, 256):
            case = make_large_motion_case(motion, magnitude, num_frames=3)
            matrix = case.transforms[-1]
            cases.append(Case(f"synthetic {case.name}", (case.keyframes[0], case.keyframes[1]),
                              lambda points, m=matrix: apply_homography(m, points), case.frames,
                              tuple(case.times.tolist())))  # fmt: skip
    return cases


def _downscale(image: np.ndarray, max_side: int = 640) -> np.ndarray:
    height, width = image.shape[:2]
    if max(height, width) <= max_side:
        return image
    scale = max_side / max(height, width)
    return cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


def _video(path: Path, first: int, last: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index >= first:
                frames.append(_downscale(frame.to_ndarray(format="rgb24")))
            if index >= last:
                break
    return frames


def _chained_flow(frames: list[np.ndarray]):
    """Starts in the first frame -> positions in the last, following DIS flow from each frame to the next."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    greys = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    flows = [dis.calc(a, b, None) for a, b in itertools.pairwise(greys)]

    def truth(points: np.ndarray) -> np.ndarray:
        current = np.asarray(points, np.float32).reshape(1, -1, 2).copy()
        for flow in flows:
            step = cv2.remap(flow, current[..., 0], current[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            current = current + step
        return current.reshape(-1, 2).astype(np.float64)

    return truth


def real_cases(data: Path, quick: bool) -> list[Case]:
    sources = [("sintel 16->24", [data / "sintel_raft_demo" / f"frame_{i:04d}.png" for i in range(16, 25)])]
    videos = [("bbb 10->18", "video_bigbuckbunny_audio/bigbuckbunny.mp4", 10),
              ("vtest 0->8", "video_vtest_opencv/vtest.avi", 0),
              ("carphone 0->8", "video_carphone/carphone_pristine.mp4", 0)]  # fmt: skip
    cases = []
    for name, paths in sources:
        frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]
        cases.append(Case(f"real {name}", (frames[0], frames[-1]), _chained_flow(frames)))
    for name, path, first in videos[:1] if quick else videos:
        frames = _video(data / path, first, first + 8)
        cases.append(Case(f"real {name}", (frames[0], frames[-1]), _chained_flow(frames)))
    return cases


def _psnr(frame: np.ndarray, truth: np.ndarray) -> float:
    mse = np.mean((frame.astype(np.float64) / 255.0 - truth.astype(np.float64) / 255.0) ** 2)
    return float(10.0 * np.log10(1.0 / max(mse, 1e-12)))


def _interpolated(case: Case, engine, autopilot) -> float:
    frames = framer.interpolate(list(case.keyframes), times=list(case.times), engine=engine, autopilot=autopilot)
    return float(np.mean([_psnr(f, t) for f, t in zip(frames, case.frames, strict=True)]))


def measure(case: Case, matcher: str, engine) -> dict:
    config = AutopilotConfig(matcher=matcher)
    start = time.perf_counter()
    found = find_correspondences(case.keyframes[0], case.keyframes[1], config)
    seconds = time.perf_counter() - start
    error = np.linalg.norm(case.truth(found.starts) - found.ends, axis=1) if len(found) else np.zeros(0)
    row = {"case": case.name, "matcher": matcher, "candidates": found.candidates, "verified": found.verified,
           "inliers": float(np.mean(error < INLIER_PX)) if len(error) else 0.0, "seconds": seconds}  # fmt: skip
    if engine is not None and case.frames is not None:
        row["psnr"] = _interpolated(case, engine, config)
    return row


def print_table(rows: list[dict], plain: dict[str, float]) -> None:
    print(f"{'case':<24} {'matcher':<7} {'cand.':>6} {'verified':>8} {'inliers':>8} {'PSNR':>7} {'plain':>7} "
          f"{'s/pair':>7}")  # fmt: skip
    for r in rows:
        psnr = f"{r['psnr']:7.2f}" if "psnr" in r else f"{'-':>7}"
        base = f"{plain[r['case']]:7.2f}" if r["case"] in plain else f"{'-':>7}"
        print(f"{r['case']:<24} {r['matcher']:<7} {r['candidates']:>6} {r['verified']:>8} {r['inliers']:>8.3f} "
              f"{psnr} {base} {r['seconds']:>7.2f}")  # fmt: skip


def summarize(rows: list[dict], matchers: list[str]) -> None:
    print(f"\n{'matcher':<7} {'mean verified':>13} {'min verified':>12} {'mean inliers':>12} {'min inliers':>11} "
          f"{'mean PSNR':>9} {'min PSNR':>8} {'mean s/pair':>11} {'max s/pair':>10}")  # fmt: skip
    for matcher in matchers:
        mine = [r for r in rows if r["matcher"] == matcher]
        psnrs = [r["psnr"] for r in mine if "psnr" in r]
        verified, inliers, seconds = ([r[k] for r in mine] for k in ("verified", "inliers", "seconds"))
        psnr_text = f"{np.mean(psnrs):9.2f} {np.min(psnrs):8.2f}" if psnrs else f"{'-':>9} {'-':>8}"
        print(f"{matcher:<7} {np.mean(verified):>13.0f} {np.min(verified):>12} {np.mean(inliers):>12.3f} "
              f"{np.min(inliers):>11.3f} {psnr_text} {np.mean(seconds):>11.2f} {np.max(seconds):>10.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    matchers = [m.strip() for m in args.matchers.split(",") if m.strip()]
    cases = synthetic_cases(args.quick) + real_cases(args.data, args.quick)
    engine = None if args.quick else framer.create_engine("flow", device="cpu", threads=args.threads)
    plain = {}
    if engine is not None:
        plain = {c.name: _interpolated(c, engine, False) for c in cases if c.frames is not None}
    for matcher in matchers:  # warm-up: load the models, first-call costs
        find_correspondences(cases[0].keyframes[0], cases[0].keyframes[1], AutopilotConfig(matcher=matcher))
    rows = [measure(case, matcher, engine) for case in cases for matcher in matchers]
    print(f"Matchers on {len(cases)} large-motion cases; {args.threads} CPU thread(s); inliers within {INLIER_PX:g} "
          "px of the true motion (real: chained DIS flow)\n")  # fmt: skip
    print_table(rows, plain)
    summarize(rows, matchers)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "plain": plain}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
