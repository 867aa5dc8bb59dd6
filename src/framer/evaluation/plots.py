"""PNG plots of an evaluation (matplotlib, Agg, no global pyplot state): quality per t, per-sample distributions,
worst cases side by side.

Figures have fixed pixel sizes (``*_size`` functions below) at :data:`DPI`, so reports look the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from framer.errors import MissingExtraError
from framer.evaluation.results import GROUND_TRUTH, EvaluationResult
from framer.evaluation.scoring import METRICS

__all__ = [
    "DPI",
    "confidence_size",
    "distribution_size",
    "montage_size",
    "per_t_size",
    "plot_confidence",
    "plot_distributions",
    "plot_per_t",
    "plot_worst_cases",
]

DPI = 100
PANEL_PX = (450, 340)  # one metric's panel in the per-t plot (width, height)
BOX_PX = (160, 70, 380)  # distribution panel: fixed width, width per method, height
CELL_PX = 256  # montage cell width; the image keeps its aspect ratio
CELL_LABEL_PX = 34  # two lines of text above each montage image
HEADER_PX = 36  # montage title
CONFIDENCE_PX = (420, 340)  # one method's panel in the confidence plot


def _figure(width_px: int, height_px: int, layout: str | None = "constrained"):
    try:
        from matplotlib.figure import Figure
    except ImportError as ex:
        raise MissingExtraError("Evaluation plots need matplotlib; install it with `pip install matplotlib`.") from ex
    return Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout=layout)


def _save(figure, path: Path) -> Path:
    figure.savefig(path, dpi=DPI, format="png")
    return path


def _colours(count: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab10"]
    return [palette(i % 10) for i in range(count)]


def _direction(metric: str) -> str:
    return "higher is better" if METRICS[metric].higher_is_better else "lower is better"


def per_t_size(num_metrics: int) -> tuple[int, int]:
    """Pixel size of the per-t plot: one panel per per-frame metric, side by side."""
    return PANEL_PX[0] * max(1, num_metrics), PANEL_PX[1]


def plot_per_t(result: EvaluationResult, path: str | os.PathLike) -> Path:
    """Line plot of each per-frame metric's mean against t, one line per method."""
    metrics = result.frame_metrics
    figure = _figure(*per_t_size(len(metrics)))
    axes = np.atleast_1d(figure.subplots(1, max(1, len(metrics)), squeeze=False)[0])
    rows = result.per_t()
    times = [row["t"] for row in rows]
    for ax, metric in zip(axes, metrics, strict=False):
        for colour, method in zip(_colours(len(result.methods)), result.methods, strict=True):
            values = [row["means"][method["id"]][metric] for row in rows]
            ax.plot(times, values, marker="o", color=colour, label=method["label"])
        ax.set_xlabel("t (position between the keyframes)")
        ax.set_ylabel(METRICS[metric].label)
        ax.set_title(f"{METRICS[metric].label} per t ({_direction(metric)})", fontsize=9)
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return _save(figure, Path(path))


def confidence_size(num_methods: int) -> tuple[int, int]:
    """Pixel size of the confidence plot: one panel per method that gives confidences, side by side."""
    return CONFIDENCE_PX[0] * max(1, num_methods), CONFIDENCE_PX[1]


def plot_confidence(result: EvaluationResult, path: str | os.PathLike, metric: str = "psnr") -> Path:
    """Scatter of each frame's confidence (x) against its true ``metric`` (y), one panel per method that gives
    confidences, titled with their Spearman rank correlation."""
    correlation = result.confidence_correlation(metric)
    methods = [m for m in result.methods if m["id"] in correlation]
    figure = _figure(*confidence_size(len(methods)))
    axes = figure.subplots(1, max(1, len(methods)), squeeze=False)[0]
    for ax, method, colour in zip(axes, methods, _colours(len(methods)), strict=False):
        confidence, scores = result.confidence_pairs(method["id"], metric)
        ax.scatter(confidence, scores, s=12, color=colour, alpha=0.7)
        ax.set_xlabel("confidence (the engine's own signals)")
        ax.set_ylabel(f"{METRICS[metric].label} against the ground truth")
        ax.set_title(f"{method['label']}: Spearman {correlation[method['id']]:.2f}", fontsize=9)
        ax.set_xlim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    return _save(figure, Path(path))


