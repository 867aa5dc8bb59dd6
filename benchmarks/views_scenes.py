"""Views (issue 17, check 5) on two-plane scenes from a generator written apart from the package's.

``benchmarks/applications_morph_views.py`` measures ``framer views`` on the package's own scene
(``framer.applications._views_cases``: the front plane a third of the back's depth, inside the frame, a sideways
camera). This script judges it on scenes built independently of that design (numpy and OpenCV only, nothing from
framer): 48 scenes from a fixed list of seeds, each factor's levels balanced over them: frame size (256x256 to
640x360), parallax between the planes (24, 40, 64, 100 px), the front plane's depth (1/2, 1/3, 1/5 of the back's),
shape (rectangle, disc, irregular polygon), area (10-50% of the frame), place (centre; near an edge; cut by it),
camera motion (horizontal, vertical, diagonal) and textures (eight real photos of ``../shared/data``, colour noise,
fine noise, bricks).

Geometry: a pinhole camera translates in its image plane between camera positions s = 0 (LEFT) and s = 1 (RIGHT)
past two fronto-parallel planes; a plane at depth Z moves by ``f * B / Z * s``. With the front plane at depth
``r * Z_back``, the back plane moves ``d_b = P * r / (1 - r)`` px and the front plane ``d_f = P / (1 - r)`` px, so the
parallax between the planes is P. Each view is exact up to bilinear resampling (each plane an inverse-mapped warp of
a larger texture; the front plane premultiplied RGBA with an antialiased outline, composited "over" in float and
rounded once).

Printed per scene: its factors, the share of the front plane inside each view, PSNR (uint8 RGB) of ``framer views``
and of plain interpolation (``framer.interpolate``) at t = 0.25, 0.5, 0.75 against the rendered truth, and the gain
(mean over t / worst t); then, for parallax above 32 px (the issue's target: >= plain + 3 dB), how many scenes gain
less, the worst and the median gain, split by where the front plane lies.

    python benchmarks/views_scenes.py                 # all 48 scenes (about 5 minutes, 1 thread)
    python benchmarks/views_scenes.py --scenes s26,s31
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PHOTOS = {
    "sintel": DATA / "sintel_raft_demo/frame_0016.png",
    "rubberwhale": DATA / "middlebury_rubberwhale/frame07.png",
    "bbb": DATA / "bbb_cartoon_triplet/im1_frame010.png",
    "bbb3": DATA / "bbb_cartoon_triplet/im3_frame018.png",
    "runner": DATA / "vimeo_triplet_runner/im1.png",
    "eggs": DATA / "vimeo_triplet_eggs/im2.png",
    "astronaut": DATA / "morph_pair_astronaut_chelsea/astronaut.png",
    "chelsea": DATA / "morph_pair_astronaut_chelsea/chelsea.png",
}
NOISE = ("octave_noise", "fine_noise", "bricks")
SIZES = ((256, 256), (320, 224), (448, 256), (640, 360))  # (W, H)
PARALLAXES = (24, 40, 64, 100)
RATIOS = (2, 3, 5)  # front depth = back depth / ratio
SHAPES = ("rect", "disc", "polygon")
AREAS = (0.10, 0.20, 0.35, 0.50)  # front plane's area as a fraction of the frame's area
PLACES = ("centre", "edge", "cut")
MOTIONS = ("horizontal", "vertical", "diagonal")
N_SCENES = 48
MASTER_SEED = 20240917


# ----------------------------------------------------------------------------------------------------- textures
def _photo(name: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a real photo covering (width, height), RGB float32 [0, 255]; scaled up only if needed,
    otherwise scaled by a random factor in [0.6, 1] of the photo's size (keeps the photo's detail)."""
    image = cv2.cvtColor(cv2.imread(str(PHOTOS[name])), cv2.COLOR_BGR2RGB).astype(np.float32)
    h, w = image.shape[:2]
    need = max(width / w, height / h)
    scale = max(need, float(rng.uniform(0.6, 1.0)))
    if abs(scale - 1.0) > 1e-6:
        image = cv2.resize(
            image,
            (max(width, round(w * scale)), max(height, round(h * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
        )
    h, w = image.shape[:2]
    y0 = int(rng.integers(0, h - height + 1))
    x0 = int(rng.integers(0, w - width + 1))
    return np.ascontiguousarray(image[y0 : y0 + height, x0 : x0 + width])


def _octave_noise(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Colour value noise summed over octaves (cell sizes 64 .. 2 px), 1/f-like amplitudes."""
    out = np.zeros((height, width, 3), np.float32)
    cell, amp = 64, 1.0
    while cell >= 2:
        gh, gw = height // cell + 2, width // cell + 2
        grid = rng.standard_normal((gh, gw, 3)).astype(np.float32)
        up = cv2.resize(grid, (gw * cell, gh * cell), interpolation=cv2.INTER_CUBIC)[:height, :width]
        out += amp * up
        cell, amp = cell // 2, amp * 0.65
    out = (out - out.mean()) / (out.std() + 1e-6)
    base = rng.uniform(70, 180, 3).astype(np.float32)
    return np.clip(base + 45 * out, 0, 255)


def _fine_noise(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Nearly white noise (blurred by sigma 0.7) in grey with a slight colour cast; very high frequency."""
    grey = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.7)
    grey /= grey.std() + 1e-6
    cast = rng.uniform(0.7, 1.0, 3).astype(np.float32)
    return np.clip(128 + 50 * grey[..., None] * cast, 0, 255)


def _bricks(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A near-periodic brick wall (running bond), brick colours jittered, mortar lines, faint grain."""
    bw, bh = int(rng.integers(28, 48)), int(rng.integers(12, 20))
    out = np.empty((height, width, 3), np.float32)
    base = rng.uniform(90, 170, 3)
    for row in range(height // bh + 1):
        shift = (bw // 2) * (row % 2)
        for col in range(-1, width // bw + 2):
            x0, y0 = col * bw + shift, row * bh
            out[y0 : y0 + bh, max(0, x0) : max(0, x0 + bw)] = base + rng.normal(0, 14, 3)
    mortar = np.zeros((height, width), np.uint8)
    for row in range(height // bh + 1):
        y = row * bh
        cv2.line(mortar, (0, y), (width, y), 1, 2)
        shift = (bw // 2) * (row % 2)
        for col in range(-1, width // bw + 2):
            x = col * bw + shift
            cv2.line(mortar, (x, y), (x, y + bh), 1, 2)
    out[mortar > 0] = (215, 210, 200)
    out += 5 * rng.standard_normal((height, width, 1)).astype(np.float32)
    return np.clip(out, 0, 255)


def texture(kind: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    if kind in PHOTOS:
        return _photo(kind, width, height, rng)
    return {"octave_noise": _octave_noise, "fine_noise": _fine_noise, "bricks": _bricks}[kind](width, height, rng)


# ------------------------------------------------------------------------------------------------------ shapes
def shape_alpha(shape: str, box_w: int, box_h: int, rng: np.random.Generator, pad: int) -> np.ndarray:
    """Antialiased alpha (box_h + 2 pad, box_w + 2 pad) float32 in [0, 1] of the front plane's outline."""
    ss = 4
    H, W = (box_h + 2 * pad) * ss, (box_w + 2 * pad) * ss
    mask = np.zeros((H, W), np.uint8)
    cx, cy = W / 2, H / 2
    rx, ry = box_w * ss / 2, box_h * ss / 2
    if shape == "rect":
        cv2.rectangle(mask, (round(cx - rx), round(cy - ry)), (round(cx + rx) - 1, round(cy + ry) - 1), 255, -1)
    elif shape == "disc":
        cv2.ellipse(mask, (round(cx), round(cy)), (round(rx), round(ry)), 0, 0, 360, 255, -1)
    else:  # irregular (possibly concave) star-shaped polygon
        n = int(rng.integers(6, 11))
        angles = np.sort((np.arange(n) + rng.uniform(-0.35, 0.35, n)) * 2 * math.pi / n)
        radii = rng.uniform(0.45, 1.0, n)
        pts = np.stack([cx + rx * radii * np.cos(angles), cy + ry * radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 255)
    alpha = cv2.resize(mask.astype(np.float32) / 255.0, (W // ss, H // ss), interpolation=cv2.INTER_AREA)
    return alpha


# ------------------------------------------------------------------------------------------------------- scenes
@dataclass
class Spec:
    name: str
    seed: int
    width: int
    height: int
    parallax: float
    ratio: int  # front depth = back depth / ratio
    shape: str
    area: float
    place: str
    motion: str
    back_tex: str
    front_tex: str


class Scene:
    """Two planes; `render(s)` is the exact view from camera position s (uint8 RGB)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        rng = np.random.default_rng(spec.seed)
        W, H = spec.width, spec.height
        r = 1.0 / spec.ratio
        d_b = spec.parallax * r / (1 - r)
        d_f = spec.parallax / (1 - r)
        if spec.motion == "horizontal":
            angle = 0.0
        elif spec.motion == "vertical":
            angle = 90.0
        else:
            angle = float(rng.choice([30.0, 45.0, 60.0]))
        sign_x, sign_y = float(rng.choice([-1, 1])), float(rng.choice([-1, 1]))
        u = np.array([sign_x * math.cos(math.radians(angle)), sign_y * math.sin(math.radians(angle))])
        u[np.abs(u) < 1e-12] = 0.0
        self.direction = u  # image motion direction of the content as s goes 0 -> 1
        self.back_motion = d_b * u
        self.front_motion = d_f * u
        # Back texture covers the frame at every s in [0, 1], plus a margin.
        m = 8
        bw = W + math.ceil(abs(self.back_motion[0])) + 2 * m
        bh = H + math.ceil(abs(self.back_motion[1])) + 2 * m
        self.back = texture(spec.back_tex, bw, bh, rng)
        # Back origin: texture coordinate of image pixel (0, 0) at s = 0 (content moves by +back_motion * s,
        # so texture coordinate = x - s * back_motion + origin).
        self.back_origin = np.array([m + max(0.0, self.back_motion[0]), m + max(0.0, self.back_motion[1])])
        # Front plane: box with the requested area (of the shape's bounding box, corrected for the shape's fill).
        fill = {"rect": 1.0, "disc": math.pi / 4, "polygon": 0.55}[spec.shape]
        aspect = float(rng.uniform(0.7, 1.4))
        box_area = spec.area * W * H / fill
        box_w = round(math.sqrt(box_area * aspect))
        box_h = round(math.sqrt(box_area / aspect))
        box_w, box_h = min(box_w, int(0.95 * W)), min(box_h, int(0.95 * H))
        pad = 4
        alpha = shape_alpha(spec.shape, box_w, box_h, rng, pad)
        ftex = texture(spec.front_tex, box_w + 2 * pad, box_h + 2 * pad, rng)
        self.front_rgba = np.concatenate([ftex * alpha[..., None], alpha[..., None]], -1).astype(np.float32)
        self.front_alpha_area = float(alpha.sum())
        # Front centre in the middle view (s = 0.5).
        if spec.place == "centre":
            c = np.array([W / 2, H / 2]) + rng.uniform(-0.05, 0.05, 2) * (W, H)
        elif spec.place == "edge":
            # Near an edge perpendicular to a random axis; gap 3-12 px to the edge in the middle view.
            side = int(rng.integers(0, 4))
            gap = float(rng.uniform(3, 12))
            c = np.array([W / 2, H / 2]) + rng.uniform(-0.1, 0.1, 2) * (W, H)
            if side == 0:
                c[0] = gap + box_w / 2
            elif side == 1:
                c[0] = W - gap - box_w / 2
            elif side == 2:
                c[1] = gap + box_h / 2
            else:
                c[1] = H - gap - box_h / 2
        else:  # cut by a frame edge in the middle view: 20-40 % of the box outside
            side = int(rng.integers(0, 4))
            out = float(rng.uniform(0.2, 0.4))
            c = np.array([W / 2, H / 2]) + rng.uniform(-0.1, 0.1, 2) * (W, H)
            if side == 0:
                c[0] = box_w / 2 - out * box_w
            elif side == 1:
                c[0] = W - box_w / 2 + out * box_w
            elif side == 2:
                c[1] = box_h / 2 - out * box_h
            else:
                c[1] = H - box_h / 2 + out * box_h
        self.front_centre_mid = c
        self.box = (box_w, box_h, pad)
        self.d_b, self.d_f = d_b, d_f

    def _front_topleft(self, s: float) -> np.ndarray:
        box_w, box_h, pad = self.box
        centre = self.front_centre_mid + (s - 0.5) * self.front_motion
        return centre - np.array([box_w / 2 + pad, box_h / 2 + pad])

    def render(self, s: float, with_alpha: bool = False):
        W, H = self.spec.width, self.spec.height
        inv = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        o = self.back_origin - s * self.back_motion
        M = np.float64([[1, 0, o[0]], [0, 1, o[1]]])
        back = cv2.warpAffine(self.back, M, (W, H), flags=inv, borderMode=cv2.BORDER_REFLECT)
        tl = self._front_topleft(s)
        M = np.float64([[1, 0, -tl[0]], [0, 1, -tl[1]]])
        front = cv2.warpAffine(self.front_rgba, M, (W, H), flags=inv, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        a = front[..., 3:4]
        image = back * (1 - a) + front[..., :3]
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
        return (image, a[..., 0]) if with_alpha else image

    def visible_fraction(self, s: float) -> float:
        _, a = self.render(s, with_alpha=True)
        return float(a.sum() / self.front_alpha_area)


def _balanced(levels, n, rng):
    reps = -(-n // len(levels))
    items = list(levels) * reps
    order = rng.permutation(len(items))[:n]
    return [items[i] for i in order]


def scene_specs(n: int = N_SCENES) -> list[Spec]:
    """The fixed list of scenes: each factor's levels balanced over the scenes, shuffled with MASTER_SEED."""
    rng = np.random.default_rng(MASTER_SEED)
    sizes = _balanced(SIZES, n, rng)
    parallaxes = _balanced(PARALLAXES, n, rng)
    ratios = _balanced(RATIOS, n, rng)
    shapes = _balanced(SHAPES, n, rng)
    areas = _balanced(AREAS, n, rng)
    places = _balanced(PLACES, n, rng)
    motions = _balanced(MOTIONS, n, rng)
    kinds = list(PHOTOS) + list(NOISE)
    backs = _balanced(kinds, n, rng)
    specs = []
    for i in range(n):
        front = backs[i]
        while front == backs[i]:
            front = kinds[int(rng.integers(0, len(kinds)))]
        w, h = sizes[i]
        specs.append(
            Spec(
                f"s{i:02d}",
                1000 + i,
                w,
                h,
                parallaxes[i],
                ratios[i],
                shapes[i],
                areas[i],
                places[i],
                motions[i],
                backs[i],
                front,
            )
        )
    return specs


TIMES = (0.25, 0.5, 0.75)
TARGET_DB = 3.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default="", help="comma-separated scene names (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    import framer
    from framer.applications.views import iter_views
    from framer.synthetic import psnr

    torch.set_num_threads(args.threads)
    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    wanted = set(filter(None, args.scenes.split(",")))
    print(f"{'scene':<5} {'size':>7} {'P':>3} {'depth':>5} {'front':<15} {'place':<6} {'motion':<10} "
          f"{'textures':<22} {'in L/R':>9} {'views':>6} {'plain':>6} {'gain mean/worst':>16} {'s':>5}")  # fmt: skip
    rows = []
    for spec in scene_specs():
        if wanted and spec.name not in wanted:
            continue
        scene = Scene(spec)
        left, right = scene.render(0.0), scene.render(1.0)
        truths = [scene.render(t) for t in TIMES]
        start = time.perf_counter()
        made = list(iter_views(left, right, num_views=len(TIMES), include_keyframes=False, engine=engine))
        seconds = time.perf_counter() - start
        plain = framer.interpolate([left, right], num_frames=len(TIMES), engine=engine)
        views_db = [psnr([view.frame], [truth]) for view, truth in zip(made, truths, strict=True)]
        plain_db = [psnr([frame], [truth]) for frame, truth in zip(plain, truths, strict=True)]
        gains = np.subtract(views_db, plain_db)
        inside = min(scene.visible_fraction(0.0), scene.visible_fraction(1.0)) > 0.999
        rows.append((spec, float(gains.mean()), float(gains.min()), inside))
        visible = f"{scene.visible_fraction(0.0):.2f}/{scene.visible_fraction(1.0):.2f}"
        flag = " <" if spec.parallax > 32 and gains.mean() < TARGET_DB else ""
        print(f"{spec.name:<5} {spec.width:>3}x{spec.height:<3} {spec.parallax:>3g} {'1/' + str(spec.ratio):>5} "
              f"{spec.shape + f' {spec.area:.2f}':<15} {spec.place:<6} {spec.motion:<10} "
              f"{spec.back_tex + '/' + spec.front_tex:<22} {visible:>9} {np.mean(views_db):6.2f} "
              f"{np.mean(plain_db):6.2f} {gains.mean():+7.2f} / {gains.min():+6.2f} {seconds:5.1f}{flag}",
              flush=True)  # fmt: skip
    above = [row for row in rows if row[0].parallax > 32]
    if above:
        means = [row[1] for row in above]
        below = sum(m < TARGET_DB for m in means)
        print(f"parallax > 32 px: {below} of {len(above)} scenes gain less than {TARGET_DB:g} dB (mean over t); "
              f"worst {min(means):+.2f} dB, median {np.median(means):+.2f} dB")  # fmt: skip
        inside, edge = [r for r in above if r[3]], [r for r in above if not r[3]]
        for label, group in (("front plane inside both views", inside), ("front plane at the frame's edge", edge)):
            if group:
                print(f"  {label}: {sum(r[1] < TARGET_DB for r in group)} of {len(group)} below; worst "
                      f"{min(r[1] for r in group):+.2f} dB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
