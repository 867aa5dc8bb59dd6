"""Training clips: videos and frame folders cut into windows of ``num_frames`` frames, decoded in DataLoader workers.

Sources are a folder (searched recursively: video files, and folders holding image frames) or a text file listing
them. Every source is probed once when the dataset is made; one that cannot be read, or is shorter than a clip,
is skipped with one warning and counted. Each source is cut into windows (a window starts every ``clip_hop``
frames); an epoch visits every window once, in an order drawn from the run's seed and the epoch, so a resumed run
sees the same clips as an uninterrupted one. Frames are resized to cover the clip size (bicubic, antialiased, as
the engine resizes keyframes) and centre-cropped: clips are ``(F, 3, H, W)`` float32 RGB in [0, 1].
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from framer.errors import FramerError, InputError
from framer.video.reader import IMAGE_SUFFIXES, open_video

__all__ = ["VIDEO_SUFFIXES", "ClipDataset", "Source", "StepSampler", "collate", "discover_sources", "to_clip"]

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".gif")
_DECODE_ERRORS = (FramerError, OSError, ValueError, RuntimeError, EOFError)


@dataclass(frozen=True)
class Source:
    """A readable video or frame folder and its frame count."""

    path: Path
    num_frames: int


def _is_frame_folder(path: Path) -> bool:
    return path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() for p in path.iterdir())


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            if _is_frame_folder(path):
                yield path
            else:
                yield from _walk(path)
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            yield path


def discover_sources(data: str | os.PathLike) -> list[Path]:
    """The videos and frame folders named by ``data``: a folder (recursive), or a list file (one path a line,
    relative to the file; blank lines and ``#`` comments skipped)."""
    data = Path(data).expanduser()
    if not data.exists():
        raise InputError(f"The training data {data} does not exist.")
    if data.is_dir():
        return [data] if _is_frame_folder(data) else list(_walk(data))
    if data.suffix.lower() in VIDEO_SUFFIXES:
        return [data]
    lines = [line.split("#", 1)[0].strip() for line in data.read_text(encoding="utf-8").splitlines()]
    return [(data.parent / line).expanduser() for line in lines if line]


def _count_frames(path: Path) -> int:
    with open_video(path) as reader:
        if reader.info.num_frames:
            return int(reader.info.num_frames)
        return sum(1 for _ in reader)


def probe_sources(paths: Sequence[Path], span: int) -> tuple[list[Source], int]:
    """The sources that hold at least ``span`` frames, and how many were skipped (each with one warning)."""
    sources, skipped = [], 0
    for path in paths:
        try:
            count = _count_frames(path)
        except _DECODE_ERRORS as ex:
            logger.warning("Skipped %s: it cannot be read (%s)", path, ex)
            skipped += 1
            continue
        if count < span:
            logger.warning("Skipped %s: %d frames, fewer than the %d a clip needs", path, count, span)
            skipped += 1
            continue
        sources.append(Source(path, count))
    return sources, skipped


def to_clip(frames: Sequence[np.ndarray], width: int, height: int) -> torch.Tensor:
    """``F`` frames ``(h, w, 3)`` uint8/uint16 -> ``(F, 3, height, width)`` float32 in [0, 1]: resized to cover the
    size (aspect kept; bicubic, antialiased) and centre-cropped."""
    scale = 255.0 if frames[0].dtype == np.uint8 else 65535.0
    clip = torch.from_numpy(np.stack(frames).astype(np.float32) / scale).permute(
        0, 3, 1, 2
    )  # [F, h, w, 3] -> [F, 3, h, w]
    h, w = clip.shape[-2:]
    factor = max(width / w, height / h)
    size = (max(height, math.ceil(h * factor - 1e-6)), max(width, math.ceil(w * factor - 1e-6)))
    if size != (h, w):
        clip = F.interpolate(clip, size=size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
    top, left = (size[0] - height) // 2, (size[1] - width) // 2
    return clip[:, :, top : top + height, left : left + width].contiguous()


def read_frames(path: Path, start: int, count: int, stride: int) -> list[np.ndarray]:
    """Frames ``start, start + stride, ...`` (``count`` of them) of a video or frame folder, decoded with PyAV."""
    wanted = {start + k * stride for k in range(count)}
    frames = []
    with open_video(path) as reader:
        for frame in reader:
            if frame.index in wanted:
                frames.append(frame.image)
                if len(frames) == count:
                    break
    if len(frames) < count:
        raise InputError(f"{path} ended after {len(frames)} of the {count} frames of a clip.")
    return frames


def clip_key(path: Path, start: int, num_frames: int, stride: int, width: int, height: int) -> str:
    """A name for one clip that changes when its source file changes (the track cache's key)."""
    stat = path.stat()
    text = f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{start}|{num_frames}|{stride}|{width}x{height}"
    return hashlib.sha1(text.encode()).hexdigest()[:20]


class ClipDataset(Dataset):
    """The windows of all readable sources; ``dataset[i]`` decodes window ``i`` (see the module docstring).

    ``tracker`` (stage 2), a callable ``(clip, key) -> (M, F, 2)`` tracks, adds ``tracks`` to each item.
    """

    def __init__(
        self,
        data: str | os.PathLike,
        num_frames: int,
        width: int,
        height: int,
        stride: int = 1,
        hop: int | None = None,
        tracker: object | None = None,
    ) -> None:
        self.num_frames, self.width, self.height, self.stride = num_frames, width, height, stride
        span = (num_frames - 1) * stride + 1
        self.sources, self.skipped = probe_sources(discover_sources(data), span)
        if self.skipped:
            logger.info("Skipped %d of %d training sources", self.skipped, self.skipped + len(self.sources))
        if not self.sources:
            raise InputError(f"The training data {data} holds no video or frame folder of at least {span} frames.")
        hop = hop or span
        self.windows = [(s, start) for s, source in enumerate(self.sources)
                        for start in range(0, source.num_frames - span + 1, hop)]  # fmt: skip
        self.tracker = tracker
        self._failed: set[Path] = set()

    def __len__(self) -> int:
        return len(self.windows)

    def _load(self, index: int) -> dict:
        source_index, start = self.windows[index]
        path = self.sources[source_index].path
        frames = read_frames(path, start, self.num_frames, self.stride)
        clip = to_clip(frames, self.width, self.height)
        item = {"clip": clip, "window": index}
        if self.tracker is not None:
            key = clip_key(path, start, self.num_frames, self.stride, self.width, self.height)
            item["tracks"] = self.tracker(clip, key)
        return item

    def __getitem__(self, index: int) -> dict:
        """Window ``index``; a source that fails to decode now is warned about once and the next window taken."""
        if not 0 <= index < len(self.windows):
            raise IndexError(f"window {index} of {len(self.windows)}")
        for attempt in range(len(self.windows)):
            current = (index + attempt) % len(self.windows)
            path = self.sources[self.windows[current][0]].path
            if path in self._failed:
                continue
            try:
                return self._load(current)
            except _DECODE_ERRORS as ex:
                logger.warning("Skipped %s: decoding failed (%s)", path, ex)
                self._failed.add(path)
        raise InputError("No training source could be decoded.")


def collate(items: list[dict]) -> dict:
    """Stack clips to ``(B, F, 3, H, W)``; tracks stay a list (each clip has its own number of points)."""
    batch = {"clip": torch.stack([item["clip"] for item in items]), "window": [item["window"] for item in items]}
    if "tracks" in items[0]:
        batch["tracks"] = [item["tracks"] for item in items]
    return batch


class StepSampler(torch.utils.data.Sampler):
    """The windows each micro-step of this process takes, from step ``start_step`` on.

    Epoch ``e`` visits all windows in the order ``randperm(generator seeded seed + e)``; the global batch of
    micro-step ``m`` is the next ``batch_size * processes`` windows of that endless sequence, and process ``r``
    takes its ``r``-th share. Nothing here is random state to save: a resumed run recomputes where it was.
    """

    def __init__(self, size: int, batch_size: int, processes: int, rank: int, accumulation: int, seed: int,
                 start_step: int, max_steps: int) -> None:  # fmt: skip
        self.size, self.batch_size, self.processes, self.rank = size, batch_size, processes, rank
        self.seed, self.accumulation = seed, accumulation
        self.start, self.stop = start_step * accumulation, max_steps * accumulation

    def _order(self, epoch: int) -> torch.Tensor:
        return torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch))

    def positions(self, micro_step: int) -> list[int]:
        """Global sample numbers (positions in the endless sequence) of this process's share of ``micro_step``."""
        first = (micro_step * self.processes + self.rank) * self.batch_size
        return list(range(first, first + self.batch_size))

    def __iter__(self) -> Iterator[list[int]]:
        cache: dict[int, torch.Tensor] = {}
        for micro_step in range(self.start, self.stop):
            batch = []
            for position in self.positions(micro_step):
                epoch, offset = divmod(position, self.size)
                if epoch not in cache:
                    cache.clear()
                    cache[epoch] = self._order(epoch)
                batch.append(int(cache[epoch][offset]))
            yield batch

    def __len__(self) -> int:
        return self.stop - self.start
