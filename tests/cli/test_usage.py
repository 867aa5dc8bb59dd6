"""Usage errors speak the CLI's language: exit 2, the option named, before PyTorch is imported; bad inputs refused.

Also: ``--fit`` (what ``--resize`` does to another shape, said in one line), a trajectory file of another shape,
a still image given to ``framer video``, the estimate and ``--yes`` of a large job, and the one out-of-space message.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from framer import api
from framer.cli.commands import LARGE_JOB_FRAMES
from framer.cli.main import main
from framer.io import atomic, fit

# Each case: arguments after ``framer tween A B -o OUT`` and what the one error line must say.
USAGE_ERRORS = [
    (["-n", "0"], "Invalid value for '-n' / '--num-frames': 0 is not in the range x>=1."),
    (["--times", "0,1.5"], "Invalid value for '--times': each must be a number strictly between 0 and 1, but 0 and "
                           "1.5 are not."),
    (["--times", "0.5,1.5"], "Invalid value for '--times': each must be a number strictly between 0 and 1, but 1.5 is "
                             "not."),
    (["--times", "0.5,0.25"], "Invalid value for '--times': must increase without repeats"),
    (["--device", "gpu"], "Invalid value for '--device': expected cpu, cuda, cuda:N, mps or auto, got 'gpu'."),
    (["--resize", "100"], "Invalid value for '--resize': expected WIDTHxHEIGHT"),
    (["--fps", "0"], "Invalid value for '--fps': must be positive, got '0'."),
    (["--fps", "fast"], "Invalid value for '--fps': expected a number or a ratio"),
    (["--fit", "wide"], "Invalid value for '--fit': 'wide' is not one of 'pad', 'crop', 'stretch'."),
]  # fmt: skip
API_NAMES = ("num_frames", "trajectory_frames", "`times`", "(101)")


def _frames(count: int) -> list[api.InterpolatedFrame]:
    """What the API would stream for ``count`` in-betweens (black), for tests of what the CLI does around it."""
    return [api.InterpolatedFrame(0, (i + 1) / (count + 1), np.zeros((32, 48, 3), np.uint8)) for i in range(count)]


def _png(path, width, height, value=0):
    rng = np.random.default_rng(value)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def pair(tmp_path):
    return _png(tmp_path / "a.png", 48, 32, 1), _png(tmp_path / "b.png", 48, 32, 2)


@pytest.mark.parametrize(("options", "complaint"), USAGE_ERRORS)
def test_usage_errors_exit_2_naming_the_option(cli, pair, tmp_path, options, complaint):
    code, out, err = cli("tween", *pair, "-o", tmp_path / "out", *options)
    assert code == 2 and out == ""
    assert f"Error: {complaint}" in err and "Traceback" not in err
    assert not any(name in err for name in API_NAMES), err
    assert not (tmp_path / "out").exists()


def test_usage_errors_come_before_pytorch_is_imported(pair, tmp_path):
    """In a fresh interpreter every usage error above exits 2 with neither PyTorch nor NumPy imported."""
    cases = [[str(pair[0]), str(pair[1]), "-o", str(tmp_path / "out"), *options] for options, _ in USAGE_ERRORS]
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from framer.cli.main import main
        results = []
        for case in {cases!r}:
            with contextlib.redirect_stderr(io.StringIO()):
                code = main(["tween", *case])
            results.append([code, "torch" in sys.modules, "numpy" in sys.modules])
        print(json.dumps(results))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == [[2, False, False]] * len(USAGE_ERRORS)


class TestFit:
    """``--resize WxH`` keeps the aspect (pad by default, or crop), or stretches with ``--fit stretch``."""

    @pytest.fixture
    def wide(self, tmp_path):
        """A 451x300 keyframe: grey 128 with a white 1-px border, so where its edges land can be seen."""
        image = np.full((300, 451, 3), 128, np.uint8)
        image[0, :], image[-1, :], image[:, 0], image[:, -1] = 255, 255, 255, 255
        Image.fromarray(image).save(tmp_path / "wide.png")
        return tmp_path / "wide.png"

    def test_pad_keeps_the_aspect_and_the_whole_picture(self, wide, caplog):
        caplog.set_level("INFO", logger="framer")
        frame = api.load_keyframes([wide, wide], resize="512x512")[0]  # the default fit is pad
        assert frame.shape == (512, 512, 3)
        rows = np.flatnonzero(frame[:, 256, 0] > 0)  # the picture: rows that are not the black padding
        assert (rows[0], rows[-1]) == (85, 85 + 341 - 1)  # 451x300 scaled to 512x341, centred
        assert np.all(frame[:85] == 0) and np.all(frame[85 + 341 :] == 0)
        assert abs(int(frame[256, 256, 0]) - 128) <= 1  # the middle is the grey picture, not stretched away
        assert "Scaled 451x300 to 512x341 and padded to 512x512." in caplog.messages

    def test_crop_fills_the_frame_and_cuts_the_sides(self, wide, caplog):
        caplog.set_level("INFO", logger="framer")
        frame = api.load_keyframes([wide, wide], resize=(512, 512), fit="crop")[0]
        assert frame.shape == (512, 512, 3)
        assert frame.min() > 100  # no padding anywhere
        assert frame[0, 256, 0] > 200 and frame[511, 256, 0] > 200  # top and bottom edges kept
        assert abs(int(frame[256, 0, 0]) - 128) <= 2  # the left and right edges (white) were cut off
        assert "Scaled 451x300 to 770x512 and cropped to 512x512." in caplog.messages

    def test_stretch_changes_the_aspect_and_says_so(self, wide, caplog):
        caplog.set_level("INFO", logger="framer")
        frame = api.load_keyframes([wide, wide], resize="512x512", fit="stretch")[0]
        assert frame.shape == (512, 512, 3)
        assert frame[0, 256, 0] > 200 and frame[256, 0, 0] > 200  # every edge is still at the frame's edge
        assert "Scaled 451x300 to 512x512, stretched (the aspect changed)." in caplog.messages

    def test_same_shape_is_only_scaled(self, wide, caplog):
        caplog.set_level("INFO", logger="framer")
        assert api.load_keyframes([wide, wide], resize="902x600", fit="crop")[0].shape == (600, 902, 3)
        assert "Scaled 451x300 to 902x600." in caplog.messages

    def test_a_drag_follows_the_padded_keyframe(self):
        placement = fit.placement((451, 300), (512, 512), "pad")
        [moved] = api._place_drags(
            api.load_drags(["0,0:450,299"], placement.scaled, (451, 300)), placement, (512, 512)
        )
        assert moved.points.ravel().tolist() == pytest.approx([0.0, 85.0, 511.0, 85.0 + 340.0], abs=0.6)

    def test_a_drag_cropped_away_is_refused(self):
        placement = fit.placement((451, 300), (512, 512), "crop")
        loaded = api.load_drags(["2,150:100,150"], placement.scaled, (451, 300))
        with pytest.raises(api.InputError, match="outside"):
            api._place_drags(loaded, placement, (512, 512))


def _trajectory_file(path, width, height):
    data = {"format": "framer-trajectories", "version": 1, "width": width, "height": height,
            "trajectories": [{"points": [[20, 10], [40, 20]]}]}  # fmt: skip
    path.write_text(json.dumps(data))
    return path


class TestTrajectoryShape:
    def test_a_file_of_another_shape_is_refused_before_the_model_loads(self, cli, pair, tmp_path, monkeypatch):
        def no_engine(*args, **kwargs):
            raise AssertionError("the engine was made")

        monkeypatch.setattr(api, "create_engine", no_engine)
        drawn = _trajectory_file(tmp_path / "t.json", 64, 64)  # the keyframes are 48x32
        code, _, err = cli("tween", *pair, "--trajectories", drawn, "-o", tmp_path / "out")
        assert code == 1
        assert err.splitlines()[-1] == (
            "framer: error: The trajectory file was drawn on a 64x64 frame, another shape than the 48x32 keyframes; "
            "draw it on frames of their shape, or pass --rescale-trajectories to stretch it onto them."
        )

    @pytest.mark.parametrize("size", [(48, 32), (96, 64), (481, 320)])  # same size, same shape, within 1 %
    def test_same_shape_is_rescaled(self, tmp_path, size):
        drawn = _trajectory_file(tmp_path / "t.json", *size)
        [trajectory] = api.load_drags(drawn, (48, 32))
        scale = 48 / size[0]
        assert trajectory.points[0, 0] == pytest.approx((20 + 0.5) * scale - 0.5)

    def test_rescale_trajectories_stretches_another_shape(self, tmp_path):
        drawn = _trajectory_file(tmp_path / "t.json", 64, 64)
        [trajectory] = api.load_drags(drawn, (48, 32), rescale=True)
        assert trajectory.points[1].tolist() == pytest.approx([40.5 * 48 / 64 - 0.5, 20.5 * 32 / 64 - 0.5])


def test_video_refuses_a_still_image(cli, pair, tmp_path):
    code, _, err = cli("video", pair[0], "--multi", "2", "-o", tmp_path / "out.mp4")
    assert code == 2
    assert f"Error: Invalid value for 'IN': {pair[0]} is a still image, not a video" in err
    assert not (tmp_path / "out.mp4").exists()


class TestLargeJob:
    def test_refused_without_yes_when_not_interactive(self, cli, pair, tmp_path, monkeypatch):
        monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
        code, _, err = cli("tween", *pair, "-n", LARGE_JOB_FRAMES + 1, "-o", tmp_path / "out")
        assert code == 2
        frames, memory = LARGE_JOB_FRAMES + 1, (LARGE_JOB_FRAMES + 1) * 48 * 32 * 4 / 2**20
        assert f"this job makes {frames} frames; they are held in memory until written (up to {memory:.0f} MiB)" in err
        assert f"Error: More than {LARGE_JOB_FRAMES} frames: pass --yes to start this job." in err

    def test_interactive_no_does_not_start(self, pair, tmp_path, monkeypatch, capsys):
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
        monkeypatch.setattr("click.confirm", lambda *args, **kwargs: False)
        assert main(["tween", *map(str, pair), "-n", str(LARGE_JOB_FRAMES + 1), "-o", str(tmp_path / "out")]) == 1
        assert capsys.readouterr().err.endswith("framer: not started.\n")

    def test_yes_starts_it(self, cli, pair, tmp_path, monkeypatch):
        started = []

        def iter_interpolate(keyframes, **options):
            started.append(options["num_frames"])
            return _frames(1)

        monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
        monkeypatch.setattr(api, "iter_interpolate", iter_interpolate)
        code, _, err = cli("tween", *pair, "-n", LARGE_JOB_FRAMES + 1, "--yes", "-o", tmp_path / "out")
        assert code == 0 and started == [LARGE_JOB_FRAMES + 1]
        assert f"this job makes {LARGE_JOB_FRAMES + 1} frames" in err

    def test_small_jobs_say_nothing_extra(self, cli, pair, tmp_path, monkeypatch):
        monkeypatch.setattr(api, "iter_interpolate", lambda keyframes, **options: _frames(3))
        code, _, err = cli("tween", *pair, "-n", "3", "-o", tmp_path / "out")
        assert code == 0 and "this job makes" not in err


def test_disk_full_is_one_message_from_the_cli(cli, pair, tmp_path, monkeypatch):
    monkeypatch.setattr(api, "iter_interpolate", lambda keyframes, **options: _frames(3))

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(atomic.Path, "write_bytes", full)
    code, _, err = cli("tween", *pair, "-n", "3", "-o", tmp_path / "out")
    assert code == 1
    assert err == (
        f"framer: error: Could not write {tmp_path / 'out'}: the disk is full; nothing was left behind, free some "
        "space and run again.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]


class TestStartLine:
    """A terminal gets one line at once, before the seconds of importing PyTorch; a log and -q do not."""

    def test_a_terminal_hears_at_once(self, tmp_path, capsys, monkeypatch):
        from framer.cli import options

        a, b = tmp_path / "a.png", tmp_path / "b.png"
        Image.new("RGB", (32, 24)).save(a)
        Image.new("RGB", (16, 12)).save(b)  # fails in the API, after the start line
        monkeypatch.setattr(options.sys.stderr, "isatty", lambda: True, raising=False)
        assert main(["tween", str(a), str(b), "-n", "1", "-o", str(tmp_path / "out")]) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines[0] == "framer: Starting (loading PyTorch and the model)..." and "differ in size" in lines[-1]
        assert main(["tween", str(a), str(b), "-n", "1", "-q", "-o", str(tmp_path / "out")]) == 1
        assert "Starting" not in capsys.readouterr().err

    def test_a_log_gets_no_start_line(self, tmp_path, capsys):
        a, b = tmp_path / "a.png", tmp_path / "b.png"
        Image.new("RGB", (32, 24)).save(a)
        Image.new("RGB", (16, 12)).save(b)
        assert main(["tween", str(a), str(b), "-n", "1", "-o", str(tmp_path / "out")]) == 1
        assert "Starting" not in capsys.readouterr().err
