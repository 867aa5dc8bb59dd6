"""The same frames always give the same bytes, whatever the heap held before (resumed and segmented video jobs
join into exactly the unbroken run's output only then). x264's macroblock tree read memory it had not written on
these Big Buck Bunny frames at 320x180: the bitstream followed glibc's ``MALLOC_PERTURB_`` fill pattern."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

VIDEO = Path(__file__).parents[2].parent / "shared" / "data" / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4"

_SCRIPT = """
import sys
from fractions import Fraction
import av, cv2
from framer.io.encode import VideoEncoder
frames = []
with av.open(sys.argv[1]) as container:
    for frame in container.decode(video=0):
        frames.append(cv2.resize(frame.to_ndarray(format="rgb24"), (320, 180), interpolation=cv2.INTER_AREA))
        if len(frames) == 48:
            break
encoder = VideoEncoder(sys.argv[2], 320, 180, Fraction(24))
for image in frames:
    encoder.write(image)
encoder.close()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MALLOC_PERTURB_ is glibc's")
def test_the_same_frames_give_the_same_bytes_whatever_the_heap_held(tmp_path):
    digests = set()
    for perturb in ("0", "77", "165"):
        out = tmp_path / f"out{perturb}.mp4"
        env = {**os.environ, "MALLOC_PERTURB_": perturb}
        subprocess.run([sys.executable, "-c", _SCRIPT, str(VIDEO), str(out)], env=env, check=True, timeout=120)
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(digests) == 1


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_the_same_frames_give_the_same_bytes_whatever_the_timing(tmp_path):
    """x264 runs two sliced threads: each slice depends on its frame alone, so one CPU for both threads, or a
    machine busy with other work, gives the bytes of a quiet run (frame threads did not)."""
    one_cpu = f"import os; os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})\n{_SCRIPT}"
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        runs = {"busy": _SCRIPT, "busy-one-cpu": one_cpu}  # beside a process that keeps a CPU busy
        digests = {}
        for name, script in runs.items():
            out = tmp_path / f"{name}.mp4"
            subprocess.run([sys.executable, "-c", script, str(VIDEO), str(out)], check=True, timeout=120)
            digests[name] = hashlib.sha256(out.read_bytes()).hexdigest()
    finally:
        busy.kill()
        busy.wait()
    out = tmp_path / "quiet.mp4"
    subprocess.run([sys.executable, "-c", _SCRIPT, str(VIDEO), str(out)], check=True, timeout=120)
    assert set(digests.values()) == {hashlib.sha256(out.read_bytes()).hexdigest()}
