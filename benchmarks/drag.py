"""Drag-mode benchmark: does steering put sprites where the trajectories ask, and help image quality?

Runs every synthetic case (``framer.synthetic``) through ``framer.interpolate`` twice, without and with
``trajectories=case.trajectories``, and prints per case:

- ``wp``: waypoints in each user trajectory; ``model``: the trajectories' largest distance from the true path (px);
- ``gt``: adherence measured on the ground-truth frames themselves (the measure's own error; should be ~0 px);
- adherence (median px from the requested positions) with and without drag, and the no-drag match score;
- PSNR to ground truth with and without drag, and the difference;
- background PSNR to ground truth (pixels > 16 px from any sprite's possible positions) with and without drag,
  their difference, and background PSNR of drag against no-drag.

Targets for the steering: adherence <= 2 px; PSNR drag >= no-drag + 3 dB on curved cases; background PSNR within
0.2 dB (no more than 0.2 dB below no-drag). ``--check`` exits 1 when any is missed, or when the API does not take
trajectories yet.

    python benchmarks/drag.py                         # all cases, 256 and 512
    python benchmarks/drag.py --sizes 256 --cases arc-s80,rotation --save out/drag
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

import framer
from framer.synthetic import CASE_NAMES, DragCase, make_case
from framer.synthetic.measures import background_mask, background_psnr, psnr, trajectory_adherence
from framer.trajectory import draw_trajectories

TARGET_ADHERENCE = 2.0  # px, median
TARGET_GAIN = 3.0  # dB of PSNR over no-drag, curved cases
TARGET_BACKGROUND = 0.2  # dB, background PSNR of drag at most this far below no-drag


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASE_NAMES), help="comma-separated case names")
    parser.add_argument("--sizes", default="256,512", help="comma-separated frame sizes (square)")
    parser.add_argument("--num-frames", type=int, default=7, help="in-betweens per case")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic textures")
    parser.add_argument("--engine", default="flow", help="engine name for framer.create_engine")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the engine")
    parser.add_argument("--save", type=Path, default=None, help="folder for per-case PNG strips (GT, no-drag, drag)")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    return parser.parse_args(argv)


def run_drag(engine: framer.Engine, case: DragCase) -> np.ndarray:
    """In-betweens with the case's trajectories."""
    frames = framer.interpolate(
        list(case.keyframes), times=list(case.times), engine=engine, trajectories=case.trajectories
    )
    return np.stack(frames)


def evaluate(case: DragCase, engine: framer.Engine) -> dict:
    """Run one case without and with drag and measure both."""
    start = time.perf_counter()
    plain = np.stack(framer.interpolate(list(case.keyframes), times=list(case.times), engine=engine))
    dragged = run_drag(engine, case)
    seconds = time.perf_counter() - start
    mask = background_mask(case)
    plain_adherence = trajectory_adherence(plain, case)
    result = {
        "case": case.name,
        "curved": case.curved,
        "waypoints": [len(t.points) - 2 for t in case.trajectories],
        "model_error_px": float(case.model_error.max()),
        "gt_adherence_px": trajectory_adherence(case.frames, case).median,
        "adherence_nodrag_px": plain_adherence.median,
        "score_nodrag": float(np.median(plain_adherence.scores)),
        "psnr_nodrag": psnr(plain, case.frames),
        "bg_psnr_nodrag": background_psnr(plain, case.frames, mask),
        "background_fraction": float(mask.mean()),
        "seconds": seconds,
        "frames": {"plain": plain, "drag": dragged},
        "adherence_drag_px": trajectory_adherence(dragged, case).median,
        "psnr_drag": psnr(dragged, case.frames),
        "bg_psnr_drag": background_psnr(dragged, case.frames, mask),
        "bg_psnr_drag_vs_nodrag": background_psnr(dragged, plain, mask),
    }
    result["psnr_gain"] = result["psnr_drag"] - result["psnr_nodrag"]
    result["bg_delta"] = result["bg_psnr_drag"] - result["bg_psnr_nodrag"]
    return result


