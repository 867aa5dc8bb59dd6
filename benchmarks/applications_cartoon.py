"""Cartoon benchmark (issue 17, check 3): line-preserving in-betweens against plain flow interpolation.

Cases:

1. **Synthetic line art** (:func:`make_line_art_case`): flat-filled shapes with 2 px black outlines (and, in
   ``strokes``, open ink strokes on white paper) that move and rotate between the keyframes; rendered 4x larger and
   shrunk (anti-aliased), so the true in-between at any t is known exactly.
2. **Big Buck Bunny** (``../shared/data/bbb_cartoon_triplet``): im1 and im3 (4 source frames apart) as keyframes,
   im2 as the truth; 1280x720, downscaled by ``--bbb-scale`` (default 0.5) for speed.

Per case, for the plain in-between (``framer.interpolate`` with the flow engine), the cartoon one
(``framer.applications.cartoon.cartoon``, drawings matched and pre-aligned) and the cartoon one without matching
(``match=False``: the line choice alone), all quantized to 8 bits as when written:

- ``sharp``: edge sharpness of the in-between (mean Sobel gradient magnitude on the true frame's Canny edges) over the
  keyframes' own (each on its own Canny edges, the two averaged). Target: cartoon >= 0.80.
- ``ghost``: the stray-line count, :func:`framer.applications.cartoon.ghost_line_pixels` (pixels drawn as a line,
  strength >= 0.25, with no true line within 2 px; a misplaced single line counts too). Target: cartoon <= plain / 2.
- ``double``: the double-line count, :func:`framer.applications.cartoon.double_line_pixels` (line pixels with a
  second, separate line 3-8 px beside them across the line where the truth has no such pair; specks left out): two
  copies of one stroke, wherever they are. Target: cartoon <= plain / 2.
- ``psnr``: against the truth (RGB, peak 1), so we see quality was not traded away.

    python benchmarks/applications_cartoon.py                 # all cases
    python benchmarks/applications_cartoon.py --cases translate,bbb --bbb-scale 1
    python benchmarks/applications_cartoon.py --gallery docs/images/gallery/cartoon.png   # the gallery montage
    python benchmarks/applications_cartoon.py --bbb-video      # how far the counts move on Big Buck Bunny unghosted

``--bbb-video`` asks what the two counts measure on rendered footage without ink lines: the check's own triplet, then
triplets of the Big Buck Bunny clip (``../shared/data/video_bigbuckbunny_audio``; frames s, s + 4, s + 8 for s = 0,
8, ..., the middle one the truth), all scaled by ``--bbb-scale``. Per triplet: plain interpolation's counts and PSNR;
the cartoon in-between's (the footage is not line art, so it is plain's); and three frames that draw no ghost copy of
any stroke, to show how far the counts move without one: the same network on the pair in reverse order, the true
frame shifted by one pixel, and plain's frame blurred by a Gaussian of 0.5 px (with its sharpness).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SYNTHETIC = ("translate", "rotate", "strokes", "large", "hatch", "fast", "fast-strokes")
CASES = (*SYNTHETIC, "bbb")
_SUPERSAMPLE = 4


@dataclass(frozen=True)
class LineArtCase:
    """A keyframe pair and the true frames between them.

    Attributes:
        keyframes: ``(2, H, W, 3)`` uint8 RGB at t = 0 and 1.
        times: the in-betweens' times.
        frames: ``(len(times), H, W, 3)`` uint8 RGB, the true in-betweens.
    """

    name: str
    keyframes: np.ndarray
    times: tuple[float, ...]
    frames: np.ndarray


@dataclass(frozen=True)
class _Shape:
    outline: np.ndarray  # (N, 2) closed outline (filled) or open stroke, px around the origin at the final size
    details: tuple[np.ndarray, ...]  # open strokes drawn inside, px around the origin
    centre: np.ndarray  # (2,) at t = 0
    shift: np.ndarray  # (2,) px from t = 0 to 1
    turn: float  # degrees from t = 0 to 1
    fill: tuple[int, int, int] | None  # None: an open stroke


def _outline(kind: str, radius: float, rng: np.random.Generator) -> np.ndarray:
    if kind == "ellipse":
        angles = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        ratio = rng.uniform(0.55, 0.9)
        return np.stack([radius * np.cos(angles), radius * ratio * np.sin(angles)], 1)
    if kind == "polygon":
        corners = int(rng.integers(4, 7))
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners)) + np.linspace(0, 0.5, corners)
        radii = radius * rng.uniform(0.75, 1.0, corners)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)
    xs = np.linspace(-radius, radius, 48)  # a wavy open stroke
    ys = 0.35 * radius * np.sin(xs / radius * np.pi * rng.uniform(1.0, 2.0) + rng.uniform(0, np.pi))
    return np.stack([xs, ys], 1)


def _hatching(radius: float, spacing: float) -> tuple[np.ndarray, ...]:
    """Parallel short strokes ``spacing`` px apart inside a shape of ``radius`` (shading, fur, folds)."""
    offsets = np.arange(-1.5, 2.0) * spacing
    return tuple(np.array([[-0.35 * radius, y - 0.2 * radius], [0.35 * radius, y - 0.1 * radius]]) for y in offsets)


# name: (shift px, turn degrees, hatching spacing px or 0, open strokes only)
_MOTIONS = {
    "translate": (12.0, 0.0, 0.0, False),
    "rotate": (4.0, 25.0, 0.0, False),
    "strokes": (14.0, 15.0, 0.0, True),
    "large": (30.0, 20.0, 0.0, False),
    "hatch": (10.0, 8.0, 6.0, False),
    "fast": (56.0, 30.0, 0.0, False),
    "fast-strokes": (48.0, 30.0, 0.0, True),
}


def _shapes(name: str, width: int, height: int, rng: np.random.Generator) -> list[_Shape]:
    shift, turn, spacing, strokes = _MOTIONS[name]
    columns, rows = 3, 2
    radius = 0.32 * min(width / columns, height / rows)
    shapes = []
    for index in range(columns * rows):
        kind = "stroke" if strokes or index == columns * rows - 1 else ("ellipse", "polygon")[index % 2]
        centre = np.array([(index % columns + 0.5) * width / columns, (index // columns + 0.5) * height / rows])
        centre += rng.uniform(-0.1, 0.1, 2) * radius
        angle = rng.uniform(0, 2 * np.pi)
        motion = shift * rng.uniform(0.8, 1.0) * np.array([np.cos(angle), np.sin(angle)])
        sign = rng.choice([-1.0, 1.0])
        fill = None if kind == "stroke" else tuple(int(v) for v in rng.integers(90, 250, 3))
        details = _hatching(radius, spacing) if spacing and fill is not None else ()
        shapes.append(_Shape(_outline(kind, radius, rng), details, centre, motion, turn * sign, fill))
    return shapes


def _render(shapes: list[_Shape], width: int, height: int, t: float, paper: tuple[int, int, int]) -> np.ndarray:
    """The scene at time ``t``: ``(H, W, 3)`` uint8, drawn 4x larger and shrunk with area averaging."""
    s = _SUPERSAMPLE
    canvas = np.empty((height * s, width * s, 3), np.uint8)
    canvas[:] = paper
    ink = (20, 20, 20)
    for shape in shapes:
        turn = np.deg2rad(shape.turn * t)
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])

        def place(points: np.ndarray, rotation=rotation, shape=shape) -> np.ndarray:
            moved = points @ rotation.T + shape.centre + t * shape.shift
            return np.round(moved * s).astype(np.int32).reshape(-1, 1, 2)

        if shape.fill is not None:
            cv2.fillPoly(canvas, [place(shape.outline)], shape.fill, cv2.LINE_8)
        cv2.polylines(canvas, [place(shape.outline)], shape.fill is not None, ink, 2 * s, cv2.LINE_8)
        for detail in shape.details:
            cv2.polylines(canvas, [place(detail)], False, ink, 2 * s, cv2.LINE_8)
    return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)


def make_line_art_case(
    name: str, width: int = 320, height: int = 224, times: tuple[float, ...] = (0.5,), seed: int = 0
) -> LineArtCase:
    """A synthetic line-art pair of kind ``name`` with the true in-betweens at ``times``.

    Six flat-filled shapes with 2 px ink outlines (the last an open stroke) on a 3x2 grid, each moving on its own
    (shifts in a random direction, turns of a fixed angle either way): ``translate`` shifts of 10-12 px; ``rotate``
    turns of 25 degrees (and 3-4 px shifts); ``strokes`` open ink strokes on white paper shifting 11-14 px and
    turning 15 degrees; ``large`` shifts of 24-30 px and turns of 20 degrees; ``hatch`` shapes with parallel inner
    strokes 6 px apart (shading) shifting 8-10 px and turning 8 degrees, the flow's classic ambiguity; ``fast`` and
    ``fast-strokes`` shifts of 45-56 and 38-48 px and turns of 30 degrees, beyond the flow network's reach.
    """
    if name not in SYNTHETIC:
        raise ValueError(f"Unknown line-art case {name!r}; one of {', '.join(SYNTHETIC)}.")
    rng = np.random.default_rng([seed, SYNTHETIC.index(name)])
    shapes = _shapes(name, width, height, rng)
    paper = (255, 255, 255) if name == "strokes" else (236, 228, 200)
    keyframes = np.stack([_render(shapes, width, height, t, paper) for t in (0.0, 1.0)])
    frames = np.stack([_render(shapes, width, height, t, paper) for t in times])
    return LineArtCase(name, keyframes, tuple(times), frames)


def bbb_case(scale: float = 0.5) -> LineArtCase:
    """The Big Buck Bunny triplet (im1, im3 keyframes; im2 the truth), scaled by ``scale``."""
    from framer.io.images import read_image

    folder = DATA / "bbb_cartoon_triplet"
    names = ("im1_frame010.png", "im2_frame014.png", "im3_frame018.png")
    images = _scaled([read_image(folder / name) for name in names], scale)
    return LineArtCase("bbb", np.stack([images[0], images[2]]), (0.5,), np.stack([images[1]]))


def _scaled(images: list[np.ndarray], scale: float) -> list[np.ndarray]:
    """``images`` of one size scaled by ``scale`` (area averaging), to even sizes; as they are at 1."""
    if scale == 1.0:
        return images
    height, width = images[0].shape[:2]
    size = (round(width * scale / 2) * 2, round(height * scale / 2) * 2)
    return [cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in images]


def _edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.Canny(grey, 50, 150) > 0


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) / 255.0 - b.astype(np.float64) / 255.0) ** 2))
    return 10.0 * np.log10(1.0 / max(mse, 1e-12))


def figures(keyframes: Sequence[np.ndarray], truths: Sequence[np.ndarray], frames: Sequence[np.ndarray]) -> dict:
    """The check's figures (module docstring) of one method's in-betweens ``frames`` against ``truths``, the worst
    over them; ``keyframes`` give the sharpness reference. ``benchmarks/cartoon_scenes.py`` measures with it too."""
    from framer.applications.cartoon import double_line_pixels, edge_sharpness, ghost_line_pixels

    reference = float(np.mean([edge_sharpness(k, _edges(k)) for k in keyframes]))
    pairs = list(zip(frames, truths, strict=True))
    return {
        "sharp": min(edge_sharpness(f, _edges(truth)) / reference for f, truth in pairs),
        "ghost": max(ghost_line_pixels(f, truth) for f, truth in pairs),
        "double": max(double_line_pixels(f, truth) for f, truth in pairs),
        "psnr": min(_psnr(f, truth) for f, truth in pairs),
    }


def measure(case: LineArtCase, results: dict[str, list[np.ndarray]]) -> dict:
    """The figures of one case (module docstring) for each method of ``results``."""
    measured = {label: figures(case.keyframes, case.frames, frames) for label, frames in results.items()}
    return {"case": case.name, **measured}


def run_case(case: LineArtCase, engine, wrapped: dict) -> dict:
    """Plain (``framer.interpolate``) and each wrapped engine's in-betweens (``cartoon(...)``), measured and timed."""
    import framer
    from framer.applications.cartoon import cartoon

    keyframes, times = list(case.keyframes), list(case.times)
    results, seconds = {}, {}
    for label, method in {"plain": engine, **wrapped}.items():
        start = time.perf_counter()
        if label == "plain":
            results[label] = framer.interpolate(keyframes, times=times, engine=engine)
        else:
            results[label] = cartoon(keyframes, times=times, engine=method)
        seconds[label] = time.perf_counter() - start
    return {**measure(case, results), "seconds": seconds}


