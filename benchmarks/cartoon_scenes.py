"""Cartoon in-betweening (issue 17, check 3) on line art from a generator written apart from the package's.

``benchmarks/applications_cartoon.py`` measures ``framer.applications.cartoon.cartoon`` on the package's own line art
(six shapes on a grid, one paper colour, one line width). This script judges it on 27 cases built independently of
that design (numpy and OpenCV only, nothing from framer), from a fixed master seed, over these factors:

- frame size: 256x256, 320x240, 480x270, 640x360;
- background: white paper, flat coloured paper, a linear colour gradient, a panning landscape (hills, clouds, trees
  and a ground line, filled on coloured paper or lines only on white) behind the drawings;
- line width: 1 to 4 px;
- content: flat-filled shapes (ellipses, polygons, blobs) with ink outlines; open ink strokes (some tapered); shapes
  with hatching or cross-hatching inside (lines 4.5-7 px apart); rows of glyphs (stroked capital letters, 9-18 px);
  a character (body, head, eyes, mouth) with an arm on a shoulder joint, alone, beside a moving prop or walking
  against a pan; a torso with a two-segment arm; three shapes that cross over each other; a mix of all;
- motion, each drawing its own: shifts (2 to 80 px), turns (up to 30 degrees), scaling (by 1.1 to 1.35, up or down),
  articulated parts (an arm turning 15-30 degrees about its joint, a forearm about the elbow) and a background pan
  (10 to 75 px).

Every drawing is a set of primitives (filled polygons, ink polylines, filled discs) in its object's own coordinates;
each object's pose (centre, turn, scale) is linear in t, and child parts turn about a joint in their parent's frame.
A frame at time t is drawn 4x larger (vertices to 1/16 px) and shrunk with area averaging, so the keyframes (t = 0, 1)
and the true in-betweens (t = 0.25, 0.5, 0.75) come from one exact scene model.

Per case, for the plain in-betweens (``framer.interpolate`` with the flow engine) and the cartoon ones
(``framer.applications.cartoon.cartoon`` with the same engine: drawings matched and pre-aligned), each figure the
worst over the three times, measured by ``benchmarks/applications_cartoon.py``'s ``figures``:

- ``sharp``: edge sharpness of the in-between (:func:`framer.applications.cartoon.edge_sharpness` on the true frame's
  Canny edges) over the keyframes' own (each on its own Canny edges, the two averaged). Target: cartoon >= 0.80.
- ``ghost``: the stray-line count, :func:`framer.applications.cartoon.ghost_line_pixels`.
- ``double``: the double-line count, :func:`framer.applications.cartoon.double_line_pixels`. Target: cartoon <=
  max(plain, 1) / 2.
- ``psnr``: against the truth (RGB, peak 1), so we see quality was not traded away.

Printed per case: its factors (size, background, line width, content, the largest move of a vertex in px, the
largest turn in degrees, and S scaled / A articulated / P pan), the plain and cartoon figures and whether cartoon
meets each target (S sharp, D double); then how many cases meet the sharpness target, the double-line target and
both, how many have cartoon's PSNR above plain's and how many more than 1 dB below it (the worst of them), and the
cases meeting both targets by background and by content.

    python benchmarks/cartoon_scenes.py                  # all 27 cases (about 2 minutes, 1 thread)
    python benchmarks/cartoon_scenes.py --cases c01,c13
    python benchmarks/cartoon_scenes.py --save /tmp/toon # also write each case's keyframes, truths and in-betweens
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

MASTER_SEED = 2024
TIMES = (0.25, 0.5, 0.75)
SHARP_TARGET = 0.80
_SUPERSAMPLE = 4
_SUB = 4  # cv2's fixed-point bits for vertices: 2**_SUB steps per supersampled pixel
_INK = (18, 18, 22)

Colour = tuple[int, int, int]
Point = tuple[float, float]


# ---------------------------------------------------------------------------------------------------- geometry
def _pose(tx: float = 0.0, ty: float = 0.0, angle: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """3x3: turn by ``angle`` degrees and scale about the origin, then shift by (tx, ty)."""
    a = math.radians(angle)
    c, s = math.cos(a) * scale, math.sin(a) * scale
    return np.array([[c, -s, tx], [s, c, ty], [0, 0, 1.0]])


def _apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:2, :2].T + m[:2, 2]


def _ellipse(
    a: float, b: float, n: int = 120, cx: float = 0.0, cy: float = 0.0, start: float = 0.0, end: float = 2 * math.pi
) -> np.ndarray:
    angles = np.linspace(start, end, n, endpoint=(end - start) < 2 * math.pi - 1e-9)
    return np.stack([cx + a * np.cos(angles), cy + b * np.sin(angles)], 1)


def _polygon(r: float, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(3, 8))
    rng.uniform(0, 2 * math.pi, k), rng.uniform(0, 0.3, k)  # unused draws, kept: they fix the cases
    angles = np.linspace(0, 2 * math.pi, k, endpoint=False) + rng.uniform(-0.25, 0.25, k) * (2 * math.pi / k)
    radii = r * rng.uniform(0.7, 1.0, k)
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)


def _blob(r: float, rng: np.random.Generator, n: int = 140) -> np.ndarray:
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    radii = np.ones(n)
    for h in (2, 3, 4):
        radii += rng.uniform(-0.12, 0.12) * np.cos(h * angles + rng.uniform(0, 2 * math.pi))
    return np.stack([r * radii * np.cos(angles), r * 0.85 * radii * np.sin(angles)], 1)


def _capsule(length: float, half: float, n: int = 24) -> np.ndarray:
    """A rounded bar from (0, 0) to (length, 0), half-width ``half`` (a limb)."""
    right = _ellipse(half, half, n, length, 0, -math.pi / 2, math.pi / 2)
    left = _ellipse(half, half, n, 0, 0, math.pi / 2, 3 * math.pi / 2)
    return np.concatenate([right, left], 0)


def _curve(rng: np.random.Generator, length: float, n: int = 64, wiggle: float = 0.3) -> np.ndarray:
    xs = np.linspace(-length / 2, length / 2, n)
    ys = np.zeros(n)
    for h in (1, 2, 3):
        ys += length * wiggle / h * rng.uniform(-0.5, 0.5) * np.sin(h * np.pi * xs / length + rng.uniform(0, 6.28))
    return np.stack([xs, ys], 1)


def _hatch_lines(a: float, b: float, spacing: float, angle: float, shrink: float = 0.8) -> list[np.ndarray]:
    """Chords of the ellipse (a, b) at ``angle`` degrees, ``spacing`` px apart, shortened to ``shrink``."""
    u = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    normal = np.array([-u[1], u[0]])
    lines = []
    for d in np.arange(-max(a, b), max(a, b) + 1e-6, spacing):
        p = d * normal
        qa = (u[0] / a) ** 2 + (u[1] / b) ** 2  # ((p + s u)_x / a)^2 + ((p + s u)_y / b)^2 = 1
        qb = 2 * (p[0] * u[0] / a**2 + p[1] * u[1] / b**2)
        qc = (p[0] / a) ** 2 + (p[1] / b) ** 2 - 1
        disc = qb * qb - 4 * qa * qc
        if disc <= 0:
            continue
        s0, s1 = (-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)
        mid, half = (s0 + s1) / 2, (s1 - s0) / 2 * shrink
        if half * 2 < 4:
            continue
        lines.append(np.stack([p + (mid - half) * u, p + (mid + half) * u]))
    return lines


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 14) -> np.ndarray:
    angles = np.linspace(math.radians(a0), math.radians(a1), n)
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1)


# Glyphs: strokes in a cell x in [0, 1], y in [0, 1.4] (y down).
GLYPHS = {
    "A": [[(0, 1.4), (0.5, 0), (1, 1.4)], [(0.25, 0.75), (0.75, 0.75)]],
    "E": [[(1, 0), (0, 0), (0, 1.4), (1, 1.4)], [(0, 0.7), (0.75, 0.7)]],
    "F": [[(1, 0), (0, 0), (0, 1.4)], [(0, 0.7), (0.75, 0.7)]],
    "H": [[(0, 0), (0, 1.4)], [(1, 0), (1, 1.4)], [(0, 0.7), (1, 0.7)]],
    "K": [[(0, 0), (0, 1.4)], [(1, 0), (0, 0.8)], [(0.3, 0.55), (1, 1.4)]],
    "L": [[(0, 0), (0, 1.4), (1, 1.4)]],
    "M": [[(0, 1.4), (0, 0), (0.5, 0.8), (1, 0), (1, 1.4)]],
    "N": [[(0, 1.4), (0, 0), (1, 1.4), (1, 0)]],
    "T": [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1.4)]],
    "V": [[(0, 0), (0.5, 1.4), (1, 0)]],
    "W": [[(0, 0), (0.25, 1.4), (0.5, 0.5), (0.75, 1.4), (1, 0)]],
    "X": [[(0, 0), (1, 1.4)], [(1, 0), (0, 1.4)]],
    "Y": [[(0, 0), (0.5, 0.7), (1, 0)], [(0.5, 0.7), (0.5, 1.4)]],
    "Z": [[(0, 0), (1, 0), (0, 1.4), (1, 1.4)]],
    "O": [_arc(0.5, 0.7, 0.5, 0.7, 0, 360, 28)],
    "C": [_arc(0.5, 0.7, 0.5, 0.7, 40, 320, 22)],
    "U": [np.concatenate([[(0, 0)], _arc(0.5, 0.9, 0.5, 0.5, 180, 0, 14), [(1, 0)]])],
    "S": [np.concatenate([_arc(0.5, 0.35, 0.45, 0.35, -20, -270, 14), _arc(0.5, 1.05, 0.45, 0.35, -90, 160, 14)])],
}


# ------------------------------------------------------------------------------------------------- scene model
@dataclass
class Prim:
    kind: str  # "fill" (polygon), "line" (polyline), "dot" (filled disc: centre points[0], radius r)
    points: np.ndarray
    colour: Colour
    width: float = 2.0  # px at the final size (lines)
    closed: bool = False
    r: float = 0.0


@dataclass
class Obj:
    """A drawing: primitives in its own coordinates, a pose linear in t and child parts turning about joints."""

    prims: list[Prim]
    centre: Point  # at t = 0, px
    shift: Point = (0.0, 0.0)  # px from t = 0 to 1
    angle0: float = 0.0
    turn: float = 0.0  # degrees from t = 0 to 1
    scale0: float = 1.0
    scale1: float = 1.0
    children: list[tuple[Point, Obj, bool]] = field(default_factory=list)  # (joint, part, in front)
    backdrop: bool = False  # part of a panning background

    def pose(self, t: float) -> np.ndarray:
        cx, cy = self.centre[0] + t * self.shift[0], self.centre[1] + t * self.shift[1]
        return _pose(cx, cy, self.angle0 + t * self.turn, self.scale0 + t * (self.scale1 - self.scale0))

    def points(self, t: float, parent: np.ndarray | None = None) -> list[np.ndarray]:
        m = self.pose(t) if parent is None else parent @ self.pose(t)
        out = [_apply(m, p.points) for p in self.prims]
        for joint, child, _ in self.children:
            out += child.points(t, m @ _pose(*joint))
        return out

    def draw(self, canvas: np.ndarray, t: float, parent: np.ndarray | None = None) -> None:
        m = self.pose(t) if parent is None else parent @ self.pose(t)
        for joint, child, in_front in self.children:
            if not in_front:
                child.draw(canvas, t, m @ _pose(*joint))
        unit = _SUPERSAMPLE * (1 << _SUB)
        for p in self.prims:
            if p.kind == "dot":
                c = np.round(_apply(m, p.points[:1])[0] * unit).astype(np.int32)
                radius = round(p.r * math.hypot(m[0, 0], m[1, 0]) * unit)
                cv2.circle(canvas, (int(c[0]), int(c[1])), radius, p.colour, -1, cv2.LINE_8, _SUB)
                continue
            q = np.round(_apply(m, p.points) * unit).astype(np.int32).reshape(-1, 1, 2)
            if p.kind == "fill":
                cv2.fillPoly(canvas, [q], p.colour, cv2.LINE_8, _SUB)
            else:
                width = max(1, round(p.width * _SUPERSAMPLE))
                cv2.polylines(canvas, [q], p.closed, p.colour, width, cv2.LINE_8, _SUB)
        for joint, child, in_front in self.children:
            if in_front:
                child.draw(canvas, t, m @ _pose(*joint))

    def turns(self) -> list[float]:
        return [abs(self.turn)] + [x for _, child, _ in self.children for x in child.turns()]


@dataclass
class Scene:
    width: int
    height: int
    background: dict
    objects: list[Obj]

    def render(self, t: float) -> np.ndarray:
        """The frame at time ``t``: ``(H, W, 3)`` uint8 RGB."""
        W, H = self.width * _SUPERSAMPLE, self.height * _SUPERSAMPLE
        bg = self.background
        if bg["kind"] == "gradient":
            c0, c1 = np.array(bg["c0"], float), np.array(bg["c1"], float)
            angle = math.radians(bg["angle"])
            yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
            proj = (xx - W / 2) * math.cos(angle) + (yy - H / 2) * math.sin(angle)
            proj = (proj - proj.min()) / (proj.max() - proj.min())
            canvas = (c0 + proj[..., None] * (c1 - c0)).round().astype(np.uint8)
        else:
            canvas = np.empty((H, W, 3), np.uint8)
            canvas[:] = bg["colour"]
        for obj in self.objects:
            obj.draw(canvas, t)
        return cv2.resize(canvas, (self.width, self.height), interpolation=cv2.INTER_AREA)


# ---------------------------------------------------------------------------------------------------- drawings
def _colour(rng: np.random.Generator) -> Colour:
    return tuple(int(v) for v in rng.integers(70, 245, 3))


def _shape(
    rng: np.random.Generator,
    kind: str,
    r: float,
    lw: float,
    centre: Point,
    hatch: dict | None = None,
    ink: Colour = _INK,
) -> Obj:
    """A filled ellipse, polygon or blob with an ink outline, optionally hatched inside."""
    if kind == "ellipse":
        a, b = r, r * rng.uniform(0.55, 0.95)
        points = _ellipse(a, b)
    elif kind == "polygon":
        points = _polygon(r, rng)
    else:
        points = _blob(r, rng)
        a, b = r * 0.8, r * 0.65
    prims = [Prim("fill", points, _colour(rng)), Prim("line", points, ink, lw, True)]
    if hatch is not None:
        if kind == "polygon":  # hatch an inner ellipse
            a, b = r * 0.45, r * 0.35
        elif kind == "ellipse":
            a, b = a * 0.85, b * 0.85
        angles = [hatch["angle"], hatch["angle"] + 90] if hatch.get("cross") else [hatch["angle"]]
        for angle in angles:
            prims += [Prim("line", line, ink, hatch["width"]) for line in _hatch_lines(a, b, hatch["spacing"], angle)]
    return Obj(prims, centre)


def _stroke(
    rng: np.random.Generator,
    length: float,
    lw: float,
    centre: Point,
    tapered: bool = False,
    ink: Colour = _INK,
) -> Obj:
    """An open ink stroke; ``tapered``: discs along the path, their radius rising then falling."""
    curve = _curve(rng, length)
    if not tapered:
        return Obj([Prim("line", curve, ink, lw)], centre)
    steps = np.hypot(*np.diff(curve, axis=0).T)
    s = np.concatenate([[0], np.cumsum(steps)])
    ts = np.linspace(0, s[-1], int(s[-1] * 2))
    path = np.stack([np.interp(ts, s, curve[:, 0]), np.interp(ts, s, curve[:, 1])], 1)
    u = ts / s[-1]
    radius = np.maximum(0.3, lw / 2 * np.sin(np.pi * u) ** 0.6)
    return Obj([Prim("dot", p[None], ink, r=float(r)) for p, r in zip(path, radius, strict=True)], centre)


def _text(rng: np.random.Generator, n_chars: int, cell: float, lw: float, centre: Point, ink: Colour) -> Obj:
    """A row of random glyphs (and spaces), ``cell`` px wide."""
    letters = list(GLYPHS)
    prims = []
    x = -n_chars * cell * 1.35 / 2
    for i in range(n_chars):
        if i and rng.random() < 0.18:  # a space
            x += cell * 0.9
            continue
        for stroke in GLYPHS[letters[int(rng.integers(len(letters)))]]:
            prims.append(Prim("line", np.asarray(stroke, float) * cell + np.array([x, -0.7 * cell]), ink, lw))
        x += cell * 1.35
    return Obj(prims, centre)


def _character(rng: np.random.Generator, size: float, lw: float, centre: Point, arm_turn: float, ink: Colour) -> Obj:
    """A blob body, a head with two eyes (white, outlined, pupils), a mouth and an arm turning on a shoulder joint."""
    body = _blob(size * 0.55, rng)
    body[:, 1] += size * 0.35
    head = _ellipse(size * 0.42, size * 0.36, cy=-size * 0.35)
    body_colour, head_colour = _colour(rng), _colour(rng)
    thin = max(1.0, lw * 0.75)
    prims = [Prim("fill", body, body_colour), Prim("line", body, ink, lw, True),
             Prim("fill", head, head_colour), Prim("line", head, ink, lw, True)]  # fmt: skip
    for ex in (-0.15, 0.15):
        eye = _ellipse(size * 0.09, size * 0.12, 48, ex * size, -size * 0.42)
        pupil = np.array([[ex * size + size * 0.02, -size * 0.40]])
        prims += [Prim("fill", eye, (255, 255, 255)), Prim("line", eye, ink, thin, True),
                  Prim("dot", pupil, ink, r=size * 0.045)]  # fmt: skip
    prims.append(Prim("line", _ellipse(size * 0.14, size * 0.07, 20, 0, -size * 0.22, 0.2, math.pi - 0.2), ink, thin))
    obj = Obj(prims, centre)
    length = size * 0.75
    limb, hand = _capsule(length, size * 0.08), _ellipse(size * 0.12, size * 0.12, 40, length, 0)
    arm_prims = [Prim("fill", limb, _colour(rng)), Prim("line", limb, ink, lw, True),
                 Prim("fill", hand, head_colour), Prim("line", hand, ink, lw, True)]  # fmt: skip
    arm = Obj(arm_prims, (0, 0), angle0=float(rng.uniform(-40, 10)), turn=arm_turn)
    obj.children.append(((size * 0.42, size * 0.15), arm, True))
    return obj


def _landscape(
    rng: np.random.Generator, W: int, H: int, pan: Point, lw: float, ink: Colour, lines_only: bool
) -> list[Obj]:
    """A panning background: hills, clouds, trees and a ground line wider than the frame, all shifting by ``pan``."""
    objs = []
    span = W + abs(pan[0]) + 80
    x0 = -40 - max(0, pan[0])  # the frame is covered at both ends
    xs = np.linspace(x0, x0 + span, 80)
    ph1, ph2 = rng.uniform(0, 6), rng.uniform(0, 6)

    def ground(x: np.ndarray | float) -> np.ndarray:
        return H * 0.62 + 18 * np.sin(x / 55 + ph1) + 9 * np.sin(x / 23 + ph2)

    ys = ground(xs)
    hill = np.concatenate([np.stack([xs, ys], 1), [[xs[-1], H + 60], [xs[0], H + 60]]])
    prims = [] if lines_only else [Prim("fill", hill, _colour(rng))]
    prims.append(Prim("line", np.stack([xs, ys], 1), ink, lw))
    objs.append(Obj(prims, (0, 0), pan))
    for _ in range(int(span // 110)):
        cx, cy = rng.uniform(x0, x0 + span), rng.uniform(H * 0.08, H * 0.35)
        puffs = np.concatenate([_ellipse(r, r * 0.7, 30, dx, 0) for dx, r in ((-18, 14), (0, 20), (18, 14))])
        hull = cv2.convexHull(puffs.astype(np.float32)).reshape(-1, 2).astype(float)
        prims = [] if lines_only else [Prim("fill", hull, (250, 250, 250))]
        objs.append(Obj([*prims, Prim("line", hull, ink, max(1, lw - 1), True)], (cx, cy), pan))
    for _ in range(int(span // 90)):
        cx = rng.uniform(x0, x0 + span)
        base = float(ground(cx)) + 3
        trunk = np.array([[-3, 0], [3, 0], [3, -22], [-3, -22]], float)
        crown = _ellipse(14, 18, 40, 0, -36)
        prims = [] if lines_only else [Prim("fill", trunk, (120, 80, 50)), Prim("fill", crown, _colour(rng))]
        prims += [Prim("line", trunk, ink, lw, True), Prim("line", crown, ink, lw, True)]
        objs.append(Obj(prims, (cx, base), pan))
    for obj in objs:
        obj.backdrop = True
    return objs


# ------------------------------------------------------------------------------------------------------ motion
def _move(
    obj: Obj,
    rng: np.random.Generator,
    shift: Point,
    turn: Point | None = None,
    scale: Point | None = None,
) -> Obj:
    """Give ``obj`` a shift of ``shift`` px (a range) in a random direction, a turn and a scale in the given ranges
    (either way)."""
    angle = rng.uniform(0, 2 * math.pi)
    m = rng.uniform(*shift)
    sign = rng.choice([-1, 1])
    obj.shift = (m * math.cos(angle), m * math.sin(angle))
    obj.turn = float(sign * rng.uniform(*turn) if turn else 0.0)
    if scale:
        s = rng.uniform(*scale)
        obj.scale1 = obj.scale0 * (1 / s if rng.random() < 0.5 else s)
    return obj


def _keep_inside(obj: Obj, W: int, H: int, margin: float = 6) -> Obj:
    """Shift the object's start so that it stays inside the frame at t = 0 and 1 (where it fits)."""
    for _ in range(3):
        points = np.concatenate(obj.points(0.0) + obj.points(1.0))
        lo, hi = points.min(0), points.max(0)
        dx = margin - lo[0] if lo[0] < margin else (W - margin - hi[0] if hi[0] > W - margin else 0.0)
        dy = margin - lo[1] if lo[1] < margin else (H - margin - hi[1] if hi[1] > H - margin else 0.0)
        obj.centre = (obj.centre[0] + dx, obj.centre[1] + dy)
    return obj


