"""Autopilot (issue 14, checks 1 and 2) on cases from a generator written apart from ``framer.synthetic``.

``benchmarks/autopilot.py`` measures the autopilot on the package's own synthetic cases
(``framer.synthetic.large_motion``, ``framer.synthetic.mixed``) and on real footage. This script judges it on cases
built independently of those (numpy and OpenCV only, nothing from framer): camera shifts, rotations and zooms whose
corner displacement is 128-256 px (target: autopilot >= plain + 10 dB), a textured object crossing a background the
camera pans (target: >= plain + 3 dB and >= the global pre-alignment + 1 dB), and small, still, low-texture,
periodic, exposure-changing and noisy cases (the autopilot must never be more than 0.3 dB below plain on a frame).
Frames 448x256 to 640x360, three in-betweens (t = 0.25, 0.5, 0.75), PSNR per in-between on uint8 (peak 255); a
case's figure is the mean over its frames, "worst" the lowest frame difference autopilot - plain.

Printed per case: plain, autopilot and global PSNR, the gain and the worst frame, and the autopilot's decision;
then per family how many cases meet the targets and the worst case. The truth of a camera case interpolates the
camera's parameters linearly in t (magnification linear, as ``framer.synthetic.large_motion``); two keyframes cannot
tell that law from others (a constant zoom rate, a dolly, a similarity turned about its fixed point), and against
those the same frames score differently (the generator renders them as ``Case.alt_truth``).

    python benchmarks/autopilot_scenes.py                      # every case (about 4 minutes)
    python benchmarks/autopilot_scenes.py --family mixed

The generator:
Independent synthetic cases for probing framer's autopilot (numpy + cv2 only; nothing from framer.synthetic).

World model
-----------
A virtual camera looks at a flat canvas (an upscaled photo, or a procedural texture). A camera pose at time t is a
2x3 affine map F(t): frame pixel (x, y) -> canvas pixel. Every frame (keyframes and truths alike) is rendered by
inverse mapping: for each pixel of a 2x supersampled frame grid the canvas is sampled bilinearly (cv2.remap,
INTER_LINEAR) at F(t) p, then 2x2 blocks are averaged, then rounded to uint8. The canvas always covers every pose's
footprint plus a margin (asserted), so there are no border artefacts.

Truth conventions (content motion G(t): keyframe-0 pixel -> frame-t pixel, F(t) = F(0) G(t)^-1):

* ``camera`` (primary): camera parameters interpolated linearly in t: frame-centre position on the canvas, roll
  angle, and *content* magnification s(t) = 1 + t (s1 - 1) (linear in scale; the same law as the project's
  framer.synthetic.large_motion, whose zoom grows as 1 + t m / r). For pure shift / rotation / zoom about the frame
  centre this equals the project's convention.
* ``logzoom``: s(t) = s1 ** t (constant zoom rate).
* ``dolly``: 1 / s(t) linear in t (camera moving at constant speed towards a fronto-parallel plane).
* ``centrelinear``: for shift+rotation (+zoom): the content at keyframe 0's frame centre moves on a straight line
  at constant speed, rotation angle and scale about it linear in t.
* ``fixedpoint``: for shift+rotation (+zoom): the keyframe-0 -> keyframe-1 similarity is turned about its own fixed
  point, angle and scale linear in t (the frame centre follows an arc; the autopilot's global model until it took
  the camera's, ``camera`` above, for the whole frame: ``framer.motion.interpolate_homography(follow="view")``).

Mixed scenes: the background is a panned canvas (pure translation of the camera), the object is a textured photo
crop inside an anti-aliased mask (disc, rectangle or irregular blob) whose centre moves linearly in frame pixels and
which optionally rotates about its centre with a linear angle; composited in the supersampled domain.

"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SS = 2  # supersampling factor
TIMES = (0.25, 0.5, 0.75)
MARGIN = 24.0  # canvas margin around every footprint (px)

PHOTOS = {
    "sintel": "sintel_raft_demo/frame_0016.png",
    "whale": "middlebury_rubberwhale/frame07.png",
    "bbb": "bbb_cartoon_triplet/im1_frame010.png",
    "runner": "vimeo_triplet_runner/im1.png",
    "astronaut": "morph_pair_astronaut_chelsea/astronaut.png",
    "chelsea": "morph_pair_astronaut_chelsea/chelsea.png",
    "rife0": "rife_demo_pairs/I0_0.png",
    "rife1": "rife_demo_pairs/I1_0.png",
    "rife2": "rife_demo_pairs/I2_0.png",
    "eggs": "vimeo_triplet_eggs/im1.png",
}


def load_photo(name: str) -> np.ndarray:
    image = cv2.imread(str(DATA / PHOTOS[name]), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(PHOTOS[name])
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------- textures
def procedural(width: int, height: int, seed: int, kind: str = "busy") -> np.ndarray:
    """Own procedural textures, float32 RGB [0, 255].

    busy: multi-octave colour value noise + random shapes, lines and digits (SIFT-friendly);
    flat: a smooth colour gradient with a few faint, blurry blobs (weak matching);
    periodic: a strictly periodic tile pattern (period 48 px) with mild colour drift (ambiguous matching).
    """
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "flat":
        base = np.stack(
            [90 + 60 * xs / width, 110 + 50 * ys / height, 150 - 40 * xs / width + 20 * ys / height], -1
        ).astype(np.float32)
        for _ in range(max(3, width * height // 120000)):
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            r = rng.uniform(30, 90)
            blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
            base += blob[..., None] * rng.uniform(-14, 14, 3).astype(np.float32)
        return np.clip(base, 0, 255)
    if kind == "periodic":
        period = 48
        tile = np.zeros((period, period, 3), np.float32) + 200
        cv2.rectangle(tile, (4, 4), (22, 22), (30, 60, 160), -1)
        cv2.circle(tile, (35, 35), 9, (170, 40, 40), -1)
        cv2.line(tile, (0, 28), (47, 28), (20, 120, 20), 2)
        reps = (height // period + 2, width // period + 2, 1)
        image = np.tile(tile, reps)[:height, :width]
        drift = np.stack([8 * np.sin(xs / 700.0), 8 * np.cos(ys / 600.0), 6 * np.sin((xs + ys) / 900.0)], -1)
        return np.clip(cv2.GaussianBlur(image, (0, 0), 0.8) + drift, 0, 255).astype(np.float32)
    # busy
    image = np.zeros((height, width, 3), np.float32)
    for cell, amp in ((160, 70.0), (48, 45.0), (16, 30.0), (6, 18.0)):  # value-noise octaves, cell size in px
        cells = (width // cell + 2, height // cell + 2)
        grid = rng.uniform(-1, 1, (cells[1], cells[0], 3)).astype(np.float32)
        image += amp * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    image = np.clip(image + 128, 0, 255).astype(np.uint8)
    for _ in range(width * height // 2500):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        shape = rng.integers(4)
        size = int(rng.uniform(4, 28))
        if shape == 0:
            cv2.circle(image, (x, y), size, colour, -1, cv2.LINE_AA)
        elif shape == 1:
            cv2.rectangle(image, (x, y), (x + size, y + int(rng.uniform(4, 28))), colour, -1)
        elif shape == 2:
            cv2.line(image, (x, y), (x + int(rng.normal(0, 40)), y + int(rng.normal(0, 40))), colour, 2, cv2.LINE_AA)
        else:
            cv2.putText(
                image,
                str(int(rng.integers(10, 99))),
                (x, y),
                cv2.FONT_HERSHEY_SIMPLEX,
                size / 20,
                colour,
                2,
                cv2.LINE_AA,
            )
    return cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.7)


# ---------------------------------------------------------------------------------------------------------- geometry
def affine(linear: np.ndarray, offset: np.ndarray) -> np.ndarray:
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = offset
    return out


def rot(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def camera_pose(centre_world, roll: float, magnification: float, width: int, height: int) -> np.ndarray:
    """F: frame pixel -> world: q = C + R(roll) / mag (p - c_f). Content appears rotated by -roll, scaled by mag."""
    cf = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    linear = rot(roll) / magnification
    return affine(linear, np.asarray(centre_world, float) - linear @ cf)


@dataclass
class CameraMotion:
    """Camera motion between keyframes, in content terms.

    shift: (dx, dy) px: content at the frame centre moves by this between the keyframes (camera moves by -shift);
    angle: content rotation (radians, positive = clockwise on screen since y points down) about the frame centre;
    scale: content magnification at t = 1.
    """

    shift: tuple[float, float] = (0.0, 0.0)
    angle: float = 0.0
    scale: float = 1.0

    def magnification(self, t: float, convention: str) -> float:
        s1 = self.scale
        if convention == "logzoom":
            return s1**t
        if convention == "dolly":
            return 1.0 / (1.0 + t * (1.0 / s1 - 1.0))
        return 1.0 + t * (s1 - 1.0)

    def pose(self, t: float, width: int, height: int, convention: str = "camera") -> np.ndarray:
        """3x3 F(t): frame pixel -> world (world origin = keyframe-0 frame centre)."""
        if convention == "centrelinear":
            # the keyframe-0 frame-centre content moves on a straight line at constant speed; angle and scale
            # about it linear in t (the project's interpolate_homography with the fallback centre)
            f0 = self.pose(0.0, width, height)
            f1 = self.pose(1.0, width, height)
            h = np.linalg.inv(f1) @ f0
            lin = h[:2, :2]
            scale = math.sqrt(abs(np.linalg.det(lin)))
            ang = math.atan2(lin[1, 0], lin[0, 0])
            cf = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
            moved = lin @ cf + h[:2, 2]
            lt = rot(t * ang) * (1.0 + t * (scale - 1.0))
            g = affine(lt, cf + t * (moved - cf) - lt @ cf)
            return f0 @ np.linalg.inv(g)
        if convention == "fixedpoint":
            f0 = self.pose(0.0, width, height)
            f1 = self.pose(1.0, width, height)
            h = np.linalg.inv(f1) @ f0  # keyframe-0 pixel -> keyframe-1 pixel (a similarity)
            lin = h[:2, :2]
            scale = math.sqrt(abs(np.linalg.det(lin)))
            ang = math.atan2(lin[1, 0], lin[0, 0])
            try:
                fixed = np.linalg.solve(np.eye(2) - lin, h[:2, 2])
            except np.linalg.LinAlgError:
                fixed = None
            if fixed is None or not np.isfinite(fixed).all():
                return self.pose(t, width, height)
            lt = rot(t * ang) * (1.0 + t * (scale - 1.0))
            g = affine(lt, fixed - lt @ fixed)
            return f0 @ np.linalg.inv(g)
        mag = self.magnification(t, convention)
        # content rotates by +angle => camera rolls by -angle; content shifts by +shift => camera moves by -shift.
        centre = -t * np.asarray(self.shift, float)
        return camera_pose(centre, -t * self.angle, mag, width, height)


def content_homography(f0: np.ndarray, ft: np.ndarray) -> np.ndarray:
    return np.linalg.inv(ft) @ f0


def corner_displacement(motion: CameraMotion, width: int, height: int) -> float:
    """Largest displacement of a keyframe-0 frame corner between the keyframes (px)."""
    f0, f1 = motion.pose(0, width, height), motion.pose(1, width, height)
    g = content_homography(f0, f1)
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [0, height - 1, 1], [width - 1, height - 1, 1]], float).T
    moved = g @ corners
    return float(np.max(np.hypot(*(moved[:2] - corners[:2]))))


# ---------------------------------------------------------------------------------------------------------- rendering
def frame_grid(width: int, height: int) -> np.ndarray:
    """(3, H*SS*W*SS) homogeneous frame-pixel coordinates of the supersampled grid's sample centres."""
    xs = (np.arange(width * SS) + 0.5) / SS - 0.5
    ys = (np.arange(height * SS) + 0.5) / SS - 0.5
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])


