"""Where the flow network runs: PyTorch, or its ONNX export on onnxruntime or OpenVINO, behind one switch.

Every backend gets the same padded float32 tensors and returns the same :class:`IFNetOutput`, so padding, colour
order, drag steering, pre-alignment and scoring in the engine do not know which one ran. ``auto`` picks the
fastest installed backend for the device from :data:`MEASURED_SECONDS`, a table of measured figures.

The exported backends run batch-1, 3-channel frames on CPU (the graphs have fixed sizes, one export per padded size
and pyramid scale, see :mod:`framer.engines.flow.export`). A call they cannot run (a batch of several pairs,
frames with alpha) falls back to PyTorch for that call, with one log line. ``bf16`` precision is the torch backend's
(its convolutions in bfloat16, flows and warps in float32): OpenVINO's own bf16 hint also lowers the flows and the
warp coordinates, which breaks the picture (about 10 dB), and onnxruntime has no bf16 convolutions on CPU.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from framer.engines.flow.model import IFNetOutput, PairContext
from framer.errors import InputError, MissingExtraError

__all__ = [
    "BACKENDS",
    "BACKEND_CHOICES",
    "MEASURED_SECONDS",
    "PRECISIONS",
    "FlowRunner",
    "installed_backends",
    "make_runner",
    "resolve_backend",
    "tune_allocator",
]

logger = logging.getLogger(__name__)

BACKENDS = ("torch", "onnxruntime", "openvino")
BACKEND_CHOICES = ("auto", *BACKENDS)
PRECISIONS = ("fp32", "bf16", "fp16")  # fp16: CUDA only
_PACKAGES = {"torch": "torch", "onnxruntime": "onnxruntime", "openvino": "openvino"}
_EXTRA = {"onnxruntime": "framer-vfi[onnxruntime]", "openvino": "framer-vfi[openvino]"}

# Seconds per 1280x720 in-between (fp32, v4.25 weights, 2 threads), measured by benchmarks/speed.py on an AMD EPYC
# (2 vCPUs), 2026-12-03, one process per backend, with 3 / 1 in-betweens per pair, one repeat: torch 0.448 / 0.546,
# OpenVINO 2026.4.1 0.508 / 0.692, onnxruntime 1.32.0 1.035 / 1.413 (at 1920x1080: torch 0.992 / 1.151, OpenVINO
# 1.062 / 1.287, onnxruntime 2.607 / 3.561). The figure is the mean of the two; torch also peaks lower in memory.
# ``auto`` takes the smallest installed figure for the device type; a device type missing here runs torch.
MEASURED_SECONDS: dict[str, dict[str, float]] = {
    "cpu": {"torch": 0.50, "openvino": 0.60, "onnxruntime": 1.22},
}

_ALLOCATOR_TUNED = False


def installed_backends() -> list[str]:
    """The backends whose runtime package is importable here (torch always)."""
    return [name for name in BACKENDS if importlib.util.find_spec(_PACKAGES[name]) is not None]


def resolve_backend(backend: str, precision: str, device: torch.device) -> str:
    """The backend to run: ``backend`` itself after checks, or for ``auto`` the fastest installed one.

    Raises:
        InputError: an unknown name, an exported backend on a device other than the CPU, or ``bf16`` with an
            exported backend.
        MissingExtraError: the backend's package is not installed.
    """
    if backend not in BACKEND_CHOICES:
        raise InputError(f"`backend` must be one of {', '.join(BACKEND_CHOICES)} but is {backend!r}.")
    if precision not in PRECISIONS:
        raise InputError(f"`precision` must be one of {', '.join(PRECISIONS)} but is {precision!r}.")
    if precision == "fp16" and device.type != "cuda":
        raise InputError(f"`precision` fp16 runs on CUDA only, not on {device.type}; use bf16 or fp32.")
    if precision == "bf16" and device.type == "cpu" and not torch.backends.mkldnn.is_available():
        raise InputError("`precision` bf16 needs PyTorch with oneDNN on this CPU; use fp32.")
    if backend == "auto":
        if precision != "fp32" or device.type != "cpu":
            return "torch"
        table = MEASURED_SECONDS.get(device.type, {})
        candidates = [name for name in installed_backends() if name in table]
        return min(candidates, key=table.__getitem__, default="torch")
    if backend == "torch":
        return backend
    if device.type != "cpu":
        raise InputError(f"The {backend} backend runs on the CPU; use `backend` torch on {device.type}.")
    if precision != "fp32":
        raise InputError(f"`precision` {precision} runs on the torch backend only, not on {backend}.")
    if importlib.util.find_spec(_PACKAGES[backend]) is None:
        raise MissingExtraError(f"The {backend} backend needs its package: pip install '{_EXTRA[backend]}'.")
    return backend


def tune_allocator() -> None:
    """Keep freed memory in the process heap (glibc only), so full-frame tensors stop costing page faults.

    glibc gives every block above 32 MiB its own ``mmap`` and returns it on free; the network makes dozens of such
    tensors per frame, so each one is faulted in page by page again (measured at 720p: 1.0-1.8 s -> 0.54 s per
    in-between on 2 threads, pictures unchanged). The cost: freed memory stays with the process (peak RSS +25%
    at 720p). Process-wide and once; nothing happens on other C libraries or with ``FRAMER_NO_MALLOPT`` set.
    """
    global _ALLOCATOR_TUNED
    import os

    if _ALLOCATOR_TUNED or not sys.platform.startswith("linux") or os.environ.get("FRAMER_NO_MALLOPT"):
        return
    _ALLOCATOR_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another C library: leave it
        return
    m_trim_threshold, m_mmap_max = -1, -4
    mallopt(m_mmap_max, 0)
    mallopt(m_trim_threshold, 1 << 30)


class FlowRunner:
    """Runs the network in PyTorch, optionally with its convolutions in reduced precision.

    Args:
        net: the network, on its device, in eval mode.
        scale: pyramid scale.
        precision: ``fp32``, or ``bf16`` (convolutions in bfloat16; on CUDA also ``fp16``); flows, warps, the
            encoder and the blend stay float32.
    """

    backend = "torch"

    def __init__(self, net: nn.Module, scale: float = 1.0, precision: str = "fp32") -> None:
        self.net, self.scale, self.precision = net, scale, precision
        self.source_net = net  # as given (what an exported backend exports)
        self.compute_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        if _on_cpu(net) and hasattr(net, "with_blocks_in"):
            # the blocks run in channels-last (and bf16) throughout, their input converted once each
            self.net = net.with_blocks_in(self.compute_dtype or torch.float32)
        self._pair: tuple[tuple[torch.Tensor, ...], PairContext] | None = None
        self._last_encoded: tuple[_Fingerprint, torch.Tensor] | None = None

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` padded frames -> features ``(B, F, H, W)``."""
        return self.net.encode_frames(frames)

    def features(self, frames: torch.Tensor) -> torch.Tensor:
        """:meth:`encode`, remembering the last frames encoded and their features.

        A video's next pair (or a keyframe sequence's) starts with the frame the previous pair ended with, so each
        frame is encoded once rather than twice. Frames are compared by value (:class:`_Fingerprint`), so a caller
        that refills the same buffer gets features of what it holds now.
        """
        fingerprint = _Fingerprint.of(frames)  # the frames' bytes read once, to compare and to remember
        last = self._last_encoded
        if last is not None and last[0] == fingerprint:
            return last[1]
        self._last_encoded = None  # free the previous frame before encoding the next
        features = self.encode(frames)
        self._last_encoded = (fingerprint, features)
        return features

    def __call__(
        self,
        x0: torch.Tensor,
        x1: torch.Tensor,
        t: float,
        features0: torch.Tensor | None = None,
        features1: torch.Tensor | None = None,
    ) -> IFNetOutput:
        """The network's output at ``t`` for the padded pair ``x0``, ``x1`` ``(B, C, H, W)``.

        With both features given, the network's per-pair work is kept for the next call on the same four tensors
        (the engine's in-betweens of one pair; the tensors must not be changed in place meanwhile).
        """
        options = {} if self.compute_dtype is None else {"compute_dtype": self.compute_dtype}
        if features0 is not None and features1 is not None and hasattr(self.net, "pair_context"):
            options["context"] = self._context(x0, x1, features0, features1)
        return self.net(x0, x1, t, features0=features0, features1=features1, scale=self.scale, **options)

    def _context(self, *tensors: torch.Tensor) -> PairContext:
        """The network's :class:`PairContext` of ``x0, x1, features0, features1``: kept for the last pair only."""
        if self._pair is None or any(a is not b for a, b in zip(self._pair[0], tensors, strict=True)):
            self._pair = None  # free the previous pair's context before making the next
            self._pair = (tensors, self.net.pair_context(*tensors, self.scale))
        return self._pair[1]


