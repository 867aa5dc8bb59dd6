"""Click options that several commands share, defined once so their names, defaults and help agree."""

from __future__ import annotations

from collections.abc import Callable

import click

__all__ = ["compute_options", "debug_option", "engine_options", "flow_scale", "weights_option"]

debug_option = click.option("--debug", is_flag=True, help="Show the full traceback on errors.")


def weights_option(help: str = "Local weight file (no download needed).") -> Callable:
    return click.option("--weights", default=None, metavar="PATH", help=help)


def compute_options(command: Callable) -> Callable:
    """``--device`` and ``--threads``."""
    command = click.option(
        "--threads", type=click.IntRange(min=1), default=None, metavar="N", help="CPU threads for PyTorch."
    )(command)
    return click.option(
        "--device", default="cpu", show_default=True, metavar="cpu|cuda|mps|auto", help="Where to compute."
    )(command)


def engine_options(command: Callable) -> Callable:
    """``--engine``, ``--model``, ``--weights``, ``--device``, ``--threads`` and ``--flow-scale``."""
    command = click.option(
        "--flow-scale",
        "flow_scale_value",
        type=click.Choice(("0.25", "0.5", "1")),
        default=None,
        help="Flow engine: pyramid scale of the network, as RIFE's --scale [default: 1]; 0.5 can help very large "
        "motion at 720p and above but loses detail on small frames.",
    )(command)
    command = compute_options(command)
    command = weights_option()(command)
    command = click.option("--model", default=None, metavar="NAME", help="Model of the engine (see `framer models`).")(
        command
    )
    return click.option("--engine", default="flow", show_default=True, metavar="NAME", help="Interpolation engine.")(
        command
    )


def flow_scale(engine: str, value: str | None) -> dict:
    """``{"scale": ...}`` for create_engine when ``--flow-scale`` was given (flow engine only), else ``{}``."""
    if value is None:
        return {}
    if engine != "flow":
        raise click.UsageError("--flow-scale applies only with --engine flow.")
    return {"scale": float(value)}
