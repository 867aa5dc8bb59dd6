"""What an evaluation produces: scores per sample, per frame, per method and metric, with summaries and records.

``results.json`` is :meth:`EvaluationResult.to_dict` written as strict JSON; numbers that are not finite (PSNR of a
frame identical to its ground truth is ``inf``) are written as the strings ``"inf"``, ``"-inf"`` or ``"nan"``.
Means are over scored frames (every in-between counts once), as the interpolation papers report them.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from framer.evaluation.scoring import METRICS

__all__ = [
    "FORMAT",
    "GROUND_TRUTH",
    "EvaluationResult",
    "FrameScores",
    "SampleResult",
    "WorstCase",
    "environment",
    "json_number",
    "spearman",
]

FORMAT = "framer-eval/1"
GROUND_TRUTH = "ground truth"  # key of the ground-truth image in worst cases and of its features for FID
_T_DIGITS = 6  # times are grouped after rounding to this many decimals


@dataclass
class FrameScores:
    """Scores of one in-between: ``scores[method][metric]``, and ``confidence[method]`` for the methods whose engine
    says how far it trusts its frame (in [0, 1])."""

    t: float
    target: str
    scores: dict[str, dict[str, float]]
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass
class SampleResult:
    """One keyframe pair: its scored frames and each method's wall-clock seconds for all of them."""

    name: str
    keyframes: tuple[str, str]
    size: tuple[int, int]
    frames: list[FrameScores]
    seconds: dict[str, float]

    def mean(self, method: str, metric: str) -> float:
        """Mean over this sample's frames."""
        return float(np.mean([f.scores[method][metric] for f in self.frames]))


@dataclass
class WorstCase:
    """A badly interpolated frame kept for the montage.

    Attributes:
        sample, t: which frame.
        value: the ranking method's score on the ranking metric.
        scores: ``scores[method][metric]`` of this frame.
        images: the ground truth and every method's frame, ``(H, W, 3)`` uint8.
    """

    sample: str
    t: float
    value: float
    scores: dict[str, dict[str, float]]
    images: dict[str, np.ndarray]


