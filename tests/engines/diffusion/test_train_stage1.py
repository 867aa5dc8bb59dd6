"""Stage 1 on CPU with the tiny model: 200 steps on synthetic sprite videos halve the loss; only the input conv, the
mask token and the temporal layers change; the checkpoint loads strictly and generates a clip."""

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
from helpers.diffusion_tiny import SMALL, save_tiny
from helpers.training_data import fixed_draw_loss, write_sprite_data

STEPS = 200


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """One PyTorch thread (see conftest.one_torch_thread)."""


def _trained_group(name: str) -> bool:
    return name == "mask_token" or name.startswith("conv_in.") or ".temporal_transformer_blocks." in name


def test_stage1_learns_and_changes_only_its_groups(tmp_path):
    framer_dir, svd_dir = save_tiny(tmp_path / "models")
    data = write_sprite_data(tmp_path / "data", 4, 64, 64, 3)
    config = TrainingConfig(stage=1, data=str(data), svd_dir=str(svd_dir), init=str(framer_dir),
                            output=str(tmp_path / "run"), num_frames=3, width=64, height=64, max_steps=STEPS,
                            learning_rate=1e-2, warmup_steps=10, num_workers=0, log_every=1, checkpoint_every=STEPS,
                            sample_every=STEPS, sample_steps=2)  # fmt: skip
    clips = torch.stack([item["clip"] for item in ClipDataset(data, 3, 64, 64)])
    before = fixed_draw_loss(load_pipeline(framer_dir, svd_dir, torch.device("cpu")), clips, None, 1)
    checkpoint = train(config, show_progress=False)

    # 1. The loss: on fixed draws, and as logged (first and last 20 steps)
    after = fixed_draw_loss(load_pipeline(checkpoint, svd_dir, torch.device("cpu")), clips, None, 1)
    logged = [float(row["loss"]) for row in csv.DictReader((tmp_path / "run" / "log.csv").open())]
    print(
        f"stage 1: loss on fixed draws {before:.4f} -> {after:.4f} ({after / before:.0%}); logged, mean of the "
        f"first and last 20 steps: {np.mean(logged[:20]):.4f} -> {np.mean(logged[-20:]):.4f}"
    )
    assert len(logged) == STEPS and after < 0.5 * before

    # 2. Only the stage's groups moved (all of them); the ControlNet is the initial one, bit for bit
    start = load_file(framer_dir / "unet" / "diffusion_pytorch_model.safetensors")
    end = load_file(checkpoint / "unet" / "diffusion_pytorch_model.safetensors")
    moved = {name for name in start if not torch.equal(start[name], end[name])}
    assert moved and all(_trained_group(name) for name in moved)
    assert "mask_token" in moved and any(n.startswith("conv_in.") for n in moved)
    assert any(".temporal_transformer_blocks." in n for n in moved)
    for name in ("controlnet",):
        initial = load_file(framer_dir / name / "diffusion_pytorch_model.safetensors")
        saved = load_file(checkpoint / name / "diffusion_pytorch_model.safetensors")
        assert all(torch.equal(initial[k], saved[k]) for k in initial)
    assert (tmp_path / "run" / "samples" / f"step-{STEPS:07d}.png").stat().st_size > 0

    # 3. The checkpoint loads with the engine's strict loader and makes a clip
    engine = framer.create_engine("diffusion", model_dir=checkpoint, svd_dir=svd_dir, **SMALL)
    frames = list(engine.iter_frames(clips[:1, 0], clips[:1, -1], [0.25, 0.5, 0.75]))
    assert len(frames) == 3 and all(f.shape == (1, 3, 64, 64) and torch.isfinite(f).all() for f in frames)
