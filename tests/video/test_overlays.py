"""Static overlays in video mode: found over a window of frames, put back unwarped, switched (never blended)."""

from __future__ import annotations

import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

from framer.engines import Capabilities, Engine
from framer.errors import InputError
from framer.io.atomic import write_png
from framer.io.images import read_image
from framer.synthetic.overlays import make_overlay_clip
from framer.video import interpolate_video
from framer.video.overlays import (
    StaticSettings,
    StaticTracker,
    detect_overlay,
    load_static_mask,
    static_identity,
)
from framer.video.reader import SourceFrame
from framer.video.watermarks import (
    WatermarkSettings,
    find_watermarks,
    greys_of,
    remove_watermarks,
    restore_watermarks,
    static_edges,
)
from helpers.video import BlendEngine

SETTINGS = StaticSettings()
CARPHONE = Path("video_carphone") / "carphone_pristine.mp4"  # under the shared data folder


def _window(frames: np.ndarray, index: int) -> tuple[np.ndarray, int]:
    """The frames the tracker looks at for frame ``index``, and its place among them."""
    low = max(0, index - SETTINGS.window)
    return frames[low : index + SETTINGS.window + 1], index - low


def _write_folder(folder: Path, frames) -> Path:
    folder.mkdir()
    for k, frame in enumerate(frames):
        write_png(frame, folder / f"f{k:03d}.png")
    return folder


def _read_folder(folder: Path) -> list[np.ndarray]:
    return [read_image(path) for path in sorted(folder.iterdir())]


@pytest.mark.parametrize("kind", ["logo", "hud", "subtitles"])
@pytest.mark.parametrize("index", [0, 4, 9, 10, 11, 16, 25])
def test_each_frame_finds_its_own_overlay_state(kind, index):
    clip = make_overlay_clip(kind, num_frames=26, speed=24)  # every state lasts at least `run` frames
    frames = clip.frames()
    mask = detect_overlay(*_window(frames, index), SETTINGS)
    truth = clip.overlays[index][1] > 0
    found = np.zeros_like(truth) if mask is None else mask
    assert np.array_equal(found, truth)  # the whole overlay (digits of the new state included), nothing else


@pytest.mark.parametrize("speed", [10, 60])
def test_a_panning_clip_without_overlay_finds_nothing(speed):
    clip = make_overlay_clip("logo", num_frames=12, speed=speed)
    frames = np.stack([clip.render(k, 0) for k in range(12)])
    bare = frames.copy()
    for k in range(12):  # the same background without the logo
        offset = speed * k
        bare[k] = np.clip(clip.world[:, offset : offset + clip.width] + 0.5, 0, 255).astype(np.uint8)
    assert all(detect_overlay(*_window(bare, k), SETTINGS) is None for k in range(12))


def test_a_still_background_beside_a_moving_object_is_not_an_overlay():
    """A static camera: the background is constant and a textured square walks past; nothing is an overlay."""
    rng = np.random.default_rng(1)
    background = cv2.GaussianBlur(rng.integers(0, 256, (160, 256, 3), np.uint8), (0, 0), 1.5)
    sprite = rng.integers(0, 256, (40, 40, 3), np.uint8)
    frames = np.stack([background.copy() for _ in range(12)])
    for k in range(12):
        frames[k, 60:100, 10 + 14 * k : 50 + 14 * k] = sprite
    assert all(detect_overlay(*_window(frames, k), SETTINGS) is None for k in range(12))


def test_real_clip_without_overlay_finds_nothing(shared_data):
    with av.open(str(shared_data / CARPHONE)) as container:
        decoded = zip(range(40), container.decode(video=0), strict=False)
        frames = np.stack([frame.to_ndarray(format="rgb24") for _, frame in decoded])
    found = [detect_overlay(*_window(frames, k), SETTINGS) for k in range(len(frames))]
    assert all(mask is None for mask in found)


@pytest.mark.parametrize("kind", ["logo", "hud", "subtitles"])
def test_in_betweens_show_the_nearest_overlay_state_exactly(tmp_path, kind):
    """With a blending engine, an unprotected changing overlay is a blend of its two states; protected, each
    in-between's overlay is the nearer source frame's, to the level, and the rest of the frame is unchanged."""
    clip = make_overlay_clip(kind, width=160, height=100, num_frames=24 if kind == "subtitles" else 16, speed=16)
    source = _write_folder(tmp_path / "in", clip.frames())
    outputs = {}
    for mode in ("off", "auto"):
        result = interpolate_video(
            source, tmp_path / mode, multi=3, input_fps=24, engine=BlendEngine(), protect_static=mode
        )
        outputs[mode] = _read_folder(tmp_path / mode)
        assert (result.protected > 0) == (mode == "auto")
    area = clip.overlay_area()
    blended = 0
    for index in range(len(outputs["auto"]) - 3):
        k, step = divmod(index, 3)
        if step == 0:
            continue
        t = step / 3
        _, alpha = clip.truth(k, t)
        nearest = clip.frames()[k if t < 0.5 else k + 1]
        shown = alpha > 0
        assert np.array_equal(outputs["auto"][index][shown], nearest[shown])
        assert np.array_equal(outputs["auto"][index][~area], outputs["off"][index][~area])
        blended += not np.array_equal(outputs["off"][index][shown], nearest[shown])
    if kind != "logo":  # a still logo blends into itself; a changing overlay does not
        assert blended > 0


