"""A weight file passed with ``weights=`` / ``--weights``: compared with the registered model's SHA-256 (a damaged
copy used to give frames 11 dB off without a word), refused with ``strict_weights=True``, and a file that is not
PyTorch weights at all refused in one sentence."""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import framer
from framer.engines.flow import engine as flow_engine_module
from framer.errors import InputError, WeightsError
from framer.registry import WeightSource, default_model
from framer.weights import cached_weights_path, check_local_weights, fetch_weights, load_state_dict, sha256_file

ENTRY = default_model("flow")  # rife.v4_25


@pytest.fixture(scope="module")
def real_weights() -> Path:
    """The registered weights in the cache, fetched (and verified) the way create_engine("flow") gets them."""
    path = cached_weights_path(ENTRY.weights, ENTRY.name)
    return path if path.is_file() else fetch_weights(ENTRY.weights, ENTRY.name)


@pytest.fixture
def damaged_weights(real_weights, tmp_path) -> Path:
    """A copy of the real weights with 4 KiB in the middle of the tensor data flipped: it still loads."""
    path = tmp_path / "damaged.pkl"
    data = bytearray(real_weights.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(b ^ 0xFF for b in data[middle : middle + 4096])
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_model_built(monkeypatch):
    """Fail the test if the engine gets as far as building its network (the check must come first)."""

    def refuse(entry):
        raise AssertionError("the network was built before the weights were checked")

    monkeypatch.setattr(flow_engine_module, "_build_network", refuse)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "framer.weights"]


def test_strict_refuses_a_damaged_copy_before_loading_it(damaged_weights, no_model_built):
    with pytest.raises(WeightsError) as info:
        framer.create_engine("flow", weights=damaged_weights, strict_weights=True)
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert message.startswith(f"Weights file {damaged_weights} differs from the registered rife.v4_25 weights")
    assert sha256_file(damaged_weights)[:16] in message and ENTRY.weights.sha256[:16] in message
    assert "--strict-weights" in message


def test_damaged_copy_loads_with_one_clear_warning(damaged_weights, caplog):
    with caplog.at_level(logging.WARNING, logger="framer"):
        engine = framer.create_engine("flow", weights=damaged_weights)
    assert engine.entry.name == "rife.v4_25"  # a fine-tuned file must still work
    (message,) = _warnings(caplog)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0
    assert message.startswith(f"Weights file {damaged_weights} differs from the registered rife.v4_25 weights")
    assert "a fine-tuned file is fine, but a damaged one gives wrong frames" in message


def test_identical_copy_passes_silently_even_when_strict(real_weights, tmp_path, caplog):
    copy = shutil.copyfile(real_weights, tmp_path / "my_copy.pkl")
    with caplog.at_level(logging.WARNING, logger="framer"):
        assert check_local_weights(copy, ENTRY.weights, ENTRY.name, strict=True) is True
    assert _warnings(caplog) == []


def test_tiny_file_is_compared_as_given_bytes(tmp_path, caplog):
    """The check hashes the file's bytes as given and needs no model."""
    path = tmp_path / "tuned.pkl"
    torch.save({"a": torch.zeros(1)}, path)
    source = WeightSource("pkg", "1.0", "w.pkl", sha256_file(path), "w.pkl")
    assert check_local_weights(path, source, "test.model") is True
    other = WeightSource("pkg", "1.0", "w.pkl", "0" * 64, "w.pkl")
    with caplog.at_level(logging.WARNING, logger="framer"):
        assert check_local_weights(path, other, "test.model") is False
    (message,) = _warnings(caplog)
    assert message.startswith(f"Weights file {path} differs from the registered test.model weights")
    with pytest.raises(WeightsError, match=r"differs from the registered test\.model weights"):
        check_local_weights(path, other, "test.model", strict=True)


def test_a_model_without_registered_weights_has_nothing_to_compare(tmp_path):
    path = tmp_path / "w.pkl"
    path.write_bytes(b"anything: nothing is read")
    assert check_local_weights(path, None, "test.tiny", strict=True) is True


def test_tiny_engine_with_its_own_weights_is_unaffected(tiny_flow_engine):
    assert tiny_flow_engine.entry.weights is None  # nothing registered to compare with: no warning, no refusal


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_strict_weights_must_be_a_bool(value, no_model_built):
    with pytest.raises(InputError, match="`strict_weights` must be True or False"):
        framer.create_engine("flow", strict_weights=value)


class TestNotPyTorchWeights:
    """A file that is no PyTorch weights file is refused in one sentence, not with a bare unpickler opcode."""

    @pytest.fixture
    def files(self, tmp_path) -> Path:
        (tmp_path / "text.png").write_text("some text, not weights\n")  # used to end in "(101)"
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "image.pkl", format="PNG")
        (tmp_path / "empty.pkl").write_bytes(b"")
        with zipfile.ZipFile(tmp_path / "archive.pt", "w") as archive:
            archive.writestr("notes.txt", "a zip, but not torch.save's")
        return tmp_path

    @pytest.mark.parametrize("name", ["text.png", "image.pkl", "archive.pt"])
    def test_one_sentence(self, files, name):
        with pytest.raises(WeightsError) as info:
            load_state_dict(files / name)
        assert str(info.value) == (
            f"Weights file {files / name} is not a PyTorch weights file (it is not a PyTorch state dict of tensors "
            "written by torch.save, nor .safetensors)."
        )

    def test_empty_file(self, files):
        with pytest.raises(WeightsError) as info:
            load_state_dict(files / "empty.pkl")
        assert str(info.value) == (
            f"Weights file {files / 'empty.pkl'} is empty (0 bytes), so it cannot be loaded as a state dict."
        )

    @pytest.mark.parametrize("zipped", [True, False])
    def test_torch_save_files_still_load(self, tmp_path, zipped):
        path = tmp_path / "w.pt"
        torch.save({"module.a": torch.ones(2)}, path, _use_new_zipfile_serialization=zipped)
        assert list(load_state_dict(path)) == ["a"]

    def test_engine_says_so_without_a_checksum_warning(self, files, caplog, no_model_built):
        with caplog.at_level(logging.WARNING, logger="framer"), pytest.raises(WeightsError) as info:
            framer.create_engine("flow", weights=files / "text.png")
        assert "is not a PyTorch weights file" in str(info.value) and _warnings(caplog) == []
