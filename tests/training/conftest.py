"""Fixtures of the training tests: tiny models in the release layout and tiny synthetic sprite videos."""

from __future__ import annotations

import pytest

from helpers.diffusion_tiny import save_tiny
from helpers.training_data import write_sprite_data


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """``(framer_dir, svd_dir)`` of the tiny random models."""
    return save_tiny(tmp_path_factory.mktemp("training_models"))


@pytest.fixture(scope="session")
def sprite_videos(tmp_path_factory):
    """Three 64x64 MP4s of 8 frames, a sprite moving over a still background."""
    return write_sprite_data(tmp_path_factory.mktemp("sprites"), 3, 64, 64, 8)


def tiny_config(data, models, output, **changes):
    """A :class:`TrainingConfig` for the tiny models: 3-frame 64x64 clips, no workers, a log row every step."""
    from framer.training.config import TrainingConfig

    values = dict(data=str(data), svd_dir=str(models[1]), init=str(models[0]), output=str(output), num_frames=3,
                  width=64, height=64, learning_rate=1e-3, warmup_steps=2, num_workers=0, log_every=1,
                  track_spacing=8, max_steps=4, checkpoint_every=2)  # fmt: skip
    return TrainingConfig(**{**values, **changes})
