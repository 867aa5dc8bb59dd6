"""Run an evaluation: every method on the same samples, every frame scored with every metric."""

from __future__ import annotations

import datetime
import logging
import os
import time
from collections.abc import Sequence

import numpy as np
import torch

from framer.device import resolve_device
from framer.errors import InputError
from framer.evaluation.methods import Method, ScoredRun, build_methods
from framer.evaluation.protocols import Sample, find_samples, load_sample
from framer.evaluation.results import GROUND_TRUTH, EvaluationResult, FrameScores, SampleResult, WorstCase, environment
from framer.evaluation.scoring import (
    DEFAULT_METRICS,
    METRICS,
    FeatureSet,
    frames_to_batch,
    parse_metrics,
    score_frames,
)
from framer.progress import track

__all__ = ["evaluate"]

logger = logging.getLogger(__name__)


class _WorstCases:
    """The ``limit`` worst frames by one method's metric, with the images needed to show them."""

    def __init__(self, method: str, metric: str, limit: int) -> None:
        self.method, self.metric, self.limit = method, metric, limit
        self.sign = -1.0 if METRICS[metric].higher_is_better else 1.0  # larger key = worse
        self.cases: list[WorstCase] = []

    def offer(self, sample: str, frame: FrameScores, images: dict[str, np.ndarray]) -> None:
        value = frame.scores[self.method][self.metric]
        if len(self.cases) == self.limit and self.sign * value <= self.sign * self.cases[-1].value:
            return
        copies = {key: image.copy() for key, image in images.items()}
        self.cases.append(WorstCase(sample, frame.t, value, frame.scores, copies))
        self.cases.sort(key=lambda case: self.sign * case.value, reverse=True)
        del self.cases[self.limit :]


def _check_arguments(metrics: list[str], samples: list[Sample], worst: int) -> None:
    frames = sum(len(s.targets) for s in samples)
    if "fid" in metrics and frames < 2:
        raise InputError(
            f"FID compares sets of frames and needs at least 2 scored frames, but the data hold {frames}; leave fid "
            "out of the metrics."
        )
    if "fvd" in metrics and len(samples) < 2:
        raise InputError(
            f"FVD compares sets of clips (one per sample) and needs at least 2 samples, but the data hold "
            f"{len(samples)}; leave fvd out of the metrics or add samples."
        )
    if isinstance(worst, bool) or not isinstance(worst, int) or worst < 0:
        raise InputError(f"`worst` (frames in the worst-cases montage) must be an integer >= 0 but is {worst!r}.")


def _reference(methods: list[Method], metrics: list[str]) -> tuple[str, str] | None:
    """The method and metric that rank the worst cases: the first engine (else the first method), first per-frame
    metric."""
    frame_metrics = [m for m in metrics if METRICS[m].per_frame]
    if not frame_metrics:
        return None
    engines = [m for m in methods if m.kind == "engine"]
    return (engines or methods)[0].id, frame_metrics[0]


def _evaluate_sample(
    sample: Sample,
    methods: list[Method],
    metrics: list[str],
    crop: int | None,
    device: torch.device,
    feature_sets: dict[str, dict[str, FeatureSet]],
    worst: _WorstCases | None,
) -> SampleResult:
    # 1. Decode, then run every method on the same keyframes.
    (frame0, frame1), targets = load_sample(sample, crop)
    predictions: dict[str, list[np.ndarray]] = {}
    confidence: dict[str, list[float]] = {}
    seconds: dict[str, float] = {}
    for method in methods:
        start = time.perf_counter()
        output = method.run(frame0, frame1, sample.times)
        seconds[method.id] = time.perf_counter() - start
        if isinstance(output, ScoredRun):
            output, confidence[method.id] = output
        predictions[method.id] = output

    # 2. Score: per-frame metrics now, set metrics' features accumulated (FID: the in-betweens; FVD: one clip,
    # the keyframes around the in-betweens).
    target = frames_to_batch(targets, device)
    scores = {i: {m.id: {} for m in methods} for i in range(len(targets))}
    outputs = {GROUND_TRUTH: targets, **predictions}
    for key in [m.id for m in methods] + [GROUND_TRUTH]:
        frames = target if key == GROUND_TRUTH else frames_to_batch(predictions[key], device)
        for metric in metrics:
            if METRICS[metric].per_frame and key != GROUND_TRUTH:
                for i, value in enumerate(score_frames(metric, frames, target)):
                    scores[i][key][metric] = value
        if "fid" in feature_sets:
            feature_sets["fid"][key].add(frames)
        if "fvd" in feature_sets:
            feature_sets["fvd"][key].add(frames_to_batch([frame0, *outputs[key], frame1], device))

    # 3. Collect, and keep the frame for the montage if it is among the worst.
    frames = []
    for i, (t, path) in enumerate(zip(sample.times, sample.targets, strict=True)):
        trust = {method: values[i] for method, values in confidence.items()}
        frame = FrameScores(t=t, target=str(path), scores=scores[i], confidence=trust)
        frames.append(frame)
        if worst is not None:
            images = {GROUND_TRUTH: targets[i], **{m.id: predictions[m.id][i] for m in methods}}
            worst.offer(sample.name, frame, images)
    keyframes = (str(sample.keyframes[0]), str(sample.keyframes[1]))
    return SampleResult(sample.name, keyframes, sample.size, frames, seconds)


