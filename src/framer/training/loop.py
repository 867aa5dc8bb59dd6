"""The training loop on accelerate: ``train(config)`` runs (or resumes) a run and returns its last checkpoint.

Every random draw of a clip (conditioning dropout, noise level, noise, keyframe augmentation, the points of stage
2) comes from a generator seeded by the run's seed and the clip's position in the run, and the data order from the
seed and the epoch (:class:`~framer.training.data.StepSampler`). So a run resumed from a checkpoint continues
exactly as the uninterrupted run (accelerate restores the weights, optimiser, schedule and EMA), and N processes
with a batch of B each draw what one process with a batch of N * B draws.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from framer.engines.diffusion.pipeline import SamplingOptions
from framer.engines.diffusion.train import TrainConfig, select_trainable, set_gradient_checkpointing, training_loss
from framer.errors import InputError, MissingExtraError
from framer.io.atomic import write_png
from framer.progress import progress_bar
from framer.training.config import TrainingConfig, save_config
from framer.training.data import ClipDataset, StepSampler, collate
from framer.training.models import (
    CHECKPOINT_PREFIX,
    latest_checkpoint,
    load_training_pipeline,
    prepare_init,
    save_models,
    write_step,
)
from framer.training.tracks import FlowTracker, sample_points

__all__ = ["EMA", "check_folders", "make_optimizer", "train"]

logger = logging.getLogger(__name__)

LOG_COLUMNS = ("step", "epoch", "loss", "learning_rate", "seconds_per_step")


class EMA:
    """Exponential moving average of parameters (a state accelerate saves and restores with the run)."""

    def __init__(self, parameters: list[nn.Parameter], decay: float) -> None:
        self.decay = decay
        self.shadow = [p.detach().clone().float() for p in parameters]

    @torch.no_grad()
    def update(self, parameters: list[nn.Parameter]) -> None:
        for average, parameter in zip(self.shadow, parameters, strict=True):
            average.lerp_(parameter.detach().float(), 1.0 - self.decay)

    @contextmanager
    def applied(self, parameters: list[nn.Parameter]) -> Iterator[None]:
        """The averages in the parameters for the block (to save them), the trained values after it."""
        kept = [p.detach().clone() for p in parameters]
        with torch.no_grad():
            for average, parameter in zip(self.shadow, parameters, strict=True):
                parameter.copy_(average)
        try:
            yield
        finally:
            with torch.no_grad():
                for value, parameter in zip(kept, parameters, strict=True):
                    parameter.copy_(value)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        self.decay = state["decay"]
        self.shadow = [tensor.clone() for tensor in state["shadow"]]


def make_optimizer(config: TrainingConfig, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
    """AdamW, or bitsandbytes' 8-bit AdamW (``optimizer: adamw8bit``)."""
    kwargs = {"lr": config.learning_rate, "betas": tuple(config.adam_betas), "eps": config.adam_epsilon,
              "weight_decay": config.weight_decay}  # fmt: skip
    if config.optimizer == "adamw8bit":
        try:
            import bitsandbytes
        except ImportError:
            raise MissingExtraError("`optimizer: adamw8bit` needs the package bitsandbytes, which is not installed; "
                                    "pip install bitsandbytes, or use adamw.") from None  # fmt: skip
        return bitsandbytes.optim.AdamW8bit(parameters, **kwargs)
    return torch.optim.AdamW(parameters, **kwargs)


def clip_seed(seed: int, position: int, salt: int = 0) -> int:
    """The seed of the clip at ``position`` of the run (``salt`` 1: its points)."""
    return (seed * 1_000_003 + position * 2 + salt) % (2**63 - 1)


class _Log:
    """``log.csv`` (rows past a resumed step dropped) and TensorBoard where installed."""

    def __init__(self, output: Path, start: int) -> None:
        self.path = output / "log.csv"
        rows = []
        if self.path.is_file():
            with self.path.open(newline="") as handle:
                rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= start]
        with self.path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, LOG_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self.board = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.board = SummaryWriter(str(output / "tensorboard"))
        except ImportError:
            pass

    def write(self, row: dict) -> None:
        with self.path.open("a", newline="") as handle:
            csv.DictWriter(handle, LOG_COLUMNS).writerow(row)
        if self.board is not None:
            self.board.add_scalar("loss", row["loss"], row["step"])
            self.board.add_scalar("learning_rate", row["learning_rate"], row["step"])

    def close(self) -> None:
        if self.board is not None:
            self.board.close()


