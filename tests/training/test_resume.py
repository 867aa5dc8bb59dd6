"""A run killed (SIGKILL) after a checkpoint and resumed ends where an uninterrupted run ends: data order, random
draws, optimiser, learning-rate schedule and EMA all come back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from framer.training.loop import train
from framer.training.models import latest_checkpoint

from .conftest import tiny_config

_RUN = """
import sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from training.conftest import tiny_config
from framer.training.loop import train
train(tiny_config({data!r}, ({framer!r}, {svd!r}), {output!r}, **{changes!r}), show_progress=False)
"""


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    tensors = load_file(folder / "unet" / "diffusion_pytorch_model.safetensors")  # EMA weights (ema_decay is set)
    return tensors | {f"raw.{k}": v for k, v in load_file(folder / "state" / "model.safetensors").items()}


def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path, tiny_models, sprite_videos):
    changes = {"max_steps": 8, "checkpoint_every": 2, "ema_decay": 0.9, "warmup_steps": 5, "batch_size": 2}
    reference = train(tiny_config(sprite_videos, tiny_models, tmp_path / "a", **changes), show_progress=False)

    output = tmp_path / "b"
    script = _RUN.format(tests=str(Path(__file__).parents[1]), data=str(sprite_videos), framer=str(tiny_models[0]),
                         svd=str(tiny_models[1]), output=str(output), changes=changes)  # fmt: skip
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (output / "checkpoint-0000004" / "step.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run to kill ended or stalled before its step-4 checkpoint")
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    interrupted_at = latest_checkpoint(output)[1]
    assert 4 <= interrupted_at < 8  # killed mid-run

    resumed = train(tiny_config(sprite_videos, tiny_models, output, **changes), show_progress=False)
    expected, got = _weights(reference), _weights(resumed)
    difference = max(float((expected[k] - got[k]).abs().max()) for k in expected)
    moved = max(float((expected[k] - v).abs().max()) for k, v in load_file(
        tiny_models[0] / "unet" / "diffusion_pytorch_model.safetensors").items())  # fmt: skip
    print(
        f"killed after step {interrupted_at}; max difference to the uninterrupted run {difference:.2e} "
        f"(weights moved up to {moved:.2e})"
    )
    assert difference <= 1e-6 and moved > 1e-3
    rows = (output / "log.csv").read_text().splitlines()
    assert [int(row.split(",")[0]) for row in rows[1:]] == list(range(1, 9))  # one row per step, none twice