def sample(image: np.ndarray, points: np.ndarray, width: int, height: int, check: bool = True) -> np.ndarray:
    """Bilinear samples of ``image`` at points (2, N) laid out on the supersampled grid -> (H*SS, W*SS, C)."""
    mx = points[0].reshape(height * SS, width * SS).astype(np.float32)
    my = points[1].reshape(height * SS, width * SS).astype(np.float32)
    if check:
        h, w = image.shape[:2]
        assert mx.min() >= 0 and my.min() >= 0 and mx.max() <= w - 1 and my.max() <= h - 1, "canvas too small"
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out if out.ndim == 3 else out[..., None]


def downsample(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return image.reshape(height, SS, width, SS, -1).mean(axis=(1, 3))


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


@dataclass
class Canvas:
    """A world image and the world -> canvas-pixel offset (canvas pixel = world + offset)."""

    image: np.ndarray
    offset: np.ndarray
    scale: float = 1.0  # photo upscale factor used


def footprint(poses: list[np.ndarray], width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [0, height - 1, 1], [width - 1, height - 1, 1]], float).T
    pts = np.concatenate([(f @ corners)[:2].T for f in poses])
    return pts.min(0) - MARGIN, pts.max(0) + MARGIN


def make_canvas(source: str, low: np.ndarray, high: np.ndarray, seed: int = 0, min_scale: float = 1.0) -> Canvas:
    """A canvas covering the world box [low, high]: a photo scaled up (cubic) just enough to cover it (at least
    ``min_scale``), centre-cropped; or a procedural texture ``proc:<kind>``."""
    need = np.ceil(high - low).astype(int) + 4
    if source.startswith("proc"):
        kind = source.split(":")[1] if ":" in source else "busy"
        image = procedural(int(need[0]), int(need[1]), seed, kind)
        scale = 1.0
    else:
        photo = load_photo(source)
        ph, pw = photo.shape[:2]
        scale = max(need[0] / pw, need[1] / ph, min_scale)
        if abs(scale - 1.0) > 1e-6:
            photo = cv2.resize(photo, (math.ceil(pw * scale), math.ceil(ph * scale)), interpolation=cv2.INTER_CUBIC)
        ph, pw = photo.shape[:2]
        x0, y0 = (pw - need[0]) // 2, (ph - need[1]) // 2
        image = np.ascontiguousarray(photo[y0 : y0 + need[1], x0 : x0 + need[0]])
    offset = -low + 2.0
    return Canvas(np.clip(image, 0, 255).astype(np.float32), offset, float(scale))