def _warmup(steps: int):
    return lambda step: min(1.0, (step + 1) / steps) if steps else 1.0


@torch.no_grad()
def _write_samples(pipeline, clip: torch.Tensor, tracks: torch.Tensor | None, config: TrainingConfig, step: int):
    """A grid: the clip (top row) and what the model makes between its end frames (bottom row)."""
    options = SamplingOptions(num_frames=config.num_frames, num_inference_steps=config.sample_steps,
                              fps=config.fps, motion_bucket_id=config.motion_bucket_id)  # fmt: skip
    made = pipeline(clip[:1, 0], clip[:1, -1], tracks, options, torch.Generator().manual_seed(config.seed)).frames
    rows = [torch.cat(tuple(frames[0].cpu()), -1) for frames in (clip[:1], made)]  # [F, 3, H, W] -> [3, H, F * W]
    grid = torch.cat(rows, -2).permute(1, 2, 0).clamp(0, 1).numpy()
    folder = config.output_path / "samples"
    folder.mkdir(exist_ok=True)
    write_png(np.round(grid * 255).astype(np.uint8), folder / f"step-{step:07d}.png")


def _save_checkpoint(accelerator, pipeline, model, params, ema, config: TrainingConfig, step: int) -> Path:
    """All processes: accelerate's state; the main one: models, config, step; then the folder is renamed into
    place (a killed save leaves only a hidden partial folder)."""
    output = config.output_path
    final, partial = output / f"{CHECKPOINT_PREFIX}{step:07d}", output / f".{CHECKPOINT_PREFIX}{step:07d}.partial"
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial / "state"), safe_serialization=True)
    if accelerator.is_main_process:
        trained = accelerator.unwrap_model(model)
        if ema is not None:
            with ema.applied(params):
                save_models(pipeline, trained, config, partial)
        else:
            save_models(pipeline, trained, config, partial)
        write_step(partial, step)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
        done = sorted(p for p in output.glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir())
        for old in done[: -config.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def check_folders(config: TrainingConfig) -> None:
    """Refuse missing model folders before anything is loaded or written."""
    svd = Path(config.svd_dir).expanduser()
    if not svd.is_dir():
        raise InputError(f"The SVD-XT folder `svd_dir` {svd} does not exist.")
    if config.init is None:
        if not (svd / "unet" / "config.json").is_file():
            raise InputError(f"Stage 1 without `init` starts from SVD-XT's UNet, but {svd / 'unet'} has no "
                             "config.json; give `init` (a Framer folder) or a complete SVD-XT folder.")  # fmt: skip
        return
    init = Path(config.init).expanduser()
    for name in ("unet", "controlnet"):
        if not (init / name / "config.json").is_file():
            raise InputError(f"The `init` folder {init} must hold {name}/config.json (the release's layout: unet/ and "
                             "controlnet/, as a checkpoint of `framer train` does).")  # fmt: skip


def train(config: TrainingConfig, show_progress: bool = True) -> Path:
    """Run (or resume, from the newest checkpoint in ``config.output``) a training run; returns its last
    checkpoint folder."""
    from accelerate import Accelerator

    # 1. Inputs first (nothing is written for a run that cannot start), then processes, models, optimiser
    check_folders(config)
    output = config.output_path
    tracker = None
    if config.stage == 2:  # tracks from the flow engine, made in the DataLoader workers and cached per clip
        tracker = FlowTracker(output / "tracks", config.track_spacing, config.track_tolerance, config.flow_model,
                              "cpu", 1 if config.num_workers else None)  # fmt: skip
    dataset = ClipDataset(config.data, config.num_frames, config.width, config.height, config.frame_stride,
                          config.clip_hop, tracker)  # fmt: skip
    logger.info("Training data: %d sources, %d clips, %d skipped", len(dataset.sources), len(dataset),
                dataset.skipped)  # fmt: skip
    output.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(mixed_precision=config.mixed_precision,
                              gradient_accumulation_steps=config.gradient_accumulation, cpu=config.cpu)  # fmt: skip
    torch.manual_seed(config.seed)
    if accelerator.is_main_process:
        prepare_init(config)
        save_config(config, output / "config.yaml")
    accelerator.wait_for_everyone()
    pipeline = load_training_pipeline(config, prepare_init(config), accelerator.device)
    params = select_trainable(pipeline, config.stage)
    model = pipeline.unet if config.stage == 1 else pipeline.controlnet
    if config.gradient_checkpointing:
        set_gradient_checkpointing(model)
    optimizer = make_optimizer(config, params)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup(config.warmup_steps))
    ema = EMA(params, config.ema_decay) if config.ema_decay else None
    prepared, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(schedule)
    if ema is not None:
        accelerator.register_for_checkpointing(ema)

    # 2. Resume from the newest checkpoint (data order and random draws follow from the step)
    start = 0
    found = latest_checkpoint(output)
    if found is not None:
        accelerator.load_state(str(found[0] / "state"))
        start = found[1]
        logger.info("Resuming from %s (step %d)", found[0], start)

    sampler = StepSampler(len(dataset), config.batch_size, accelerator.num_processes, accelerator.process_index,
                          config.gradient_accumulation, config.seed, start, config.max_steps)  # fmt: skip
    # spawned, not forked: a fork of a process running PyAV's and OpenMP's threads can crash in the child
    context = "spawn" if config.num_workers else None
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=config.num_workers, collate_fn=collate,
                        multiprocessing_context=context)  # fmt: skip
    step_config = TrainConfig(stage=config.stage, learning_rate=config.learning_rate, p_mean=config.p_mean,
                              p_std=config.p_std, drop_probability=config.drop_probability,
                              noise_aug_strength=config.noise_aug_strength, fps=config.fps,
                              motion_bucket_id=config.motion_bucket_id)  # fmt: skip
    models = {"unet": prepared} if config.stage == 1 else {"controlnet": prepared}

    # 4. The loop
    log = _Log(output, start) if accelerator.is_main_process else None
    bar = progress_bar(config.max_steps, desc="train", unit="step", initial=start,
                       enabled=show_progress and accelerator.is_main_process)  # fmt: skip
    step, micro, losses, clock = start, start * config.gradient_accumulation, [], time.monotonic()
    logged, interval = start, []
    last = None
    prepared.train()
    for batch in loader:
        positions = sampler.positions(micro)
        generators = [torch.Generator().manual_seed(clip_seed(config.seed, p)) for p in positions]
        tracks = None
        if config.stage == 2:
            tracks = [sample_points(t, config.min_points, config.max_points, config.min_motion,
                                    torch.Generator().manual_seed(clip_seed(config.seed, p, 1)))
                      for t, p in zip(batch["tracks"], positions, strict=True)]  # fmt: skip
        with accelerator.accumulate(prepared):
            loss = training_loss(pipeline, batch["clip"], tracks, step_config, generators, **models)
            accelerator.backward(loss)
            if accelerator.sync_gradients and config.max_grad_norm > 0:
                accelerator.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        micro += 1
        losses.append(loss.detach())
        if not accelerator.sync_gradients:
            continue
        schedule.step()
        if ema is not None:
            ema.update(params)
        step += 1
        mean = accelerator.gather(torch.stack(losses).mean()[None]).mean().item()
        losses = []
        interval.append(mean)
        bar.update(1)
        if log is not None and (step % config.log_every == 0 or step == config.max_steps):
            now = time.monotonic()
            epoch = micro * config.batch_size * accelerator.num_processes // len(dataset)
            row = {"step": step, "epoch": epoch, "loss": f"{sum(interval) / len(interval):.6g}",
                   "learning_rate": schedule.get_last_lr()[0],
                   "seconds_per_step": f"{(now - clock) / (step - logged):.3f}"}  # fmt: skip
            log.write(row)
            clock, logged, interval = now, step, []
        if not math.isfinite(mean):
            raise FloatingPointError(f"The loss is {mean} at step {step}; lower the learning rate.")
        if config.sample_every and step % config.sample_every == 0 and accelerator.is_main_process:
            prepared.eval()
            _write_samples(pipeline, batch["clip"], tracks[0] if tracks else None, config, step)
            prepared.train()
        if step % config.checkpoint_every == 0 or step == config.max_steps:
            last = _save_checkpoint(accelerator, pipeline, prepared, params, ema, config, step)
    bar.close()
    if log is not None:
        log.close()
    prepared.eval()
    accelerator.end_training()
    return last if last is not None else found[0]
