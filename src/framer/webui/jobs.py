"""Generation jobs: one at a time per engine, the rest queued in order, with progress and cancelling.

Each engine has a lane: a FIFO queue and one worker thread that loads the engine on first use and runs the jobs
through :func:`framer.api.iter_interpolate` (the public API), one stream per job: the engine runs once per gap on all
of the gap's times (one clip per gap for the diffusion engine), each frame is written as it arrives, progress is
reported per frame and a cancel takes effect between frames. Frames and downloads live in the job's folder inside
the server's private root; the oldest finished jobs are removed past a limit.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import zipfile
from collections import deque
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from framer.errors import FramerError, InputError
from framer.trajectory import Trajectory, trajectories_to_dict
from framer.webui.storage import KeyframeSet, NotFoundError, check_id, new_id

__all__ = ["DOWNLOADS", "EngineProvider", "Job", "JobManager", "JobRequest", "QueueFullError"]

logger = logging.getLogger(__name__)

# Download kind -> file name inside the job folder.
DOWNLOADS = {"mp4": "framer.mp4", "gif": "framer.gif", "zip": "framer-frames.zip", "json": "framer-trajectories.json"}
_FINAL = ("done", "failed", "cancelled")
STATIC_MASK = "static_mask.png"  # in the job folder: the painted mask, white = kept still


class QueueFullError(FramerError, RuntimeError):
    """An engine's queue holds as many waiting jobs as the server allows."""


class _Cancelled(Exception):
    """Raised inside a worker when its job was cancelled."""


class EngineProvider:
    """Engines by name, made once with :func:`framer.create_engine` and kept; ``engines`` may hold ready ones."""

    def __init__(self, options: Mapping[str, object] | None = None, engines: Mapping[str, object] | None = None):
        self.options = dict(options or {})
        self._engines = dict(engines or {})
        self._lock = threading.Lock()

    def get(self, name: str):
        with self._lock:
            if name not in self._engines:
                from framer import create_engine

                self._engines[name] = create_engine(name, **self.options)
            return self._engines[name]

    def loaded(self, name: str) -> bool:
        return name in self._engines


@dataclass(frozen=True)
class JobRequest:
    """What to make: in-betweens of a keyframe set, checked by the app before it is queued."""

    keyframes: KeyframeSet
    engine: str
    num_frames: int
    timing: str
    fps: Fraction
    include_keyframes: bool
    trajectories: list[Trajectory] | None
    static_mask: np.ndarray | None = field(default=None, compare=False)  # (H, W) bool: kept still (white)


@dataclass(eq=False)
class Job:
    """One generation job and its state (changed by its lane's worker; read by anyone under the manager's lock).

    ``state`` is ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``; ``done`` of ``total`` frames are
    made; ``frame_times`` (after ``done``) gives each output frame's place on the whole sequence, 0 to 1, and
    ``frame_confidence`` how far the engine trusts it, 0 to 1 (keyframes: 1).
    """

    id: str
    request: JobRequest
    folder: Path
    width: int
    height: int
    state: str = "queued"
    done: int = 0
    total: int = 0
    message: str = ""
    num_frames_out: int = 0
    frame_times: list[float] = field(default_factory=list)
    frame_confidence: list[float] = field(default_factory=list)
    version: int = 0
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    finished_at: float | None = None
    _download_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def frames_folder(self) -> Path:
        return self.folder / "frames"

    def frame_path(self, index: int) -> Path:
        if not (self.state == "done" and 0 <= index < self.num_frames_out):
            raise NotFoundError(f"Job {self.id} has no frame {index}.")
        return self.frames_folder / f"frame_{index + 1:05d}.png"


