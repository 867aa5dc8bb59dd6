"""Framer's UNet: SVD's spatio-temporal UNet with a learned mask token, ControlNet residuals and decoder features.

The released ``<framer>/unet`` checkpoint holds every parameter of diffusers' ``UNetSpatioTemporalConditionModel``
(``in_channels`` 9) plus one more, ``mask_token`` ``(1, 1, 4, 1, 1)``: the conditioning latent of the frames
between the keyframes. The forward pass here adds what SVD's lacks: ControlNet residuals on the encoder skips and
the mid block, and the output of one decoder block for point updating (see ``points.py``).

Shapes: ``sample (B, F, C, h, w)`` latents, ``encoder_hidden_states (B, S, D)``, ``added_time_ids (B, 3)``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from diffusers import UNetSpatioTemporalConditionModel
from diffusers.models.transformers.transformer_temporal import TransformerSpatioTemporalModel
from torch import nn

__all__ = ["FramerUNet", "FramerUNetOutput", "embed_time", "release_temporal_context", "run_encoder"]


def embed_time(
    model: nn.Module, timestep: torch.Tensor | float, added_time_ids: torch.Tensor, batch: int, frames: int
) -> torch.Tensor:
    """Time plus micro-conditioning embedding, one row per frame: ``(B * F, 4 * C0)``.

    ``model`` has SVD's ``time_proj``, ``time_embedding``, ``add_time_proj`` and ``add_embedding``.
    """
    dtype = model.time_embedding.linear_1.weight.dtype
    device = added_time_ids.device
    steps = torch.as_tensor(timestep, device=device)
    steps = steps.reshape(-1).to(torch.float32).expand(batch)
    emb = model.time_embedding(model.time_proj(steps).to(dtype))
    # added_time_ids: [B, 3] -> sinusoidal features [B, 3 * addition_time_embed_dim]
    extra = model.add_time_proj(added_time_ids.flatten()).reshape(batch, -1).to(dtype)
    emb = emb + model.add_embedding(extra)
    # [B, C] -> [B * F, C]: every frame of a clip shares its clip's embedding
    return emb.repeat_interleave(frames, dim=0)


def run_encoder(
    model: nn.Module,
    hidden: torch.Tensor,
    emb: torch.Tensor,
    context: torch.Tensor,
    indicator: torch.Tensor,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """The down blocks and the mid block on ``hidden (B * F, C0, h, w)`` (after ``conv_in``).

    Returns:
        The mid block's output and the skip connections, the first being ``hidden`` itself.
    """
    skips: tuple[torch.Tensor, ...] = (hidden,)
    for block in model.down_blocks:
        kwargs = {"encoder_hidden_states": context} if getattr(block, "has_cross_attention", False) else {}
        hidden, residuals = block(hidden_states=hidden, temb=emb, image_only_indicator=indicator, **kwargs)
        skips += residuals
    hidden = model.mid_block(
        hidden_states=hidden, temb=emb, encoder_hidden_states=context, image_only_indicator=indicator
    )
    return hidden, skips


@dataclass
class FramerUNetOutput:
    """``sample (B, F, C_out, h, w)``; ``features (B, F, C_k, h_k, w_k)`` of the asked decoder block, or None."""

    sample: torch.Tensor
    features: torch.Tensor | None = None


class FramerUNet(UNetSpatioTemporalConditionModel):
    """SVD's UNet plus the learned mask token; same config keys, same checkpoint keys plus ``mask_token``."""

    @functools.wraps(UNetSpatioTemporalConditionModel.__init__)
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        latent_channels = self.config.out_channels
        self.mask_token = nn.Parameter(torch.randn(1, 1, latent_channels, 1, 1))

    @property
    def feature_block(self) -> int:
        """Index of the decoder block whose output feeds point updating: the one with the second-level channel
        count (640 channels in the released model, at the latent resolution)."""
        return len(self.up_blocks) - 2

    def forward(  # type: ignore[override]
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float,
        encoder_hidden_states: torch.Tensor,
        added_time_ids: torch.Tensor,
        down_block_additional_residuals: Sequence[torch.Tensor] | None = None,
        mid_block_additional_residual: torch.Tensor | None = None,
        return_features: bool = False,
    ) -> FramerUNetOutput:
        """Predict from ``sample (B, F, 9, h, w)``; residuals are ``(B * F, C, h_k, w_k)`` from the ControlNet."""
        batch, frames = sample.shape[:2]
        emb = embed_time(self, timestep, added_time_ids, batch, frames)
        # [B, S, D] -> [B * F, S, D]; [B, F, C, h, w] -> [B * F, C, h, w]
        context = encoder_hidden_states.repeat_interleave(frames, dim=0)
        hidden = self.conv_in(sample.flatten(0, 1))
        indicator = torch.zeros(batch, frames, dtype=hidden.dtype, device=hidden.device)
        hidden, skips = run_encoder(self, hidden, emb, context, indicator)
        if down_block_additional_residuals is not None:
            skips = tuple(s + r for s, r in zip(skips, down_block_additional_residuals, strict=True))
        if mid_block_additional_residual is not None:
            hidden = hidden + mid_block_additional_residual
        features = None
        for index, block in enumerate(self.up_blocks):
            count = len(block.resnets)
            residuals, skips = skips[-count:], skips[:-count]
            size = skips[-1].shape[2:] if skips else None
            kwargs = {"encoder_hidden_states": context} if getattr(block, "has_cross_attention", False) else {}
            hidden = block(
                hidden_states=hidden,
                temb=emb,
                res_hidden_states_tuple=residuals,
                upsample_size=size,
                image_only_indicator=indicator,
                **kwargs,
            )
            if return_features and index == self.feature_block:
                features = hidden.reshape(batch, frames, *hidden.shape[1:])
        out = self.conv_out(self.conv_act(self.conv_norm_out(hidden)))
        return FramerUNetOutput(out.reshape(batch, frames, *out.shape[1:]), features)


