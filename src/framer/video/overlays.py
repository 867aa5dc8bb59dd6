"""Static overlays in video mode: logos, subtitles, HUDs and timestamps stay still and sharp in the in-betweens.

An overlay is found from temporal statistics over a window of source frames, never from one pair: a pixel belongs
to an overlay in source frame ``i`` when it stays constant over a run of ``run`` (5) consecutive frames through ``i``
while the content around it moves. Constant regions are kept only when (1) the pixels around them change nearly
every frame, so a still background seen by a static camera is not an overlay, and (2) their outline is an edge in
every frame of the run, so the flat inside of a moving object (constant while its outline moves) is not one.

Runs may start before or after ``i``, so an overlay that appears, changes (a timestamp's digits, a score) or
disappears is found in each state that lasts ``run`` frames (a shorter state is interpolated as usual). An
in-between at time ``t`` of the gap ``a -> b`` gets the protected pixels of the NEAREST source frame (``a`` for
``t < 0.5``, else ``b``) composited back unwarped, so a changing overlay switches at one output frame and is never
blended. Where an overlay is in one source frame only, the engine is given the other frame's pixels there, so the
in-betweens on the side without it show no ghost of it. Semi-transparent watermarks (a constant alpha blend over
moving content) are found by :mod:`framer.video.watermarks`: taken out of the frames the engine gets and put back
into each in-between.

Conventions: frames are ``(H, W, 3)`` uint8 or uint16 RGB as decoded; masks are ``(H, W)`` bool.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from framer.errors import InputError
from framer.io.atomic import move_into_place, partial_path, write_png
from framer.io.encode import VideoEncoder
from framer.io.masks import composite, load_mask, mask_digest
from framer.video.reader import SourceFrame, VideoInfo
from framer.video.watermarks import (
    Watermark,
    WatermarkSettings,
    find_watermarks,
    greys_of,
    remove_watermarks,
    restore_watermarks,
    static_edges,
    still_there,
)

__all__ = [
    "PROTECT_MODES",
    "StaticPreview",
    "StaticSettings",
    "StaticTracker",
    "detect_overlay",
    "load_static_mask",
    "static_identity",
    "static_tracker",
]

logger = logging.getLogger(__name__)

PROTECT_MODES = ("auto", "off")


@dataclass(frozen=True)
class StaticSettings:
    """How static overlays are detected (levels are on the 8-bit scale; 16-bit frames are scaled).

    Attributes:
        mode: ``"auto"`` (detect) or ``"off"`` (only a user mask, if any, is protected).
        window: source frames on each side of a frame that its statistics look at.
        run: fewest frames (the frame included) a pixel must stay constant over.
        still: most a pixel may vary over its run (in levels, any channel) and count as constant.
        moving: least variation over the window (levels) that counts a pixel as moving.
        surround: least share of moving pixels around a constant region for it to be an overlay.
        edge: least mean local contrast (levels) along a region's border: an overlay has a sharp outline.
        min_area: fewest pixels of a region.
        max_share: largest share of the frame one region may take.
        watermarks: also find semi-transparent watermarks (:mod:`framer.video.watermarks`) ...
        refresh: ... looking every this many source frames (a watermark stays; the search is slow).
    """

    mode: str = "auto"
    window: int = 4
    run: int = 5
    still: int = 3
    moving: int = 24
    surround: float = 0.6
    edge: float = 24.0
    min_area: int = 6
    max_share: float = 0.25
    watermarks: bool = True
    refresh: int = 16

    def __post_init__(self) -> None:
        if self.mode not in PROTECT_MODES:
            raise InputError(f"`protect_static` must be one of {', '.join(PROTECT_MODES)} but is {self.mode!r}.")
        if self.window < 1 or not 2 <= self.run <= self.window + 1:
            raise InputError(f"`window` must be >= 1 and `run` in [2, window + 1] but are {self.window}, {self.run}.")


def load_static_mask(path: str | os.PathLike, width: int, height: int) -> np.ndarray:
    """A user's mask (white = keep still) for frames of ``width`` x ``height``: ``(H, W)`` bool."""
    return load_mask(path, width, height)


