"""Evaluation harness: engines and baselines on the same ground-truth samples, scored, reported and plotted.

>>> from framer.evaluation import evaluate, write_report
>>> result = evaluate(["vimeo_triplet/"], protocol="triplet", engines=["flow"], metrics="psnr,ssim")  # doctest: +SKIP
>>> write_report(result, "report/")  # results.json, report.md, PNG plots  # doctest: +SKIP

``framer eval`` and ``framer bench`` are thin layers over :func:`evaluate`, :func:`write_report` and
:func:`run_bench`. See ``docs/evaluation.md``.
"""

from framer.evaluation.bench import BenchRow, format_bench_table, run_bench
from framer.evaluation.methods import autopilot_available, linear_blend, nearest_keyframe
from framer.evaluation.protocols import PROTOCOLS, Sample, find_samples, load_sample
from framer.evaluation.report import check_report_output, render_markdown, write_report
from framer.evaluation.results import EvaluationResult, FrameScores, SampleResult
from framer.evaluation.runner import evaluate
from framer.evaluation.scoring import DEFAULT_METRICS, METRICS, parse_metrics

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "PROTOCOLS",
    "BenchRow",
    "EvaluationResult",
    "FrameScores",
    "Sample",
    "SampleResult",
    "autopilot_available",
    "check_report_output",
    "evaluate",
    "find_samples",
    "format_bench_table",
    "linear_blend",
    "load_sample",
    "nearest_keyframe",
    "parse_metrics",
    "render_markdown",
    "run_bench",
    "write_report",
]
