"""Autopilot benchmark: plain flow interpolation against the autopilot, per case and per set (PSNR, dB).

Sets (``--sets``, comma-separated):

1. **Real footage** (``sintel``, ``rubberwhale``, ``vimeo7``, ``triplets``, ``videos``): every case this script can
   build from the shared data (``--data``, see its MANIFEST.md). Sequences give windows at gaps 2, 4, 6 and 8
   source frames (keyframes ``gap`` frames apart, the frames between as ground truth; gap 6 is the Framer paper's
   7-frame window with frames 0 and 6 as keyframes): Sintel (``sintel_raft_demo``, 9 frames, 1024x436),
   RubberWhale (8 frames, 584x388), the Vimeo septuplet (7 frames, 112x64); the triplets (Vimeo eggs and runner,
   and the Big Buck Bunny triplet, 4 source frames each side, downscaled); the videos' frames (carphone, Big Buck
   Bunny, vtest), downscaled so the longer side is at most ``--max-side`` (default 640), with at most
   ``--windows`` windows per video and gap (default 2), spread over the first 120 frames (``--video-frames``; 0: the
   whole video, for windows the defaults never use). ``--quick`` takes one window per source and gap (sequences
   too), the 128 and 256 px synthetic cases and two mixed ones, 3 in-betweens.
   Target per set: mean autopilot >= mean plain - 0.05 dB, and no single frame more than 0.3 dB worse.
2. **Synthetic camera motion** (``synthetic``, :mod:`framer.synthetic.large_motion`): shift, rotation and zoom of
   128, 192 and 256 px, 448x256. Target: autopilot >= plain + 10 dB on every case.
3. **Mixed motion** (``mixed``, :mod:`framer.synthetic.mixed`): a textured object crossing a background the
   camera pans the other way, 448x256. Also run with today's global pre-alignment (``AutopilotConfig(method=
   "global")``). Target: autopilot >= plain + 3 dB and >= global + 1 dB on every case.

How each case runs: the keyframes go through the guide the API uses (``framer.guidance.Guide`` with the autopilot
settings) and the engine (``FlowEngine.iter_frames``, frames quantized to 8 bits as when written). When the guide
decides to interpolate plainly the engine is called exactly as for plain interpolation, so the plain frames are
reused. PSNR is per frame (RGB, peak 1); a case's figure is the mean over its frames; a set's is the mean over its
frames; ``worst`` is the lowest single-frame difference autopilot - plain. ``decision`` is the guide's.

    python benchmarks/autopilot.py --threads 1                 # everything (about 40 CPU-minutes on a busy machine)
    python benchmarks/autopilot.py --quick --threads 1         # the subset (about 5 minutes)
    python benchmarks/autopilot.py --sets mixed,synthetic      # chosen sets
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import torch

import framer
from framer.guidance import Guide
from framer.io.images import read_image
from framer.io.tensors import image_to_tensor
from framer.matching import AutopilotConfig
from framer.metrics import psnr
from framer.synthetic.large_motion import MOTIONS, make_large_motion_case
from framer.synthetic.mixed import make_mixed_case

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_SETS = ("sintel", "rubberwhale", "vimeo7", "triplets", "videos")
SETS = (*REAL_SETS, "synthetic", "mixed")
GAPS = (2, 4, 6, 8)
VIDEOS = (
    ("video_carphone", "carphone_pristine.mp4"),
    ("video_bigbuckbunny_audio", "bigbuckbunny.mp4"),
    ("video_vtest_opencv", "vtest.avi"),
)
VIDEO_FRAMES = 120  # windows are taken from the first this many frames of each video
MIXED = ((0, 96), (64, 128), (96, 160), (128, 200))

REAL_MEAN_LOSS = 0.05  # dB
REAL_FRAME_LOSS = 0.3  # dB
SYNTHETIC_GAIN = 10.0  # dB
MIXED_GAIN_PLAIN = 3.0  # dB
MIXED_GAIN_GLOBAL = 1.0  # dB


@dataclass
class Case:
    """Keyframes ``(H, W, 3)`` uint8, the times between them and the true frames there."""

    set: str
    name: str
    keyframes: tuple[np.ndarray, np.ndarray]
    times: list[float]
    truth: list[np.ndarray]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset: fewer windows and cases (see the docstring)")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated sets from {', '.join(SETS)}")
    parser.add_argument("--windows", type=int, default=None, help="windows per video and gap (default 2, quick 1)")
    parser.add_argument(
        "--video-frames",
        type=int,
        default=VIDEO_FRAMES,
        help=f"spread video windows over this many first frames "
        f"(default {VIDEO_FRAMES}; 0: the whole video, for windows the defaults never used)",
    )
    parser.add_argument("--max-side", type=int, default=640, help="downscale video frames to this longer side")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared test data folder")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the engine")
    parser.add_argument("--json", type=Path, default=None, help="write the per-case results as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    args = parser.parse_args(argv)
    sets = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        parser.error(f"--sets: unknown set(s) {', '.join(unknown)}; choose from {', '.join(SETS)}.")
    if args.windows is not None and args.windows < 1:
        parser.error("--windows must be at least 1.")
    args.sets = sets
    args.windows = args.windows or (1 if args.quick else 2)
    return args


def _spread(count: int, limit: int) -> list[int]:
    """At most ``limit`` of ``range(count)``, evenly spread, first and last included."""
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)}) if limit > 1 else [0]


def _windows(set_name: str, source: str, frames: list[np.ndarray], limit: int | None) -> Iterator[Case]:
    """Keyframes ``gap`` frames apart with the frames between as truth, for each gap that fits."""
    for gap in GAPS:
        count = len(frames) - gap
        if count < 1:
            continue
        for start in _spread(count, limit) if limit else range(count):
            yield Case(
                set_name,
                f"{source} gap {gap} @{start}",
                (frames[start], frames[start + gap]),
                [k / gap for k in range(1, gap)],
                frames[start + 1 : start + gap],
            )


def _downscale(image: np.ndarray, max_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return np.ascontiguousarray(image[..., :3])
    size = (max(2, round(width * scale)), max(2, round(height * scale)))
    return cv2.resize(np.ascontiguousarray(image[..., :3]), size, interpolation=cv2.INTER_AREA)


def _video_frames(path: Path, count: int, max_side: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(_downscale(frame.to_ndarray(format="rgb24"), max_side))
            if len(frames) == count:  # 0: never
                break
    return frames


def real_cases(
    name: str, data: Path, quick: bool, windows: int, max_side: int, video_frames: int = VIDEO_FRAMES
) -> list[Case]:
    """The cases of one real set."""
    if name == "sintel":
        frames = [read_image(data / "sintel_raft_demo" / f"frame_{n:04d}.png")[..., :3] for n in range(16, 25)]
        return list(_windows(name, "sintel", frames, windows if quick else None))
    if name == "rubberwhale":
        frames = [read_image(data / "middlebury_rubberwhale" / f"frame{n:02d}.png")[..., :3] for n in range(7, 15)]
        return list(_windows(name, "rubberwhale", frames, windows if quick else None))
    if name == "vimeo7":
        frames = [read_image(data / "vimeo_septuplet_lr_tiny" / f"im{n}.png")[..., :3] for n in range(1, 8)]
        return list(_windows(name, "vimeo septuplet", frames, windows if quick else None))
    if name == "triplets":
        cases = []
        for folder, files, scale in (
            ("vimeo_triplet_eggs", ("im1.png", "im2.png", "im3.png"), 10_000),
            ("vimeo_triplet_runner", ("im1.png", "im2.png", "im3.png"), 10_000),
            ("bbb_cartoon_triplet", ("im1_frame010.png", "im2_frame014.png", "im3_frame018.png"), max_side),
        ):
            first, middle, last = (_downscale(read_image(data / folder / f), scale) for f in files)
            cases.append(Case(name, folder, (first, last), [0.5], [middle]))
        return cases
    cases = []
    for folder, file in VIDEOS:
        frames = _video_frames(data / folder / file, video_frames, max_side)
        cases.extend(_windows(name, folder.removeprefix("video_"), frames, windows))
    return cases


def synthetic_cases(quick: bool) -> list[Case]:
    magnitudes = (128, 256) if quick else (128, 192, 256)
    num_frames = 3 if quick else 7
    cases = []
    for motion in MOTIONS:
        for magnitude in magnitudes:
            case = make_large_motion_case(motion, magnitude, num_frames=num_frames)
            cases.append(Case("synthetic", case.name, tuple(case.keyframes), list(case.times), list(case.frames)))
    return cases


def mixed_cases(quick: bool) -> list[Case]:
    cases = []
    for pan, motion in MIXED[1:3] if quick else MIXED:
        case = make_mixed_case(pan, motion, num_frames=3 if quick else 7)
        cases.append(Case("mixed", case.name, tuple(case.keyframes), list(case.times), list(case.frames)))
    return cases


class Runner:
    """Plain and autopilot (and optionally today's global pre-alignment) frames of cases, scored."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.auto = Guide(engine, autopilot=AutopilotConfig())
        self.global_ = Guide(engine, autopilot=AutopilotConfig(method="global"))

    def _frames(self, frame0, frame1, times, options) -> list[torch.Tensor]:
        return [(f.clamp(0, 1) * 255).round() / 255 for f in self.engine.iter_frames(frame0, frame1, times, **options)]

    def run(self, case: Case, with_global: bool) -> dict:
        image0, image1 = case.keyframes
        frame0, frame1 = image_to_tensor(image0), image_to_tensor(image1)
        truth = [image_to_tensor(t).double() for t in case.truth]

        def score(frames: list[torch.Tensor]) -> list[float]:
            return [float(psnr(f.double(), t)[0]) for f, t in zip(frames, truth, strict=True)]

        start = time.perf_counter()
        plain = score(self._frames(frame0, frame1, case.times, {}))
        middle = time.perf_counter()
        plan = self.auto.plan(image0, image1, frame0, frame1, case.times)
        options = plan.engine_options()
        auto = score(self._frames(frame0, frame1, case.times, options)) if options else plain
        end = time.perf_counter()
        result = {
            "set": case.set,
            "case": case.name,
            "decision": plan.decision,
            "plain": plain,
            "auto": auto,
            "seconds_plain": middle - start,
            "seconds_auto": end - middle,
        }
        if with_global:
            plan_global = self.global_.plan(image0, image1, frame0, frame1, case.times)
            options = plan_global.engine_options()
            result["global"] = score(self._frames(frame0, frame1, case.times, options)) if options else plain
        return result


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


def print_case(r: dict) -> None:
    delta = np.subtract(r["auto"], r["plain"])
    extra = f" {_mean(r['global']):>7.2f}" if "global" in r else ""
    print(
        f"  {r['case']:<34} {_mean(r['plain']):>7.2f} {_mean(r['auto']):>7.2f} {delta.mean():>+7.2f} "
        f"{delta.min():>+7.2f}{extra}  {r['decision']:<16} {r['seconds_plain']:>5.1f} {r['seconds_auto']:>5.1f}",
        flush=True,
    )


def print_header(title: str, with_global: bool) -> None:
    extra = f" {'global':>7}" if with_global else ""
    print(
        f"\n{title}\n  {'case':<34} {'plain':>7} {'auto':>7} {'gain':>7} {'worst':>7}{extra}  {'decision':<16} "
        f"{'s pl.':>5} {'s au.':>5}",
        flush=True,
    )


def summarize(rows: list[dict]) -> dict:
    """Per-set means over frames and the worst single-frame difference."""
    plain = [p for r in rows for p in r["plain"]]
    auto = [a for r in rows for a in r["auto"]]
    summary = {
        "cases": len(rows),
        "frames": len(plain),
        "aligned": sum(r["decision"] in ("align", "align-layers") for r in rows),
        "plain": _mean(plain),
        "auto": _mean(auto),
        "gain": _mean(auto) - _mean(plain),
        "worst_frame": float(np.min(np.subtract(auto, plain))),
        "smallest_case_gain": float(min(_mean(r["auto"]) - _mean(r["plain"]) for r in rows)),
    }
    if all("global" in r for r in rows):
        summary["global"] = _mean([g for r in rows for g in r["global"]])
        summary["smallest_gain_over_global"] = float(min(_mean(r["auto"]) - _mean(r["global"]) for r in rows))
    return summary


def print_summary(name: str, s: dict) -> None:
    extra = f", global {s['global']:.2f}" if "global" in s else ""
    print(
        f"  = {name}: {s['cases']} cases, {s['frames']} frames, pre-aligned {s['aligned']}; mean plain "
        f"{s['plain']:.2f}, autopilot {s['auto']:.2f} ({s['gain']:+.3f} dB){extra}; worst frame "
        f"{s['worst_frame']:+.2f} dB; smallest case gain {s['smallest_case_gain']:+.2f} dB",
        flush=True,
    )


def verdicts(summaries: dict[str, dict]) -> list[tuple[str, bool]]:
    found = []
    for name, s in summaries.items():
        if name in REAL_SETS:
            found.append(
                (
                    f"{name}: mean {s['gain']:+.3f} dB >= -{REAL_MEAN_LOSS:g}, worst frame {s['worst_frame']:+.2f} "
                    f"dB >= -{REAL_FRAME_LOSS:g}",
                    s["gain"] >= -REAL_MEAN_LOSS and s["worst_frame"] >= -REAL_FRAME_LOSS,
                )
            )
        elif name == "synthetic":
            found.append(
                (
                    f"synthetic: smallest case gain {s['smallest_case_gain']:+.2f} dB >= +{SYNTHETIC_GAIN:g}",
                    s["smallest_case_gain"] >= SYNTHETIC_GAIN,
                )
            )
        elif name == "mixed":
            found.append(
                (
                    f"mixed: smallest case gain {s['smallest_case_gain']:+.2f} dB >= +{MIXED_GAIN_PLAIN:g} over "
                    f"plain, {s['smallest_gain_over_global']:+.2f} dB >= +{MIXED_GAIN_GLOBAL:g} over global",
                    s["smallest_case_gain"] >= MIXED_GAIN_PLAIN
                    and s["smallest_gain_over_global"] >= MIXED_GAIN_GLOBAL,
                )
            )
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    engine = framer.create_engine("flow", device=args.device, threads=args.threads)
    runner = Runner(engine)
    results, summaries = [], {}
    started = time.perf_counter()
    for name in args.sets:
        if name in REAL_SETS:
            cases = real_cases(name, args.data, args.quick, args.windows, args.max_side, args.video_frames)
        else:
            cases = synthetic_cases(args.quick) if name == "synthetic" else mixed_cases(args.quick)
        with_global = name == "mixed"
        print_header(f"{name} ({len(cases)} cases)", with_global)
        rows = []
        for case in cases:
            row = runner.run(case, with_global)
            print_case(row)
            rows.append(row)
        summaries[name] = summarize(rows)
        print_summary(name, summaries[name])
        results.extend(rows)
    print(f"\nTargets ({time.perf_counter() - started:.0f} s in all):")
    found = verdicts(summaries)
    for text, met in found:
        print(f"  [{'met' if met else 'MISSED'}] {text}")
    if args.json:
        args.json.write_text(json.dumps({"cases": results, "sets": summaries}, indent=2) + "\n")
    return 1 if args.check and not all(met for _, met in found) else 0


if __name__ == "__main__":
    sys.exit(main())