def _channel_max(image: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` -> ``(H, W)``: the largest channel (OpenCV: several times faster than numpy's reduction, and
    its split about twice as fast as strided copies)."""
    if image.ndim == 2:
        return image
    first, *others = cv2.split(image)
    for channel in others:
        cv2.max(first, channel, dst=first)
    return first


def _edge_strength(frame: np.ndarray, scale: float) -> np.ndarray:
    """``(H, W, 3)`` -> ``(H, W)`` float32: local contrast (3x3 max - min of the grey level), in 8-bit levels."""
    image = frame.astype(np.float32)
    grey = cv2.cvtColor(image if scale == 1.0 else image / scale, cv2.COLOR_RGB2GRAY)  # x / 1 is x: no pass
    return cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))


class _Memo:
    """What :func:`detect_overlay` derives from single frames and from pairs of frames, kept while the frames are in
    the window: as the tracker's window slides, each pair is compared for both of its frames and each frame's edges
    count in up to ``2 * window + 1`` outlines. Keyed by the frame arrays' ids; the frames are held, so an id is not
    reused while its entries live."""

    def __init__(self) -> None:
        self._frames: dict[int, np.ndarray] = {}
        self._strength: dict[int, np.ndarray] = {}
        self._deviation: dict[tuple[int, int], np.ndarray] = {}
        self._least: dict[tuple[tuple[int, int], float], np.ndarray] = {}

    def retain(self, frames: Sequence[np.ndarray]) -> None:
        """Drop what belongs to frames no longer in the window ``frames``."""
        ids = {id(frame) for frame in frames}
        for key in [key for key in self._frames if key not in ids]:
            del self._frames[key]
            self._strength.pop(key, None)
        for pair in [pair for pair in self._deviation if not ids.issuperset(pair)]:
            del self._deviation[pair]
        self._frames.update((id(frame), frame) for frame in frames)

    def deviation(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``(H, W)``: the largest channel of ``|a - b|``. Kept for the pair's other frame, then dropped (the tracker
        asks for each pair twice)."""
        key = (min(id(a), id(b)), max(id(a), id(b)))
        if key in self._deviation:
            return self._deviation.pop(key)
        self._deviation[key] = out = _channel_max(cv2.absdiff(a, b))
        return out

    def strength(self, frame: np.ndarray, scale: float) -> np.ndarray:
        """``(H, W)`` float32: :func:`_edge_strength` of the whole frame."""
        if id(frame) not in self._strength:
            self._strength[id(frame)] = _edge_strength(frame, scale)
        return self._strength[id(frame)]

    def least_moving(self, shape: tuple[int, int], level: float) -> np.ndarray:
        """``(H, W)`` uint16: the fewest moving pixels in the 65 x 65 box around each pixel for ``level`` of its
        in-frame pixels (the whole count: float32 ``level * count`` rounded up, so integer counts compare alike)."""
        if (shape, level) not in self._least:
            count = cv2.boxFilter(np.ones(shape, np.float32), -1, **_BOX)
            self._least[shape, level] = np.ceil(level * count).astype(np.uint16)
        return self._least[shape, level]


def _wide_shares(integral: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Per box ``(x, y, w, h)`` of ``boxes`` ``(N, 4)``: the share of moving pixels in a square of side
    ``4 * max(w, h)`` (at least 96) centred on it; ``integral`` is ``cv2.integral`` of the ``(H, W)`` moving map."""
    height, width = integral.shape[0] - 1, integral.shape[1] - 1
    x, y, w, h = boxes.T
    half = np.maximum(48, 2 * np.maximum(w, h))
    cx, cy = x + w // 2, y + h // 2
    x0, x1 = np.maximum(0, cx - half), np.minimum(width, cx + half)
    y0, y1 = np.maximum(0, cy - half), np.minimum(height, cy + half)
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return total / np.maximum(1, (x1 - x0) * (y1 - y0))


def _activity(frames: Sequence[np.ndarray], level: float) -> np.ndarray:
    """``(T, H, W, C)`` -> ``(H, W)`` float32: the share of consecutive frame pairs in which a pixel changes by more
    than ``level``. Content passing behind an overlay changes nearly every frame; a still background beside a
    walking person only while the person passes."""
    changes = np.zeros(frames[0].shape[:2], np.uint8)
    for before, after in itertools.pairwise(frames):
        changes += _channel_max(cv2.absdiff(before, after)) > level
    return changes.astype(np.float32) / max(1, len(frames) - 1)


def _run_starts(index: int, count: int, settings: StaticSettings) -> range:
    """The first frames of the runs of ``run`` frames through ``index`` among ``count`` frames."""
    return range(max(0, index - settings.run + 1), min(index, count - settings.run) + 1)


def _outline_edges(frames: np.ndarray, index: int, settings: StaticSettings, scale: float) -> np.ndarray:
    """Per pixel of a crop ``(T, h, w, C)``: the weakest edge strength over a run through ``index`` (the best run):
    an overlay's outline is an edge in every frame of its run, a still patch inside moving content is not."""
    strength = np.stack([_edge_strength(frame, scale) for frame in frames])  # (T, h, w)
    edges = np.zeros_like(strength[0])
    for start in _run_starts(index, len(frames), settings):
        np.maximum(edges, strength[start : start + settings.run].min(axis=0), out=edges)
    return edges


def _pixel_outline_edges(strength: Sequence[np.ndarray], pixels: np.ndarray, index: int, settings: StaticSettings
                         ) -> np.ndarray:  # fmt: skip
    """:func:`_outline_edges` at the flat indices ``pixels`` of whole frames, from their edge strengths ``(H, W)``:
    every run through ``index`` holds it, so a run's minimum is that of the minima from its start to ``index`` and
    from ``index`` to its end, each built up one frame at a time (min and max are exact: any order gives the same)."""
    values = [item.ravel()[pixels] for item in strength]
    edges = np.zeros_like(values[index])
    starts = _run_starts(index, len(values), settings)
    if not starts:
        return edges
    before = {index: values[index]}  # start -> the minimum over start..index
    for start in range(index - 1, starts.start - 1, -1):
        before[start] = np.minimum(before[start + 1], values[start])
    after = {index: values[index]}  # end -> the minimum over index..end
    for end in range(index + 1, starts[-1] + settings.run):
        after[end] = np.minimum(after[end - 1], values[end])
    for start in starts:
        np.maximum(edges, np.minimum(before[start], after[start + settings.run - 1]), out=edges)
    return edges


def _surrounded(component: np.ndarray, activity: np.ndarray, settings: StaticSettings) -> bool:
    """Whether the close surroundings of a region (``(h, w)`` bool, cropped with a margin) change nearly every
    frame."""
    ys, xs = np.nonzero(component)
    size = max(ys.max() - ys.min(), xs.max() - xs.min()) + 1
    radius = int(np.clip(size // 2, 8, 32))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    near = cv2.dilate(component.view(np.uint8), kernel).view(bool) & ~component
    return bool(near.any() and activity[near].mean() >= settings.surround)


def _outlined(component: np.ndarray, edges: np.ndarray, settings: StaticSettings) -> bool:
    """Whether a region's border is a sharp edge (``edges`` from :func:`_outline_edges`)."""
    inner = component & ~cv2.erode(component.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    return bool(edges[inner].mean() >= settings.edge)


def _outline_means(candidates: np.ndarray, labels: np.ndarray, chosen: np.ndarray, num: int,
                   edges_at: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:  # fmt: skip
    """Per label of ``chosen``: the mean outline edge (``edges_at(flat pixels)``) over the region's border, as
    :func:`_outlined` takes it, for all the regions at once (NaN: no border). Regions are 8-connected, so a
    candidate pixel's candidate neighbours are its region's and the border of every region is that of
    ``candidates``."""
    inner = np.flatnonzero(candidates & ~cv2.erode(candidates.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool))
    which = labels.ravel()[inner]
    wanted = np.zeros(num, bool)
    wanted[chosen] = True
    mine = wanted[which]  # border pixels of the chosen regions
    inner, which = inner[mine], which[mine]
    counts = np.bincount(which, minlength=num)[chosen]
    sums = np.bincount(which, weights=edges_at(inner), minlength=num)[chosen]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


_BOX = {"ksize": (65, 65), "normalize": False, "borderType": cv2.BORDER_CONSTANT}


def _near_motion(moving: np.ndarray, level: float, memo: _Memo) -> np.ndarray:
    """``(H, W)`` bool: pixels with at least ``level`` moving pixels in the 65 x 65 box around them (in frame).
    Counted in uint16 (at most 65 * 65): exact, as the float32 sums were."""
    moved = cv2.boxFilter(moving.view(np.uint8), cv2.CV_16U, **_BOX)
    return moved >= memo.least_moving(moving.shape, level)


def detect_overlay(frames: np.ndarray, index: int, settings: StaticSettings) -> np.ndarray | None:
    """The overlay pixels of frame ``frames[index]``, from the frames around it.

    Args:
        frames: ``(T, H, W, C)`` consecutive source frames (uint8 or uint16), ``index`` among them.
        index: the frame whose overlay state is wanted.
        settings: thresholds.

    Returns:
        ``(H, W)`` bool, or None when no overlay was found.
    """
    return _detect(list(frames), index, settings, _Memo())


def _detect(frames: Sequence[np.ndarray], index: int, settings: StaticSettings, memo: _Memo) -> np.ndarray | None:
    """:func:`detect_overlay` of the frames ``frames`` (``(H, W, C)`` each), with what ``memo`` kept of them."""
    memo.retain(frames)
    count = len(frames)
    height, width = frames[index].shape[:2]
    scale = 257.0 if frames[index].dtype == np.uint16 else 1.0
    # 1. How far each frame is from this one; a shot where almost nothing moves has nothing to protect.
    deviation = {t: memo.deviation(frames[t], frames[index]) for t in range(count) if t != index}  # T - 1 x (H, W)
    farthest = np.zeros((height, width), frames[index].dtype)  # a frame's distance from itself
    for item in deviation.values():
        cv2.max(farthest, item, dst=farthest)
    moving = farthest > settings.moving * scale
    if np.count_nonzero(moving) / moving.size < 0.02:
        return None
    # 2. Pixels that stay within `still` of this frame over a run of `run` frames through it, with motion around.
    still = math.floor(settings.still * scale)  # deviations are whole levels
    length = np.ones((height, width), np.uint8)
    for order in (range(index - 1, -1, -1), range(index + 1, count)):  # the streak before, then after
        streak = None  # uint8, 255: within `still` of this frame from it to t
        for t in order:
            close = cv2.compare(deviation[t], still, cv2.CMP_LE)
            streak = close if streak is None else cv2.bitwise_and(streak, close, dst=streak)
            cv2.add(length, 1, dst=length, mask=streak)
    constant = length >= settings.run
    candidates = constant & _near_motion(moving, settings.surround / 4, memo)
    if not candidates.any():
        return None
    # 3. Judge each region of the right size on the whole frame: the wide motion around it and its outline (cheap,
    # and they turn down most regions).
    # Any labelling algorithm finds the same regions; Grana's (BBDT) is about three times as fast as the default.
    num, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        candidates.view(np.uint8), 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    areas = stats[1:, cv2.CC_STAT_AREA]
    chosen = np.flatnonzero((areas >= settings.min_area) & (areas <= settings.max_share * height * width)) + 1
    integral = cv2.integral(moving.view(np.uint8))
    # a still scene with something moving nearby (a static camera): not an overlay
    chosen = chosen[_wide_shares(integral, stats[chosen, :4]) >= settings.surround * 0.75]
    if not chosen.size:
        return None
    strength = [memo.strength(frame, scale) for frame in frames]
    means = _outline_means(candidates, labels, chosen, num,
                           lambda pixels: _pixel_outline_edges(strength, pixels, index, settings))  # fmt: skip
    # Sums in another order (and a crop's grey level may differ by a rounding step): near the threshold, the crop.
    unsure = np.abs(means - settings.edge) <= 1e-3 * max(1.0, settings.edge)
    outlined = []  # (label, its crop)
    margin = 34  # the largest ring radius (32) and the 3 x 3 edge filter
    for label, mean, near_edge in zip(chosen, means, unsure, strict=True):
        if not near_edge and not mean >= settings.edge:
            continue
        x, y, w, h = stats[label, :4]
        box = (max(0, y - margin), min(height, y + h + margin), max(0, x - margin), min(width, x + w + margin))
        if near_edge:
            crop = np.stack([frame[box[0] : box[1], box[2] : box[3]] for frame in frames])
            component = labels[box[0] : box[1], box[2] : box[3]] == label
            if not _outlined(component, _outline_edges(crop, index, settings, scale), settings):
                continue
        outlined.append((label, box))
    if not outlined:
        return None
    # 4. The close surroundings of the outlined regions, with the activity over the box holding all their crops.
    top, left = min(box[0] for _, box in outlined), min(box[2] for _, box in outlined)
    bottom, right = max(box[1] for _, box in outlined), max(box[3] for _, box in outlined)
    activity = _activity([frame[top:bottom, left:right] for frame in frames], settings.moving * scale / 2)
    keep = np.zeros(num, bool)
    for label, (y0, y1, x0, x1) in outlined:
        component = labels[y0:y1, x0:x1] == label
        keep[label] = _surrounded(component, activity[y0 - top : y1 - top, x0 - left : x1 - left], settings)
    return keep[labels] if keep.any() else None


class StaticPreview:
    """Writes what was protected, per source frame: a ``.mp4``/``.mkv``/``.mov`` video (the source dimmed, the
    protected pixels as they are, outlined in red) or a folder with one PNG mask per change (``mask_<frame>.png``,
    white = protected). Written under a temporary name and moved into place by :meth:`finish`."""

    def __init__(self, path: str | os.PathLike, frame_rate: Fraction, width: int, height: int) -> None:
        self.path, self.frame_rate, self.width, self.height = Path(path), frame_rate, width, height
        self.temp = partial_path(self.path)
        self._encoder: VideoEncoder | None = None
        self._started = False
        self._last: np.ndarray | None = None

    def _start(self) -> None:
        """Open the output under its temporary name (on the first frame, so a job refused earlier leaves none)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix:
            self._encoder = VideoEncoder(self.temp, self.width, self.height, self.frame_rate)
        else:
            self.temp.mkdir()
        self._started = True

    def add(self, index: int, image: np.ndarray, mask: np.ndarray | None) -> None:
        """Show source frame ``index`` (``(H, W, 3)``) with its protected pixels ``mask`` (None: none)."""
        if not self._started:
            self._start()
        mask = np.zeros(image.shape[:2], bool) if mask is None else mask
        if self._encoder is None:
            if self._last is None or not np.array_equal(mask, self._last):
                write_png(mask.astype(np.uint8) * 255, self.temp / f"mask_{index:06d}.png")
            self._last = mask
            return
        view = (image // 3).astype(image.dtype)
        np.copyto(view, image, where=mask[:, :, None])
        outline = cv2.morphologyEx(mask.view(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).view(bool)
        view[outline] = (np.iinfo(image.dtype).max, 0, 0)
        self._encoder.write(view)

    def finish(self) -> None:
        if not self._started:
            self._start()
        if self._encoder is not None:
            self._encoder.close()
        move_into_place(self.temp, self.path)

    def abort(self) -> None:
        if self._encoder is not None:
            self._encoder.abort()
            self._encoder = None
        if self.temp.is_dir():
            shutil.rmtree(self.temp, ignore_errors=True)
        else:
            self.temp.unlink(missing_ok=True)


def static_tracker(
    settings: StaticSettings, mask: str | os.PathLike | None, show: Path | None, info: VideoInfo
) -> StaticTracker | None:  # fmt: skip
    """The tracker of a video job (None: protection off, no user mask and no preview asked for)."""
    if settings.mode == "off" and mask is None and show is None:
        return None
    user_mask = None if mask is None else load_static_mask(mask, info.width, info.height)
    preview = None if show is None else StaticPreview(show, info.frame_rate, info.width, info.height)
    return StaticTracker(settings, user_mask, None if mask is None else mask_digest(mask), preview)


def static_identity(tracker: StaticTracker | None) -> dict:
    """What of the protection changes a video job's output (part of its resume key; a preview does not)."""
    if tracker is None:
        return {"static": "off", "static_mask": None}
    settings = tracker.settings
    return {"static": asdict(settings) if settings.mode == "auto" else "off", "static_mask": tracker.mask_digest}


class StaticTracker:
    """Finds each source frame's overlay as the frames stream past, and puts it back into the in-betweens.

    :meth:`frames` wraps the decoded frames: it reads ``window`` frames ahead (``3 * window`` when it looks for
    watermarks too: their fit needs the background to move far; that many more frames in memory) and records each
    frame's overlay mask before handing the frame on; :meth:`engine_inputs` and :meth:`composite` then serve any gap
    between frames handed on. A user mask is added to every frame's mask. Watermarks are searched for every
    ``refresh`` frames, and fitted again only when the static edges changed (a fit takes a while); near the end,
    on fewer frames, the last fit is kept.
    """

    def __init__(
        self,
        settings: StaticSettings,
        user_mask: np.ndarray | None = None,
        mask_digest: str | None = None,
        preview: StaticPreview | None = None,
    ) -> None:
        self.settings, self.user_mask, self.mask_digest, self.preview = settings, user_mask, mask_digest, preview
        self._masks: dict[int, np.ndarray | None] = {}
        self._marks: dict[int, list[Watermark]] = {}
        self._last_marks: list[Watermark] = []
        self._fitted_on = 0  # frames the last watermark search saw
        self._chain: dict[int, tuple[list[Watermark], int]] = {}  # the two above, before each frame was recorded
        self.masks_wanted = True  # False: only the watermark chain is followed (a timeline pass makes no frames)
        self._share_sum = 0.0
        self._composited = 0
        self._memo = _Memo()  # the window's frame differences and edges, kept as it slides

    @property
    def protected_share(self) -> float:
        """Mean share of the frame protected over the in-betweens made so far."""
        return self._share_sum / self._composited if self._composited else 0.0

    @property
    def context(self) -> int:
        """Source frames before a frame that its mask depends on."""
        return self.settings.window

    def chain_at(self, index: int) -> tuple[list[Watermark], int]:
        """The watermark search's state just before frame ``index`` was recorded (kept from the anchor on)."""
        return self._chain[index]

    def restore_chain(self, marks: list[Watermark], fitted_on: int) -> None:
        """Go on with the watermark search's state of :meth:`chain_at` (a timeline checkpoint)."""
        self._last_marks, self._fitted_on = list(marks), fitted_on

    def frames(self, source: Iterable[SourceFrame], record_from: int = 0) -> Iterator[SourceFrame]:
        """The frames of ``source``, each once its overlay mask is known. Frames before ``record_from`` (the
        :attr:`context` frames before a timeline checkpoint) only fill the history and are not handed on."""
        window = self.settings.window
        history: deque[np.ndarray] = deque(maxlen=window)
        ahead: deque[SourceFrame] = deque()
        reach = 3 * window if self.settings.mode == "auto" and self.settings.watermarks else window

        def release() -> SourceFrame:
            frame = ahead.popleft()
            self._record(frame, history, ahead)
            history.append(frame.image)
            return frame

        for frame in source:
            if frame.index < record_from:
                history.append(frame.image)
                continue
            ahead.append(frame)
            if len(ahead) > reach:
                yield release()
        while ahead:
            yield release()
        self._memo = _Memo()  # let the last window's frames and maps go

    def _record(self, frame: SourceFrame, history: Sequence[np.ndarray], ahead: Sequence[SourceFrame]) -> None:
        mask, marks = None, []
        self._chain[frame.index] = (self._last_marks, self._fitted_on)
        if self.settings.mode == "auto":
            images = [*history, frame.image, *(item.image for item in ahead)]
            if all(image.shape == frame.image.shape for image in images):  # mixed sizes are refused later
                if self.masks_wanted:
                    near = images[: len(history) + 1 + self.settings.window]
                    mask = _detect(near, len(history), self.settings, self._memo)
                if self.settings.watermarks and frame.index % self.settings.refresh == 0:
                    self._refresh_marks(images, len(history))  # looks three times as far ahead
                marks = self._last_marks
        if self.user_mask is not None and self.user_mask.shape == frame.image.shape[:2]:
            mask = self.user_mask if mask is None else mask | self.user_mask
        self._masks[frame.index] = mask
        if marks:
            self._marks[frame.index] = marks
        if self.preview is not None:
            shown = mask
            for mark in marks:
                shown = mark.full_mask(*frame.image.shape[:2]) | (False if shown is None else shown)
            self.preview.add(frame.index, frame.image, shown)

    def _refresh_marks(self, window: list[np.ndarray], index: int) -> None:
        """Fit the watermarks again unless the last fit still holds (the same static edges, nothing new) or this
        window is shorter than the last fit's (near the end)."""
        if len(window) < self._fitted_on:
            return
        greys = greys_of(window)  # the search's static edges and its fit's greys, made once for both steps
        edges = static_edges(window, WatermarkSettings(), greys)
        if still_there(window, self._last_marks, edges=edges):
            return
        found = find_watermarks(window, index, greys=greys, edges=edges)
        self._last_marks, self._fitted_on = found, len(window)

    def _mask(self, index: int) -> np.ndarray | None:
        return self._masks.get(index)

    def forget_before(self, index: int) -> None:
        """Drop the masks of frames before ``index`` (gaps are served in order)."""
        for key in [key for key in self._masks if key < index]:
            del self._masks[key]
            self._marks.pop(key, None)
            self._chain.pop(key, None)

    def engine_inputs(
        self, a: int, b: int, image_a: np.ndarray, image_b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:  # fmt: skip
        """The pair to give the engine for the gap ``a -> b``: watermarks taken out of each frame, and where an
        overlay is in one frame only, that frame takes the other frame's pixels, so no in-between shows a ghost of
        it. None: the frames as they are."""
        marks_a, marks_b = self._marks.get(a), self._marks.get(b)
        if marks_a and image_a.shape == image_b.shape:
            image_a = remove_watermarks(image_a, marks_a)
        if marks_b and image_a.shape == image_b.shape:
            image_b = remove_watermarks(image_b, marks_b)
        cleaned = (image_a, image_b) if marks_a or marks_b else None
        mask_a, mask_b = self._mask(a), self._mask(b)
        if mask_a is None and mask_b is None:
            return cleaned
        empty = np.zeros(image_a.shape[:2], bool)
        only_a = (empty if mask_a is None else mask_a) & ~(empty if mask_b is None else mask_b)
        only_b = (empty if mask_b is None else mask_b) & ~(empty if mask_a is None else mask_a)
        if only_a.sum() < self.settings.min_area and only_b.sum() < self.settings.min_area:
            return cleaned
        return composite(image_a, image_b, only_a), composite(image_b, image_a, only_b)

    def composite(self, image: np.ndarray, a: int, b: int, image_a: np.ndarray, image_b: np.ndarray, t: float
                  ) -> np.ndarray:  # fmt: skip
        """The in-between ``image`` (``(H, W, 3)``) at time ``t`` of the gap ``a -> b`` with the nearer source
        frame's watermarks and overlay put back; ``image`` itself when there are none."""
        index, source = (a, image_a) if t < 0.5 else (b, image_b)
        mask, marks = self._mask(index), self._marks.get(index)
        self._composited += 1
        if image.shape != source.shape or (mask is None and not marks):
            return image
        shown = np.zeros(image.shape[:2], bool) if mask is None else mask.copy()
        if marks:
            image = restore_watermarks(image, marks)
            for mark in marks:
                shown |= mark.full_mask(*image.shape[:2])
        self._share_sum += float(shown.mean())
        return image if mask is None else composite(image, source, mask)

    def finish(self) -> None:
        if self.preview is not None:
            self.preview.finish()

    def abort(self) -> None:
        if self.preview is not None:
            self.preview.abort()

    def identity(self) -> dict:
        """What of the protection changes the output (part of video mode's resume key)."""
        return static_identity(self)
