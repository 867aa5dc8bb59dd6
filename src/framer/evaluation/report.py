"""Write an evaluation's report folder: ``results.json``, ``report.md`` and PNG plots, atomically.

The folder is written under a temporary sibling name and renamed into place, so a failed run leaves no
half-written report; an existing non-empty folder is replaced only with ``overwrite``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from framer.errors import InputError, OutputExistsError
from framer.evaluation.plots import plot_confidence, plot_distributions, plot_per_t, plot_worst_cases
from framer.evaluation.results import EvaluationResult
from framer.evaluation.scoring import METRICS
from framer.io.atomic import move_into_place

__all__ = ["PLOTS", "check_report_output", "render_markdown", "write_report"]

PLOTS = {
    "per_t": "per_t.png",
    "distributions": "distributions.png",
    "worst_cases": "worst_cases.png",
    "confidence": "confidence.png",
}
MAX_SAMPLE_ROWS = 200

_PROTOCOL_TEXT = {
    "triplet": "frames 1 and 3 in, frame 2 scored at t = 0.5",
    "seven-frame": "frames 0 and 6 in, frames 1..5 scored at t = 1/6..5/6",
    "sequence": "every {k}-th frame in, the frames between scored at t = j/{k}",
}


def check_report_output(
    output: str | os.PathLike, overwrite: bool = False, data_dirs: Sequence[str | os.PathLike] = ()
) -> Path:
    """Check the report folder may be written before any work is done; returns it as a Path.

    Raises:
        OutputExistsError: it is a non-empty folder and ``overwrite`` is False.
        InputError: it is a file, or it lies inside a DATA_DIR (its plots would be read as frames next time).
    """
    path = Path(output)
    if path.exists() and not path.is_dir():
        raise InputError(f"Output {path} is a file, but a report folder was asked for; give a folder.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise OutputExistsError(f"Output {path} already exists and is not empty; pass --overwrite to replace it.")
    resolved = path.resolve()
    for data_dir in map(Path, data_dirs):
        if resolved == data_dir.resolve() or data_dir.resolve() in resolved.parents:
            raise InputError(f"Output {path} lies inside DATA_DIR {data_dir}; write the report somewhere else.")
    return path


def _number(value: float, metric: str | None = None, digits: int | None = None) -> str:
    if value != value:  # NaN
        return "n/a"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits if digits is not None else METRICS[metric].digits}f}"


def _best(values: dict[str, float], metric: str) -> set[str]:
    finite = {key: v for key, v in values.items() if v == v}
    if not finite:
        return set()
    pick = max if METRICS[metric].higher_is_better else min
    best = pick(finite.values())
    return {key for key, v in finite.items() if v == best}


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _arrow(metric: str) -> str:
    return "↑" if METRICS[metric].higher_is_better else "↓"


def _settings_section(result: EvaluationResult) -> list[str]:
    protocol = result.protocol
    software = result.environment["software"]
    machine = result.environment["machine"]
    described = _PROTOCOL_TEXT[protocol["name"]].format(k=protocol["k"])
    methods = []
    for method in result.methods:
        if method["kind"] == "baseline":
            methods.append(f"`{method['id']}` ({method['label']}, baseline)")
        else:
            details = f"engine {method['engine']}, model {method['model']}, {method['device']}"
            methods.append(f"`{method['id']}` ({details}, autopilot {'on' if method['autopilot'] else 'off'})")
    rows = [
        ["protocol", f"{protocol['name']}: {described}"],
        ["centre crop", f"{protocol['crop']}x{protocol['crop']}" if protocol["crop"] else "none"],
        ["data", ", ".join(f"`{d}`" for d in result.data_dirs)],
        ["samples / scored frames", f"{len(result.samples)} / {result.num_frames}"],
        ["metrics", ", ".join(result.metrics) + f" (computed on {result.environment['metric_device']})"],
        ["frames", "read, fed to every method and scored as 8-bit RGB"],
        ["methods", "; ".join(methods)],
        ["software", ", ".join(f"{name} {version}" for name, version in software.items())],
        ["machine", f"{machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine['os']}"],
        ["PyTorch threads", str(machine["torch_threads"])],
        ["created", result.created],
    ]
    if "gpus" in machine:
        rows.insert(-2, ["GPUs", ", ".join(f"{d}: {name}" for d, name in machine["gpus"].items())])
    lines = [f"# framer evaluation: {protocol['name']} protocol", ""]
    if result.command:
        lines += ["Made with:", "", "```bash", result.command, "```", ""]
    return [*lines, "## Settings", "", *_table(["setting", "value"], rows), ""]


def _means_section(result: EvaluationResult) -> list[str]:
    means = result.means()
    seconds = result.seconds_per_frame()
    best = {metric: _best({m: means[m][metric] for m in result.method_ids}, metric) for metric in result.metrics}
    header = ["method", *(f"{METRICS[m].label} {_arrow(m)}" for m in result.metrics), "seconds / frame"]
    rows = []
    for method in result.methods:
        cells = [method["label"]]
        for metric in result.metrics:
            text = _number(means[method["id"]][metric], metric)
            cells.append(f"**{text}**" if method["id"] in best[metric] and len(result.methods) > 1 else text)
        cells.append(_number(seconds[method["id"]], digits=4))
        rows.append(cells)
    lines = [f"## Results: mean over {result.num_frames} scored frame(s)", "", *_table(header, rows), ""]
    notes = [
        "Best per column in bold. Seconds per frame are wall-clock time on this machine, the first call's warm-up "
        "included."
    ]
    if "fid" in result.metrics:
        notes.append(
            f"FID is computed over all {result.num_frames} frames of a method at once; it depends on the number of "
            "frames, so compare it only with FID over the same frames."
        )
    if "fvd" in result.metrics:
        notes.append(
            f"FVD is computed over {len(result.samples)} clips per method, one per sample (its keyframes with the "
            "in-betweens between them, each frame repeated to reach the I3D's 9 frames); it depends on the number "
            "of clips and is noisy for few, so compare it only with FVD over the same samples."
        )
    return [*lines, *(f"- {note}" for note in notes), ""]


def _per_t_section(result: EvaluationResult) -> list[str]:
    rows_by_t = result.per_t()
    lines = ["## Quality per t", "", f"![quality per t]({PLOTS['per_t']})", ""]
    for metric in result.frame_metrics:
        header = ["t", "frames", *(m["label"] for m in result.methods)]
        rows = []
        for row in rows_by_t:
            values = {m: row["means"][m][metric] for m in result.method_ids}
            best = _best(values, metric)
            cells = [f"{row['t']:.4f}", str(row["frames"])]
            for method in result.method_ids:
                text = _number(values[method], metric)
                cells.append(f"**{text}**" if method in best and len(values) > 1 else text)
            rows.append(cells)
        lines += [f"{METRICS[metric].label} {_arrow(metric)}:", "", *_table(header, rows), ""]
    return lines


def _samples_section(result: EvaluationResult) -> list[str]:
    if not result.frame_metrics:
        return []
    metric = result.frame_metrics[0]
    shown = result.samples[:MAX_SAMPLE_ROWS]
    header = ["sample", "frames", *(m["label"] for m in result.methods)]
    rows = [
        [f"`{s.name}`", str(len(s.frames)), *(_number(s.mean(m, metric), metric) for m in result.method_ids)]
        for s in shown
    ]
    lines = [
        "## Per sample",
        "",
        f"![per-sample distributions]({PLOTS['distributions']})",
        "",
        f"{METRICS[metric].label} {_arrow(metric)}, mean over each sample's frames:",
        "",
        *_table(header, rows),
        "",
    ]
    if len(result.samples) > len(shown):
        lines += [f"The first {len(shown)} of {len(result.samples)} samples; `results.json` holds all.", ""]
    return lines


def _confidence_section(result: EvaluationResult) -> list[str]:
    correlation = result.confidence_correlation()
    if not correlation:
        return []
    labels = {m["id"]: m["label"] for m in result.methods}
    rows = [[labels[method], f"{value:.2f}"] for method, value in correlation.items()]
    return [
        "## Confidence against the true error",
        "",
        "Each engine frame's confidence (from the engine's own signals, see `framer.engines.Engine.iter_scored`) "
        "against its PSNR; the Spearman rank correlation says how well the confidence orders the frames by quality "
        "(1: perfectly).",
        "",
        *_table(["method", "Spearman (confidence, PSNR)"], rows),
        "",
        f"![confidence against PSNR]({PLOTS['confidence']})",
        "",
    ]


def _worst_section(result: EvaluationResult) -> list[str]:
    if not result.worst:
        return []
    method, metric = result.ranked_by
    label = next(m["label"] for m in result.methods if m["id"] == method)
    return [
        "## Worst cases",
        "",
        f"The {len(result.worst)} frames where {label} scores worst by {METRICS[metric].label}, ground truth first:",
        "",
        f"![worst cases]({PLOTS['worst_cases']})",
        "",
    ]


def render_markdown(result: EvaluationResult) -> str:
    """The ``report.md`` text: settings and versions, the comparison table, per-t and per-sample tables, plots."""
    lines = [
        *_settings_section(result),
        *_means_section(result),
        *_per_t_section(result),
        *_samples_section(result),
        *_confidence_section(result),
        *_worst_section(result),
        "Scores of every frame, method and metric are in [results.json](results.json).",
        "",
    ]
    return "\n".join(lines)


def _write_files(result: EvaluationResult, folder: Path) -> None:
    result.save_json(folder / "results.json")
    if result.frame_metrics:
        plot_per_t(result, folder / PLOTS["per_t"])
        plot_distributions(result, folder / PLOTS["distributions"])
    plot_worst_cases(result, folder / PLOTS["worst_cases"])
    if result.confidence_correlation():
        plot_confidence(result, folder / PLOTS["confidence"])
    (folder / "report.md").write_text(render_markdown(result), encoding="utf-8")


def write_report(
    result: EvaluationResult, output: str | os.PathLike, overwrite: bool = False, command: str | None = None
) -> Path:
    """Write ``results.json``, ``report.md`` and the plots into the folder ``output``; returns its path.

    Args:
        result: what :func:`framer.evaluation.evaluate` returned.
        output: the report folder (created; an existing non-empty one only replaced with ``overwrite``).
        overwrite: replace an existing report folder.
        command: the command line that made the result, recorded in the report (else ``result.command``).
    """
    path = check_report_output(output, overwrite, result.data_dirs)
    if command is not None:
        result = dataclasses.replace(result, command=command)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        _write_files(result, temp)
        move_into_place(temp, path)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)
    return path
