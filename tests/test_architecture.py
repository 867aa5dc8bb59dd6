"""The architecture as behaviour: what importing a layer loads, and what engines declare (docs/architecture.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from framer.engines import Capabilities, Engine


def _loaded_after(statement: str) -> list[str]:
    """Modules in ``sys.modules`` after running ``statement`` in a fresh interpreter."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", ["framer.matching", "framer.motion"])
def test_matching_and_motion_load_no_engine(package):
    loaded = _loaded_after(f"import {package}")
    assert package in loaded
    assert not [name for name in loaded if name.startswith("framer.engines")]
    assert "torch" not in loaded  # the numpy-only parts stay light; motion.warp loads PyTorch when used


def test_motion_warp_loads_torch_but_no_engine():
    loaded = _loaded_after("from framer.motion import warp_pair")
    assert "torch" in loaded and "framer.motion.warp" in loaded
    assert not [name for name in loaded if name.startswith("framer.engines")]


def test_framer_import_is_cheap():
    loaded = _loaded_after("import framer")
    assert "torch" not in loaded and not [name for name in loaded if name.startswith("framer.engines")]


def test_engines_declare_capabilities_instead_of_signatures():
    from framer.engines.flow import FlowEngine
    from framer.engines.tiling import TiledEngine

    assert FlowEngine.capabilities == Capabilities(tracks=True, alignment=True, correspondences=True, tiles=True)
    assert Engine.capabilities == Capabilities()

    class Plain(Engine):
        name = "plain"
        capabilities = Capabilities(tiles=True)

        def iter_frames(self, frame0, frame1, times, tracks=None, alignment=None):
            yield from ()

    plain = Plain()
    plain.device = "cpu"
    tiled = TiledEngine(plain, 128, 32)
    assert not tiled.capabilities.tracks and tiled.identity() == plain.identity()
    from framer.errors import InputError

    with pytest.raises(InputError, match="Drag trajectories need an engine that follows them"):
        plain.require(tracks=True)
    with pytest.raises(InputError, match="Pre-alignment needs an engine"):
        plain.require(alignment=True)
