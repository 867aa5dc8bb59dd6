"""Stage 2 on CPU with the tiny model: 200 steps on synthetic sprite videos, with tracks from the real flow engine,
halve the loss; the UNet stays bit-identical; the checkpoint loads strictly and follows tracks."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import framer
from framer.engines.diffusion.loading import load_pipeline
from framer.training.config import TrainingConfig
from framer.training.data import ClipDataset
from framer.training.loop import train
from framer.training.tracks import FlowTracker, sample_points
from helpers.diffusion_tiny import SMALL, save_tiny
from helpers.training_data import fixed_draw_loss, write_sprite_data

STEPS = 200


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """One PyTorch thread (see conftest.one_torch_thread)."""


def test_stage2_learns_and_leaves_the_unet_alone(tmp_path, flow_engine):
    framer_dir, svd_dir = save_tiny(tmp_path / "models")
    data = write_sprite_data(tmp_path / "data", 4, 64, 64, 3)
    output = tmp_path / "run"
    config = TrainingConfig(stage=2, data=str(data), svd_dir=str(svd_dir), init=str(framer_dir), output=str(output),
                            num_frames=3, width=64, height=64, max_steps=STEPS, learning_rate=1e-2, warmup_steps=10,
                            num_workers=0, log_every=1, checkpoint_every=STEPS, track_spacing=8)  # fmt: skip
    tracker = FlowTracker(output / "tracks", spacing=8)
    tracker._engine = flow_engine  # the session's engine; the run reads what this puts in the cache
    dataset = ClipDataset(data, 3, 64, 64, tracker=tracker)
    items = [dataset[i] for i in range(len(dataset))]
    clips = torch.stack([item["clip"] for item in items])
    tracks = [sample_points(item["tracks"], 1, 10, 2.0, torch.Generator().manual_seed(i)) for i, item in
              enumerate(items)]  # fmt: skip
    assert all(len(t) >= 1 for t in tracks)
    before = fixed_draw_loss(load_pipeline(framer_dir, svd_dir, torch.device("cpu")), clips, tracks, 2)
    checkpoint = train(config, show_progress=False)

    # 1. The loss on fixed draws (and as logged)
    after = fixed_draw_loss(load_pipeline(checkpoint, svd_dir, torch.device("cpu")), clips, tracks, 2)
    logged = [float(row["loss"]) for row in csv.DictReader((output / "log.csv").open())]
    print(
        f"stage 2: loss on fixed draws {before:.4f} -> {after:.4f} ({after / before:.0%}); logged, mean of the "
        f"first and last 20 steps: {np.mean(logged[:20]):.4f} -> {np.mean(logged[-20:]):.4f}"
    )
    assert len(logged) == STEPS and after < 0.5 * before

    # 2. The UNet is the initial one bit for bit; the ControlNet trained
    for name, should_move in (("unet", False), ("controlnet", True)):
        start = load_file(framer_dir / name / "diffusion_pytorch_model.safetensors")
        end = load_file(checkpoint / name / "diffusion_pytorch_model.safetensors")
        assert start.keys() == end.keys()
        assert any(not torch.equal(start[k], end[k]) for k in start) == should_move
    assert len(list((output / "tracks").glob("*.npy"))) == len(dataset)  # one cached track set per clip

    # 3. The checkpoint loads with the engine's strict loader and generates along tracks
    engine = framer.create_engine("diffusion", model_dir=checkpoint, svd_dir=svd_dir, **SMALL)
    frames = list(engine.iter_frames(clips[:1, 0], clips[:1, -1], [0.5], tracks=tracks[0].numpy()))
    assert len(frames) == 1 and frames[0].shape == (1, 3, 64, 64) and torch.isfinite(frames[0]).all()