def test_clip_without_overlay_is_byte_identical_to_off(tmp_path):
    clip = make_overlay_clip("logo", width=128, height=80, num_frames=10, speed=12)
    bare = [np.clip(clip.world[:, 12 * k : 12 * k + 128] + 0.5, 0, 255).astype(np.uint8) for k in range(10)]
    source = _write_folder(tmp_path / "in", bare)
    results = {
        mode: interpolate_video(
            source, tmp_path / f"{mode}.mp4", multi=2, input_fps=24, engine=BlendEngine(), protect_static=mode
        )
        for mode in ("off", "auto")
    }
    assert results["auto"].protected == 0
    assert (tmp_path / "off.mp4").read_bytes() == (tmp_path / "auto.mp4").read_bytes()


def test_tiles_keep_the_overlay(tmp_path):
    clip = make_overlay_clip("logo", width=160, height=100, num_frames=8, speed=16)
    source = _write_folder(tmp_path / "in", clip.frames())
    result = interpolate_video(source, tmp_path / "out", multi=2, input_fps=24, engine=BlendEngine(), tile=64,
                               overlap=16)  # fmt: skip
    assert result.tile == 64
    frames, outputs = clip.frames(), _read_folder(tmp_path / "out")
    shown = clip.overlays[4][1] > 0
    assert shown.any() and np.array_equal(outputs[7][shown], frames[4][shown])  # t = 0.5 of 3 -> 4


def test_user_mask_keeps_its_region_still(tmp_path):
    """A user mask protects its region (white) with --protect-static off; a mask of another size is refused."""
    clip = make_overlay_clip("logo", width=128, height=80, num_frames=6, speed=12)
    frames = clip.frames()
    source = _write_folder(tmp_path / "in", frames)
    mask = np.zeros((80, 128), np.uint8)
    mask[10:30, 20:60] = 255
    write_png(mask, tmp_path / "mask.png")
    interpolate_video(source, tmp_path / "out", multi=2, input_fps=24, engine=BlendEngine(), protect_static="off",
                      static_mask=tmp_path / "mask.png")  # fmt: skip
    outputs = _read_folder(tmp_path / "out")
    assert np.array_equal(outputs[1][10:30, 20:60], frames[1][10:30, 20:60])
    assert not np.array_equal(outputs[1][40:], frames[1][40:])  # elsewhere: the engine's blend
    write_png(mask[:40], tmp_path / "small.png")
    with pytest.raises(InputError, match="is 128x40 but the frames are 128x80"):
        load_static_mask(tmp_path / "small.png", 128, 80)


def test_show_static_writes_a_mask_per_change(tmp_path):
    clip = make_overlay_clip("subtitles", width=192, height=120, num_frames=24, speed=16)
    source = _write_folder(tmp_path / "in", clip.frames())
    interpolate_video(source, tmp_path / "out", multi=2, input_fps=24, engine=BlendEngine(),
                      show_static=tmp_path / "masks")  # fmt: skip
    names = sorted(path.name for path in (tmp_path / "masks").iterdir())
    assert names == ["mask_000000.png", "mask_000004.png", "mask_000012.png", "mask_000016.png"]
    shown = read_image(tmp_path / "masks" / "mask_000004.png") > 0
    assert np.array_equal(shown, clip.overlays[4][1] > 0)


def test_resume_identity_follows_the_protection(tmp_path):
    mask = tmp_path / "mask.png"
    write_png(np.full((8, 8), 255, np.uint8), mask)
    auto = StaticTracker(StaticSettings())
    masked = StaticTracker(StaticSettings("off"), np.ones((8, 8), bool), mask_digest="abc")
    identities = [static_identity(None), static_identity(auto), static_identity(masked)]
    assert len({str(identity) for identity in identities}) == 3
    assert static_identity(StaticTracker(StaticSettings("off"))) == static_identity(None)
    with pytest.raises(InputError, match="protect_static"):
        StaticSettings("always")


