"""The ``framer batch`` command: many videos (or one long one in parts) on worker processes or a Ray cluster."""

from __future__ import annotations

import os

import click

from framer.cli.commands import cli
from framer.cli.options import debug_option, engine_options, flow_options, say_starting, strict_weights_options
from framer.cli.video import cartoon_option, video_job_arguments, video_job_options

__all__ = ["batch"]

_FORMATS = {"mp4": ".mp4", "mkv": ".mkv", "mov": ".mov", "png": ""}


@cli.command()
@click.argument("inputs", nargs=-1, metavar="INPUTS...")
@click.option(
    "-o",
    "--output",
    "output_dir",
    required=True,
    metavar="OUT_DIR",
    help="Folder (or fsspec URL, s3://...) for the outputs, each named after its input (a.mp4 -> OUT_DIR/a.mp4).",
)
@click.option(
    "--list",
    "list_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A file naming inputs, one a line (as @FILE); relative paths are relative to its folder.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(_FORMATS)),
    default="mp4",
    show_default=True,
    help="Output container; png: a folder of PNG frames per input.",
)
@video_job_options
@cartoon_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes [default: the CPU count]; with --ray and no address, the CPUs of the local cluster.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run on Ray (extra framer-vfi[ray]): a cluster's address (auto, HOST:6379, ray://HOST:10001), or alone "
    "(or 'local') a local cluster. Put it after the inputs, or write --ray=ADDRESS.",
)
@click.option(
    "--parts",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Split each video into N parts run in parallel [default: one, or enough to keep every worker busy when "
    "there are fewer inputs than workers].",
)
@click.option(
    "--engine-factory",
    default=None,
    hidden=True,
    metavar="MODULE:FUNCTION",
    help="Make each worker's engine with this function (a custom engine importable on every worker).",
)
@click.option(
    "--work-dir",
    default=None,
    metavar="PATH",
    help="With OUT_DIR a URL (s3://...): where outputs are made before upload; on a cluster, a path every node sees "
    "[default: in the temporary folder].",
)
@click.option("--report", default=None, metavar="PATH", help="The JSON report [default: OUT_DIR/batch-report.json].")
@engine_options
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist (without it they are skipped).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages (failures are still listed).")
@debug_option
def batch(inputs, output_dir, list_files, fmt, cartoon, workers, ray_address, parts, engine_factory, work_dir, report,
          engine, model, weights, device, threads, flow_scale_value, strict_weights, resume, overwrite, quiet, debug,
          **video) -> None:  # fmt: skip
    """Convert many videos (files, folders, globs, @LIST files, fsspec URLs) with framer video's options, in parallel.

    Each input is written to OUT_DIR under its own name; one that fails is reported and the others go on. A long
    video is split into parts made in parallel and joined into exactly what framer video makes (frames, timestamps,
    audio). Stopped batches resume when run again: finished segments are kept (--restart discards them). A JSON
    report lists each input's status, time and error; the exit code is 1 if any input failed.

    \b
    Examples:
      framer batch clips/ --multi 2 -o out/ --workers 2
      framer batch "shots/**/*.mov" --fps 60 -o out/ --format mov
      framer batch film.mp4 --multi 2 -o out/ --parts 16 --ray=auto
      framer batch @todo.txt --slowmo 4 -o slow/ --ray
    """
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)
    items = list(inputs) + [f"@{path}" for path in list_files]
    if not items:
        raise click.UsageError("Give the inputs: video files, folders, globs, @LIST or --list FILE.")
    job = video_job_arguments(**video)
    job["dedupe"] = cartoon if job["dedupe"] is None else job["dedupe"]  # held drawings leave a cartoon's timeline
    options = {key: value for key, value in (("model", model), ("weights", weights), ("device", device)) if value}
    options.update(flow_options(engine, flow_scale_value))
    options.update(strict_weights_options(engine, strict_weights))
    say_starting(quiet)
    from framer.batch import run_batch

    result = run_batch(
        items,
        output_dir,
        video={**job, "overwrite": overwrite},
        engine=_engine_spec(engine, options, engine_factory, cartoon),
        workers=workers or os.cpu_count() or 1,
        ray=ray_address,
        parts=parts,
        suffix=_FORMATS[fmt],
        restart=not resume,
        report=report,
        progress=not quiet,
        threads=threads,
        work_dir=work_dir,
    )
    for record in result.inputs:
        if record.status == "failed":
            click.echo(f"framer: {record.input} failed: {record.error}", err=True)
    if not quiet:
        click.echo(f"framer batch: {result.summary()}", err=True)
    if not result.ok:
        raise click.exceptions.Exit(1)


def _engine_spec(engine: str, options: dict, factory: str | None, cartoon: bool):
    """How each worker makes its engine; ``--cartoon``: wrapped as ``framer video --cartoon`` wraps it (framer
    cartoon's engine: drawings matched, the line choice on line art), a named engine or a custom one alike."""
    from framer.batch import EngineSpec

    wrapper = "framer.applications.cartoon:cartoon_engine" if cartoon else None
    if factory:
        return EngineSpec(factory=factory, wrapper=wrapper)
    return EngineSpec(engine, options, wrapper=wrapper)
