"""The trajectory ControlNet for SVD: a trainable copy of the UNet's encoder steered by heatmaps.

Parameter names follow the released ``<framer>/controlnet`` checkpoint: ``conv_in``, ``time_embedding``,
``add_embedding``, ``down_blocks``, ``mid_block`` (a copy of the UNet's), ``controlnet_cond_embedding`` (heatmap
encoder: ``conv_in``, ``blocks.0-5``, ``conv_out``), and the zero-initialised 1x1 convs ``controlnet_down_blocks``
(one per encoder skip) and ``controlnet_mid_block``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import AttentionMixin
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.unets.unet_3d_blocks import UNetMidBlockSpatioTemporal, get_down_block
from torch import nn

from framer.engines.diffusion.unet import FramerUNet, embed_time, run_encoder

__all__ = ["ControlNetSVD", "ControlNetSVDOutput", "HeatmapEncoder"]


# config keys a ControlNet takes over from the UNet it copies
_COPIED_CONFIG = (
    "sample_size",
    "in_channels",
    "down_block_types",
    "block_out_channels",
    "addition_time_embed_dim",
    "projection_class_embeddings_input_dim",
    "layers_per_block",
    "cross_attention_dim",
    "transformer_layers_per_block",
    "num_attention_heads",
    "num_frames",
)


def _zero(module: nn.Module) -> nn.Module:
    for parameter in module.parameters():
        nn.init.zeros_(parameter)
    return module


def _per_block(value: int | tuple[int, ...] | list[int], count: int) -> tuple[int, ...]:
    return (value,) * count if isinstance(value, int) else tuple(value)


class HeatmapEncoder(nn.Module):
    """Heatmaps ``(B * F, 3, H, W)`` -> features ``(B * F, C0, H / 8, W / 8)`` added after the ControlNet's
    ``conv_in``: a 3x3 conv, then per channel step a 3x3 conv and a 3x3 stride-2 conv (SiLU between), then a
    zero-initialised 3x3 conv to ``C0``."""

    def __init__(self, out_channels: int, in_channels: int = 3, channels: tuple[int, ...] = (16, 32, 96, 256)):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList()
        for low, high in itertools.pairwise(channels):
            self.blocks.append(nn.Conv2d(low, low, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv2d(low, high, kernel_size=3, padding=1, stride=2))
        self.conv_out = _zero(nn.Conv2d(channels[-1], out_channels, kernel_size=3, padding=1))

    def forward(self, heatmaps: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.conv_in(heatmaps))
        for block in self.blocks:
            x = F.silu(block(x))
        return self.conv_out(x)


@dataclass
class ControlNetSVDOutput:
    """Residuals for the UNet: one ``(B * F, C_k, h_k, w_k)`` per encoder skip, and one for the mid block."""

    down_block_res_samples: tuple[torch.Tensor, ...]
    mid_block_res_sample: torch.Tensor


class ControlNetSVD(ModelMixin, AttentionMixin, ConfigMixin):
    """ControlNet for SVD's spatio-temporal UNet (config keys as the release's ``controlnet/config.json``)."""

    _supports_gradient_checkpointing = True  # its blocks are SVD's, which recompute activations on request

    @register_to_config
    def __init__(
        self,
        sample_size: int | None = None,
        in_channels: int = 9,
        down_block_types: tuple[str, ...] = (
            "CrossAttnDownBlockSpatioTemporal",
            "CrossAttnDownBlockSpatioTemporal",
            "CrossAttnDownBlockSpatioTemporal",
            "DownBlockSpatioTemporal",
        ),
        block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280),
        addition_time_embed_dim: int = 256,
        projection_class_embeddings_input_dim: int = 768,
        layers_per_block: int | tuple[int, ...] = 2,
        cross_attention_dim: int | tuple[int, ...] = 1024,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        num_attention_heads: int | tuple[int, ...] = (5, 10, 20, 20),
        num_frames: int = 14,
        conditioning_channels: int = 3,
        conditioning_embedding_out_channels: tuple[int, ...] = (16, 32, 96, 256),
    ) -> None:
        super().__init__()
        count = len(down_block_types)
        layers = _per_block(layers_per_block, count)
        heads = _per_block(num_attention_heads, count)
        cross = _per_block(cross_attention_dim, count)
        transformer_layers = _per_block(transformer_layers_per_block, count)
        first = block_out_channels[0]
        time_dim = first * 4

        self.conv_in = nn.Conv2d(in_channels, first, kernel_size=3, padding=1)
        self.time_proj = Timesteps(first, True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(first, time_dim)
        self.add_time_proj = Timesteps(addition_time_embed_dim, True, downscale_freq_shift=0)
        self.add_embedding = TimestepEmbedding(projection_class_embeddings_input_dim, time_dim)
        self.controlnet_cond_embedding = HeatmapEncoder(
            first, conditioning_channels, tuple(conditioning_embedding_out_channels)
        )

        self.down_blocks = nn.ModuleList()
        self.controlnet_down_blocks = nn.ModuleList([_zero(nn.Conv2d(first, first, kernel_size=1))])
        out_channels = first
        for index, block_type in enumerate(down_block_types):
            in_block, out_channels = out_channels, block_out_channels[index]
            last = index == count - 1
            self.down_blocks.append(
                get_down_block(
                    block_type,
                    num_layers=layers[index],
                    transformer_layers_per_block=transformer_layers[index],
                    in_channels=in_block,
                    out_channels=out_channels,
                    temb_channels=time_dim,
                    add_downsample=not last,
                    resnet_eps=1e-5,
                    cross_attention_dim=cross[index],
                    num_attention_heads=heads[index],
                    resnet_act_fn="silu",
                )
            )
            # one zero conv per skip the block emits: one per layer, one more for its downsampler
            for _ in range(layers[index] + (0 if last else 1)):
                self.controlnet_down_blocks.append(_zero(nn.Conv2d(out_channels, out_channels, kernel_size=1)))
        self.mid_block = UNetMidBlockSpatioTemporal(
            block_out_channels[-1],
            temb_channels=time_dim,
            transformer_layers_per_block=transformer_layers[-1],
            cross_attention_dim=cross[-1],
            num_attention_heads=heads[-1],
        )
        self.controlnet_mid_block = _zero(nn.Conv2d(block_out_channels[-1], block_out_channels[-1], kernel_size=1))

    @classmethod
    def from_unet(cls, unet: FramerUNet, **overrides) -> ControlNetSVD:
        """A ControlNet whose encoder starts as a copy of ``unet``'s (stage 2 of training starts here)."""
        config = unet.config
        keys = _COPIED_CONFIG
        controlnet = cls(**{**{key: config[key] for key in keys}, **overrides})
        for name in ("conv_in", "time_embedding", "add_embedding", "down_blocks", "mid_block"):
            getattr(controlnet, name).load_state_dict(getattr(unet, name).state_dict())
        return controlnet

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float,
        encoder_hidden_states: torch.Tensor,
        added_time_ids: torch.Tensor,
        controlnet_cond: torch.Tensor,
        conditioning_scale: float = 1.0,
    ) -> ControlNetSVDOutput:
        """Residuals from ``sample (B, F, 9, h, w)`` and heatmaps ``controlnet_cond (B, F, 3, 8h, 8w)``."""
        batch, frames = sample.shape[:2]
        emb = embed_time(self, timestep, added_time_ids, batch, frames)
        # [B, S, D] -> [B * F, S, D]; [B, F, C, h, w] -> [B * F, C, h, w]
        context = encoder_hidden_states.repeat_interleave(frames, dim=0)
        hidden = self.conv_in(sample.flatten(0, 1))
        hidden = hidden + self.controlnet_cond_embedding(controlnet_cond.flatten(0, 1).to(hidden.dtype))
        indicator = torch.zeros(batch, frames, dtype=hidden.dtype, device=hidden.device)
        hidden, skips = run_encoder(self, hidden, emb, context, indicator)
        down = tuple(conv(s) * conditioning_scale for s, conv in zip(skips, self.controlnet_down_blocks, strict=True))
        return ControlNetSVDOutput(down, self.controlnet_mid_block(hidden) * conditioning_scale)
