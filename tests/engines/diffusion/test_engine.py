"""Diffusion engine end to end on CPU with tiny random models saved in the release layout."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

import framer
from framer.cli.main import main
from framer.engines.diffusion import gaussian_heatmaps, load_pipeline
from framer.engines.diffusion import pipeline as pipeline_module
from framer.engines.diffusion.heatmaps import RELEASE_SCALE
from framer.engines.diffusion.pipeline import SamplingOptions, guidance_scales
from framer.engines.diffusion.train import TrainConfig, select_trainable, train_step
from framer.errors import WeightsError
from helpers.diffusion_tiny import SMALL, build_tiny, save_tiny

TRACKS = torch.tensor([[[8.0, 8.0], [20.0, 16.0], [32.0, 24.0], [44.0, 32.0], [56.0, 40.0]]])  # (1, 5, 2)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one PyTorch thread (see conftest.one_torch_thread)."""


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("diffusion_tiny"))


@pytest.fixture(scope="module")
def engine(tiny_dirs):
    return framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], **SMALL)


@pytest.fixture(scope="module")
def keyframes():
    """Two smooth 64x64 keyframes ``(1, 3, 64, 64)``: a bright square that moves right and down."""
    frames = []
    for offset in (8, 32):
        x = torch.full((1, 3, 64, 64), 0.2)
        x[:, :, offset : offset + 20, offset : offset + 20] = torch.tensor([0.9, 0.6, 0.3]).view(1, 3, 1, 1)
        frames.append(x)
    return frames


@pytest.fixture(scope="module")
def traced(engine, keyframes):
    """One run with tracks and no noise augmentation, recording what the UNet received and returned."""
    pipe = engine.pipeline
    seen = {"inputs": [], "outputs": [], "steps": []}

    def on_unet(module, args, kwargs, output):
        seen["inputs"].append(args[0].clone())
        seen["outputs"].append(output.sample.clone())

    handle = pipe.unet.register_forward_hook(on_unet, with_kwargs=True)
    try:
        options = SamplingOptions(num_frames=5, num_inference_steps=2, noise_aug_strength=0.0)
        out = pipe(*keyframes, TRACKS, options, torch.Generator().manual_seed(0), lambda s, t: seen["steps"].append(t))
    finally:
        handle.remove()
    return seen, out


def test_diffusion_loads_release_layout_key_for_key(engine):
    reference = build_tiny(0)
    for name in ("unet", "controlnet", "vae", "image_encoder"):
        loaded, built = getattr(engine.pipeline, name).state_dict(), reference[name].state_dict()
        assert loaded.keys() == built.keys()
        assert all(torch.equal(loaded[key], built[key]) for key in built), name
    assert engine.pipeline.clip_size == (32, 32)
    assert engine.pipeline.scheduler.config.prediction_type == "v_prediction"