class _ExportedRunner(FlowRunner):
    """Base of the ONNX runtimes: one compiled graph pair per padded size, PyTorch for what they cannot run."""

    def __init__(self, net: nn.Module, scale: float, model_name: str) -> None:
        super().__init__(net, scale)
        self.model_name = model_name
        self._hash: str | None = None
        self._compiled: dict[tuple[int, int], tuple[Callable, Callable]] = {}
        self._warned = False

    def _fits(self, frames: torch.Tensor) -> bool:
        if frames.shape[0] == 1 and frames.shape[1] == 3 and frames.device.type == "cpu":
            return True
        if not self._warned:
            logger.info("The %s backend runs single RGB pairs on the CPU; PyTorch runs this one.", self.backend)
            self._warned = True
        return False

    def _graphs(self, height: int, width: int) -> tuple[Callable, Callable]:
        key = (height, width)
        if key not in self._compiled:
            from framer.engines.flow.export import exported_graphs, network_hash

            if self._hash is None:
                self._hash = network_hash(self.source_net)
            graphs = exported_graphs(self.source_net, self.model_name, self._hash, height, width, self.scale)
            self._compiled[key] = (self._compile(str(graphs.encoder)), self._compile(str(graphs.step)))
        return self._compiled[key]

    def _compile(self, path: str) -> Callable[[dict[str, np.ndarray]], list[np.ndarray]]:
        raise NotImplementedError

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        if not self._fits(frames):
            return super().encode(frames)
        encoder, _ = self._graphs(*frames.shape[-2:])
        return torch.from_numpy(encoder({"x": _numpy(frames)})[0])

    def __call__(self, x0, x1, t, features0=None, features1=None) -> IFNetOutput:
        if not (self._fits(x0) and self._fits(x1)):
            return super().__call__(x0, x1, t, features0, features1)
        encoder, step = self._graphs(*x0.shape[-2:])
        if features0 is None:
            features0 = torch.from_numpy(encoder({"x": _numpy(x0)})[0])
        if features1 is None:
            features1 = torch.from_numpy(encoder({"x": _numpy(x1)})[0])
        inputs = {"x0": x0, "x1": x1, "f0": features0, "f1": features1}
        feed = {name: _numpy(value) for name, value in inputs.items()}
        feed["t"] = np.asarray([float(t)], dtype=np.float32)
        frame, flow, mask = (torch.from_numpy(array) for array in step(feed))
        return IFNetOutput(frame=frame, flow=flow, mask=mask)


