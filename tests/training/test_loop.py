"""A stage-2 run with everything on: tracks made in a spawned DataLoader worker and cached, EMA, gradient
checkpointing, sample grids, the release layout; extended later, it resumes and reads the cached tracks."""

from __future__ import annotations

import csv

import cv2

from framer.training.loop import train

from .conftest import tiny_config


def test_stage2_run_with_workers_samples_and_a_resumed_extension(tmp_path, tiny_models, sprite_videos):
    output = tmp_path / "run"
    options = {"stage": 2, "num_workers": 1, "ema_decay": 0.99, "gradient_checkpointing": True, "sample_every": 2,
               "sample_steps": 2, "checkpoint_every": 2, "keep_checkpoints": 1}  # fmt: skip
    first = train(tiny_config(sprite_videos, tiny_models, output, max_steps=2, **options), show_progress=False)
    assert first.name == "checkpoint-0000002"
    for name in ("unet", "controlnet"):
        assert {p.name for p in (first / name).iterdir()} == {"config.json", "diffusion_pytorch_model.safetensors"}
    assert (first / "config.yaml").is_file() and (first / "state" / "optimizer.bin").is_file()
    grid = cv2.imread(str(output / "samples" / "step-0000002.png"))
    assert grid.shape == (2 * 64, 3 * 64, 3)  # the clip above what the model made, 3 frames of 64x64
    cache = {p.name: p.stat().st_mtime_ns for p in (output / "tracks").glob("*.npy")}
    assert len(cache) == 2  # the two windows of step 1 and 2 (batch 1)

    last = train(tiny_config(sprite_videos, tiny_models, output, max_steps=4, **options), show_progress=False)
    assert last.name == "checkpoint-0000004" and not first.exists()  # keep_checkpoints 1
    again = {p.name: p.stat().st_mtime_ns for p in (output / "tracks").glob("*.npy")}
    assert all(again[name] == stamp for name, stamp in cache.items())  # cached tracks were read, not remade
    rows = list(csv.DictReader((output / "log.csv").open()))
    assert [int(row["step"]) for row in rows] == [1, 2, 3, 4] and all(float(row["loss"]) > 0 for row in rows)
