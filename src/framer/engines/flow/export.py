"""The flow network exported to ONNX once per model, frame size and pyramid scale, cached beside the weights.

Two graphs per size, so the per-pair reuse of the torch path keeps working: the frame encoder (run once per frame)
and the step (run once per t, given both frames' features). Graphs have fixed sizes: runtimes plan fixed shapes
best, a video has one size, and the engine pads every frame to a multiple of 64 anyway.

Cache: ``cache_dir()/exports/<model>/<key>/{encoder,step-s<scale>}-<H>x<W>.onnx`` where ``key`` is the SHA-256
of the network's config and weights (16 hex digits), framer's version and a hash of the graph code: a new or
fine-tuned model, a new framer or changed network code exports again; stale folders are left for the user to
delete. Files are written under a temporary name and renamed into place, so a stopped export leaves no half file
that looks finished.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from framer._version import __version__
from framer.engines.flow.model import IFNet
from framer.errors import MissingExtraError
from framer.weights import cache_dir

__all__ = ["ExportedGraphs", "export_folder", "exported_graphs", "network_hash"]

logger = logging.getLogger(__name__)

OPSET = 20  # GridSample-20: onnxruntime 1.32 has no kernel for the opset-16 form the exporter writes below 20


@dataclass(frozen=True)
class ExportedGraphs:
    """The two ONNX files of one network at one padded size and pyramid scale.

    Attributes:
        encoder: ``x (1, 3, H, W)`` -> ``features (1, F, H, W)``.
        step: ``x0, x1 (1, 3, H, W)``, ``f0, f1 (1, F, H, W)``, ``t (1,)`` -> ``frame (1, 3, H, W)``,
            ``flow (1, 4, H, W)``, ``mask (1, 1, H, W)`` (:class:`framer.engines.flow.model.IFNetOutput`).
    """

    encoder: Path
    step: Path


def network_hash(net: IFNet) -> str:
    """Hex SHA-256 of the network's config and every tensor of its state dict (names, dtypes, shapes, values)."""
    digest = hashlib.sha256(json.dumps(net.config.to_dict(), sort_keys=True).encode())
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def export_folder(model_name: str, weights_hash: str) -> Path:
    """The cache folder of one model's exports: its weights' hash, framer's version and the graph code's hash are
    in the name (so a changed network code exports again even before a new version)."""
    return cache_dir() / "exports" / model_name / f"{weights_hash[:16]}-framer{__version__}-{_code_hash()}"


@functools.cache
def _code_hash() -> str:
    """8 hex digits of SHA-256 over the source files that define the exported graphs."""
    from framer.engines.flow import model
    from framer.ops import warp

    digest = hashlib.sha256()
    for path in (model.__file__, warp.__file__, __file__):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:8]


class _Encoder(nn.Module):
    def __init__(self, net: IFNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.encode_frames(x)


class _Step(nn.Module):
    def __init__(self, net: IFNet, scale: float) -> None:
        super().__init__()
        self.net, self.scale = net, scale

    def forward(self, x0, x1, f0, f1, t) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.net(x0, x1, t, features0=f0, features1=f1, scale=self.scale)
        return out.frame, out.flow, out.mask


def exported_graphs(
    net: IFNet, model_name: str, weights_hash: str, height: int, width: int, scale: float = 1.0
) -> ExportedGraphs:
    """The cached graphs of ``net`` at padded size ``height x width`` and ``scale``; exported first if missing.

    Exporting the v4.25 network at 720p takes about 10-20 s on two CPU cores, once per model, size and scale.
    """
    folder = export_folder(model_name, weights_hash)
    size = f"{height}x{width}"
    graphs = ExportedGraphs(folder / f"encoder-{size}.onnx", folder / f"step-s{scale:g}-{size}.onnx")
    if graphs.encoder.is_file() and graphs.step.is_file():
        return graphs
    folder.mkdir(parents=True, exist_ok=True)
    features = net.config.feature_channels
    frame = torch.zeros(1, 3, height, width)
    feature = torch.zeros(1, features, height, width)
    if not graphs.encoder.is_file():
        logger.info("Exporting %s to ONNX at %dx%d (once; cached in %s)...", model_name, width, height, folder)
        _export(_Encoder(net), (frame,), ["x"], ["features"], graphs.encoder)
    if not graphs.step.is_file():
        inputs = (frame, frame, feature, feature, torch.full((1,), 0.5))
        _export(_Step(net, scale), inputs, ["x0", "x1", "f0", "f1", "t"], ["frame", "flow", "mask"], graphs.step)
    return graphs


def _export(module: nn.Module, inputs: tuple, input_names: list[str], output_names: list[str], path: Path) -> None:
    """Export ``module`` on CPU in float32 to ``path`` through a temporary sibling file."""
    try:
        import onnx
    except ImportError as ex:
        raise MissingExtraError(
            "Exporting the flow network needs the onnx package: pip install 'framer-vfi[onnxruntime]' (or "
            "'framer-vfi[openvino]')."
        ) from ex
    partial = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    device = next(module.parameters()).device
    try:
        module.to("cpu")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python values: the sizes are fixed on purpose
            torch.onnx.export(
                module, inputs, str(partial), dynamo=False, opset_version=OPSET,
                input_names=input_names, output_names=output_names,
            )  # fmt: skip
        model = onnx.load(str(partial))
        _float_grids(model)
        onnx.save(model, str(partial))
        os.replace(partial, path)
    finally:
        module.to(device)
        partial.unlink(missing_ok=True)


def _float_grids(model) -> None:
    """Cast GridSample's sampling grid to float32 in place.

    The tracer records the warp's pixel-to-normalised scale from the traced frame size in float64, so the grid
    arrives as float64, which neither onnxruntime nor OpenVINO samples with.
    """
    import onnx
    from onnx import TensorProto, helper

    inferred = onnx.shape_inference.infer_shapes(model)
    infos = [*inferred.graph.value_info, *inferred.graph.input]
    types = {info.name: info.type.tensor_type.elem_type for info in infos}
    nodes = []
    for node in model.graph.node:
        if node.op_type == "GridSample" and types.get(node.input[1]) != TensorProto.FLOAT:
            grid = f"{node.input[1]}_float"
            nodes.append(helper.make_node("Cast", [node.input[1]], [grid], to=TensorProto.FLOAT))
            node.input[1] = grid
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