class PanEngine(Engine):
    """The exact in-between of a background panning ``speed`` px per frame to the left (the watermark, if any,
    is moved with it, as a flow network would drag it)."""

    name = "pan"
    capabilities = Capabilities()

    def __init__(self, speed: int) -> None:
        self.device = torch.device("cpu")
        self.speed = speed

    def iter_frames(self, frame0: torch.Tensor, frame1: torch.Tensor, times):
        width = frame0.shape[-1]
        for t in times:
            s = round(self.speed * t)
            yield torch.cat([frame0[..., s:], frame1[..., width - self.speed : width - self.speed + s]], dim=-1)


def _psnr(error: np.ndarray) -> float:
    return 10 * np.log10(255.0**2 / max(1e-12, float((error.astype(np.float64) ** 2).mean())))


@pytest.mark.parametrize("speed", [12, 40])
def test_a_semi_transparent_watermark_is_found_and_fitted(speed):
    """Its pixels, and c = alpha * W, beta = 1 - alpha, from 13 frames: the watermark put back over a background
    it was never seen on matches the truth."""
    clip = make_overlay_clip("watermark", num_frames=13, speed=speed)
    marks = find_watermarks(clip.frames(), 0)
    assert len(marks) == 1
    rgb, alpha = clip.overlays[0]
    found, truth = marks[0].full_mask(*alpha.shape), alpha > 0
    assert (found & truth).sum() / (found | truth).sum() >= 0.9
    background = np.ascontiguousarray(clip.world[:, 100:356].astype(np.uint8))
    restored = restore_watermarks(background, marks)
    expected = alpha[:, :, None] * rgb + (1 - alpha[:, :, None]) * background
    assert _psnr(restored[truth] - expected[truth]) >= 45.0
    assert _psnr(restored[~truth] - expected[~truth]) >= 50.0
    frame = clip.frames()[3]
    back = restore_watermarks(remove_watermarks(frame, marks), marks)
    assert np.abs(back.astype(int) - frame).max() <= 2  # taking it out and putting it back loses nothing


def test_the_watermark_fit_reads_the_region_around_the_mark_not_the_window():
    """On a wide window the search converts only the watermark's neighbourhood to float: its peak memory stays
    under one float32 copy of the window (the whole window converted and cleaned took 4.6 times that, which at
    1080p was 1.4 GB). A list of frames gives what the stacked window gives."""
    frames = make_overlay_clip("watermark", width=1536, num_frames=13, speed=12).frames()
    tracemalloc.start()
    try:
        marks = find_watermarks(list(frames), 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < frames.size * 4
    stacked = find_watermarks(frames, 0)
    assert len(marks) == len(stacked) == 1
    assert marks[0].box == stacked[0].box and np.array_equal(marks[0].mask, stacked[0].mask)
    assert np.array_equal(marks[0].offset, stacked[0].offset) and np.array_equal(marks[0].scale, stacked[0].scale)


def test_no_watermark_where_there_is_none():
    clip = make_overlay_clip("logo", num_frames=13, speed=24)
    bare = np.stack([np.clip(clip.world[:, 24 * k : 24 * k + 256] + 0.5, 0, 255).astype(np.uint8) for k in range(13)])
    assert find_watermarks(bare, 4) == []
    assert find_watermarks(clip.frames(), 4) == []  # an opaque logo is the other detector's


def test_real_clip_has_no_watermark(shared_data):
    with av.open(str(shared_data / CARPHONE)) as container:
        decoded = zip(range(40), container.decode(video=0), strict=False)
        frames = np.stack([frame.to_ndarray(format="rgb24") for _, frame in decoded])
    assert all(find_watermarks(frames[max(0, k - 4) : k + 13], min(k, 4)) == [] for k in range(0, 40, 8))


def test_in_betweens_keep_the_watermark_where_it_is(tmp_path):
    """With an engine that interpolates the panning background exactly, the watermark is taken out of the frames it
    gets and put back into each in-between: it stays in place, where without protection it moves with the picture."""
    clip = make_overlay_clip("watermark", num_frames=14, speed=12)
    source = _write_folder(tmp_path / "in", clip.frames())
    scores = {}
    for mode in ("off", "auto"):
        result = interpolate_video(source, tmp_path / mode, multi=2, input_fps=24, engine=PanEngine(12),
                                   protect_static=mode)  # fmt: skip
        outputs = _read_folder(tmp_path / mode)
        errors = []
        for k in range(13):
            truth, alpha = clip.truth(k, 0.5)
            errors.append((outputs[2 * k + 1].astype(np.int32) - truth)[alpha > 0])
        scores[mode] = _psnr(np.concatenate(errors))
        assert (result.protected > 0.05) == (mode == "auto")
    assert scores["auto"] >= 45.0 and scores["off"] <= 30.0, scores


def _textured_frames(rng: np.random.Generator, count: int = 9, shape: tuple[int, int] = (72, 96)) -> list[np.ndarray]:
    """Smooth random frames with still patches (static regions among changing content)."""
    frames = [cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3), np.uint8), (0, 0), 1.2) for _ in range(count)]
    for top, left in ((10, 12), (40, 60)):
        for frame in frames:
            frame[top : top + 14, left : left + 20] = frames[0][top : top + 14, left : left + 20]
    return frames


