"""``framer.applications.cartoon``: the check on synthetic line art and Big Buck Bunny (real weights), held drawings,
the measures, and the API's refusals.

The line-art cases come from ``benchmarks/applications_cartoon.py`` (the benchmark behind the figures in
``docs/gallery.md``); here they are smaller and at t = 0.5 only.
"""

from __future__ import annotations

import dataclasses
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
    double_line_pixels,
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


def test_double_line_pixels_counts_two_copies_not_one_misplaced_line() -> None:
    truth = _line(20)
    ghost = _line(20, 125)
    ghost[:, 26:28] = 125  # two faint copies 6 px apart where the truth has one line
    both_off = _line(15, 125)
    both_off[:, 22:24] = 125  # two faint copies 7 px apart, neither on the true line
    assert double_line_pixels(ghost, truth) == 4 * 48
    assert double_line_pixels(both_off, truth) == 4 * 48
    assert double_line_pixels(_line(30), truth) == 0  # one line in the wrong place: stray, not double
    assert ghost_line_pixels(_line(30), truth) == 2 * 48
    hatching = _line(20)
    hatching[:, 26:28] = 20
    assert double_line_pixels(hatching, hatching) == 0  # parallel lines the truth has are not doubles


def test_edge_sharpness_drops_for_a_blurred_line() -> None:
    sharp = _line(20)
    edges = cv2.Canny(cv2.cvtColor(sharp, cv2.COLOR_RGB2GRAY), 50, 150) > 0
    blurred = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    assert edge_sharpness(blurred, edges) < 0.5 * edge_sharpness(sharp, edges)


@pytest.mark.parametrize(
    ("name", "width", "height", "times"),
    [
        ("large", 320, 224, (0.25, 0.5, 0.75)),
        ("hatch", 256, 176, (0.5,)),
        ("fast", 320, 224, (0.5,)),
        ("fast-strokes", 320, 224, (0.5,)),
    ],
)
def test_line_art_in_betweens_are_sharp_and_single(bench, flow_engine, name, width, height, times) -> None:
    """Check 3 on synthetic line art: ``large`` (shapes shift 24-30 px and turn 20 degrees: plain interpolation
    draws stray and double lines and misplaces the outlines), ``hatch`` (parallel inner strokes 6 px apart),
    ``fast`` (shapes shift 45-56 px and turn 30 degrees; in keyframe 1 a stroke crosses a shape) and ``fast-strokes``
    (ink strokes shift 38-48 px and turn 30 degrees), both beyond the flow network's reach: plain interpolation
    smears them. The drawings are matched whole and pre-aligned, so the cartoon in-between is sharp and close to the
    truth, and its double-line count at most half plain's: none where plain draws none (``fast-strokes`` at t = 0.5
    had 10, faint specks where the strokes left the paper: ``test_vacated_paper_is_sampled_away_from_ink``). On
    ``fast`` it is halved over t = 0.25-0.75 (benchmark: 152 -> 35), not at t = 0.5 alone (18 -> 12)."""
    case = bench.make_line_art_case(name, width=width, height=height, times=times)
    keyframes = list(case.keyframes)
    plain = framer.interpolate(keyframes, times=list(times), engine=flow_engine)
    toon = cartoon(keyframes, times=list(times), engine=cartoon_engine(flow_engine))
    figures = bench.measure(case, {"plain": plain, "cartoon": toon})
    assert figures["cartoon"]["sharp"] >= 0.8
    assert figures["cartoon"]["ghost"] <= figures["plain"]["ghost"] / 2
    assert figures["cartoon"]["psnr"] >= figures["plain"]["psnr"] + (0.5 if name == "hatch" else 5.0)
    if name != "fast":
        assert figures["cartoon"]["double"] <= figures["plain"]["double"] // 2
    if name == "large":
        assert figures["plain"]["sharp"] < 0.8 and figures["plain"]["ghost"] >= 20 and figures["plain"]["double"] >= 40
    if name.startswith("fast"):
        assert figures["plain"]["sharp"] < 0.4


def test_matching_can_be_turned_off(bench, flow_engine) -> None:
    """``match=False``: the line choice alone, which cannot place drawings beyond the network's reach."""
    case = bench.make_line_art_case("fast-strokes", times=(0.5,))
    toon = cartoon(list(case.keyframes), times=[0.5], engine=cartoon_engine(flow_engine, match=False))
    assert bench.measure(case, {"cartoon": toon})["cartoon"]["sharp"] < 0.4


