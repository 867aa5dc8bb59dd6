"""The ``framer timelapse`` command: parse options, call :func:`framer.applications.timelapse.timelapse`, report."""

from __future__ import annotations

import click

from framer.cli.commands import cli
from framer.cli.options import (
    debug_option,
    diffusion_engine_options,
    diffusion_options,
    engine_options,
    flow_options,
    output_fps_option,
    resize_option,
    say_starting,
    strict_weights_options,
)

__all__ = ["timelapse"]


@cli.command()
@click.argument("stills", nargs=-1, required=True, metavar="FOLDER|GLOB|STILL...")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="A .mp4/.mkv/.mov video, a .gif/.webp animation, or a folder for PNG frames (no suffix).",
)
@click.option(
    "--multi",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    metavar="N",
    help="Output frames per gap between stills (the still and N-1 in-betweens); with --pace exif, the average.",
)
@output_fps_option("30", "Frame rate of the clip.")
@click.option(
    "--pace",
    type=click.Choice(("even", "exif")),
    default="even",
    show_default=True,
    help="Frames per gap: the same for each, or by the real time between the stills (EXIF "
    "DateTimeOriginal; without it on a still, even pacing with a warning).",
)
@click.option(
    "--stabilize",
    is_flag=True,
    help="Remove the camera's jitter between stills; all frames are cropped by the same margins.",
)
@click.option(
    "--smooth",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="STILLS",
    help="With --stabilize: keep a deliberate camera motion, smoothed over this many stills [default: hold "
    "the camera still].",
)
@click.option(
    "--no-match-colour",
    "no_match_colour",
    is_flag=True,
    help="Interpolate the stills as they are (by default exposure and white balance are matched before "
    "interpolating and restored after, so a change of light is blended, not warped).",
)
@click.option(
    "--still-threshold",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="D",
    help="Gaps whose stills differ by less than this (mean absolute difference, 0-255) are blended, not interpolated.",
)
@engine_options
@resize_option("Scale the stills to the first one's size, or to WxH.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@diffusion_options
@debug_option
def timelapse(stills, output, multi, fps, pace, stabilize, smooth, no_match_colour, still_threshold, engine, model,
              weights, device, threads, flow_scale_value, resize, overwrite, quiet, debug, strict_weights,
              **diffusion) -> None:  # fmt: skip
    """Make a smooth clip from STILLS taken far apart: a folder, a glob (quoted) or two or more image files.

    Exposure and white balance changes are blended, not warped; frames that barely change are blended.

    \b
    Examples:
      framer timelapse shots/ --multi 4 --fps 30 -o out.mp4
      framer timelapse "shots/*.jpg" --stabilize --pace exif -o out.mp4
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    if smooth is not None and not stabilize:
        raise click.UsageError("--smooth sets how --stabilize follows the camera: give --stabilize too.")
    options = diffusion_engine_options(engine, diffusion) | flow_options(engine, flow_scale_value)
    options |= strict_weights_options(engine, strict_weights)
    options |= {key: value for key, value in (("model", model), ("weights", weights), ("device", device),
                                              ("threads", threads)) if value is not None}  # fmt: skip
    from framer.applications._timelapse_stills import collect_stills
    from framer.errors import InputError
    from framer.io.writers import check_output, write_frames

    try:
        paths = collect_stills(stills)
    except InputError as ex:
        raise click.UsageError(str(ex)) from None
    path = check_output(output, overwrite=overwrite, inputs=paths, fps=fps)
    say_starting(quiet)
    from framer.applications.timelapse import timelapse as make_timelapse  # PyTorch: only with good arguments

    result = make_timelapse(paths, multi, stabilize=stabilize, smooth=smooth, pace=pace,
                            match_colour=not no_match_colour, still_threshold=still_threshold, engine=engine,
                            resize=resize, progress=not quiet, **options)  # fmt: skip
    write_frames(result.frames, path, fps=fps, overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {len(result.frames)} frames from {len(result.stills)} stills to {path} "
                   f"({result.pace} pacing).", err=True)  # fmt: skip
