"""The ``framer views`` command: parse options, call :func:`framer.applications.views.iter_views`, write, report."""

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
    matcher_option,
    output_fps_option,
    overwrite_quiet_options,
    resize_option,
    say_starting,
    strict_weights_options,
)

__all__ = ["views"]


@cli.command()
@click.argument("left", metavar="LEFT")
@click.argument("right", metavar="RIGHT")
@frames_output_option
@click.option(
    "-n", "--num-views", type=click.IntRange(min=1), default=8, show_default=True, metavar="N",
    help="In-between viewpoints.",
)  # fmt: skip
@output_fps_option("12")
@matcher_option
@engine_options
@resize_option("Scale RIGHT to LEFT's size, or both to WxH.")
@fit_option
@include_keyframes_option("LEFT and RIGHT")
@overwrite_quiet_options
@debug_option
def views(left, right, output, num_views, fps, matcher, engine, model, weights, device, threads, flow_scale_value,
          strict_weights, resize, fit, include_keyframes, overwrite, quiet, debug) -> None:  # fmt: skip
    """In-between viewpoints of a static scene photographed from LEFT and from RIGHT.

    The matches between the photos give the camera motion and the scene's depth layers (each moving by its own
    similarity); every layer follows its own camera path and the flow engine refines the result. It holds for
    small baselines over a few depth layers; wide baselines, a turning camera, continuous depth (a receding floor)
    or moving things break it (see the API's docstring).

    \b
    Examples:
      framer views left.jpg right.jpg -n 8 -o views.mp4
      framer views left.jpg right.jpg -n 15 --fps 15 -o views.gif
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    options = {"model": model, "weights": weights, "device": device, "threads": threads}
    options |= flow_options(engine, flow_scale_value) | strict_weights_options(engine, strict_weights)
    from framer.io.writers import check_output, output_kind, write_frames

    path = check_output(output, overwrite=overwrite, inputs=[left, right], fps=fps)
    if include_keyframes is None:
        include_keyframes = output_kind(path) != "folder"
    say_starting(quiet)
    from framer.applications.views import iter_views

    frames = iter_views(
        left,
        right,
        num_views,
        matcher=matcher,
        resize=resize,
        fit=fit,
        engine=engine,
        include_keyframes=include_keyframes,
        progress=not quiet,
        **{key: value for key, value in options.items() if value is not None},
    )
    written = [item.frame for item in frames]
    write_frames(written, path, fps=fps, overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {len(written)} frames to {path}", err=True)
