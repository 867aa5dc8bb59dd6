"""Stage 2's tracks from the real flow engine (RIFE v4.25): accuracy on synthetic sprite videos with known motion,
the consistency checks, the per-clip cache, and the sampling of 1-10 moving points."""

from __future__ import annotations

import numpy as np
import torch

from framer.training.tracks import FlowTracker, grid_points, sample_points, track_clip
from helpers.training_data import sprite_video, true_tracks

SIZE, FRAMES = 128, 6


def _clip(seed: int):
    frames, origin, velocity, sprite = sprite_video(seed, SIZE, SIZE, FRAMES, sprite=48, speed=2.5)
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255, origin, velocity, sprite


def test_flow_tracks_follow_the_true_motion(flow_engine):
    points = grid_points(SIZE, SIZE, 8)
    errors, moving_errors, kept = [], [], []
    for seed in range(3):
        clip, origin, velocity, sprite = _clip(seed)
        tracks, consistent = track_clip(flow_engine, clip, points, tolerance=1.0)
        truth, on_sprite = true_tracks(points, origin, velocity, sprite, FRAMES)
        error = np.linalg.norm(tracks - truth, axis=-1)[:, 1:]  # (M, F - 1): every point in every later frame
        errors.append(error[consistent])
        moving_errors.append(error[consistent & on_sprite])
        kept.append(consistent.mean())
        print(f"seed {seed}: kept {consistent.mean():.0%}, median error {np.median(error[consistent]):.3f} px, "
              f"moving points {np.median(error[consistent & on_sprite]):.3f} px")  # fmt: skip
        assert (consistent & on_sprite).sum() >= 0.8 * on_sprite.sum()  # most sprite points survive the checks
    moving = np.concatenate(moving_errors)
    print(f"all: median {np.median(np.concatenate(errors)):.3f} px, moving {np.median(moving):.3f} px")
    assert np.median(np.concatenate(errors)) <= 1.5 and np.median(moving) <= 1.5
    assert min(kept) >= 0.8


def test_points_that_stop_being_consistent_are_dropped(flow_engine):
    clip = _clip(0)[0].clone()
    clip[3:] = torch.rand(FRAMES - 3, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))  # a cut to noise
    _, consistent = track_clip(flow_engine, clip, grid_points(SIZE, SIZE, 8), tolerance=1.0)
    assert consistent.mean() < 0.2


def test_tracks_are_cached_per_clip(tmp_path, flow_engine):
    clip = _clip(1)[0][:3, :, :64, :64].contiguous()
    tracker = FlowTracker(tmp_path / "cache", spacing=8)
    tracker._engine = flow_engine  # the session's engine, not a second copy
    first = tracker(clip, "clip-a")
    assert tracker.computed == 1 and (tmp_path / "cache" / "clip-a.npy").is_file()
    again = FlowTracker(tmp_path / "cache", spacing=8)
    assert torch.equal(again(clip, "clip-a"), first)
    assert again.computed == 0 and again._engine is None  # read from disk, no flow engine made
    assert first.shape[1:] == (3, 2) and len(first) > 0


def test_sampling_prefers_moving_points():
    still = torch.zeros(20, 5, 2) + torch.arange(20.0).view(20, 1, 1)
    moving = still[:3] + torch.linspace(0, 6, 5).view(1, 5, 1)
    tracks = torch.cat((still, moving))
    counts = []
    for seed in range(30):
        chosen = sample_points(tracks, 1, 10, 2.0, torch.Generator().manual_seed(seed))
        counts.append(len(chosen))
        assert ((chosen[:, -1] - chosen[:, 0]).norm(dim=-1) >= 2.0).all()  # only the three moving ones
    assert min(counts) == 1 and max(counts) == 3
    counts = [len(sample_points(still, 1, 10, 2.0, torch.Generator().manual_seed(s))) for s in range(40)]
    assert min(counts) == 1 and max(counts) == 10  # nothing moves: any points, 1 to 10
    assert sample_points(still[:0], 1, 10, 2.0, torch.Generator()).shape == (0, 5, 2)
