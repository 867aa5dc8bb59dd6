"""The settings of a training run: one dataclass, written as YAML beside every checkpoint so the run can be redone.

``framer train --config run.yaml`` reads such a file; options given on the command line win over it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from framer.errors import InputError

__all__ = ["CONFIG_NAME", "TrainingConfig", "load_config", "save_config"]

CONFIG_NAME = "config.yaml"
MIXED_PRECISIONS = ("no", "fp16", "bf16")
OPTIMIZERS = ("adamw", "adamw8bit")
MULTIPLE = 64


@dataclass(frozen=True)
class TrainingConfig:
    """Every option of ``framer train`` (defaults: the paper's where it gives one, else SVD fine-tuning practice).

    Attributes:
        stage: 1 trains the UNet's end-frame conditioning (input conv, mask token, temporal layers); 2 the
            trajectory ControlNet with the UNet frozen.
        data: a folder of videos and/or frame folders, or a text file listing them (one path a line, relative to
            the file; ``#`` comments).
        svd_dir: the SVD-XT folder (``vae/``, ``image_encoder/``, ``feature_extractor/``, ``scheduler/``; ``unet/``
            for a stage-1 start without ``init``).
        init: a Framer folder (``unet/``, ``controlnet/``) to start from; None (stage 1 only): SVD-XT's UNet with a
            9-channel input conv (the new channel zero) and a zero mask token.
        output: the run's folder (checkpoints, logs, samples, track cache).
        fresh_controlnet: stage 2: start the ControlNet as a copy of the UNet's encoder (the paper), not from
            ``init``'s ControlNet.
        num_frames, width, height: clip shape (the paper: 14 frames at 512x320); sides multiples of 64.
        frame_stride: take every n-th frame of a source.
        clip_hop: frames between the starts of a source's clips (None: a clip's span, so clips do not overlap).
        batch_size: clips per process and micro-step; the global batch is ``batch_size * processes *
            gradient_accumulation``.
        max_steps: optimiser steps of the run (resumed runs count the steps already made).
        warmup_steps: the learning rate rises linearly over these steps.
        ema_decay: keep an exponential moving average of the trained weights (saved checkpoints then hold it);
            None: off.
        optimizer: ``adamw`` or ``adamw8bit`` (needs bitsandbytes).
        mixed_precision: ``no``, ``fp16`` or ``bf16`` (accelerate's autocast).
        min_points, max_points: stage 2: points sampled per clip (the paper: 1 to 10, preferring moving ones).
        track_spacing: px between the grid points that are tracked through each clip.
        track_tolerance: px of forward-backward disagreement above which a point is dropped.
        min_motion: px a point must move over a clip to count as moving.
        num_workers: DataLoader worker processes (decoding and tracking).
        checkpoint_every, keep_checkpoints: steps between checkpoints; how many recent ones are kept.
        log_every: steps between lines of ``log.csv``; sample_every: steps between sample grids (0: none).
    """

    stage: int = 1
    data: str = ""
    svd_dir: str = ""
    output: str = ""
    init: str | None = None
    fresh_controlnet: bool = False
    num_frames: int = 14
    width: int = 512
    height: int = 320
    frame_stride: int = 1
    clip_hop: int | None = None
    batch_size: int = 1
    gradient_accumulation: int = 1
    max_steps: int = 10000
    learning_rate: float = 1e-5
    warmup_steps: int = 500
    weight_decay: float = 1e-2
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    optimizer: str = "adamw"
    mixed_precision: str = "no"
    gradient_checkpointing: bool = False
    ema_decay: float | None = None
    drop_probability: float = 0.1
    p_mean: float = 0.7
    p_std: float = 1.6
    noise_aug_strength: float = 0.02
    fps: int = 7
    motion_bucket_id: int = 100
    min_points: int = 1
    max_points: int = 10
    track_spacing: int = 16
    track_tolerance: float = 1.0
    min_motion: float = 2.0
    flow_model: str | None = None
    seed: int = 0
    num_workers: int = 2
    cpu: bool = False
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    log_every: int = 10
    sample_every: int = 0
    sample_steps: int = 10

    def __post_init__(self) -> None:
        if self.stage not in (1, 2):
            raise InputError(f"`stage` must be 1 (UNet) or 2 (ControlNet) but is {self.stage!r}.")
        for name in ("data", "svd_dir", "output"):
            if not getattr(self, name):
                raise InputError(f"`{name}` must be given.")
        if self.stage == 2 and self.init is None:
            raise InputError("Stage 2 starts from a model with end-frame conditioning: give `init` (a stage-1 "
                             "checkpoint or the released Framer folder).")  # fmt: skip
        positive = ("num_frames", "frame_stride", "batch_size", "gradient_accumulation", "max_steps",
                    "checkpoint_every", "keep_checkpoints", "log_every", "sample_steps", "track_spacing")  # fmt: skip
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"`{name}` must be an integer >= 1 but is {value!r}.")
        if self.num_frames < 3:
            raise InputError(f"`num_frames` must be at least 3 but is {self.num_frames}.")
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < MULTIPLE or value % MULTIPLE:
                raise InputError(f"`{name}` must be a multiple of {MULTIPLE} but is {value!r}.")
        if self.mixed_precision not in MIXED_PRECISIONS:
            raise InputError(f"`mixed_precision` must be one of {', '.join(MIXED_PRECISIONS)} but is "
                             f"{self.mixed_precision!r}.")  # fmt: skip
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"`optimizer` must be one of {', '.join(OPTIMIZERS)} but is {self.optimizer!r}.")
        if not 1 <= self.min_points <= self.max_points:
            raise InputError(f"Points per clip must satisfy 1 <= min_points <= max_points but are "
                             f"{self.min_points!r} and {self.max_points!r}.")  # fmt: skip
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise InputError(f"`ema_decay` must lie in (0, 1) but is {self.ema_decay!r}.")
        if not 0.0 <= self.drop_probability < 1.0:
            raise InputError(f"`drop_probability` must lie in [0, 1) but is {self.drop_probability!r}.")
        if self.learning_rate <= 0 or self.warmup_steps < 0 or self.sample_every < 0 or self.num_workers < 0:
            raise InputError("`learning_rate` must be > 0 and `warmup_steps`, `sample_every`, `num_workers` >= 0.")

    @property
    def span(self) -> int:
        """Source frames one clip covers."""
        return (self.num_frames - 1) * self.frame_stride + 1

    @property
    def output_path(self) -> Path:
        return Path(self.output)

    def replace(self, **changes: object) -> TrainingConfig:
        return dataclasses.replace(self, **changes)


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(TrainingConfig)}


def config_from_dict(values: dict, source: str = "the config") -> TrainingConfig:
    """A config from plain values (a YAML mapping); unknown keys are refused with the nearest known name."""
    known = _fields()
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(f"{source} has an unknown option {key!r}{hint}")
    values = dict(values)
    if isinstance(values.get("adam_betas"), list):
        values["adam_betas"] = tuple(values["adam_betas"])
    return TrainingConfig(**values)


def load_config(path: str | os.PathLike) -> dict:
    """The options of a YAML config file as a mapping (checked when the config is built)."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as ex:
        raise InputError(f"The config file {path} cannot be read: {ex}") from ex
    if not isinstance(values, dict):
        raise InputError(f"The config file {path} must hold a mapping of options, not {type(values).__name__}.")
    config_from_dict(values | _required_placeholders(values), str(path))  # unknown keys fail here, with the file
    return values


def _required_placeholders(values: dict) -> dict:
    return {key: "-" for key in ("data", "svd_dir", "output") if not values.get(key)} | (
        {"init": "-"} if values.get("stage") == 2 and not values.get("init") else {}
    )


def save_config(config: TrainingConfig, path: str | os.PathLike) -> None:
    """Write ``config`` as YAML (every option, paths absolute), atomically."""
    values = dataclasses.asdict(config)
    values["adam_betas"] = list(config.adam_betas)
    for key in ("data", "svd_dir", "output", "init"):
        if values[key]:
            values[key] = str(Path(values[key]).expanduser().resolve())
    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp")
    text = "# framer train: every option of this run; `framer train --config THIS_FILE` runs it again.\n"
    temp.write_text(text + yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    os.replace(temp, path)
