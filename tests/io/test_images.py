"""framer.io.images: reading keyframes of every supported kind, and refusing bad ones with one sentence."""

from __future__ import annotations

import hashlib
import os
import pathlib
import threading
import time
import warnings

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

import framer
from framer.errors import FramerError, ImageReadError, InputError, ResourceError
from framer.io.images import ImageFormat, float_rgb, probe_image, read_image

HEIGHT, WIDTH = 181, 317  # odd on purpose


@pytest.fixture(scope="module")
def rgb(street_pair) -> np.ndarray:
    """A real frame at an odd size, ``(181, 317, 3)`` uint8."""
    return cv2.resize(read_image(street_pair[0]), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_sentence(ex: BaseException) -> str:
    message = str(ex)
    assert "\n" not in message and message.endswith("."), message
    return message


class TestImageFormat:
    @pytest.mark.parametrize(
        ("shape", "dtype", "expected"),
        [
            ((4, 5), np.uint8, ImageFormat(1, 8)),
            ((4, 5, 3), np.uint8, ImageFormat(3, 8)),
            ((4, 5, 4), np.uint16, ImageFormat(4, 16)),
            ((4, 5), np.uint16, ImageFormat(1, 16)),
        ],
    )
    def test_of(self, shape, dtype, expected):
        fmt = ImageFormat.of(np.zeros(shape, dtype))
        assert fmt == expected
        assert fmt.dtype is dtype

    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            (ImageFormat(1, 8), ImageFormat(3, 8), ImageFormat(3, 8)),
            (ImageFormat(1, 8), ImageFormat(4, 8), ImageFormat(4, 8)),
            (ImageFormat(3, 8), ImageFormat(4, 8), ImageFormat(4, 8)),
            (ImageFormat(3, 16), ImageFormat(3, 8), ImageFormat(3, 16)),
            (ImageFormat(1, 16), ImageFormat(4, 8), ImageFormat(4, 16)),
            (ImageFormat(3, 8), ImageFormat(3, 8), ImageFormat(3, 8)),
        ],
    )
    def test_widen_is_wide_enough_for_both_and_symmetric(self, a, b, expected):
        assert a.widen(b) == expected
        assert b.widen(a) == expected


