"""The ``framer loop`` command: parse options, call :func:`framer.applications.loop.make_loop`, report."""

from __future__ import annotations

import click

from framer.cli.commands import cli
from framer.cli.options import (
    debug_option,
    diffusion_engine_options,
    diffusion_options,
    engine_options,
    flow_options,
    resize_option,
    say_starting,
    strict_weights_options,
)

__all__ = ["loop"]


@cli.command()
@click.argument("clip", metavar="CLIP")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="A .mp4/.mkv/.mov video, a .gif/.webp animation, or a folder for PNG frames (no suffix).",
)
@click.option(
    "--window",
    type=click.IntRange(min=2),
    default=None,
    metavar="N",
    help="Frames at each end of the clip among which the join is chosen [default: about a second].",
)
@click.option(
    "--frames",
    type=click.IntRange(min=0),
    default=None,
    metavar="K",
    help="In-betweens from the end back to the start [default: chosen from the motion].",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Use only the first SECONDS of the clip.",
)
@click.option(
    "--across-cuts",
    is_flag=True,
    help="Loop the whole clip even where it has scene cuts [default: its longest shot only].",
)
@resize_option("Scale the frames to WxH first.")
@engine_options
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@diffusion_options
@debug_option
def loop(clip, output, window, frames, duration, across_cuts, resize, engine, model, weights, device, threads,
         flow_scale_value, overwrite, quiet, debug, strict_weights, **diffusion) -> None:  # fmt: skip
    """Make CLIP (a video, or a folder of frames) loop without a jump: cut it at the best join near its ends and
    interpolate from its end back to its start. A clip of several shots loops its longest. Audio is dropped.

    \b
    Examples:
      framer loop clip.mp4 -o loop.mp4
      framer loop clip.mp4 --duration 3 --resize 480x270 -o loop.gif
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    if resize == "first":
        raise click.BadParameter("expected WxH: a clip's frames have one size already.", param_hint="'--resize'")
    options = diffusion_engine_options(engine, diffusion) | flow_options(engine, flow_scale_value)
    options |= strict_weights_options(engine, strict_weights)
    options |= {key: value for key, value in (("model", model), ("weights", weights), ("device", device),
                                              ("threads", threads)) if value is not None}  # fmt: skip
    from framer.io.images import is_still_image
    from framer.io.writers import check_output, write_frames
    from framer.video import open_video

    if is_still_image(clip):
        raise click.BadParameter(f"{clip} is a still image, not a video; give a video or a folder of frames.",
                                 param_hint="'CLIP'")  # fmt: skip
    with open_video(clip) as reader:  # fails here, before any work, on a file that is not a video
        rate = reader.info.frame_rate
    path = check_output(output, overwrite=overwrite, inputs=[clip], fps=rate if 0 < rate <= 1000 else None)
    say_starting(quiet)
    from framer.applications.loop import make_loop  # PyTorch: only once the arguments are known to be good

    result = make_loop(clip, window, frames, duration=duration, resize=resize, across_cuts=across_cuts,
                       engine=engine, **options)  # fmt: skip
    write_frames(result.frames, path, fps=result.frame_rate, overwrite=overwrite)
    if not quiet:
        click.echo(
            f"Wrote a loop of {len(result.frames)} frames to {path}: source frames {result.start}-{result.end} and "
            f"{result.inserted} in-between{'' if result.inserted == 1 else 's'}; jump at the join "
            f"{result.join_difference:.2f} (was {result.cut_difference:.2f}; median step "
            f"{result.step_difference:.2f}; largest step back to the start {result.bridge_step:.2f}).",
            err=True,
        )