def render_camera(canvas: Canvas, pose: np.ndarray, width: int, height: int) -> np.ndarray:
    """Float (H*SS, W*SS, 3) supersampled render of the canvas through pose F (frame pixel -> world)."""
    pts = pose @ frame_grid(width, height)
    pts = pts[:2] + canvas.offset[:, None]
    return sample(canvas.image, pts, width, height)


# ---------------------------------------------------------------------------------------------------------- cases
@dataclass
class Case:
    name: str
    family: str  # camera, mixed, small
    keyframes: tuple[np.ndarray, np.ndarray]
    truth: list[np.ndarray]
    times: tuple[float, ...] = TIMES
    params: dict = field(default_factory=dict)
    alt_truth: dict = field(default_factory=dict)  # convention -> list of truths


def camera_case(
    name,
    family,
    source,
    motion: CameraMotion,
    width,
    height,
    conventions=("camera",),
    seed=0,
    photometric=None,
    noise=0.0,
):
    """Render a camera-motion case. ``conventions[0]`` is the primary truth; the rest go to alt_truth.

    photometric: optional (gain0, gain1): brightness gain per keyframe, linear in t for the truths.
    noise: std of Gaussian noise added to the keyframes only (truths clean).
    """
    poses = {c: [motion.pose(t, width, height, c) for t in (0.0, *TIMES, 1.0)] for c in conventions}
    # the canvas covers the footprints of every convention (so it does not depend on which truths are rendered)
    every = [motion.pose(t, width, height, c) for c in ALL_CONV for t in np.linspace(0, 1, 17)]
    low, high = footprint(every, width, height)
    canvas = make_canvas(source, low, high, seed)
    rng = np.random.default_rng(seed + 991)
    out = {}
    for conv, ps in poses.items():
        frames = []
        for t, pose in zip((0.0, *TIMES, 1.0), ps, strict=True):
            img = downsample(render_camera(canvas, pose, width, height), width, height)
            if photometric:
                img = img * (photometric[0] + t * (photometric[1] - photometric[0]))
            frames.append(img)
        out[conv] = frames
    main = out[conventions[0]]
    k0, k1 = main[0], main[-1]
    if noise:
        k0 = k0 + rng.normal(0, noise, k0.shape)
        k1 = k1 + rng.normal(0, noise, k1.shape)
    params = dict(
        source=source,
        size=f"{width}x{height}",
        shift=list(motion.shift),
        angle_deg=round(math.degrees(motion.angle), 2),
        scale=motion.scale,
        corner_px=round(corner_displacement(motion, width, height), 1),
        canvas_scale=round(canvas.scale, 2),
    )
    if photometric:
        params["gain"] = list(photometric)
    if noise:
        params["noise"] = noise
    alt = {c: [to_uint8(f) for f in fr[1:-1]] for c, fr in out.items() if c != conventions[0]}
    return Case(name, family, (to_uint8(k0), to_uint8(k1)), [to_uint8(f) for f in main[1:-1]], TIMES, params, alt)


