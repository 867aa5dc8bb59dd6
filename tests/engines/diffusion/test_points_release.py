"""Point updating: our default rule equals the released Framer code's on a fixed feature map, step for step.

Golden numbers (``golden/points_release.npz``) came from running the release's own pipeline ``__call__``
(aim-uofa/Framer @ d0ba81f, ``pipelines/pipeline_stable_video_diffusion_interp_control.py`` with
``sift_track_update=True`` and its ``models_diffusers/sift_match.py``) unchanged, in a throwaway environment outside
the repo (diffusers 0.24.0, transformers 4.27.0, scipy 1.17, torch 2.13 CPU), with stub models: the UNet handed
back fixed up-block-2 features (2 branches x 14 frames x 8 channels x 10 x 16, fp16-exact float32, one set per
step: a smooth random field moving with an ease-in motion plus noise, the unguided branch moving less), 3 steps,
an 80x128 image, 6 SIFT-style tracks made by the release's ``interpolate_trajectory`` (one near the left border,
one that barely moves). A wrapper around ``point_tracking`` logged each forward and backward match; a step callback
logged the tracks, anchor flags and anchors. Stored: the features, the release's per-frame guidance scales, and
per step the tracks used, the forward and backward matches, the flags and the anchors. Only numbers, no code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from framer.engines.diffusion.points import match_keyframes, refit_tracks, update_points, upsampled_at

GOLDEN = np.load(Path(__file__).parent / "golden" / "points_release.npz")
FEATURES = torch.from_numpy(GOLDEN["features"].astype(np.float32))  # (S, 2, F, C, h, w): unguided, guided
SCALES = torch.from_numpy(GOLDEN["scales"]).view(1, -1, 1, 1, 1)  # (1, F, 1, 1, 1)
SIZE = tuple(int(v) for v in GOLDEN["size"])  # (height, width)
STEPS = FEATURES.shape[0]


def _mixed(step: int) -> torch.Tensor:
    """The pipeline's mix of both branches with each frame's guidance scale: ``(F, C, h, w)``."""
    unguided, guided = FEATURES[step]
    return (unguided[None] + SCALES * (guided[None] - unguided[None]))[0]


@pytest.mark.parametrize(
    ("shape", "size"), [((8, 10, 16), (80, 128)), ((3, 7, 5), (23, 41)), ((2, 12, 10), (5, 7)), ((2, 9, 9), (9, 9))]
)
def test_upsampled_at_equals_interpolate_then_index(shape, size):
    features = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    upsampled = F.interpolate(features[None], size=size, mode="bilinear", align_corners=False)[0]
    rows, cols = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]), indexing="ij")
    values = upsampled_at(features, rows, cols, size)
    assert values.shape == upsampled.shape
    assert torch.allclose(values, upsampled, rtol=1e-6, atol=1e-6)  # the same formula, float rounding only


def _distance64(features: torch.Tensor, k: int, reference_frame: int, reference: torch.Tensor, at: torch.Tensor):
    """L1 feature distance in float64 at pixel ``at`` (xy) of frame ``k`` to the keyframe feature at ``reference``."""
    up = F.interpolate(features.double(), size=SIZE, mode="bilinear", align_corners=False)
    key = up[reference_frame, :, int(reference[1]), int(reference[0])]
    return float((up[k, :, int(at[1]), int(at[0])] - key).abs().sum())


def test_forward_and_backward_matches_equal_the_release():
    ties = 0
    for step in range(STEPS):
        tracks = torch.from_numpy(GOLDEN["tracks"][step])  # (N, F, 2), the release's tracks at this step
        forward, backward = match_keyframes(_mixed(step), tracks, 5, SIZE)
        for ours, theirs, key in ((forward, GOLDEN["forward"][step], 0), (backward, GOLDEN["backward"][step], -1)):
            theirs = torch.from_numpy(theirs)  # (N, F - 2, 2)
            assert torch.equal(ours[:, [0, -1]], tracks[:, [0, -1]])
            for n, k in (ours[:, 1:-1] != theirs).any(-1).nonzero().tolist():
                # a different pixel only where the two are tied (the bottom rows of the upsampled map repeat the
                # last feature row; the release's pick among them is float rounding)
                mine = _distance64(_mixed(step), k + 1, key, tracks[n, key], ours[n, k + 1])
                release = _distance64(_mixed(step), k + 1, key, tracks[n, key], theirs[n, k])
                assert mine == pytest.approx(release, rel=1e-9), (step, n, k + 1)
                ties += 1
    assert ties <= 3  # measured: 3 of 432 matches, all tied


def test_update_and_refit_reproduce_the_release_run():
    """The pipeline's step 8 (update, accumulate anchors, PCHIP refit) chained over the release's 3 steps."""
    tracks = torch.from_numpy(GOLDEN["tracks"][0])
    anchors, anchored = tracks.clone(), torch.zeros(tracks.shape[:2], dtype=torch.bool)
    for step in range(STEPS):
        assert torch.allclose(tracks, torch.from_numpy(GOLDEN["tracks"][step]), rtol=0, atol=1e-5)  # measured: 0
        moved, accepted = update_points(_mixed(step), tracks, 5, 2.0, SIZE)
        anchors = torch.where(accepted[..., None], moved, anchors)
        anchored = anchored | accepted
        flags = torch.from_numpy(GOLDEN["flags"][step])
        assert torch.equal(anchored[:, 1:-1], flags[:, 1:-1]) and flags[:, [0, -1]].all()
        assert torch.equal(anchors[flags], torch.from_numpy(GOLDEN["anchors"][step])[flags])  # exact half-pixels
        tracks = refit_tracks(anchors, anchored)
    assert anchored[:, 1:-1].sum() > 10  # the run updated points: the comparison is not vacuous


def test_the_release_mixes_the_branches():
    """The guided branch alone, or the old rule's inputs, would land elsewhere: the mix is what the golden checks."""
    tracks = torch.from_numpy(GOLDEN["tracks"][0])
    forward, _ = match_keyframes(FEATURES[0, 1], tracks, 5, SIZE)
    assert (forward[:, 1:-1] != torch.from_numpy(GOLDEN["forward"][0])).any(-1).sum() > 10


