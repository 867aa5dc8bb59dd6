"""Where a run starts: SVD-XT's own UNet converted for end-frame conditioning (stage 1 without --init), and stage 2's
ControlNet copied from the UNet's encoder (--fresh-controlnet)."""

from __future__ import annotations

import shutil

import torch
from diffusers import UNetSpatioTemporalConditionModel

from framer.training.models import load_training_pipeline, prepare_init
from helpers.diffusion_tiny import TINY_UNET

from .conftest import tiny_config


def test_stage1_without_init_converts_svds_unet(tmp_path, tiny_models, sprite_videos):
    svd = tmp_path / "svd"
    shutil.copytree(tiny_models[1], svd)
    torch.manual_seed(0)
    original = UNetSpatioTemporalConditionModel(**{**TINY_UNET, "in_channels": 8})
    original.save_pretrained(svd / "unet")
    config = tiny_config(sprite_videos, (tiny_models[0], svd), tmp_path / "run", init=None)
    init = prepare_init(config)
    assert init == tmp_path / "run" / "init"
    pipeline = load_training_pipeline(config, init, torch.device("cpu"))  # the engine's strict loader
    weight = pipeline.unet.conv_in.weight
    assert weight.shape[1] == 9 and torch.equal(weight[:, :8], original.conv_in.weight)
    assert not weight[:, 8].any() and not pipeline.unet.mask_token.any()
    converted = pipeline.unet.state_dict()
    assert all(torch.equal(converted[k], v) for k, v in original.state_dict().items() if k != "conv_in.weight")
    assert prepare_init(config) == init  # converted once


def test_fresh_controlnet_copies_the_unets_encoder(tmp_path, tiny_models, sprite_videos):
    config = tiny_config(sprite_videos, tiny_models, tmp_path / "run", stage=2, fresh_controlnet=True)
    pipeline = load_training_pipeline(config, tiny_models[0], torch.device("cpu"))
    unet, controlnet = pipeline.unet.state_dict(), pipeline.controlnet.state_dict()
    copied = [key for key in controlnet if key.startswith(("down_blocks.", "mid_block.", "conv_in."))]
    assert copied and all(torch.equal(controlnet[key], unet[key]) for key in copied)
    zero = [key for key in controlnet if key.startswith(("controlnet_down_blocks.", "controlnet_mid_block."))]
    assert zero and all(not controlnet[key].any() for key in zero)  # the zero convs: no effect at the start
