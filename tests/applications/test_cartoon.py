"""``framer.applications.cartoon``: the check on synthetic line art and Big Buck Bunny (real weights), held drawings,
the measures, and the API's refusals.

The line-art cases come from ``benchmarks/applications_cartoon.py`` (the benchmark behind the figures in
``docs/gallery.md``); here they are smaller and at t = 0.5 only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import framer
from framer.applications.cartoon import (
    cartoon,
    cartoon_engine,
    edge_sharpness,
    fill_holds,
    find_drawings,
    ghost_line_pixels,
)
from framer.errors import InputError, ShapeError

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # faster on a busy 2-core runner (tests/conftest.py)

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "applications_cartoon.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("applications_cartoon", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _line(x: int, value: int = 20) -> np.ndarray:
    image = np.full((48, 64, 3), 230, np.uint8)
    image[:, x : x + 2] = value
    return image


def test_ghost_line_pixels_counts_lines_away_from_the_true_ones() -> None:
    truth = _line(20)
    double = truth.copy()
    double[:, 40:42] = 125  # a faint second copy 20 px away
    assert ghost_line_pixels(truth, truth) == 0
    assert ghost_line_pixels(_line(21), truth) == 0  # 1 px off is within the tolerance
    assert ghost_line_pixels(double, truth) == 2 * 48


def test_edge_sharpness_drops_for_a_blurred_line() -> None:
    sharp = _line(20)
    edges = cv2.Canny(cv2.cvtColor(sharp, cv2.COLOR_RGB2GRAY), 50, 150) > 0
    blurred = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    assert edge_sharpness(blurred, edges) < 0.5 * edge_sharpness(sharp, edges)


@pytest.mark.parametrize(("name", "width", "height"), [("large", 320, 224), ("hatch", 256, 176)])
def test_line_art_in_betweens_are_sharp_and_single(bench, flow_engine, name, width, height) -> None:
    """Check 3 on two synthetic cases: ``large`` (shapes shift 24-30 px and turn 20 degrees: plain interpolation
    draws stray lines), the worst of t = 0.25, 0.5, 0.75, and ``hatch`` (parallel inner strokes 6 px apart) at 0.5."""
    times = [0.25, 0.5, 0.75] if name == "large" else [0.5]
    case = bench.make_line_art_case(name, width=width, height=height, times=tuple(times))
    keyframes = list(case.keyframes)
    plain = framer.interpolate(keyframes, times=times, engine=flow_engine)
    toon = cartoon(keyframes, times=times, engine=cartoon_engine(flow_engine))
    figures = bench.measure(case, {"plain": plain, "cartoon": toon})
    assert figures["cartoon"]["ghost"] <= figures["plain"]["ghost"] / 2
    assert figures["cartoon"]["psnr"] >= figures["plain"]["psnr"] - 0.2
    if name == "large":  # both place the shapes off the truth by a pixel or two: below 0.8 (0.77 both)
        assert figures["plain"]["ghost"] >= 10
        assert figures["cartoon"]["sharp"] >= figures["plain"]["sharp"] - 0.02
    else:
        assert figures["cartoon"]["sharp"] >= 0.8


def test_big_buck_bunny_keeps_sharpness_and_quality(bench, flow_engine) -> None:
    """The real cartoon triplet at half size (640x360): the in-between stays as sharp and as close to the truth as
    plain interpolation's. (Its double-line count is not halved: see docs/gallery.md.)"""
    case = bench.bbb_case(0.5)
    keyframes = list(case.keyframes)
    plain = framer.interpolate(keyframes, times=[0.5], engine=flow_engine)
    toon = cartoon(keyframes, times=[0.5], engine=cartoon_engine(flow_engine))
    figures = bench.measure(case, {"plain": plain, "cartoon": toon})
    assert figures["cartoon"]["sharp"] >= 0.8
    assert figures["cartoon"]["psnr"] >= figures["plain"]["psnr"] - 0.2


def test_find_drawings_groups_held_frames_with_their_times() -> None:
    rng = np.random.default_rng(0)
    frames = [_line(10), _line(10), _line(30), _line(30), _line(30), _line(50)]
    frames[1][5:9, 40:44] += rng.integers(1, 3, (4, 4, 3)).astype(np.uint8)  # a held copy, slightly recompressed
    drawings = find_drawings(frames, fps=12)
    assert [(d.index, d.count) for d in drawings] == [(0, 2), (2, 3), (5, 1)]
    assert [d.time for d in drawings] == pytest.approx([0.0, 2 / 12, 5 / 12])


def test_find_drawings_finds_the_pulldown_repeats_of_big_buck_bunny(shared_data) -> None:
    """The clip's five exactly repeated frames (24-to-25 fps pulldown, listed in the data's MANIFEST.md), decoded
    from H.264 so not bit-exact, and no other hold."""
    import av

    with av.open(str(shared_data / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4")) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    drawings = find_drawings(frames, fps=25)
    assert len(frames) == 132 and len(drawings) == 127
    assert [(d.index, d.count) for d in drawings if d.count > 1] == [(6, 2), (31, 2), (56, 2), (81, 2), (106, 2)]
    assert drawings[7].time == pytest.approx(8 / 25)


def test_fill_holds_replaces_held_copies_by_in_betweens_at_their_times(tiny_flow_engine) -> None:
    frames = [_line(10), _line(10), _line(30), _line(30), _line(30), _line(50)]
    filled = fill_holds(frames, engine=tiny_flow_engine)
    assert len(filled) == 6
    for index in (0, 2, 5):
        np.testing.assert_array_equal(filled[index], frames[index])
    expected = framer.interpolate(
        [frames[2], frames[5]], times=[1 / 3, 2 / 3], engine=cartoon_engine(tiny_flow_engine)
    )
    np.testing.assert_array_equal(filled[3], expected[0])
    np.testing.assert_array_equal(filled[4], expected[1])


def test_refusals_are_one_sentence(tiny_flow_engine, tmp_path) -> None:
    engine = cartoon_engine(tiny_flow_engine)
    with pytest.raises(InputError, match="At least two keyframes"):
        cartoon([_line(10)], engine=engine)
    with pytest.raises(ShapeError, match="differ in size"):
        cartoon([_line(10), _line(10)[:40]], engine=engine)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"nope")
    with pytest.raises(OSError, match=r"broken\.png"):
        cartoon([_line(10), broken], engine=engine)
    with pytest.raises(InputError, match="At least two frames"):
        find_drawings([_line(10)])
    with pytest.raises(InputError, match="differ in size"):
        find_drawings([_line(10), _line(10)[:40]])
