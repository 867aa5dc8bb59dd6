"""The models a run starts from and the checkpoints it writes, in the release's folder layout.

A checkpoint ``<output>/checkpoint-<step>/`` holds ``unet/`` and ``controlnet/`` (``config.json`` and
``diffusion_pytorch_model.safetensors`` each, so the diffusion engine loads it with ``--model-dir``), the run's
``config.yaml``, ``state/`` (accelerate's: optimiser, schedule, EMA, random states) and ``step.json``. The model a
stage does not train is written once, to ``<output>/frozen/``, and hard-linked into each checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import torch
from torch import nn

from framer.engines.diffusion.controlnet import ControlNetSVD
from framer.engines.diffusion.loading import load_pipeline
from framer.engines.diffusion.pipeline import FramerPipeline
from framer.engines.diffusion.unet import FramerUNet
from framer.errors import WeightsError
from framer.training.config import CONFIG_NAME, TrainingConfig, save_config

__all__ = ["latest_checkpoint", "load_training_pipeline", "prepare_init", "save_models"]

logger = logging.getLogger(__name__)

CHECKPOINT_PREFIX = "checkpoint-"
STEP_FILE = "step.json"


def _convert_svd_unet(svd_dir: Path, target: Path) -> None:
    """SVD-XT's UNet as a Framer UNet in ``target/unet`` (9 input channels: the new mask channel's weights zero;
    mask token zero) and a ControlNet copied from its encoder in ``target/controlnet``."""
    from diffusers import UNetSpatioTemporalConditionModel

    folder = svd_dir / "unet"
    if not (folder / "config.json").is_file():
        raise WeightsError(f"Stage 1 without --init starts from SVD-XT's UNet, but {folder} has no config.json.")
    svd = UNetSpatioTemporalConditionModel.from_pretrained(str(folder), local_files_only=True)
    config = {key: value for key, value in svd.config.items() if not key.startswith("_")}
    unet = FramerUNet(**{**config, "in_channels": config["in_channels"] + 1})
    state = svd.state_dict()
    weight = state["conv_in.weight"]
    state["conv_in.weight"] = torch.cat((weight, weight.new_zeros(weight.shape[0], 1, *weight.shape[2:])), 1)
    state["mask_token"] = torch.zeros_like(unet.mask_token)
    unet.load_state_dict(state, strict=True)
    controlnet = ControlNetSVD.from_unet(unet)
    unet.save_pretrained(target / "unet")
    controlnet.save_pretrained(target / "controlnet")


def prepare_init(config: TrainingConfig) -> Path:
    """The Framer folder the run starts from: ``init``, or (stage 1) SVD-XT's UNet converted once into
    ``<output>/init``."""
    if config.init is not None:
        return Path(config.init).expanduser()
    target = config.output_path / "init"
    if not (target / "unet" / "config.json").is_file():
        partial = config.output_path / ".init.partial"
        shutil.rmtree(partial, ignore_errors=True)
        _convert_svd_unet(Path(config.svd_dir).expanduser(), partial)
        os.replace(partial, target)
        logger.info("Converted SVD-XT's UNet for end-frame conditioning into %s", target)
    return target


def load_training_pipeline(config: TrainingConfig, init: Path, device: torch.device) -> FramerPipeline:
    """The pipeline in float32 on ``device``; stage 2 with ``fresh_controlnet``: the ControlNet copied from the
    UNet's encoder (the paper's start)."""
    pipeline = load_pipeline(init, config.svd_dir, device, dtype="fp32", attention="sdpa")
    if config.stage == 2 and config.fresh_controlnet:
        extra = {
            "conditioning_embedding_out_channels": list(pipeline.controlnet.config.conditioning_embedding_out_channels)
        }
        pipeline.controlnet = ControlNetSVD.from_unet(pipeline.unet, **extra).to(device)
    # the strict loader returns inference models; training needs real (not meta-assigned frozen) modules
    return pipeline


def _link_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


def save_models(pipeline: FramerPipeline, trained: nn.Module, config: TrainingConfig, folder: Path) -> None:
    """The release-layout models and ``config.yaml`` into ``folder`` (see the module docstring)."""
    name, other = ("unet", "controlnet") if config.stage == 1 else ("controlnet", "unet")
    trained.save_pretrained(folder / name)
    frozen = config.output_path / "frozen" / other
    if not (frozen / "config.json").is_file():
        partial = frozen.with_name(f".{other}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        getattr(pipeline, other).save_pretrained(partial)
        os.replace(partial, frozen)
    _link_tree(frozen, folder / other)
    save_config(config, folder / CONFIG_NAME)


def write_step(folder: Path, step: int) -> None:
    (folder / STEP_FILE).write_text(json.dumps({"step": step}), encoding="utf-8")


def latest_checkpoint(output: Path) -> tuple[Path, int] | None:
    """The newest complete checkpoint of a run and its step, or None."""
    found = []
    for path in output.glob(f"{CHECKPOINT_PREFIX}*"):
        try:
            found.append((json.loads((path / STEP_FILE).read_text())["step"], path))
        except (OSError, ValueError, KeyError):
            continue
    if not found:
        return None
    step, path = max(found)
    return path, step
