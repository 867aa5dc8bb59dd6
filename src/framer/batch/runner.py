"""The batch driver: plan each input's parts, hand them to the workers, join each job when its parts are done.

The driver opens no video (a worker plans each input: how many segments it has) and holds no frames and no results
beyond one small record per input; it keeps at most twice as many tasks in flight as there are workers, so its
memory does not grow with the number of inputs queued. A video is split into
parts of whole segments (:mod:`framer.video.parts`): its output is the single-process output wherever it is split,
so the split only balances the work. Everything is resumable: finished segments and parts are kept beside each
output, and the same command run again makes only what is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from framer.batch.inputs import BatchInput, expand_inputs
from framer.batch.remote import is_url, publish, url_exists
from framer.batch.schedulers import PoolScheduler, RayScheduler, Scheduler
from framer.batch.tasks import EngineSpec, Task, describe_error, part_marker
from framer.errors import InputError
from framer.io.atomic import partial_path
from framer.progress import progress_bar

__all__ = ["BatchReport", "InputRecord", "run_batch", "split_segments"]

logger = logging.getLogger(__name__)

REPORT_NAME = "batch-report.json"


@dataclass
class InputRecord:
    """What became of one input: ``status`` ``done``, ``failed`` or ``skipped`` (its output existed)."""

    input: str
    output: str
    status: str = "queued"
    error: str | None = None
    seconds: float = 0.0  # worker time spent on it in this run (its parts and its join)
    parts: int = 0
    frames: int = 0
    interpolated: int = 0
    segments_kept: int = 0  # finished segments found from an earlier run (not made again)
    parts_kept: int = 0  # finished parts found from an earlier run (not run again)
    audio: str | None = None
    cuts: int = 0  # scene cuts found
    split_at_cuts: int = 0  # boundaries between its parts that fall at a scene cut
    join_seconds: float = 0.0  # the join: the timeline's end followed without the engine, segments and audio muxed


@dataclass
class BatchReport:
    """The batch's outcome: each input's record, each worker's peak memory, and the totals."""

    inputs: list[InputRecord]
    seconds: float
    workers: int
    scheduler: str
    worker_peak_rss: dict[str, int] = field(default_factory=dict)  # "host:pid" -> bytes
    path: Path | str | None = None  # where the report was written (a URL when the outputs went to one)

    def count(self, status: str) -> int:
        return sum(record.status == status for record in self.inputs)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> str:
        """One line: how many inputs ended how, in how long, and where the report is."""
        kept = sum(record.segments_kept for record in self.inputs)
        line = (
            f"{self.count('done')} of {len(self.inputs)} inputs done, {self.count('failed')} failed, "
            f"{self.count('skipped')} skipped (output exists) in {self.seconds:.1f} s on {self.workers} "
            f"{self.scheduler} worker{'s' if self.workers != 1 else ''}"
        )
        if kept:
            line += f"; {kept} finished segments kept from an earlier run"
        return line + (f"; report: {self.path}" if self.path else "")

    def to_json(self) -> dict:
        peak = {key: round(value / 2**20, 1) for key, value in self.worker_peak_rss.items()}
        return {"seconds": round(self.seconds, 3), "workers": self.workers, "scheduler": self.scheduler,
                "done": self.count("done"), "failed": self.count("failed"), "skipped": self.count("skipped"),
                "worker_peak_rss_mib": peak, "inputs": [asdict(record) for record in self.inputs]}  # fmt: skip


def split_segments(segments: int, parts: int, cuts: Sequence[int] = ()) -> list[tuple[int, int | None]]:
    """``parts`` runs of whole segments covering ``segments`` (at most one per segment); the last runs to the end.

    The parts split at scene cuts: each boundary is the segment boundary of ``cuts`` (segment indices, see
    :meth:`framer.video.parts.Timeline.cut_segments`) nearest its even point, if one lies within half a part of it;
    else the even point. Where a video splits never changes its output, only how evenly the work is shared and
    how much context a part decodes before its first segment.
    """
    parts = max(1, min(parts, segments))
    reach = segments / (2 * parts)
    bounds = [0]
    for i in range(1, parts):
        even = i * segments / parts
        low, high = bounds[-1] + 1, segments - (parts - i)  # room for the parts still to come
        near = [cut for cut in cuts if low <= cut <= high and abs(cut - even) <= reach]
        bounds.append(min(near, key=lambda cut: (abs(cut - even), cut)) if near else min(max(round(even), low), high))
    return list(itertools.pairwise([*bounds, None]))


@dataclass
class _Job:
    """An input being made: its parts not yet reported, and its record."""

    number: int
    source: str
    output: str  # where interpolate_video writes (a local path)
    publish: str | None  # the URL the output goes to, if any
    split: int  # parts asked for
    record: InputRecord
    parts: list[tuple[int, int | None]] = field(default_factory=list)  # once planned
    segments: int = 0  # estimated, once planned
    waiting: set = field(default_factory=set)  # parts not reported yet