def _grid(rng: np.random.Generator, W: int, H: int, n: int, cols: int | None = None) -> tuple[list[Point], float]:
    """``n`` cell centres (jittered) of a grid over the frame, and the cell size."""
    cols = cols or math.ceil(math.sqrt(n * W / H))
    rows = math.ceil(n / cols)
    centres = []
    for i in range(n):
        cx = (i % cols + 0.5) * W / cols + rng.uniform(-0.08, 0.08) * W / cols
        cy = (i // cols + 0.5) * H / rows + rng.uniform(-0.08, 0.08) * H / rows
        centres.append((cx, cy))
    return centres, min(W / cols, H / rows)


def _background(rng: np.random.Generator, kind: str) -> dict:
    if kind == "white":
        return {"kind": "flat", "colour": (255, 255, 255)}
    if kind == "flat":
        return {"kind": "flat", "colour": tuple(int(v) for v in rng.integers(170, 245, 3))}
    if kind == "gradient":
        c0 = rng.integers(150, 250, 3)
        c1 = np.clip(c0 + rng.integers(-70, 70, 3), 90, 255)
        return {"kind": "gradient", "c0": tuple(int(v) for v in c0), "c1": tuple(int(v) for v in c1),
                "angle": float(rng.uniform(0, 360))}  # fmt: skip
    if kind == "pan":
        return {"kind": "flat", "colour": tuple(int(v) for v in rng.integers(190, 240, 3))}
    return {"kind": "flat", "colour": (255, 255, 255)}  # pan-white


# ------------------------------------------------------------------------------------------------------- cases
# (W, H), background, line width, content, motion: shift px, turn degrees and scale ranges, arm turn degrees,
# pan px, hatching, glyph and ink options.
# fmt: off
SPECS = {
    "c01": ((320, 240), "white", 2, "shapes", dict(mag=(5, 15))),
    "c02": ((320, 240), "flat", 3, "shapes", dict(mag=(20, 40))),
    "c03": ((480, 270), "gradient", 2, "shapes", dict(mag=(50, 80))),
    "c04": ((256, 256), "white", 1, "shapes", dict(mag=(2, 6), turn=(15, 30))),
    "c05": ((320, 240), "flat", 4, "shapes", dict(mag=(10, 20), turn=(20, 30))),
    "c06": ((320, 240), "flat", 2, "shapes", dict(mag=(5, 15), scale=(1.15, 1.35))),
    "c07": ((480, 270), "gradient", 3, "shapes", dict(mag=(10, 25), turn=(10, 25), scale=(1.1, 1.3))),
    "c08": ((480, 270), "white", 2, "character", dict(mag=(20, 40), arm=30)),
    "c09": ((640, 360), "flat", 3, "character", dict(mag=(5, 12), arm=30)),
    "c10": ((640, 360), "pan", 2, "character", dict(mag=(0, 6), arm=15, pan=(25, 40))),
    "c11": ((480, 270), "pan", 2, "character", dict(mag=(15, 25), arm=20, pan=(50, 75))),
    "c12": ((320, 240), "white", 1, "strokes", dict(mag=(5, 15), turn=(5, 10))),
    "c13": ((480, 270), "white", 3, "strokes", dict(mag=(40, 70), turn=(10, 20))),
    "c14": ((320, 240), "gradient", 2, "strokes", dict(mag=(15, 30), turn=(5, 15), tapered=True)),
    "c15": ((320, 240), "white", 1, "hatch", dict(mag=(8, 15), spacing=4.5)),
    "c16": ((480, 270), "flat", 2, "hatch", dict(mag=(20, 35), turn=(5, 12), spacing=7, cross=True)),
    "c17": ((480, 270), "white", 1, "glyphs", dict(mag=(5, 15))),
    "c18": ((640, 360), "flat", 2, "glyphs", dict(mag=(40, 70))),
    "c19": ((640, 360), "white", 2, "mixed", dict(mag=(5, 60))),
    "c20": ((320, 240), "flat", 3, "overlap", dict(mag=(25, 45), turn=(0, 15))),
    "c21": ((256, 256), "white", 4, "shapes", dict(mag=(60, 80), turn=(20, 30))),
    "c22": ((640, 360), "gradient", 1, "shapes", dict(mag=(5, 15), turn=(20, 30), scale=(1.1, 1.25),
                                                      ink=(70, 40, 20))),
    "c23": ((320, 240), "gradient", 2, "character", dict(mag=(30, 50), arm=25)),
    "c24": ((480, 270), "pan", 3, "shapes", dict(mag=(10, 25), pan=(10, 20))),
    "c25": ((320, 240), "gradient", 2, "glyphs", dict(mag=(3, 8), turn=(15, 25))),
    "c26": ((256, 256), "flat", 2, "arm", dict(arm=30)),
    "c27": ((640, 360), "pan-white", 2, "character", dict(mag=(10, 20), arm=20, pan=(15, 30))),
}
# fmt: on


@dataclass(frozen=True)
class Case:
    """A keyframe pair (t = 0, 1) and the true in-betweens at ``TIMES``, all ``(H, W, 3)`` uint8 RGB."""

    name: str
    factors: dict
    keyframes: list[np.ndarray]
    truths: list[np.ndarray]


def build(name: str, seed: int = MASTER_SEED) -> tuple[Scene, dict]:
    """Case ``name``'s scene (its own random numbers from ``seed`` and the case's number) and its factors."""
    (W, H), kind, lw, content, mo = SPECS[name]
    rng = np.random.default_rng([seed, int(name[1:])])
    ink = tuple(mo.get("ink", _INK))
    bg = _background(rng, kind)
    objs: list[Obj] = []
    turn, scale, mag, pan = mo.get("turn"), mo.get("scale"), mo.get("mag", (0, 0)), mo.get("pan")
    if pan:
        pm = rng.uniform(*pan)
        pan_shift = (-pm if rng.random() < 0.5 else pm, float(rng.uniform(-3, 3)))
        objs += _landscape(rng, W, H, pan_shift, lw, ink, lines_only=kind == "pan-white")
    if content in ("shapes", "hatch"):
        centres, cell = _grid(rng, W, H, 6 if W * H > 80000 else 4)
        for i, c in enumerate(centres):
            shape = ("ellipse", "polygon", "blob")[i % 3] if content == "shapes" else ("ellipse", "polygon")[i % 2]
            hatch = None
            if content == "hatch":
                hatch = dict(spacing=mo["spacing"], angle=float(rng.uniform(0, 180)), cross=mo.get("cross") and i % 2,
                             width=lw)  # fmt: skip
            objs.append(_move(_shape(rng, shape, cell * 0.3, lw, c, hatch, ink), rng, mag, turn, scale))
    elif content == "strokes":
        centres, cell = _grid(rng, W, H, 6)
        for c in centres:
            obj = _stroke(rng, cell * rng.uniform(0.55, 0.8), lw, c, tapered=mo.get("tapered", False), ink=ink)
            obj.angle0 = float(rng.uniform(0, 180))
            objs.append(_move(obj, rng, mag, turn, scale))
    elif content == "glyphs":
        for row in range(3):
            cell = float(rng.uniform(9, 14)) if W < 400 else float(rng.uniform(11, 18))
            n = int(W * 0.6 / (cell * 1.35))
            obj = _text(rng, n, cell, lw, (W / 2 + rng.uniform(-10, 10), (row + 0.5) * H / 3), ink)
            objs.append(_move(obj, rng, mag, turn, scale))
    elif content == "character":
        size = H * 0.42
        obj = _character(rng, size, lw, (W * 0.45, H * 0.52), float(mo["arm"]) * rng.choice([-1, 1]), ink)
        _move(obj, rng, mag)
        if pan:  # the character walks against the pan
            obj.shift = (-math.copysign(abs(obj.shift[0]), pan_shift[0]), obj.shift[1] * 0.3)
        objs.append(obj)
        if not pan and W >= 480:  # a prop moving its own way
            prop = _shape(rng, "ellipse", H * 0.12, lw, (W * 0.82, H * 0.3), None, ink)
            objs.append(_move(prop, rng, (10, 30), (10, 25)))
    elif content == "mixed":
        centres, cell = _grid(rng, W, H, 8, cols=4)
        kinds = ["ellipse", "polygon", "blob", "stroke", "glyph", "hatch", "tapered", "polygon"]
        for i, (c, k) in enumerate(zip(centres, kinds, strict=True)):
            if k == "stroke":
                obj = _stroke(rng, cell * 0.7, lw, c, ink=ink)
            elif k == "tapered":
                obj = _stroke(rng, cell * 0.7, lw + 1, c, tapered=True, ink=ink)
            elif k == "glyph":
                obj = _text(rng, 5, 12, 1.5, c, ink)
            elif k == "hatch":
                obj = _shape(rng, "ellipse", cell * 0.3, lw, c, dict(spacing=6, angle=30, width=lw), ink)
            else:
                obj = _shape(rng, k, cell * 0.3, lw, c, None, ink)
            m = rng.uniform(*mag)
            objs.append(_move(obj, rng, (m, m), (0, 25) if i % 3 == 1 else None, (1.1, 1.3) if i % 3 == 2 else None))
    elif content == "overlap":  # three shapes crossing over each other between the keyframes
        r = H * 0.2
        starts = [((W * 0.28, H * 0.35), (1, 0.3)), ((W * 0.72, H * 0.4), (-1, 0.1)), ((W * 0.5, H * 0.72), (0.1, -1))]
        for i, (c, d) in enumerate(starts):
            obj = _shape(rng, ("ellipse", "polygon", "blob")[i], r, lw, c, None, ink)
            m = rng.uniform(*mag)
            d = np.array(d) / np.hypot(*d)
            obj.shift = (float(d[0] * m), float(d[1] * m))
            obj.turn = float(rng.uniform(*turn)) * float(rng.choice([-1, 1]))
            objs.append(obj)
    elif content == "arm":  # a still torso; the upper arm turns about the shoulder, the forearm about the elbow
        torso = _shape(rng, "ellipse", H * 0.18, lw, (W * 0.3, H * 0.6), None, ink)
        length = W * 0.32
        fore, upper = _capsule(length * 0.8, 7), _capsule(length, 9)
        forearm = Obj([Prim("fill", fore, _colour(rng)), Prim("line", fore, ink, lw, True)], (0, 0), angle0=-20.0,
                      turn=-float(mo["arm"]))  # fmt: skip
        upper_arm = Obj([Prim("fill", upper, _colour(rng)), Prim("line", upper, ink, lw, True)], (0, 0),
                        angle0=-30.0, turn=float(mo["arm"]))  # fmt: skip
        upper_arm.children.append(((length, 0), forearm, True))
        torso.children.append(((0, -H * 0.1), upper_arm, True))
        objs.append(torso)
    if content not in ("arm", "overlap"):
        objs = [obj if obj.backdrop else _keep_inside(obj, W, H) for obj in objs]
    moves = [np.hypot(*(np.concatenate(o.points(1.0)) - np.concatenate(o.points(0.0))).T).max() for o in objs]
    factors = dict(size=f"{W}x{H}", background=kind, line_width=lw, content=content, move=round(float(max(moves)), 1),
                   turn=round(max(x for o in objs for x in o.turns()), 1), scaled=bool(scale),
                   articulated=content in ("character", "arm"), pan=bool(pan))  # fmt: skip
    return Scene(W, H, bg, objs), factors


def make_case(name: str, seed: int = MASTER_SEED) -> Case:
    scene, factors = build(name, seed)
    return Case(name, factors, [scene.render(0.0), scene.render(1.0)], [scene.render(t) for t in TIMES])


# ----------------------------------------------------------------------------------------------------- measure
def measure(case: Case, frames: list[np.ndarray]) -> dict[str, float]:
    """The figures of one method's in-betweens, as the package's own cartoon check takes them (module docstring)."""
    from applications_cartoon import figures

    return figures(case.keyframes, case.truths, frames)


def passes(row: dict) -> tuple[bool, bool]:
    """Whether cartoon meets the sharpness target and the double-line target."""
    p, c = row["plain"], row["cartoon"]
    return c["sharp"] >= SHARP_TARGET, c["double"] <= max(p["double"], 1) / 2


def _save(folder: Path, case: Case, made: dict[str, list[np.ndarray]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    images = {"key0": case.keyframes[0], "key1": case.keyframes[1]}
    for t, truth in zip(TIMES, case.truths, strict=True):
        images[f"truth_{round(t * 100):03d}"] = truth
    for label, frames in made.items():
        for t, frame in zip(TIMES, frames, strict=True):
            images[f"{label}_{round(t * 100):03d}"] = frame
    for stem, image in images.items():
        cv2.imwrite(str(folder / f"{stem}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="", help="comma-separated case names, c01 .. c27 (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default 1)")
    parser.add_argument("--seed", type=int, default=MASTER_SEED, help=f"master seed (default {MASTER_SEED})")
    parser.add_argument("--save", type=Path, default=None, help="write each case's images to DIR/<case>/")
    args = parser.parse_args(argv)
    unknown = set(filter(None, args.cases.split(","))) - set(SPECS)
    if unknown:
        parser.error(f"unknown cases {', '.join(sorted(unknown))}; of c01 .. c{len(SPECS):02d}")
    return args


def _summary(rows: list[dict]) -> None:
    names = [row["name"] for row in rows]
    sharp_ok = [row["name"] for row in rows if passes(row)[0]]
    double_ok = [row["name"] for row in rows if passes(row)[1]]
    both = [row["name"] for row in rows if all(passes(row))]
    plain_sharp = sum(row["plain"]["sharp"] >= SHARP_TARGET for row in rows)
    print(f"\n{len(rows)} cases; cartoon sharpness >= {SHARP_TARGET:.2f}: {len(sharp_ok)}; "
          f"double <= max(plain double, 1) / 2: {len(double_ok)}; both: {len(both)} "
          f"(plain sharpness >= {SHARP_TARGET:.2f}: {plain_sharp})")  # fmt: skip
    print(f"  both met: {', '.join(both) or '-'}")
    change = {row["name"]: row["cartoon"]["psnr"] - row["plain"]["psnr"] for row in rows}
    above = [n for n in names if change[n] > 0]
    below = [n for n in names if change[n] < -1.0]
    worst = min(names, key=change.get)
    print(f"cartoon PSNR above plain's: {len(above)} of {len(rows)}; more than 1 dB below: {len(below)}"
          + (f" ({', '.join(f'{n} {change[n]:+.2f}' for n in below)}; worst {worst} {change[worst]:+.2f} dB)"
             if below else f" (worst change {worst} {change[worst]:+.2f} dB)"))  # fmt: skip
    for factor in ("background", "content"):
        groups: dict[str, list[dict]] = {}
        for row in rows:
            groups.setdefault(row["factors"][factor], []).append(row)
        counts = [f"{level} {sum(all(passes(r)) for r in group)}/{len(group)}" for level, group in groups.items()]
        print(f"both met by {factor}: {', '.join(counts)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    import framer
    from framer.applications.cartoon import cartoon

    torch.set_num_threads(args.threads)
    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    wanted = set(filter(None, args.cases.split(",")))
    print(f"worst over t = {', '.join(f'{t:g}' for t in TIMES)} (sharp, psnr: min; ghost, double: max); seed "
          f"{args.seed}; S/D: cartoon meets the sharpness / double-line target")  # fmt: skip
    print(f"{'case':4s} {'size':7s} {'background':10s} lw {'content':9s} {'move':>4s} {'turn':>4s} {'SAP':3s} | "
          f"{'plain sharp ghost double  psnr':30s} | {'cartoon sharp ghost double  psnr':32s} | S D | "
          f"{'s':>9s}")  # fmt: skip
    rows = []
    start_all = time.perf_counter()
    for name in SPECS:
        if wanted and name not in wanted:
            continue
        case = make_case(name, args.seed)
        made, seconds = {}, {}
        for label in ("plain", "cartoon"):
            start = time.perf_counter()
            if label == "plain":
                made[label] = framer.interpolate(case.keyframes, times=list(TIMES), engine=engine)
            else:
                made[label] = cartoon(case.keyframes, times=list(TIMES), engine=engine)
            seconds[label] = time.perf_counter() - start
        row = {"name": name, "factors": case.factors, **{label: measure(case, made[label]) for label in made}}
        rows.append(row)
        if args.save is not None:
            _save(args.save / name, case, made)
        f, p, c = case.factors, row["plain"], row["cartoon"]
        flags = "".join(x if f[k] else "-" for x, k in (("S", "scaled"), ("A", "articulated"), ("P", "pan")))
        s_ok, d_ok = passes(row)
        print(f"{name:4s} {f['size']:7s} {f['background']:10s} {f['line_width']:2d} {f['content']:9s} "
              f"{f['move']:4.0f} {f['turn']:4.0f} {flags:3s} |       {p['sharp']:.2f} {p['ghost']:5d} "
              f"{p['double']:6d} {p['psnr']:5.2f} |         {c['sharp']:.2f} {c['ghost']:5d} {c['double']:6d} "
              f"{c['psnr']:5.2f} | "
              f"{'y' if s_ok else 'N'} {'y' if d_ok else 'N'} | {seconds['plain']:4.1f}+{seconds['cartoon']:4.1f}",
              flush=True)  # fmt: skip
    if rows:
        _summary(rows)
    print(f"{len(rows)} cases in {time.perf_counter() - start_all:.0f} s ({args.threads} thread(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