def test_drawings_paired_wrongly_give_way_to_the_pair_as_it_is(bench, flow_engine, monkeypatch, caplog) -> None:
    """The matched pre-alignment is kept only where the network carries the keyframes to the middle frame more
    consistently with it: the right pairs on ``large`` are kept; the same pairs with each drawing turned 20 degrees
    too far about its place in keyframe 1 (as when a part of a drawing turns on its own, an arm on a body) are
    measured worse, and the in-between is then the line choice on the pair as it is."""
    import framer.applications.cartoon as module
    from framer.motion.homography import apply_homography

    case = bench.make_line_art_case("large", width=320, height=224, times=(0.5,))
    keyframes = list(case.keyframes)
    caplog.set_level("DEBUG", logger="framer")  # the choice is logged at debug level (once a pair in video)
    right = cartoon(keyframes, times=[0.5], engine=cartoon_engine(flow_engine))
    assert "using drawings" in caplog.text
    real = module.drawing_layers

    def misplaced(image0, image1):
        alignment = real(image0, image1)
        homographies = alignment.layers.homographies.copy()
        for homography, centre in zip(homographies[:-1], alignment.layers.centres[:-1], strict=True):
            turn = cv2.getRotationMatrix2D(tuple(apply_homography(homography, centre)), 20.0, 1.0)
            homography[:] = np.vstack([turn, [0.0, 0.0, 1.0]]) @ homography  # each drawing; not the paper (last)
        layers = dataclasses.replace(alignment.layers, homographies=homographies)
        return dataclasses.replace(alignment, layers=layers)

    monkeypatch.setattr(module, "drawing_layers", misplaced)
    caplog.clear()
    wrong = cartoon(keyframes, times=[0.5], engine=cartoon_engine(flow_engine))
    assert "using plain" in caplog.text
    alone = cartoon(keyframes, times=[0.5], engine=cartoon_engine(flow_engine, match=False))
    np.testing.assert_array_equal(wrong[0], alone[0])
    figures = bench.measure(case, {"right": right, "wrong": wrong})
    assert figures["right"]["psnr"] > figures["wrong"]["psnr"] + 5.0


def test_agreed_ink_is_the_share_of_the_lines_both_keyframes_put_in_one_place() -> None:
    from framer.applications.cartoon import _agreed_ink

    lines = np.zeros((48, 64), np.float32)
    lines[:, 20:22] = 1.0
    moved = np.roll(lines, 6, axis=1)  # the line 6 px further right in keyframe 1
    ys, xs = np.mgrid[:48, :64].astype(np.float32)
    still = np.stack([xs, ys], -1)
    shift = np.array([3.0, 0.0], np.float32)
    halfway0, halfway1 = still - shift, still + shift  # the middle frame's line at x = 23-24
    assert _agreed_ink(lines, moved, halfway0, halfway1) == pytest.approx(1.0)  # carried right: all of it agrees
    assert _agreed_ink(lines, moved, still, still) == pytest.approx(0.0)  # in place: two lines apart, none agrees
    off = still.copy()
    off[:, :32] = -1e4  # the left half only keyframe 1 shows: nothing there is checked
    assert _agreed_ink(lines, moved, np.where(off < -1, off, halfway0), halfway1) == pytest.approx(0.0)


def test_big_buck_bunny_is_not_line_art_and_is_left_to_the_flow_engine(bench, flow_engine) -> None:
    """The real cartoon triplet at half size (640x360) is a rendered 3D cartoon, not line art on flat colour: no
    drawings on paper to match, and the line choice (which drew more stray and double lines there) is not applied,
    so the in-between is plain interpolation's, sharp (>= 0.8) but its stray and double lines not halved (see
    docs/gallery.md)."""
    case = bench.bbb_case(0.5)
    keyframes = list(case.keyframes)
    plain = framer.interpolate(keyframes, times=[0.5], engine=flow_engine)
    toon = cartoon(keyframes, times=[0.5], engine=cartoon_engine(flow_engine))
    np.testing.assert_array_equal(toon[0], plain[0])
    figures = bench.measure(case, {"cartoon": toon})
    assert figures["cartoon"]["sharp"] >= 0.8


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
