"""`framer batch` on the shared real clips: split/join exactness, faults, scale-out, memory.

The clips: carphone (176x144, 4 s, the file as it is); and, re-encoded (x264 crf 0) from the shared files, vtest's
first 40 frames at 384x288, Big Buck Bunny's first 2 s at 320x180 with its AAC audio copied, and a clip with a scene
cut (20 carphone frames, then 20 Big Buck Bunny frames, both 176x144); ``exact`` adds one with two cuts
(``cuts``: 20 carphone, 30 Big Buck Bunny, 22 vtest frames), placed away from a 3-way split's even points. The
engine is the real flow engine (RIFE v4.25), ``--multi 2``, segments of 0.25 s so every clip has several.

``exact``: per clip, the single-process run (``framer.interpolate_video``, PyTorch on 1 thread) against a batch of 2
local worker processes (1 thread each) with the clip in 3 parts: identical decoded frames and timestamps, audio.
``faults``: a pool worker SIGKILLed once its first segment is written (the batch completes; output identical), a
corrupt input among the good ones (reported, the rest finish), and the batch run in a child process, killed (driver
and workers, SIGKILL) after 3 segments and run again (finished segments counted and not recomputed).
``decode``: per clip (the four, and vtest.avi as it is: 795 frames, 768x576, MS-MPEG4) in 3 parts, run in turn in
this process with a linear-blend stand-in engine (decoding does not depend on the engine): the source frames each
part decodes when it starts from its timeline checkpoint and when it replays the video before it (the timeline
removed), the timeline pass's own, the seconds, and both outputs against the single-process run.
``scale``: the 4-clip batch on a local Ray cluster of 1 and of 2 CPUs, and through the process pool with 1 and 2
workers: output frames per second, and each worker's peak RSS. ``memory``: the driver's RSS growth with 100 and
1,000 queued tiny inputs (32x32, 8 frames). The machine is shared with other jobs: times are noisy.

    python benchmarks/batch.py exact [--clips cut,cuts]
    python benchmarks/batch.py faults
    python benchmarks/batch.py decode
    python benchmarks/batch.py scale [--threads 1]
    python benchmarks/batch.py memory
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import psutil

from framer.batch import EngineSpec, run_batch
from framer.video.state import state_dir_for

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CARPHONE = DATA / "video_carphone" / "carphone_pristine.mp4"
VTEST = DATA / "video_vtest_opencv" / "vtest.avi"
BUNNY = DATA / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4"
VIDEO = {"multi": 2, "segment_seconds": Fraction(1, 4)}
FLOW = EngineSpec("flow", {"device": "cpu"})


def _frames(path: Path, count: int, size: tuple[int, int] | None) -> tuple[list[np.ndarray], Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate)
        images = []
        for frame in container.decode(stream):
            image = frame.to_ndarray(format="rgb24")
            images.append(image if size is None else cv2.resize(image, size, interpolation=cv2.INTER_AREA))
            if len(images) == count:
                break
    return images, rate


def _encode(path: Path, images: list[np.ndarray], rate: Fraction, audio_from: Path | None = None) -> Path:
    """Lossless H.264 of ``images`` at ``rate``; with ``audio_from``, its audio packets over the same time copied."""
    end = Fraction(len(images)) / rate
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.height, video.width = images[0].shape[:2]
        video.pix_fmt, video.options = "yuv420p", {"crf": "0"}
        source = av.open(str(audio_from)) if audio_from else None
        audio = out.add_stream_from_template(source.streams.audio[0]) if source else None
        for image in images:
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if source:
            for packet in source.demux(source.streams.audio[0]):
                if packet.pts is None or packet.pts * packet.time_base >= end:
                    continue
                packet.stream = audio
                out.mux(packet)
            source.close()
    return path


def make_clips(folder: Path) -> dict[str, Path]:
    vtest, vtest_rate = _frames(VTEST, 40, (384, 288))
    bunny, bunny_rate = _frames(BUNNY, 50, (320, 180))
    phone, phone_rate = _frames(CARPHONE, 20, None)
    bunny_small, _ = _frames(BUNNY, 20, (176, 144))
    return {
        "carphone": CARPHONE,
        "vtest": _encode(folder / "vtest.mp4", vtest, vtest_rate),
        "bigbuckbunny": _encode(folder / "bigbuckbunny.mp4", bunny, bunny_rate, audio_from=BUNNY),
        "cut": _encode(folder / "cut.mp4", phone + bunny_small, phone_rate),
    }


def _decode(path: Path) -> tuple[list[Fraction], list[np.ndarray], bytes]:
    times, images, audio = [], [], b""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            times.append(frame.pts * Fraction(frame.time_base))
            images.append(frame.to_ndarray(format="rgb24"))
        if container.streams.audio:
            container.seek(0)
            audio = b"".join(bytes(packet) for packet in container.demux(audio=0) if packet.size)
    return times, images, audio


def compare(single: Path, batch: Path) -> str:
    times_a, images_a, audio_a = _decode(single)
    times_b, images_b, audio_b = _decode(batch)
    same = len(images_a) == len(images_b) and all(map(np.array_equal, images_a, images_b))
    pairs = zip(images_a, images_b, strict=False)
    diff = max((int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in pairs), default=0)
    audio = f"audio bytes identical {audio_a == audio_b} ({len(audio_a)} B)"
    return (f"frames {len(images_a)}/{len(images_b)}, pixels identical {same} (max diff {diff}), timestamps "
            f"identical {times_a == times_b}, {audio}")  # fmt: skip


def _single(source: Path, output: Path) -> float:
    import torch

    from framer.engines import create_engine
    from framer.video import interpolate_video

    torch.set_num_threads(1)
    start = time.monotonic()
    interpolate_video(source, output, engine=create_engine("flow", device="cpu"), **VIDEO)
    return time.monotonic() - start


def _peaks(report) -> str:
    return ", ".join(f"{value / 2**20:.0f}" for value in sorted(report.worker_peak_rss.values())) + " MiB"


def _two_cuts(folder: Path) -> Path:
    """20 carphone, 30 Big Buck Bunny and 22 vtest frames (176x144): cuts away from a 3-way split's even points."""
    phone, rate = _frames(CARPHONE, 20, None)
    bunny, _ = _frames(BUNNY, 30, (176, 144))
    vtest, _ = _frames(VTEST, 22, (176, 144))
    return _encode(folder / "cuts.mp4", phone + bunny + vtest, rate)


