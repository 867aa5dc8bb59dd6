"""LightGlue, the attention matcher of sparse keypoints (Lindenberger et al., ICCV 2023), written for framer.

Facts from the public release (cvg/LightGlue, kornia's copy used by XFeat's LighterGlue): descriptors are
projected to ``descriptor_dim``; keypoints, normalised by the image size to about [-1, 1], give a rotary
positional encoding (learned Fourier features); ``n_layers`` layers of self-attention (with the rotary encoding)
and bidirectional cross-attention update both sets; after each layer but the last a confidence token may stop
early (``depth_confidence``) and points that are confidently unmatchable are pruned (``width_confidence``; on the
CPU upstream prunes at any point count). The assignment of the last layer run is a dual softmax plus a
matchability sigmoid; matches are mutual best entries scoring above ``filter_threshold``. Parameter names follow
the released state dicts so they load strictly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LightGlue", "LightGlueConfig", "LightGlueMatches", "rename_lightglue_keys"]


@dataclass(frozen=True)
class LightGlueConfig:
    """Hyper-parameters; the defaults are those of the DISK/ALIKED LightGlue release."""

    input_dim: int = 128
    descriptor_dim: int = 256
    n_layers: int = 9
    num_heads: int = 4
    depth_confidence: float = 0.95  # early stop when this share of points is confident; <= 0 disables
    width_confidence: float = 0.99  # prune points with matchability below 1 - this; <= 0 disables
    filter_threshold: float = 0.1


@dataclass(frozen=True)
class LightGlueMatches:
    """Indices ``(S,)`` into keypoints 0 and 1, the match scores ``(S,)`` in [0, 1], and the layers run."""

    index0: torch.Tensor
    index1: torch.Tensor
    scores: torch.Tensor
    layers: int


def rename_lightglue_keys(state: dict, n_layers: int) -> dict:
    """Released files name layers ``self_attn.<i>.``; the module nests them as ``transformers.<i>.self_attn.``."""
    renamed = {}
    for key, value in state.items():
        for i in range(n_layers):
            for part in ("self_attn", "cross_attn"):
                if key.startswith(f"{part}.{i}."):
                    key = f"transformers.{i}.{part}." + key[len(f"{part}.{i}.") :]
        renamed[key] = value
    return renamed


def _normalize_keypoints(points: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """``(B, N, 2)`` pixels -> centred on the image and divided by half its longer side (``size`` is (w, h))."""
    size = size.to(points)
    return (points - size / 2) / (size.max(-1).values / 2)[..., None, None]


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x = x.unflatten(-1, (-1, 2))
    x1, x2 = x.unbind(dim=-1)
    return torch.stack((-x2, x1), dim=-1).flatten(start_dim=-2)


def _rotary(encoding: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return x * encoding[0] + _rotate_half(x) * encoding[1]


class _FourierPositions(nn.Module):
    """Learned Fourier features: cos and sin of a linear map of the position, each repeated for a channel pair."""

    def __init__(self, dims: int, head_dim: int) -> None:
        super().__init__()
        self.Wr = nn.Linear(dims, head_dim // 2, bias=False)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        projected = self.Wr(points)
        encoding = torch.stack([torch.cos(projected), torch.sin(projected)], 0).unsqueeze(-3)
        return encoding.repeat_interleave(2, dim=-1)  # (2, B, 1, N, head_dim)


def _ffn(dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2 * dim, 2 * dim), nn.LayerNorm(2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))


class _SelfBlock(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.Wqkv = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)
        self.ffn = _ffn(dim)

    def forward(self, x: torch.Tensor, encoding: torch.Tensor) -> torch.Tensor:
        qkv = self.Wqkv(x).unflatten(-1, (self.heads, -1, 3)).transpose(1, 2)
        q, k, v = qkv[..., 0], qkv[..., 1], qkv[..., 2]
        context = F.scaled_dot_product_attention(_rotary(encoding, q), _rotary(encoding, k), v.contiguous())
        message = self.out_proj(context.transpose(1, 2).flatten(start_dim=-2))
        return x + self.ffn(torch.cat([x, message], -1))


class _CrossBlock(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.to_qk = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.to_out = nn.Linear(dim, dim)
        self.ffn = _ffn(dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        qk0, qk1 = self._split(self.to_qk(x0)) * self.scale**0.5, self._split(self.to_qk(x1)) * self.scale**0.5
        v0, v1 = self._split(self.to_v(x0)), self._split(self.to_v(x1))
        similarity = torch.einsum("bhid,bhjd->bhij", qk0, qk1)
        m0 = torch.einsum("bhij,bhjd->bhid", F.softmax(similarity, dim=-1), v1)
        m1 = torch.einsum("bhji,bhjd->bhid", F.softmax(similarity.transpose(-2, -1), dim=-1).transpose(-2, -1), v0)
        m0, m1 = (self.to_out(m.transpose(1, 2).flatten(start_dim=-2)) for m in (m0, m1))
        return x0 + self.ffn(torch.cat([x0, m0], -1)), x1 + self.ffn(torch.cat([x1, m1], -1))


class _Layer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.self_attn = _SelfBlock(dim, heads)
        self.cross_attn = _CrossBlock(dim, heads)

    def forward(self, desc0, desc1, encoding0, encoding1) -> tuple[torch.Tensor, torch.Tensor]:
        return self.cross_attn(self.self_attn(desc0, encoding0), self.self_attn(desc1, encoding1))


class _Assignment(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.matchability = nn.Linear(dim, 1)
        self.final_proj = nn.Linear(dim, dim)

    def forward(self, desc0: torch.Tensor, desc1: torch.Tensor) -> torch.Tensor:
        """``(B, M, N)`` log assignment scores of the match cells (the dustbin cells are not needed here)."""
        scale = desc0.shape[-1] ** 0.25
        similarity = torch.einsum("bmd,bnd->bmn", self.final_proj(desc0) / scale, self.final_proj(desc1) / scale)
        z0, z1 = self.matchability(desc0), self.matchability(desc1)
        certainty = F.logsigmoid(z0) + F.logsigmoid(z1).transpose(1, 2)
        return F.log_softmax(similarity, 2) + F.log_softmax(similarity, 1) + certainty

    def matchable(self, desc: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.matchability(desc)).squeeze(-1)


class _TokenConfidence(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.token = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())

    def forward(self, desc: torch.Tensor) -> torch.Tensor:
        return self.token(desc).squeeze(-1)


class LightGlue(nn.Module):
    """Match two sets of keypoints with descriptors (one pair at a time; see the module docstring)."""

    def __init__(self, config: LightGlueConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or LightGlueConfig()
        dim, layers = config.descriptor_dim, config.n_layers
        self.input_proj = (
            nn.Linear(config.input_dim, dim) if config.input_dim != dim else nn.Identity()
        )  # fmt: skip
        self.posenc = _FourierPositions(2, dim // config.num_heads)
        self.transformers = nn.ModuleList([_Layer(dim, config.num_heads) for _ in range(layers)])
        self.log_assignment = nn.ModuleList([_Assignment(dim) for _ in range(layers)])
        self.token_confidence = nn.ModuleList([_TokenConfidence(dim) for _ in range(layers - 1)])
        # Per-layer confidence a token must reach to count as confident (upstream's formula, not a weight).
        self.thresholds = [min(1.0, 0.8 + 0.1 * math.exp(-4.0 * i / layers)) for i in range(layers)]

    @torch.inference_mode()
    def forward(
        self,
        points0: torch.Tensor,
        points1: torch.Tensor,
        desc0: torch.Tensor,
        desc1: torch.Tensor,
        size0: tuple[int, int],
        size1: tuple[int, int],
    ) -> LightGlueMatches:
        """Match ``(M, 2)`` / ``(N, 2)`` pixel keypoints with ``(M, D)`` / ``(N, D)`` descriptors; sizes are (w, h)."""
        m, n = len(points0), len(points1)
        empty = torch.zeros(0, dtype=torch.long)
        if m == 0 or n == 0:
            return LightGlueMatches(empty, empty, torch.zeros(0), 0)
        cfg = self.config
        kpts0 = _normalize_keypoints(points0[None].float(), torch.tensor(size0, dtype=torch.float32))
        kpts1 = _normalize_keypoints(points1[None].float(), torch.tensor(size1, dtype=torch.float32))
        d0, d1 = self.input_proj(desc0[None].float()), self.input_proj(desc1[None].float())
        enc0, enc1 = self.posenc(kpts0), self.posenc(kpts1)
        ind0, ind1 = torch.arange(m), torch.arange(n)
        for i in range(cfg.n_layers):
            d0, d1 = self.transformers[i](d0, d1, enc0, enc1)
            if i == cfg.n_layers - 1:
                break
            token0 = token1 = None
            if cfg.depth_confidence > 0:
                token0, token1 = self.token_confidence[i](d0), self.token_confidence[i](d1)
                confident = 1.0 - (torch.cat([token0, token1], -1) < self.thresholds[i]).float().sum() / (m + n)
                if confident > cfg.depth_confidence:
                    break
            if cfg.width_confidence > 0:
                keep0 = self._keep(i, d0, token0)
                keep1 = self._keep(i, d1, token1)
                ind0, d0, enc0 = ind0[keep0], d0[:, keep0], enc0[..., keep0, :]
                ind1, d1, enc1 = ind1[keep1], d1[:, keep1], enc1[..., keep1, :]
            if d0.shape[1] == 0 or d1.shape[1] == 0:
                return LightGlueMatches(empty, empty, torch.zeros(0), i + 1)
        scores = self.log_assignment[i](d0, d1)[0]
        return self._mutual(scores, ind0, ind1, i + 1)

    def _keep(self, layer: int, desc: torch.Tensor, token: torch.Tensor | None) -> torch.Tensor:
        """Indices of the points kept: matchable enough, or not yet confident (those are never pruned)."""
        keep = self.log_assignment[layer].matchable(desc)[0] > 1.0 - self.config.width_confidence
        if token is not None:
            keep |= token[0] <= self.thresholds[layer]
        return torch.where(keep)[0]

    def _mutual(self, scores: torch.Tensor, ind0: torch.Tensor, ind1: torch.Tensor, layers: int) -> LightGlueMatches:
        """Mutual best cells of the ``(M, N)`` log scores above the filter threshold, as original indices."""
        best0, best1 = scores.max(1), scores.max(0)
        rows = torch.arange(scores.shape[0])
        mutual = best1.indices[best0.indices] == rows
        probability = best0.values.exp()
        valid = mutual & (probability > self.config.filter_threshold)
        return LightGlueMatches(ind0[rows[valid]], ind1[best0.indices[valid]], probability[valid], layers)
