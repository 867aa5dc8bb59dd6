"""framer.ops: padding to the network's multiple and backward warping by a flow field."""

from __future__ import annotations

import pytest
import torch

from framer.ops import backward_warp, pad_to_multiple, unpad


class TestPad:
    @pytest.mark.parametrize(("height", "width"), [(181, 317), (64, 64), (1, 1), (65, 127)])
    def test_sides_become_the_next_multiple(self, height, width):
        x = torch.rand(2, 3, height, width)
        padded = pad_to_multiple(x, 64)
        assert padded.shape[:2] == (2, 3)
        assert padded.shape[2] % 64 == 0 and height <= padded.shape[2] < height + 64
        assert padded.shape[3] % 64 == 0 and width <= padded.shape[3] < width + 64

    def test_original_sits_top_left_and_the_rest_is_zero(self):
        x = torch.rand(1, 4, 30, 50) + 0.1  # no zeros inside the image
        padded = pad_to_multiple(x, 32)
        assert torch.equal(padded[..., :30, :50], x)
        assert padded[..., 30:, :].abs().sum() == 0 and padded[..., :, 50:].abs().sum() == 0

    def test_already_a_multiple_is_left_as_is(self):
        x = torch.rand(1, 3, 64, 128)
        assert torch.equal(pad_to_multiple(x, 64), x)

    def test_unpad_undoes_pad(self):
        x = torch.rand(1, 3, 181, 317)
        assert torch.equal(unpad(pad_to_multiple(x, 64), 181, 317), x)


class TestBackwardWarp:
    def test_zero_flow_is_the_identity(self):
        image = torch.rand(2, 3, 37, 53)
        out = backward_warp(image, torch.zeros(2, 2, 37, 53))
        torch.testing.assert_close(out, image, atol=1e-5, rtol=0)

    @pytest.mark.parametrize(("dx", "dy"), [(3, 0), (0, -2), (2, -1), (-4, 5)])
    def test_constant_integer_flow_is_a_shift(self, dx, dy):
        height, width = 24, 40
        image = torch.rand(1, 3, height, width)
        flow = torch.empty(1, 2, height, width)
        flow[:, 0], flow[:, 1] = dx, dy
        out = backward_warp(image, flow)
        # out[y, x] = image[y + dy, x + dx] wherever that source pixel exists.
        ys, xs = slice(max(0, -dy), height - max(0, dy)), slice(max(0, -dx), width - max(0, dx))
        ys_src = slice(ys.start + dy, ys.stop + dy)
        xs_src = slice(xs.start + dx, xs.stop + dx)
        torch.testing.assert_close(out[..., ys, xs], image[..., ys_src, xs_src], atol=1e-4, rtol=0)

    def test_positions_outside_take_the_border_value(self):
        image = torch.rand(1, 1, 8, 10)
        flow = torch.zeros(1, 2, 8, 10)
        flow[:, 0] = 100.0  # every pixel samples far to the right
        out = backward_warp(image, flow)
        torch.testing.assert_close(out[0, 0], image[0, 0, :, -1:].expand(8, 10), atol=1e-5, rtol=0)

    def test_half_pixel_flow_averages_neighbours(self):
        image = torch.rand(1, 2, 6, 9)
        flow = torch.zeros(1, 2, 6, 9)
        flow[:, 0] = 0.5
        out = backward_warp(image, flow)
        expected = (image[..., :-1] + image[..., 1:]) / 2
        torch.testing.assert_close(out[..., :-1], expected, atol=1e-4, rtol=0)

    def test_each_batch_item_uses_its_own_flow(self):
        image = torch.rand(1, 3, 16, 16).expand(2, -1, -1, -1).contiguous()
        flow = torch.zeros(2, 2, 16, 16)
        flow[1, 0] = 2.0
        out = backward_warp(image, flow)
        torch.testing.assert_close(out[0], image[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(out[1, :, :, :-2], image[1, :, :, 2:], atol=1e-4, rtol=0)

    def test_gradients_flow_to_image_and_flow(self):
        image = torch.rand(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
        flow = (torch.rand(1, 2, 5, 6, dtype=torch.float64) * 2 - 1).requires_grad_(True)
        assert torch.autograd.gradcheck(backward_warp, (image, flow), eps=1e-6, atol=1e-4)