def test_search_is_in_image_pixels_around_the_truncated_point():
    """A texture moved 4 px right per frame: found when within 5 px of the guess, and not from farther away."""
    texture = torch.rand(6, 16, 16, generator=torch.Generator().manual_seed(3))
    features = torch.stack([torch.roll(texture, shifts=s, dims=-1) for s in (0, 1, 2, 2, 2)])  # 4 px a cell
    start = torch.tensor([22.0, 30.0])
    truth = torch.stack([start + torch.tensor([4.0 * s, 0.0]) for s in (0, 1, 2, 2, 2)])[None]  # (1, 5, 2)
    straight = torch.stack([start + (truth[0, -1] - start) * k / 4 for k in range(5)])[None]  # misses by 2..4 px
    positions, accepted = update_points(features, straight + 0.9, 5, 2.0, (64, 64))  # +0.9: truncation keeps it
    assert accepted[0, 1:-1].all() and not accepted[0, [0, -1]].any()
    assert torch.equal(positions[:, 1:-1], truth[:, 1:-1])
    far = truth.clone()
    far[0, 1:-1, 1] += 6  # 6 px below the truth: outside the +-5 px window
    forward, _ = match_keyframes(features, far, 5, (64, 64))
    assert (forward[0, 1:-1, 1] - far[0, 1:-1, 1]).abs().max() <= 5 and (forward[0, 1:-1, 1] != 30).all()


def test_points_off_the_image_do_not_crash():
    """The release indexes out of range (or wraps) for a keyframe point off the image; we clamp into it."""
    features = torch.rand(4, 3, 5, 6, generator=torch.Generator().manual_seed(1))
    tracks = torch.tensor([[[-3.0, 2.0], [20.0, -5.0], [60.0, 50.0], [47.9, 39.9]]])  # 48x40 image
    positions, accepted = update_points(features, tracks, 5, 2.0, (40, 48))
    assert positions.shape == (1, 4, 2) and accepted.shape == (1, 4)
    inside = positions[accepted]
    assert ((inside >= 0) & (inside <= torch.tensor([47.0, 39.0]))).all()
