"""PSNR and SSIM: hand-computed cases, the committed scikit-image references, input checks."""

from __future__ import annotations

import json
import math

import pytest
import torch

from framer.errors import FramerError, InputError, ShapeError
from framer.metrics import psnr, rgb_to_y, ssim
from helpers.metrics import REFERENCE_VALUES, load_pair

PAIRS = json.loads(REFERENCE_VALUES.read_text())["pairs"]
C1, C2 = 0.01**2, 0.03**2


class TestPSNR:
    def test_constant_offsets_give_hand_computed_values(self):
        target = torch.full((3, 3, 8, 9), 0.25, dtype=torch.float64)
        offsets = torch.tensor([0.1, 0.01, 0.5], dtype=torch.float64).view(3, 1, 1, 1)
        # MSE = offset^2 -> PSNR = -20 log10(offset)
        expected = torch.tensor([20.0, 40.0, -20 * math.log10(0.5)], dtype=torch.float64)
        torch.testing.assert_close(psnr(target + offsets, target), expected, rtol=0, atol=1e-9)

    def test_half_the_pixels_off_by_one_level(self):
        target = torch.zeros(1, 3, 4, 4)
        pred = target.clone()
        pred[..., :2, :] = 1 / 255  # MSE = (1/255)^2 / 2
        assert psnr(pred, target).item() == pytest.approx(20 * math.log10(255) + 10 * math.log10(2), abs=1e-4)

    def test_identical_images_give_inf_and_keep_dtype(self):
        x = torch.rand(2, 3, 5, 5)
        out = psnr(x, x)
        assert out.shape == (2,) and out.dtype == torch.float32 and torch.isinf(out).all()

    @pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
    def test_matches_scikit_image(self, shared_data, pair):
        a, b = load_pair(shared_data, pair)
        assert psnr(a, b).item() == pytest.approx(pair["values"]["psnr"], abs=1e-6)


def _gaussian_taps() -> list[float]:
    raw = [math.exp(-(k * k) / (2 * 1.5**2)) for k in range(-5, 6)]
    return [v / sum(raw) for v in raw]


class TestSSIM:
    def test_identical_images_give_one(self):
        x = torch.rand(2, 3, 20, 17, generator=torch.Generator().manual_seed(0))
        torch.testing.assert_close(ssim(x, x), torch.ones(2))
        torch.testing.assert_close(ssim(x, x, channel="y"), torch.ones(2))

    @pytest.mark.parametrize("size", [(11, 11), (14, 23)])
    def test_constant_images_give_luminance_term(self, size):
        # No variance anywhere: SSIM = (2ab + C1) / (a^2 + b^2 + C1) at every valid pixel.
        a, b = 0.2, 0.7
        pred = torch.full((1, 3, *size), a, dtype=torch.float64)
        target = torch.full((1, 3, *size), b, dtype=torch.float64)
        expected = (2 * a * b + C1) / (a * a + b * b + C1)
        assert ssim(pred, target).item() == pytest.approx(expected, abs=1e-12)

    def test_single_bright_pixel_against_constant_image(self):
        # 11x11: the map is one value. Target: one white pixel in the middle; its Gaussian weight w = g0^2 is the
        # local mean and w - w^2 the local variance; the covariance with a constant image is 0.
        c = 0.3
        w = _gaussian_taps()[5] ** 2
        pred = torch.full((1, 3, 11, 11), c, dtype=torch.float64)
        target = torch.zeros(1, 3, 11, 11, dtype=torch.float64)
        target[..., 5, 5] = 1.0
        expected = (2 * c * w + C1) / (c * c + w * w + C1) * C2 / (w - w * w + C2)
        assert ssim(pred, target).item() == pytest.approx(expected, abs=1e-12)

    def test_channels_are_averaged(self):
        # Channel 0 differs (constant 0.2 vs 0.7), channels 1 and 2 are identical: SSIM = (s0 + 1 + 1) / 3.
        pred = torch.full((1, 3, 12, 12), 0.5, dtype=torch.float64)
        target = pred.clone()
        pred[:, 0], target[:, 0] = 0.2, 0.7
        s0 = (2 * 0.2 * 0.7 + C1) / (0.2**2 + 0.7**2 + C1)
        assert ssim(pred, target).item() == pytest.approx((s0 + 2) / 3, abs=1e-12)

    def test_y_channel_is_bt601_luma(self):
        rgb = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
        assert rgb_to_y(rgb).item() == pytest.approx((16 + 65.481) / 255, abs=1e-6)
        assert rgb_to_y(torch.ones(1, 3, 1, 1)).item() == pytest.approx(235 / 255, abs=1e-5)

    def test_batch_gives_per_image_values(self, shared_data):
        a, b = load_pair(shared_data, PAIRS[0])
        both = ssim(torch.cat([a, b]), torch.cat([b, b]))
        assert both.shape == (2,)
        assert both[0].item() == pytest.approx(ssim(a, b).item(), abs=1e-12) and both[1].item() == pytest.approx(1.0)

    @pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
    def test_matches_scikit_image(self, shared_data, pair):
        a, b = load_pair(shared_data, pair)
        assert ssim(a, b).item() == pytest.approx(pair["values"]["ssim_rgb"], abs=1e-6)
        assert ssim(a, b, channel="y").item() == pytest.approx(pair["values"]["ssim_y"], abs=1e-6)

    def test_float32_input_matches_float64(self, shared_data):
        a, b = load_pair(shared_data, PAIRS[1])
        assert ssim(a.float(), b.float()).item() == pytest.approx(ssim(a, b).item(), abs=1e-6)


GOOD = torch.rand(1, 3, 16, 16)


@pytest.mark.parametrize("metric", [psnr, ssim])
class TestInputChecks:
    @pytest.mark.parametrize("bad", [torch.rand(3, 16, 16), torch.rand(1, 1, 16, 16), torch.rand(1, 4, 16, 16)])
    def test_wrong_shape(self, metric, bad):
        with pytest.raises(ShapeError, match="pred"):
            metric(bad, GOOD)

    def test_shapes_differ(self, metric):
        with pytest.raises(ShapeError, match="same shape"):
            metric(GOOD, torch.rand(1, 3, 16, 17))

    def test_empty_batch(self, metric):
        with pytest.raises(ShapeError, match="empty"):
            metric(torch.rand(0, 3, 16, 16), torch.rand(0, 3, 16, 16))

    def test_integer_images(self, metric):
        with pytest.raises(InputError, match="floating point"):
            metric(GOOD, (GOOD * 255).to(torch.uint8))

    @pytest.mark.parametrize("value", [1.5, -0.01, float("nan")])
    def test_values_outside_unit_range(self, metric, value):
        bad = GOOD.clone()
        bad[0, 1, 2, 3] = value
        with pytest.raises(InputError, match=r"\[0, 1\]"):
            metric(bad, GOOD)

    def test_not_a_tensor(self, metric):
        with pytest.raises(InputError, match=r"torch\.Tensor"):
            metric(GOOD.numpy(), GOOD)


def test_ssim_rejects_images_smaller_than_its_window():
    with pytest.raises(ShapeError, match="11x11"):
        ssim(torch.rand(1, 3, 10, 40), torch.rand(1, 3, 10, 40))


def test_ssim_rejects_unknown_channel():
    with pytest.raises(InputError, match="channel"):
        ssim(GOOD, GOOD, channel="lab")


def test_errors_are_framer_and_builtin_errors():
    with pytest.raises(ShapeError) as info:
        psnr(GOOD, torch.rand(1, 3, 8, 8))
    assert isinstance(info.value, FramerError) and isinstance(info.value, ValueError)
