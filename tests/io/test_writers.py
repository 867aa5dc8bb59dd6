"""framer.io.writers: output kinds, atomic writes, and never overwriting without being asked."""

from __future__ import annotations

import hashlib
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from PIL import Image, ImageSequence

import framer
from framer.errors import InputError, OutputExistsError
from framer.io import atomic, writers
from framer.io.images import read_image
from framer.io.writers import check_output, output_kind, write_frames

HEIGHT, WIDTH = 181, 317  # odd on purpose


@pytest.fixture(scope="module")
def frames(street_pair) -> list[np.ndarray]:
    """Five real RGB frames ``(181, 317, 3)`` uint8: the keyframes and three blends between them."""
    a, b = (cv2.resize(read_image(p), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA) for p in street_pair)
    return [np.round(a * (1 - w) + b * w).astype(np.uint8) for w in np.linspace(0, 1, 5)]


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _decode_video(path) -> tuple[list[np.ndarray], Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return decoded, stream.average_rate


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


class TestOutputKind:
    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("frames", "folder"),
            ("out/frames", "folder"),
            ("a.mp4", "video"),
            ("a.MKV", "video"),
            ("a.mov", "video"),
            ("a.gif", "animation"),
            ("a.WebP", "animation"),
        ],
    )
    def test_kind_follows_the_suffix(self, name, kind, tmp_path):
        assert output_kind(tmp_path / name) == kind

    def test_an_existing_folder_with_a_dot_is_a_folder(self, tmp_path):
        (tmp_path / "take.2").mkdir()
        assert output_kind(tmp_path / "take.2") == "folder"

    @pytest.mark.parametrize("name", ["a.png", "a.JPG", "a.tiff"])
    def test_single_image_names_are_refused(self, name):
        with pytest.raises(InputError, match="names a single image, but several frames are written"):
            output_kind(name)

    def test_unknown_suffix_is_refused(self):
        with pytest.raises(InputError, match=r"Output suffix '\.avi' is not supported"):
            output_kind("clip.avi")


class TestCheckOutput:
    def test_new_and_empty_outputs_are_fine(self, tmp_path):
        (tmp_path / "empty").mkdir()
        assert check_output(tmp_path / "new.mp4") == tmp_path / "new.mp4"
        assert check_output(tmp_path / "empty") == tmp_path / "empty"

    @pytest.mark.parametrize("name", ["out.mp4", "frames"])
    def test_existing_output_needs_overwrite(self, name, tmp_path):
        target = tmp_path / name
        if name == "frames":
            target.mkdir()
            (target / "frame_00001.png").write_bytes(b"x")
        else:
            target.write_bytes(b"x")
        with pytest.raises(OutputExistsError, match="already exists and is not empty; pass --overwrite") as info:
            check_output(target)
        assert isinstance(info.value, FileExistsError)
        assert check_output(target, overwrite=True) == target

    def test_output_equal_to_an_input_is_refused_even_with_overwrite(self, tmp_path):
        (tmp_path / "a.webp").write_bytes(b"x")
        with pytest.raises(InputError, match="would overwrite the input"):
            check_output(tmp_path / "sub" / ".." / "a.webp", overwrite=True, inputs=[tmp_path / "a.webp"])

    def test_output_folder_holding_an_input_is_refused(self, tmp_path):
        (tmp_path / "a.png").write_bytes(b"x")
        with pytest.raises(InputError, match="would overwrite the input"):
            check_output(tmp_path, overwrite=True, inputs=[tmp_path / "a.png"])

    def test_kind_clash_with_what_exists(self, tmp_path):
        (tmp_path / "frames").write_bytes(b"x")
        (tmp_path / "clip.mp4").mkdir()
        (tmp_path / "clip.mp4" / "x").write_bytes(b"x")
        with pytest.raises(InputError, match="is a file, but a folder of frames was asked for"):
            check_output(tmp_path / "frames", overwrite=True)
        with pytest.raises(InputError, match="is a folder, but a video file was asked for"):
            check_output(tmp_path / "clip.mp4", overwrite=True)


class TestFolder:
    @pytest.mark.parametrize(
        ("channels", "dtype"), [(1, np.uint8), (3, np.uint8), (4, np.uint8), (1, np.uint16), (3, np.uint16)]
    )
    def test_frames_round_trip_exactly_with_their_bit_depth_and_channels(self, channels, dtype, tmp_path):
        rng = np.random.default_rng(channels)
        shape = (HEIGHT, WIDTH) if channels == 1 else (HEIGHT, WIDTH, channels)
        data = [rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype) for _ in range(3)]
        out = write_frames(data, tmp_path / "frames")
        assert sorted(p.name for p in out.iterdir()) == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
        for index, frame in enumerate(data, start=1):
            back = read_image(out / f"frame_{index:05d}.png")
            assert back.dtype == dtype and np.array_equal(back, frame)

    def test_start_number(self, frames, tmp_path):
        out = write_frames(frames[:2], tmp_path / "frames", start_number=9)
        assert sorted(p.name for p in out.iterdir()) == ["frame_00009.png", "frame_00010.png"]

    def test_missing_parents_are_made(self, frames, tmp_path):
        out = write_frames(frames[:1], tmp_path / "a" / "b" / "frames")
        assert (out / "frame_00001.png").is_file()


