"""Checks 1 and 5 of issue 17: ``framer morph`` on a synthetic bent pair, ``framer views`` on two planes at different
depths, both also on real data; and the gallery images.

Morph (check 1): a texture bent by a known smooth warp and recoloured (``framer.applications._morph_cases``), with
16 magenta landmarks the morph is never given. Printed per case: the landmarks' error in the middle frame against
the middle of their true places (mean and worst, px; target <= 3), and the middle frame's edge count (Canny after a
sigma-1 blur) against the keyframes' mean (target within 20%), beside a plain cross-fade's. Cases: drawn
correspondences on a 10x10 and a 6x6 grid (spline warp, and the mesh warp), the matcher's alone (refined with the
flow engine, and cross-faded).

Views (check 5): two textured planes, the front one at a third of the back one's depth, the camera moving sideways
(``framer.applications._views_cases``); PSNR of the in-between views at t = 0.25, 0.5, 0.75 against the rendered
truth, beside plain interpolation's (``framer.interpolate``, no guidance), five scenes (seeds) per parallax. Target:
>= plain + 3 dB where the parallax between the planes exceeds 32 px; printed: the worst gain there. Real: Sintel
frame_0016 -> frame_0024 (frames 0018, 0020, 0022 as truth; the scene is not static: a character moves, so this is
where views is not meant to hold).

Usage::

    python benchmarks/applications_morph_views.py --threads 2          # both checks (about 12 minutes, busy CPU)
    python benchmarks/applications_morph_views.py --threads 1 --skip-morph  # check 5 alone (about 2 minutes)
    python benchmarks/applications_morph_views.py --skip-morph --skip-views --gallery  # docs/images/gallery/
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
GALLERY = REPO / "docs" / "images" / "gallery"
PARALLAXES = (16, 32, 40, 48, 64, 96)
SEEDS = (0, 1, 2, 3, 4)
TIMES = (0.25, 0.5, 0.75)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch and OpenCV (default 2).")
    parser.add_argument("--skip-morph", action="store_true", help="Leave out check 1.")
    parser.add_argument("--skip-views", action="store_true", help="Leave out check 5.")
    parser.add_argument("--gallery", action="store_true", help="Write the gallery images too.")
    return parser.parse_args(argv)


def morph_check(engine) -> None:
    """Check 1, per case and worst case."""
    from framer.applications._morph_cases import edge_count, find_markers, make_morph_case
    from framer.applications.morph import morph

    print("Morph (check 1): landmark error in px at t = 0.5 (target <= 3); edges of the middle frame / keyframes")
    print(f"{'case':<28} {'mean':>6} {'worst':>6} {'edges':>6} {'keys':>6} {'ratio':>6} {'fade':>6} {'s':>5}")
    worst_error, worst_ratio = 0.0, 0.0  # over the default settings (the mesh warp and a cross-fade only shown)
    for name, grid, default, options in (
        ("drawn 10x10", 10, True, {"matcher": None}),
        ("drawn 6x6", 6, True, {"matcher": None}),
        ("drawn 6x6, mesh warp", 6, False, {"matcher": None, "warp": "mesh"}),
        ("matcher (sift), refined", 10, True, {"matcher": "sift", "refine": True, "engine": engine}),
        ("matcher (sift), cross-fade", 10, False, {"matcher": "sift", "refine": False}),
    ):
        case = make_morph_case(grid=grid)
        drawn = case.drawn if options["matcher"] is None else None
        start = time.perf_counter()
        middle = morph(case.image0, case.image1, 1, trajectories=drawn, include_keyframes=False, **options)[0]
        seconds = time.perf_counter() - start
        truth = case.markers_at(0.5)
        error = np.linalg.norm(find_markers(middle, truth) - truth, axis=1)
        error = np.where(np.isnan(error), np.inf, error)  # a landmark not found at all counts as a failure
        keys = (edge_count(case.image0) + edge_count(case.image1)) / 2.0
        fade = np.round((case.image0.astype(np.float64) + case.image1) / 2.0).astype(np.uint8)
        ratio = edge_count(middle) / keys
        if default:
            worst_error, worst_ratio = max(worst_error, float(error.max())), max(worst_ratio, abs(1.0 - ratio))
        print(
            f"{name:<28} {error.mean():6.2f} {error.max():6.2f} {edge_count(middle):6d} {keys:6.0f} {ratio:6.2f} "
            f"{edge_count(fade):6d} {seconds:5.1f}{'' if default else '  (not a default)'}"
        )
    print(f"defaults: worst landmark error {worst_error:.2f} px (target <= 3); worst edge-count change "
          f"{100 * worst_ratio:.0f}% (target within 20%)")  # fmt: skip


def views_check(engine) -> None:
    """Check 5, per case and worst case, then the front plane leaving the frame, then the real pair."""
    import framer
    from framer.applications._views_cases import make_views_case
    from framer.applications.views import views
    from framer.synthetic import psnr

    print("\nViews (check 5): PSNR (dB) of the in-between views at t = 0.25, 0.5, 0.75 against the rendered truth")
    print(f"{'parallax':>8} {'seed':>4} {'views':>6} {'plain':>6} {'gain':>6} {'s':>5}")
    worst = np.inf
    for parallax in PARALLAXES:
        for seed in SEEDS:
            made, plain, seconds = _views_scores(make_views_case(parallax, seed=seed), engine)
            if parallax > 32:
                worst = min(worst, made - plain)
            print(f"{parallax:8d} {seed:4d} {made:6.2f} {plain:6.2f} {made - plain:+6.2f} {seconds:5.1f}")
    print(f"worst gain where the parallax exceeds 32 px: {worst:+.2f} dB (target >= +3)")
    print("Front plane cut by the frame's edge (not in the target; `across`: its centre in the middle view / width):")
    for across in (0.2, 0.8):
        for seed in SEEDS[:3]:
            made, plain, _ = _views_scores(make_views_case(48, seed=seed, across=across), engine)
            print(f"  across {across:.1f}, parallax 48, seed {seed}: {made:6.2f} {plain:6.2f} {made - plain:+6.2f}")
    folder = DATA / "sintel_raft_demo"
    keys = [folder / "frame_0016.png", folder / "frame_0024.png"]
    truth = [framer.read_image(folder / f"frame_{i:04d}.png") for i in (18, 20, 22)]
    made = views(*keys, len(TIMES), engine=engine, include_keyframes=False)
    plain = framer.interpolate(keys, len(TIMES), engine=engine)
    print(f"Sintel 0016 -> 0024 (real, not static): views {psnr(made, truth):.2f}, plain {psnr(plain, truth):.2f}")


def _views_scores(case, engine) -> tuple[float, float, float]:
    """PSNR (dB) of ``framer views`` and of plain interpolation at ``TIMES`` on a two-plane case, and the seconds
    views took."""
    import framer
    from framer.applications.views import views
    from framer.synthetic import psnr

    truth = [case.truth(t) for t in TIMES]
    start = time.perf_counter()
    made = views(case.left, case.right, len(TIMES), engine=engine, include_keyframes=False)
    seconds = time.perf_counter() - start
    plain = framer.interpolate([case.left, case.right], len(TIMES), engine=engine)
    return psnr(made, truth), psnr(plain, truth), seconds


def gallery() -> None:
    """The gallery's morph GIF and montage (astronaut -> cat) and views GIF and montage (the two-plane scene of
    check 5 at 64 px parallax), made with the commands the gallery page shows."""
    import tempfile

    from framer.cli.main import main

    GALLERY.mkdir(parents=True, exist_ok=True)
    pair = REPO / "examples" / "morph"  # the astronaut's head and the cat at 256x256 (examples/morph/LICENSE.md)
    with tempfile.TemporaryDirectory() as work:
        base = ["morph", pair / "astronaut.png", pair / "chelsea.png", "--trajectories", pair / "points.json"]
        base.append("--overwrite")
        code = main([str(a) for a in [*base, "-n", "12", "--pingpong", "--fps", "12", "-o", GALLERY / "morph.gif"]])
        code |= main([str(a) for a in [*base, "-n", "3", "--include-keyframes", "-o", Path(work) / "morph"]])
        _montage([Path(work) / "morph"], GALLERY / "morph_montage.png")
        # Views: the two-plane scene of check 5 at 64 px parallax (seed 0), rows: views, plain tween, the truth.
        from PIL import Image

        from framer.applications._views_cases import make_views_case

        case = make_views_case(64, seed=0)
        left, right = Path(work) / "left.png", Path(work) / "right.png"
        Image.fromarray(case.left).save(left)
        Image.fromarray(case.right).save(right)
        views = ["views", left, right, "--overwrite"]
        code |= main([str(a) for a in [*views, "-n", "8", "--fps", "12", "-o", GALLERY / "views.gif"]])
        code |= main([str(a) for a in [*views, "-n", "3", "--include-keyframes", "-o", Path(work) / "v"]])
        plain = ["tween", left, right, "-n", "3", "--include-keyframes", "-o", Path(work) / "p"]
        code |= main([str(a) for a in plain])
        (Path(work) / "t").mkdir()
        for index, t in enumerate((0.0, 0.25, 0.5, 0.75, 1.0)):
            Image.fromarray(case.truth(t)).save(Path(work) / "t" / f"frame_{index:05d}.png")
        _montage([Path(work) / "v", Path(work) / "p", Path(work) / "t"], GALLERY / "views_montage.png")
    print("gallery written" if code == 0 else f"gallery: a command failed (exit {code})")


def _montage(folders: list[Path], output: Path) -> None:
    """The PNG frames of each folder as one row of a grid."""
    from PIL import Image

    rows = [[Image.open(p).convert("RGB") for p in sorted(folder.glob("frame_*.png"))] for folder in folders]
    width, height = rows[0][0].size
    grid = Image.new("RGB", (width * max(map(len, rows)), height * len(rows)))
    for row, frames in enumerate(rows):
        for index, frame in enumerate(frames):
            grid.paste(frame, (index * width, row * height))
    grid.save(output, optimize=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import cv2
    import torch

    import framer

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    engine = framer.create_engine("flow", device="cpu")
    if not args.skip_morph:
        morph_check(engine)
    if not args.skip_views:
        views_check(engine)
    if args.gallery:
        gallery()


if __name__ == "__main__":
    main()
