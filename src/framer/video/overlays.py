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
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
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
    find_watermarks,
    remove_watermarks,
    restore_watermarks,
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
    """``(H, W, C)`` -> ``(H, W)``: the largest channel (OpenCV: several times faster than numpy's reduction)."""
    if image.ndim == 2:
        return image
    flat = image.reshape(image.shape[0], -1)  # (H, W * C)
    out = np.ascontiguousarray(flat[:, 0 :: image.shape[2]])
    for c in range(1, image.shape[2]):
        cv2.max(out, np.ascontiguousarray(flat[:, c :: image.shape[2]]), dst=out)
    return out


def _edge_strength(frame: np.ndarray, scale: float) -> np.ndarray:
    """``(H, W, 3)`` -> ``(H, W)`` float32: local contrast (3x3 max - min of the grey level), in 8-bit levels."""
    grey = cv2.cvtColor(frame.astype(np.float32) / scale, cv2.COLOR_RGB2GRAY)
    return cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))


def _wide_share(integral: np.ndarray, box: tuple[int, int, int, int], size: int) -> float:
    """Share of moving pixels in a square of side ``4 * size`` (at least 96) centred on ``box`` ``(x, y, w, h)``;
    ``integral`` is ``cv2.integral`` of the ``(H, W)`` moving map."""
    height, width = integral.shape[0] - 1, integral.shape[1] - 1
    x, y, w, h = box
    half = max(48, 2 * size)
    cx, cy = x + w // 2, y + h // 2
    x0, x1, y0, y1 = max(0, cx - half), min(width, cx + half), max(0, cy - half), min(height, cy + half)
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return float(total) / max(1, (x1 - x0) * (y1 - y0))


def _activity(frames: np.ndarray, level: float) -> np.ndarray:
    """``(T, H, W, C)`` -> ``(H, W)`` float32: the share of consecutive frame pairs in which a pixel changes by more
    than ``level``. Content passing behind an overlay changes nearly every frame; a still background beside a
    walking person only while the person passes."""
    changes = np.zeros(frames.shape[1:3], np.uint8)
    for before, after in itertools.pairwise(frames):
        changes += _channel_max(cv2.absdiff(before, after)) > level
    return changes.astype(np.float32) / max(1, len(frames) - 1)


def _outline_edges(frames: np.ndarray, index: int, settings: StaticSettings, scale: float) -> np.ndarray:
    """Per pixel of a crop ``(T, h, w, C)``: the weakest edge strength over a run through ``index`` (the best run):
    an overlay's outline is an edge in every frame of its run, a still patch inside moving content is not."""
    strength = np.stack([_edge_strength(frame, scale) for frame in frames])  # (T, h, w)
    edges = np.zeros_like(strength[0])
    for start in range(max(0, index - settings.run + 1), min(index, len(frames) - settings.run) + 1):
        np.maximum(edges, strength[start : start + settings.run].min(axis=0), out=edges)
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


def _near_motion(moving: np.ndarray, level: float) -> np.ndarray:
    """``(H, W)`` bool: pixels with at least ``level`` moving pixels in the 65 x 65 box around them (in frame)."""
    box = {"ksize": (65, 65), "normalize": False, "borderType": cv2.BORDER_CONSTANT}
    moved = cv2.boxFilter(moving.astype(np.float32), -1, **box)
    return moved >= level * cv2.boxFilter(np.ones(moving.shape, np.float32), -1, **box)


def detect_overlay(frames: np.ndarray, index: int, settings: StaticSettings) -> np.ndarray | None:
    """The overlay pixels of frame ``frames[index]``, from the frames around it.

    Args:
        frames: ``(T, H, W, C)`` consecutive source frames (uint8 or uint16), ``index`` among them.
        index: the frame whose overlay state is wanted.
        settings: thresholds.

    Returns:
        ``(H, W)`` bool, or None when no overlay was found.
    """
    count, height, width = frames.shape[:3]
    scale = 257.0 if frames.dtype == np.uint16 else 1.0
    # 1. How far each frame is from this one; a shot where almost nothing moves has nothing to protect.
    deviation = [_channel_max(cv2.absdiff(frame, frames[index])) for frame in frames]  # T x (H, W)
    farthest = deviation[0].copy()
    for item in deviation[1:]:
        cv2.max(farthest, item, dst=farthest)
    moving = farthest > settings.moving * scale
    if moving.mean() < 0.02:
        return None
    # 2. Pixels that stay within `still` of this frame over a run of `run` frames through it, with motion around.
    close = [item <= settings.still * scale for item in deviation]
    length = np.ones((height, width), np.uint8)
    for order in (range(index - 1, -1, -1), range(index + 1, count)):  # the streak before, then after
        streak = np.ones((height, width), bool)
        for t in order:
            streak &= close[t]
            length += streak
    constant = length >= settings.run
    candidates = constant & _near_motion(moving, settings.surround / 4)
    if not candidates.any():
        return None
    # 3. Judge each region of the right size on its crop.
    num, labels, stats, _ = cv2.connectedComponentsWithStats(candidates.view(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    chosen = np.flatnonzero((areas >= settings.min_area) & (areas <= settings.max_share * height * width)) + 1
    integral = cv2.integral(moving.view(np.uint8))
    activity = None
    keep = np.zeros(num, bool)
    margin = 34  # the largest ring radius (32) and the 3 x 3 edge filter
    for label in chosen:
        x, y, w, h = stats[label, :4]
        if _wide_share(integral, (x, y, w, h), max(w, h)) < settings.surround * 0.75:
            continue  # a still scene with something moving nearby (a static camera): not an overlay
        if activity is None:
            activity = _activity(frames, settings.moving * scale / 2)
        y0, y1 = max(0, y - margin), min(height, y + h + margin)
        x0, x1 = max(0, x - margin), min(width, x + w + margin)
        component = labels[y0:y1, x0:x1] == label
        if _surrounded(component, activity[y0:y1, x0:x1], settings):
            edges = _outline_edges(frames[:, y0:y1, x0:x1], index, settings, scale)
            keep[label] = _outlined(component, edges, settings)
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

    def _record(self, frame: SourceFrame, history: Sequence[np.ndarray], ahead: Sequence[SourceFrame]) -> None:
        mask, marks = None, []
        self._chain[frame.index] = (self._last_marks, self._fitted_on)
        if self.settings.mode == "auto":
            images = [*history, frame.image, *(item.image for item in ahead)]
            if all(image.shape == frame.image.shape for image in images):  # mixed sizes are refused later
                if self.masks_wanted:
                    near = np.stack(images[: len(history) + 1 + self.settings.window])
                    mask = detect_overlay(near, len(history), self.settings)
                if self.settings.watermarks and frame.index % self.settings.refresh == 0:
                    self._refresh_marks(np.stack(images), len(history))  # looks three times as far ahead
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

    def _refresh_marks(self, window: np.ndarray, index: int) -> None:
        """Fit the watermarks again unless the last fit still holds (the same static edges, nothing new) or this
        window is shorter than the last fit's (near the end)."""
        if len(window) < self._fitted_on or still_there(window, self._last_marks):
            return
        self._last_marks, self._fitted_on = find_watermarks(window, index), len(window)

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