class OnnxRuntimeRunner(_ExportedRunner):
    """The exported network on onnxruntime's CPU provider, with PyTorch's thread count."""

    backend = "onnxruntime"

    def _compile(self, path: str) -> Callable[[dict[str, np.ndarray]], list[np.ndarray]]:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return lambda feed: session.run(None, feed)


class OpenVinoRunner(_ExportedRunner):
    """The exported network on OpenVINO's CPU plugin in float32, latency mode, with PyTorch's thread count."""

    backend = "openvino"

    def _compile(self, path: str) -> Callable[[dict[str, np.ndarray]], list[np.ndarray]]:
        import openvino

        config = {
            "INFERENCE_NUM_THREADS": torch.get_num_threads(),
            "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY",
        }
        compiled = openvino.Core().compile_model(path, "CPU", config)
        request = compiled.create_infer_request()

        def run(feed: dict[str, np.ndarray]) -> list[np.ndarray]:
            results = request.infer(feed)
            return [np.array(results[output]) for output in compiled.outputs]  # copies: the request reuses its buffers

        return run


def make_runner(net: nn.Module, backend: str, precision: str, scale: float, model_name: str) -> FlowRunner:
    """The runner of a resolved ``backend`` (:func:`resolve_backend`) for ``net``."""
    if backend == "onnxruntime":
        return OnnxRuntimeRunner(net, scale, model_name)
    if backend == "openvino":
        return OpenVinoRunner(net, scale, model_name)
    return FlowRunner(net, scale, precision)


def _on_cpu(net: nn.Module) -> bool:
    return next(net.parameters()).device.type == "cpu"


@dataclass(frozen=True, eq=False)
class _Fingerprint:
    """What tells a tensor's values apart: on the CPU the SHA-256 of its bytes (as fast as copying them, and no
    24 MB copy kept per 1080p frame), on other devices a copy (hashing would move it to the host first)."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    device: torch.device
    key: bytes | torch.Tensor

    @classmethod
    def of(cls, tensor: torch.Tensor) -> _Fingerprint:
        return cls(tuple(tensor.shape), tensor.dtype, tensor.device, _key(tensor))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Fingerprint):
            return NotImplemented
        if (self.shape, self.dtype, self.device) != (other.shape, other.dtype, other.device):
            return False
        if isinstance(self.key, bytes):  # the same device: both digests, or both copies
            return self.key == other.key
        return torch.equal(self.key, other.key)


def _key(tensor: torch.Tensor) -> bytes | torch.Tensor:
    if tensor.device.type != "cpu":
        return tensor.clone()
    data = tensor.detach().contiguous().view(torch.uint8).numpy()  # the bytes as they are, any dtype
    return hashlib.sha256(memoryview(data).cast("B")).digest()


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to("cpu", torch.float32).numpy())