class TestVideo:
    def test_mp4_has_every_frame_at_the_frame_rate(self, frames, tmp_path):
        path = write_frames(frames, tmp_path / "clip.mp4", fps=Fraction(30000, 1001))
        decoded, rate = _decode_video(path)
        assert len(decoded) == len(frames)
        assert rate == Fraction(30000, 1001)
        # yuv420p needs even sides: odd ones get one repeated row/column, the picture itself is untouched.
        assert decoded[0].shape == (HEIGHT + 1, WIDTH + 1, 3)
        # Lossy (H.264, 4:2:0), so: each decoded frame matches its own source (32.9-37.0 dB measured) far better
        # than its neighbours (28.0 dB at most), which also shows the order is kept.
        for index, ours in enumerate(decoded):
            scores = [_psnr(ours[:HEIGHT, :WIDTH], theirs) for theirs in frames]
            assert int(np.argmax(scores)) == index and scores[index] > 31

    def test_even_size_is_kept(self, frames, tmp_path):
        even = [f[:180, :316] for f in frames]
        decoded, _ = _decode_video(write_frames(even, tmp_path / "clip.mkv", fps=25))
        assert len(decoded) == 5 and decoded[0].shape == (180, 316, 3)

    def test_16_bit_grey_frames_are_converted(self, frames, tmp_path):
        grey16 = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257 for f in frames]
        decoded, _ = _decode_video(write_frames(grey16, tmp_path / "grey.mov"))
        assert len(decoded) == 5
        assert _psnr(decoded[2][:HEIGHT, :WIDTH, 0], (grey16[2] // 257).astype(np.uint8)) > 31

    def test_mp4_is_tagged_bt709_limited_range(self, tmp_path):
        # Frames from images are sRGB: stored as BT.709 limited-range YUV and tagged so, as framer video does.
        colour = np.zeros((48, 64, 3), np.uint8)
        colour[:] = (200, 40, 90)
        path = framer.write_frames([colour] * 3, tmp_path / "x.mp4", fps=24)
        with av.open(str(path)) as container:
            cc = container.streams.video[0].codec_context
            assert (cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range) == (1, 1, 1, 1)
            assert cc.pix_fmt == "yuv420p"
            first = next(container.decode(video=0))
        assert (int(first.colorspace), int(first.color_range)) == (1, 1)
        # Converted with the BT.709 matrix it is tagged with: read back with that matrix, the colour is kept.
        back = first.reformat(format="rgb24", src_colorspace=1, src_color_range=1, dst_color_range=2).to_ndarray()
        assert np.abs(back.astype(int) - colour).max() <= 3


class TestAnimation:
    def test_gif(self, frames, tmp_path):
        path = write_frames(frames, tmp_path / "anim.gif", fps=10)
        with Image.open(path) as im:
            assert im.n_frames == 5 and im.size == (WIDTH, HEIGHT)
            assert im.info["loop"] == 0 and im.info["duration"] == 100
            first = np.asarray(im.convert("RGB"))
        assert _psnr(first, frames[0]) > 25  # 256-colour palette

    def test_webp_keeps_alpha(self, frames, tmp_path):
        alpha = np.full((HEIGHT, WIDTH, 1), 255, np.uint8)
        alpha[:, : WIDTH // 2] = 0
        rgba = [np.concatenate([f, alpha], axis=2) for f in frames]
        path = write_frames(rgba, tmp_path / "anim.webp", fps=24)
        with Image.open(path) as im:
            assert im.n_frames == 5 and im.size == (WIDTH, HEIGHT)
            decoded = [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]
        assert decoded[0][:, : WIDTH // 2 - 2, 3].max() == 0
        assert decoded[0][:, WIDTH // 2 + 2 :, 3].min() == 255


class TestArguments:
    def test_no_frames(self, tmp_path):
        with pytest.raises(InputError, match="There are no frames to write"):
            write_frames([], tmp_path / "clip.mp4")

    @pytest.mark.parametrize("fps", [0, -24, float("nan"), float("inf"), "fast"])
    def test_bad_fps(self, frames, fps, tmp_path):
        with pytest.raises(InputError, match="`fps` must be"):
            write_frames(frames, tmp_path / "clip.mp4", fps=fps)
        assert list(tmp_path.iterdir()) == []


OUTPUTS = ["frames", "clip.mp4", "anim.gif", "anim.webp"]


class TestNoOverwrite:
    @pytest.mark.parametrize("name", OUTPUTS)
    def test_existing_output_is_left_byte_for_byte(self, frames, name, tmp_path):
        target = write_frames(frames[:2], tmp_path / name)
        before = _snapshot(target)
        with pytest.raises(OutputExistsError):
            write_frames(frames, target)
        assert _snapshot(target) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]

    @pytest.mark.parametrize("name", OUTPUTS)
    def test_overwrite_replaces(self, frames, name, tmp_path):
        target = write_frames(frames[:2], tmp_path / name)
        before = _snapshot(target)
        write_frames(frames, target, overwrite=True)
        assert _snapshot(target) != before
        assert _count_frames(target) == len(frames)
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]

    def test_overwriting_a_folder_of_frames_removes_its_old_frames(self, frames, tmp_path):
        target = write_frames(frames, tmp_path / "frames")
        assert len(list(target.iterdir())) > 2
        write_frames(frames[:2], target, overwrite=True)
        assert sorted(p.name for p in target.iterdir()) == ["frame_00001.png", "frame_00002.png"]

    def test_overwrite_refuses_a_folder_holding_files_framer_did_not_write(self, frames, tmp_path):
        target = write_frames(frames, tmp_path / "frames")
        (target / "notes.txt").write_text("mine")
        before = {p.name: p.read_bytes() for p in target.iterdir()}
        with pytest.raises(InputError, match=r"holds files framer did not write \(notes\.txt\)"):
            write_frames(frames[:2], target, overwrite=True)
        assert {p.name: p.read_bytes() for p in target.iterdir()} == before


class TestMoveIntoPlace:
    def test_a_failed_rename_puts_the_old_folder_back(self, tmp_path, monkeypatch):
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "keep.txt").write_text("old")
        (tmp_path / "new").mkdir()
        real = atomic.os.replace

        def failing(src, dst):
            if str(src).endswith("new"):
                raise OSError(5, "Input/output error")
            real(src, dst)

        monkeypatch.setattr(atomic.os, "replace", failing)
        with pytest.raises(OSError):
            atomic.move_into_place(tmp_path / "new", tmp_path / "out")
        assert (tmp_path / "out" / "keep.txt").read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "out"]

    def test_an_empty_folder_is_replaced_by_a_file(self, tmp_path):
        (tmp_path / "out.mp4").mkdir()
        (tmp_path / ".part").write_bytes(b"video")
        atomic.move_into_place(tmp_path / ".part", tmp_path / "out.mp4")
        assert (tmp_path / "out.mp4").read_bytes() == b"video" and len(list(tmp_path.iterdir())) == 1


class TestAtomic:
    """A failure half-way through leaves nothing behind, and a good output already there stays intact."""

    @staticmethod
    def _fail_on_third_frame(monkeypatch, error: BaseException) -> None:
        calls = {"n": 0}

        def failing(real):
            def wrapper(*args, **kwargs):
                calls["n"] += 1
                if calls["n"] == 3:
                    raise error
                return real(*args, **kwargs)

            return wrapper

        # Folders write each frame with write_png; videos and animations convert each with _to_uint8_rgb.
        monkeypatch.setattr(writers, "write_png", failing(writers.write_png))
        monkeypatch.setattr(writers, "_to_uint8_rgb", failing(writers._to_uint8_rgb))

    @pytest.mark.parametrize("name", OUTPUTS)
    @pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
    def test_failure_mid_write_keeps_the_existing_output(self, frames, name, error, tmp_path, monkeypatch):
        target = write_frames(frames[:2], tmp_path / name)
        before = _snapshot(target)
        self._fail_on_third_frame(monkeypatch, error)
        with pytest.raises(type(error)):
            write_frames(frames, target, overwrite=True)
        assert _snapshot(target) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no partial file or folder left

    @pytest.mark.parametrize("name", OUTPUTS)
    def test_failure_mid_write_leaves_no_output(self, frames, name, tmp_path, monkeypatch):
        self._fail_on_third_frame(monkeypatch, OSError(5, "Input/output error"))
        with pytest.raises(OSError):
            write_frames(frames, tmp_path / name)
        assert list(tmp_path.iterdir()) == []


def _snapshot(path) -> dict[str, str]:
    """Name -> SHA-256 of a file, or of every file in a folder."""
    if path.is_dir():
        return {p.name: _sha256(p) for p in sorted(path.iterdir())}
    return {path.name: _sha256(path)}


def _count_frames(path) -> int:
    if path.is_dir():
        return len(list(path.glob("frame_*.png")))
    if path.suffix == ".mp4":
        return len(_decode_video(path)[0])
    with Image.open(path) as im:
        return im.n_frames
