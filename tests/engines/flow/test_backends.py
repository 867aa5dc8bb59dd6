"""The flow engine's backends (torch, onnxruntime, OpenVINO), precisions and the ONNX export cache.

The tiny seeded IFNet stands in for the real one: what is checked is plumbing and equality across backends, not
pictures. The onnxruntime / OpenVINO cases are skipped only where their package (the extra) is not installed.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
import torch
from tests.helpers.flow_tiny import TINY_IFNET_ENTRY, registered, save_tiny_ifnet

import framer
from framer.cli import options as cli_options
from framer.cli.main import main
from framer.engines.flow import backends, export
from framer.engines.flow.backends import BACKEND_CHOICES, PRECISIONS, resolve_backend
from framer.errors import InputError, MissingExtraError
from framer.motion import fit_alignment

CPU = torch.device("cpu")
EXPORTED = [
    pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"{name} absent"))
    for name in ("onnxruntime", "openvino")
]
needs_onnx = pytest.mark.skipif(importlib.util.find_spec("onnx") is None, reason="onnx absent (export extra)")


@pytest.fixture
def tiny_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path / "cache"))  # exports go here, not the user's cache
    return save_tiny_ifnet(tmp_path / "tiny.pt")


def _engine(weights, **options):
    with registered():
        return framer.create_engine("flow", model=TINY_IFNET_ENTRY.name, weights=weights, **options)


def _pair(height: int = 24, width: int = 36) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth random frame and the same frame shifted 3 px right: ``(1, 3, H, W)`` each (W not a multiple of 8)."""
    generator = torch.Generator().manual_seed(0)
    coarse = torch.rand(1, 3, height // 4, (width + 3) // 4 + 1, generator=generator)
    texture = torch.nn.functional.interpolate(coarse, size=(height, width + 3), mode="bilinear", align_corners=False)
    return texture[..., 3:].contiguous(), texture[..., :-3].contiguous()


# -- selection ------------------------------------------------------------------------------------------------------


def test_cli_choices_are_the_backends_and_precisions():
    assert cli_options.BACKENDS == BACKEND_CHOICES and cli_options.PRECISIONS == PRECISIONS


def test_auto_picks_the_fastest_installed_backend_by_the_table(monkeypatch):
    monkeypatch.setattr(backends, "MEASURED_SECONDS", {"cpu": {"torch": 0.5, "openvino": 0.4, "onnxruntime": 0.3}})
    monkeypatch.setattr(backends, "installed_backends", lambda: ["torch", "openvino"])
    assert resolve_backend("auto", "fp32", CPU) == "openvino"  # onnxruntime is faster but not installed
    monkeypatch.setattr(backends, "installed_backends", lambda: ["torch"])
    assert resolve_backend("auto", "fp32", CPU) == "torch"
    monkeypatch.setattr(backends, "installed_backends", lambda: ["torch", "openvino", "onnxruntime"])
    assert resolve_backend("auto", "bf16", CPU) == "torch"  # bf16 is the torch backend's
    assert resolve_backend("auto", "fp32", torch.device("cuda")) == "torch"  # no figures for CUDA: torch


def test_the_table_is_measured_figures_for_every_backend():
    assert set(backends.MEASURED_SECONDS["cpu"]) == set(backends.BACKENDS)
    assert all(0 < seconds < 60 for seconds in backends.MEASURED_SECONDS["cpu"].values())


@pytest.mark.parametrize(
    ("backend", "precision", "device", "words"),
    [
        ("tensorrt", "fp32", "cpu", "`backend` must be one of auto, torch"),
        ("torch", "int8", "cpu", "`precision` must be one of fp32, bf16, fp16"),
        ("torch", "fp16", "cpu", "fp16 runs on CUDA only"),
        ("openvino", "fp32", "cuda", "runs on the CPU"),
        ("openvino", "bf16", "cpu", "runs on the torch backend only"),
    ],
)
def test_bad_choices_are_refused_in_one_sentence(backend, precision, device, words, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: object())  # as if every extra were here
    with pytest.raises(InputError, match=words):
        resolve_backend(backend, precision, torch.device(device))


def test_a_missing_extra_names_the_install_line(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"pip install 'framer-vfi\[openvino\]'"):
        resolve_backend("openvino", "fp32", CPU)
    assert "openvino" not in backends.installed_backends()


# -- torch backend, precision -------------------------------------------------------------------------------------


def test_identity_and_capabilities_declare_backend_and_precision(tiny_weights):
    plain = _engine(tiny_weights, backend="torch")
    assert plain.identity() == {"engine": "flow", "model": TINY_IFNET_ENTRY.name, "device": "cpu"}
    assert plain.capabilities.backends == BACKEND_CHOICES and "bf16" in plain.capabilities.precisions
    bf16 = _engine(tiny_weights, backend="torch", precision="bf16")
    assert bf16.identity()["precision"] == "bf16" and "backend" not in bf16.identity()


def test_bf16_keeps_flows_float32_and_stays_close(tiny_weights):
    frame0, frame1 = _pair()
    fp32 = _engine(tiny_weights, backend="torch")
    bf16 = _engine(tiny_weights, backend="torch", precision="bf16")
    x0, x1 = bf16._to_network(frame0), bf16._to_network(frame1)
    with torch.inference_mode():
        out = bf16._net(x0, x1, 0.5)
        reference = fp32._net(x0, x1, 0.5)
    assert out.flow.dtype == out.frame.dtype == torch.float32
    # bf16 has an 8-bit mantissa: the tiny random net's flows agree to a few hundredths of a pixel, not exactly
    assert 0 < float((out.flow - reference.flow).abs().max()) < 0.05
    (a,), (b,) = fp32.iter_frames(frame0, frame1, [0.5]), bf16.iter_frames(frame0, frame1, [0.5])
    assert float((a - b).abs().max()) < 0.02
    # the runner's blocks are stored in bfloat16 (cast once per block), the encoder and the engine's own net not
    blocks = bf16._runner.net.blocks
    assert all(p.dtype == torch.bfloat16 for block in blocks for p in block.parameters())
    assert all(p.dtype == torch.float32 for p in bf16._runner.net.encode.parameters())
    assert all(p.dtype == torch.float32 for p in bf16.net.parameters())
    with torch.inference_mode():  # the same convolutions in bfloat16 under autocast: as close as two bf16 runs
        autocast = bf16.net(x0, x1, 0.5, compute_dtype=torch.bfloat16)
    assert float((out.flow - autocast.flow).abs().max()) < 0.05


# -- export cache -------------------------------------------------------------------------------------------------


@needs_onnx
def test_export_is_cached_by_weights_hash_and_redone_for_a_new_model(tiny_weights, tmp_path, monkeypatch):
    net = _engine(tiny_weights, backend="torch").net
    digest = export.network_hash(net)
    assert digest == export.network_hash(net) and len(digest) == 64
    graphs = export.exported_graphs(net, "test.tiny_ifnet", digest, 16, 24)
    assert graphs.encoder.stat().st_size > 0 and graphs.step.stat().st_size > 0
    assert graphs.step.parent == export.export_folder("test.tiny_ifnet", digest)
    assert str(tmp_path / "cache") in str(graphs.step) and framer.__version__ in graphs.step.parent.name
    assert not [path for path in graphs.step.parent.iterdir() if "partial" in path.name]
    before = graphs.step.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again although cached")

    with monkeypatch.context() as patch:
        patch.setattr(export, "_export", no_export)
        assert export.exported_graphs(net, "test.tiny_ifnet", digest, 16, 24) == graphs
    assert graphs.step.stat().st_mtime_ns == before
    other = _engine(save_tiny_ifnet(tmp_path / "other.pt", seed=1), backend="torch").net  # a new model
    other_digest = export.network_hash(other)
    assert other_digest != digest
    redone = export.exported_graphs(other, "test.tiny_ifnet", other_digest, 16, 24)
    assert redone.step.parent != graphs.step.parent and redone.step.is_file()
    assert export.exported_graphs(net, "test.tiny_ifnet", digest, 16, 32).step != graphs.step  # a new size


def test_the_export_folder_changes_with_the_network_code(monkeypatch):
    folder = export.export_folder("test.tiny_ifnet", "0" * 64)
    assert folder.name.endswith(f"-{export._code_hash()}") and len(export._code_hash()) == 8
    monkeypatch.setattr(export, "_code_hash", lambda: "0badc0de")  # the graph code changed: a new folder
    assert export.export_folder("test.tiny_ifnet", "0" * 64) != folder


@needs_onnx
def test_a_failed_export_leaves_nothing_behind(tiny_weights, monkeypatch):
    net = _engine(tiny_weights, backend="torch").net

    def broken(*args, **kwargs):
        open(args[2], "wb").write(b"half")  # noqa: SIM115 - a half-written file, then the failure
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(torch.onnx, "export", broken)
    with pytest.raises(RuntimeError, match="exporter broke"):
        export.exported_graphs(net, "test.tiny_ifnet", "0" * 64, 16, 24)
    folder = export.export_folder("test.tiny_ifnet", "0" * 64)
    assert os.listdir(folder) == []


# -- equality across backends -------------------------------------------------------------------------------------


@needs_onnx
@pytest.mark.parametrize("backend", EXPORTED)
def test_backend_matches_torch_on_a_small_frame(backend, tiny_weights):
    frame0, frame1 = _pair()
    reference = _engine(tiny_weights, backend="torch")
    engine = _engine(tiny_weights, backend=backend)
    assert engine.backend == backend and engine.identity()["backend"] == backend
    times = [0.25, 0.5, 0.75]
    ours, theirs = list(engine.iter_frames(frame0, frame1, times)), list(reference.iter_frames(frame0, frame1, times))
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape == (1, 3, 24, 36) and a.dtype == torch.float32
        assert float((a - b).abs().max()) < 1e-4
    assert not torch.equal(ours[0], ours[2])  # the time reached the exported graph
    scored = [s.confidence for s in engine.iter_scored(frame0, frame1, [0.5])]
    assert scored == pytest.approx([s.confidence for s in reference.iter_scored(frame0, frame1, [0.5])], abs=1e-3)


@needs_onnx
@pytest.mark.parametrize("backend", EXPORTED)
def test_guided_paths_and_batches_still_work(backend, tiny_weights):
    frame0, frame1 = _pair()
    reference = _engine(tiny_weights, backend="torch")
    engine = _engine(tiny_weights, backend=backend)
    tracks = np.array([[[10.0, 12.0], [11.5, 12.0], [13.0, 12.0]]])
    (dragged,), (expected,) = (e.iter_frames(frame0, frame1, [0.5], tracks=tracks) for e in (engine, reference))
    assert float((dragged - expected).abs().max()) < 1e-3
    starts = np.array([[4.0, 4.0], [30.0, 5.0], [6.0, 20.0], [31.0, 19.0], [18.0, 12.0]])
    alignment = fit_alignment(starts, starts + np.array([3.0, 0.5]), 36, 24)
    (aligned,), (expected,) = (e.iter_frames(frame0, frame1, [0.5], alignment=alignment) for e in (engine, reference))
    assert float((aligned - expected).abs().max()) < 1e-3
    to0, to1, _ = engine.correspondence_maps(frame0, frame1, alignment)
    ref0, ref1, _ = reference.correspondence_maps(frame0, frame1, alignment)
    assert np.abs(to0 - ref0).max() < 1e-2 and np.abs(to1 - ref1).max() < 1e-2
    batch0, batch1 = torch.cat((frame0, frame1)), torch.cat((frame1, frame0))  # batch 2: PyTorch runs it
    (both,), (expected,) = (e.iter_frames(batch0, batch1, [0.5]) for e in (engine, reference))
    assert torch.equal(both, expected)


@pytest.mark.parametrize("backend", ["torch", *EXPORTED])
def test_a_frame_shared_by_consecutive_pairs_is_encoded_once(backend, tiny_weights, monkeypatch):
    if backend != "torch" and importlib.util.find_spec("onnx") is None:
        pytest.skip("onnx absent (export extra)")
    frame0, frame1 = _pair()
    frame2 = frame1.roll(2, dims=-1)
    engine = _engine(tiny_weights, backend=backend)
    encoded = []
    encode = engine._runner.encode
    monkeypatch.setattr(engine._runner, "encode", lambda frames: encoded.append(frames.clone()) or encode(frames))
    first = list(engine.iter_frames(frame0, frame1, [0.5]))
    buffer = frame1.clone()  # the second pair's first frame: equal values in another tensor
    second = list(engine.iter_frames(buffer, frame2, [0.25, 0.75]))
    assert len(encoded) == 3  # frame0, frame1, frame2: frame1 is not encoded again
    fresh = _engine(tiny_weights, backend=backend)
    assert all(torch.equal(a, b) for a, b in zip(second, fresh.iter_frames(frame1, frame2, [0.25, 0.75]), strict=True))
    assert torch.equal(first[0], next(fresh.iter_frames(frame0, frame1, [0.5])))
    buffer.copy_(frame0)  # a caller refilling its buffer: the features follow the values, not the tensor
    (refilled,) = engine.iter_frames(buffer, frame1, [0.5])
    assert torch.equal(refilled, first[0]) and len(encoded) == 5


def test_the_runner_remembers_the_last_frame_by_a_digest_not_a_copy(tiny_weights):
    frame0, frame1 = _pair()
    engine = _engine(tiny_weights)
    list(engine.iter_frames(frame0, frame1, [0.5]))
    fingerprint, features = engine._runner._last_encoded

    assert isinstance(fingerprint.key, bytes) and len(fingerprint.key) == 32  # no frame-sized copy kept on the CPU
    of = backends._Fingerprint.of
    assert fingerprint == of(engine._to_network(frame1)) and fingerprint != of(engine._to_network(frame0))
    assert features.shape[-2:] == engine._to_network(frame1).shape[-2:]


def test_the_runner_reads_each_frame_once_per_pair_to_tell_it_apart(tiny_weights, monkeypatch):
    frame0, frame1 = _pair()
    frame2 = frame1.flip(-1)
    engine = _engine(tiny_weights)
    digests = []
    key = backends._key
    monkeypatch.setattr(backends, "_key", lambda tensor: digests.append(tensor.shape) or key(tensor))
    list(engine.iter_frames(frame0, frame1, [0.5]))
    list(engine.iter_frames(frame1, frame2, [0.5]))
    assert len(digests) == 4  # one digest per frame given: compared with the last and kept, not made again


# -- command line -------------------------------------------------------------------------------------------------


@pytest.fixture
def cli(capsys):
    """``framer ARGS`` in this process: (exit code, stdout, stderr), as the CLI tests' fixture."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_cli_refuses_a_bad_backend_before_loading_anything(cli, tmp_path):
    code, _, err = cli("tween", "a.png", "b.png", "--backend", "tensorrt", "-o", tmp_path / "out")
    assert code == 2 and "--backend" in err and "tensorrt" in err
    code, _, err = cli("tween", "a.png", "b.png", "--engine", "diffusion", "--backend", "torch", "-o", tmp_path / "o")
    assert code == 2 and "--backend applies only with --engine flow." in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()


def test_cli_backend_and_precision_reach_the_engine(cli, tmp_path, monkeypatch):
    from PIL import Image

    from framer import api

    seen = {}
    original = api.create_engine

    def spy(name, **options):
        seen.update(options)
        return original(name, **options)

    monkeypatch.setattr(api, "create_engine", spy)
    paths = []
    for index, value in enumerate((40, 200)):
        paths.append(tmp_path / f"k{index}.png")
        Image.fromarray(np.full((64, 64, 3), value, np.uint8)).save(paths[-1])
    code, _, err = cli(
        "tween", *paths, "-n", "1", "--backend", "torch", "--precision", "bf16", "-q", "-o", tmp_path / "o"
    )
    assert code == 0, err
    assert seen["backend"] == "torch" and seen["precision"] == "bf16"
    assert len(list((tmp_path / "o").glob("*.png"))) == 1


def test_bench_measures_each_backend_of_the_flow_engine(monkeypatch):
    from framer.evaluation import bench

    monkeypatch.setattr(backends, "installed_backends", lambda: ["torch", "openvino"])
    variants = [("flow", False), ("blend", False)]
    expanded = bench._with_backends(variants, ["all", "torch"])
    assert expanded == [(("flow", False), "torch"), (("flow", False), "openvino"), (("blend", False), None)]
    assert bench._with_backends(variants, []) == [(("flow", False), None), (("blend", False), None)]
    with pytest.raises(InputError, match="tensorrt"):
        bench._with_backends(variants, ["tensorrt"])