def make_mask(kind: str, w: int, h: int, seed: int) -> np.ndarray:
    """Anti-aliased mask (h, w) float32 in [0, 1], drawn at 4x and area-averaged; a 2 px transparent rim."""
    s = 4
    big = np.zeros((h * s, w * s), np.uint8)
    cx, cy = (w * s - 1) / 2, (h * s - 1) / 2
    rx, ry = (w / 2 - 2) * s, (h / 2 - 2) * s
    if kind == "disc":
        cv2.ellipse(big, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, 255, -1)
    elif kind == "rect":
        cv2.rectangle(big, (2 * s, 2 * s), (w * s - 2 * s - 1, h * s - 2 * s - 1), 255, -1)
    else:  # irregular blob
        rng = np.random.default_rng(seed)
        th = np.linspace(0, 2 * np.pi, 720, endpoint=False)
        a, b, c = rng.uniform(0, 2 * np.pi, 3)
        r = 0.78 + 0.12 * np.sin(3 * th + a) + 0.07 * np.sin(5 * th + b) + 0.03 * np.sin(9 * th + c)
        r = r / r.max()
        pts = np.stack([cx + rx * r * np.cos(th), cy + ry * r * np.sin(th)], -1).astype(np.int32)
        cv2.fillPoly(big, [pts], 255)
    return cv2.resize(big.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)


