"""Hardening probe: bad inputs and faults through the `framer` command, each checked for a clean outcome.

Every case runs the CLI in a fresh temporary folder holding small inputs this script makes. A case is **clean** when

- the exit code is the promised one (2 for usage errors, 1 for other errors, 0 where a warning is promised);
- nothing prints a Python traceback, and an error is one line ``framer: error: ...`` (usage errors: click's usage
  text and one ``Error:`` line);
- the inputs are byte-identical afterwards;
- after a failure no output and no partial file or folder is left beside the inputs.

    python benchmarks/probe.py            # all cases; prints one line per case and the count: tried, clean
    python benchmarks/probe.py -k weights # the cases whose name contains "weights"
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FRAMER = [sys.executable, "-m", "framer"]
TIMEOUT = 300


@dataclass
class Case:
    """One probe: CLI arguments (``{dir}`` is the case folder) and the promised outcome.

    ``expect``: ``usage`` (exit 2), ``error`` (exit 1), ``fail`` (either: a missing file is a usage error to click and
    an error to the API; an option value found wrong only once files or FFmpeg are looked at exits 1), ``ok``
    (exit 0) or ``warn`` (exit 0 with ``needle`` in stderr).
    ``needle``: text the output must contain (case-insensitive), e.g. the option a usage error names.
    ``made``: paths (relative) a successful run may create; anything else new is debris.
    ``action``: a custom runner instead of a plain command (faults such as SIGKILL).
    """

    name: str
    args: list[str]
    expect: str
    needle: str = ""
    made: tuple[str, ...] = ()
    action: Callable[[Path, Case], tuple[int, str]] | None = None
    setup: Callable[[Path], None] | None = None
    notes: list[str] = field(default_factory=list)


def _write_png(path: Path, image: np.ndarray) -> None:
    import cv2

    cv2.imwrite(str(path), image)


def _make_inputs(folder: Path) -> None:
    """Small keyframes, a clip, damaged and odd files, trajectory files good and bad."""
    import av
    import cv2

    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), (0, 0), 2)
    _write_png(folder / "a.png", base)
    _write_png(folder / "b.png", np.roll(base, 6, axis=1))
    _write_png(folder / "small.png", base[:48, :64])
    data = (folder / "a.png").read_bytes()
    (folder / "trunc.png").write_bytes(data[: len(data) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("not an image\n")
    (folder / "notes.txt").write_text("hello\n")
    (folder / "adir").mkdir()
    mixed = folder / "mixed"
    mixed.mkdir()
    _write_png(mixed / "f_0001.png", base)
    _write_png(mixed / "f_0002.png", base[:48, :64])
    (folder / "emptydir").mkdir()
    # a 96-frame faststart clip (a key frame every 12) and a copy with the second half of its bytes removed
    with av.open(str(folder / "clip.mp4"), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        stream.codec_context.gop_size = 12
        for index in range(96):
            frame = av.VideoFrame.from_ndarray(np.roll(base, 3 * index, axis=1), format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    clip = (folder / "clip.mp4").read_bytes()
    (folder / "half.mp4").write_bytes(clip[: len(clip) // 2])
    (folder / "text.mp4").write_text("not a video\n")
    # trajectory files
    good = {"version": 1, "width": 128, "height": 96, "trajectories": [{"points": [[20, 20], [40, 30]]}]}
    (folder / "good.json").write_text(json.dumps(good))
    (folder / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "huge_size.json").write_text(json.dumps({**good, "width": 1e30, "height": 1e30}))
    many = {**good, "trajectories": [{"points": [[10, 10], [12, 12]]}] * 20_000}
    (folder / "many.json").write_text(json.dumps(many))
    (folder / "big.json").write_text(json.dumps({**good, "pad": "x" * (17 * 2**20)}))
    (folder / "version.json").write_text(json.dumps({**good, "version": 99}))
    (folder / "broken.json").write_text("{ not json")
    other = {**good, "width": 400, "height": 100}
    (folder / "aspect.json").write_text(json.dumps(other))


def _damaged_weights(folder: Path) -> None:
    from framer.registry import default_model
    from framer.weights import fetch_weights

    entry = default_model("flow")
    data = bytearray(fetch_weights(entry.weights, entry.name).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(255 - b for b in data[middle : middle + 4096])
    (folder / "damaged.pkl").write_bytes(bytes(data))


def _kill_during_tween(folder: Path, case: Case) -> tuple[int, str]:
    """SIGKILL while the in-betweens are written, then a rerun: exit 0, no partial output left behind."""
    args = [*FRAMER, "tween", "a.png", "b.png", "-n", "40", "--resize", "384x288", "-o", "frames", "--threads", "1"]
    process = subprocess.Popen(args, cwd=folder, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        partials = [p for p in folder.iterdir() if "partial" in p.name]
        if any(any(p.iterdir()) for p in partials if p.is_dir()):
            break
        time.sleep(0.05)
    if process.poll() is not None:
        return -2, "DEBRIS: the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    rerun = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT)
    return rerun.returncode, rerun.stderr


def _tmpfs_case(size: str, args: list[str]) -> Callable[[Path, Case], tuple[int, str]]:
    """Run ``args`` with the output on a small tmpfs (root only): a full disk."""

    def run(folder: Path, case: Case) -> tuple[int, str]:
        mount = folder / "full"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)]).returncode:
            case.notes.append("skipped: mounting a tmpfs needs root")
            return -1, ""
        try:
            done = subprocess.run([*FRAMER, *args], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT)
            left = sorted(p.name for p in mount.iterdir())
            if left:
                case.notes.append(f"left on the full disk: {left}")
            return done.returncode, done.stderr + ("\nDEBRIS" if left else "")
        finally:
            subprocess.run(["umount", str(mount)])
            mount.rmdir()

    return run


def cases() -> list[Case]:
    t = ["tween", "a.png", "b.png"]
    v = ["video", "clip.mp4"]
    return [
        # tween: options
        Case("tween -n 0", [*t, "-n", "0", "-o", "o/"], "usage", "num-frames"),
        Case("tween -n -1", [*t, "-n", "-1", "-o", "o/"], "usage", "num-frames"),
        Case("tween -n abc", [*t, "-n", "abc", "-o", "o/"], "usage", "num-frames"),
        Case("tween -n 100000 without --yes", [*t, "-n", "100000", "-o", "o/"], "usage", "--yes"),
        Case("tween --times 0,1.5", [*t, "--times", "0.5,1.5", "-o", "o/"], "usage", "1.5"),
        Case("tween --times 0", [*t, "--times", "0", "-o", "o/"], "usage", "--times"),
        Case("tween --times repeated", [*t, "--times", "0.5,0.5", "-o", "o/"], "usage", "--times"),
        Case("tween --times unsorted", [*t, "--times", "0.7,0.3", "-o", "o/"], "usage", "--times"),
        Case("tween --times empty", [*t, "--times", "", "-o", "o/"], "usage", "--times"),
        Case("tween --times with -n", [*t, "--times", "0.5", "-n", "3", "-o", "o/"], "usage", "--times"),
        Case("tween --device gpu", [*t, "--device", "gpu", "-o", "o/"], "usage", "--device"),
        Case("tween --resize 100", [*t, "--resize", "100", "-o", "o/"], "usage", "--resize"),
        Case("tween --resize 0x10", [*t, "--resize", "0x10", "-o", "o/"], "usage", "--resize"),
        Case("tween --resize 99999999x10", [*t, "--resize", "99999999x10", "-o", "o/"], "usage", "--resize"),
        Case("tween --fps 0", [*t, "--fps", "0", "-o", "o.mp4"], "usage", "--fps"),
        Case("tween --fps -24", [*t, "--fps", "-24", "-o", "o.mp4"], "usage", "--fps"),
        Case("tween --fps nan", [*t, "--fps", "nan", "-o", "o.mp4"], "usage", "--fps"),
        Case("tween --timing bogus", [*t, "--timing", "bogus", "-o", "o/"], "usage", "--timing"),
        Case("tween --flow-scale 0.3", [*t, "--flow-scale", "0.3", "-o", "o/"], "usage", "--flow-scale"),
        Case("tween --threads 0", [*t, "--threads", "0", "-o", "o/"], "usage", "--threads"),
        Case("tween --engine bogus", [*t, "--engine", "bogus", "-o", "o/"], "usage", "bogus"),
        Case("tween --model bogus", [*t, "--model", "bogus", "-o", "o/"], "usage", "bogus"),
        Case("tween one keyframe", ["tween", "a.png", "-o", "o/"], "usage", "keyframe"),
        # tween: keyframes
        Case("tween missing keyframe", ["tween", "a.png", "nope.png", "-o", "o/"], "fail", "nope.png"),
        Case("tween keyframe is a folder", ["tween", "a.png", "adir", "-o", "o/"], "error", "adir"),
        Case("tween empty keyframe", ["tween", "a.png", "empty.png", "-o", "o/"], "error", "empty.png"),
        Case("tween truncated keyframe", ["tween", "a.png", "trunc.png", "-o", "o/"], "error", "trunc.png"),
        Case("tween text as keyframe", ["tween", "a.png", "text.png", "-o", "o/"], "error", "text.png"),
        Case("tween /dev/zero as keyframe", ["tween", "a.png", "/dev/zero", "-o", "o/"], "error", "/dev/zero"),
        Case("tween sizes differ", ["tween", "a.png", "small.png", "-o", "o/"], "error", "--resize"),
        # tween: outputs
        Case("tween -o ''", [*t, "-o", ""], "fail", "output"),
        Case("tween -o .", [*t, "-o", "."], "fail", "output"),
        Case(
            "tween -o existing folder",
            [*t, "-n", "1", "-o", "prev"],
            "error",
            "--overwrite",
            setup=lambda d: shutil.copytree(d / "mixed", d / "prev"),
        ),
        Case("tween -o unknown suffix", [*t, "-o", "o.xyz"], "fail", ".xyz"),
        Case("tween -o over an input", [*t, "-n", "1", "-o", "a.png", "--overwrite"], "error", "a.png"),
        Case("tween -o read-only fs", [*t, "-n", "1", "-o", "/proc/framer-probe.mp4"], "error", "/proc"),
        Case(
            "tween --overwrite foreign files",
            [*t, "-n", "1", "-o", "adir", "--overwrite"],
            "error",
            "keep.txt",
            setup=lambda d: (d / "adir" / "keep.txt").write_text("mine"),
        ),
        # tween: weights
        Case("tween --weights text.png", [*t, "--weights", "text.png", "-o", "o/"], "error", "text.png"),
        Case("tween --weights missing", [*t, "--weights", "nope.pth", "-o", "o/"], "fail", "nope.pth"),
        Case(
            "tween --weights damaged",
            [*t, "-n", "1", "--weights", "damaged.pkl", "-o", "o/"],
            "warn",
            "sha-256",
            made=("o",),
            setup=_damaged_weights,
        ),
        Case(
            "tween --weights damaged --strict-weights",
            [*t, "-n", "1", "--weights", "damaged.pkl", "--strict-weights", "-o", "o/"],
            "error",
            "sha-256",
            setup=_damaged_weights,
        ),
        # tween: drags and trajectory files
        Case("tween --drag abc", [*t, "--drag", "abc", "-o", "o/"], "usage", "--drag"),
        Case("tween --drag one point", [*t, "--drag", "10,10", "-o", "o/"], "usage", "--drag"),
        Case("tween --drag equal points", [*t, "--drag", "10,10:10,10", "-o", "o/"], "ok", made=("o",)),
        Case("tween --drag outside", [*t, "--drag", "1000,1000:5,5", "-o", "o/"], "error", "outside"),
        Case("tween --trajectories missing", [*t, "--trajectories", "nope.json", "-o", "o/"], "fail", "nope.json"),
        Case("tween --trajectories not json", [*t, "--trajectories", "broken.json", "-o", "o/"], "error", "broken"),
        Case("tween --trajectories nested", [*t, "--trajectories", "nested.json", "-o", "o/"], "error", "nested"),
        Case("tween --trajectories 1e30 size", [*t, "--trajectories", "huge_size.json", "-o", "o/"], "error", "width"),
        Case("tween --trajectories 20000", [*t, "--trajectories", "many.json", "-o", "o/"], "error", "100"),
        Case("tween --trajectories 17 MiB", [*t, "--trajectories", "big.json", "-o", "o/"], "error", "big.json"),
        Case(
            "tween --trajectories version 99", [*t, "--trajectories", "version.json", "-o", "o/"], "error", "version"
        ),
        Case(
            "tween --trajectories other aspect",
            [*t, "--trajectories", "aspect.json", "-o", "o/"],
            "error",
            "--rescale-trajectories",
        ),
        Case("tween --overlay alone", [*t, "--overlay", "-o", "o/"], "usage", "--overlay"),
        Case("tween killed then rerun", [], "ok", made=("frames",), action=_kill_during_tween),
        Case(
            "tween PNGs to a full disk",
            [],
            "error",
            "disk is full",
            action=_tmpfs_case("200k", [*t, "-n", "30", "--threads", "1", "-o", "full/frames"]),
        ),
        Case(
            "tween MP4 to a full disk",
            [],
            "error",
            "disk is full",
            action=_tmpfs_case("8k", [*t, "-n", "30", "--resize", "384x288", "--threads", "1", "-o", "full/o.mp4"]),
        ),
        # video
        Case("video missing input", ["video", "nope.mp4", "--multi", "2", "-o", "o.mp4"], "fail", "nope.mp4"),
        Case("video text as input", ["video", "text.mp4", "--multi", "2", "-o", "o.mp4"], "error", "text.mp4"),
        Case("video still image", ["video", "a.png", "--multi", "2", "-o", "o.mp4"], "fail", "still"),
        Case("video empty folder", ["video", "emptydir", "--multi", "2", "-o", "o/"], "error", "emptydir"),
        Case("video mixed sizes", ["video", "mixed", "--multi", "2", "-o", "o/"], "error", "size"),
        Case("video --multi 0", [*v, "--multi", "0", "-o", "o.mp4"], "usage", "--multi"),
        Case("video --multi 1.5", [*v, "--multi", "1.5", "-o", "o.mp4"], "usage", "--multi"),
        Case("video --fps 0", [*v, "--fps", "0", "-o", "o.mp4"], "usage", "--fps"),
        Case("video --slowmo 0", [*v, "--slowmo", "0", "-o", "o.mp4"], "usage", "--slowmo"),
        Case("video --crf 100", [*v, "--multi", "2", "--crf", "100", "-o", "o.mp4"], "usage", "--crf"),
        Case(
            "video --scene-threshold 2",
            [*v, "--multi", "2", "--scene-threshold", "2", "-o", "o.mp4"],
            "usage",
            "--scene-threshold",
        ),
        Case("video --codec bogus", [*v, "--multi", "2", "--codec", "bogus", "-o", "o.mp4"], "fail", "--codec"),
        Case(
            "video --drag-frames 5:2",
            [*v, "--multi", "2", "--drag", "10,10:20,20", "--drag-frames", "5:2", "-o", "o.mp4"],
            "fail",
            "--drag-frames",
        ),
        Case(
            "video -o existing",
            [*v, "--multi", "2", "-o", "clip2.mp4"],
            "error",
            "--overwrite",
            setup=lambda d: shutil.copy(d / "clip.mp4", d / "clip2.mp4"),
        ),
        Case("video -o over the input", [*v, "--multi", "2", "-o", "clip.mp4", "--overwrite"], "error", "clip.mp4"),
        Case(
            "video cut-off input",
            ["video", "half.mp4", "--multi", "2", "--threads", "1", "-o", "o.mp4"],
            "warn",
            "missing",
            made=("o.mp4",),
        ),
        Case(
            "video cut-off input --strict",
            ["video", "half.mp4", "--multi", "2", "--strict", "-o", "o.mp4"],
            "error",
            "missing",
        ),
        # match, eval, serve, weights
        Case("match -o m.png", ["match", "a.png", "b.png", "-o", "m.png"], "usage", ".json"),
        Case("match --count 0", ["match", "a.png", "b.png", "--count", "0", "-o", "m.json"], "usage", "--count"),
        Case(
            "match --count 100000",
            ["match", "a.png", "b.png", "--count", "100000", "-o", "m.json"],
            "usage",
            "--count",
        ),
        Case("match missing image", ["match", "a.png", "nope.png", "-o", "m.json"], "fail", "nope.png"),
        Case("eval missing folder", ["eval", "--protocol", "triplet", "nope", "-o", "report"], "fail", "nope"),
        Case("eval empty folder", ["eval", "--protocol", "triplet", "emptydir", "-o", "report"], "error", "emptydir"),
        Case("serve --port 99999", ["serve", "--port", "99999"], "usage", "--port"),
        Case("weights fetch bogus", ["weights", "fetch", "bogus"], "usage", "bogus"),
    ]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _judge(case: Case, code: int, output: str, before: dict, folder: Path, inputs: set[str]) -> list[str]:
    """What was not clean about one run (empty: clean)."""
    problems = []
    wanted = {"usage": (2,), "error": (1,), "fail": (1, 2), "ok": (0,), "warn": (0,)}[case.expect]
    if code not in wanted:
        problems.append(f"exit {code}, promised {' or '.join(map(str, wanted))}")
    if "Traceback" in output:
        problems.append("traceback")
    if case.needle and case.needle.lower() not in output.lower():
        problems.append(f"message lacks {case.needle!r}")
    if case.expect in ("error", "fail") and code == 1:
        errors = [line for line in output.splitlines() if line.startswith("framer: error:")]
        if len(errors) != 1:
            problems.append(f"{len(errors)} 'framer: error:' lines")
    if "DEBRIS" in output:
        problems.append("debris on the full disk")
    after = _digest(folder)
    changed = [name for name, digest in before.items() if after.get(name) != digest and not name.startswith(case.made)]
    if changed:
        problems.append(f"inputs changed: {changed[:3]}")
    new = {path.name for path in folder.iterdir()} - inputs - set(case.made)
    if new:
        problems.append(f"left behind: {sorted(new)[:3]}")
    return problems


def run_case(case: Case, template: Path) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="framer-probe-") as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(template, folder)
        if case.setup is not None:
            case.setup(folder)
        inputs = {path.name for path in folder.iterdir()}
        before = _digest(folder)
        if case.action is not None:
            code, output = case.action(folder, case)
            if code == -1:
                return True, "; ".join(case.notes)
        else:
            env = {**os.environ, "CI": "true"}
            done = subprocess.run(
                [*FRAMER, *case.args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
            code, output = done.returncode, done.stdout + done.stderr
        problems = _judge(case, code, output, before, folder, inputs)
        last = next((line for line in reversed(output.strip().splitlines()) if line.strip()), "")
        detail = "; ".join(problems + case.notes) if problems or case.notes else last[:150]
        return not problems, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="run only the cases whose name contains this text")
    args = parser.parse_args()
    chosen = [case for case in cases() if args.k.lower() in case.name.lower()]
    with tempfile.TemporaryDirectory(prefix="framer-probe-inputs-") as tmp:
        template = Path(tmp)
        _make_inputs(template)
        clean = 0
        for case in chosen:
            ok, detail = run_case(case, template)
            clean += ok
            print(f"{'clean' if ok else 'FAIL '}  {case.name:<44} {detail}", flush=True)
    print(f"\n{len(chosen)} tried, {clean} clean, {len(chosen) - clean} not clean")
    sys.exit(0 if clean == len(chosen) else 1)


if __name__ == "__main__":
    main()
