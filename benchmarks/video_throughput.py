"""Video mode benchmarks: throughput against upstream Practical-RIFE, memory against video length, tiles.

Three checks, each printing a small table (and ``--json PATH`` writes the numbers):

``throughput``: end to end, video in -> video out, as a user runs it: ``framer video CLIP --multi N -o OUT``
against upstream's ``inference_video.py --video CLIP --multi N --output OUT --scale 1`` (a Practical-RIFE checkout
given with ``--practical-rife``, run by ``--upstream-python``; benchmarks/README-video.md says how to build both).
The clip is made first from ``--clip`` (default: the shared Big Buck Bunny clip, 1280x720 at 25 fps with AAC
audio): its first ``--seconds`` scaled to ``--size`` (default 2 s at 854x480), audio copied. The two sides run
alternately, each first in every other repeat, each in its own process with the same number of PyTorch threads
(``--threads``, default 2; upstream through ``OMP_NUM_THREADS``). Wall time includes model loading, decoding,
encoding and putting the audio back; peak RSS is the process's ``ru_maxrss``; CPU seconds are user + system time
(children included). Output frames are counted by decoding the output. Each run also records how much of the
machine's CPU time other processes took meanwhile (``others``): on a shared machine that moves the wall time by
several times, so the ratio is printed over all runs (medians, and the median of each repeat's ratio) and over the
quiet runs alone (others under 5%). ``--drop-repeats`` leaves out the source's repeated frames, which framer copies
instead of interpolating and upstream's static-frame branch spends two model calls on (on the default 2 s both
sides then make 47 model calls).

``memory``: peak RSS of ``framer.video.interpolate_video`` on clips of several lengths (default 10 s and 60 s of
1280x720 at 24 fps, made from the Big Buck Bunny frames of the shared data, played forwards and backwards so there
is no cut), each in a fresh process. The default engine is a linear blend (the flow model's memory per frame pair
does not depend on the video's length, and its 60 s clip takes about 17 minutes on 2 CPUs); ``--engine flow`` runs
the real model. Beside the peak RSS it prints the most bytes the C allocator had in use at once (glibc's
``mallinfo2``, sampled every 2 ms; blank elsewhere): RSS also counts memory the allocator holds between live
blocks, whose amount moves from run to run with where the tensors happen to land, while the bytes in use show
whether live memory grows with the length.

``tiles``: the Big Buck Bunny triplet (frames 10, 14, 18) scaled to ``--size`` (default 1920x1080): frame 14 from
10 and 18 by the flow engine on whole frames and in tiles (``--tile``, ``--overlap``); PSNR of each against the
true frame 14, PSNR between them, and the seam ratio (:func:`framer.engines.tiling.seam_ratio`) at the tile edges,
next to that of a hard stitch of the same tiles (each pixel from the tile whose centre is nearest) at its joins.

    python benchmarks/video_throughput.py throughput --repeats 5 --practical-rife /tmp/upstream/Practical-RIFE \
        --upstream-python /tmp/upstream/venv/bin/python
    python benchmarks/video_throughput.py memory --seconds 10,60
    python benchmarks/video_throughput.py tiles --size 1920x1080 --tile 512 --overlap 128
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import machine_description

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BBB = DATA / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4"
TRIPLET = [
    DATA / "bbb_cartoon_triplet" / name for name in ("im1_frame010.png", "im2_frame014.png", "im3_frame018.png")
]
MIB = 2**20


def _count_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@dataclass(frozen=True)
class _Run:
    """One measured process: wall and CPU seconds, exit code, peak RSS bytes, CPU share other processes took."""

    wall: float
    code: int
    rss: int
    cpu: float
    others: float | None


def _busy_seconds() -> float | None:
    """CPU seconds all processes of the machine have used since boot (Linux ``/proc/stat``), else None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _, _, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _run_measured(command: list[str], cwd: Path | None = None, env: dict | None = None) -> _Run:
    """Run ``command`` and measure it.

    CPU seconds are user + system time of the process and the children it waited for (upstream's ffmpeg runs).
    ``others`` is the share of the machine's CPU time that went to other processes meanwhile: how contended the
    run was. Its stderr goes to a file, not a pipe: a chatty child (tqdm, ffmpeg) would fill a pipe nobody reads.
    """
    with tempfile.TemporaryFile() as log:
        busy = _busy_seconds()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        busy_after = _busy_seconds()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            log.seek(0)
            text = log.read().decode(errors="replace")[-2000:]
            print(f"{' '.join(command)} failed ({code}):\n{text}", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    others = None
    if busy is not None and busy_after is not None:
        others = max(0.0, busy_after - busy - cpu) / (wall * (os.cpu_count() or 1))
    return _Run(wall, code, usage.ru_maxrss * 1024, cpu, others)


# --- throughput ---------------------------------------------------------------------------------------------------

# Mean absolute difference (of 255) under which a decoded frame repeats the one before: the Big Buck Bunny clip's
# pulldown repeats differ from their originals by 0.06-0.07 after H.264 coding, its other neighbours by more.
_REPEAT_MEAN_DIFFERENCE = 0.5


def _repeats(image: np.ndarray, previous: np.ndarray) -> bool:
    """Whether ``(H, W, 3)`` uint8 ``image`` repeats ``previous``: mean absolute difference under the threshold."""
    return float(np.abs(image.astype(np.int16) - previous).mean()) < _REPEAT_MEAN_DIFFERENCE


def _make_clip(
    source: Path, path: Path, size: tuple[int, int] | None, seconds: float | None, drop_repeats: bool = False
) -> None:
    """The first ``seconds`` of ``source`` scaled to ``size`` (x264 CRF 18, same timestamps), its audio copied.

    ``drop_repeats``: leave out frames that repeat the one before (a pulldown's repeats) and time the rest evenly at
    the source's frame rate, so that no gap between frames can be skipped as a repeat.
    """
    import av
    import cv2

    with av.open(str(source)) as inp, av.open(str(path), mode="w") as out:
        video_in = inp.streams.video[0]
        audio_in = inp.streams.audio[0] if inp.streams.audio else None
        width, height = size or (video_in.width, video_in.height)
        video = out.add_stream("libx264", rate=video_in.average_rate)
        video.width, video.height, video.pix_fmt, video.time_base = width, height, "yuv420p", video_in.time_base
        video.options = {"crf": "18"}
        audio = out.add_stream_from_template(audio_in) if audio_in is not None else None
        previous, kept = None, 0
        for packet in inp.demux(*[s for s in (video_in, audio_in) if s is not None]):
            if packet.pts is None or (seconds is not None and packet.pts * packet.time_base >= seconds):
                continue
            if packet.stream is audio_in:
                packet.stream = audio
                out.mux(packet)
                continue
            for frame in packet.decode():
                image = frame.to_ndarray(format="rgb24")
                if drop_repeats and previous is not None and _repeats(image, previous):
                    continue
                previous = image
                if (width, height) != (image.shape[1], image.shape[0]):
                    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
                scaled = av.VideoFrame.from_ndarray(image, format="rgb24")
                scaled.time_base = frame.time_base
                scaled.pts = round(kept / video_in.average_rate / frame.time_base) if drop_repeats else frame.pts
                kept += 1
                out.mux(video.encode(scaled))
        out.mux(video.encode())


def _describe(clip: Path) -> str:
    """``854x480, 25 fps, 50 frames, audio aac``."""
    import av

    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        audio = f", audio {container.streams.audio[0].codec_context.name}" if container.streams.audio else ""
    return f"{video.width}x{video.height}, {float(video.average_rate):g} fps, {frames} frames{audio}"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _framer_command(clip: Path, out: Path, args: argparse.Namespace, threads: int) -> list[str]:
    video = ["video", str(clip), "--multi", str(args.multi), "-o", str(out), "-q"]
    flow = [part for option in ("backend", "precision") for part in _given(option, getattr(args, option, None))]
    return [sys.executable, "-m", "framer", *video, "--device", args.device, "--threads", str(threads), *flow]


def _given(option: str, value: str | None) -> list[str]:
    return [] if value is None else [f"--{option}", value]


def _upstream_command(clip: Path, out: Path, args: argparse.Namespace) -> list[str]:
    script = ["inference_video.py", "--video", str(clip), "--multi", str(args.multi), "--output", str(out)]
    return [args.upstream_python or sys.executable, *script, "--scale", "1"]


# A run during which other processes took less than this share of the machine's CPU time counts as quiet.
_QUIET = 0.05


def _is_quiet(row: dict) -> bool:
    return row["others"] is not None and row["others"] < _QUIET


def _print_throughput(rows: list[dict], sides: list[str]) -> dict:
    """The table, each side's medians, and their ratios; returns the summary numbers."""
    print(
        f"{'side':<16}{'repeat':>7}{'wall s':>9}{'frames':>8}{'frames/s':>10}{'CPU s':>8}{'others':>8}{'RSS MiB':>9}"
    )
    for row in rows:
        others = "-" if row["others"] is None else f"{row['others']:.0%}"
        print(f"{row['side']:<16}{row['repeat']:>7}{row['wall_s']:>9.1f}{row['frames']:>8}{row['fps']:>10.3f}"
              f"{row['cpu_s']:>8.1f}{others:>8}{row['rss'] / MIB:>9.0f}")  # fmt: skip
    print("(others: share of the machine's CPU time taken by other processes during the run)")
    fps = {side: [r["fps"] for r in rows if r["side"] == side] for side in sides}
    cpu = {side: [r["cpu_s"] / r["frames"] for r in rows if r["side"] == side and r["frames"]] for side in sides}
    summary: dict = {}
    for side in sides:
        low, high, middle = min(fps[side]), max(fps[side]), _median(fps[side])
        spread = (high - low) / middle
        print(f"{side:<16}median {middle:.3f} frames/s (min {low:.3f}, max {high:.3f}, spread {spread:.0%}); "
              f"median {_median(cpu[side]):.2f} CPU s per frame")  # fmt: skip
        summary[side] = {"fps_median": middle, "cpu_s_per_frame_median": _median(cpu[side])}
    if len(sides) == 2:
        ours, theirs = sides
        pairs = [a / b for a, b in zip(fps[ours], fps[theirs], strict=True)]
        ratio = _median(fps[ours]) / _median(fps[theirs])
        best = max(fps[ours]) / max(fps[theirs])
        cpu_ratio = _median(cpu[theirs]) / _median(cpu[ours])
        each = ", ".join(f"{p:.3f}" for p in pairs)
        print(f"ratio ours/upstream, frames/s: {ratio:.3f} (medians); {_median(pairs):.3f} (median of the repeats: "
              f"{each}); {best:.3f} (best runs)")  # fmt: skip
        print(f"ratio upstream/ours, CPU s per frame: {cpu_ratio:.3f} (medians)")
        summary |= {"ratio": ratio, "ratio_per_repeat": pairs, "ratio_best": best, "cpu_ratio": cpu_ratio}
        quiet = {side: [r["fps"] for r in rows if r["side"] == side and _is_quiet(r)] for side in sides}
        if quiet[ours] and quiet[theirs]:
            quiet_ratio = _median(quiet[ours]) / _median(quiet[theirs])
            medians = f"{_median(quiet[ours]):.3f} and {_median(quiet[theirs]):.3f} frames/s"
            counts = f"{len(quiet[ours])} + {len(quiet[theirs])}"
            print(f"runs with others under {_QUIET:.0%}: {counts}, medians {medians}, ratio {quiet_ratio:.3f}")
            summary["ratio_quiet"] = quiet_ratio
        else:
            print(f"no run of each side had others under {_QUIET:.0%}: the machine was busy throughout")
    else:
        print("(upstream not run: pass --practical-rife CHECKOUT)")
    return summary


def throughput(args: argparse.Namespace) -> dict:
    """framer and upstream alternately on the same clip, each side first in every other repeat."""
    threads = args.threads or 2
    # Both sides get the same number of threads for PyTorch's intra-op pool (upstream sets none itself).
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    checkout = Path(args.practical_rife).expanduser().resolve() if args.practical_rife else None
    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
    sides = [("framer", None)] + ([("Practical-RIFE", checkout)] if checkout else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="framer-bench-") as folder:
        clip = Path(folder) / "clip.mp4"
        _make_clip(Path(args.clip).resolve(), clip, size, args.seconds or None, args.drop_repeats)
        clip_text = _describe(clip)
        print(f"clip: {clip_text}; --multi {args.multi}; {threads} threads each", flush=True)
        for repeat in range(args.repeats):
            for side, cwd in sides if repeat % 2 == 0 else sides[::-1]:
                out = Path(folder) / f"{side}_{repeat}.mp4"
                command = (
                    _framer_command(clip, out, args, threads) if cwd is None else _upstream_command(clip, out, args)
                )
                run = _run_measured(command, cwd=cwd, env=env)
                frames = _count_frames(out) if run.code == 0 else 0
                row = {"side": side, "repeat": repeat, "wall_s": run.wall, "frames": frames, "fps": frames / run.wall}
                rows.append(row | {"cpu_s": run.cpu, "others": run.others, "rss": run.rss})
                print(f"  repeat {repeat} {side}: {run.wall:.1f} s", flush=True)
    summary = _print_throughput(rows, [side for side, _ in sides])
    return {"clip": clip_text, "source": str(args.clip), "drop_repeats": args.drop_repeats, "multi": args.multi,
            "threads": threads, **summary, "rows": rows}  # fmt: skip


# --- memory -------------------------------------------------------------------------------------------------------

_MEMORY_CHILD = r"""
import ctypes, json, sys, threading, time, torch
from pathlib import Path
from framer.engines.base import Engine
from framer.video import interpolate_video

class Blend(Engine):
    name = "blend"
    device = torch.device("cpu")
    def iter_frames(self, frame0, frame1, times, tracks=None):
        for t in times:
            yield (1 - t) * frame0 + t * frame1

class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]

in_use = [None]
def sample():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
    except (OSError, AttributeError):
        return
    while True:
        info = libc.mallinfo2()
        in_use[0] = max(in_use[0] or 0, info.uordblks + info.hblkhd)
        time.sleep(0.002)

threading.Thread(target=sample, daemon=True).start()
clip, out, engine = sys.argv[1], sys.argv[2], sys.argv[3]
result = interpolate_video(clip, out, multi=2, engine=Blend() if engine == "blend" else engine)
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
print(json.dumps({"frames": result.num_frames, "peak": peak, "in_use": in_use[0]}))
"""


def _make_long_clip(path: Path, seconds: int, size: tuple[int, int]) -> None:
    """``seconds`` of video at 24 fps from the Big Buck Bunny frames, forwards then backwards (no cuts)."""
    import av

    with av.open(str(BBB)) as source:
        frames = [frame.to_ndarray(format="rgb24") for frame in source.decode(video=0)]
    if (frames[0].shape[1], frames[0].shape[0]) != size:
        import cv2

        frames = [cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames]
    cycle = frames + frames[-2:0:-1]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        for index in range(seconds * 24):
            for packet in stream.encode(av.VideoFrame.from_ndarray(cycle[index % len(cycle)], format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def memory(args: argparse.Namespace) -> dict:
    width, height = (int(v) for v in args.size.lower().split("x"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="framer-bench-") as folder:
        for seconds in (int(s) for s in args.seconds.split(",")):
            clip = Path(folder) / f"clip_{seconds}s.mp4"
            _make_long_clip(clip, seconds, (width, height))
            out = Path(folder) / f"out_{seconds}s.mp4"
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD, str(clip), str(out), args.engine],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(done.stderr[-2000:])
            report = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"seconds": seconds, "frames": report["frames"], "peak": report["peak"],
                         "in_use": report["in_use"], "wall_s": time.perf_counter() - start})  # fmt: skip
    print(f"{'clip':>8}{'output frames':>15}{'peak RSS MiB':>14}{'in use MiB':>12}{'wall s':>9}")
    for row in rows:
        in_use = "" if row["in_use"] is None else f"{row['in_use'] / MIB:.1f}"
        print(f"{row['seconds']:>7}s{row['frames']:>15}{row['peak'] / MIB:>14.1f}{in_use:>12}{row['wall_s']:>9.1f}")
    print(f"growth from shortest to longest: {(rows[-1]['peak'] - rows[0]['peak']) / MIB:+.1f} MiB peak RSS", end="")
    if rows[0]["in_use"] is not None:
        print(f", {(rows[-1]['in_use'] - rows[0]['in_use']) / MIB:+.1f} MiB in use", end="")
    print()
    return {"size": args.size, "engine": args.engine, "rows": rows}


# --- tiles --------------------------------------------------------------------------------------------------------


def _hard_stitch(engine, frame0, frame1, boxes, height: int, width: int):
    """Each pixel from the tile whose centre is nearest (no blending); returns the image and its join lines."""
    import torch

    centres = torch.tensor([(top + h / 2, left + w / 2) for top, left, h, w in boxes])
    ys, xs = torch.meshgrid(torch.arange(height) + 0.5, torch.arange(width) + 0.5, indexing="ij")
    distance = (ys[None] - centres[:, 0, None, None]).abs().maximum((xs[None] - centres[:, 1, None, None]).abs())
    owner = distance.argmin(0)
    out = torch.zeros_like(frame0)
    for index, (top, left, h, w) in enumerate(boxes):
        tile = next(
            engine.iter_frames(
                frame0[..., top : top + h, left : left + w], frame1[..., top : top + h, left : left + w], [0.5]
            )
        )
        mask = owner[top : top + h, left : left + w] == index
        out[..., top : top + h, left : left + w] = torch.where(mask, tile, out[..., top : top + h, left : left + w])
    columns = sorted({int(c) for c in torch.nonzero(owner[:, 1:] != owner[:, :-1])[:, 1] + 1})
    rows = sorted({int(r) for r in torch.nonzero(owner[1:] != owner[:-1])[:, 0] + 1})
    return out, columns, rows


def tiles(args: argparse.Namespace) -> dict:
    import cv2

    import framer
    from framer.engines.tiling import iter_tiled, seam_ratio, tile_boxes, tile_edges
    from framer.io.images import ImageFormat, read_image
    from framer.io.tensors import image_to_tensor

    width, height = (int(v) for v in args.size.lower().split("x"))
    images = [cv2.resize(read_image(p), (width, height), interpolation=cv2.INTER_CUBIC) for p in TRIPLET]
    fmt = ImageFormat(channels=3, bit_depth=8)
    frame0, truth, frame1 = (image_to_tensor(image, fmt) for image in images)
    engine = framer.create_engine("flow", device=args.device, **({"threads": args.threads} if args.threads else {}))

    def as_image(x):
        return (x[0].clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round()

    def psnr(a, b):
        return float(10 * np.log10(255**2 / np.mean((a - b) ** 2)))

    start = time.perf_counter()
    whole = as_image(next(engine.iter_frames(frame0, frame1, [0.5])))
    whole_s = time.perf_counter() - start
    start = time.perf_counter()
    tiled = as_image(next(iter_tiled(engine, frame0, frame1, [0.5], args.tile, args.overlap)))
    tiled_s = time.perf_counter() - start
    boxes = tile_boxes(height, width, args.tile, args.overlap)
    stitched, joins_x, joins_y = _hard_stitch(engine, frame0, frame1, boxes, height, width)
    stitched = as_image(stitched)
    target = truth[0].permute(1, 2, 0).numpy() * 255
    result = {
        "size": args.size, "tile": args.tile, "overlap": args.overlap, "tiles": len(boxes),
        "psnr_whole": psnr(whole, target), "psnr_tiled": psnr(tiled, target), "psnr_stitched": psnr(stitched, target),
        "psnr_tiled_vs_whole": psnr(tiled, whole),
        "seam_tiled_at_edges": seam_ratio(tiled, whole, *tile_edges(boxes, height, width)),
        "seam_tiled_at_joins": seam_ratio(tiled, whole, joins_x, joins_y),
        "seam_stitched_at_joins": seam_ratio(stitched, whole, joins_x, joins_y),
        "whole_s": whole_s, "tiled_s": tiled_s,
    }  # fmt: skip
    for key, value in result.items():
        print(f"{key:<24}{value:.3f}" if isinstance(value, float) else f"{key:<24}{value}")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, image in (("whole", whole), ("tiled", tiled), ("stitched", stitched), ("truth", target)):
            cv2.imwrite(str(args.save / f"{name}.png"), cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_RGB2BGR))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="PyTorch CPU threads [throughput: 2 each side]")
    parser.add_argument("--backend", default=None, help="framer's flow backend (framer video --backend) [auto]")
    parser.add_argument("--precision", default=None, help="framer's flow precision, fp32 or bf16 [fp32]")
    commands = parser.add_subparsers(dest="check", required=True)
    one = commands.add_parser("throughput", help="framer video vs upstream inference_video.py")
    one.add_argument("--clip", default=str(BBB), help="source video [default: the shared Big Buck Bunny clip]")
    one.add_argument("--size", default="854x480", help="scale the source to WxH first ('' keeps its size)")
    one.add_argument("--seconds", type=float, default=2.0, help="keep the first S seconds (0: all of it)")
    one.add_argument("--drop-repeats", action="store_true", help="leave out frames that repeat the one before")
    one.add_argument("--multi", type=int, default=2)
    one.add_argument("--repeats", type=int, default=3)
    one.add_argument("--practical-rife", default=None, help="Practical-RIFE checkout with the v4.25 train_log")
    one.add_argument("--upstream-python", default=None, help="Python to run upstream with [default: this one]")
    two = commands.add_parser("memory", help="peak memory against video length")
    two.add_argument("--seconds", default="10,60")
    two.add_argument("--size", default="1280x720")
    two.add_argument("--engine", default="blend", choices=("blend", "flow"))
    three = commands.add_parser("tiles", help="tiled against whole-frame interpolation")
    three.add_argument("--size", default="1920x1080")
    three.add_argument("--tile", type=int, default=512)
    three.add_argument("--overlap", type=int, default=128)
    three.add_argument("--save", type=Path, default=None, help="write the frames as PNGs into this folder")
    args = parser.parse_args()
    print(machine_description())
    result = {"throughput": throughput, "memory": memory, "tiles": tiles}[args.check](args)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_description(), **result}, indent=2, default=str))


if __name__ == "__main__":
    main()
