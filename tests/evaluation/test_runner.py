"""Evaluation runs: baselines and the real flow engine on the same samples, scores checked against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

import framer
from framer.errors import InputError
from framer.evaluation import evaluate, linear_blend, nearest_keyframe, parse_metrics
from framer.evaluation import methods as methods_module
from helpers.evaluation import HEIGHT, WIDTH, triplet, write_frames


def psnr_by_hand(pred: np.ndarray, target: np.ndarray) -> float:
    mse = np.mean((pred.astype(np.float64) / 255 - target.astype(np.float64) / 255) ** 2)
    return -10 * math.log10(mse)


def read(path) -> np.ndarray:
    return np.array(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def tiny_triplets(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval") / "tiny"
    for seed in range(3):
        triplet(root / f"clip{seed}", seed=seed)
    return root


def test_baselines_match_hand_computation(tiny_triplets):
    result = evaluate(tiny_triplets, protocol="triplet", engines=(), metrics="psnr,ssim")
    assert result.method_ids == ["linear", "nearest"]
    assert [s.name for s in result.samples] == ["tiny/clip0", "tiny/clip1", "tiny/clip2"]
    expected = {"linear": [], "nearest": []}
    for sample in result.samples:
        folder = tiny_triplets / sample.name.split("/")[1]
        first, middle, last = (read(folder / f"im{i}.png") for i in (1, 2, 3))
        blend = np.round((first.astype(np.float64) + last) / 2).astype(np.uint8)
        (frame,) = sample.frames
        assert frame.t == 0.5
        for method, pred in (("linear", blend), ("nearest", first)):
            value = psnr_by_hand(pred, middle)
            assert frame.scores[method]["psnr"] == pytest.approx(value, abs=1e-9)
            assert 0 < frame.scores[method]["ssim"] < 1
            expected[method].append(value)
    means = result.means()
    for method, values in expected.items():
        assert means[method]["psnr"] == pytest.approx(np.mean(values), abs=1e-9)
    (row,) = result.per_t()
    assert row["t"] == 0.5 and row["frames"] == 3
    assert row["means"]["linear"]["psnr"] == pytest.approx(means["linear"]["psnr"])
    assert set(result.seconds_per_frame()) == {"linear", "nearest"}


def test_baseline_functions():
    a = np.zeros((2, 2, 3), np.uint8)
    b = np.full((2, 2, 3), 255, np.uint8)
    quarter, half, late = linear_blend(a, b, [0.25, 0.5, 0.9])
    assert (quarter == 64).all() and (half == 128).all() and (late == 230).all()  # round(63.75), round(127.5), ...
    early, middle, after = nearest_keyframe(a, b, [0.25, 0.5, 0.75])
    assert (early == 0).all() and (middle == 0).all() and (after == 255).all()


def test_worst_cases_are_ranked_worst_first(tiny_triplets):
    result = evaluate(tiny_triplets, protocol="triplet", engines=(), metrics="ssim,psnr", worst=2)
    assert result.ranked_by == ("linear", "ssim")  # no engine: the first method, the first per-frame metric
    values = sorted(s.frames[0].scores["linear"]["ssim"] for s in result.samples)
    assert [case.value for case in result.worst] == values[:2]
    case = result.worst[0]
    assert set(case.images) == {"ground truth", "linear", "nearest"}
    assert case.images["ground truth"].shape == (48, 64, 3)


def test_flow_engine_on_the_septuplet(shared_data, flow_engine):
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    result = evaluate(folder, protocol="seven-frame", engines=[flow_engine], metrics="psnr,ssim")
    assert result.method_ids == ["linear", "nearest", "flow"]
    flow = result.methods[2]
    assert flow["kind"] == "engine" and flow["model"] == "rife.v4_25" and flow["autopilot"] is False
    (sample,) = result.samples
    assert [round(f.t, 6) for f in sample.frames] == [round(i / 6, 6) for i in range(1, 6)]
    assert result.ranked_by == ("flow", "psnr")
    # The reported flow PSNR is that of the engine's own frames at the same times.
    frames = framer.interpolate(
        [folder / "im1.png", folder / "im7.png"], times=[f.t for f in sample.frames], engine=flow_engine
    )
    for frame, pred in zip(sample.frames, frames, strict=True):
        target = read(frame.target)
        assert frame.scores["flow"]["psnr"] == pytest.approx(psnr_by_hand(pred, target), abs=1e-9)
        assert frame.scores["flow"]["psnr"] != frame.scores["linear"]["psnr"]
    assert len(result.worst) == 4 and result.worst[0].value == min(f.scores["flow"]["psnr"] for f in sample.frames)


def test_lpips_column(tiny_triplets):
    result = evaluate(tiny_triplets / "clip0", protocol="triplet", engines=(), metrics="psnr,lpips")
    value = result.means()["linear"]["lpips"]
    assert 0 < value < 1
    assert result.metrics == ["psnr", "lpips"]


def test_metric_names():
    assert parse_metrics("PSNR, ssim,psnr") == ["psnr", "ssim"]
    assert parse_metrics("psnr,fvd,fid") == ["psnr", "fvd", "fid"]
    with pytest.raises(InputError, match="Did you mean lpips"):
        parse_metrics("lpip")


def test_fid_needs_two_frames(tiny_triplets):
    with pytest.raises(InputError, match="needs at least 2 scored frames"):
        evaluate(tiny_triplets / "clip0", protocol="triplet", engines=(), metrics="psnr,fid")


def test_fvd_needs_two_samples(tiny_triplets):
    with pytest.raises(InputError, match=r"^FVD compares sets of clips .* at least 2 samples, but the data hold 1;"):
        evaluate(tiny_triplets / "clip0", protocol="triplet", engines=(), metrics="psnr,fvd")


def test_fvd_clips_are_keyframes_around_the_in_betweens(tiny_triplets, monkeypatch):
    """Each method's clip is I0, its in-between, I1, each frame repeated to 9; the ground truth's holds im2."""
    import torch

    import framer.metrics

    seen = []

    def fake_features(videos, batch_size=4, pool=False):
        seen.append(videos.clone())
        # [1, T, 3, H, W] -> [1, T]: the mean of each frame, a feature that tells the clips apart
        return videos.mean(dim=(2, 3, 4)).double()

    monkeypatch.setattr(framer.metrics, "i3d_features", fake_features)
    result = evaluate(tiny_triplets, protocol="triplet", engines=(), metrics="psnr,fvd")
    assert len(seen) == 3 * 3  # linear, nearest and the ground truth, per sample
    folder = tiny_triplets / "clip0"
    first, middle, last = (torch.from_numpy(read(folder / f"im{i}.png")) for i in (1, 2, 3))
    nearest, truth = seen[1][0], seen[2][0]  # sample clip0: linear, nearest, ground truth
    assert nearest.shape == (9, 3, HEIGHT, WIDTH)
    for clip, between in ((nearest, first), (truth, middle)):
        expected = torch.stack([first, between, last]).repeat_interleave(3, dim=0).permute(0, 3, 1, 2)
        torch.testing.assert_close(clip, expected.double() / 255, rtol=0, atol=0)
    scores = result.set_scores
    assert set(scores) == {"linear", "nearest"} and all(set(v) == {"fvd"} for v in scores.values())
    assert scores["linear"]["fvd"] > 0 and scores["nearest"]["fvd"] > 0
    assert result.means()["nearest"]["fvd"] == scores["nearest"]["fvd"]


def test_autopilot_is_refused_where_the_api_has_none(tiny_triplets, monkeypatch):
    monkeypatch.setattr(methods_module, "autopilot_available", lambda: False)
    with pytest.raises(InputError, match="Autopilot is not available yet"):
        evaluate(tiny_triplets, protocol="triplet", engines=("flow",), autopilot=True)


def test_autopilot_runs_beside_the_plain_engine(tiny_triplets, tiny_flow_engine):
    assert methods_module.autopilot_available()  # the autopilot has landed: this must run, never skip
    result = evaluate(tiny_triplets / "clip0", protocol="triplet", engines=[tiny_flow_engine], autopilot=True)
    assert result.method_ids == ["linear", "nearest", "flow", "flow+autopilot"]
    assert result.methods[3]["autopilot"] is True


def test_sequence_frames_scored_once(tmp_path):
    folder = write_frames(tmp_path / "seq", [f"f{i:02d}.png" for i in range(7)])
    result = evaluate(folder, protocol="sequence", k=3, engines=(), metrics="psnr")
    assert [s.name for s in result.samples] == ["seq f00..f03", "seq f03..f06"]
    assert result.num_frames == 4
    assert [row["t"] for row in result.per_t()] == [round(1 / 3, 6), round(2 / 3, 6)]
