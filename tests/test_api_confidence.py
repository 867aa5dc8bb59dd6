"""The confidence through the API (``InterpolatedFrame.confidence``) and ``framer tween --confidence`` sidecars."""

from __future__ import annotations

import csv
import json

import pytest

import framer
from framer import api
from framer.cli.main import main
from framer.io.images import read_image
from framer.io.tensors import image_to_tensor


@pytest.fixture(scope="module")
def septuplet(shared_data):
    folder = shared_data / "vimeo_septuplet_lr_tiny"  # 112x64
    return [read_image(folder / f"im{n}.png") for n in (1, 3, 5)]


def test_iter_interpolate_yields_the_engines_confidence_and_1_for_keyframes(flow_engine, septuplet):
    items = list(framer.iter_interpolate(septuplet, num_frames=2, include_keyframes=True, engine=flow_engine))
    assert [(item.gap, round(item.t, 3)) for item in items] == [
        (0, 0.0), (0, 0.333), (0, 0.667), (1, 0.0), (1, 0.333), (1, 0.667), (1, 1.0)
    ]  # fmt: skip
    assert [item.confidence for item in items if item.t in (0.0, 1.0)] == [1.0, 1.0, 1.0]
    pair = [image_to_tensor(image) for image in septuplet[1:]]  # gap 1, straight from the engine
    expected = [scored.confidence for scored in flow_engine.iter_scored(*pair, [1 / 3, 2 / 3])]
    assert [item.confidence for item in items[4:6]] == pytest.approx(expected, abs=1e-6)
    assert all(0.5 < item.confidence <= 1.0 for item in items)  # small real motion: trusted
    gap, t, frame, confidence = items[1]  # the four fields unpack
    assert (gap, t, frame.shape, confidence) == (0, items[1].t, (64, 112, 3), items[1].confidence)


@pytest.fixture
def reuse_engine(monkeypatch, tiny_flow_engine):
    """The session's tiny flow engine for the CLI's default one (this tests the command, not the pictures)."""
    create = api.create_engine
    monkeypatch.setattr(
        api, "create_engine", lambda name="flow", **o: tiny_flow_engine if name == "flow" else create(name, **o)
    )


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_tween_writes_the_sidecar_with_one_row_per_output_frame(tmp_path, street_pair, reuse_engine, capsys, suffix):
    sidecar = tmp_path / f"scores{suffix}"
    code = main(["tween", *map(str, street_pair), "-n", "3", "--include-keyframes", "-o", str(tmp_path / "out"),
                 "--confidence", str(sidecar)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"Wrote 5 frames to {tmp_path / 'out'}; confidence per frame in {sidecar}" in err
    if suffix == ".json":
        rows = json.loads(sidecar.read_text())["frames"]
    else:
        with sidecar.open(newline="") as file:
            rows = list(csv.DictReader(file))
    assert [int(row["frame"]) for row in rows] == [0, 1, 2, 3, 4]
    assert [float(row["t"]) for row in rows] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert {int(row["gap"]) for row in rows} == {0}
    confidences = [float(row["confidence"]) for row in rows]
    assert confidences[0] == confidences[-1] == 1.0 and all(0.0 <= c <= 1.0 for c in confidences)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", sidecar.name]  # no partial file left


def test_tween_refuses_a_sidecar_that_is_not_csv_or_json_with_exit_2(tmp_path, street_pair, capsys):
    code = main(["tween", *map(str, street_pair), "-o", str(tmp_path / "out"), "--confidence", "scores.txt"])
    err = capsys.readouterr().err
    assert code == 2 and "must be a .csv or .json file, not 'scores.txt'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