def _rewrite_unet(tiny_dirs, tmp_path, change):
    framer_dir = tmp_path / "framer"
    shutil.copytree(tiny_dirs[0], framer_dir)
    path = framer_dir / "unet" / "diffusion_pytorch_model.safetensors"
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))
    return framer_dir


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda state: state.pop("mask_token"), "1 missing (first: mask_token)"),
        (lambda state: state.__setitem__("extra.bias", torch.zeros(2)), "1 unexpected (first: extra.bias)"),
        (lambda state: state.__setitem__("conv_in.bias", torch.zeros(3)), "conv_in.bias has shape (3,)"),
    ],
)
def test_diffusion_strict_loading_names_the_key(tiny_dirs, tmp_path, change, named):
    framer_dir = _rewrite_unet(tiny_dirs, tmp_path, change)
    with pytest.raises(WeightsError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load_pipeline(framer_dir, tiny_dirs[1], torch.device("cpu"))


def test_diffusion_missing_folders_say_what_to_download(tiny_dirs, tmp_path, monkeypatch):
    monkeypatch.delenv("FRAMER_SVD_DIR", raising=False)
    with pytest.raises(WeightsError, match=r"No SVD-XT folder was given; download Stable Video Diffusion img2vid-xt"):
        load_pipeline(tiny_dirs[0], None, torch.device("cpu"))
    with pytest.raises(WeightsError, match=r"does not exist; download the Framer checkpoint folder .* --model-dir"):
        load_pipeline(tmp_path / "nowhere", tiny_dirs[1], torch.device("cpu"))
    svd = tmp_path / "svd"
    shutil.copytree(tiny_dirs[1], svd)
    shutil.rmtree(svd / "vae")
    with pytest.raises(WeightsError, match=r"vae with config.json is missing; .* --svd-dir or FRAMER_SVD_DIR\.$"):
        load_pipeline(tiny_dirs[0], svd, torch.device("cpu"))
    monkeypatch.setenv("FRAMER_SVD_DIR", str(tiny_dirs[1]))  # the environment variable stands in for the argument
    assert load_pipeline(tiny_dirs[0], None, torch.device("cpu")).vae is not None


def test_diffusion_unet_gets_nine_channels(engine, keyframes, traced):
    seen, _ = traced
    pipe = engine.pipeline
    first = seen["inputs"][0]  # (2, F, 9, h, w): the unconditional half, then the conditional one
    assert first.shape == (2, 5, 9, 8, 8)
    with torch.no_grad():  # the keyframes' latents, encoded as the pipeline does: both in one batch
        latent0, latent1 = pipe.encode_latents(torch.cat(keyframes) * 2 - 1).chunk(2)
    token = pipe.unet.mask_token[0, 0].expand(4, 8, 8)
    cond, uncond = first[1], first[0]
    assert torch.equal(cond[0, 4:8], latent0[0])
    assert torch.equal(cond[-1, 4:8], latent1[0])
    for k in range(1, 4):
        assert torch.equal(cond[k, 4:8], token) and torch.equal(uncond[k, 4:8], token)
    assert torch.equal(uncond[0, 4:8], torch.zeros(4, 8, 8)) and torch.equal(uncond[-1, 4:8], torch.zeros(4, 8, 8))
    for half in (cond, uncond):
        assert half[[0, -1], 8].eq(0).all() and half[1:-1, 8].eq(1).all()
    assert torch.equal(first[0, :, :4], first[1, :, :4])  # both halves denoise the same latents


def test_diffusion_guidance_rises_per_frame(traced):
    seen, _ = traced
    assert guidance_scales(5, 1.0, 3.0).flatten().tolist() == [1.0, 1.5, 2.0, 2.5, 3.0]
    for output, step in zip(seen["outputs"], seen["steps"], strict=True):
        uncond, cond = output.float().chunk(2)
        for k, scale in enumerate([1.0, 1.5, 2.0, 2.5, 3.0]):
            expected = uncond[:, k] + scale * (cond[:, k] - uncond[:, k])
            assert torch.allclose(step["noise"][:, k], expected, atol=1e-6)
        assert torch.allclose(step["noise"][:, 0], cond[:, 0], atol=1e-6)  # scale 1: the conditional branch alone


def test_diffusion_controlnet_sees_the_heatmaps(traced):
    seen, out = traced
    control = seen["steps"][0]["control"]
    assert control.shape == (2, 5, 3, 64, 64)
    assert torch.equal(control[0], gaussian_heatmaps(TRACKS, 64, 64) * RELEASE_SCALE)
    assert torch.equal(out.tracks, TRACKS)  # no point updating asked for: tracks unchanged


def test_diffusion_point_updating_rebuilds_heatmaps(engine, keyframes, monkeypatch):
    given, decoded = [], []

    def shift_middle(features, tracks, radius, tolerance, size):
        given.append(features)
        accepted = torch.zeros(tracks.shape[:2], dtype=torch.bool)
        accepted[:, 2] = True
        return tracks + torch.tensor([0.0, 6.0]), accepted

    def on_unet(module, args, output):
        decoded.append(output.features.float())

    monkeypatch.setattr(pipeline_module.point_ops, "update_points", shift_middle)
    steps = []
    options = SamplingOptions(num_frames=5, num_inference_steps=2, update_points=True)
    handle = engine.pipeline.unet.register_forward_hook(on_unet)
    try:
        out = engine.pipeline(
            *keyframes, TRACKS, options, torch.Generator().manual_seed(0), lambda s, t: steps.append(t)
        )
    finally:
        handle.remove()
    # the release's rule: decoder features (64 channels here) of both branches mixed with each frame's guidance scale
    unguided, guided = decoded[0].chunk(2)
    scales = guidance_scales(5, options.min_guidance, options.max_guidance)
    assert given[0].shape[:2] == (5, 64)
    assert torch.allclose(given[0], (unguided + scales * (guided - unguided))[0], atol=1e-6)
    assert not torch.allclose(given[0], guided[0], atol=1e-3)  # not the guided branch alone
    assert out.tracks[0, 2].tolist() == [32.0, 30.0]  # the middle point moved 6 px down, the curve refitted
    assert out.tracks[0, 0].tolist() == [8.0, 8.0] and out.tracks[0, 4].tolist() == [56.0, 40.0]
    assert not torch.equal(steps[0]["control"], steps[1]["control"])  # rebuilt before the next step
    assert torch.equal(steps[1]["control"][0], gaussian_heatmaps(out.tracks, 64, 64) * RELEASE_SCALE)


def test_diffusion_seed_reproduces_bit_exactly(engine, keyframes):
    first = engine.generate(*keyframes, 5)
    again = engine.generate(*keyframes, 5)
    assert first.shape == (1, 5, 3, 64, 64)
    assert torch.equal(first, again)
    engine.seed = 1
    try:
        other = engine.generate(*keyframes, 5)
    finally:
        engine.seed = 0
    assert not torch.equal(first, other)


def test_diffusion_offload_gives_the_same_frames(engine, keyframes):
    plain = engine.generate(*keyframes, 5)
    engine.pipeline.offload = True
    try:
        offloaded = engine.generate(*keyframes, 5)
    finally:
        engine.pipeline.offload = False
    assert torch.equal(plain, offloaded)


def test_diffusion_times_between_clip_frames_are_blended(engine, keyframes):
    clip = engine.generate(*keyframes, 5)
    frames = list(engine.iter_frames(*keyframes, [0.25, 0.375]))
    assert torch.equal(frames[0], clip[:, 1])  # t = 0.25 is clip frame 1 of 5
    assert torch.allclose(frames[1], (clip[:, 1] + clip[:, 2]) / 2)  # halfway between frames 1 and 2


def _png_pair(folder, width=80, height=48):
    paths = []
    for index, offset in enumerate((6, 30)):
        image = np.full((height, width, 3), 40, np.uint8)
        image[10:34, offset : offset + 24] = (230, 150, 70)
        path = folder / f"k{index}.png"
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def test_diffusion_interpolate_and_write_frames(engine, tmp_path):
    paths = _png_pair(tmp_path)
    frames = framer.interpolate(paths, num_frames=3, engine=engine)
    assert len(frames) == 3 and all(f.shape == (48, 80, 3) and f.dtype == np.uint8 for f in frames)
    dragged = framer.interpolate(paths, num_frames=3, engine=engine, trajectories=["18,22:60,22"])
    assert any(not np.array_equal(a, b) for a, b in zip(frames, dragged, strict=True))
    framer.write_frames(dragged, tmp_path / "out")
    written = sorted((tmp_path / "out").glob("*.png"))
    assert len(written) == 3 and Image.open(written[0]).size == (80, 48)


def test_diffusion_cli_tween(tiny_dirs, tmp_path, capsys):
    paths = _png_pair(tmp_path)
    args = ["tween", str(paths[0]), str(paths[1]), "-n", "3", "--engine", "diffusion", "--steps", "2",
            "--work-size", "64x64", "--clip-frames", "5", "--seed", "3", "-q"]  # fmt: skip
    code = main([*args, "--model-dir", str(tiny_dirs[0]), "--svd-dir", str(tiny_dirs[1]), "-o", str(tmp_path / "out")])
    assert code == 0
    assert len(sorted((tmp_path / "out").glob("*.png"))) == 3
    capsys.readouterr()
    code = main(
        [*args, "--model-dir", str(tmp_path / "none"), "--svd-dir", str(tiny_dirs[1]), "-o", str(tmp_path / "o2")]
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("framer: error: The Framer model folder") and "--model-dir" in lines[0]
    assert main(["tween", str(paths[0]), str(paths[1]), "--steps", "2", "-o", str(tmp_path / "o3")]) == 2


def test_diffusion_autopilot_steers_with_sift_matches(tiny_dirs, engine, monkeypatch):
    """The autopilot runs above the engine (framer.guidance): its matches reach the engine as tracks it refines."""
    from framer.guidance import Guide
    from framer.io.images import ImageFormat
    from framer.io.tensors import tensor_to_image
    from framer.matching import AutopilotConfig

    texture = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(0))
    texture = torch.nn.functional.interpolate(texture, size=(160, 160), mode="bilinear", align_corners=False)
    frame0, frame1 = texture[:, :, 10:138, 10:138], texture[:, :, 22:150, 18:146]  # content moves by (-8, -12)
    calls = []
    original = pipeline_module.point_ops.update_points
    monkeypatch.setattr(pipeline_module.point_ops, "update_points", lambda *a: calls.append(1) or original(*a))
    pilot = framer.create_engine(
        "diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], autopilot_points=3, **SMALL
    )
    assert pilot.capabilities.tracks and pilot.capabilities.track_limit == 3 and not pilot.capabilities.alignment
    guide = Guide(pilot, autopilot=AutopilotConfig())
    times = [0.25, 0.5, 0.75]
    rgb = ImageFormat(channels=3, bit_depth=8)
    plan = guide.plan(tensor_to_image(frame0[0], rgb), tensor_to_image(frame1[0], rgb), frame0, frame1, times)
    assert plan.decision == "tracks" and plan.refine_tracks and plan.tracks.shape == (3, 5, 2)
    frames = [scored.frame for scored in guide.frames(frame0, frame1, times, plan)]
    tracks = pilot.last_tracks
    assert tracks.shape == (3, 5, 2) and len(calls) == 1  # three matches; points updated once (2 steps)
    assert torch.allclose(tracks[:, -1] - tracks[:, 0], torch.tensor([-8.0, -12.0]), atol=1.0)
    plain = list(engine.iter_frames(frame0, frame1, times))
    assert not torch.equal(frames[1], plain[1])  # the ControlNet steered
    with pytest.raises(framer.errors.InputError, match="Pre-alignment needs an engine that pre-aligns"):
        list(pilot.iter_frames(frame0, frame1, times, alignment=object()))


@pytest.mark.parametrize("stage", [1, 2])
def test_diffusion_training_step_updates_only_its_stage(tiny_dirs, stage):
    pipe = load_pipeline(tiny_dirs[0], tiny_dirs[1], torch.device("cpu"))
    trainable = {id(p) for p in select_trainable(pipe, stage)}
    named = {
        f"{prefix}.{n}": p for prefix in ("unet", "controlnet") for n, p in getattr(pipe, prefix).named_parameters()
    }
    before = {name: p.detach().clone() for name, p in named.items()}
    optimizer = torch.optim.AdamW([p for p in named.values() if id(p) in trainable], lr=1e-3)
    clip = torch.rand(1, 5, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    loss = train_step(pipe, optimizer, clip, TRACKS, TrainConfig(stage=stage), torch.Generator().manual_seed(0))
    assert math.isfinite(loss) and loss > 0
    moved = {name for name, p in named.items() if not torch.equal(before[name], p.detach())}
    assert moved and all(id(named[name]) in trainable for name in moved)  # only the stage's parameters train
    if stage == 1:
        assert "unet.mask_token" in moved and any(".temporal_transformer_blocks." in n for n in moved)
    else:
        assert all(name.startswith("controlnet.") for name in moved)


def test_diffusion_autopilot_through_the_api_uses_the_verified_matches(tiny_dirs, monkeypatch):
    texture = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(0))
    texture = torch.nn.functional.interpolate(texture, size=(160, 160), mode="bilinear", align_corners=False)
    images = [
        (crop[0].permute(1, 2, 0) * 255).round().byte().numpy()
        for crop in (texture[:, :, 10:138, 10:138], texture[:, :, 22:150, 18:146])  # content moves by (-8, -12)
    ]
    pilot = framer.create_engine(
        "diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], autopilot_points=4, **SMALL
    )
    frames = framer.interpolate(images, times=[0.25, 0.5, 0.75], engine=pilot, autopilot=True)
    assert len(frames) == 3 and frames[0].shape == (128, 128, 3)
    tracks = pilot.last_tracks
    assert tracks.shape == (4, 5, 2)  # the autopilot's four most confident spread matches, at the clip's frames
    assert torch.allclose(tracks[:, -1] - tracks[:, 0], torch.tensor([-8.0, -12.0]), atol=1.0)
    with pytest.raises(framer.errors.InputError, match="cannot show the diffusion engine's own autopilot"):
        framer.interpolate(images, num_frames=1, engine=pilot, autopilot=True, overlay=True)


# ------------------------------------------------------------------------------------------------------------------
# Issue 18: decoding, working size, ControlNet scale (the release's defaults)


def _spy_pipeline(engine, monkeypatch) -> list[tuple]:
    """Record what the engine hands its pipeline: (frame0, tracks, options) per call."""
    seen = []
    original = type(engine.pipeline).__call__

    def spy(self, frame0, frame1, tracks=None, options=None, generator=None, callback=None):
        seen.append((frame0.clone(), None if tracks is None else tracks.clone(), options))
        return original(self, frame0, frame1, tracks, options, generator, callback)

    monkeypatch.setattr(type(engine.pipeline), "__call__", spy)
    return seen


def test_diffusion_decodes_the_whole_clip_unless_asked(engine, keyframes, monkeypatch):
    pipe = engine.pipeline
    calls = []
    decode = pipe.vae.decode
    monkeypatch.setattr(pipe.vae, "decode", lambda z, num_frames: calls.append(num_frames) or decode(z, num_frames))
    run = lambda **kw: pipe(*keyframes, None, SamplingOptions(num_frames=5, num_inference_steps=1, **kw)).frames  # noqa: E731
    whole = run()
    assert calls == [5]  # the temporal decoder sees every frame at once, as the release's 14
    calls.clear()
    chunked = run(decode_chunk_size=2)
    assert calls == [2, 2, 1]
    assert (whole - chunked).abs().max() > 1e-3  # chunks change the pictures (documented)
    calls.clear()
    monkeypatch.setattr(pipeline_module, "OFFLOAD_DECODE_CHUNK", 2)
    pipe.offload = True
    try:
        offloaded = run()
    finally:
        pipe.offload = False
    assert calls == [2, 2, 1] and torch.equal(offloaded, chunked)  # offload alone asks for chunks


def test_diffusion_works_at_512x320_for_every_shape(tiny_dirs, monkeypatch, caplog):
    pilot = framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], device="cpu",
                                 num_inference_steps=1, clip_frames=3)  # fmt: skip
    assert pilot.size == (512, 320) and "trained at 512x320" not in caplog.text
    seen = _spy_pipeline(pilot, monkeypatch)
    rng = np.random.default_rng(0)
    portrait = [rng.integers(0, 256, (80, 48, 3), dtype=np.uint8) for _ in range(2)]
    frames = [torch.from_numpy(p).permute(2, 0, 1)[None].float() / 255 for p in portrait]
    clip = pilot.generate(*frames, 3)
    assert clip.shape == (1, 3, 3, 80, 48)  # back at the keyframes' size
    given = seen[-1][0]
    assert given.shape == (1, 3, 320, 512)  # portrait too: the model never saw 320x512
    expected = np.asarray(Image.fromarray(portrait[0]).resize((512, 320), Image.Resampling.BILINEAR))
    assert np.abs(given[0].permute(1, 2, 0).numpy() * 255 - expected).max() < 1e-3  # the release's pixels exactly
    deep = frames[0] + 0.3 / 65535  # not 8-bit: resized in float, within one 8-bit level of PIL's 8-bit path
    pilot.generate(deep, frames[1], 3)
    assert np.abs(seen[-1][0][0].permute(1, 2, 0).numpy() * 255 - expected).max() <= 1.0
    framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], device="cpu", size=(320, 512))
    assert "Working size 320x512: the model was trained at 512x320 only" in caplog.text
    with pytest.raises(framer.errors.InputError, match="`fit` must be one of stretch, pad, crop"):
        framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], device="cpu", fit="box")


