"""Evaluation reports: results.json structure and values, report.md contents, PNG plots of the documented sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import framer
from framer.errors import InputError, OutputExistsError
from framer.evaluation import evaluate, write_report
from framer.evaluation.plots import CELL_LABEL_PX, CELL_PX, HEADER_PX
from helpers.evaluation import triplet


def _strict_json(path):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def _png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
    with Image.open(path) as image:
        image.load()
        return image.size


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    data = base / "tiny"
    for seed in range(3):
        triplet(data / f"clip{seed}", seed=seed)
    result = evaluate(data, protocol="triplet", engines=(), metrics="psnr,ssim", worst=2)
    folder = write_report(result, base / "out", command="framer eval --protocol triplet -o out tiny")
    return result, folder


def test_results_json(report):
    result, folder = report
    content = _strict_json(folder / "results.json")
    assert content["format"] == "framer-eval/1"
    assert content["command"] == "framer eval --protocol triplet -o out tiny"
    assert content["protocol"] == {"name": "triplet", "k": None, "crop": None}
    assert [m["id"] for m in content["methods"]] == ["linear", "nearest"]
    assert content["metrics"] == ["psnr", "ssim"]
    assert content["environment"]["software"]["framer"] == framer.__version__
    assert content["environment"]["software"]["torch"] == torch.__version__
    assert content["environment"]["software"]["numpy"] == np.__version__
    assert content["environment"]["machine"]["logical_cpus"] >= 1
    summary = content["summary"]
    assert summary["samples"] == 3 and summary["frames"] == 3
    assert summary["means"] == result.means()
    assert [row["t"] for row in summary["per_t"]] == [0.5]
    samples = content["samples"]
    assert [s["name"] for s in samples] == ["tiny/clip0", "tiny/clip1", "tiny/clip2"]
    frame = samples[1]["frames"][0]
    assert frame["t"] == 0.5 and frame["target"].endswith("clip1/im2.png")
    assert frame["scores"] == result.samples[1].frames[0].scores
    assert set(samples[0]["seconds"]) == {"linear", "nearest"}
    assert content["worst_cases"]["ranked_by"] == ["linear", "psnr"]
    assert len(content["worst_cases"]["cases"]) == 2


def test_markdown_names_version_settings_and_plots(report):
    result, folder = report
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert f"framer {framer.__version__}" in text and f"torch {torch.__version__}" in text
    assert "framer eval --protocol triplet -o out tiny" in text
    assert "| protocol | triplet: frames 1 and 3 in, frame 2 scored at t = 0.5 |" in text
    assert "| metrics | psnr, ssim (computed on cpu) |" in text
    assert "FVD is computed" not in text and "FID is computed" not in text  # notes only for requested set metrics
    means = result.means()
    assert f"| linear blend | **{means['linear']['psnr']:.2f}** |" in text  # the blend beats repetition here
    for name in ("per_t.png", "distributions.png", "worst_cases.png", "results.json"):
        assert f"]({name})" in text


def test_plots_are_pngs_of_the_documented_size(report):
    _, folder = report
    assert _png_size(folder / "per_t.png") == (2 * 450, 340)  # one 450x340 panel per metric
    assert _png_size(folder / "distributions.png") == (2 * (160 + 70 * 2), 380)  # per metric: 160 + 70 per method
    # Two worst cases of 64x48 frames, 3 columns (ground truth, linear, nearest) 256 pixels wide.
    row = CELL_LABEL_PX + round(CELL_PX * 48 / 64)
    assert _png_size(folder / "worst_cases.png") == (3 * CELL_PX, HEADER_PX + 2 * row)
    assert (3 * CELL_PX, HEADER_PX + 2 * row) == (768, 36 + 2 * (34 + 192))


def test_output_rules(report, tmp_path):
    result, folder = report
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        write_report(result, folder)
    (folder / "stale.txt").write_text("old")
    write_report(result, folder, overwrite=True)
    assert not (folder / "stale.txt").exists() and (folder / "report.md").is_file()
    inside = tmp_path / "data"
    triplet(inside)
    small = evaluate(inside, protocol="triplet", engines=(), metrics="psnr", worst=0)
    with pytest.raises(InputError, match="lies inside DATA_DIR"):
        write_report(small, inside / "report")
    written = write_report(small, tmp_path / "no_montage")
    assert not (written / "worst_cases.png").exists()
    assert "## Worst cases" not in (written / "report.md").read_text(encoding="utf-8")


def test_identical_frames_give_infinite_psnr_as_a_string(tmp_path):
    folder = tmp_path / "still"
    folder.mkdir()
    for name in ("im1.png", "im2.png", "im3.png"):
        Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(folder / name)
    result = evaluate(folder, protocol="triplet", engines=(), metrics="psnr")
    written = write_report(result, tmp_path / "out")
    content = _strict_json(written / "results.json")
    assert content["summary"]["means"]["linear"]["psnr"] == "inf"
    assert "| linear blend | **∞** |" in (written / "report.md").read_text(encoding="utf-8")