class TestReadFiles:
    def test_rgb_png_round_trips_exactly(self, rgb, tmp_path):
        Image.fromarray(rgb).save(tmp_path / "a.png")
        image = read_image(tmp_path / "a.png")
        assert image.dtype == np.uint8 and np.array_equal(image, rgb)

    def test_rgba_png_keeps_alpha(self, rgb, tmp_path):
        rgba = np.dstack([rgb, np.arange(WIDTH, dtype=np.uint8)[None, :].repeat(HEIGHT, 0)])
        Image.fromarray(rgba).save(tmp_path / "a.png")
        assert np.array_equal(read_image(tmp_path / "a.png"), rgba)

    def test_grey_png_stays_grey(self, rgb, tmp_path):
        grey = rgb[:, :, 1].copy()
        Image.fromarray(grey).save(tmp_path / "a.png")
        image = read_image(str(tmp_path / "a.png"))
        assert image.shape == (HEIGHT, WIDTH) and np.array_equal(image, grey)

    @pytest.mark.parametrize("channels", [1, 3, 4])
    def test_16_bit_png_keeps_all_16_bits(self, channels, tmp_path):
        values = np.random.default_rng(0).integers(0, 65536, (HEIGHT, WIDTH, channels), dtype=np.uint16)
        if channels == 1:
            stored = values[:, :, 0]
        else:
            stored = cv2.cvtColor(values, cv2.COLOR_RGB2BGR if channels == 3 else cv2.COLOR_RGBA2BGRA)
        assert cv2.imwrite(str(tmp_path / "a.png"), stored)
        image = read_image(tmp_path / "a.png")
        assert image.dtype == np.uint16
        assert np.array_equal(image, values[:, :, 0] if channels == 1 else values)

    def test_jpeg_reads_as_rgb_close_to_the_original(self, rgb, tmp_path):
        Image.fromarray(rgb).save(tmp_path / "a.jpg", quality=95)
        image = read_image(tmp_path / "a.jpg")
        assert image.shape == rgb.shape and image.dtype == np.uint8
        assert np.abs(image.astype(int) - rgb).mean() < 3

    def test_lossless_webp_round_trips_exactly(self, rgb, tmp_path):
        Image.fromarray(rgb).save(tmp_path / "a.webp", lossless=True)
        assert np.array_equal(read_image(tmp_path / "a.webp"), rgb)

    def test_palette_with_transparency_becomes_rgba(self, tmp_path):
        im = Image.new("P", (7, 5), 0)
        im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
        im.putpixel((3, 2), 1)
        im.save(tmp_path / "a.png", transparency=0)
        image = read_image(tmp_path / "a.png")
        assert image.shape == (5, 7, 4)
        assert image[2, 3].tolist() == [255, 0, 0, 255] and image[0, 0, 3] == 0

    def test_grey_with_alpha_becomes_rgba(self, tmp_path):
        Image.new("LA", (6, 4), (100, 50)).save(tmp_path / "a.png")
        assert read_image(tmp_path / "a.png")[0, 0].tolist() == [100, 100, 100, 50]

    def test_exif_orientation_is_applied_and_probe_agrees(self, tmp_path):
        # A 64x40 picture stored with "rotate 90" (orientation 6): seen as 40 wide, 64 high.
        pixels = np.zeros((40, 64, 3), np.uint8)
        pixels[:, :32] = 255
        exif = Image.Exif()
        exif[0x0112] = 6
        for name in ("a.jpg", "b.jpg"):
            Image.fromarray(pixels).save(tmp_path / name, exif=exif, quality=95)
        assert read_image(tmp_path / "a.jpg").shape == (64, 40, 3)
        assert probe_image(tmp_path / "a.jpg") == (40, 64)
        frames = framer.load_keyframes([tmp_path / "a.jpg", tmp_path / "b.jpg"])
        assert frames[0].shape == (64, 40, 3)
        assert frames[0][:32].mean() > 250 and frames[0][32:].mean() < 5  # white half on top after the turn

    def test_reading_never_modifies_the_file(self, rgb, tmp_path):
        Image.fromarray(rgb).save(tmp_path / "a.png")
        before = _sha256(tmp_path / "a.png")
        read_image(tmp_path / "a.png")[:] = 0
        probe_image(tmp_path / "a.png")
        assert _sha256(tmp_path / "a.png") == before


class TestReadObjects:
    def test_pil_image(self, rgb):
        assert np.array_equal(read_image(Image.fromarray(rgb)), rgb)

    def test_uint8_array_is_copied(self, rgb):
        source = rgb.copy()
        image = read_image(source)
        image[:] = 0
        assert np.array_equal(source, rgb)

    def test_single_channel_array_becomes_grey(self):
        assert read_image(np.zeros((3, 4, 1), np.uint8)).shape == (3, 4)

    def test_float_array_is_kept_at_16_bit_precision(self):
        image = read_image(np.array([[0.0, 0.5, 1.0]], np.float32))
        assert image.dtype == np.uint16 and image.tolist() == [[0, 32768, 65535]]

    @pytest.mark.parametrize(
        ("array", "match"),
        [
            (np.zeros((3, 4, 2), np.uint8), r"must have shape \(H, W\), \(H, W, 3\) or \(H, W, 4\) but has"),
            (np.zeros((2, 3, 4, 3), np.uint8), "must have shape"),
            (np.zeros((0, 4, 3), np.uint8), "must not be empty"),
            (np.zeros((3, 4, 3), np.int32), "must be uint8, uint16 or float in \\[0, 1\\] but has dtype int32"),
            (np.full((3, 4), 1.5), r"must hold values in \[0, 1\] but holds \[1.5, 1.5\]"),
            (np.full((3, 4), np.nan), "NaN or infinite"),
        ],
    )
    def test_bad_arrays(self, array, match):
        with pytest.raises(InputError, match=match) as info:
            read_image(array)
        _one_sentence(info.value)

    def test_other_objects(self):
        with pytest.raises(InputError, match="must be a path, a PIL image or a numpy array, not list"):
            read_image([[0, 1]])


