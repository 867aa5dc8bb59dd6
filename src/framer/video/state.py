"""Resumable state of a video job: a hidden folder beside the output holding the finished parts.

Layout of ``.<output name>.framer-partial/``: ``state.json`` (the job's description and its hash), then either
``segment_000000.<suffix>``, ... (video output: each a closed, playable file of ``segment_frames`` output frames; the
one being written is named ``*.partial.<suffix>`` and is discarded on resume) or ``frames/frame_00001.png``, ...
(folder output; each PNG is written under a temporary name and renamed, so every named frame is complete). Segment
boundaries are fixed by the job, so an interrupted and resumed run encodes exactly what an uninterrupted one does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from framer.errors import InputError

__all__ = ["JobState", "state_dir_for"]

logger = logging.getLogger(__name__)

_STATE_VERSION = 1


def state_dir_for(output: Path) -> Path:
    return output.parent / f".{output.name}.framer-partial"


def job_key(job: dict) -> str:
    """SHA-256 of the job description (sorted JSON): equal keys mean equal output."""
    return hashlib.sha256(json.dumps(job, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class JobState:
    """The partial-output folder of one job: its description, the choices it made, and its finished parts."""

    folder: Path
    job: dict
    suffix: str
    segment_frames: int
    resolved: dict
    resumed: bool = False

    @classmethod
    def open(cls, output: Path, job: dict, segment_frames: int, resume: bool, resolved: dict) -> JobState:
        """Resume the state of the same job, or start a new one (``resume=False`` discards any old state).

        ``resolved`` holds choices made from the machine at the start (such as an automatic tile size); a resumed
        job gets the stored ones back in :attr:`resolved`, so it computes exactly what the first run would have.

        Raises:
            InputError: state of a different job exists and ``resume`` is True (so nothing is thrown away unasked).
        """
        folder = state_dir_for(output)
        job = {**job, "segment_frames": segment_frames, "state_version": _STATE_VERSION}
        state = cls(folder=folder, job=job, suffix=output.suffix, segment_frames=segment_frames, resolved=resolved)
        if folder.exists():
            stored = state._stored()
            if resume and stored.get("key") == job_key(job):
                state._clean_partials()
                state.resolved, state.resumed = stored.get("resolved", resolved), True
                return state
            if resume:
                raise InputError(
                    f"{folder} holds the unfinished state of a different command for {output.name}; pass --restart "
                    "to discard it, or repeat the original command to resume it."
                )
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        record = {"key": job_key(job), "job": job, "resolved": resolved}
        (folder / "state.json").write_text(json.dumps(record, indent=2, default=str))
        return state

    def _stored(self) -> dict:
        try:
            record = json.loads((self.folder / "state.json").read_text())
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _clean_partials(self) -> None:
        for path in self.folder.glob("*.partial*"):
            path.unlink()
        frames = self.folder / "frames"
        if frames.is_dir():
            for path in frames.glob(".*.tmp"):
                path.unlink()

    # --- video output: segments ---

    def segment_path(self, number: int, partial: bool = False) -> Path:
        return self.folder / f"segment_{number:06d}{'.partial' if partial else ''}{self.suffix}"

    def finished_segments(self) -> int:
        """How many segments, counted from the first, are complete."""
        count = 0
        while self.segment_path(count).is_file():
            count += 1
        return count

    def segments(self, num_frames: int) -> list[tuple[Path, int]]:
        """(path, first output frame) of the segments holding frames ``0 .. num_frames - 1``."""
        count = -(-num_frames // self.segment_frames)
        return [(self.segment_path(n), n * self.segment_frames) for n in range(count)]

    # --- folder output: frames ---

    @property
    def frames_folder(self) -> Path:
        return self.folder / "frames"

    def finished_frames(self, name) -> int:
        """How many frames, counted from the first, exist in the frames folder (``name(k)`` is frame k's name)."""
        count = 0
        while (self.frames_folder / name(count)).is_file():
            count += 1
        return count

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