def _release_order(context: torch.Tensor, batch: int) -> torch.Tensor:
    """Reorder the temporal blocks' cross-attention context ``(B * hw, S, D)`` as diffusers 0.24 built it.

    The correct context holds clip ``b``'s tokens in rows ``b * hw .. (b + 1) * hw - 1`` (batch-major, like the
    hidden states). Diffusers 0.24 broadcast it position-major, so row ``i`` held clip ``i % B``'s tokens: under
    classifier-free guidance (``B = 2``) the halves alternate row by row and each half attends to both.
    """
    rows = context.shape[0]
    per_clip = rows // batch
    source = (torch.arange(rows, device=context.device) % batch) * per_clip
    return context.index_select(0, source)


@contextlib.contextmanager
def release_temporal_context(*models: nn.Module | None) -> Iterator[None]:
    """Within the block, ``models``' temporal transformers pair context and hidden states as the release did.

    The release pins diffusers 0.24, whose ``TransformerSpatioTemporalModel`` orders the context of its temporal
    cross-attention wrongly when the batch is larger than 1 (fixed in diffusers 0.28); this reproduces that
    ordering with forward pre-hooks (nothing of diffusers is copied), for bit-for-bit comparisons with the release.
    """
    handles = []
    for model in models:
        for module in [] if model is None else model.modules():
            if not isinstance(module, TransformerSpatioTemporalModel):
                continue
            batch = [1]

            def remember(_module, _args, kwargs, batch=batch):
                batch[0] = kwargs["image_only_indicator"].shape[0]

            def reorder(_module, args, kwargs, batch=batch):
                context = kwargs.get("encoder_hidden_states")
                if context is not None and batch[0] > 1:
                    kwargs = {**kwargs, "encoder_hidden_states": _release_order(context, batch[0])}
                return args, kwargs

            handles.append(module.register_forward_pre_hook(remember, with_kwargs=True))
            for block in module.temporal_transformer_blocks:
                if block.attn2 is not None:
                    handles.append(block.attn2.register_forward_pre_hook(reorder, with_kwargs=True))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