def misses(result: dict) -> list[str]:
    """The targets this case misses."""
    found = []
    if not result["adherence_drag_px"] <= TARGET_ADHERENCE:
        found.append(f"adherence {result['adherence_drag_px']:.2f} > {TARGET_ADHERENCE} px")
    if result["curved"] and not result["psnr_gain"] >= TARGET_GAIN:
        found.append(f"PSNR gain {result['psnr_gain']:.2f} < {TARGET_GAIN} dB")
    if not result["bg_delta"] >= -TARGET_BACKGROUND:  # NaN fails too
        found.append(f"background {result['bg_delta']:+.2f} dB")
    return found


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(results: list[dict]) -> None:
    header = (
        f"{'case':<15} {'wp':>5} {'model':>5} {'gt':>5} | {'adh drag':>8} {'no-drag':>8} {'score':>5} | "
        f"{'PSNR drag':>9} {'no-drag':>7} {'delta':>6} | {'bg drag':>7} {'no-drag':>7} {'delta':>6} {'d-vs-nd':>7} | "
        f"{'s':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        wp = "/".join(str(w) for w in r["waypoints"])
        print(
            f"{r['case']:<15} {wp:>5} {r['model_error_px']:>5.2f} {r['gt_adherence_px']:>5.2f} | "
            f"{_cell(r.get('adherence_drag_px')):>8} {r['adherence_nodrag_px']:>8.2f} {r['score_nodrag']:>5.2f} | "
            f"{_cell(r.get('psnr_drag')):>9} {r['psnr_nodrag']:>7.2f} {_cell(r.get('psnr_gain')):>6} | "
            f"{_cell(r.get('bg_psnr_drag')):>7} {r['bg_psnr_nodrag']:>7.2f} {_cell(r.get('bg_delta')):>6} "
            f"{_cell(r.get('bg_psnr_drag_vs_nodrag')):>7} | {r['seconds']:>5.1f}"
        )


def save_strip(folder: Path, case: DragCase, result: dict) -> None:
    """A PNG per case: rows GT, no-drag, drag (when present); columns the in-betweens; trajectories drawn on top."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [case.frames, result["frames"]["plain"]]
    if result["frames"]["drag"] is not None:
        rows.append(result["frames"]["drag"])
    drawn = [
        np.concatenate([draw_trajectories(f, case.trajectories, t) for f, t in zip(row, case.times, strict=True)], 1)
        for row in rows
    ]
    cv2.imwrite(
        str(folder / f"{case.name.replace('@', '_')}.png"), cv2.cvtColor(np.concatenate(drawn, 0), cv2.COLOR_RGB2BGR)
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = {"device": args.device} | ({"threads": args.threads} if args.threads else {})
    engine = framer.create_engine(args.engine, **options)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in args.cases.split(","):
            case = make_case(kind.strip(), size, args.num_frames, args.seed)
            result = evaluate(case, engine)
            if args.save is not None:
                save_strip(args.save, case, result)
            results.append(result)
    print(f"engine {args.engine} on {args.device}; {args.num_frames} in-betweens per case; seed {args.seed}")
    print_table(results)
    failed = {r["case"]: misses(r) for r in results if misses(r)}
    print(
        f"\nTargets: adherence <= {TARGET_ADHERENCE} px, PSNR gain >= {TARGET_GAIN} dB (curved), "
        f"bg delta >= -{TARGET_BACKGROUND} dB"
    )
    for name, found in failed.items():
        print(f"  {name}: {'; '.join(found)}")
    print("  all met" if not failed else f"  {len(failed)} of {len(results)} cases miss a target")
    if args.json is not None:

        def plain(value):  # JSON has no inf or nan: write them as strings
            return value if not isinstance(value, float) or math.isfinite(value) else str(value)

        serialisable = [{k: plain(v) for k, v in r.items() if k != "frames"} for r in results]
        args.json.write_text(json.dumps(serialisable, indent=2) + "\n", encoding="utf-8")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