def mixed_case(
    name,
    bg_source,
    obj_source,
    width,
    height,
    obj_frac,
    shape,
    obj_motion,
    pan,
    obj_rot_deg=0.0,
    seed=0,
    obj_crop_at=(0.5, 0.5),
    family="mixed",
):
    """Object (photo crop in a mask covering ``obj_frac`` of the frame) moving ``obj_motion`` (dx, dy) px in frame
    pixels, starting so that its path is centred in the frame, rotating ``obj_rot_deg`` degrees in all; the
    background content moving ``pan`` (dx, dy) px (camera pans the other way)."""
    # sprite size: for disc/irregular the mask area is ~ pi/4 * 0.8 of the box; choose box to hit obj_frac.
    fill = {"disc": math.pi / 4, "rect": 1.0, "irregular": 0.55}[shape]
    area = obj_frac * width * height / fill
    aspect = 1.3 if shape == "rect" else 1.0
    sh = round(math.sqrt(area / aspect))
    sw = round(sh * aspect)
    photo = load_photo(obj_source)
    ph, pw = photo.shape[:2]
    # crop a (sw, sh) patch (scaled so the patch covers ~60% of the photo's shorter dimension)
    k = max(sw / (0.6 * pw), sh / (0.6 * ph), 1.0)
    if k > 1:
        photo = cv2.resize(photo, (math.ceil(pw * k), math.ceil(ph * k)), interpolation=cv2.INTER_CUBIC)
    ph, pw = photo.shape[:2]
    x0 = int(np.clip(obj_crop_at[0] * pw - sw / 2, 0, pw - sw))
    y0 = int(np.clip(obj_crop_at[1] * ph - sh / 2, 0, ph - sh))
    sprite = np.ascontiguousarray(photo[y0 : y0 + sh, x0 : x0 + sw])
    mask = make_mask(shape, sw, sh, seed)
    spc = np.array([(sw - 1) / 2, (sh - 1) / 2])
    frac = float(mask.sum()) / (width * height)

    motion = CameraMotion(shift=pan)
    poses = [motion.pose(t, width, height) for t in (0.0, *TIMES, 1.0)]
    low, high = footprint(poses, width, height)
    canvas = make_canvas(bg_source, low, high, seed)
    cf = np.array([(width - 1) / 2, (height - 1) / 2])
    om = np.asarray(obj_motion, float)
    start = cf - 0.5 * om
    grid = frame_grid(width, height)
    frames = []
    for t, pose in zip((0.0, *TIMES, 1.0), poses, strict=True):
        bg = render_camera(canvas, pose, width, height)
        centre = start + t * om
        phi = math.radians(obj_rot_deg) * t
        # frame pixel p -> sprite pixel: spc + R(-phi) (p - centre)
        lin = rot(-phi)
        m = affine(lin, spc - lin @ centre)
        sp = (m @ grid)[:2]
        colour = sample(sprite, sp, width, height, check=False)
        alpha = sample(mask, sp, width, height, check=False)
        img = bg * (1 - alpha) + colour * alpha
        frames.append(downsample(img, width, height))
    params = dict(
        bg=bg_source,
        obj=obj_source,
        size=f"{width}x{height}",
        shape=shape,
        obj_frac=round(frac, 3),
        obj_motion=list(obj_motion),
        pan=list(pan),
        obj_rot_deg=obj_rot_deg,
        canvas_scale=round(canvas.scale, 2),
    )
    return Case(
        name, family, (to_uint8(frames[0]), to_uint8(frames[-1])), [to_uint8(f) for f in frames[1:-1]], TIMES, params
    )


