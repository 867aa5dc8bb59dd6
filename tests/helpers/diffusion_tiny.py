"""Tiny random Framer models for tests, saved in the release layout (``<framer>/{unet,controlnet}``,
``<svd>/{vae,image_encoder,feature_extractor,scheduler}``). Seeded, so every build is the same."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers
from diffusers import AutoencoderKLTemporalDecoder, EulerDiscreteScheduler
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from framer.engines.diffusion.configs import SVD_SCHEDULER_CONFIG
from framer.engines.diffusion.controlnet import ControlNetSVD
from framer.engines.diffusion.unet import FramerUNet

__all__ = ["SMALL", "TINY_UNET", "build_tiny", "save_tiny"]

# Engine options that suit the tiny models: CPU, 64x64, two sampling steps, five-frame clips.
SMALL = {"device": "cpu", "size": (64, 64), "num_inference_steps": 2, "clip_frames": 5}

TINY_UNET = {
    "in_channels": 9,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"],
    "up_block_types": ["UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"],
    "block_out_channels": [32, 64],
    "num_attention_heads": [2, 4],
    "cross_attention_dim": 32,
    "addition_time_embed_dim": 8,
    "projection_class_embeddings_input_dim": 24,
    "layers_per_block": 1,
    "transformer_layers_per_block": 1,
    "num_frames": 5,
}


def build_tiny(seed: int = 0) -> dict[str, object]:
    """The six components with random weights (zero convs made non-zero so the ControlNet has an effect)."""
    torch.manual_seed(seed)
    unet = FramerUNet(**TINY_UNET)
    controlnet = ControlNetSVD.from_unet(unet, conditioning_embedding_out_channels=[8, 8, 8, 16])
    with torch.no_grad():
        for name, parameter in controlnet.named_parameters():
            if name.startswith(
                ("controlnet_down_blocks", "controlnet_mid_block", "controlnet_cond_embedding.conv_out")
            ):
                parameter.normal_(0.0, 0.05)
    vae = AutoencoderKLTemporalDecoder(
        down_block_types=["DownEncoderBlock2D"] * 4, block_out_channels=[32, 32, 32, 32], layers_per_block=1
    )
    clip = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=1,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
            projection_dim=32,
        )
    )
    # CLIPImageProcessor's torchvision-free twin where transformers has one (it warns without torchvision otherwise)
    processor_cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    processor = processor_cls(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    scheduler = EulerDiscreteScheduler(**SVD_SCHEDULER_CONFIG)
    return {"unet": unet, "controlnet": controlnet, "vae": vae, "image_encoder": clip,
            "feature_extractor": processor, "scheduler": scheduler}  # fmt: skip


def save_tiny(root: Path, seed: int = 0) -> tuple[Path, Path]:
    """Save tiny models under ``root/framer`` and ``root/svd``; returns the two folders."""
    parts = build_tiny(seed)
    framer, svd = Path(root) / "framer", Path(root) / "svd"
    for name in ("unet", "controlnet"):
        parts[name].save_pretrained(framer / name)
    for name in ("vae", "image_encoder", "feature_extractor", "scheduler"):
        parts[name].save_pretrained(svd / name)
    return framer, svd