class _Lane:
    """The queue and worker thread of one engine."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.queue: deque[Job] = deque()
        self.running: Job | None = None
        self.thread: threading.Thread | None = None


class JobManager:
    """Queues jobs per engine and runs them, one at a time per engine.

    Args:
        root: the server's private folder; jobs go in ``root/jobs/<id>``.
        engines: makes and keeps the engines.
        max_queue: waiting jobs allowed per engine (beyond: :class:`QueueFullError`).
        max_jobs_kept: finished jobs whose frames are kept for the player and downloads.
    """

    def __init__(self, root: Path, engines: EngineProvider, max_queue: int = 8, max_jobs_kept: int = 8) -> None:
        self.folder = root / "jobs"
        self.folder.mkdir(mode=0o700)
        self.engines = engines
        self.max_queue = max_queue
        self.max_jobs_kept = max_jobs_kept
        self._jobs: dict[str, Job] = {}
        self._lanes: dict[str, _Lane] = {}
        self._changed = threading.Condition()
        self._closed = False

    # -- submitting and reading ---------------------------------------------------------------------------------

    def submit(self, request: JobRequest) -> Job:
        """Queue a job (its keyframes are copied into the job folder first, so the set may go away).

        Raises:
            QueueFullError: the engine's queue is full.
        """
        job_id = new_id()
        folder = self.folder / job_id
        with self._changed:
            lane = self._lanes.setdefault(request.engine, _Lane(request.engine))
            if len(lane.queue) >= self.max_queue:
                raise QueueFullError(
                    f"The queue of the {request.engine} engine is full ({len(lane.queue)} jobs waiting); try again "
                    "when one has finished."
                )
            folder.mkdir(mode=0o700)
            (folder / "keyframes").mkdir()
            for index, path in enumerate(request.keyframes.paths):
                shutil.copyfile(path, folder / "keyframes" / f"k{index}.png")
            if request.static_mask is not None:
                from framer.io.atomic import write_png

                write_png(request.static_mask.astype(np.uint8) * 255, folder / STATIC_MASK)
            gaps = len(request.keyframes.paths) - 1
            job = Job(job_id, request, folder, request.keyframes.width, request.keyframes.height)
            job.total = gaps * request.num_frames
            self._jobs[job_id] = job
            lane.queue.append(job)
            self._touch(job)
            if lane.thread is None:
                lane.thread = threading.Thread(target=self._work, args=(lane,), daemon=True)
                lane.thread.start()
            self._changed.notify_all()
        return job

    def get(self, job_id: str) -> Job:
        """The job ``job_id``.

        Raises:
            NotFoundError: no such job (never made or removed).
        """
        check_id(job_id, "job")
        with self._changed:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError("This result is no longer on the server (removed after use); generate it again.")
        return job

    def status(self, job: Job) -> dict:
        """The job's state as the page shows it (``position``: jobs ahead of it in its engine's lane)."""
        with self._changed:
            lane = self._lanes[job.request.engine]
            position = None
            if job.state == "queued":
                position = list(lane.queue).index(job) + (1 if lane.running is not None else 0)
            status = {
                "id": job.id,
                "state": job.state,
                "engine": job.request.engine,
                "position": position,
                "done": job.done,
                "total": job.total,
                "message": job.message,
                "version": job.version,
            }
            if job.state == "done":
                status.update(
                    frames=[f"/api/jobs/{job.id}/frames/{index}.png" for index in range(job.num_frames_out)],
                    frame_times=job.frame_times,
                    frame_confidence=job.frame_confidence,
                    fps=float(job.request.fps),
                    width=job.width,
                    height=job.height,
                    downloads={
                        kind: f"/api/jobs/{job.id}/download/{kind}"
                        for kind in DOWNLOADS
                        if kind != "json" or job.request.trajectories
                    },
                )
        return status

    def cancel(self, job: Job) -> None:
        """Cancel a queued job at once, or a running one before its next frame; finished jobs are left as they are."""
        with self._changed:
            if job.state == "queued":
                self._lanes[job.request.engine].queue.remove(job)
                self._finish(job, "cancelled", "Cancelled before it started.")
                self._touch_lane(job.request.engine)
            elif job.state == "running":
                job.cancel_requested.set()
                job.message = "Cancelling after the current frame…"
                self._touch(job)

    def close(self) -> None:
        """Cancel every job and wait (briefly) for the workers to stop."""
        with self._changed:
            self._closed = True
            for lane in self._lanes.values():
                for job in list(lane.queue):
                    self._finish(job, "cancelled", "The server is shutting down.")
                lane.queue.clear()
                if lane.running is not None:
                    lane.running.cancel_requested.set()
            self._changed.notify_all()
            threads = [lane.thread for lane in self._lanes.values() if lane.thread is not None]
        for thread in threads:
            thread.join(timeout=30)

    # -- downloads ----------------------------------------------------------------------------------------------

    def download(self, job: Job, kind: str) -> Path:
        """The file of a finished job for download ``kind`` (``mp4``, ``gif``, ``zip``, ``json``), made once.

        Raises:
            NotFoundError: unknown kind, job not finished, or no trajectories for ``json``.
        """
        if kind not in DOWNLOADS:
            raise NotFoundError(f"There is no download {kind[:20]!r}; choose one of {', '.join(DOWNLOADS)}.")
        if job.state != "done":
            raise NotFoundError(f"Job {job.id} has not finished, so there is nothing to download yet.")
        path = job.folder / DOWNLOADS[kind]
        with job._download_lock:
            if not path.exists():
                self._make_download(job, kind, path)
        return path

    def _make_download(self, job: Job, kind: str, path: Path) -> None:
        from framer import read_image, write_frames

        frames = sorted(job.frames_folder.glob("frame_*.png"))
        if kind == "zip":
            partial = path.with_name(path.name + ".partial")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
                for frame in frames:
                    archive.write(frame, arcname=frame.name)
            partial.replace(path)
        elif kind == "json":
            if not job.request.trajectories:
                raise NotFoundError("This result was made without trajectories, so there is no trajectory file.")
            data = trajectories_to_dict(job.request.trajectories, job.width, job.height)
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        else:
            write_frames([read_image(frame) for frame in frames], path, fps=job.request.fps)

    # -- the workers --------------------------------------------------------------------------------------------

    def _touch(self, job: Job) -> None:
        """Mark a change of ``job`` (call with the lock held)."""
        job.version += 1
        self._changed.notify_all()

    def _touch_lane(self, engine: str) -> None:
        """Mark a change of every queued job of a lane: their positions moved (call with the lock held)."""
        for job in self._lanes[engine].queue:
            self._touch(job)

    def _finish(self, job: Job, state: str, message: str = "") -> None:
        job.state, job.message, job.finished_at = state, message, time.monotonic()
        self._touch(job)

    def _work(self, lane: _Lane) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(lane.queue) or self._closed)
                if self._closed:
                    return
                job = lane.queue.popleft()
                lane.running, job.state = job, "running"
                self._touch(job)
                self._touch_lane(lane.name)
            try:
                self._run(job)
                outcome = ("done", "")
            except _Cancelled:
                outcome = ("cancelled", "Cancelled.")
            except FramerError as ex:
                outcome = ("failed", str(ex))
            except MemoryError:
                outcome = ("failed", "The server ran out of memory; use smaller keyframes or fewer frames.")
            except Exception as ex:
                logger.exception("job %s failed", job.id)
                outcome = ("failed", f"Internal error ({type(ex).__name__}: {ex}); see the server's log.")
            with self._changed:
                lane.running = None
                if outcome[0] != "done":
                    shutil.rmtree(job.frames_folder, ignore_errors=True)
                self._finish(job, *outcome)
                self._touch_lane(lane.name)
            self._prune()

    def _progress(self, job: Job, done: int, message: str = "") -> None:
        with self._changed:
            job.done, job.message = done, message
            self._touch(job)
        if job.cancel_requested.is_set():
            raise _Cancelled

    def _engine(self, job: Job):
        name = job.request.engine
        if not self.engines.loaded(name):
            self._progress(job, 0, f"Loading the {name} engine…")
        try:
            return self.engines.get(name)
        except FramerError as ex:
            raise type(ex)(f"The {name} engine is not available: {ex}") from ex
        except ImportError as ex:
            raise InputError(f"The {name} engine is not available: {ex}.") from ex

    def _run(self, job: Job) -> None:
        """Make the frames: one :func:`framer.api.iter_interpolate` stream for the whole job, each frame written as it
        arrives; a cancel closes the stream between frames."""
        from framer import read_image
        from framer.api import iter_interpolate
        from framer.io.atomic import write_png
        from framer.timing import apply_timing, sequence_times, uniform_times

        request = job.request
        engine = self._engine(job)
        keyframes = [read_image(path) for path in sorted((job.folder / "keyframes").glob("k*.png"), key=_index)]
        clock = uniform_times(request.num_frames)
        self._progress(job, 0, "Interpolating…")
        stream = iter_interpolate(
            keyframes,
            times=clock,
            timing=request.timing,
            engine=engine,
            include_keyframes=request.include_keyframes,
            trajectories=request.trajectories,
            static_mask=None if request.static_mask is None else job.folder / STATIC_MASK,
        )
        job.frames_folder.mkdir()
        written = done = 0
        confidence: list[float] = []
        with closing(stream):
            for item in stream:
                written += 1
                confidence.append(round(item.confidence, 4))
                write_png(item.frame, job.frames_folder / f"frame_{written:05d}.png")
                if 0.0 < item.t < 1.0:  # an in-between (keyframes are at 0 and 1)
                    done += 1
                    self._progress(job, done, "Interpolating…")
                elif job.cancel_requested.is_set():
                    raise _Cancelled
        times = sequence_times(len(keyframes), apply_timing(clock, request.timing), request.include_keyframes)
        with self._changed:
            job.num_frames_out, job.frame_times = written, [round(t, 6) for t in times]
            job.frame_confidence = confidence

    def _prune(self) -> None:
        """Remove the oldest finished jobs beyond ``max_jobs_kept``."""
        with self._changed:
            finished = sorted((j for j in self._jobs.values() if j.state in _FINAL), key=lambda j: j.finished_at)
            stale = finished[: max(0, len(finished) - self.max_jobs_kept)]
            for job in stale:
                del self._jobs[job.id]
        for job in stale:
            shutil.rmtree(job.folder, ignore_errors=True)


def _index(path: Path) -> int:
    """``k12.png`` -> 12 (keyframe order)."""
    return int(path.stem[1:])
