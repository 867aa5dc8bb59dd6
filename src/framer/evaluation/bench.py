"""Speed and memory of engines per resolution: seconds per in-between and peak memory, as a table.

Each engine and size is measured in a fresh Python process, so its peak memory (the process's resident-set
high-water mark: PyTorch, the model and the work, all included) belongs to that engine and size alone. In that
process the engine is loaded (timed as "load"), one in-between is made untimed to warm up, then ``frames``
in-betweens at evenly spaced t are made ``repeats`` times with :func:`framer.interpolate` from two ``(H, W, 3)``
uint8 arrays (conversion included, file reading and writing excluded); the table gives the median seconds per
in-between. The keyframes are a seeded random texture and the same texture moved 16 pixels, so no data is needed.
On CUDA the peak of PyTorch's allocated GPU memory is given as well.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from framer.errors import FramerError, InputError
from framer.memory import peak_rss_bytes

__all__ = [
    "DEFAULT_SIZES",
    "BenchRow",
    "format_bench_table",
    "rows_to_json",
    "run_bench",
    "synthetic_pair",
]

logger = logging.getLogger(__name__)

DEFAULT_SIZES = ("448x256", "1280x720", "1920x1080")
_RESULT_PREFIX = "FRAMER_BENCH "
_ERROR_PREFIX = "FRAMER_BENCH_ERROR "
_SHIFT = 16
MIB = 2**20


@dataclass(frozen=True)
class BenchRow:
    """One engine at one size.

    Attributes:
        engine: engine spec (``flow``, ``flow:MODEL``), with ``+autopilot`` for the autopilot variant.
        width, height: frame size.
        device: where it computed; threads: PyTorch's CPU threads.
        load_seconds: creating the engine (model build and weight load).
        seconds_per_frame: median over repeats of the seconds per in-between.
        peak_memory: peak resident memory of the process, bytes.
        gpu_peak_memory: peak allocated GPU memory, bytes (None off CUDA).
    """

    engine: str
    width: int
    height: int
    device: str
    threads: int
    load_seconds: float
    seconds_per_frame: float
    peak_memory: int
    gpu_peak_memory: int | None


def synthetic_pair(width: int, height: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two ``(H, W, 3)`` uint8 keyframes: a smooth random texture, and the same texture 16 pixels to the left."""
    import cv2

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 8 + 2, (width + _SHIFT) // 8 + 2, 3), dtype=np.uint8)
    texture = cv2.resize(coarse, (width + _SHIFT, height), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(texture[:, :width]), np.ascontiguousarray(texture[:, _SHIFT:])


def _measure(job: dict) -> dict:
    """Child side: one engine at one size (see the module docstring)."""
    import torch

    from framer.api import interpolate
    from framer.engines import create_engine
    from framer.evaluation.methods import parse_engine_spec

    name, model = parse_engine_spec(job["engine"])
    options = {"model": model, "device": job["device"], "threads": job["threads"], "weights": job["weights"]}
    options["backend"] = job.get("backend")
    start = time.perf_counter()
    engine = create_engine(name, **{key: value for key, value in options.items() if value is not None})
    load_seconds = time.perf_counter() - start
    pair = list(synthetic_pair(job["width"], job["height"]))
    extra = {"autopilot": True} if job["autopilot"] else {}
    times = [(i + 1) / (job["frames"] + 1) for i in range(job["frames"])]
    interpolate(pair, times=[0.5], engine=engine, **extra)  # warm-up, untimed
    seconds = []
    for _ in range(job["repeats"]):
        start = time.perf_counter()
        interpolate(pair, times=times, engine=engine, **extra)  # returns numpy arrays: GPU work has finished
        seconds.append((time.perf_counter() - start) / len(times))
    cuda = engine.device.type == "cuda"
    return {
        "load_seconds": load_seconds,
        "seconds_per_frame": statistics.median(seconds),
        "peak_memory": peak_rss_bytes(),
        "gpu_peak_memory": torch.cuda.max_memory_allocated(engine.device) if cuda else None,
        "device": str(engine.device),
        "threads": torch.get_num_threads(),
    }


def _run_child(job: dict) -> dict:
    code = "import sys; from framer.evaluation.bench import _child_main; sys.exit(_child_main(sys.argv[1]))"
    command = [sys.executable, "-c", code, json.dumps(job)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in completed.stdout.splitlines():
        if line.startswith(_RESULT_PREFIX):
            return json.loads(line.removeprefix(_RESULT_PREFIX))
        if line.startswith(_ERROR_PREFIX):
            raise FramerError(line.removeprefix(_ERROR_PREFIX))
    last = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
    raise FramerError(
        f"Measuring {job['engine']} at {job['width']}x{job['height']} failed in its worker process ({last})."
    )


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"`{name}` must be an integer >= 1 but is {value!r}.")


def run_bench(
    engines: Sequence[str] = ("flow",),
    sizes: Sequence[str | tuple[int, int]] = DEFAULT_SIZES,
    frames: int = 3,
    repeats: int = 3,
    device: str = "cpu",
    threads: int | None = None,
    weights: str | os.PathLike | None = None,
    autopilot: bool = False,
    backends: Sequence[str] = (),
) -> list[BenchRow]:
    """Measure each engine (and its autopilot variant when asked for) at each size, one fresh process each.

    Args:
        engines: engine specs, ``flow`` or ``flow:MODEL``.
        sizes: ``"WxH"`` strings or ``(width, height)`` tuples.
        frames: in-betweens timed per repeat.
        repeats: timed repeats (the median is reported).
        device, threads, weights: passed to :func:`framer.create_engine`.
        autopilot: also measure each engine with ``autopilot=True`` (an error where the API has none).
        backends: measure each flow engine once per backend (``torch``, ``onnxruntime``, ``openvino``, ``auto``;
            ``all``: every installed one), labelled ``flow[BACKEND]``; empty: the engine's default.
    """
    from framer.evaluation.methods import autopilot_available, parse_engine_spec
    from framer.parsing import parse_size

    _check_count(frames, "frames")
    _check_count(repeats, "repeats")
    if threads is not None:
        _check_count(threads, "threads")
    if not engines:
        raise InputError("Give at least one engine to measure.")
    for spec in engines:
        parse_engine_spec(spec)
    if autopilot and not autopilot_available():
        raise InputError(
            "Autopilot is not available yet in this version of framer (framer.interpolate takes no `autopilot`); "
            "leave out --autopilot."
        )
    parsed = [size if isinstance(size, tuple) else parse_size(size) for size in sizes]
    if not parsed:
        raise InputError("Give at least one size to measure.")
    variants = [(spec, False) for spec in engines] + ([(spec, True) for spec in engines] if autopilot else [])
    rows = []
    for (spec, with_autopilot), backend in _with_backends(variants, backends):
        for width, height in parsed:
            job = {
                "engine": spec,
                "width": width,
                "height": height,
                "frames": frames,
                "repeats": repeats,
                "device": device,
                "threads": threads,
                "weights": None if weights is None else str(weights),
                "autopilot": with_autopilot,
                "backend": backend,
            }
            label = spec if backend is None else f"{spec}[{backend}]"
            logger.info("Measuring %s%s at %dx%d.", label, " with autopilot" if with_autopilot else "", width, height)
            measured = _run_child(job)
            label = f"{label}+autopilot" if with_autopilot else label
            rows.append(BenchRow(engine=label, width=width, height=height, **measured))
    return rows


def _with_backends(
    variants: list[tuple[str, bool]], backends: Sequence[str]
) -> list[tuple[tuple[str, bool], str | None]]:
    """Each variant with each backend (flow engines only; others once with None)."""
    if not backends:
        return [(variant, None) for variant in variants]
    from framer.engines.flow.backends import BACKEND_CHOICES, installed_backends

    names = list(
        dict.fromkeys(name for given in backends for name in (installed_backends() if given == "all" else [given]))
    )
    for name in names:
        if name not in BACKEND_CHOICES:
            raise InputError(f"`backends` holds {name!r}; choose from {', '.join(BACKEND_CHOICES)} or all.")
    return [
        (variant, backend)
        for variant in variants
        for backend in (names if variant[0].split(":")[0] == "flow" else [None])
    ]


def format_bench_table(rows: Sequence[BenchRow]) -> str:
    """A plain-text table (Markdown pipe syntax) of the rows."""
    gpu = any(row.gpu_peak_memory is not None for row in rows)
    header = ["engine", "size", "device", "threads", "load (s)", "s / frame", "peak memory (MiB)"]
    header += ["peak GPU memory (MiB)"] if gpu else []
    lines = [header]
    for row in rows:
        cells = [
            row.engine,
            f"{row.width}x{row.height}",
            row.device,
            str(row.threads),
            f"{row.load_seconds:.2f}",
            f"{row.seconds_per_frame:.4f}",
            f"{row.peak_memory / MIB:.0f}",
        ]
        if gpu:
            cells.append("-" if row.gpu_peak_memory is None else f"{row.gpu_peak_memory / MIB:.0f}")
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |" for line in lines]
    text.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(text)


def rows_to_json(rows: Sequence[BenchRow]) -> list[dict]:
    """The rows as plain dicts (for ``--json``)."""
    return [asdict(row) for row in rows]


def _child_main(argument: str) -> int:
    try:
        result = _measure(json.loads(argument))
    except FramerError as ex:
        print(_ERROR_PREFIX + str(ex), flush=True)
        return 1
    print(_RESULT_PREFIX + json.dumps(result), flush=True)
    return 0