def _dir(deg: float, mag: float) -> tuple[float, float]:
    return (mag * math.cos(math.radians(deg)), mag * math.sin(math.radians(deg)))


def rotation_for_corner(corner: float, width: int, height: int) -> float:
    r = math.hypot((width - 1) / 2, (height - 1) / 2)
    return 2 * math.asin(corner / (2 * r))


def scale_for_corner(corner: float, width: int, height: int) -> float:
    r = math.hypot((width - 1) / 2, (height - 1) / 2)
    return 1 + corner / r


ZOOM_CONV = ("camera", "logzoom", "dolly")
COMBO_CONV = ("camera", "fixedpoint", "centrelinear")
ALL_CONV = ("camera", "logzoom", "dolly", "fixedpoint", "centrelinear")


def camera_specs():
    """(name, source, motion, width, height, conventions)"""
    specs = []
    add = specs.append
    # pure shifts (content displacement), various directions
    add(("shift128-right-448", "sintel", CameraMotion(shift=_dir(0, 128)), 448, 256, ("camera",)))
    add(("shift160-down-512", "astronaut", CameraMotion(shift=_dir(90, 160)), 512, 512, ("camera",)))
    add(("shift192-diag45-640", "bbb", CameraMotion(shift=_dir(45, 192)), 640, 360, ("camera",)))
    add(("shift256-left-640", "whale", CameraMotion(shift=_dir(180, 256)), 640, 360, ("camera",)))
    add(("shift256-upleft-512", "proc:busy", CameraMotion(shift=_dir(-150, 256)), 512, 512, ("camera",)))
    add(("shift160-diag-448", "runner", CameraMotion(shift=_dir(-35, 160)), 448, 256, ("camera",)))
    add(("shift128-up-448", "proc:busy", CameraMotion(shift=_dir(-90, 128)), 448, 256, ("camera",)))
    # rotations about the frame centre, by corner displacement
    add(("rot128-448", "chelsea", CameraMotion(angle=rotation_for_corner(128, 448, 256)), 448, 256, ("camera",)))
    add(("rot192ccw-640", "sintel", CameraMotion(angle=-rotation_for_corner(192, 640, 360)), 640, 360, ("camera",)))
    add(("rot256-512", "astronaut", CameraMotion(angle=rotation_for_corner(256, 512, 512)), 512, 512, ("camera",)))
    add(("rot160ccw-448", "proc:busy", CameraMotion(angle=-rotation_for_corner(160, 448, 256)), 448, 256, ("camera",)))
    # zooms (content magnification at t=1)
    add(("zoomin1.5-448", "whale", CameraMotion(scale=1.5), 448, 256, ZOOM_CONV))
    add(("zoomin1.8-448", "bbb", CameraMotion(scale=1.8), 448, 256, ZOOM_CONV))
    add(("zoomin1.35-640", "sintel", CameraMotion(scale=1.35), 640, 360, ZOOM_CONV))
    add(("zoomin1.7-512", "proc:busy", CameraMotion(scale=1.7), 512, 512, ZOOM_CONV))
    add(("zoomout1.6-640", "bbb", CameraMotion(scale=1 / 1.6), 640, 360, ZOOM_CONV))
    # combined
    add(
        (
            "shift128+rot10-448",
            "rife1",
            CameraMotion(shift=_dir(10, 128), angle=math.radians(10)),
            448,
            256,
            COMBO_CONV,
        )
    )
    add(
        (
            "shift160+rot-15-640",
            "whale",
            CameraMotion(shift=_dir(-40, 160), angle=math.radians(-15)),
            640,
            360,
            COMBO_CONV,
        )
    )
    add(
        (
            "shift192+rot8-512",
            "astronaut",
            CameraMotion(shift=_dir(200, 192), angle=math.radians(8)),
            512,
            512,
            COMBO_CONV,
        )
    )
    add(
        (
            "zoom1.4+rot12-640",
            "bbb",
            CameraMotion(scale=1.4, angle=math.radians(12)),
            640,
            360,
            ("camera", "logzoom", "dolly"),
        )
    )
    return specs


