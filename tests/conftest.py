"""Shared fixtures: paths to the shared test data and sample frames, a huge-PNG writer, a CLI runner."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"The shared test data folder {SHARED_DATA} is missing; it must sit beside the checkout.")
    return SHARED_DATA


@pytest.fixture(scope="session")
def street_pair() -> tuple[Path, Path]:
    return EXAMPLES / "street" / "i0.png", EXAMPLES / "street" / "i1.png"


@pytest.fixture(scope="session")
def flow_engine():
    """One flow engine for the whole session (weights fetched the way a user gets them, then cached)."""
    import framer

    return framer.create_engine("flow", device="cpu")


@pytest.fixture(scope="session")
def tiny_flow_weights(tmp_path_factory) -> Path:
    """Seeded random weights of the tiny IFNet (helpers/flow_tiny.py), saved once for the session."""
    from helpers.flow_tiny import save_tiny_ifnet

    return save_tiny_ifnet(tmp_path_factory.mktemp("tiny_ifnet") / "tiny_ifnet.pt")


@pytest.fixture(scope="session")
def tiny_flow_engine(tiny_flow_weights):
    """The real flow engine on a tiny untrained IFNet: for tests of plumbing (exit codes, files, counts, shapes,
    resuming, progress), never of picture quality. Its model, ``test.tiny_ifnet``, is registered only while the
    engine is built, so the model lists other tests see are a user's."""
    import framer
    from helpers.flow_tiny import TINY_IFNET_ENTRY, registered

    with registered(TINY_IFNET_ENTRY):
        return framer.create_engine("flow", model=TINY_IFNET_ENTRY.name, weights=tiny_flow_weights, device="cpu")


def write_blank_png(path: Path, width: int, height: int) -> Path:
    """Write a valid all-black 8-bit RGB PNG of any size without allocating it (a 30000x30000 file takes ~0.1 s).

    The zero rows are deflated one block of rows at a time with full flushes, so every block compresses to the
    same bytes and is repeated; the zlib trailer's Adler-32 of n zero bytes is ``(n mod 65521) << 16 | 1``.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row_bytes = 1 + 3 * width  # filter byte + RGB samples
    rows_per_block = max(1, min(height, (1 << 20) // row_bytes))
    blocks, rest = divmod(height, rows_per_block)
    deflate = zlib.compressobj(9)
    block = b"\x00" * (row_bytes * rows_per_block)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)  # 2-byte zlib header + block
    repeat = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(b"\x00" * (row_bytes * rest)) + deflate.flush(zlib.Z_FULL_FLUSH) if rest else b""
    adler = ((row_bytes * height) % 65521) << 16 | 1
    stream = first + repeat * (blocks - 1) + tail + b"\x03\x00" + struct.pack(">I", adler)  # empty final block
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="session")
def blank_png():
    """``blank_png(path, width, height)`` writes an all-black RGB PNG of any size cheaply (see write_blank_png)."""
    return write_blank_png


@pytest.fixture(scope="session")
def huge_png(tmp_path_factory) -> Path:
    """A valid 30000x30000 PNG (2.6 MB on disk, 2.7 GB decoded): must be refused from its header."""
    return write_blank_png(tmp_path_factory.mktemp("huge") / "huge.png", 30000, 30000)


@pytest.fixture(scope="session")
def run_framer():
    """Run ``python -m framer ARGS`` in a subprocess; ``env`` entries set to None are removed from the environment."""

    def run(*args, env: dict[str, str | None] | None = None, cwd=None, timeout: float = 300, stderr=subprocess.PIPE):
        full_env = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        return subprocess.run(
            [sys.executable, "-m", "framer", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="module")
def one_torch_thread():
    """One PyTorch intra-op thread for a module (restored after it): small tensors gain nothing from more, and on a
    busy 2-core runner two threads made each forward pass 3-30 times slower (AlexNet at 64x64: 8 ms with one thread,
    226 ms with two, measured at load average 7)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
