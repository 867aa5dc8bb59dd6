"""The run's config: checked at the door, written beside each checkpoint as YAML, read back unchanged."""

from __future__ import annotations

import pytest

from framer.errors import InputError
from framer.training.config import TrainingConfig, config_from_dict, load_config, save_config


def _config(**changes):
    return TrainingConfig(**{"data": "d", "svd_dir": "s", "output": "o", **changes})


def test_config_round_trips_through_yaml(tmp_path):
    config = _config(stage=2, init=str(tmp_path), ema_decay=0.999, adam_betas=(0.8, 0.99), width=256, clip_hop=5)
    save_config(config, tmp_path / "config.yaml")
    values = load_config(tmp_path / "config.yaml")
    again = config_from_dict(values)
    assert again.replace(data="d", svd_dir="s", output="o", init=str(tmp_path)) == config
    assert values["data"] == str((tmp_path.cwd() / "d").resolve())  # paths are written absolute
    assert (tmp_path / "config.yaml").read_text().startswith("# framer train")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stage": 3}, "`stage` must be 1"),
        ({"width": 100}, "`width` must be a multiple of 64"),
        ({"num_frames": 2}, "`num_frames` must be at least 3"),
        ({"stage": 2}, "give `init`"),
        ({"min_points": 4, "max_points": 2}, "min_points <= max_points"),
        ({"mixed_precision": "fp8"}, "`mixed_precision` must be one of"),
        ({"ema_decay": 1.5}, "`ema_decay` must lie in"),
        ({"data": ""}, "`data` must be given"),
    ],
)
def test_config_refuses_bad_values(changes, message):
    with pytest.raises(InputError, match=message):
        _config(**changes)


def test_config_file_with_an_unknown_option_names_the_nearest(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("stage: 1\nlearning_rat: 0.001\n")
    with pytest.raises(InputError, match="unknown option 'learning_rat'; did you mean 'learning_rate'"):
        load_config(path)
    path.write_text("- a list\n")
    with pytest.raises(InputError, match="must hold a mapping"):
        load_config(path)
