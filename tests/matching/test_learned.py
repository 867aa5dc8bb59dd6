"""Learned matchers: the XFeat, DISK and LightGlue modules (tiny random models), their strict loading, the registry
entries, the ``matcher`` option, and a matcher plugged into the autopilot's correspondences."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
import torch

from framer.cli.main import main
from framer.cli.options import MATCHERS
from framer.errors import InputError, WeightsError
from framer.matching import AutopilotConfig, Matches, find_correspondences, matcher_names
from framer.matching import matchers as matcher_registry
from framer.matching.learned import pipeline
from framer.matching.learned.disk import DISK, _strict_maxima, detect_disk
from framer.matching.learned.lightglue import LightGlue, LightGlueConfig, rename_lightglue_keys
from framer.matching.learned.xfeat import XFeat, detect_xfeat
from framer.matching.matchers import get_matcher
from framer.motion import apply_homography
from framer.registry import get_model_entry, list_models
from framer.synthetic.large_motion import make_large_motion_case
from framer.weights import cached_weights_path, sha256_file

LEARNED_MODELS = ("xfeat.sparse", "lighterglue.xfeat", "disk.depth", "lightglue.disk")


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)


def _random_stats(model: torch.nn.Module) -> torch.nn.Module:
    """Random running statistics too, so that a load that skips buffers would show."""
    for name, buffer in model.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            buffer.copy_(torch.rand_like(buffer) + 0.5)
    return model.eval()


def test_xfeat_shapes_and_sparse_keypoints():
    net = _random_stats(XFeat())
    image = torch.rand(1, 3, 64, 96)
    features, logits, reliability = net(image)
    assert features.shape == (1, 64, 8, 12) and logits.shape == (1, 65, 8, 12) and reliability.shape == (1, 1, 8, 12)
    found = detect_xfeat(net, image, top_k=20, threshold=0.0)
    assert 0 < len(found.keypoints) <= 20 and found.descriptors.shape == (len(found.keypoints), 64)
    assert torch.allclose(found.descriptors.norm(dim=1), torch.ones(len(found.keypoints)), atol=1e-5)
    assert (found.keypoints >= 0).all() and (found.keypoints[:, 0] < 96).all() and (found.keypoints[:, 1] < 64).all()
    assert (found.scores[:-1] >= found.scores[1:]).all()  # best first


def test_disk_crops_padding_and_keeps_strict_maxima_inside():
    net = DISK().eval()
    heatmap, dense = net(torch.rand(1, 3, 40, 56))  # not multiples of 16: padded, then cropped back
    assert heatmap.shape == (1, 1, 40, 56) and dense.shape == (1, 128, 40, 56)
    heat = torch.zeros(12, 12)
    heat[6, 6] = 2.0  # a strict maximum
    heat[3, 8] = heat[3, 9] = 1.0  # a plateau: no strict maximum
    heat[0, 0] = 5.0  # in the border strip: never a keypoint
    mask = _strict_maxima(heat)
    assert mask.nonzero().tolist() == [[6, 6]]
    found = detect_disk(net, torch.rand(1, 3, 48, 48), top_k=10, threshold=-1e9)
    assert len(found.keypoints) == 10 and found.descriptors.shape == (10, 128)
    assert ((found.keypoints >= 2) & (found.keypoints <= 45)).all()


def test_lightglue_matches_are_mutual_and_follow_a_permutation():
    config = LightGlueConfig(input_dim=16, descriptor_dim=32, n_layers=2, num_heads=2, depth_confidence=-1,
                             width_confidence=-1, filter_threshold=0.0)  # fmt: skip
    glue = LightGlue(config).eval()
    points0, desc0 = torch.rand(30, 2) * 100, torch.nn.functional.normalize(torch.randn(30, 16), dim=1)
    order = torch.randperm(30)
    result = glue(points0, points0[order], desc0, desc0[order], (100, 100), (100, 100))
    assert len(result.index0) == len(set(result.index0.tolist())) == len(set(result.index1.tolist())) > 0
    assert ((result.scores >= 0) & (result.scores <= 1)).all() and result.layers == 2
    # Same keypoints and descriptors, shuffled: the network is permutation-equivariant, so the matches are too.
    again = glue(points0, points0, desc0, desc0, (100, 100), (100, 100))
    assert sorted(zip(order[result.index1].tolist(), result.index0.tolist(), strict=True)) == sorted(
        zip(again.index1.tolist(), again.index0.tolist(), strict=True)
    )
    empty = glue(points0[:0], points0, desc0[:0], desc0, (100, 100), (100, 100))
    assert len(empty.index0) == 0


def test_lightglue_keys_are_renamed_from_the_released_layout():
    released = {"self_attn.1.Wqkv.weight": 1, "cross_attn.0.to_v.bias": 2, "posenc.Wr.weight": 3}
    renamed = rename_lightglue_keys(released, 2)
    assert set(renamed) == {"transformers.1.self_attn.Wqkv.weight", "transformers.0.cross_attn.to_v.bias",
                            "posenc.Wr.weight"}  # fmt: skip


def test_strict_loading_from_a_released_layout_and_a_missing_key(tmp_path):
    model = _random_stats(pipeline.build_model("lighterglue.xfeat"))
    state = model.state_dict()
    released = {}  # as xfeat-lighterglue.pt: "matcher." prefixes, flat layer names, an extractor copy, unused ".r"
    for key, value in state.items():
        match = re.match(r"transformers\.(\d+)\.(self_attn|cross_attn)\.(.*)", key)
        flat = f"{match[2]}.{match[1]}.{match[3]}" if match else key
        released[f"matcher.{flat}"] = value
    released["matcher.log_assignment.0.r"] = torch.ones(1)
    released["extractor.model.net.skip1.1.bias"] = torch.zeros(24)
    path = tmp_path / "glue.pt"
    torch.save(released, path)
    loaded = pipeline.load_model("lighterglue.xfeat", weights=str(path))
    assert all(torch.equal(value, loaded.state_dict()[key]) for key, value in state.items())
    del released["matcher.posenc.Wr.weight"]
    torch.save(released, path)
    with pytest.raises(WeightsError, match=r"1 missing \(first: posenc\.Wr\.weight\)"):
        pipeline.load_model("lighterglue.xfeat", weights=str(path))


def test_disk_weights_load_from_the_nested_release_file(tmp_path):
    state = DISK().state_dict()
    path = tmp_path / "disk.pth"
    torch.save({"extractor": state}, path)
    loaded = pipeline.load_model("disk.depth", weights=str(path))
    assert all(torch.equal(value, loaded.state_dict()[key]) for key, value in state.items())


def test_registry_entries_are_pinned_and_verified():
    fetched = {entry.name for entry in list_models() if entry.weights}  # what `framer weights fetch` fetches
    for name in LEARNED_MODELS:
        entry = get_model_entry(name, engine="matching")
        assert name in fetched
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry.weights.version)
        assert re.fullmatch(r"[0-9a-f]{64}", entry.weights.sha256)
        assert entry.weights.member.startswith(entry.weights.package.replace("-", "_") + "/")
        assert "Apache-2.0" in entry.license


def test_matcher_option_is_checked_in_one_sentence():
    assert matcher_names()[:3] == ("sift", "xfeat", "disk")
    assert AutopilotConfig().matcher == "sift"
    with pytest.raises(InputError, match=r"^`matcher` must be one of sift, xfeat, disk, not 'orb'\.$"):
        AutopilotConfig(matcher="orb")
    with pytest.raises(InputError, match="`matcher` must be one of"):
        get_matcher("orb")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tween", "a.png", "b.png", "-o", "o/", "--autopilot", "--matcher", "orb"], "'orb' is not one of 'sift'"),
        (["tween", "a.png", "b.png", "-o", "o/", "--matcher", "xfeat"], "--matcher chooses the autopilot's matcher"),
        (["match", "a.png", "b.png", "-o", "m.json", "--matcher", "orb"], "Invalid value for '--matcher'"),
        (["video", "in.mp4", "-o", "out.mp4", "--multi", "2", "--matcher", "disk"], "give --autopilot too"),
    ],
)
def test_cli_refuses_a_bad_matcher_with_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "b.png"):
        cv2.imwrite(name, np.zeros((32, 32, 3), np.uint8))
    (tmp_path / "in.mp4").write_bytes(b"")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert matcher_names()[:3] == MATCHERS


def _tracked(image0: np.ndarray, image1: np.ndarray, config: AutopilotConfig) -> Matches:
    """A deterministic stand-in matcher: corners of keyframe 0 followed into keyframe 1 by pyramidal Lucas-Kanade."""
    grey0, grey1 = (cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (image0, image1))
    corners = cv2.goodFeaturesToTrack(grey0, 400, 0.01, 6).reshape(-1, 2)
    ends, status, _ = cv2.calcOpticalFlowPyrLK(grey0, grey1, corners, None, winSize=(31, 31), maxLevel=5)
    keep = status.ravel() == 1
    count = int(keep.sum())
    height, width = grey0.shape
    ratio = np.full(count, 0.2 * config.ratio)
    return Matches(corners[keep].astype(np.float64), ends[keep].astype(np.float64), ratio, np.full(count, 7.0),
                   width, height)  # fmt: skip


def test_a_registered_matcher_feeds_the_autopilot(monkeypatch):
    monkeypatch.setitem(matcher_registry._MATCHERS, "tracked", _tracked)
    case = make_large_motion_case("shift", 64, width=256, height=160, num_frames=1)
    found = find_correspondences(case.keyframes[0], case.keyframes[1], AutopilotConfig(matcher="tracked"))
    assert found.verified >= 50 and found.model == "homography"
    error = np.linalg.norm(apply_homography(case.transforms[-1], found.starts) - found.ends, axis=1)
    assert np.median(error) < 0.5 and 60 < found.motion < 68


def test_learned_matches_give_full_size_points_with_a_random_model(monkeypatch):
    net = _random_stats(XFeat())
    # A random network's cell softmax is flat (about 1/65 everywhere): take every peak, not those above 0.05.
    monkeypatch.setitem(get_model_entry("xfeat.sparse").config, "threshold", 0.0)
    config = LightGlueConfig(input_dim=64, descriptor_dim=32, n_layers=2, num_heads=1, depth_confidence=-1,
                             width_confidence=-1, filter_threshold=0.0)  # fmt: skip
    glue = LightGlue(config).eval()
    monkeypatch.setattr(pipeline, "load_models", lambda name: (net, glue))
    rng = np.random.default_rng(0)
    image = (rng.random((100, 150, 3)) * 255).astype(np.uint8)
    matches = pipeline.learned_matches("xfeat", image, image[:, ::-1], ratio=0.75, max_side=120)
    assert (matches.width, matches.height) == (150, 100) and len(matches) > 0
    assert (matches.starts >= -0.5).all() and (matches.starts[:, 0] < 150).all() and (matches.starts[:, 1] < 100).all()
    assert ((matches.ratio >= 0) & (matches.ratio <= 0.75)).all() and (np.diff(matches.ratio) >= 0).all()


def _cached(*names: str) -> bool:
    return all(cached_weights_path(get_model_entry(n).weights, n).is_file() for n in names)


@pytest.mark.skipif(not _cached("xfeat.sparse", "lighterglue.xfeat"), reason="XFeat weights not in framer's cache")
def test_xfeat_with_the_released_weights_follows_a_shift():
    for name in ("xfeat.sparse", "lighterglue.xfeat"):
        entry = get_model_entry(name)
        assert sha256_file(cached_weights_path(entry.weights, name)) == entry.weights.sha256
    case = make_large_motion_case("shift", 128, width=320, height=192, num_frames=1)
    matches = get_matcher("xfeat")(case.keyframes[0], case.keyframes[1], AutopilotConfig(matcher="xfeat"))
    error = np.linalg.norm(apply_homography(case.transforms[-1], matches.starts) - matches.ends, axis=1)
    # Keypoints sit on whole pixels (no sub-pixel refinement in sparse XFeat): about 0.8 px median here.
    assert len(matches) >= 300 and np.median(error) < 1.0 and (error < 3.0).mean() > 0.95