def exact(folder: Path, only: str | None = None) -> None:
    clips = {**make_clips(folder), "cuts": _two_cuts(folder)}
    for name, clip in clips.items():
        if only and name not in only.split(","):
            continue
        seconds = _single(clip, folder / f"single_{name}.mp4")
        report = run_batch([str(clip)], folder / "batch", video=VIDEO, engine=FLOW, workers=2, parts=3, threads=1)
        record = report.inputs[0]
        assert record.status == "done", record.error
        same = compare(folder / f"single_{name}.mp4", Path(record.output))
        print(f"{name}: {record.parts} parts, {record.cuts} cuts ({record.split_at_cuts} part bounds there), "
              f"2 workers: {same}; single {seconds:.1f} s, batch {report.seconds:.1f} s "
              f"(join {record.join_seconds:.1f} s); worker peak RSS {_peaks(report)}")  # fmt: skip


def _blend_engine():
    """The linear blend of the two frames: a stand-in engine for counting decoded frames."""
    import torch

    from framer.engines import Capabilities, Engine

    class Blend(Engine):
        name = "blend"
        capabilities = Capabilities(tiles=True)
        device = torch.device("cpu")

        def iter_frames(self, frame0, frame1, times):
            for t in times:
                yield (1 - t) * frame0 + t * frame1

        def memory_needed(self, height: int, width: int) -> int:
            return 0

    return Blend()


