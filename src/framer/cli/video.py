"""The ``framer video`` command: parse options, call :func:`framer.video.interpolate_video`, report."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import click

from framer.cli.commands import cli, confidence_option
from framer.cli.options import (
    autopilot_setting,
    debug_option,
    drag_options,
    drag_trajectories,
    engine_options,
    flow_options,
    matcher_option,
    rescale_trajectories_option,
    say_starting,
    strict_weights_options,
)
from framer.parsing import FALLBACK_MODES, ParseError, parse_rational, parse_span

__all__ = ["video", "video_job_arguments", "video_job_options"]


def _parse_tile(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        tile = int(value)
    except ValueError:
        raise click.BadParameter(f"expected auto, 0 or a tile side in pixels, got {value!r}.") from None
    if tile < 0:
        raise click.BadParameter(f"expected auto, 0 or a positive tile side, got {value!r}.")
    return tile


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _guidance_notes(guidance: dict[str, int]) -> list[str]:
    """Parts of the closing line about drag steering and the autopilot (the log holds the details)."""
    notes = []
    dragged = guidance.get("steered", 0) + guidance.get("trajectories", 0)
    if dragged:
        notes.append(f"{_plural(dragged, 'gap')} dragged")
    decided = ("align", "align-layers", "plain-measured", "small-motion", "too-few-matches", "unreliable-matches")
    piloted = sum(guidance.get(key, 0) for key in decided)
    if piloted:
        aligned = guidance.get("align", 0) + guidance.get("align-layers", 0)
        notes.append(f"autopilot aligned {aligned} of {_plural(piloted, 'gap')}")
    return notes


def _parse_span(value: str) -> tuple[int, int]:
    """``"12:36"`` -> ``(12, 36)``: source frame indices."""
    try:
        return parse_span(value, "drag_frames")
    except ParseError as ex:
        raise click.BadParameter(ex.detail, param_hint="'--drag-frames'") from None


def _parse_rational(value: str, option: str, minimum: int = 0) -> Fraction:
    """A positive number or ratio (``60``, ``59.94``, ``60000/1001``) above ``minimum``."""
    try:
        return parse_rational(value, option, minimum)
    except ParseError as ex:
        raise click.BadParameter(ex.detail, param_hint=f"'{option}'") from None


def _options(*options: Callable) -> Callable:
    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


video_job_options = _options(
    click.option(
        "--multi",
        type=int,
        default=None,
        metavar="N",
        help="N times the source frame rate (N - 1 in-betweens per pair of frames).",
    ),
    click.option("--fps", default=None, metavar="FPS", help="Target frame rate, above the source's (60, 60000/1001)."),
    click.option(
        "--slowmo", default=None, metavar="FACTOR", help="Slow motion: FACTOR times slower, same frame rate."
    ),
    click.option(
        "--input-fps", default=None, metavar="FPS", help="Frame rate of a folder of frames as IN [default: 24]."
    ),
    click.option("--codec", default="libx264", show_default=True, metavar="NAME", help="FFmpeg video encoder."),
    click.option(
        "--crf",
        type=click.IntRange(0, 63),
        default=None,
        metavar="N",
        help="Quality of the encoder, lower is better [default: 18 for libx264].",
    ),
    click.option("--pix-fmt", default="yuv420p", show_default=True, metavar="FMT", help="Pixel format of the video."),
    click.option(
        "--scene-threshold",
        type=click.FloatRange(0, 1),
        default=0.3,
        show_default=True,
        metavar="S",
        help="Scene cut when the thumbnails' SSIM falls below S (and colours change); 0: off.",
    ),
    click.option(
        "--dedupe/--no-dedupe",
        default=None,
        help="Drop repeated frames so motion through holds is even [default: with --cartoon, else not].",
    ),
    click.option(
        "--tile",
        default="auto",
        show_default=True,
        metavar="auto|0|N",
        help="Interpolate in N-pixel tiles; auto: only when a frame does not fit memory; 0: never.",
    ),
    click.option(
        "--overlap",
        type=click.IntRange(min=0),
        default=128,
        show_default=True,
        metavar="N",
        help="Overlap of neighbouring tiles in pixels.",
    ),
    click.option(
        "--resume/--restart",
        default=True,
        show_default=True,
        help="Resume an interrupted run of the same command, or discard it and start over.",
    ),
    click.option(
        "--autopilot",
        is_flag=True,
        help="Large motion: match each pair of source frames and pre-align them (with --trajectories or --drag: with "
        "those, where they run); plain interpolation where the motion is small or the matches unreliable.",
    ),
    matcher_option,
    click.option(
        "--strict",
        is_flag=True,
        help="Refuse a video file that ends before the frames its container announces (cut off) instead of warning.",
    ),
    click.option(
        "--fallback",
        type=click.Choice(FALLBACK_MODES),
        default="none",
        show_default=True,
        help="Replace an in-between whose confidence is below --fallback-threshold by the blend of its source frames, "
        "or by the nearer source frame.",
    ),
    click.option(
        "--fallback-threshold",
        type=click.FloatRange(0, 1),
        default=None,
        metavar="X",
        help="Confidence (0-1) below which --fallback replaces an in-between [default: the calibrated value, README].",
    ),
    click.option(
        "--protect-static",
        type=click.Choice(["auto", "off"]),
        default="auto",
        show_default=True,
        help="Keep static overlays (logos, subtitles, HUDs, timestamps) still and sharp: found over a window of "
        "source frames, put back unwarped from the nearer source frame.",
    ),
    click.option(
        "--static-mask",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="PATH",
        help="An image of the video's size, white where the picture is to be kept still (with either "
        "--protect-static).",
    ),
    click.option("--segment-seconds", default="2", hidden=True, help="Length of the resumable parts, in seconds."),
)
"""The options of a video job that ``framer video`` and ``framer batch`` share (rates, encoder, cuts, tiles,
resuming, autopilot, fallback, static overlays); :func:`video_job_arguments` turns them into keyword arguments of
:func:`framer.video.interpolate_video`."""


cartoon_option = click.option(
    "--cartoon",
    is_flag=True,
    help="Line art: single sharp lines (the engine of framer cartoon), and held drawings dropped (--dedupe).",
)
"""``--cartoon`` of ``framer video`` and ``framer batch``: the engine wrapped for line art (``dedupe`` follows it)."""


def video_job_arguments(multi, fps, slowmo, input_fps, codec, crf, pix_fmt, scene_threshold, dedupe, tile, overlap,
                        autopilot, matcher, strict, fallback, fallback_threshold, protect_static, static_mask,
                        segment_seconds, **_) -> dict:  # fmt: skip
    """Check the values of :data:`video_job_options` and parse them for :func:`framer.video.interpolate_video`
    (``dedupe`` is left None when not given; ``resume`` is the caller's)."""
    given = [name for name, value in (("--multi", multi), ("--fps", fps), ("--slowmo", slowmo)) if value is not None]
    if len(given) != 1:
        raise click.UsageError(f"Give exactly one of --multi, --fps or --slowmo (got {', '.join(given) or 'none'}).")
    if multi is not None and multi < 2:
        raise click.BadParameter(f"must be an integer >= 2, got {multi}.", param_hint="'--multi'")
    if fallback_threshold is not None and fallback == "none":
        raise click.UsageError("--fallback-threshold sets when --fallback replaces frames: give --fallback too.")
    return {
        "multi": multi,
        "fps": _parse_rational(fps, "--fps") if fps is not None else None,
        "slowmo": _parse_rational(slowmo, "--slowmo", minimum=1) if slowmo is not None else None,
        "input_fps": _parse_rational(input_fps, "--input-fps") if input_fps is not None else None,
        "codec": codec,
        "crf": crf,
        "pix_fmt": pix_fmt,
        "scene_threshold": scene_threshold,
        "dedupe": dedupe,
        "tile": _parse_tile(tile),
        "overlap": overlap,
        "autopilot": autopilot_setting(autopilot, matcher),
        "strict": strict,
        "fallback": fallback,
        "protect_static": protect_static,
        "static_mask": static_mask,
        "segment_seconds": _parse_rational(segment_seconds, "--segment-seconds"),
        **({} if fallback_threshold is None else {"fallback_threshold": fallback_threshold}),
    }


@cli.command()
@click.argument("source", metavar="IN")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="A .mp4/.mkv/.mov video, or a folder (no suffix) for PNG frames.",
)
@video_job_options
@cartoon_option
@drag_options("Drag mode: trajectories from a file (docs/trajectory-format.md, section Video), in the video's pixels.")
@rescale_trajectories_option
@click.option(
    "--drag-frames",
    default=None,
    metavar="FIRST:LAST",
    help="Source frames (from 0) where the trajectories start and end [default: the whole video].",
)
@confidence_option
@click.option(
    "--show-static",
    default=None,
    metavar="PATH",
    help="Preview what was kept still: a .mp4 (the source, dimmed elsewhere) or a folder (a PNG mask per change).",
)
@engine_options
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@debug_option
def video(source, output, multi, fps, slowmo, input_fps, codec, crf, pix_fmt, scene_threshold, dedupe, cartoon, tile,
          overlap, resume, trajectory_file, drag, rescale_trajectories, drag_frames, autopilot, matcher, strict,
          fallback, fallback_threshold, confidence_file, protect_static, static_mask, show_static, segment_seconds,
          engine,
          model, weights, device, threads, flow_scale_value, overwrite, quiet, debug,
          strict_weights) -> None:  # fmt: skip
    """Raise the frame rate of video IN (or slow it down) with in-betweens at the exact target timestamps.

    IN is a video file, or a folder of frames. Give exactly one of --multi, --fps or --slowmo. Audio is kept
    (copied when the container allows) except with --slowmo; scene cuts are never blended across. Stopped runs
    resume when the same command is run again (work is saved at least every 30 s). A file that ends before the
    frames its container announces is reported (refused with --strict).

    \b
    Examples:
      framer video in.mp4 --multi 2 -o out.mp4
      framer video in.mp4 --fps 60000/1001 -o out.mp4
      framer video in.mp4 --slowmo 4 -o slow.mp4
      framer video frames/ --input-fps 12 --fps 24 -o out/
      framer video in.mp4 --multi 2 --autopilot -o out.mp4
      framer video in.mp4 --multi 4 --drag "40,60:120,30:200,60" --drag-frames 24:48 -o drag.mp4
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    job = video_job_arguments(**locals())
    trajectories = drag_trajectories(trajectory_file, drag)
    if drag_frames is not None and trajectories is None:
        raise click.UsageError("--drag-frames sets where trajectories run: give --trajectories or --drag too.")
    if rescale_trajectories and trajectory_file is None:
        raise click.UsageError("--rescale-trajectories applies to a --trajectories file: give one too.")
    options = {"model": model, "weights": weights, "device": device, "threads": threads}
    options.update(flow_options(engine, flow_scale_value))
    options.update(strict_weights_options(engine, strict_weights))
    from framer.io.images import is_still_image

    if is_still_image(source):
        raise click.BadParameter(
            f"{source} is a still image, not a video; give a video or a folder of frames (for images, framer tween).",
            param_hint="'IN'",
        )
    if confidence_file is not None:
        from framer.io.sidecar import check_sidecar

        check_sidecar(confidence_file, "--confidence", overwrite, [source, output])
    say_starting(quiet)
    from framer.video import interpolate_video  # PyTorch: seconds, so only once the arguments are known to be good

    if cartoon:  # the engine wrapped as framer cartoon's
        from framer.applications.cartoon import cartoon_engine

        engine = cartoon_engine(engine, **{key: value for key, value in options.items() if value is not None})
        options = {}
    job["dedupe"] = cartoon if dedupe is None else dedupe  # held drawings leave a cartoon's timeline unless told
    result = interpolate_video(
        source,
        output,
        engine=engine,
        resume=resume,
        overwrite=overwrite,
        progress=not quiet,
        trajectories=trajectories,
        trajectory_frames=_parse_span(drag_frames) if drag_frames is not None else None,
        rescale_trajectories=rescale_trajectories,
        confidence=confidence_file,
        show_static=show_static,
        **job,
        **{key: value for key, value in options.items() if value is not None},
    )
    if not quiet:
        rate = result.frame_rate
        shown = str(rate.numerator) if rate.denominator == 1 else f"{rate} ({float(rate):.3f})"
        notes = [f"{result.interpolated} interpolated"]
        if result.resumed_from:
            notes.append(f"{result.resumed_from} kept from the earlier run")
        if result.cuts:
            notes.append(f"{len(result.cuts)} scene cut{'s' if len(result.cuts) > 1 else ''}")
        if result.duplicates:
            notes.append(f"{len(result.duplicates)} repeated source frame{'s' if len(result.duplicates) > 1 else ''}")
        notes += _guidance_notes(result.guidance)
        if result.tile:
            notes.append(f"tiles of {result.tile} px")
        notes.append(f"audio {result.audio}")
        if protect_static != "off" or static_mask is not None:
            notes.append(f"{100 * result.protected:.1f}% of the frame kept still as static overlays")
        if fallback != "none" or result.confidence_file is not None:
            notes.append(result.confidence_note)
        summary = f"Wrote {result.num_frames} frames at {shown} fps to {result.output}"
        click.echo(f"{summary} ({'; '.join(notes)})", err=True)
