"""The training loss: per-clip random draws (a batch of two equals two batches of one, so processes can split a
batch), per-clip tracks, and gradient checkpointing giving the gradients of the plain backward pass."""

from __future__ import annotations

import pytest
import torch

from framer.engines.diffusion.loading import load_pipeline
from framer.engines.diffusion.train import TrainConfig, select_trainable, set_gradient_checkpointing, training_loss
from helpers.diffusion_tiny import save_tiny

TRACKS = [torch.tensor([[[8.0, 8.0], [20.0, 16.0], [32.0, 24.0]]]), torch.tensor([[[40.0, 10.0]] * 3] * 2)]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """One PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return load_pipeline(*save_tiny(tmp_path_factory.mktemp("tiny")), torch.device("cpu"))


def _generators():
    return [torch.Generator().manual_seed(7), torch.Generator().manual_seed(8)]


@pytest.mark.parametrize("stage", [1, 2])
def test_a_batch_equals_its_clips_one_by_one(pipeline, stage):
    clip = torch.rand(2, 3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    config = TrainConfig(stage=stage)
    with torch.no_grad():
        both = training_loss(pipeline, clip, TRACKS if stage == 2 else None, config, _generators())
        single = [training_loss(pipeline, clip[i : i + 1], [TRACKS[i]] if stage == 2 else None, config, [g])
                  for i, g in enumerate(_generators())]  # fmt: skip
    assert torch.allclose(both, (single[0] + single[1]) / 2, rtol=1e-5)
    assert not torch.allclose(single[0], single[1])


@pytest.mark.parametrize("stage", [1, 2])
def test_gradient_checkpointing_gives_the_same_gradients(pipeline, stage):
    params = select_trainable(pipeline, stage)
    model = pipeline.unet if stage == 1 else pipeline.controlnet
    clip = torch.rand(1, 3, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    config = TrainConfig(stage=stage)
    grads = []
    for checkpointing in (False, True):
        set_gradient_checkpointing(model, checkpointing)
        assert model.is_gradient_checkpointing == checkpointing
        model.train()
        loss = training_loss(pipeline, clip, TRACKS[:1] if stage == 2 else None, config, _generators()[:1])
        grads.append(torch.autograd.grad(loss, params))
    set_gradient_checkpointing(model, False)
    model.eval()
    for plain, recomputed in zip(*grads, strict=True):
        assert torch.allclose(plain, recomputed, rtol=1e-4, atol=1e-7)
    assert any(g.abs().sum() > 0 for g in grads[0])


def test_per_clip_arguments_are_checked(pipeline):
    clip = torch.rand(2, 3, 3, 64, 64)
    with pytest.raises(ValueError, match="one per clip"):
        training_loss(pipeline, clip, None, TrainConfig(stage=1), _generators()[:1])
    with pytest.raises(ValueError, match="one tensor per clip"):
        training_loss(pipeline, clip, TRACKS[:1], TrainConfig(stage=2), _generators())
    with pytest.raises(ValueError, match="give `tracks`"):
        training_loss(pipeline, clip, None, TrainConfig(stage=2), _generators())