def _labelled(image: np.ndarray, label: str) -> np.ndarray:
    image = image.copy()
    cv2.rectangle(image, (0, 0), (8 + 8 * len(label), 18), (255, 255, 255), -1)
    cv2.putText(image, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return image


def write_gallery(path: Path, engine) -> None:
    """Keyframe, plain in-between, cartoon in-between, truth, keyframe: the synthetic ``fast`` case at t = 0.5 and
    a crop of the Big Buck Bunny triplet (half size), one row each, as a PNG."""
    import framer
    from framer.applications.cartoon import cartoon, cartoon_engine

    rows = []
    crops = {"fast": (slice(None), slice(None)), "bbb": (slice(60, 284), slice(40, 360))}
    for name, crop in crops.items():
        case = bbb_case(0.5) if name == "bbb" else make_line_art_case(name, times=(0.5,))
        keyframes = list(case.keyframes)
        plain = framer.interpolate(keyframes, times=[0.5], engine=engine)[0]
        toon = cartoon(keyframes, times=[0.5], engine=cartoon_engine(engine))[0]
        panels = [(keyframes[0], "keyframe"), (plain, "plain"), (toon, "cartoon"), (case.frames[0], "truth"),
                  (keyframes[1], "keyframe")]  # fmt: skip
        rows.append(np.concatenate([_labelled(np.ascontiguousarray(p[crop]), label) for p, label in panels], 1))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 4), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def bbb_video_cases(scale: float = 0.5, gap: int = 4, stride: int = 8) -> list[LineArtCase]:
    """Triplets of the Big Buck Bunny clip: frames s and s + 2 * gap the keyframes, s + gap the truth, for s = 0,
    stride, ...; scaled by ``scale``."""
    from framer.video import open_video

    with open_video(DATA / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4") as video:
        frames = _scaled([frame.image for frame in video], scale)
    return [
        LineArtCase(f"bbb{s:03d}", np.stack([frames[s], frames[s + 2 * gap]]), (0.5,), np.stack([frames[s + gap]]))
        for s in range(0, len(frames) - 2 * gap, stride)
    ]


def run_bbb_video(engine, scale: float) -> None:
    """``--bbb-video`` (module docstring): per triplet, the counts of plain, cartoon and three unghosted frames."""
    import framer
    from framer.applications.cartoon import cartoon, cartoon_engine

    toon_engine = cartoon_engine(engine)
    print("triplet   plain: double ghost  psnr | cartoon double | reversed double | truth+1px double | "
          "blur 0.5px double sharp")  # fmt: skip
    ratios = []
    for case in [bbb_case(scale), *bbb_video_cases(scale)]:
        keyframes, truth = list(case.keyframes), list(case.frames)
        plain = framer.interpolate(keyframes, times=[0.5], engine=engine)
        toon = cartoon(keyframes, times=[0.5], engine=toon_engine)
        reverse = framer.interpolate(keyframes[::-1], times=[0.5], engine=engine)
        shifted = [np.roll(truth[0], 1, axis=1)]
        blurred = [cv2.GaussianBlur(plain[0], (0, 0), 0.5)]
        p, c, r, s, b = (figures(keyframes, truth, f) for f in (plain, toon, reverse, shifted, blurred))
        ratios.append(r["double"] / max(p["double"], 1))
        print(f"{case.name:8s} {p['double']:11d} {p['ghost']:5d} {p['psnr']:5.2f} | {c['double']:14d} | "
              f"{r['double']:8d} (x{ratios[-1]:.2f}) | {s['double']:16d} | {b['double']:12d} {b['sharp']:5.2f}",
              flush=True)  # fmt: skip
    print(f"reversed/plain double-line count over {len(ratios)} triplets: median x{np.median(ratios):.2f}, "
          f"from x{min(ratios):.2f} to x{max(ratios):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--bbb-scale", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--gallery", type=Path, default=None, help="write the gallery montage here and stop")
    parser.add_argument("--bbb-video", action="store_true", help="the counts on Big Buck Bunny triplets, unghosted")
    args = parser.parse_args()
    import framer
    from framer.applications.cartoon import cartoon_engine

    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    if args.gallery is not None:
        write_gallery(args.gallery, engine)
        return
    if args.bbb_video:
        run_bbb_video(engine, args.bbb_scale)
        return
    wrapped = {"cartoon": cartoon_engine(engine), "no-match": cartoon_engine(engine, match=False)}
    modes = list(wrapped)
    rows = []
    for name in args.cases.split(","):
        case = bbb_case(args.bbb_scale) if name == "bbb" else make_line_art_case(name, times=(0.25, 0.5, 0.75))
        row = run_case(case, engine, wrapped)
        rows.append(row)
        p = row["plain"]
        print(
            f"{name:12s} plain    sharp {p['sharp']:.2f} ghost {p['ghost']:5d}         double {p['double']:5d}"
            f"         psnr {p['psnr']:.2f} dB  [{row['seconds']['plain']:.1f} s]"
        )
        for mode in modes:
            c = row[mode]
            print(
                f"{'':12s} {mode:8s} sharp {c['sharp']:.2f} ghost {c['ghost']:5d} "
                f"(x{c['ghost'] / max(p['ghost'], 1):.2f}) double {c['double']:5d} "
                f"(x{c['double'] / max(p['double'], 1):.2f}) psnr {c['psnr']:.2f} dB  [{row['seconds'][mode]:.1f} s]",
                flush=True,
            )
    for mode in modes:
        sharp = min(row[mode]["sharp"] for row in rows)
        ghost = max(row[mode]["ghost"] / max(row["plain"]["ghost"], 1) for row in rows)
        double = max(row[mode]["double"] / max(row["plain"]["double"], 1) for row in rows)
        psnr = min(row[mode]["psnr"] - row["plain"]["psnr"] for row in rows)
        print(f"worst {mode}: sharp {sharp:.2f} (target >= 0.80), ghost cartoon/plain {ghost:.2f}, double "
              f"cartoon/plain {double:.2f} (targets <= 0.50; a count of 0 taken as 1), psnr cartoon - plain "
              f"{psnr:+.2f} dB")  # fmt: skip


if __name__ == "__main__":
    main()