def _kept_segments(output: str) -> int:
    from framer.video.state import state_dir_for

    folder = state_dir_for(Path(output))
    if not folder.is_dir():
        return 0
    return sum(1 for path in folder.glob("segment_*") if ".partial" not in path.name and path.is_file())


class _Driver:
    """Feeds a scheduler the tasks of the planned jobs and collects their results into the records."""

    def __init__(self, scheduler: Scheduler, video: dict, engine: EngineSpec, threads: int | None, bar) -> None:
        self.scheduler, self.video, self.engine, self.threads, self.bar = scheduler, video, engine, threads, bar
        self.jobs: dict[int, _Job] = {}
        self.joins: deque[Task] = deque()
        self.ready: deque[Task] = deque()  # parts of planned jobs
        self.peaks: dict[str, int] = {}

    def _task(self, kind: str, job: _Job, part: tuple[int, int | None] | None = None) -> Task:
        return Task(kind, job.number, job.source, job.output, self.video, self.engine, part, self.threads, job.publish,
                    timeline=kind == "plan" and job.split > 1)  # fmt: skip

    def tasks(self, jobs: Iterator[_Job]) -> Iterator[Task]:
        """The plan task of each job, as the scheduler has room (its parts follow when it is planned)."""
        for job in jobs:
            self.jobs[job.number] = job
            yield self._task("plan", job)

    def _planned(self, job: _Job, segments: int, cuts: Sequence[int] = ()) -> None:
        job.segments, job.parts = segments, split_segments(segments, job.split, cuts)
        job.record.parts = len(job.parts)
        job.record.split_at_cuts = sum(1 for first, _ in job.parts[1:] if first in cuts)
        self.bar.total = (self.bar.total or 0) + segments
        for part in job.parts:
            if part_marker(job.output, part).is_file():
                job.record.parts_kept += 1
                self.bar.update(self._segments(job, part))
            else:
                job.waiting.add(part)
        if not job.waiting:
            self.joins.append(self._task("join", job))
        # all parts are waiting before the first is handed out: the join waits for the last one's result
        self.ready.extend(self._task("part", job, part) for part in sorted(job.waiting))

    @staticmethod
    def _segments(job: _Job, part: tuple[int, int | None]) -> int:
        first, end = part
        return max(0, (job.segments if end is None else end) - first)

    def run(self, jobs: Iterator[_Job]) -> None:
        tasks = self.tasks(jobs)
        window = 2 * self.scheduler.workers
        exhausted = False
        while True:
            while self.scheduler.pending() < window:
                if self.joins or self.ready:
                    self.scheduler.submit((self.joins or self.ready).popleft())
                    continue
                task = None if exhausted else next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                self.scheduler.submit(task)
            if self.scheduler.pending() == 0 and not self.joins and not self.ready:
                return
            for result in self.scheduler.wait(timeout=1.0):
                self._collect(result)

    def _collect(self, result: dict) -> None:
        job = self.jobs.get(result["index"])
        part = None if result["part"] is None else tuple(result["part"])
        if job is None or (
            part not in job.waiting if result["kind"] == "part" else result["kind"] == "plan" and job.parts
        ):
            return  # a task run twice (its pool broke as it ended): the first result counted
        record = job.record
        record.seconds = round(record.seconds + result["seconds"], 3)
        if "pid" in result:
            key = f"{result['host']}:{result['pid']}"
            self.peaks[key] = max(self.peaks.get(key, 0), result["peak_rss"])
        if not result["ok"]:
            if record.error is None:
                record.error = result["error"]
            what = {"plan": "opening it", "part": "a part", "join": "joining"}[result["kind"]]
            logger.debug("%s: %s failed: %s", job.source, what, result["error"])  # listed once, at the end
        if result["kind"] == "plan":
            if result["ok"]:
                self._planned(job, result["segments"], result.get("cut_segments", ()))
            else:
                self._finish(job, "failed")
            return
        if result["kind"] == "part":
            self.bar.update(self._segments(job, part))
            record.interpolated += result.get("interpolated", 0)
            job.waiting.discard(part)
            if not job.waiting:
                if record.error is None:
                    self.joins.append(self._task("join", job))
                else:
                    self._finish(job, "failed")
            return
        record.join_seconds = round(result["seconds"], 3)
        if result["ok"]:
            record.frames, record.audio, record.cuts = result["frames"], result["audio"], result["cuts"]
        self._finish(job, "done" if result["ok"] else "failed")

    def _finish(self, job: _Job, status: str) -> None:
        job.record.status = status
        del self.jobs[job.number]  # nothing of a finished job stays but its record


