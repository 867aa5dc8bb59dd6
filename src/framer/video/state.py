"""Resumable state of a video job: a hidden folder beside the output holding the finished parts.

Layout of ``.<output name>.framer-partial/``: ``state.json`` (the job's description and its hash), then either
``segment_000000.<suffix>``, ... (video output: each a closed, playable file of ``segment_frames`` output frames; the
one being written is named ``*.partial.<suffix>`` and is discarded on resume) or ``frames/frame_00001.png``, ...
(folder output; each PNG is written under a temporary name and renamed, so every named frame is complete). Segment
boundaries are fixed by the job, so an interrupted and resumed run encodes exactly what an uninterrupted one does.

The frames of the segment being encoded are also appended, raw, to ``open_segment.raw``; a save makes them durable
and records in ``open_segment.json`` which segment they belong to and how many are complete. A resumed run
re-encodes those frames (cheap next to making them) and goes on from the next one, so a save need not wait for a
segment to close. The spool holds at most one segment of raw frames (``segment_frames`` x width x height x 3 x 1 or
2 bytes) and is deleted when its segment closes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from framer.errors import InputError

__all__ = ["JobState", "state_dir_for"]

logger = logging.getLogger(__name__)

_STATE_VERSION = 1
_SPOOL = "open_segment.raw"
_SPOOL_RECORD = "open_segment.json"


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
    part: tuple[int, int | None] | None = None  # segments (first, end) of a part run; None: the whole job

    @classmethod
    def open(cls, output: Path, job: dict, segment_frames: int, resume: bool, resolved: dict,
             part: tuple[int, int | None] | None = None) -> JobState:  # fmt: skip
        """Resume the state of the same job, or start a new one (``resume=False`` discards any old state).

        ``resolved`` holds choices made from the machine at the start (such as an automatic tile size); a resumed
        job gets the stored ones back in :attr:`resolved`, so it computes exactly what the first run would have.

        ``part``: the segments ``(first, end)`` of one part of a segmented run (:mod:`framer.video.parts`); parts of
        one job share its folder (made by whichever comes first), each with its own spool, and never discard it.

        Raises:
            InputError: state of a different job exists and ``resume`` is True (so nothing is thrown away unasked).
        """
        folder = state_dir_for(output)
        job = {**job, "segment_frames": segment_frames, "state_version": _STATE_VERSION}
        state = cls(folder=folder, job=job, suffix=output.suffix, segment_frames=segment_frames, resolved=resolved,
                    part=part)  # fmt: skip
        if part is not None:
            return state._open_shared(output)
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

    def _open_shared(self, output: Path) -> JobState:
        """Open the folder as one part of the job: create it, or join the state another part made."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"key": job_key(self.job), "job": self.job, "resolved": self.resolved}, indent=2,
                            default=str)  # fmt: skip
        temp = self.folder / f"state.json.{os.getpid()}.tmp"
        temp.write_text(record)
        try:
            os.link(temp, self.folder / "state.json")  # the first part's record wins; never half-written
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
        stored = self._stored()
        if stored.get("key") != job_key(self.job):
            raise InputError(
                f"{self.folder} holds the unfinished state of a different command for {output.name}; pass --restart "
                "to discard it, or repeat the original command to resume it."
            )
        self.resolved, self.resumed = stored.get("resolved", self.resolved), True  # shared: never discarded by a part
        first, end = self.part
        for path in self.folder.glob("segment_*.partial*"):
            number = int(path.name.split("_")[1].split(".")[0])
            if number >= first and (end is None or number < end):
                path.unlink(missing_ok=True)
        return self

    def _stored(self) -> dict:
        try:
            record = json.loads((self.folder / "state.json").read_text())
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _clean_partials(self) -> None:
        for pattern in ("*.partial*", "*.tmp"):
            for path in self.folder.glob(pattern):
                path.unlink()
        frames = self.folder / "frames"
        if frames.is_dir():
            for path in frames.glob(".*.tmp"):
                path.unlink()

    # --- video output: segments ---

    def segment_path(self, number: int, partial: bool = False) -> Path:
        return self.folder / f"segment_{number:06d}{'.partial' if partial else ''}{self.suffix}"

    def finished_segments(self) -> int:
        """How many segments, counted from the first (of the part, in a part run), are complete."""
        count = self.part[0] if self.part else 0
        while self.segment_path(count).is_file():
            count += 1
        return count

    def segments(self, num_frames: int) -> list[tuple[Path, int]]:
        """(path, first output frame) of the segments holding frames ``0 .. num_frames - 1``."""
        count = -(-num_frames // self.segment_frames)
        return [(self.segment_path(n), n * self.segment_frames) for n in range(count)]

    # --- video output: raw frames of the open segment ---

    @property
    def _spool_tag(self) -> str:
        """Each part spools to its own files."""
        return f"_{self.part[0]:06d}" if self.part else ""

    @property
    def spool_path(self) -> Path:
        return self.folder / _SPOOL.replace(".", f"{self._spool_tag}.")

    @property
    def _spool_record(self) -> Path:
        return self.folder / _SPOOL_RECORD.replace(".", f"{self._spool_tag}.")

    def spooled_frames(self, number: int, frame_bytes: int) -> int:
        """How many frames of segment ``number`` the last save kept in the spool (0: none, or a stale spool)."""
        try:
            record = json.loads(self._spool_record.read_text())
            size = self.spool_path.stat().st_size
        except (OSError, ValueError):
            return 0
        if not isinstance(record, dict) or record.get("segment") != number or record.get("frame_bytes") != frame_bytes:
            return 0
        frames = record.get("frames")
        if not isinstance(frames, int) or not 0 <= frames < self.segment_frames or frames * frame_bytes > size:
            return 0
        return frames

    def save_spool(self, spool: BinaryIO, number: int, frames: int, frame_bytes: int) -> None:
        """Make the first ``frames`` frames written to the open file ``spool`` (segment ``number``) durable, then
        record them: the record is replaced atomically, so it never counts more frames than the file holds."""
        spool.flush()
        os.fsync(spool.fileno())
        temp = self._spool_record.with_name(f"{self._spool_record.name}.tmp")
        temp.write_text(json.dumps({"segment": number, "frames": frames, "frame_bytes": frame_bytes}))
        os.replace(temp, self._spool_record)

    def drop_spool(self) -> None:
        self._spool_record.unlink(missing_ok=True)
        self.spool_path.unlink(missing_ok=True)

    # --- folder output: frames ---

    @property
    def frames_folder(self) -> Path:
        return self.folder / "frames"

    def finished_frames(self, name) -> int:
        """How many frames, counted from the first (of the part, in a part run), exist in the frames folder
        (``name(k)`` is frame k's name)."""
        count = self.part[0] * self.segment_frames if self.part else 0
        while (self.frames_folder / name(count)).is_file():
            count += 1
        return count

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
