"""Batch and scale-out (`framer batch`): many videos, or one long film in segments, on worker processes or Ray.

:func:`run_batch` converts many inputs with :func:`framer.video.interpolate_video`, each video split into parts of
whole segments (:mod:`framer.video.parts`) run in parallel, then joined into exactly the single-process output.
Workers are a local process pool (:class:`PoolScheduler`) or a Ray cluster (:class:`RayScheduler`, extra ``ray``).
"""

from __future__ import annotations

from framer.batch.inputs import BatchInput, expand_inputs
from framer.batch.runner import BatchReport, InputRecord, run_batch, split_segments
from framer.batch.schedulers import PoolScheduler, RayScheduler
from framer.batch.tasks import EngineSpec, Task, run_task

__all__ = [
    "BatchInput",
    "BatchReport",
    "EngineSpec",
    "InputRecord",
    "PoolScheduler",
    "RayScheduler",
    "Task",
    "expand_inputs",
    "run_batch",
    "run_task",
    "split_segments",
]
