"""Two CPU processes (torch.distributed, gloo, started by torchrun) with one clip each train the tiny model to the
parameters one process reaches with both clips in its batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import torch
from safetensors.torch import load_file

from framer.training.loop import train

from .conftest import tiny_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_match_one_with_the_same_global_batch(tmp_path, tiny_models, sprite_videos):
    steps = 4
    single = train(tiny_config(sprite_videos, tiny_models, tmp_path / "one", max_steps=steps, batch_size=2),
                   show_progress=False)  # fmt: skip
    config = tmp_path / "two.yaml"
    config.write_text("log_every: 1\n")  # the rest from the command line
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(_free_port()), "-m", "framer", "train", "--data", sprite_videos, "--svd-dir",
               tiny_models[1], "--init", tiny_models[0], "--output", tmp_path / "two", "--size", "64x64",
               "--frames", "3", "--steps", steps, "--batch-size", "1", "--learning-rate", "1e-3", "--warmup", "2",
               "--workers", "0", "--checkpoint-every", steps, "--cpu", "-q", "--config", config]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    one = load_file(single / "unet" / "diffusion_pytorch_model.safetensors")
    two = load_file(tmp_path / "two" / f"checkpoint-{steps:07d}" / "unet" / "diffusion_pytorch_model.safetensors")
    start = load_file(tiny_models[0] / "unet" / "diffusion_pytorch_model.safetensors")
    update_one = torch.cat([(one[k] - start[k]).flatten() for k in one])
    update_two = torch.cat([(two[k] - start[k]).flatten() for k in one])
    difference = float((update_one - update_two).abs().max())
    relative = float((update_one - update_two).norm() / update_one.norm())
    print(
        f"2 processes vs 1: max parameter difference {difference:.2e}, relative to the update {relative:.2e} "
        f"(largest update {float(update_one.abs().max()):.2e})"
    )
    # Adam divides by the root of the squared gradient: where a gradient is ~0, summation-order rounding (two
    # processes average their gradients, one process its batch) can move a weight by up to a learning rate.
    assert relative < 1e-2 and difference < 2e-4
    losses = [[row.split(",")[2] for row in (tmp_path / run / "log.csv").read_text().splitlines()[1:]]
              for run in ("one", "two")]  # fmt: skip
    assert len(losses[0]) == steps and losses[0] == losses[1]  # the same mean loss at every step
