"""The ``framer train`` command: options (and a config file) into a :class:`~framer.training.TrainingConfig`, then
:func:`framer.training.train`."""

from __future__ import annotations

import re

import click

from framer.cli.commands import cli
from framer.cli.options import debug_option, say_starting

__all__ = ["train"]

# option of each config field the command line sets (the rest: the --config file)
_OPTIONS = {
    "stage": "--stage", "data": "--data", "svd_dir": "--svd-dir", "init": "--init", "output": "--output",
    "max_steps": "--steps", "batch_size": "--batch-size", "gradient_accumulation": "--accumulation",
    "learning_rate": "--learning-rate", "warmup_steps": "--warmup", "mixed_precision": "--mixed-precision",
    "gradient_checkpointing": "--gradient-checkpointing", "ema_decay": "--ema-decay", "optimizer": "--optimizer",
    "num_frames": "--frames", "width": "--size", "height": "--size", "frame_stride": "--frame-stride",
    "num_workers": "--workers", "checkpoint_every": "--checkpoint-every", "sample_every": "--sample-every",
    "seed": "--seed", "fresh_controlnet": "--fresh-controlnet", "cpu": "--cpu",
}  # fmt: skip


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    from framer.parsing import parse_size

    try:
        return parse_size(value)
    except ValueError as ex:
        raise click.BadParameter(str(ex)) from None


def _in_options(message: str) -> str:
    return re.sub(r"`(\w+)`", lambda m: _OPTIONS.get(m.group(1), m.group(0)), message)


@cli.command()
@click.option("--stage", type=click.IntRange(1, 2), default=None, help="1: end-frame conditioning (UNet); 2: the "
              "trajectory ControlNet (UNet frozen).  [default: 1]")  # fmt: skip
@click.option("--data", default=None, metavar="DIR|LIST", help="Folder of videos and/or frame folders, or a text file "
              "listing them.")  # fmt: skip
@click.option("--svd-dir", default=None, metavar="DIR", help="SVD-XT folder (vae/, image_encoder/, "
              "feature_extractor/, scheduler/; unet/ for stage 1 without --init).")  # fmt: skip
@click.option("--init", default=None, metavar="DIR", help="Framer folder to start from (unet/, controlnet/): the "
              "release's or a checkpoint; needed for stage 2.")  # fmt: skip
@click.option("-o", "--output", default=None, metavar="DIR", help="Run folder: checkpoints, log.csv, samples, "
              "track cache; a run there is resumed from its newest checkpoint.")  # fmt: skip
@click.option("--config", "config_file", default=None, metavar="FILE.yaml", help="Options from a file (such as the "
              "config.yaml of a checkpoint); options given here win.")  # fmt: skip
@click.option(
    "--steps", "max_steps", type=click.IntRange(min=1), default=None, help="Optimiser steps.  [default: 10000]"
)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Clips per process and micro-step.")
@click.option(
    "--accumulation",
    "gradient_accumulation",
    type=click.IntRange(min=1),
    default=None,
    help="Gradient accumulation micro-steps.",
)
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None, help="[default: 1e-5]")
@click.option(
    "--warmup", "warmup_steps", type=click.IntRange(min=0), default=None, help="Learning-rate warm-up steps."
)
@click.option("--mixed-precision", type=click.Choice(("no", "fp16", "bf16")), default=None)
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", default=None, help="Trade compute for memory.")
@click.option("--ema-decay", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Keep an EMA of the weights (checkpoints hold it).")  # fmt: skip
@click.option("--optimizer", type=click.Choice(("adamw", "adamw8bit")), default=None)
@click.option(
    "--frames", "num_frames", type=click.IntRange(min=3), default=None, help="Frames per clip.  [default: 14]"
)
@click.option("--size", default=None, callback=_size, metavar="WxH", help="Clip size, multiples of 64.  [default: "
              "512x320]")  # fmt: skip
@click.option("--frame-stride", type=click.IntRange(min=1), default=None, help="Take every n-th source frame.")
@click.option(
    "--workers", "num_workers", type=click.IntRange(min=0), default=None, help="DataLoader worker processes."
)
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=None, help="Steps between checkpoints.")
@click.option("--sample-every", type=click.IntRange(min=0), default=None, help="Steps between sample grids (0: none).")
@click.option("--seed", type=int, default=None)
@click.option("--fresh-controlnet", is_flag=True, default=None, help="Stage 2: start the ControlNet from the UNet's "
              "encoder (the paper) instead of --init's ControlNet.")  # fmt: skip
@click.option("--cpu", is_flag=True, default=None, help="Train on the CPU even where a GPU is present.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@debug_option
def train(config_file: str | None, size: tuple[int, int] | None, quiet: bool, debug: bool, **options: object) -> None:
    """Fine-tune the diffusion engine on your own videos (docs/training.md); runs under `accelerate launch` too."""
    from framer.errors import InputError
    from framer.training.config import config_from_dict, load_config

    values: dict = {}
    if config_file is not None:
        try:
            values = load_config(config_file)
        except InputError as ex:
            raise click.BadParameter(str(ex), param_hint="'--config'") from None
    values |= {key: value for key, value in options.items() if value is not None}
    if size is not None:
        values["width"], values["height"] = size
    for key, option in (("data", "--data"), ("svd_dir", "--svd-dir"), ("output", "--output")):
        if not values.get(key):
            raise click.UsageError(f"Missing option '{option}' (or give it in the --config file).")
    try:
        config = config_from_dict(values)
    except InputError as ex:
        raise click.UsageError(_in_options(str(ex))) from None
    say_starting(quiet)
    from framer.training.loop import train as run

    try:
        last = run(config, show_progress=not quiet)
    except InputError as ex:
        raise InputError(_in_options(str(ex))) from None
    if not quiet:
        click.echo(f"framer: last checkpoint: {last}", err=True)
