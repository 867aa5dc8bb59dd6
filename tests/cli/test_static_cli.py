"""``--protect-static``, ``--static-mask`` and ``--show-static`` from the command line (video and tween)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from framer.io.atomic import write_png
from framer.io.images import read_image
from framer.synthetic.overlays import make_overlay_clip
from helpers.flow_tiny import TINY_IFNET_ENTRY, registered


@pytest.fixture
def model(tiny_flow_weights):
    with registered(TINY_IFNET_ENTRY):
        yield ["--model", TINY_IFNET_ENTRY.name, "--weights", str(tiny_flow_weights), "--device", "cpu"]


@pytest.fixture
def clip():
    return make_overlay_clip("logo", width=128, height=80, num_frames=8, speed=12)


@pytest.fixture
def source(tmp_path, clip):
    folder = tmp_path / "in"
    folder.mkdir()
    for k, frame in enumerate(clip.frames()):
        write_png(frame, folder / f"f{k:02d}.png")
    return folder


@pytest.fixture
def mask(tmp_path):
    image = np.zeros((80, 128), np.uint8)
    image[50:70, 10:60] = 255
    write_png(image, tmp_path / "mask.png")
    write_png(image[:40], tmp_path / "small.png")
    return tmp_path / "mask.png"


def test_video_keeps_the_logo_and_the_mask_and_says_how_much(cli, tmp_path, source, clip, mask, model):
    code, _, err = cli("video", source, "--multi", "2", "--input-fps", "24", "-o", tmp_path / "out",
                       "--static-mask", mask, "--show-static", tmp_path / "shown.mp4", *model)  # fmt: skip
    assert code == 0, err
    frames = clip.frames()
    logo = clip.overlays[0][1] > 0
    kept = logo.mean() + (50 * 20 - 0) / (128 * 80)  # the logo and the mask do not overlap
    assert f"{100 * kept:.1f}% of the frame kept still as static overlays" in err
    middle = read_image(tmp_path / "out" / "frame_00008.png")  # t = 0.5 of 3 -> 4: the nearer is frame 4
    assert np.array_equal(middle[logo], frames[4][logo])
    assert np.array_equal(middle[50:70, 10:60], frames[4][50:70, 10:60])
    with av.open(str(tmp_path / "shown.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == len(frames)  # one preview frame per source frame


def test_video_off_is_the_plain_interpolation(cli, tmp_path, source, clip, model):
    assert cli("video", source, "--multi", "2", "--input-fps", "24", "-o", tmp_path / "off",
               "--protect-static", "off", *model)[0] == 0  # fmt: skip
    logo = clip.overlays[0][1] > 0
    middle = read_image(tmp_path / "off" / "frame_00008.png")
    assert not np.array_equal(middle[logo], clip.frames()[4][logo])  # the untrained network's own pixels


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--protect-static", "sometimes"], 2, "'sometimes' is not one of 'auto', 'off'"),
        (["--static-mask", "{tmp}/small.png"], 1, "--static-mask {tmp}/small.png is 128x40 but the frames are 128x80"),
        (["--static-mask", "{tmp}/none.png"], 1, "--static-mask {tmp}/none.png could not be read"),
        (["--show-static", "{tmp}/in"], 1, "Output {tmp}/in would overwrite the input"),
    ],
)
def test_video_bad_static_options_are_one_sentence(cli, tmp_path, source, mask, model, options, code, message):
    options = [option.format(tmp=tmp_path) for option in options]
    result, _, err = cli("video", source, "--multi", "2", "--input-fps", "24", "-o", tmp_path / "out", *options,
                         *model)  # fmt: skip
    assert result == code
    assert message.format(tmp=tmp_path) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_tween_static_mask_keeps_the_nearer_keyframe(cli, tmp_path, clip, mask, model):
    frames = clip.frames()
    write_png(frames[0], tmp_path / "a.png")
    write_png(frames[1], tmp_path / "b.png")
    code, _, err = cli("tween", tmp_path / "a.png", tmp_path / "b.png", "--times", "0.25,0.75", "-o",
                       tmp_path / "out", "--static-mask", mask, *model)  # fmt: skip
    assert code == 0, err
    early, late = (read_image(tmp_path / "out" / f"frame_0000{k}.png") for k in (1, 2))
    assert np.array_equal(early[50:70, 10:60], frames[0][50:70, 10:60])
    assert np.array_equal(late[50:70, 10:60], frames[1][50:70, 10:60])
    assert not np.array_equal(early[:40], frames[0][:40])  # elsewhere: the engine's in-between
    code, _, err = cli("tween", tmp_path / "a.png", tmp_path / "b.png", "-n", "1", "-o", tmp_path / "bad",
                       "--static-mask", tmp_path / "small.png", *model)  # fmt: skip
    assert code == 1 and "--static-mask" in err and "is 128x40 but the frames are 128x80" in err
    assert not (tmp_path / "bad").exists()