def evaluate(
    data_dirs: Sequence[str | os.PathLike] | str | os.PathLike,
    protocol: str = "triplet",
    k: int | None = None,
    crop: int | None = None,
    engines: Sequence[str | object] = ("flow",),
    autopilot: bool = False,
    baselines: bool = True,
    metrics: str | Sequence[str] = DEFAULT_METRICS,
    device: str | None = "cpu",
    threads: int | None = None,
    weights: str | os.PathLike | None = None,
    worst: int = 4,
    progress: bool = False,
) -> EvaluationResult:
    """Evaluate engines against ground truth, with the linear-blend and nearest-keyframe baselines on the same samples.

    >>> from framer.evaluation import evaluate, write_report
    >>> result = evaluate("vimeo_triplet/", protocol="triplet", metrics="psnr,ssim")  # doctest: +SKIP
    >>> result.means()["flow"]["psnr"], result.means()["linear"]["psnr"]              # doctest: +SKIP
    >>> write_report(result, "report/")                                               # doctest: +SKIP

    Args:
        data_dirs: one or more folders of frames or of sample folders (see :mod:`framer.evaluation.protocols`).
        protocol: ``triplet``, ``seven-frame`` or ``sequence``.
        k: for ``sequence``: every k-th frame goes in, the frames between are scored.
        crop: centre-crop every frame to ``crop x crop`` before interpolating (256 as for DAVIS-7).
        engines: engine specs (``flow``, ``flow:MODEL``) or engines from :func:`framer.create_engine` (reused).
        autopilot: also run each engine with ``autopilot=True`` (an error where the API has no autopilot).
        baselines: include the linear-blend and nearest-keyframe baselines.
        metrics: names or ``"psnr,ssim,..."`` from :data:`framer.evaluation.scoring.METRICS` (``fid`` and ``fvd``
            are set metrics, see :mod:`framer.evaluation.scoring`).
        device: where engines (given by name) and metrics compute.
        threads: CPU threads for engines given by name.
        weights: a local weight file for engines given by name.
        worst: how many of the worst frames to keep for the montage.
        progress: show a progress bar on stderr.

    Returns:
        The scores, summaries and records; :func:`framer.evaluation.write_report` writes them out.
    """
    # 1. Check the arguments and find the samples before any model is loaded.
    dirs = [data_dirs] if isinstance(data_dirs, (str, os.PathLike)) else list(data_dirs)
    metric_names = parse_metrics(metrics)
    samples = find_samples(dirs, protocol, k=k, crop=crop)
    _check_arguments(metric_names, samples, worst)
    metric_device = resolve_device(device)

    # 2. The methods, each engine loaded once.
    methods = build_methods(
        engines, autopilot=autopilot, baselines=baselines, device=device, threads=threads, weights=weights
    )
    num_frames = sum(len(s.targets) for s in samples)
    logger.info(
        "Evaluating %d sample(s), %d frame(s), with %s.", len(samples), num_frames, ", ".join(m.id for m in methods)
    )

    # 3. Every sample with every method.
    reference = _reference(methods, metric_names)
    tracker = _WorstCases(*reference, worst) if reference and worst else None
    feature_sets = {
        name: {key: FeatureSet(name) for key in [GROUND_TRUTH, *(m.id for m in methods)]}
        for name in metric_names
        if not METRICS[name].per_frame
    }
    results = [
        _evaluate_sample(sample, methods, metric_names, crop, metric_device, feature_sets, tracker)
        for sample in track(samples, desc="Evaluating", unit="sample", enabled=progress)
    ]

    # 4. Set metrics over all frames (FID) or clips (FVD) of each method.
    set_scores = {
        m.id: {name: sets[m.id].distance(sets[GROUND_TRUTH]) for name, sets in feature_sets.items()} for m in methods
    }
    devices = sorted({m.settings.get("device", "cpu") for m in methods} | {str(metric_device)})
    return EvaluationResult(
        protocol={"name": protocol, "k": k, "crop": crop},
        data_dirs=[str(d) for d in dirs],
        methods=[{"id": m.id, "label": m.label, "kind": m.kind, **m.settings} for m in methods],
        metrics=metric_names,
        samples=results,
        set_scores=set_scores,
        environment={**environment(devices), "metric_device": str(metric_device)},
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        worst=tracker.cases if tracker else [],
        ranked_by=reference if tracker else None,
    )