class TestBadFiles:
    @pytest.fixture
    def files(self, street_pair, tmp_path):
        data = street_pair[0].read_bytes()
        (tmp_path / "empty.png").write_bytes(b"")
        (tmp_path / "truncated.png").write_bytes(data[: len(data) // 3])
        (tmp_path / "notes.png").write_text("not an image\n")
        (tmp_path / "folder.png").mkdir()
        return tmp_path

    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            ("missing.png", "does not exist"),
            ("empty.png", "is empty (0 bytes)"),
            ("truncated.png", "is truncated or corrupt"),
            ("notes.png", "is not an image file framer can read"),
            ("folder.png", "is a folder, not an image file"),
        ],
    )
    def test_one_sentence_naming_the_file(self, files, name, rule):
        with pytest.raises(ImageReadError) as info:
            read_image(files / name)
        message = _one_sentence(info.value)
        assert message.startswith(f"Image {files / name} ") and rule in message
        assert isinstance(info.value, OSError) and isinstance(info.value, FramerError)

    def test_probe_reads_only_the_header_so_truncation_shows_on_decode(self, files):
        assert probe_image(files / "truncated.png") == (320, 180)


class TestNotRegularFiles:
    """Devices and pipes are refused before they are opened: /dev/zero used to be read until memory ran out (then
    "ran out of memory; downscale the keyframes"), and reading a FIFO blocks until someone writes to it."""

    @pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
    @pytest.mark.parametrize("read", [read_image, probe_image])
    def test_character_device_is_not_an_image_file(self, read):
        with pytest.raises(ImageReadError) as info:
            read("/dev/zero")
        message = _one_sentence(info.value)
        assert message == "Image /dev/zero is not an image file (it is a character device)."
        assert not isinstance(info.value, MemoryError)

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
    @pytest.mark.parametrize("read", [read_image, probe_image])
    def test_named_pipe_is_refused_without_opening_it(self, read, tmp_path):
        fifo = tmp_path / "pipe.png"
        os.mkfifo(fifo)
        done = threading.Event()

        def unblock_a_reader() -> None:  # should a reader open the pipe, give it end-of-file so the test ends
            while not done.wait(0.05):
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                    return
                except OSError:
                    continue  # ENXIO: nobody has the pipe open for reading

        writer = threading.Thread(target=unblock_a_reader, daemon=True)
        writer.start()
        try:
            with pytest.raises(ImageReadError) as info:
                read(fifo)
        finally:
            done.set()
            writer.join(5)
        message = _one_sentence(info.value)
        assert message == f"Image {fifo} is not an image file (it is a named pipe (FIFO))."

    def test_large_non_image_file_is_refused_from_its_header(self, tmp_path, monkeypatch):
        path = tmp_path / "video.png"
        path.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(1 << 20))

        def no_full_read(self):
            raise AssertionError(f"{self} was read whole")

        monkeypatch.setattr(pathlib.Path, "read_bytes", no_full_read)
        for read in (read_image, probe_image):
            with pytest.raises(ImageReadError) as info:
                read(path)
            assert "is not an image file framer can read" in _one_sentence(info.value)


class TestHugeImages:
    def test_refused_from_the_header(self, huge_png, monkeypatch):
        def no_decoding(self):
            raise AssertionError("the huge image was decoded")

        monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
        start = time.perf_counter()
        with pytest.raises(ResourceError) as info:
            probe_image(huge_png)
        assert time.perf_counter() - start < 5
        message = _one_sentence(info.value)
        assert "too large" in message and "downscale" in message and str(huge_png) in message
        assert isinstance(info.value, MemoryError)

    def test_large_image_is_probed_without_decoding_and_without_warnings(self, blank_png, tmp_path, monkeypatch):
        path = blank_png(tmp_path / "large.png", 12000, 9000)  # over Pillow's warning threshold, under its limit

        def no_decoding(self):
            raise AssertionError("the image was decoded")

        monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert probe_image(path) == (12000, 9000)


def test_float_rgb_scales_by_bit_depth_repeats_grey_and_drops_alpha():
    rgba16 = np.full((2, 3, 4), 65535, np.uint16)
    rgba16[..., 0] = 0
    grey8 = np.array([[0, 51], [255, 102]], np.uint8)
    assert float_rgb(rgba16).shape == (2, 3, 3) and float_rgb(rgba16)[0, 0].tolist() == [0.0, 1.0, 1.0]
    assert float_rgb(grey8)[1, 0].tolist() == [1.0, 1.0, 1.0]
    assert float_rgb(grey8)[0, 1] == pytest.approx([0.2, 0.2, 0.2])
    ready = np.zeros((2, 2, 3), np.float32)
    assert float_rgb(ready) is ready  # already float RGB: not copied
