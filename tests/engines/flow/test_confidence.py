"""The flow engine's confidence (``iter_scored``): in [0, 1], high on an easy real pair, below the default fallback
threshold on a pan the network cannot follow, higher when a pan is pre-aligned, ranking the frames of a real clip
as their true error does; tiles and the generic default score too."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from framer.engines import Engine, ScoredFrame
from framer.engines.tiling import TiledEngine
from framer.evaluation.results import spearman
from framer.io.images import read_image
from framer.motion import apply_homography, fit_alignment
from framer.synthetic.large_motion import make_large_motion_case
from framer.video.fallback import DEFAULT_THRESHOLD

WIDTH, HEIGHT = 448, 256  # a 300 px pan keeps a third of the picture in view


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0


@pytest.fixture(scope="module")
def easy_pair(shared_data) -> tuple[torch.Tensor, torch.Tensor]:
    """Two real frames two apart (Vimeo septuplet, 112x64): small motion the network gets right."""
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    return _tensor(read_image(folder / "im3.png")), _tensor(read_image(folder / "im5.png"))


@pytest.fixture(scope="module")
def pan():
    return make_large_motion_case("shift", 300, width=WIDTH, height=HEIGHT, num_frames=1)


def _psnr(frame: torch.Tensor, truth: np.ndarray) -> float:
    return -10 * float(torch.log10((frame - _tensor(truth)).square().mean()))


def test_scored_frames_are_the_plain_frames_with_a_confidence_in_0_1(flow_engine, easy_pair):
    scored = list(flow_engine.iter_scored(*easy_pair, [0.25, 0.5, 0.75]))
    plain = list(flow_engine.iter_frames(*easy_pair, [0.25, 0.5, 0.75]))
    assert all(isinstance(item, ScoredFrame) for item in scored)
    for item, frame in zip(scored, plain, strict=True):
        assert torch.equal(item.frame, frame)
        assert 0.0 <= item.confidence <= 1.0


def test_a_failing_pan_scores_below_the_threshold_and_an_easy_pair_above(flow_engine, easy_pair, pan):
    easy = next(flow_engine.iter_scored(*easy_pair, [0.5])).confidence
    failed = next(flow_engine.iter_scored(_tensor(pan.keyframes[0]), _tensor(pan.keyframes[1]), [0.5]))
    assert _psnr(failed.frame, pan.frames[0]) < 18  # the network did fail (ghosts of both keyframes)
    assert failed.confidence < DEFAULT_THRESHOLD < 0.5 < easy


def test_a_pre_aligned_pan_scores_higher_than_the_plain_one(flow_engine):
    width, height = 256, 128
    case = make_large_motion_case("shift", 96, width=width, height=height, num_frames=1)
    xs, ys = np.meshgrid(np.arange(8, width - 8, 32), np.arange(8, height - 8, 32))
    starts = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    alignment = fit_alignment(starts, apply_homography(case.transforms[-1], starts), width, height)
    frame0, frame1 = _tensor(case.keyframes[0]), _tensor(case.keyframes[1])
    aligned = next(flow_engine.iter_scored(frame0, frame1, [0.5], alignment=alignment))
    plain = next(flow_engine.iter_scored(frame0, frame1, [0.5]))
    assert _psnr(aligned.frame, case.frames[0]) > _psnr(plain.frame, case.frames[0]) + 3
    assert aligned.confidence > plain.confidence


def test_the_confidence_ranks_the_frames_of_a_real_clip_by_their_error(flow_engine, shared_data):
    """Sintel 0016-0024 (held out from the fit), 192x82: windows of 2, 4 and 8 frames, 17 in-betweens in all. The
    ranking needs both how far the keyframes lie apart (longer gaps are worse) and where t lies between them (frames
    near a keyframe are better): Spearman 0.92 measured; without the position term 0.79."""
    folder = shared_data / "sintel_raft_demo"
    frames = [cv2.resize(read_image(folder / f"frame_{n:04d}.png"), (192, 82), interpolation=cv2.INTER_AREA)
              for n in range(16, 25)]  # fmt: skip
    confidences, psnrs = [], []
    for gap in (2, 4, 8):
        for start in range(0, 9 - gap, gap):
            times = [k / gap for k in range(1, gap)]
            scored = flow_engine.iter_scored(_tensor(frames[start]), _tensor(frames[start + gap]), times)
            for k, item in enumerate(scored, start=1):
                confidences.append(item.confidence)
                psnrs.append(_psnr(item.frame, frames[start + k]))
    assert len(psnrs) == 17 and max(psnrs) - min(psnrs) > 8  # a real spread of errors to rank
    assert spearman(confidences, psnrs) >= 0.85


def test_tiles_score_by_area_and_close_to_the_whole_frame(flow_engine, shared_data):
    folder = shared_data / "middlebury_rubberwhale"
    frame0, frame1 = (_tensor(read_image(folder / name)[:128, :256]) for name in ("frame07.png", "frame09.png"))
    whole = next(flow_engine.iter_scored(frame0, frame1, [0.5])).confidence
    tiled = next(TiledEngine(flow_engine, 128, 32).iter_scored(frame0, frame1, [0.5])).confidence
    assert 0.0 <= tiled <= 1.0 and abs(tiled - whole) < 0.15


class _CrossFade(Engine):
    """An engine with no signals of its own: the generic default scores it."""

    name = "cross-fade"
    device = torch.device("cpu")

    def iter_frames(self, frame0, frame1, times):
        for t in times:
            yield torch.lerp(frame0, frame1, t)


def test_the_generic_default_trusts_a_cross_fade_of_a_still_scene_more_than_of_a_pan(easy_pair, pan):
    still = next(_CrossFade().iter_scored(easy_pair[0], easy_pair[0], [0.5])).confidence
    panned = next(_CrossFade().iter_scored(_tensor(pan.keyframes[0]), _tensor(pan.keyframes[1]), [0.5])).confidence
    assert still > 0.99 and panned < still - 0.3
