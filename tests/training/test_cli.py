"""`framer train`: usage errors (exit 2) and missing inputs (exit 1) before anything is written; a short run from a
config file with an option overriding it; a finished run started again does nothing more."""

from __future__ import annotations

import pytest
import yaml

from framer.cli.main import main


@pytest.fixture
def cli(capsys):
    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "3"], "Invalid value for '--stage'"),
        (["--data", "d", "--output", "o"], "Missing option '--svd-dir'"),
        (["--data", "d", "--svd-dir", "s", "--output", "o", "--size", "100x64"], "--size must be a multiple of 64"),
        (["--data", "d", "--svd-dir", "s", "--output", "o", "--stage", "2"], "Stage 2 starts from a model"),
        (["--data", "d", "--svd-dir", "s", "--output", "o", "--size", "64"], "WIDTHxHEIGHT"),
    ],
)
def test_usage_errors_exit_2(cli, tmp_path, args, message):
    code, _, err = cli("train", *args)
    assert code == 2 and message in err
    assert not (tmp_path / "o").exists()


def test_missing_inputs_exit_1_and_write_nothing(cli, tmp_path, tiny_models, sprite_videos):
    (tmp_path / "empty").mkdir()
    base = ["train", "--svd-dir", tiny_models[1], "--output", tmp_path / "run", "--size", "64x64"]
    code, _, err = cli(*base, "--data", tmp_path / "empty", "--init", tiny_models[0])
    assert code == 1 and "holds no video or frame folder of at least 14 frames" in err
    code, _, err = cli(*base, "--data", sprite_videos, "--init", tmp_path / "empty")
    assert code == 1 and "--init folder" in err and "unet/config.json" in err
    code, _, err = cli(*base, "--data", sprite_videos)
    assert code == 1 and "Stage 1 without --init starts from SVD-XT's UNet" in err
    assert not (tmp_path / "run").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: 2\n")
    code, _, err = cli(*base, "--data", sprite_videos, "--config", bad)
    assert code == 2 and "did you mean 'stage'" in err


def test_a_run_from_a_config_file(cli, tmp_path, tiny_models, sprite_videos):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"data": str(sprite_videos), "svd_dir": str(tiny_models[1]),
                                      "init": str(tiny_models[0]), "num_frames": 3, "width": 64, "height": 64,
                                      "max_steps": 5, "num_workers": 0, "learning_rate": 0.01}))  # fmt: skip
    output = tmp_path / "run"
    code, _, err = cli("train", "--config", config, "--output", output, "--steps", 2, "-q")
    assert code == 0, err
    checkpoint = output / "checkpoint-0000002"
    for name in ("unet", "controlnet"):
        assert (checkpoint / name / "diffusion_pytorch_model.safetensors").stat().st_size > 0
    written = yaml.safe_load((checkpoint / "config.yaml").read_text())
    assert written["max_steps"] == 2 and written["learning_rate"] == 0.01 and written["output"] == str(output)
    code, _, err = cli("train", "--config", checkpoint / "config.yaml", "-q")  # the same run: already done
    assert code == 0 and sorted(p.name for p in output.glob("checkpoint-*")) == ["checkpoint-0000002"]