@dataclass
class EvaluationResult:
    """Everything one evaluation run measured (see :func:`framer.evaluation.evaluate`).

    Attributes:
        protocol: ``{"name", "k", "crop"}``.
        data_dirs: the folders evaluated.
        methods: ``[{"id", "label", "kind", **settings}]`` in column order.
        metrics: metric names in the order asked for.
        samples: per-sample results in evaluation order.
        set_scores: ``set_scores[method][metric]`` for set metrics (FID).
        environment: software versions, machine, threads (see :func:`environment`).
        worst: the frames shown in the worst-cases montage (not written to JSON).
        ranked_by: ``(method, metric)`` the worst cases were ranked by.
        created: ISO 8601 time the run finished.
        command: the command line that made it, when known (the CLI records it).
    """

    protocol: dict
    data_dirs: list[str]
    methods: list[dict]
    metrics: list[str]
    samples: list[SampleResult]
    set_scores: dict[str, dict[str, float]]
    environment: dict
    created: str
    worst: list[WorstCase] = field(default_factory=list)
    ranked_by: tuple[str, str] | None = None
    command: str | None = None

    @property
    def method_ids(self) -> list[str]:
        return [m["id"] for m in self.methods]

    @property
    def frame_metrics(self) -> list[str]:
        return [m for m in self.metrics if METRICS[m].per_frame]

    @property
    def num_frames(self) -> int:
        return sum(len(s.frames) for s in self.samples)

    def means(self) -> dict[str, dict[str, float]]:
        """``means[method][metric]``: per-frame metrics averaged over all scored frames, and set metrics."""
        result = {}
        for method in self.method_ids:
            values = {
                metric: float(np.mean([f.scores[method][metric] for s in self.samples for f in s.frames]))
                for metric in self.frame_metrics
            }
            values.update(self.set_scores.get(method, {}))
            result[method] = {metric: values[metric] for metric in self.metrics}
        return result

    def seconds_per_frame(self) -> dict[str, float]:
        """Wall-clock seconds per in-between of each method, over the whole run (first-call warm-up included)."""
        frames = self.num_frames
        return {m: sum(s.seconds[m] for s in self.samples) / frames for m in self.method_ids}

    def per_t(self) -> list[dict]:
        """``[{"t", "frames", "means": {method: {metric: mean}}}]`` for each distinct t, in increasing order."""
        groups: dict[float, list[FrameScores]] = {}
        for sample in self.samples:
            for frame in sample.frames:
                groups.setdefault(round(frame.t, _T_DIGITS), []).append(frame)
        rows = []
        for t in sorted(groups):
            frames = groups[t]
            means = {
                method: {
                    metric: float(np.mean([f.scores[method][metric] for f in frames])) for metric in self.frame_metrics
                }
                for method in self.method_ids
            }
            rows.append({"t": t, "frames": len(frames), "means": means})
        return rows

    def confidence_pairs(self, method: str, metric: str = "psnr") -> tuple[list[float], list[float]]:
        """``(confidences, scores)`` of ``method``'s frames that carry a confidence, by ``metric``."""
        frames = [f for s in self.samples for f in s.frames if method in f.confidence]
        return [f.confidence[method] for f in frames], [f.scores[method][metric] for f in frames]

    def confidence_correlation(self, metric: str = "psnr") -> dict[str, float]:
        """Spearman rank correlation of each method's confidence with ``metric`` over its frames (methods with
        confidences and at least three frames; empty without ``metric``)."""
        if metric not in self.frame_metrics:
            return {}
        correlation = {}
        for method in self.method_ids:
            confidence, scores = self.confidence_pairs(method, metric)
            if len(confidence) >= 3:
                correlation[method] = spearman(confidence, scores)
        return correlation

    def to_dict(self) -> dict:
        """The ``results.json`` content (non-finite numbers as strings, see the module docstring)."""
        samples = [
            {
                "name": s.name,
                "keyframes": list(s.keyframes),
                "size": list(s.size),
                "seconds": s.seconds,
                "frames": [
                    {
                        "t": f.t,
                        "target": f.target,
                        "scores": f.scores,
                        **({"confidence": f.confidence} if f.confidence else {}),
                    }
                    for f in s.frames
                ],
            }
            for s in self.samples
        ]
        worst = [{"sample": w.sample, "t": w.t, "value": w.value} for w in self.worst]
        content = {
            "format": FORMAT,
            "created": self.created,
            "command": self.command,
            "protocol": self.protocol,
            "data_dirs": self.data_dirs,
            "methods": self.methods,
            "metrics": self.metrics,
            "environment": self.environment,
            "summary": {
                "samples": len(self.samples),
                "frames": self.num_frames,
                "means": self.means(),
                "seconds_per_frame": self.seconds_per_frame(),
                "per_t": self.per_t(),
                "confidence_spearman_psnr": self.confidence_correlation(),
            },
            "worst_cases": {"ranked_by": list(self.ranked_by) if self.ranked_by else None, "cases": worst},
            "samples": samples,
        }
        return _finite_json(content)

    def save_json(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` as strict JSON to ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
        return path


def _ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 0, ties sharing their mean rank."""
    values = np.asarray(values, dtype=np.float64)
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=np.float64)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    if (counts > 1).any():
        ranks = (np.bincount(inverse, weights=ranks) / counts)[inverse]
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation of two equally long sequences (NaN when either is constant)."""
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def json_number(value: float) -> float | str:
    """A float for strict JSON: finite values unchanged, others as ``"inf"``, ``"-inf"`` or ``"nan"``."""
    return value if math.isfinite(value) else str(value)


def _finite_json(value):
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(item) for item in value]
    return value


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def environment(devices: Sequence[str] = ()) -> dict:
    """Software versions (framer, torch, numpy, Python) and the machine, for the records."""
    import torch

    import framer

    machine = {
        "cpu": _cpu_name(),
        "logical_cpus": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "torch_threads": torch.get_num_threads(),
    }
    gpus = sorted({d for d in devices if d.startswith("cuda")})
    if gpus:
        machine["gpus"] = {d: torch.cuda.get_device_name(torch.device(d)) for d in gpus}
    software = {
        "framer": framer.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    return {"software": software, "machine": machine}
