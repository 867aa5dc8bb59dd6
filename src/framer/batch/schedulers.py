"""Where tasks run: a local pool of worker processes, or a Ray cluster. Both retry a task whose worker died.

A task is idempotent (see :mod:`framer.batch.tasks`), so running it again after its worker was killed (SIGKILL, out
of memory, a lost machine) redoes only what was not saved. The pool is the standard library's
:class:`~concurrent.futures.ProcessPoolExecutor` (spawned processes): a dead worker breaks the whole pool, so it is
made again and every task that was running is submitted again (each counts an attempt). Ray retries the task of a
dead worker itself (``max_retries``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from framer.batch.tasks import Task, run_task
from framer.errors import MissingExtraError

__all__ = ["ATTEMPTS", "PoolScheduler", "RayScheduler", "Scheduler"]

logger = logging.getLogger(__name__)

ATTEMPTS = 3
"""Runs of a task whose worker dies before it is reported failed."""


def _died(task: Task, detail: str) -> dict:
    return {"kind": task.kind, "index": task.index, "part": task.part, "ok": False, "seconds": 0.0,
            "error": f"its worker died {ATTEMPTS} times ({detail})."}  # fmt: skip


class Scheduler(Protocol):
    """Runs tasks; :meth:`wait` returns the results of those that ended."""

    workers: int

    def submit(self, task: Task) -> None: ...

    def pending(self) -> int: ...

    def wait(self, timeout: float | None = None) -> list[dict]: ...

    def close(self) -> None: ...


class PoolScheduler:
    """``workers`` local worker processes (spawned: no state of the driver is inherited)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()
        self._running: dict[concurrent.futures.Future, tuple[Task, int]] = {}

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return concurrent.futures.ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def submit(self, task: Task, attempt: int = 1) -> None:
        self._running[self._pool.submit(run_task, task)] = (task, attempt)

    def pending(self) -> int:
        return len(self._running)

    def wait(self, timeout: float | None = None) -> list[dict]:
        done, _ = concurrent.futures.wait(self._running, timeout, concurrent.futures.FIRST_COMPLETED)
        results, again = [], []
        for future in done:
            task, attempt = self._running.pop(future)
            try:
                results.append(future.result())
            except BrokenProcessPool:
                again.append((task, attempt))
        if again:  # a worker died: the pool is broken, and every task in it with it
            for future, (task, attempt) in self._running.items():
                if future.done() and future.exception() is None:
                    results.append(future.result())
                else:
                    again.append((task, attempt))
            self._running.clear()
            # wait until the broken pool's other workers are gone (terminated by it): a task run again must never
            # write its part's files while the run it replaces still does
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._new_pool()
            logger.warning("A worker process died; running its tasks again (%d).", len(again))
            for task, attempt in again:
                if attempt >= ATTEMPTS:
                    results.append(_died(task, "killed, or out of memory"))
                else:
                    self.submit(task, attempt + 1)
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayScheduler:
    """Tasks on a Ray cluster: the one at ``address`` (``"auto"``, ``"ray://HOST:10001"``, ``"HOST:6379"``), or a
    local one started here with ``workers`` CPUs (None). Each task takes ``cpus`` CPUs of a node."""

    def __init__(self, address: str | None, workers: int, cpus: float = 1) -> None:
        try:
            import ray
        except ImportError as ex:
            raise MissingExtraError(
                "--ray needs Ray: pip install 'framer-vfi[ray]' (or pip install 'ray[default]')."
            ) from ex
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            local = {"num_cpus": workers, "include_dashboard": False} if address is None else {}
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False, **local)
        self.workers = workers if address is None else max(1, int(ray.cluster_resources().get("CPU", 1) // cpus))
        self._remote = ray.remote(run_task).options(num_cpus=cpus, max_retries=ATTEMPTS - 1, retry_exceptions=False)
        self._running: dict[object, Task] = {}

    def submit(self, task: Task) -> None:
        self._running[self._remote.remote(task)] = task

    def pending(self) -> int:
        return len(self._running)

    def wait(self, timeout: float | None = None) -> list[dict]:
        ready, _ = self._ray.wait(list(self._running), num_returns=1, timeout=timeout)
        results = []
        for ref in ready:
            task = self._running.pop(ref)
            try:
                results.append(self._ray.get(ref))
            except self._ray.exceptions.RayError as ex:  # the worker died ATTEMPTS times, or the node was lost
                results.append(_died(task, type(ex).__name__))
        return results

    def close(self) -> None:
        for ref in self._running:
            self._ray.cancel(ref, force=True)
        self._running.clear()
        if self._started:
            self._ray.shutdown()
