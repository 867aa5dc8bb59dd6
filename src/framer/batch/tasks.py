"""The work a batch hands to its workers: one part of a video job, or the join of a job's finished parts.

:func:`run_task` runs in a worker process (a local process pool or a Ray worker); tasks and results are small,
picklable and JSON-able (no frames travel). A task is idempotent: a part resumes from the segments it finished
before (a killed worker's part is redone from there), records itself as done with a marker file in the job's
partial-output folder, and the join puts the output in place atomically (:func:`framer.video.interpolate_video`).
Each worker keeps the engine of its last task, so a worker loads a model once.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EngineSpec", "Task", "describe_error", "part_marker", "peak_rss", "run_task"]

logger = logging.getLogger(__name__)

_engines: dict[str, object] = {}  # this worker's engine, by EngineSpec.key()


@dataclass(frozen=True)
class EngineSpec:
    """How a worker makes its engine: ``name`` with ``options`` for :func:`framer.create_engine`, or ``factory``,
    ``"module:function"`` returning an engine (a custom engine); then ``wrapper``, ``"module:function"`` taking
    that engine and returning the one that runs (``framer.applications.cartoon:cartoon_engine`` for ``--cartoon``).
    Both must be importable on every worker."""

    name: str = "flow"
    options: dict = field(default_factory=dict)
    factory: str | None = None
    wrapper: str | None = None

    def key(self) -> str:
        return json.dumps([self.name, self.options, self.factory, self.wrapper], sort_keys=True, default=str)

    def create(self) -> object:
        if self.factory is not None:
            engine = _function(self.factory)(**self.options)
        else:
            from framer.engines import create_engine

            engine = create_engine(self.name, **self.options)
        return engine if self.wrapper is None else _function(self.wrapper)(engine)


def _function(path: str):
    """The function named ``"module:function"``."""
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)


@dataclass(frozen=True)
class Task:
    """One unit of work on input number ``index``: ``kind`` ``"plan"`` (count its segments; with ``timeline``, by a
    pass over the video that also saves the checkpoints its parts start from), ``"part"`` (segments ``part``, the
    end None: to the end of the video) or ``"join"``; ``video``: keyword arguments of
    :func:`framer.video.interpolate_video`."""

    kind: str
    index: int
    source: str
    output: str
    video: dict
    engine: EngineSpec
    part: tuple[int, int | None] | None = None
    threads: int | None = None
    publish: str | None = None  # the URL the join uploads ``output`` to
    timeline: bool = False  # a plan task of a video split into parts: walk its timeline, save checkpoints


def part_marker(output: str | os.PathLike, part: tuple[int, int | None]) -> Path:
    """The file that records a finished part, in the job's partial-output folder (gone with it when joined)."""
    from framer.video.state import state_dir_for

    first, end = part
    return state_dir_for(Path(output)) / f"batch-part-{first:06d}-{'end' if end is None else f'{end:06d}'}.json"


def peak_rss() -> int:
    """Peak resident memory of this process so far, bytes: Linux's ``VmHWM`` (``ru_maxrss`` would count the RSS
    of the parent a spawned worker was forked from), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _engine(spec: EngineSpec, threads: int | None) -> object:
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    key = spec.key()
    if key not in _engines:
        _engines.clear()  # one model per worker
        _engines[key] = spec.create()
    return _engines[key]


def describe_error(ex: BaseException) -> str:
    """One sentence for a failed input: framer's own message, else the error's type and text."""
    from framer.errors import FramerError

    if isinstance(ex, FramerError):
        return str(ex)
    if isinstance(ex, OSError) and ex.strerror:
        return f"{ex.filename or ''}: {ex.strerror}.".lstrip(": ")
    return f"{type(ex).__name__}: {ex}"


def _run(task: Task) -> dict:
    from framer.batch.remote import is_url, publish, stage
    from framer.video import interpolate_video
    from framer.video.parts import TIMELINE_FILE, VideoPart, estimate_segments, load_timeline, segment_length
    from framer.video.pipeline import SEGMENT_SECONDS
    from framer.video.state import state_dir_for

    source = stage(task.source) if is_url(task.source) else task.source
    if task.kind == "plan" and not task.timeline:
        keys = ("multi", "fps", "slowmo", "input_fps", "segment_seconds")
        return {"segments": estimate_segments(source, **{key: task.video[key] for key in keys if key in task.video})}
    engine = _engine(task.engine, task.threads)
    if task.kind == "plan":  # the exact count, and a checkpoint at each segment boundary for the parts
        result = interpolate_video(source, task.output, engine=engine, timeline=True, **task.video)
        per_segment = segment_length(task.video.get("segment_seconds", SEGMENT_SECONDS), result.frame_rate)
        timeline = load_timeline(state_dir_for(Path(task.output)) / TIMELINE_FILE)
        cuts = timeline.cut_segments(per_segment) if timeline is not None else []
        return {"segments": -(-result.num_frames // per_segment), "cut_segments": cuts}
    if task.kind == "part":
        result = interpolate_video(source, task.output, engine=engine, part=VideoPart(*task.part), **task.video)
        marker = part_marker(task.output, task.part)
        temp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps({"frames": result.num_frames, "at_end": result.at_end}))
        os.replace(temp, marker)
    else:
        result = interpolate_video(source, task.output, engine=engine, resume=True, **task.video)
        if task.publish is not None:
            publish(Path(task.output), task.publish)
    return {
        "frames": result.num_frames,
        "at_end": result.at_end,
        "interpolated": result.interpolated,
        "kept_frames": result.resumed_from if task.kind == "part" else 0,
        "cuts": len(result.cuts),
        "audio": result.audio,
    }


def run_task(task: Task) -> dict:
    """Run ``task`` here; its result (``ok``, ``error`` as one sentence, seconds, this worker's peak memory, ...).

    Any error of the task is in its result: one bad input never stops the worker or the batch.
    """
    logging.getLogger("framer").setLevel(logging.WARNING)
    start = time.monotonic()
    result = {"kind": task.kind, "index": task.index, "part": task.part, "pid": os.getpid(),
              "host": socket.gethostname()}  # fmt: skip
    try:
        result.update(_run(task), ok=True)
    except Exception as ex:  # reported per input; the batch goes on
        logger.debug("Task %s of %s failed", task.kind, task.source, exc_info=True)
        result.update(ok=False, error=describe_error(ex))
    result.update(seconds=time.monotonic() - start, peak_rss=peak_rss())
    return result