def mixed_specs():
    """(name, bg, obj, w, h, frac, shape, obj_motion, pan, rot, crop_at)"""
    return [
        (
            "mx-disc-o120-p100opp-448",
            "sintel",
            "astronaut",
            448,
            256,
            0.20,
            "disc",
            _dir(0, 120),
            _dir(180, 100),
            0,
            (0.45, 0.35),
        ),
        (
            "mx-rect-o150-p60opp-448",
            "whale",
            "chelsea",
            448,
            256,
            0.15,
            "rect",
            _dir(180, 150),
            _dir(0, 60),
            0,
            (0.5, 0.5),
        ),
        (
            "mx-irr-o100-p150opp-640",
            "bbb",
            "astronaut",
            640,
            360,
            0.25,
            "irregular",
            _dir(20, 100),
            _dir(200, 150),
            0,
            (0.5, 0.4),
        ),
        (
            "mx-disc-o120-p90perp-640",
            "sintel",
            "chelsea",
            640,
            360,
            0.20,
            "disc",
            _dir(0, 120),
            _dir(90, 90),
            0,
            (0.55, 0.5),
        ),
        (
            "mx-rect-o80-p140perp-512",
            "proc:busy",
            "whale",
            512,
            512,
            0.30,
            "rect",
            _dir(90, 80),
            _dir(0, 140),
            0,
            (0.5, 0.5),
        ),
        (
            "mx-irr-o140-p100opp-rot15-512",
            "whale",
            "bbb",
            512,
            512,
            0.18,
            "irregular",
            _dir(-45, 140),
            _dir(135, 100),
            15,
            (0.4, 0.5),
        ),
        (
            "mx-disc-o90-p120opp-rot10-448",
            "runner",
            "astronaut",
            448,
            256,
            0.15,
            "disc",
            _dir(180, 90),
            _dir(0, 120),
            10,
            (0.5, 0.3),
        ),
        (
            "mx-rect-o130-p70perp-rot-12-640",
            "whale",
            "sintel",
            640,
            360,
            0.22,
            "rect",
            _dir(0, 130),
            _dir(-90, 70),
            -12,
            (0.3, 0.5),
        ),
        (
            "mx-disc-o150-p150opp-448",
            "proc:busy",
            "chelsea",
            448,
            256,
            0.16,
            "disc",
            _dir(0, 150),
            _dir(180, 150),
            0,
            (0.5, 0.5),
        ),
        (
            "mx-irr-o60-p60opp-640",
            "bbb",
            "astronaut",
            640,
            360,
            0.28,
            "irregular",
            _dir(180, 60),
            _dir(0, 60),
            0,
            (0.5, 0.5),
        ),
    ]


def small_cases():
    cases = []
    w, h = 448, 256
    cases.append(camera_case("still-448", "small", "sintel", CameraMotion(), w, h))
    cases.append(camera_case("shift8-448", "small", "whale", CameraMotion(shift=_dir(20, 8)), w, h))
    cases.append(camera_case("shift24-640", "small", "bbb", CameraMotion(shift=_dir(-30, 24)), 640, 360))
    cases.append(camera_case("shift40-diag-448", "small", "runner", CameraMotion(shift=_dir(45, 40)), w, h))
    cases.append(
        camera_case(
            "rot20corner-512", "small", "astronaut", CameraMotion(angle=rotation_for_corner(20, 512, 512)), 512, 512
        )
    )
    cases.append(
        camera_case("lowtex-shift160-448", "small", "proc:flat", CameraMotion(shift=_dir(5, 160)), w, h, seed=3)
    )
    cases.append(
        camera_case("periodic-shift136-448", "small", "proc:periodic", CameraMotion(shift=_dir(0, 136)), w, h, seed=4)
    )
    cases.append(
        camera_case(
            "exposure1.35-shift140-448",
            "small",
            "sintel",
            CameraMotion(shift=_dir(-10, 140)),
            w,
            h,
            photometric=(1.0, 1.35),
        )
    )
    cases.append(
        camera_case(
            "noise10-shift128-448", "small", "chelsea", CameraMotion(shift=_dir(15, 128)), w, h, noise=10.0, seed=5
        )
    )
    cases.append(
        mixed_case(
            "obj100-static-bg-448", "sintel", "astronaut", w, h, 0.08, "disc", _dir(0, 100), (0.0, 0.0), family="small"
        )
    )
    cases.append(
        mixed_case(
            "obj20-pan10-448", "whale", "chelsea", w, h, 0.2, "disc", _dir(180, 20), _dir(0, 10), family="small"
        )
    )
    return cases