def distribution_size(num_metrics: int, num_methods: int) -> tuple[int, int]:
    """Pixel size of the distribution plot: one panel per per-frame metric, side by side."""
    fixed, per_method, height = BOX_PX
    return (fixed + per_method * num_methods) * max(1, num_metrics), height


def plot_distributions(result: EvaluationResult, path: str | os.PathLike) -> Path:
    """Box plot of per-sample means (each sample's frames averaged), with every sample drawn as a point."""
    metrics = result.frame_metrics
    methods = result.methods
    figure = _figure(*distribution_size(len(metrics), len(methods)))
    axes = figure.subplots(1, max(1, len(metrics)), squeeze=False)[0]
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=len(result.samples))
    positions = np.arange(1, len(methods) + 1)
    for ax, metric in zip(axes, metrics, strict=False):
        data = [[s.mean(m["id"], metric) for s in result.samples] for m in methods]
        finite = [[v for v in values if np.isfinite(v)] or [np.nan] for values in data]
        ax.boxplot(finite, positions=positions, widths=0.5, showfliers=False)
        for position, values, colour in zip(positions, data, _colours(len(methods)), strict=True):
            ax.scatter(position + jitter, values, s=10, color=colour, alpha=0.7, zorder=3)
        ax.set_xticks(positions, [m["label"] for m in methods], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(METRICS[metric].label)
        ax.set_title(f"{METRICS[metric].label} per sample ({_direction(metric)})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    return _save(figure, Path(path))


def montage_size(aspects: Sequence[float], num_columns: int) -> tuple[int, int]:
    """Pixel size of the worst-cases montage: rows of images of height/width ``aspects``, ``num_columns`` wide."""
    rows = sum(CELL_LABEL_PX + round(CELL_PX * aspect) for aspect in aspects)
    return CELL_PX * num_columns, HEADER_PX + rows


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]


def plot_worst_cases(result: EvaluationResult, path: str | os.PathLike) -> Path | None:
    """Montage of the worst frames (rows) with the ground truth and each method side by side (columns).

    Returns None, writing nothing, when the result holds no worst cases (no per-frame metric, or ``worst=0``).
    """
    if not result.worst:
        return None
    method, metric = result.ranked_by
    columns = [GROUND_TRUTH, *result.method_ids]
    labels = {GROUND_TRUTH: GROUND_TRUTH, **{m["id"]: m["label"] for m in result.methods}}
    aspects = [case.images[GROUND_TRUTH].shape[0] / case.images[GROUND_TRUTH].shape[1] for case in result.worst]
    width, height = montage_size(aspects, len(columns))
    figure = _figure(width, height, layout=None)
    label = METRICS[metric].label
    figure.text(
        0.5,
        1 - HEADER_PX / 2 / height,
        f"Worst {len(result.worst)} frames by {label} of {labels[method]}",
        ha="center",
        va="center",
        fontsize=10,
    )
    top = HEADER_PX
    for case, aspect in zip(result.worst, aspects, strict=True):
        image_px = round(CELL_PX * aspect)
        for index, key in enumerate(columns):
            ax = figure.add_axes(
                (
                    index * CELL_PX / width,
                    1 - (top + CELL_LABEL_PX + image_px) / height,
                    CELL_PX / width,
                    image_px / height,
                )
            )
            ax.imshow(case.images[key], interpolation="nearest", aspect="auto")
            ax.set_axis_off()
            if key == GROUND_TRUTH:
                caption = f"{GROUND_TRUTH}\n{_short(case.sample)}, t={case.t:.3f}"
            else:
                value = case.scores[key][metric]
                caption = f"{_short(labels[key], 30)}\n{label} {value:.{METRICS[metric].digits}f}"
            figure.text(
                (index + 0.5) * CELL_PX / width,
                1 - (top + CELL_LABEL_PX / 2) / height,
                caption,
                ha="center",
                va="center",
                fontsize=7,
            )
        top += CELL_LABEL_PX + image_px
    return _save(figure, Path(path))
