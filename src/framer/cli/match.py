"""The ``framer match`` command: find the autopilot's correspondences and write them as a trajectory file."""

from __future__ import annotations

from pathlib import Path

import click

from framer.cli.commands import cli
from framer.cli.options import (
    compute_options,
    debug_option,
    matcher_option,
    resize_option,
    strict_weights_option,
    strict_weights_options,
    weights_option,
)
from framer.trajectory.io import MAX_TRAJECTORIES

__all__ = ["match"]

_PREVIEW_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


def _check_suffixes(output: str, preview: str | None) -> None:
    """``-o`` is a JSON trajectory file and ``--preview`` an image: refuse other suffixes before any work."""
    if Path(output).suffix.lower() != ".json":
        raise click.UsageError(f"Output {output} must end in .json: framer match writes a JSON trajectory file.")
    if preview is not None and Path(preview).suffix.lower() not in _PREVIEW_SUFFIXES:
        raise click.UsageError(
            f"Preview {preview} must end in {', '.join(_PREVIEW_SUFFIXES)}: the preview is an image."
        )


@cli.command()
@click.argument("keyframe0", metavar="A")
@click.argument("keyframe1", metavar="B")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE.json",
    help="Trajectory file to write (docs/trajectory-format.md); edit it and pass it back with --trajectories.",
)
@click.option(
    "--count",
    type=click.IntRange(1, MAX_TRAJECTORIES),
    default=32,
    show_default=True,
    metavar="N",
    help=f"Trajectories to write (at most {MAX_TRAJECTORIES}, what tween and video accept).",
)
@click.option(
    "--ratio",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.75,
    show_default=True,
    metavar="R",
    help="Lowe's ratio test limit for SIFT matches (lower keeps fewer, more distinctive ones).",
)
@matcher_option
@click.option(
    "--refine/--no-refine",
    default=True,
    show_default=True,
    help="Refine the matches with the flow network (forward-backward consistent flow on the pre-aligned pair).",
)
@click.option("--preview", default=None, metavar="FILE.png", help="Also draw the trajectories on A and B.")
@resize_option("Scale the keyframes to A's size, or to WxH (points are written in that size).")
@click.option("--model", default=None, metavar="NAME", help="Flow model used to refine (see `framer models`).")
@weights_option()
@strict_weights_option
@compute_options
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@debug_option
def match(keyframe0, keyframe1, output, count, ratio, matcher, refine, preview, resize, model, weights, device,
          threads, overwrite, quiet, debug, strict_weights) -> None:  # fmt: skip
    """Find correspondences between keyframes A and B the way --autopilot does, and write them as trajectories.

    Each trajectory is named after its match ("match 03") and carries the match's confidence, from 0 to 1, in
    its "confidence" key (docs/trajectory-format.md). The message says whether autopilot would pre-align with
    them or interpolate plainly, and why.

    \b
    Examples:
      framer match a.png b.png -o matches.json --preview matches.png
      framer tween a.png b.png -n 7 --autopilot --trajectories matches.json -o out.mp4
    """
    _check_suffixes(output, preview)  # usage errors first: they need no PyTorch
    from framer.api import create_engine, load_keyframes
    from framer.errors import OutputExistsError
    from framer.guidance import autopilot_alignment
    from framer.matching import AutopilotConfig, plan_autopilot
    from framer.trajectory import save_trajectories

    targets = [Path(output)] + ([Path(preview)] if preview else [])
    for target in targets:
        if target.exists() and not overwrite:
            raise OutputExistsError(f"Output {target} already exists; pass --overwrite to replace it.")
        if target.resolve() in (Path(keyframe0).resolve(), Path(keyframe1).resolve()):
            raise click.UsageError(f"Output {target} would overwrite an input keyframe; choose another output.")
    image0, image1 = load_keyframes([keyframe0, keyframe1], resize=resize)
    config = AutopilotConfig(count=count, ratio=ratio, refine=refine, matcher=matcher)
    plan = plan_autopilot(image0, image1, config)
    alignment = None
    if plan.align:
        engine = None
        if refine:
            options = {"model": model, "weights": weights, "device": device, "threads": threads}
            options.update(strict_weights_options("flow", strict_weights))
            engine = create_engine("flow", **{key: value for key, value in options.items() if value is not None})
        plan, alignment = autopilot_alignment(engine, image0, image1, config, plan=plan)
    found = plan.correspondences
    trajectories = found.trajectories(alignment)
    height, width = image0.shape[:2]
    save_trajectories(output, trajectories, width, height)
    if preview:
        _write_preview(Path(preview), image0, image1, trajectories)
    if not quiet:
        click.echo(
            f"Wrote {len(trajectories)} trajectories to {output} ({found.verified} verified matches of "
            f"{found.candidates} candidates); {plan.reason}.",
            err=True,
        )


def _write_preview(path: Path, image0, image1, trajectories) -> None:
    """A and B side by side, 8-bit RGB(A), with the trajectories drawn on both (A's points at t=0, B's at t=1)."""
    import numpy as np
    from PIL import Image

    from framer.trajectory import draw_trajectories

    panels = [draw_trajectories(image, trajectories, t) for image, t in ((image0, 0.0), (image1, 1.0))]
    strip = np.concatenate(panels, axis=1)
    if strip.dtype == np.uint16:
        strip = ((strip.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if path.suffix.lower() in (".jpg", ".jpeg") and strip.ndim == 3 and strip.shape[2] == 4:
        strip = strip[:, :, :3]  # JPEG has no alpha
    Image.fromarray(strip).save(path)