def all_cases():
    cases = []
    for name, source, motion, w, h, conv in camera_specs():
        cases.append(camera_case(name, "camera", source, motion, w, h, conv))
    for name, bg, obj, w, h, frac, shape, om, pan, r, crop in mixed_specs():
        cases.append(mixed_case(name, bg, obj, w, h, frac, shape, om, pan, r, obj_crop_at=crop))
    cases.extend(small_cases())
    return cases


TARGETS = {"camera": 10.0, "mixed": 3.0}
NEVER_WORSE_DB = -0.3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="", help="camera, mixed or small (default: all)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch (default 2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import logging

    import torch

    import framer
    from framer.matching import AutopilotConfig
    from framer.synthetic import psnr

    torch.set_num_threads(args.threads)
    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    decisions: list[str] = []

    class _Decisions(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            decisions.append(record.getMessage())

    logger = logging.getLogger("framer")
    logger.addHandler(_Decisions(logging.INFO))
    logger.setLevel(logging.INFO)
    print(f"{'family':<7} {'case':<34} {'plain':>6} {'auto':>6} {'global':>6} {'gain':>7} {'worst':>7}  decision")
    rows: dict[str, list[tuple[str, float, float, float]]] = {}
    for case in all_cases():
        if args.family and case.family != args.family:
            continue
        keys, count = list(case.keyframes), len(case.times)
        plain = framer.interpolate(keys, num_frames=count, engine=engine)
        decisions.clear()
        auto = framer.interpolate(keys, num_frames=count, engine=engine, autopilot=True)
        decision = next((m for m in reversed(decisions) if "autopilot" in m or "pre-align" in m), "")
        glob = framer.interpolate(keys, num_frames=count, engine=engine, autopilot=AutopilotConfig(method="global"))
        scores = [[psnr([frame], [truth]) for frame, truth in zip(made, case.truth, strict=True)]
                  for made in (plain, auto, glob)]  # fmt: skip
        plain_db, auto_db, global_db = (float(np.mean(s)) for s in scores)
        worst = min(a - p for a, p in zip(scores[1], scores[0], strict=True))
        rows.setdefault(case.family, []).append((case.name, auto_db - plain_db, worst, auto_db - global_db))
        kinds = {"no clear gain": "plain-measured", "layered pre-alignment": "align-layers",
                 "global pre-alignment": "align", "motion is small": "small-motion"}  # fmt: skip
        kind = next((name for words, name in kinds.items() if words in decision), "")
        print(f"{case.family:<7} {case.name:<34} {plain_db:6.2f} {auto_db:6.2f} {global_db:6.2f} "
              f"{auto_db - plain_db:+7.2f} {worst:+7.2f}  {kind or decision[:60]}", flush=True)  # fmt: skip
    for family, found in rows.items():
        gains, worsts = [r[1] for r in found], [r[2] for r in found]
        line = (f"{family}: {len(found)} cases; gain {min(gains):+.2f} to {max(gains):+.2f} dB; "
                f"worst frame {min(worsts):+.2f} dB")  # fmt: skip
        if family in TARGETS:
            met = [r for r in found if r[1] >= TARGETS[family] and (family != "mixed" or r[3] >= 1.0)]
            line += f"; {len(met)} of {len(found)} meet >= plain + {TARGETS[family]:g} dB"
            line += " and >= global + 1 dB" if family == "mixed" else ""
        below = sum(w < NEVER_WORSE_DB for w in worsts)
        print(line + f"; {below} with a frame more than {-NEVER_WORSE_DB} dB below plain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