def _exists(output: str) -> bool:
    if is_url(output):
        return url_exists(output)
    path = Path(output)
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def _job(item: BatchInput, number: int, record: InputRecord, video: dict, split: int, restart: bool,
         work: Path | None) -> _Job | None:  # fmt: skip
    """The job of one input, or None when there is nothing to run (its record says why)."""
    from framer.video.state import state_dir_for

    if item.error is not None:
        record.status, record.error = "failed", item.error
        return None
    try:
        if _exists(item.output) and not video.get("overwrite"):
            record.status = "skipped"
            return None
    except Exception as ex:  # an unreachable output URL: reported, the others go on
        record.status, record.error = "failed", describe_error(ex)
        return None
    output = work / Path(item.output.split("://")[-1]).name if is_url(item.output) else Path(item.output)
    if restart:
        shutil.rmtree(state_dir_for(output), ignore_errors=True)
    record.segments_kept = _kept_segments(str(output))
    return _Job(number, item.source, str(output), item.output if is_url(item.output) else None, split, record)


def _scheduler(workers: int, ray: str | None) -> Scheduler:
    if ray is None:
        return PoolScheduler(workers)
    return RayScheduler(None if ray in ("", "local") else ray, workers)


def run_batch(
    inputs: Sequence[str],
    output_dir: str | os.PathLike,
    *,
    video: dict | None = None,
    engine: EngineSpec | None = None,
    workers: int = 1,
    ray: str | None = None,
    parts: int | None = None,
    suffix: str = ".mp4",
    restart: bool = False,
    report: str | os.PathLike | None = None,
    progress: bool = False,
    threads: int | None = None,
    work_dir: str | os.PathLike | None = None,
) -> BatchReport:
    """Convert every input with :func:`framer.video.interpolate_video`, in parallel.

    Args:
        inputs: video files, folders, globs or ``@LIST`` files, or fsspec URLs (see :mod:`framer.batch.inputs`).
        output_dir: where each output goes, named after its input with ``suffix`` (``""``: a folder of PNGs); an
            fsspec URL: outputs are made in ``work_dir`` and uploaded.
        video: keyword arguments of :func:`framer.video.interpolate_video` for every input (``multi``, ``fps``,
            ``overwrite``, ...); no ``confidence``, ``show_static`` or drag trajectories.
        engine: how each worker makes its engine (default: the flow engine).
        workers: worker processes (with ``ray``: CPUs of the local cluster it starts; a given cluster's size is used).
        ray: None: a local process pool; ``""`` or ``"local"``: a local Ray cluster; else a Ray cluster's address.
        parts: parts each video is split into (default: enough for every worker to have one when there are fewer
            inputs than workers, else one); at most one per segment.
        restart: discard the finished segments of earlier runs instead of resuming them.
        report: the JSON report's path (default ``OUT_DIR/batch-report.json``).
        progress: show a progress bar over segments.
        threads: CPU threads of each worker's engine (default: the CPUs shared out among the workers).
        work_dir: where outputs to a URL are made (a path every worker sees, on a cluster; default: a folder in the
            temporary folder, which suits one machine).

    Returns:
        The report (also written to ``report``); inputs that failed are in it, with their error.
    """
    video = dict(video or {})
    for key in ("confidence", "show_static", "trajectories", "part", "resume", "engine", "progress"):
        if key in video:
            raise InputError(f"A batch cannot take the video option `{key}`.")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"`workers` must be an integer >= 1 but is {workers!r}.")
    items = expand_inputs(inputs, output_dir, suffix)
    work = None
    if is_url(output_dir):
        digest = hashlib.sha256(str(output_dir).encode()).hexdigest()[:16]
        work = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "framer-batch-work" / digest
        work.mkdir(parents=True, exist_ok=True)
    else:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    records = [InputRecord(item.source, item.output) for item in items]
    good = sum(item.error is None for item in items)
    split = parts if parts is not None else max(1, math.ceil(workers / max(1, good)))
    jobs = (_job(item, n, records[n], video, split, restart, work) for n, item in enumerate(items))
    if threads is None:
        threads = max(1, (os.cpu_count() or 1) // workers)
    scheduler = _scheduler(workers, ray)
    bar = progress_bar(None, desc="Batch", unit="segment", enabled=progress)  # the total grows as inputs are planned
    try:
        driver = _Driver(scheduler, {**video, "progress": False}, engine or EngineSpec(), threads, bar)
        driver.run(job for job in jobs if job is not None)
    finally:
        bar.close()
        scheduler.close()
    result = BatchReport(records, time.monotonic() - start, scheduler.workers,
                         "ray" if ray is not None else "local", driver.peaks)  # fmt: skip
    if report is not None or work is None:
        result.path = _write_report(result, Path(report) if report is not None else Path(output_dir) / REPORT_NAME)
    else:
        publish(_write_report(result, work / REPORT_NAME), f"{str(output_dir).rstrip('/')}/{REPORT_NAME}")
        result.path = f"{str(output_dir).rstrip('/')}/{REPORT_NAME}"
    return result


def _write_report(report: BatchReport, path: Path) -> Path:
    temp = partial_path(path)
    temp.write_text(json.dumps(report.to_json(), indent=2))
    os.replace(temp, path)
    return path
