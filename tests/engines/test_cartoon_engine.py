"""The cartoon engine wrapper: line layer, the hard choice, and single lines where a soft blend draws two."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from framer.engines import Capabilities, Engine
from framer.engines.cartoon import CartoonEngine, hard_choice, line_layer
from framer.errors import InputError

WIDTH, HEIGHT = 64, 48


def _line_image(x: int, width: int = 2) -> np.ndarray:
    """``(H, W, 3)`` float: a vertical dark line ``width`` px wide at column ``x`` on light paper."""
    image = np.full((HEIGHT, WIDTH, 3), 0.9, np.float32)
    image[:, x : x + width] = 0.1
    return image


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0)


def _columns(frame: torch.Tensor) -> np.ndarray:
    """Mean grey of each column of a ``(1, 3, H, W)`` frame."""
    return frame[0].mean(0).mean(0).numpy()


class _MisalignedBlend(Engine):
    """A stand-in for a flow engine whose motion is ``error`` px off: it carries each keyframe to t with its
    (wrong) correspondences and blends the two halves 50/50, drawing a line that moved as two faint lines."""

    name = "stub"
    capabilities = Capabilities(correspondences=True)

    def __init__(self, motion: float, error: float) -> None:
        self.motion, self.error, self.device = motion, error, torch.device("cpu")

    def correspondence_maps(self, frame0, frame1, alignment, t=0.5):
        xs, ys = np.meshgrid(np.arange(WIDTH, dtype=np.float32), np.arange(HEIGHT, dtype=np.float32))
        to0 = np.stack([xs - t * self.motion + self.error, ys], -1)
        to1 = np.stack([xs + (1 - t) * self.motion - self.error, ys], -1)
        return to0, to1, np.zeros((HEIGHT, WIDTH), np.float32)

    def iter_frames(self, frame0, frame1, times, tracks=None, alignment=None):
        import cv2

        images = [frame[0].permute(1, 2, 0).numpy() for frame in (frame0, frame1)]
        for t in times:
            to0, to1, _ = _MisalignedBlend.correspondence_maps(self, frame0, frame1, None, t)
            warped = [cv2.remap(image, m[..., 0], m[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                      for image, m in zip(images, (to0, to1), strict=True)]  # fmt: skip
            yield _tensor(0.5 * warped[0] + 0.5 * warped[1])


def test_line_layer_finds_thin_dark_strokes_not_fills() -> None:
    image = _line_image(20)
    image[:, 40:60] = 0.1  # a 20 px dark fill
    strength = line_layer(image)
    assert strength[:, 20:22].min() == pytest.approx(1.0)
    assert strength[:, 24:38].max() == 0.0
    assert strength[:, 44:56].max() == 0.0  # the fill's inside is not a line


def test_hard_choice_follows_the_blend_and_breaks_ties_towards_the_nearer_keyframe() -> None:
    warped0, warped1 = _line_image(20), _line_image(30)
    leaning = 0.7 * warped0 + 0.3 * warped1
    np.testing.assert_allclose(hard_choice(leaning, warped0, warped1, 0.75), warped0, atol=1e-6)
    even = 0.5 * warped0 + 0.5 * warped1
    np.testing.assert_allclose(hard_choice(even, warped0, warped1, 0.5), warped0, atol=1e-6)
    np.testing.assert_allclose(hard_choice(even, warped0, warped1, 0.8), warped1, atol=1e-6)


def test_a_moving_line_stays_single_and_dark_where_the_blend_draws_two() -> None:
    frame0, frame1 = _tensor(_line_image(20)), _tensor(_line_image(40))
    inner = _MisalignedBlend(motion=20.0, error=3.0)  # the line's two copies land 6 px apart at t = 0.5
    plain = _columns(next(inner.iter_frames(frame0, frame1, [0.5])))
    toon = _columns(next(CartoonEngine(inner).iter_frames(frame0, frame1, [0.5])))
    assert (plain < 0.6).sum() == 4  # two faint 2 px lines (grey 0.5)
    assert plain.min() > 0.45
    dark = np.flatnonzero(toon < 0.3)
    assert len(dark) == 2 and dark[1] - dark[0] == 1  # one line, 2 px, as dark as in the keyframes
    assert toon.min() == pytest.approx(0.1, abs=0.02)
    assert (np.abs(toon - 0.9) < 0.02).sum() == WIDTH - 2  # the rest is paper again: the ghost is gone


def test_refuses_engines_without_correspondences_and_bad_settings() -> None:
    class NoMaps(_MisalignedBlend):
        name = "nomaps"
        capabilities = Capabilities()

    with pytest.raises(InputError, match="dense correspondences"):
        CartoonEngine(NoMaps(1.0, 0.0))
    with pytest.raises(InputError, match="line_width"):
        CartoonEngine(_MisalignedBlend(1.0, 0.0), line_width=0)
    with pytest.raises(InputError, match="aligner"):
        CartoonEngine(_MisalignedBlend(1.0, 0.0), aligner="drawings")
    with pytest.raises(InputError, match="Drag trajectories"):
        frame = _tensor(_line_image(20))
        next(CartoonEngine(_MisalignedBlend(1.0, 0.0)).iter_frames(frame, frame, [0.5], tracks=np.zeros((1, 3, 2))))


def test_identity_names_the_inner_engine_and_the_line_settings() -> None:
    identity = CartoonEngine(_MisalignedBlend(1.0, 0.0), line_width=2).identity()
    assert identity["engine"] == "stub"
    assert identity["cartoon"] == {"line_width": 2, "line_contrast": 0.25, "aligner": None, "line_art_only": False}


def test_a_pre_alignment_reaches_both_the_frames_and_the_correspondences() -> None:
    from framer.motion import identity_alignment

    seen = []

    class Aligning(_MisalignedBlend):
        capabilities = Capabilities(alignment=True, correspondences=True)

        def correspondence_maps(self, frame0, frame1, alignment, t=0.5):
            seen.append(("maps", alignment))
            return super().correspondence_maps(frame0, frame1, alignment, t)

        def iter_frames(self, frame0, frame1, times, tracks=None, alignment=None):
            seen.append(("frames", alignment))
            yield from super().iter_frames(frame0, frame1, times)

    frame = _tensor(_line_image(20))
    alignment = identity_alignment(WIDTH, HEIGHT)
    engine = CartoonEngine(Aligning(0.0, 0.0))
    assert engine.capabilities.alignment
    list(engine.iter_frames(frame, frame, [0.5], alignment=alignment))
    assert seen == [("frames", alignment), ("maps", alignment)]
    seen.clear()
    list(engine.iter_frames(frame, frame, [0.5]))  # without one, the maps get the identity
    assert seen[0] == ("frames", None) and seen[1][1] is not None and not seen[1][1].largest_motion()


class _Aligning(_MisalignedBlend):
    """Records the alignment each call gets."""

    capabilities = Capabilities(alignment=True, correspondences=True)

    def __init__(self, motion: float, error: float, seen: list) -> None:
        super().__init__(motion, error)
        self.seen = seen

    def correspondence_maps(self, frame0, frame1, alignment, t=0.5):
        self.seen.append(("maps", alignment))
        return super().correspondence_maps(frame0, frame1, alignment, t)

    def iter_frames(self, frame0, frame1, times, tracks=None, alignment=None):
        self.seen.append(("frames", alignment))
        yield from super().iter_frames(frame0, frame1, times)


def test_the_aligner_pre_aligns_a_pair_the_caller_gives_no_alignment_for() -> None:
    from framer.motion import identity_alignment

    seen, asked = [], []
    made = identity_alignment(WIDTH, HEIGHT)

    def aligner(image0: np.ndarray, image1: np.ndarray):
        asked.append((image0.shape, float(image0[0, 20, 0]), float(image1[0, 40, 0])))
        return made

    engine = CartoonEngine(_Aligning(20.0, 0.0, seen), aligner=aligner)
    assert engine.identity()["cartoon"]["aligner"].endswith("aligner")
    frame0, frame1 = _tensor(_line_image(20)), _tensor(_line_image(40))
    list(engine.iter_frames(frame0, frame1, [0.5]))
    assert asked == [((HEIGHT, WIDTH, 3), pytest.approx(0.1), pytest.approx(0.1))]  # the keyframes, as images
    assert seen == [("frames", made), ("maps", made)]
    seen.clear()
    given = identity_alignment(WIDTH, HEIGHT)
    list(engine.iter_frames(frame0, frame1, [0.5], alignment=given))  # the caller's alignment wins
    assert len(asked) == 1 and seen == [("frames", given), ("maps", given)]
    plain = CartoonEngine(_MisalignedBlend(20.0, 0.0), aligner=aligner)  # an engine that cannot pre-align
    assert plain.aligner is None


def test_frames_that_are_not_line_art_are_the_inner_engines_with_line_art_only() -> None:
    """Textured keyframes (no flat paper or fills): with ``line_art_only``, no line choice, the inner engine's frame
    as it is; without, the choice is made."""
    from framer.engines.cartoon import is_line_art

    rng = np.random.default_rng(0)
    textured = [np.clip(_line_image(x) + rng.normal(0, 0.05, (HEIGHT, WIDTH, 3)), 0, 1).astype(np.float32)
                for x in (20, 40)]  # fmt: skip
    assert not is_line_art(textured[0]) and is_line_art(_line_image(20))
    frame0, frame1 = _tensor(textured[0]), _tensor(textured[1])
    inner = _MisalignedBlend(motion=20.0, error=3.0)
    plain = next(inner.iter_frames(frame0, frame1, [0.5]))
    toon = next(CartoonEngine(inner, line_art_only=True).iter_frames(frame0, frame1, [0.5]))
    torch.testing.assert_close(toon, plain)
    chosen = next(CartoonEngine(inner).iter_frames(frame0, frame1, [0.5]))
    assert (chosen - plain).abs().max() > 0.2