@pytest.mark.parametrize("fit", ["stretch", "pad", "crop"])
def test_diffusion_fit_places_keyframes_and_tracks(fit):
    from framer.engines.diffusion.engine import _from_work, _to_work, place

    x = torch.rand(1, 3, 10, 6, generator=torch.Generator().manual_seed(1))
    x = torch.nn.functional.interpolate(x, size=(80, 48), mode="bilinear", align_corners=False)  # smooth
    where = place(48, 80, (512, 320), fit)
    work = _to_work(x, where, (512, 320))
    assert work.shape == (1, 3, 320, 512)
    if fit == "pad":  # scaled by 4 to 192x320, centred: black bars left and right
        assert where.canvas == (192, 320) and where.offset == (160.0, 0.0)
        assert work[..., :160].eq(0).all() and work[..., 352:].eq(0).all() and work[..., 160:352].gt(0).any()
    if fit == "crop":  # scaled to 512x853, the centre 320 rows kept
        assert where.canvas == (512, 853) and where.offset == (0.0, -266.0)
    # the keyframe's centre pixel lands on the working frame's centre; its frame comes back at its own size
    centre = (np.array([23.5, 39.5]) + 0.5) * np.array(where.scale) + np.array(where.offset) - 0.5
    if fit != "crop":
        assert np.allclose(centre, [255.5, 159.5])
    backdrop = torch.zeros(1, 3, where.canvas[1], where.canvas[0]) if fit == "crop" else None
    back = _from_work(work, backdrop, where, 80, 48)
    assert back.shape == (1, 3, 80, 48)
    if fit != "crop":  # up and down again: only the filters' blur (measured: mean 0.0015, max 0.019)
        assert (back - x).abs().mean() < 0.005 and (back - x).abs().max() < 0.05
    if fit == "crop":  # the rows the crop cut off come from the backdrop
        assert back[..., :20, :].abs().max() < 0.05 and back[..., 30:50, :].gt(0.05).any()


