"""The ``framer morph`` command: parse options, call :func:`framer.applications.morph.iter_morph`, write, report."""

from __future__ import annotations

import click

from framer.cli.commands import cli
from framer.cli.options import (
    MATCHERS,
    debug_option,
    drag_options,
    drag_trajectories,
    engine_options,
    fit_option,
    flow_options,
    frames_output_option,
    include_keyframes_option,
    output_fps_option,
    overwrite_quiet_options,
    resize_option,
    say_starting,
    strict_weights_options,
)

__all__ = ["morph"]


@cli.command()
@click.argument("image_a", metavar="A")
@click.argument("image_b", metavar="B")
@frames_output_option
@click.option(
    "-n", "--num-frames", type=click.IntRange(min=1), default=24, show_default=True, metavar="N", help="In-betweens."
)
@output_fps_option("24")
@click.option("--pingpong", is_flag=True, help="Then morph back to A, so the result loops.")
@drag_options("Drawn correspondences: each trajectory goes from a point of A to the same feature in B.")
@click.option(
    "--matcher",
    type=click.Choice((*MATCHERS, "none")),
    default="sift",
    show_default=True,
    help="Keypoint matcher whose reliable matches join the drawn correspondences; none: drawn ones only.",
)
@click.option(
    "--warp",
    type=click.Choice(("spline", "mesh")),
    default="spline",
    show_default=True,
    help="Dense warp through the correspondences: a thin-plate spline (smooth) or a triangle mesh (piecewise "
    "affine, local).",
)
@click.option(
    "--refine/--no-refine",
    default=None,
    help="Interpolate the warped pair with the flow engine instead of cross-fading it [default: when the matcher "
    "finds many matches, i.e. the same content in both].",
)
@engine_options
@resize_option("Scale B to A's size, or both to WxH (drawn points are in the pixels of that size).")
@fit_option
@include_keyframes_option("A and B")
@overwrite_quiet_options
@debug_option
def morph(image_a, image_b, output, num_frames, fps, pingpong, trajectory_file, drag, matcher, warp, refine, engine,
          model, weights, device, threads, flow_scale_value, strict_weights, resize, fit, include_keyframes, overwrite,
          quiet, debug) -> None:  # fmt: skip
    """Morph image A into image B: a geometric warp from correspondences, the colours cross-faded along it.

    Correspondences come from the keypoint matcher and from drawn trajectories (--trajectories, --drag; draw them
    in `framer serve` or see docs/trajectory-format.md). Two different subjects (two faces, a cat and a person)
    share few keypoints: draw a few dozen points on eyes, nose, mouth and outline.

    \b
    Examples:
      framer morph a.png b.png -n 24 -o morph.mp4 --trajectories points.json --pingpong
      framer morph face1.jpg face2.jpg --resize --fit crop -o morph.gif --fps 12
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    trajectories = drag_trajectories(trajectory_file, drag)
    options = {"model": model, "weights": weights, "device": device, "threads": threads}
    options |= flow_options(engine, flow_scale_value) | strict_weights_options(engine, strict_weights)
    if refine is False and any(value is not None for key, value in options.items() if key != "device"):
        raise click.UsageError("--model, --weights, --threads and --flow-scale apply to refining: drop --no-refine.")
    from framer.io.writers import check_output, output_kind, write_frames

    path = check_output(output, overwrite=overwrite, inputs=[image_a, image_b], fps=fps)
    if include_keyframes is None:
        include_keyframes = output_kind(path) != "folder"
    say_starting(quiet)
    from framer.applications.morph import iter_morph

    frames = iter_morph(
        image_a,
        image_b,
        num_frames,
        trajectories=trajectories,
        matcher=None if matcher == "none" else matcher,
        warp=warp,
        resize=resize,
        fit=fit,
        refine=refine,
        engine=engine,
        include_keyframes=include_keyframes,
        pingpong=pingpong,
        progress=not quiet,
        **{key: value for key, value in options.items() if value is not None},
    )
    written = [item.frame for item in frames]
    write_frames(written, path, fps=fps, overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {len(written)} frames to {path}", err=True)