def test_whole_frame_region_checks_equal_the_crop_ones():
    """The region checks run on the whole frame at once (outline edges at the border pixels, per-label means,
    the wide motion shares, the motion near each pixel, the largest channel) give what the per-region and
    float computations give."""
    from framer.video import overlays

    rng = np.random.default_rng(3)
    frames = _textured_frames(rng)
    scale, index = 1.0, 4
    strength = [overlays._edge_strength(frame, scale) for frame in frames]
    full = overlays._outline_edges(np.stack(frames), index, SETTINGS, scale)  # (H, W)
    pixels = rng.choice(full.size, 500, replace=False)
    assert np.array_equal(overlays._pixel_outline_edges(strength, pixels, index, SETTINGS), full.ravel()[pixels])
    candidates = cv2.GaussianBlur(rng.random(full.shape), (0, 0), 2) > 0.5
    num, labels, stats, _ = cv2.connectedComponentsWithStats(candidates.view(np.uint8), connectivity=8)
    chosen = np.arange(1, num)
    means = overlays._outline_means(candidates, labels, chosen, num, lambda flat: full.ravel()[flat])
    for label, mean in zip(chosen, means, strict=True):
        component = labels == label
        inner = component & ~cv2.erode(component.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        assert mean == pytest.approx(float(full[inner].mean()), rel=1e-5)
    moving = cv2.GaussianBlur(rng.random(full.shape), (0, 0), 3) > 0.45
    integral = cv2.integral(moving.view(np.uint8))
    for (x, y, w, h), share in zip(stats[1:, :4], overlays._wide_shares(integral, stats[1:, :4]), strict=True):
        half = max(48, 2 * max(w, h))
        cx, cy = x + w // 2, y + h // 2
        assert share == moving[max(0, cy - half) : cy + half, max(0, cx - half) : cx + half].mean()
    box = {"ksize": (65, 65), "normalize": False, "borderType": cv2.BORDER_CONSTANT}
    for level in (0.15, 0.3, 1 / 3):
        moved = cv2.boxFilter(moving.astype(np.float32), -1, **box)
        plain = moved >= level * cv2.boxFilter(np.ones(moving.shape, np.float32), -1, **box)
        assert np.array_equal(overlays._near_motion(moving, level, overlays._Memo()), plain)
    for dtype in (np.uint8, np.uint16):
        image = rng.integers(0, np.iinfo(dtype).max, (31, 17, 3), dtype)
        assert np.array_equal(overlays._channel_max(image), image.max(axis=2))


@pytest.mark.parametrize("kind", ["hud", "subtitles"])
def test_the_tracker_finds_what_each_window_shows(kind):
    """The tracker keeps the frames' differences and edges as its window slides: each frame's mask is still the
    one :func:`detect_overlay` finds on that frame's window alone."""
    clip = make_overlay_clip(kind, num_frames=26, speed=24)
    frames = clip.frames()
    tracker = StaticTracker(StaticSettings(watermarks=False))
    source = (SourceFrame(k, Fraction(k, 24), Fraction(1, 24), image) for k, image in enumerate(frames))
    for frame in tracker.frames(source):
        expected = detect_overlay(*_window(frames, frame.index), SETTINGS)
        found = tracker._mask(frame.index)
        assert (found is None) == (expected is None)
        assert found is None or np.array_equal(found, expected)


def test_watermark_search_with_the_window_greys_and_edges_given_finds_the_same():
    clip = make_overlay_clip("watermark", num_frames=13, speed=12)
    frames = clip.frames()
    settings = WatermarkSettings()
    greys = greys_of(list(frames))
    edges = static_edges(list(frames), settings, greys)
    assert np.array_equal(edges, static_edges(frames, settings))
    plain, given = find_watermarks(frames, 0), find_watermarks(frames, 0, greys=greys, edges=edges)
    assert len(plain) == len(given) == 1
    assert plain[0].box == given[0].box and np.array_equal(plain[0].mask, given[0].mask)
    assert np.array_equal(plain[0].offset, given[0].offset) and np.array_equal(plain[0].scale, given[0].scale)
