"""Video mode benchmarks: throughput against upstream Practical-RIFE, memory against video length, tiles.

Three checks, each printing a small table (and ``--json PATH`` writes the numbers):

``throughput``: end to end, video in -> video out, as a user runs it: ``framer video CLIP --multi N -o OUT``
against upstream's ``inference_video.py --video CLIP --multi N --output OUT`` (a Practical-RIFE checkout given with
``--practical-rife``; its ``train_log`` must hold the v4.25 ``RIFE_HDv3.py``, ``IFNet_HDv3.py`` and
``flownet.pkl``, and its Python needs scikit-video with an ``ffmpeg`` binary). Each side runs in its own process;
wall time includes model loading, decoding and encoding; peak RSS is that process's ``ru_maxrss``. Output frames
are counted by decoding the output.

``memory``: peak RSS of ``framer.video.interpolate_video`` on clips of several lengths (default 10 s and 60 s of
1280x720 at 24 fps, made from the Big Buck Bunny frames of the shared data, played forwards and backwards so there
is no cut), each in a fresh process. The default engine is a linear blend (the flow model's memory per frame pair
does not depend on the video's length, and its CPU time would make a 60 s clip take an hour); ``--engine flow``
runs the real model.

``tiles``: the Big Buck Bunny triplet (frames 10, 14, 18) scaled to ``--size`` (default 1920x1080): frame 14 from
10 and 18 by the flow engine on whole frames and in tiles (``--tile``, ``--overlap``); PSNR of each against the
true frame 14, PSNR between them, and the seam ratio (:func:`framer.video.tiling.seam_ratio`) at the tile edges,
next to that of a hard stitch of the same tiles (each pixel from the tile whose centre is nearest) at its joins.

    python benchmarks/video_throughput.py throughput --clip CLIP.mp4 --multi 2 --practical-rife ~/Practical-RIFE
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
from pathlib import Path

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


def _run_measured(command: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """Run ``command``; returns (wall seconds, exit code, peak RSS bytes of that process)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"{' '.join(command)} failed ({code}):\n{stderr[-2000:]}", file=sys.stderr)
    return wall, code, usage.ru_maxrss * 1024


# --- throughput ---------------------------------------------------------------------------------------------------


def throughput(args: argparse.Namespace) -> dict:
    clip = Path(args.clip).resolve()
    rows = []
    with tempfile.TemporaryDirectory(prefix="framer-bench-") as folder:
        for repeat in range(args.repeats):
            out = Path(folder) / f"framer_{repeat}.mp4"
            command = [sys.executable, "-m", "framer", "video", str(clip), "--multi", str(args.multi), "-o", str(out)]
            command += ["-q", "--device", args.device] + (["--threads", str(args.threads)] if args.threads else [])
            wall, code, rss = _run_measured(command)
            rows.append(("framer", wall, _count_frames(out) if code == 0 else 0, rss))
            if args.practical_rife:
                checkout = Path(args.practical_rife).expanduser().resolve()
                out = Path(folder) / f"upstream_{repeat}.mp4"
                script = ["inference_video.py", "--video", str(clip), "--multi", str(args.multi), "--output", str(out)]
                wall, code, rss = _run_measured([args.upstream_python or sys.executable, *script], cwd=checkout)
                rows.append(("Practical-RIFE", wall, _count_frames(out) if code == 0 else 0, rss))
    print(f"{'side':<16}{'wall s':>9}{'frames':>8}{'frames/s':>10}{'peak RSS MiB':>14}")
    for side, wall, frames, rss in rows:
        print(f"{side:<16}{wall:>9.1f}{frames:>8}{frames / wall:>10.2f}{rss / MIB:>14.0f}")
    if not args.practical_rife:
        print("(upstream not run: pass --practical-rife CHECKOUT)")
    return {
        "clip": str(clip),
        "multi": args.multi,
        "rows": [dict(zip(("side", "wall_s", "frames", "rss"), r, strict=True)) for r in rows],
    }


# --- memory -------------------------------------------------------------------------------------------------------

_MEMORY_CHILD = r"""
import json, sys, torch
from pathlib import Path
from framer.engines.base import Engine
from framer.video import interpolate_video

class Blend(Engine):
    name = "blend"
    device = torch.device("cpu")
    def iter_frames(self, frame0, frame1, times, tracks=None):
        for t in times:
            yield (1 - t) * frame0 + t * frame1

clip, out, engine = sys.argv[1], sys.argv[2], sys.argv[3]
result = interpolate_video(clip, out, multi=2, engine=Blend() if engine == "blend" else engine)
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
print(json.dumps({"frames": result.num_frames, "peak": peak}))
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
                         "wall_s": time.perf_counter() - start})  # fmt: skip
    print(f"{'clip':>8}{'output frames':>15}{'peak RSS MiB':>14}{'wall s':>9}")
    for row in rows:
        print(f"{row['seconds']:>7}s{row['frames']:>15}{row['peak'] / MIB:>14.1f}{row['wall_s']:>9.1f}")
    print(f"growth from shortest to longest: {(rows[-1]['peak'] - rows[0]['peak']) / MIB:+.1f} MiB")
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
    import numpy as np

    import framer
    from framer.api import frames_to_tensor
    from framer.io.images import ImageFormat, read_image
    from framer.video.tiling import iter_tiled, seam_ratio, tile_boxes, tile_edges

    width, height = (int(v) for v in args.size.lower().split("x"))
    images = [cv2.resize(read_image(p), (width, height), interpolation=cv2.INTER_CUBIC) for p in TRIPLET]
    fmt = ImageFormat(channels=3, bit_depth=8)
    frame0, truth, frame1 = (frames_to_tensor(image, fmt) for image in images)
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
    parser.add_argument("--threads", type=int, default=None)
    commands = parser.add_subparsers(dest="check", required=True)
    one = commands.add_parser("throughput", help="framer video vs upstream inference_video.py")
    one.add_argument("--clip", default=str(BBB), help="input video [default: the shared Big Buck Bunny clip]")
    one.add_argument("--multi", type=int, default=2)
    one.add_argument("--repeats", type=int, default=1)
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
