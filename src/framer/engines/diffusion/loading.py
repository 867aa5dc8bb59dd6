"""Loading Framer from local folders in the release layout, key for key; nothing is fetched from a hub.

Layout::

    <framer>/unet/{config.json, diffusion_pytorch_model.safetensors}          Framer's UNet (with mask_token)
    <framer>/controlnet/{config.json, diffusion_pytorch_model.safetensors}    Framer's trajectory ControlNet
    <svd>/vae/{config.json, diffusion_pytorch_model[.fp16].safetensors}       SVD-XT's VAE
    <svd>/image_encoder/{config.json, model[.fp16].safetensors}               SVD-XT's CLIP image encoder
    <svd>/feature_extractor/preprocessor_config.json                         CLIP preprocessing
    <svd>/scheduler/scheduler_config.json                                    EDM Euler scheduler

Models are built with empty (meta) parameters and take the checkpoint's tensors as they are (no second copy in
memory). Loading is strict: a checkpoint key the model lacks, a model key the checkpoint lacks, or a shape that
differs is an error naming the key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import torch
from accelerate import init_empty_weights
from diffusers import AutoencoderKLTemporalDecoder, EulerDiscreteScheduler
from diffusers.models.attention_processor import AttnProcessor
from safetensors.torch import load_file
from torch import nn
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from framer.engines.diffusion.controlnet import ControlNetSVD
from framer.engines.diffusion.pipeline import FramerPipeline
from framer.engines.diffusion.unet import FramerUNet
from framer.errors import InputError, WeightsError
from framer.weights import check_state_dict

__all__ = [
    "ATTENTIONS",
    "DTYPES",
    "MODEL_DIR_ENV",
    "SVD_DIR_ENV",
    "load_pipeline",
    "load_state_strict",
    "resolve_dtype",
    "resolve_folders",
]

logger = logging.getLogger(__name__)

MODEL_DIR_ENV = "FRAMER_DIFFUSION_DIR"
SVD_DIR_ENV = "FRAMER_SVD_DIR"
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
ATTENTIONS = ("sdpa", "math")

_DIFFUSERS_WEIGHTS = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors")
_TRANSFORMERS_WEIGHTS = ("model.safetensors", "model.fp16.safetensors")
_FRAMER_HINT = (
    "download the Framer checkpoint folder (framer_512x320 from the authors' release, with unet/ and controlnet/) "
    f"and pass its path with --model-dir or {MODEL_DIR_ENV}"
)
_SVD_HINT = (
    "download Stable Video Diffusion img2vid-xt in the diffusers layout (vae/, image_encoder/, feature_extractor/, "
    f"scheduler/) and pass its path with --svd-dir or {SVD_DIR_ENV}"
)


def resolve_folders(model_dir: str | os.PathLike | None, svd_dir: str | os.PathLike | None) -> tuple[Path, Path]:
    """The Framer and SVD folders: the arguments, else the environment variables; each must exist."""
    found = []
    for value, env, hint, label in (
        (model_dir, MODEL_DIR_ENV, _FRAMER_HINT, "Framer model folder"),
        (svd_dir, SVD_DIR_ENV, _SVD_HINT, "SVD-XT folder"),
    ):
        value = value if value is not None else os.environ.get(env)
        if not value:
            raise WeightsError(f"No {label} was given; {hint}.")
        path = Path(value).expanduser()
        if not path.is_dir():
            raise WeightsError(f"The {label} {path} does not exist; {hint}.")
        found.append(path)
    return found[0], found[1]


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """``fp32``/``fp16``/``bf16`` or a torch dtype; None: fp16 on CUDA, fp32 elsewhere."""
    if dtype is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype) and dtype in DTYPES.values():
        return dtype
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    raise InputError(f"`dtype` must be one of {', '.join(DTYPES)} but is {dtype!r}.")


def _subfolder(root: Path, name: str, files: tuple[str, ...], hint: str) -> Path:
    folder = root / name
    if not folder.is_dir() or not any((folder / f).is_file() for f in files):
        raise WeightsError(f"{folder} with {' or '.join(files)} is missing; {hint}.")
    return folder


def _weights_file(folder: Path, names: tuple[str, ...], hint: str) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise WeightsError(f"{folder} holds no weights ({' or '.join(names)}); {hint}.")


def load_state_strict(model: nn.Module, path: Path, dtype: torch.dtype) -> nn.Module:
    """Put the tensors of the safetensors file ``path`` into ``model`` (built on meta), checking every key.

    Non-persistent buffers that older libraries saved (such as CLIP's ``position_ids``) are ignored.
    """
    state = load_file(str(path))
    expected = model.state_dict()
    volatile = {name for name, _ in model.named_buffers()} - set(expected)
    state = {key: value for key, value in state.items() if key not in volatile}
    check_state_dict(state, expected, path, type(model).__name__)
    state = {key: value.to(dtype) if value.is_floating_point() else value for key, value in state.items()}
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval().requires_grad_(False)


def _load_diffusers(cls: type, folder: Path, dtype: torch.dtype, hint: str, check: Callable | None = None):
    config = cls.load_config(folder)
    if check is not None:
        config = check(config, folder)
    with init_empty_weights():
        model = cls.from_config(config)
    return load_state_strict(model, _weights_file(folder, _DIFFUSERS_WEIGHTS, hint), dtype)


# keys of the released ControlNet's config that describe nothing it uses (the release's class kept them)
_UNUSED_CONTROLNET_KEYS = (
    "with_id_feature",
    "feature_channels",
    "feature_out_channels",
    "up_block_types",
    "out_channels",
)


def _check_controlnet_config(config: dict, folder: Path) -> dict:
    if config.get("with_id_feature"):
        raise WeightsError(f"{folder / 'config.json'} asks for point-identity features (with_id_feature), which the "
                           "released Framer ControlNet does not use and this engine does not support.")  # fmt: skip
    return {key: value for key, value in config.items() if key not in _UNUSED_CONTROLNET_KEYS}


def _load_clip(folder: Path, dtype: torch.dtype, attention: str) -> nn.Module:
    config = CLIPVisionConfig.from_pretrained(str(folder), local_files_only=True)
    config._attn_implementation = "sdpa" if attention == "sdpa" else "eager"
    with init_empty_weights():
        model = CLIPVisionModelWithProjection(config)
    return load_state_strict(model, _weights_file(folder, _TRANSFORMERS_WEIGHTS, _SVD_HINT), dtype)


def _clip_preprocessing(folder: Path) -> tuple[tuple[float, ...], tuple[float, ...], tuple[int, int]]:
    """CLIP's normalisation and input size from the feature extractor's config (CLIPImageProcessor)."""
    import transformers

    processor_cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    processor = processor_cls.from_pretrained(str(folder), local_files_only=True)
    crop = processor.crop_size
    height, width = (crop["height"], crop["width"]) if isinstance(crop, dict) else (crop.height, crop.width)
    return tuple(processor.image_mean), tuple(processor.image_std), (int(height), int(width))


def load_pipeline(
    model_dir: str | os.PathLike | None,
    svd_dir: str | os.PathLike | None,
    device: torch.device,
    dtype: str | torch.dtype | None = None,
    offload: bool = False,
    attention: str = "sdpa",
) -> FramerPipeline:
    """Framer from its two folders (see the module docstring), ready on ``device`` (or offloaded to the CPU).

    Args:
        dtype: of the UNet, ControlNet and CLIP (``fp16``, ``bf16``, ``fp32``; None: fp16 on CUDA, else fp32).
            The VAE stays in float32 where its config asks for it (``force_upcast``) and the dtype is fp16.
        offload: keep the models on the CPU and move each to ``device`` only while it runs.
        attention: ``sdpa`` (PyTorch's scaled-dot-product attention) or ``math`` (plain matmul attention).
    """
    if attention not in ATTENTIONS:
        raise InputError(f"`attention` must be one of {', '.join(ATTENTIONS)} but is {attention!r}.")
    torch_dtype = resolve_dtype(dtype, device)
    framer_root, svd_root = resolve_folders(model_dir, svd_dir)
    unet_dir = _subfolder(framer_root, "unet", ("config.json",), _FRAMER_HINT)
    controlnet_dir = _subfolder(framer_root, "controlnet", ("config.json",), _FRAMER_HINT)
    vae_dir = _subfolder(svd_root, "vae", ("config.json",), _SVD_HINT)
    clip_dir = _subfolder(svd_root, "image_encoder", ("config.json",), _SVD_HINT)
    extractor_dir = _subfolder(svd_root, "feature_extractor", ("preprocessor_config.json",), _SVD_HINT)
    scheduler_dir = _subfolder(svd_root, "scheduler", ("scheduler_config.json",), _SVD_HINT)

    unet = _load_diffusers(FramerUNet, unet_dir, torch_dtype, _FRAMER_HINT)
    controlnet = _load_diffusers(ControlNetSVD, controlnet_dir, torch_dtype, _FRAMER_HINT, _check_controlnet_config)
    vae_config = AutoencoderKLTemporalDecoder.load_config(vae_dir)
    upcast = torch_dtype == torch.float16 and vae_config.get("force_upcast", True)
    vae = _load_diffusers(AutoencoderKLTemporalDecoder, vae_dir, torch.float32 if upcast else torch_dtype, _SVD_HINT)
    image_encoder = _load_clip(clip_dir, torch_dtype, attention)
    mean, std, clip_size = _clip_preprocessing(extractor_dir)
    scheduler = EulerDiscreteScheduler.from_config(EulerDiscreteScheduler.load_config(scheduler_dir))
    if attention == "math":
        unet.set_attn_processor(AttnProcessor())
        controlnet.set_attn_processor(AttnProcessor())
    pipeline = FramerPipeline(unet, controlnet, vae, image_encoder, scheduler, mean, std, clip_size, device, offload)
    if not offload:
        for model in (unet, controlnet, vae, image_encoder):
            model.to(device)
    logger.info("Loaded Framer from %s and %s (%s, offload %s)", framer_root, svd_root, torch_dtype, offload)
    return pipeline