class _Counter:
    """Counts the frames decoded to RGB by framer's video reader (the frames dropped after a seek are not)."""

    def __init__(self) -> None:
        from framer.video.reader import VideoReader

        self.count, original = 0, VideoReader._to_rgb

        def counting(reader, frame):
            self.count += 1
            return original(reader, frame)

        VideoReader._to_rgb = counting

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _parts_run(source: Path, output: Path, engine, counter: _Counter, timeline: bool) -> tuple[list[int], float]:
    """The parts of ``source`` in 3, in turn, then the join: frames each decoded (the timeline pass first when
    ``timeline``), and the seconds in all."""
    from framer.batch import split_segments
    from framer.video import interpolate_video
    from framer.video.parts import VideoPart, segment_length

    start = time.monotonic()
    walked = interpolate_video(source, output, engine=engine, timeline=True, **VIDEO)
    counts = [counter.take()]
    segments = -(-walked.num_frames // segment_length(VIDEO["segment_seconds"], walked.frame_rate))
    if not timeline:  # as before: every part replays the video before it
        (state_dir_for(output) / "timeline.npz").unlink()
        counts = []
        start = time.monotonic()
    for part in split_segments(segments, 3):
        interpolate_video(source, output, engine=engine, part=VideoPart(*part), **VIDEO)
        counts.append(counter.take())
    interpolate_video(source, output, engine=engine, resume=True, **VIDEO)
    counts.append(counter.take())
    return counts, time.monotonic() - start


def decode(folder: Path) -> None:
    from framer.video import interpolate_video

    engine, counter = _blend_engine(), _Counter()
    clips = {**make_clips(folder), "vtest-768x576": VTEST}
    for name, clip in clips.items():
        start = time.monotonic()
        single = folder / f"single_{name}.mp4"
        interpolate_video(clip, single, engine=engine, **VIDEO)
        full, seconds = counter.take(), time.monotonic() - start
        new, new_seconds = _parts_run(clip, folder / f"new_{name}.mp4", engine, counter, timeline=True)
        old, old_seconds = _parts_run(clip, folder / f"old_{name}.mp4", engine, counter, timeline=False)
        print(f"{name}: single run decodes {full} frames ({seconds:.1f} s); 3 parts from checkpoints: timeline "
              f"pass {new[0]}, parts {new[1:4]}, join {new[4]} = {sum(new)} ({new_seconds:.1f} s); replaying: "
              f"parts {old[:3]}, join {old[3]} = {sum(old)} ({old_seconds:.1f} s)")  # fmt: skip
        print(f"  from checkpoints: {compare(single, folder / f'new_{name}.mp4')}")
        print(f"  replaying:        {compare(single, folder / f'old_{name}.mp4')}", flush=True)


def _kill_first_worker(state: Path, done: threading.Event, killed: list[int]) -> None:
    """SIGKILL one pool worker (a child of this process) once the first segment of ``state`` is written."""
    while not done.is_set():
        if any(state.glob("segment_*.mp4")) and not killed:
            for child in psutil.Process().children(recursive=True):
                if "spawn_main" in " ".join(child.cmdline()) and "resource_tracker" not in " ".join(child.cmdline()):
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
                    return
        time.sleep(0.05)


_CHILD = """
import sys
sys.path.insert(0, {here!r})
from batch import VIDEO, FLOW
from framer.batch import run_batch
if __name__ == "__main__":
    run_batch([{source!r}], {out!r}, video=VIDEO, engine=FLOW, workers=1, parts=1, threads=1)
"""


def faults(folder: Path) -> None:
    clips = make_clips(folder)
    source = clips["carphone"]
    name = f"{source.stem}.mp4"
    _single(source, folder / "single.mp4")
    # 1. a worker killed mid-segment
    out = folder / "killed"
    done, killed = threading.Event(), []
    watcher = threading.Thread(target=_kill_first_worker, args=(state_dir_for(out / name), done, killed))
    watcher.start()
    report = run_batch([str(source)], out, video=VIDEO, engine=FLOW, workers=2, parts=2, threads=1)
    done.set()
    watcher.join()
    print(f"worker killed (pid {killed}): status {report.inputs[0].status} {report.inputs[0].error or ''}", flush=True)
    print(f"worker killed: "
          f"{compare(folder / 'single.mp4', out / name)}")  # fmt: skip
    # 2. a corrupt input among good ones
    corrupt = folder / "corrupt.mp4"
    corrupt.write_bytes(clips["cut"].read_bytes()[:3000])
    report = run_batch([str(clips["cut"]), str(corrupt), str(clips["vtest"])], folder / "mixed", video=VIDEO,
                       engine=FLOW, workers=2, threads=1)  # fmt: skip
    for record in report.inputs:
        print(f"  {Path(record.input).name}: {record.status} {record.error or ''}")
    print(f"corrupt among good: {report.summary()}")
    # 3. the batch killed and run again
    out = folder / "rerun"
    script = folder / "child.py"
    script.write_text(_CHILD.format(here=str(Path(__file__).parent), source=str(source), out=str(out)))
    state = state_dir_for(out / name)
    child = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    while len(list(state.glob("segment_00000[0-9].mp4"))) < 3 and child.poll() is None:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    kept = len(list(state.glob("segment_*.mp4")))
    report = run_batch([str(source)], out, video=VIDEO, engine=FLOW, workers=1, parts=1, threads=1)
    record = report.inputs[0]
    print(
        f"batch killed after {kept} segments, run again: {record.segments_kept} segments kept, "
        f"{record.interpolated} of 119 in-betweens made again; "
        f"{compare(folder / 'single.mp4', out / name)}"
    )


def scale(folder: Path, threads: int | None = None) -> None:
    """``threads`` per worker (default: 2 / workers, the machine's 2 cores shared out)."""
    clips = [str(path) for path in make_clips(folder).values()]
    for label, ray, workers in (("ray", "local", 1), ("ray", "local", 2), ("pool", None, 1), ("pool", None, 2)):
        out = folder / f"{label}{workers}"
        each = threads or 2 // workers
        report = run_batch(clips, out, video=VIDEO, engine=FLOW, workers=workers, ray=ray, threads=each)
        frames = sum(record.frames for record in report.inputs)
        assert report.ok, [record.error for record in report.inputs]
        busy = sum(record.seconds for record in report.inputs) / report.seconds
        print(f"{label} {workers} worker(s), {each} thread(s) each: {frames} frames in {report.seconds:.1f} s "
              f"(workers busy {busy:.2f} of {workers}) "
              f"= {frames / report.seconds:.2f} frames/s; worker peak RSS {_peaks(report)}")  # fmt: skip


def _tiny_inputs(folder: Path, count: int) -> list[str]:
    rng = np.random.default_rng(0)
    clip = _encode(folder / "tiny.mp4", [rng.integers(0, 255, (32, 32, 3), np.uint8) for _ in range(8)], Fraction(24))
    names = []
    for n in range(count):
        path = folder / f"tiny_{n:04d}.mp4"
        os.link(clip, path)
        names.append(str(path))
    return names


def _sample(process: psutil.Process, peak: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        peak.append(process.memory_info().rss)
        time.sleep(0.05)


def memory(folder: Path) -> None:
    import framer.video  # noqa: F401 (PyTorch and PyAV loaded before the first reading)

    process = psutil.Process()
    for count in (100, 1000):
        sub = folder / f"n{count}"
        sub.mkdir()
        inputs = _tiny_inputs(sub, count)
        peak, stop = [process.memory_info().rss], threading.Event()
        sampler = threading.Thread(target=_sample, args=(process, peak, stop))
        sampler.start()
        report = run_batch(inputs, sub / "out", video={"multi": 2}, engine=FLOW, workers=2, threads=1)
        stop.set()
        sampler.join()
        before, top, after = peak[0] / 2**20, max(peak) / 2**20, process.memory_info().rss / 2**20
        print(f"{count} tiny inputs: {report.count('done')} done in {report.seconds:.0f} s; driver RSS "
              f"{before:.0f} MiB before, peak {top:.0f} MiB (+{top - before:.1f}), after {after:.0f} MiB; "
              f"worker peak RSS {_peaks(report)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["exact", "faults", "decode", "scale", "memory"])
    parser.add_argument("--threads", type=int, default=None, help="scale: PyTorch threads per worker")
    parser.add_argument("--clips", default=None, help="exact: comma-separated clips (carphone,vtest,bigbuckbunny,"
                        "cut,cuts) [default: all]")  # fmt: skip
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="framer-batch-bench-"))
    options = {"scale": {"threads": args.threads}, "exact": {"only": args.clips}}.get(args.check, {})
    try:
        globals()[args.check](folder, **options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
