"""``framer eval`` with an engine: each frame's confidence in results.json, its Spearman correlation with PSNR in the
summary and report.md, and the confidence-against-PSNR scatter plot."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from framer.evaluation import evaluate, write_report
from framer.evaluation.plots import CONFIDENCE_PX
from framer.evaluation.results import spearman
from helpers.evaluation import triplet


@pytest.fixture(scope="module")
def report(tmp_path_factory, tiny_flow_engine):
    base = tmp_path_factory.mktemp("confidence")
    for seed in range(4):
        triplet(base / "tiny" / f"clip{seed}", seed=seed)
    result = evaluate(base / "tiny", protocol="triplet", engines=(tiny_flow_engine,), metrics="psnr", worst=0)
    return result, write_report(result, base / "out")


def test_engine_frames_carry_their_confidence_and_baselines_none(report, tiny_flow_engine):
    result, folder = report
    frames = [frame for sample in result.samples for frame in sample.frames]
    assert len(frames) == 4 and all(set(frame.confidence) == {"flow"} for frame in frames)
    assert all(0.0 <= frame.confidence["flow"] <= 1.0 for frame in frames)
    content = json.loads((folder / "results.json").read_text())
    saved = [frame["confidence"] for sample in content["samples"] for frame in sample["frames"]]
    assert saved == [frame.confidence for frame in frames]
    confidence, psnr = result.confidence_pairs("flow")
    expected = spearman(confidence, psnr)
    assert content["summary"]["confidence_spearman_psnr"] == pytest.approx({"flow": expected})


def test_report_shows_the_correlation_and_the_scatter_plot(report):
    result, folder = report
    text = (folder / "report.md").read_text()
    value = result.confidence_correlation()["flow"]
    assert "## Confidence against the true error" in text and f"| flow | {value:.2f} |" in text
    assert "](confidence.png)" in text
    with Image.open(folder / "confidence.png") as image:
        assert image.format == "PNG" and image.size == CONFIDENCE_PX  # one panel: the one engine


def test_spearman_matches_the_rank_definition_with_ties():
    assert spearman([1, 2, 3, 4], [10, 30, 20, 40]) == pytest.approx(0.8)
    assert spearman([1, 2, 2, 3], [4, 3, 2, 1]) == pytest.approx(-0.9486833)  # tied ranks shared (scipy's value)
