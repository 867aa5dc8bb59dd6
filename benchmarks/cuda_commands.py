"""Every command on CUDA beside the CPU: each run on both devices, outputs compared frame by frame.

A user with a GPU passes ``--device cuda`` to any command; this checks that each one runs there and gives the CPU's
frames (PSNR of the CUDA output against the CPU output, per frame; PNG outputs are compared as written, videos as
decoded, so the encoder's own response to one-level differences shows in the video rows). Inputs are the samples in
``examples/`` and two made here: line art from ``benchmarks/applications_cartoon.py`` (its ``fast`` case) and a clip
tweened from ``examples/runner`` (so nothing from ``../shared`` is needed and the script runs on a bare GPU machine).

    python benchmarks/cuda_commands.py                       # needs: gpu
    python benchmarks/cuda_commands.py --weights rife.pkl    # a local copy of the RIFE weights (no network)
    python benchmarks/cuda_commands.py --devices cpu         # the commands alone, on the CPU
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def commands(inputs: Path, out: Path) -> dict[str, list[str]]:
    """Name -> framer arguments writing under ``out``."""
    street, drag = EXAMPLES / "street", EXAMPLES / "drag"
    toon, clip = inputs / "toon", str(inputs / "clip.mp4")
    pair = [str(street / "i0.png"), str(street / "i1.png")]
    return {
        "tween": ["tween", *pair, "-n", "7", "-o", f"{out}/tween/"],
        "tween-4k": ["tween", *pair, "--resize", "3840x2160", "-n", "1", "-o", f"{out}/tween-4k/"],
        "autopilot": ["tween", f"{drag}/turn0.png", f"{drag}/turn1.png", "-n", "3", "--autopilot", "-o",
                      f"{out}/autopilot/"],
        "drag": ["tween", f"{drag}/hop0.png", f"{drag}/hop1.png", "-n", "7", "--drag", "38,184:128,144:218,184", "-o",
                 f"{out}/drag/"],
        "cartoon": ["cartoon", f"{toon}/k0.png", f"{toon}/k1.png", "-n", "3", "-o", f"{out}/cartoon/"],
        "views": ["views", *pair, "-n", "4", "-o", f"{out}/views/"],
        "morph": ["morph", f"{EXAMPLES}/morph/astronaut.png", f"{EXAMPLES}/morph/chelsea.png", "--trajectories",
                  f"{EXAMPLES}/morph/points.json", "-n", "6", "-o", f"{out}/morph/"],
        "timelapse": ["timelapse", str(EXAMPLES / "runner"), "--multi", "3", "--stabilize", "-o", f"{out}/timelapse/"],
        "loop": ["loop", clip, "-o", f"{out}/loop.mp4"],
        "video": ["video", clip, "--multi", "2", "--cartoon", "-o", f"{out}/video.mp4"],
        "video-autopilot": ["video", clip, "--multi", "2", "--autopilot", "-o", f"{out}/video-autopilot.mp4"],
    }  # fmt: skip


def make_inputs(folder: Path, weights: list[str]) -> None:
    """The line-art pair and the clip (module docstring)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from applications_cartoon import make_line_art_case

    (folder / "toon").mkdir(parents=True)
    for index, image in enumerate(make_line_art_case("fast", times=(0.5,)).keyframes):
        cv2.imwrite(str(folder / "toon" / f"k{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    runner = [str(EXAMPLES / "runner" / f"im{i}.png") for i in (1, 2, 3)]
    framer(["tween", *runner, "-n", "23", "--fps", "24", "-o", str(folder / "clip.mp4"), *weights], check=True)


def framer(arguments: list[str], check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "framer", *arguments], capture_output=True, text=True, check=check)


def frames(path: Path) -> list[np.ndarray]:
    """The frames a command wrote, RGB: a folder's PNGs in order, or a video decoded (framer's own readers)."""
    from framer import open_video, read_image

    if path.is_dir():
        return [read_image(p) for p in sorted(path.glob("*.png"))]
    if not path.exists():
        return []
    with open_video(path) as video:
        return [frame.image for frame in video]


def main() -> int:
    from framer.synthetic import psnr

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated; the first is the reference")
    parser.add_argument("--weights", default=None, help="a local RIFE weights file for every command")
    parser.add_argument("--commands", default="", help="comma-separated names of the commands to run (default: all)")
    args = parser.parse_args()
    devices = args.devices.split(",")
    weights = ["--weights", args.weights] if args.weights else []
    wanted = set(filter(None, args.commands.split(",")))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        make_inputs(scratch / "inputs", weights)
        outputs = {}
        names = [name for name in commands(scratch / "inputs", scratch) if not wanted or name in wanted]
        for device in devices:
            for name, arguments in commands(scratch / "inputs", scratch / device).items():
                if name not in names:
                    continue
                start = time.perf_counter()
                done = framer([*arguments, "--device", device, "--overwrite", *weights])
                seconds = time.perf_counter() - start
                last = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
                print(f"{name:16s} {device:5s} exit {done.returncode} {seconds:6.1f} s  {last[0][:110]}", flush=True)
                outputs[name, device] = frames(Path(arguments[arguments.index("-o") + 1]))
        reference, others = devices[0], devices[1:]
        for device in others:
            print(f"{device} against {reference}: PSNR per frame (min / mean), largest difference in levels, pixels "
                  "more than 10 levels apart (all frames)")  # fmt: skip
            for name in names:
                a, b = outputs[name, reference], outputs[name, device]
                if not a or len(a) != len(b):
                    print(f"  {name:16s} frames {len(a)} and {len(b)}: not comparable")
                    continue
                db = [psnr([x], [y]) for x, y in zip(a, b, strict=True)]  # inf where equal
                apart = [np.abs(x.astype(np.int16) - y).max(axis=-1) for x, y in zip(a, b, strict=True)]
                largest, far = max(int(d.max()) for d in apart), sum(int((d > 10).sum()) for d in apart)
                summary = f"{min(db):6.2f} / {np.mean(db):6.2f} dB  {largest:3d}  {far:6d}"
                print(f"  {name:16s} {len(a):3d} frames  {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
