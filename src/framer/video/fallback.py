"""Video mode's fallback policy and confidence record: what happens to an in-between the engine does not trust.

Every in-between comes with the engine's confidence in [0, 1] (:meth:`framer.engines.Engine.iter_scored`). With a
fallback other than ``none``, one whose confidence is below the threshold is replaced by something that cannot be
wrong in the same way: ``blend``, the linear blend of its two source frames at its time (a cross-fade: soft, but no
torn or warped content), or ``nearest``, the nearer source frame (a repeated frame: a judder, but a real picture).

The default is ``none``: the confidence is an estimate, and replacing frames changes the output, so it is only done
when asked for. The default threshold, :data:`DEFAULT_THRESHOLD` = 0.3 (a predicted PSNR of about 21.5 dB for the
flow engine), was set with ``benchmarks/confidence.py`` between the calibration sets' least confident frame (0.95)
and a 300 px pan the network cannot follow (0.08).

:class:`ConfidenceRecord` applies the policy frame by frame, keeps one row per in-between (for the sidecar), counts
the replaced frames, and says so in one line.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from framer.engines import ScoredFrame
from framer.errors import InputError
from framer.io.sidecar import write_sidecar
from framer.parsing import FALLBACK_MODES
from framer.video.retime import OutputFrame

__all__ = ["DEFAULT_THRESHOLD", "FALLBACK_MODES", "SIDECAR_COLUMNS", "ConfidenceRecord", "FallbackPolicy"]

DEFAULT_THRESHOLD = 0.3
SIDECAR_COLUMNS = ("output_frame", "output_time", "source_a", "source_b", "t", "confidence", "fell_back")


@dataclass(frozen=True)
class FallbackPolicy:
    """Which in-betweens are replaced, and by what (see the module docstring).

    Args:
        mode: ``none``, ``blend`` or ``nearest``.
        threshold: in [0, 1]; an in-between with a confidence below it is replaced (0: none is).
    """

    mode: str = "none"
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if self.mode not in FALLBACK_MODES:
            raise InputError(f"`fallback` must be one of {', '.join(FALLBACK_MODES)} but is {self.mode!r}.")
        threshold = self.threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise InputError(f"`fallback_threshold` must be a number in [0, 1] but is {threshold!r}.")
        if math.isnan(threshold):
            raise InputError("`fallback_threshold` must be a number in [0, 1] but is NaN.")

    def identity(self) -> dict:
        """The part of a video job's resume key it adds: runs that would replace other frames never mix."""
        return {"fallback": None if self.mode == "none" else [self.mode, float(self.threshold)]}

    def falls_back(self, confidence: float) -> bool:
        return self.mode != "none" and confidence < self.threshold

    def replacement(self, frame0: torch.Tensor, frame1: torch.Tensor, t: float) -> torch.Tensor:
        """What replaces the in-between at ``t`` of source frames ``frame0``, ``frame1`` ``(1, C, H, W)``."""
        if self.mode == "nearest":
            return frame0 if t < 0.5 else frame1
        return torch.lerp(frame0, frame1, float(t))


@dataclass
class ConfidenceRecord:
    """Applies a :class:`FallbackPolicy` to each in-between of one video run and keeps a row for each."""

    policy: FallbackPolicy = field(default_factory=FallbackPolicy)
    rows: list[dict] = field(default_factory=list)

    @property
    def fell_back(self) -> int:
        """In-betweens replaced so far."""
        return sum(row["fell_back"] for row in self.rows)

    def judge(self, scored: ScoredFrame, frame0: torch.Tensor, frame1: torch.Tensor, out: OutputFrame) -> torch.Tensor:
        """The frame to write for output frame ``out``: the engine's, or its replacement when it falls back."""
        fell = self.policy.falls_back(scored.confidence)
        self.rows.append({
            "output_frame": out.index,
            "output_time": round(float(out.time), 6),
            "source_a": out.a,
            "source_b": out.b,
            "t": round(float(out.t), 6),
            "confidence": round(float(scored.confidence), 4),
            "fell_back": fell,
        })  # fmt: skip
        if not fell:
            return scored.frame
        return self.policy.replacement(frame0.to(scored.frame), frame1.to(scored.frame), float(out.t))

    def write(self, path: str | os.PathLike) -> Path:
        """The rows as a CSV or JSON sidecar (:func:`framer.io.sidecar.write_sidecar`), written atomically."""
        return write_sidecar(path, self.rows, SIDECAR_COLUMNS)

    def summary(self, sidecar: str | os.PathLike | None = None) -> str:
        """One line: how many in-betweens fell back, and where the sidecar is."""
        count, total = self.fell_back, len(self.rows)
        policy = self.policy
        if policy.mode == "none":
            text = f"no fallback for {total} in-between{'' if total == 1 else 's'}"
        else:
            text = (
                f"{count} of {total} in-between{'' if total == 1 else 's'} fell back to {policy.mode} "
                f"(confidence below {policy.threshold:g})"
            )
        if self.rows:
            lowest = min(row["confidence"] for row in self.rows)
            text += f", lowest confidence {lowest:.2f}"
        if sidecar is not None:
            text += f"; confidence per frame in {os.fspath(sidecar)}"
        return text
