"""The ``framer cartoon`` command: in-betweens of line art and flat colour (single sharp lines), or an animation's
held drawings replaced by in-betweens (``--fill-holds``)."""

from __future__ import annotations

import click

from framer.cli.commands import cli
from framer.cli.options import (
    debug_option,
    engine_options,
    fit_option,
    flow_options,
    frames_output_option,
    include_keyframes_option,
    output_fps_option,
    overwrite_quiet_options,
    resize_option,
    say_starting,
    spacing_options,
    strict_weights_options,
)

__all__ = ["cartoon"]


@cli.command()
@click.argument("keyframes", nargs=-1, required=True, metavar="KEYFRAME KEYFRAME [KEYFRAME...]")
@frames_output_option
@spacing_options(default_num_frames=3)
@output_fps_option("12", "Frame rate of video/animation output.")
@include_keyframes_option()
@click.option(
    "--line-width",
    type=click.IntRange(1, 32),
    default=3,
    show_default=True,
    metavar="PX",
    help="Widest dark stroke kept as a line; wider dark areas are fills.",
)
@click.option(
    "--fill-holds",
    is_flag=True,
    help="KEYFRAMEs are an animation's frames with drawings held on twos or threes: replace each held copy by an "
    "in-between of its drawing and the next (as many frames out as in).",
)
@click.option("--autopilot", is_flag=True, help="Large motion: pre-align each pair with matched keypoints first.")
@engine_options
@resize_option()
@fit_option
@overwrite_quiet_options
@debug_option
def cartoon(keyframes, output, num_frames, times, timing, fps, include_keyframes, line_width, fill_holds, autopilot,
            engine, model, weights, device, threads, flow_scale_value, strict_weights, resize, fit, overwrite, quiet,
            debug) -> None:  # fmt: skip
    """In-betweens of line art and flat colour: lines stay single and sharp, flat regions flat.

    Where a plain flow in-between would blend two misplaced copies of a line into two faint lines, each pixel is
    taken from one keyframe instead (docs/gallery.md).

    \b
    Examples:
      framer cartoon a.png b.png -n 3 -o out/
      framer cartoon a.png b.png c.png -n 5 -o walk.gif
      framer cartoon frame_*.png --fill-holds -o smooth/
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    if len(keyframes) < 2:
        raise click.UsageError("At least two keyframes are needed.")
    if num_frames is not None and times is not None:
        raise click.UsageError("Give either --num-frames or --times, not both.")
    if fill_holds and (num_frames is not None or times is not None or autopilot or resize is not None):
        raise click.UsageError(
            "--fill-holds keeps the frames' count and size: give no -n, --times, --autopilot or --resize with it."
        )
    options = flow_options(engine, flow_scale_value) | strict_weights_options(engine, strict_weights)
    given = {"model": model, "weights": weights, "device": device, "threads": threads}
    options |= {key: value for key, value in given.items() if value is not None}
    from framer.io.writers import check_output, output_kind, write_frames

    path = check_output(output, overwrite=overwrite, inputs=keyframes, fps=fps)
    if include_keyframes is None:
        include_keyframes = output_kind(path) != "folder"
    say_starting(quiet)
    from framer.applications import cartoon as application

    made = application.cartoon_engine(engine, line_width, **options)
    if fill_holds:
        drawings = application.find_drawings(list(keyframes))
        frames = application.fill_holds(list(keyframes), engine=made)
        if not quiet:
            held = sum(drawing.count - 1 for drawing in drawings)
            click.echo(f"{len(drawings)} drawings, {held} held frames replaced by in-betweens.", err=True)
    else:
        count = num_frames or (None if times else 3)
        settings = {"timing": timing, "include_keyframes": include_keyframes, "resize": resize, "fit": fit}
        items = application.iter_cartoon(
            list(keyframes), count, times, engine=made, autopilot=autopilot, progress=not quiet, **settings
        )
        frames = [item.frame for item in items]
    write_frames(frames, path, fps=fps, overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {len(frames)} frame{'' if len(frames) == 1 else 's'} to {path}", err=True)
