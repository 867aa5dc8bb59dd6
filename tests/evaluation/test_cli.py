"""``framer eval`` and ``framer bench`` through the command's entry point: reports, tables, one-sentence errors."""

from __future__ import annotations

import json

import pytest

from framer.cli.main import main
from framer.evaluation import methods as methods_module
from helpers.evaluation import triplet

ERROR_PREFIX = "framer: error: "


def _one_error_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), stderr
    sentence = lines[0].removeprefix(ERROR_PREFIX)
    assert sentence.endswith("."), sentence
    return sentence


@pytest.fixture(autouse=True)
def _restore_process_settings():
    """--quiet lowers framer's logger and --threads sets PyTorch's threads process-wide: put both back."""
    import logging

    import torch

    logger = logging.getLogger("framer")
    level, threads = logger.level, torch.get_num_threads()
    yield
    logger.setLevel(level)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "tiny"
    triplet(root / "a", seed=1)
    triplet(root / "b", seed=2)
    return root


def test_eval_writes_the_report_and_prints_the_table(tiny, tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["eval", "--protocol", "triplet", str(tiny), "--threads", "1", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    header, *rows = captured.out.strip().splitlines()
    assert header.split() == ["method", "PSNR", "(dB)", "SSIM"]
    assert [row.rsplit(maxsplit=2)[0] for row in rows] == ["linear blend", "nearest keyframe", "flow"]
    content = json.loads((out / "results.json").read_text())
    expected = f"framer eval --protocol triplet --engine flow --metrics psnr,ssim --threads 1 -o {out} {tiny}"
    assert content["command"] == expected
    assert expected in (out / "report.md").read_text()
    flow_psnr = content["summary"]["means"]["flow"]["psnr"]
    assert f"{flow_psnr:.2f}" in rows[2]
    for name in ("per_t.png", "distributions.png", "worst_cases.png"):
        assert (out / name).stat().st_size > 0


def test_eval_reports_an_fvd_column(tiny, tmp_path, capsys):
    """FVD with the real I3D: one clip per sample and method, 2 samples, so 8 clips through the network."""
    out = tmp_path / "report"
    code = main(
        ["eval", "--protocol", "triplet", str(tiny), "--metrics", "psnr,fvd", "--threads", "1", "-o", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    header, *rows = captured.out.strip().splitlines()
    assert header.split() == ["method", "PSNR", "(dB)", "FVD"]
    content = json.loads((out / "results.json").read_text())
    means = content["summary"]["means"]
    for row, method in zip(rows, ("linear", "nearest", "flow"), strict=True):
        assert means[method]["fvd"] > 0
        assert row.split()[-1] == f"{means[method]['fvd']:.2f}"
    report = (out / "report.md").read_text()
    assert "FVD is computed over 2 clips per method" in report


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--protocol", "triplet", "{missing}"], "does not exist"),
        (["--protocol", "seven-frame", "{tiny}"], "needs im1..im7 or exactly 7 frames"),
        (["--protocol", "triplet", "--metrics", "psnr,fvd", "{tiny}/a"], "needs at least 2 samples"),
        (["--protocol", "triplet", "--metrics", "psnr,fid", "{tiny}/a"], "needs at least 2 scored frames"),
    ],
)
def test_eval_errors_are_one_sentence(tiny, tmp_path, capsys, args, words):
    args = [a.format(tiny=tiny, missing=tmp_path / "nope") for a in args]
    code = main(["eval", *args, "-o", str(tmp_path / "out")])
    assert code == 1
    assert words in _one_error_sentence(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_eval_refuses_autopilot_where_the_api_has_none(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(methods_module, "autopilot_available", lambda: False)
    code = main(["eval", "--protocol", "triplet", "--autopilot", str(tiny), "-o", str(tmp_path / "out")])
    assert code == 1
    assert _one_error_sentence(capsys.readouterr().err).startswith("Autopilot is not available yet")


def test_eval_usage_errors(tiny, tmp_path, capsys):
    assert main(["eval", "--protocol", "sequence", str(tiny), "-o", str(tmp_path / "out")]) == 2
    assert "needs -k K" in capsys.readouterr().err
    assert main(["eval", "--protocol", "triplet", "-k", "2", str(tiny), "-o", str(tmp_path / "out")]) == 2
    assert "-k applies only to --protocol sequence" in capsys.readouterr().err


def test_eval_refuses_an_existing_report(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["eval", "--protocol", "triplet", str(tiny), "-o", str(out)]) == 1
    assert "pass --overwrite" in _one_error_sentence(capsys.readouterr().err)
    assert (out / "keep.txt").read_text() == "mine"


def test_bench_prints_a_table(tmp_path, capsys):
    json_path = tmp_path / "bench.json"
    args = ["bench", "--sizes", "64x48", "--frames", "1", "--repeats", "1", "--threads", "1", "--json", str(json_path)]
    code = main([*args, "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert lines[0].startswith("framer ") and "median of 1 repeat(s)" in lines[0]
    header = [cell.strip() for cell in lines[1].strip("|").split("|")]
    assert header == ["engine", "size", "device", "threads", "load (s)", "s / frame", "peak memory (MiB)"]
    cells = [cell.strip() for cell in lines[3].strip("|").split("|")]
    assert cells[:4] == ["flow", "64x48", "cpu", "1"]
    (row,) = json.loads(json_path.read_text())
    assert row["seconds_per_frame"] > 0 and row["load_seconds"] > 0
    assert row["peak_memory"] > 50 * 2**20  # PyTorch and the model are resident in the measuring process
    assert cells[5] == f"{row['seconds_per_frame']:.4f}" and cells[6] == f"{row['peak_memory'] / 2**20:.0f}"


def test_bench_errors(capsys):
    assert main(["bench", "--sizes", "64by48"]) == 1
    assert "WIDTHxHEIGHT" in _one_error_sentence(capsys.readouterr().err)