def test_diffusion_pad_fit_maps_tracks_and_frames_back(tiny_dirs, monkeypatch):
    pilot = framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], device="cpu",
                                 num_inference_steps=1, clip_frames=3, fit="pad", size=(128, 64))  # fmt: skip
    seen = _spy_pipeline(pilot, monkeypatch)
    frames = [torch.rand(1, 3, 80, 40, generator=torch.Generator().manual_seed(k)) for k in (2, 3)]
    tracks = np.array([[[4.0, 10.0], [20.0, 40.0], [36.0, 70.0]]])  # (1, 3, 2) keyframe pixels
    clip = pilot.generate(*frames, 3, tracks, [0.0, 0.5, 1.0])
    assert clip.shape == (1, 3, 3, 80, 40)
    given, work_tracks = seen[-1][0], seen[-1][1]
    assert given[..., :48].eq(0).all() and given[..., 80:].eq(0).all()  # 40x80 -> 32x64 centred in 128x64
    assert torch.allclose(work_tracks[0, 1], torch.tensor([48 + 20.5 * 0.8 - 0.5, 40.5 * 0.8 - 0.5]))
    assert torch.allclose(pilot.last_tracks, torch.from_numpy(tracks).float(), atol=1e-5)  # and back


def test_diffusion_control_scale_defaults_to_the_release(tiny_dirs, engine, keyframes, monkeypatch):
    seen = _spy_pipeline(engine, monkeypatch)
    drawn = TRACKS.numpy().astype(np.float64)
    engine.generate(*keyframes, 5, drawn)
    engine.generate(*keyframes, 5, drawn, refine_tracks=True)
    assert [options.conditioning_scale for _, _, options in seen] == [1.0, 0.5]  # drags 1.0, autopilot 0.5
    chosen = framer.create_engine("diffusion", model_dir=tiny_dirs[0], svd_dir=tiny_dirs[1], conditioning_scale=0.8,
                                  **{**SMALL, "num_inference_steps": 1})  # fmt: skip
    seen.clear()
    chosen.generate(*keyframes, 5, drawn)
    chosen.generate(*keyframes, 5, drawn, refine_tracks=True)
    assert [options.conditioning_scale for _, _, options in seen] == [0.8, 0.8]
    assert chosen.identity()["options"]["conditioning_scale"] == 0.8
    assert engine.identity()["options"]["conditioning_scale"] is None and engine.identity()["fit"] == "stretch"


def test_diffusion_cli_options_of_issue_18(capsys):
    import click

    from framer.cli.options import diffusion_engine_options

    given = {"work_fit": "pad", "decode_chunk_size": 2, "release_compat": True, "work_size": "512x320"}
    assert diffusion_engine_options("diffusion", given) == {
        "fit": "pad", "decode_chunk_size": 2, "release_compat": True, "size": (512, 320)
    }  # fmt: skip
    with pytest.raises(click.UsageError, match=r"^--decode-chunk, --release-compat, --work-fit apply only with"):
        diffusion_engine_options("flow", {"work_fit": "pad", "decode_chunk_size": 2, "release_compat": True})
    assert main(["tween", "a.png", "b.png", "--decode-chunk", "0", "-o", "x/"]) == 2
    assert "--decode-chunk" in capsys.readouterr().err
