"""Confidence benchmark: does the flow engine's per-frame confidence rank its frames as their true error does?

For each real set of the shared data (``../shared/data``, see its MANIFEST.md), windows of consecutive frames are
interpolated from their end frames at gaps 2, 4, 6 and 8 (every start that fits); each in-between gets the engine's
confidence (``engine.iter_scored``, as ``framer.iter_interpolate`` yields it) and its PSNR against the true frame.
Per set, pooled over the gaps, the script prints the Spearman rank correlation between confidence and PSNR
(``framer.evaluation.results.spearman``; target >= 0.6 on each set) and the worst set, beside a ceiling for any score
that knows only the gap and t: the Spearman of the PSNRs with the mean PSNR of their (gap, frames to the nearer
keyframe) cell, in-sample on the set itself. Then a case built to fail:
a 300 px pan without autopilot (``framer.synthetic.large_motion``), whose confidence must fall below the default
fallback threshold. Last, the cost of the scoring against the network's time per frame.

Sets: Sintel (frames 0016-0024), RubberWhale (07-14), the Vimeo septuplet (112x64), and nine-frame windows of the
three videos (Big Buck Bunny from frames 8 and 60, carphone from 30, vtest from 100). Frames wider than
``--max-width`` are downscaled first (area), to keep the run short. Three more windows of the videos, disjoint from
those (``bbb-cal`` from 100, ``carphone-cal`` from 80, ``vtest-cal`` from 400), serve only for calibration.

``--fit`` refits :data:`framer.ops.quality.FLOW_ERROR_FIT` on the calibration sets (``--calibration``, default
RubberWhale, the second Big Buck Bunny window and the three calibration windows) and prints the coefficients: least
squares of log MSE on the logs of the two flow signals and of ``t (1 - t)``, the slopes within each set (each set
centred) and the scale from the means over all; the reported correlations use the coefficients in the code.

    python benchmarks/confidence.py                 # every set (about 10 minutes on 2 busy CPU cores)
    python benchmarks/confidence.py --sets sintel   # one set
    python benchmarks/confidence.py --fit           # refit the coefficients on the calibration sets
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import torch

import framer
from framer.evaluation.results import spearman
from framer.io.images import read_image
from framer.ops.pad import unpad
from framer.ops.quality import confidence_from_error, flow_error, flow_signals
from framer.synthetic.large_motion import make_large_motion_case
from framer.video.fallback import DEFAULT_THRESHOLD

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GAPS = (2, 4, 6, 8)
TARGET = 0.6
SETS = ("sintel", "rubberwhale", "vimeo7", "bbb", "bbb2", "carphone", "vtest")
CALIBRATION = ("rubberwhale", "bbb2", "bbb-cal", "carphone-cal", "vtest-cal")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets to run")
    parser.add_argument("--max-width", type=int, default=384, help="downscale wider frames to this width")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    parser.add_argument("--fit", action="store_true", help="refit the flow-error coefficients (see the docstring)")
    parser.add_argument("--calibration", default=",".join(CALIBRATION), help="sets the fit uses")
    return parser.parse_args(argv)


def _shrink(image: np.ndarray, max_width: int) -> np.ndarray:
    height, width = image.shape[:2]
    if width <= max_width:
        return image
    size = (max_width, round(height * max_width / width / 2) * 2)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _video(path: Path, start: int, count: int, max_width: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index >= start + count:
                break
            if index >= start:
                frames.append(_shrink(frame.to_ndarray(format="rgb24"), max_width))
    return frames


def load_set(name: str, max_width: int) -> list[np.ndarray]:
    """The consecutive RGB frames of one set."""
    if name == "sintel":
        return [
            _shrink(read_image(DATA / "sintel_raft_demo" / f"frame_{n:04d}.png"), max_width) for n in range(16, 25)
        ]
    if name == "rubberwhale":
        folder = DATA / "middlebury_rubberwhale"
        return [_shrink(read_image(folder / f"frame{n:02d}.png"), max_width) for n in range(7, 15)]
    if name == "vimeo7":
        return [read_image(DATA / "vimeo_septuplet_lr_tiny" / f"im{n}.png") for n in range(1, 8)]
    videos = {
        "bbb": ("video_bigbuckbunny_audio/bigbuckbunny.mp4", 8),
        "bbb2": ("video_bigbuckbunny_audio/bigbuckbunny.mp4", 60),
        "carphone": ("video_carphone/carphone_pristine.mp4", 30),
        "vtest": ("video_vtest_opencv/vtest.avi", 100),
        "bbb-cal": ("video_bigbuckbunny_audio/bigbuckbunny.mp4", 100),
        "carphone-cal": ("video_carphone/carphone_pristine.mp4", 80),
        "vtest-cal": ("video_vtest_opencv/vtest.avi", 400),
    }
    path, start = videos[name]
    return _video(DATA / path, start, 9, max_width)


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0


def _psnr(frame: torch.Tensor, truth: np.ndarray) -> float:
    mse = float((frame.clamp(0, 1) - _tensor(truth)).square().mean())
    return -10.0 * np.log10(max(mse, 1e-10))


def windows(frames: list[np.ndarray]) -> Iterator[tuple[int, int, list[float]]]:
    """``(start, gap, times)`` of every window that fits, for each gap."""
    for gap in GAPS:
        for start in range(len(frames) - gap):
            yield start, gap, [k / gap for k in range(1, gap)]


def score_set(engine, frames: list[np.ndarray]) -> tuple[list[float], list[float], list[tuple[int, int]]]:
    """Confidence, PSNR and (gap, frames to the nearer keyframe) of every in-between of the set."""
    confidences, psnrs, cells = [], [], []
    for start, gap, times in windows(frames):
        pair = _tensor(frames[start]), _tensor(frames[start + gap])
        for k, scored in enumerate(engine.iter_scored(*pair, times), start=1):
            confidences.append(scored.confidence)
            psnrs.append(_psnr(scored.frame, frames[start + k]))
            cells.append((gap, min(k, gap - k)))
    return confidences, psnrs, cells


def ceiling(psnrs: list[float], cells: list[tuple[int, int]]) -> float:
    """Spearman of the PSNRs with the mean PSNR of their cell: the best a score knowing only the gap and t can do
    (in-sample, so optimistic)."""
    means = {cell: np.mean([p for p, c in zip(psnrs, cells, strict=True) if c == cell]) for cell in set(cells)}
    return spearman([means[cell] for cell in cells], psnrs)


def failing_pan(engine) -> list[float]:
    """Confidences of the in-betweens of a 300 px pan (448x256) interpolated plainly."""
    case = make_large_motion_case("shift", 300, num_frames=3)
    pair = _tensor(case.keyframes[0]), _tensor(case.keyframes[1])
    return [scored.confidence for scored in engine.iter_scored(*pair, case.times.tolist())]


def overhead(engine, frames: list[np.ndarray], repeats: int = 5) -> tuple[float, float]:
    """Seconds per frame of the network and of the scoring, on the first pair of ``frames``."""
    x0, x1 = (engine._to_network(_tensor(image)) for image in frames[:2])
    height, width = frames[0].shape[:2]
    with torch.inference_mode():
        out = engine._net(x0, x1, 0.5)
        start = time.perf_counter()
        for _ in range(repeats):
            out = engine._net(x0, x1, 0.5)
        network = (time.perf_counter() - start) / repeats
        crop = [unpad(x, height, width) for x in (x0, x1, out.flow)]
        start = time.perf_counter()
        for _ in range(repeats):
            confidence_from_error(flow_error(*crop, 0.5))
        scoring = (time.perf_counter() - start) / repeats
    return network, scoring


def fit(engine, names: list[str], max_width: int) -> None:
    """Least squares of log MSE on log disagreement, log change and log t (1 - t) over the calibration sets: the
    slopes with each set centred, the scale from the means over all; prints the fit."""
    features, targets = [], []
    for name in names:
        frames = load_set(name, max_width)
        rows, errors = [], []
        for start, gap, times in windows(frames):
            x0, x1 = (engine._to_network(_tensor(frames[i])) for i in (start, start + gap))
            height, width = frames[0].shape[:2]
            for k, t in enumerate(times, start=1):
                with torch.inference_mode():
                    out = engine._net(x0, x1, t)
                frame = engine._from_network(out.frame, height, width)
                disagreement, change = flow_signals(*(unpad(x, height, width) for x in (x0, x1, out.flow)))
                rows.append([np.log(float(disagreement)), np.log(float(change)), np.log(t * (1 - t))])
                errors.append(np.log(10 ** (-_psnr(frame, frames[start + k]) / 10)))
        features.append(np.array(rows))
        targets.append(np.array(errors))
    centred = np.concatenate([x - x.mean(0) for x in features])
    weights, *_ = np.linalg.lstsq(centred, np.concatenate([y - y.mean() for y in targets]), rcond=None)
    scale = np.concatenate(targets).mean() - np.concatenate(features).mean(0) @ weights
    print(
        f"fit on {', '.join(names)} ({len(centred)} frames): log_scale {scale:.2f}, "
        f"disagreement {weights[0]:.2f}, change {weights[1]:.2f}, position {weights[2]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    if args.fit:
        fit(engine, args.calibration.split(","), args.max_width)
        return 0
    calibration = set(args.calibration.split(","))
    print(f"{'set':<12} {'frames':>6} {'PSNR dB':>15} {'confidence':>13} {'Spearman':>8} {'gap+t ceiling':>16}")
    results = {}
    for name in args.sets.split(","):
        frames = load_set(name, args.max_width)
        confidences, psnrs, cells = score_set(engine, frames)
        results[name] = spearman(confidences, psnrs)
        note = " (calibration)" if name in calibration else ""
        verdict = "ok" if results[name] >= TARGET else "MISSED"
        print(
            f"{name:<12} {len(psnrs):>6} {min(psnrs):>6.2f}-{max(psnrs):<6.2f}  {min(confidences):.2f}-"
            f"{max(confidences):.2f} {results[name]:>9.2f} {verdict:<6} {ceiling(psnrs, cells):>9.2f}{note}"
        )
    worst = min(results, key=results.get)
    held_out = {name: rho for name, rho in results.items() if name not in calibration}
    met = sum(rho >= TARGET for rho in results.values())
    print(f"worst set: {worst} ({results[worst]:.2f}); target >= {TARGET} met on {met} of {len(results)} sets; "
          f"mean over held-out sets {np.mean(list(held_out.values())):.2f}")  # fmt: skip
    pan = failing_pan(engine)
    below = all(c < DEFAULT_THRESHOLD for c in pan)
    print(f"300 px pan without autopilot: confidences {', '.join(f'{c:.3f}' for c in pan)}; default threshold "
          f"{DEFAULT_THRESHOLD}: {'all below (ok)' if below else 'NOT all below'}")  # fmt: skip
    network, scoring = overhead(engine, load_set("sintel", 1024))
    print(f"scoring cost at 1024x436: {scoring * 1000:.1f} ms per frame against {network * 1000:.0f} ms for the "
          f"network ({100 * scoring / network:.1f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
