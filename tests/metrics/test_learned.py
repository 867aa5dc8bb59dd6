"""LPIPS and DISTS: committed references of the official implementations (1e-4), properties, input checks.

The weights are fetched the way a user gets them (pip, once, then framer's cache).
"""

from __future__ import annotations

import json

import pytest
import torch

from framer.errors import InputError, ShapeError
from framer.metrics import dists, load_dists, load_lpips, lpips
from helpers.metrics import REFERENCE_VALUES, load_pair

PAIRS = json.loads(REFERENCE_VALUES.read_text())["pairs"]
IDS = [p["name"] for p in PAIRS]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="module")
def networks() -> dict[str, torch.nn.Module]:
    return {"lpips_alex": load_lpips("alex"), "lpips_vgg": load_lpips("vgg"), "dists": load_dists()}


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_matches_official_implementations(networks, shared_data, pair):
    a, b = load_pair(shared_data, pair, dtype=torch.float32)
    with torch.no_grad():
        for key, network in networks.items():
            assert network(a, b).item() == pytest.approx(pair["values"][key], abs=1e-4), key


def test_functions_use_the_same_networks(shared_data):
    a, b = load_pair(shared_data, PAIRS[2], dtype=torch.float32)
    values = PAIRS[2]["values"]
    assert lpips(a, b).item() == pytest.approx(values["lpips_alex"], abs=1e-4)
    assert lpips(a, b, net="vgg").item() == pytest.approx(values["lpips_vgg"], abs=1e-4)
    assert dists(a, b).item() == pytest.approx(values["dists"], abs=1e-4)
    assert lpips(a.double(), b.double()).dtype == torch.float64


@pytest.mark.parametrize("key", ["lpips_alex", "lpips_vgg", "dists"])
def test_identical_zero_symmetric_and_batched(networks, key):
    generator = torch.Generator().manual_seed(1)
    x, y = torch.rand(2, 3, 40, 48, generator=generator), torch.rand(2, 3, 40, 48, generator=generator)
    network = networks[key]
    with torch.no_grad():
        assert network(x, x).abs().max().item() < 1e-6
        forward, backward = network(x, y), network(y, x)
        single = torch.cat([network(x[i : i + 1], y[i : i + 1]) for i in range(2)])
    assert forward.shape == (2,) and (forward > 0.01).all()
    torch.testing.assert_close(forward, backward, rtol=0, atol=1e-6)
    torch.testing.assert_close(forward, single, rtol=0, atol=1e-6)


def test_networks_are_differentiable(networks):
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(2), requires_grad=True)
    target = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    networks["lpips_alex"](x, target).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize(("net", "too_small", "smallest"), [("alex", 30, 31), ("vgg", 15, 16)])
def test_lpips_minimum_size(networks, net, too_small, smallest):
    network = networks[f"lpips_{net}"]
    with pytest.raises(ShapeError, match=f"{smallest}x{smallest}"):
        network(torch.rand(1, 3, too_small, 64), torch.rand(1, 3, too_small, 64))
    assert network(torch.rand(1, 3, smallest, smallest), torch.rand(1, 3, smallest, smallest)).shape == (1,)


def test_lpips_rejects_unknown_network():
    with pytest.raises(InputError, match="net"):
        lpips(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), net="squeeze")


@pytest.mark.parametrize("metric", [lpips, dists])
def test_input_checks(metric):
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        metric(torch.rand(1, 3, 32, 32) * 2, torch.rand(1, 3, 32, 32))
    with pytest.raises(ShapeError, match="same shape"):
        metric(torch.rand(1, 3, 32, 32), torch.rand(2, 3, 32, 32))
