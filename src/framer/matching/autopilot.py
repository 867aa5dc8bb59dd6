"""Autopilot: find correspondences between two keyframes and decide how to steer the interpolation with them.

Steps (:func:`plan_autopilot`):

1. SIFT keypoints, kNN matching with the ratio test (:mod:`framer.matching.sift`);
2. geometric verification against homographies or a fundamental matrix (:mod:`framer.matching.verify`);
3. a confidence per match and a selection spread over the frame (:mod:`framer.matching.select`);
4. the verified matches split into motion layers (:mod:`framer.matching.layers`);
5. the decision: too few or unreliable matches fall back to plain interpolation, and so does small motion (the
   fastest layer moves less than ``min_motion``), which the flow network handles by itself (the result is then
   exactly the plain one); otherwise the keyframes may be pre-aligned (:mod:`framer.motion`).

With an engine that gives dense correspondences, :func:`framer.guidance.autopilot_alignment` then refines the matches
with the network's own correspondences (:func:`refine_correspondences`, :func:`consistent_flow_samples`) on the
pre-aligned pair, where the network run on the pair in both orders (forward and backward) agrees, and fits the final
alignment to them; it then measures plain, global and layered pre-alignment and keeps plain unless one is clearly
better (:mod:`framer.matching.choice`). This package knows no engine: it turns images into verified matches and a
decision; the motion model lives in :mod:`framer.motion` and the use of both per gap in :mod:`framer.guidance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from framer.errors import InputError
from framer.matching.layers import MotionLayer, motion_layers, moving_motion
from framer.matching.matchers import check_matcher_name, get_matcher
from framer.matching.select import local_deviation, match_confidence, select_spread
from framer.matching.sift import to_grey
from framer.matching.verify import verify_matches
from framer.motion.homography import similarity_motion
from framer.trajectory import Trajectory

if TYPE_CHECKING:
    from framer.motion import Alignment

__all__ = [
    "CHOICES",
    "DECISIONS",
    "METHODS",
    "AutopilotConfig",
    "AutopilotPlan",
    "Correspondences",
    "consistent_flow_samples",
    "find_correspondences",
    "plan_autopilot",
    "refine_correspondences",
]

METHODS = ("auto", "global")


@dataclass(frozen=True)
class AutopilotConfig:
    """Settings of the autopilot.

    Attributes:
        count: how many matches to show as trajectories (spread over the frame).
        fit_count: how many matches (spread over the frame) the motion model is fitted to.
        ratio: Lowe's ratio test limit.
        min_matches: fewer verified matches than this fall back to plain interpolation.
        min_confidence: a median confidence of the kept matches below this falls back too.
        min_motion: content moving less than this (px) leaves the work to the flow network alone, and the result
            is exactly the plain one. The motion is that of the fastest motion layer (:mod:`framer.matching.layers`,
            90th percentile of its matches' displacement), so a subject moving far over a still background counts;
            with ``method="global"`` it is the 95th percentile over all matches, as before layers. Below about
            32 px RIFE v4.25 finds the motion itself (within about 2 dB of the pre-aligned result on the synthetic
            shifts, rotations and zooms), while pre-aligning real footage with several motions can cost detail (the
            Vimeo runner triplet, 29.5 px: +0.4 dB PSNR but SSIM 0.905 -> 0.890 when forced).
        threshold: inlier threshold of the geometric verification in px; None scales it with the frame.
        max_side: keyframes are matched at most this large (longer side, px).
        refine: refine the matches with forward-backward consistent network flow (needs a flow engine).
        dense_spacing: spacing (px) of the consistent flow samples added where no match is near; 0 adds none.
        method: ``"auto"``: the plain result, the global pre-alignment and the layered one
            (:mod:`framer.motion.layers`) are each measured at t = 0.5 (how well the two keyframes, carried to the
            middle frame by the network along each candidate, agree), and a pre-alignment is used only when it
            beats plain by ``margin`` (:mod:`framer.matching.choice`); ``"global"``: the global pre-alignment
            whenever the motion is large, unmeasured (the autopilot before layers, kept for comparison).
        margin: how much lower (a fraction) a pre-aligned candidate's measured error must be than plain's. Measured
            (``benchmarks/autopilot.py``): the best candidate's error is 0.01-0.09 of plain's on synthetic camera
            motion and 0.19-0.44 on the mixed scenes, but 0.73-0.89 on the Sintel windows where a pre-alignment
            would have lost up to 2.2 dB on a frame; 0.5 keeps plain there.
        matcher: the keypoint matcher, ``"sift"`` or a learned one (``"xfeat"``, ``"disk"``; see
            :mod:`framer.matching.matchers`).
    """

    count: int = 32
    fit_count: int = 512
    ratio: float = 0.75
    min_matches: int = 8
    min_confidence: float = 0.35
    min_motion: float = 32.0
    threshold: float | None = None
    max_side: int = 1600
    refine: bool = True
    dense_spacing: float = 0.0
    method: str = "auto"
    margin: float = 0.5
    matcher: str = "sift"

    @classmethod
    def from_option(cls, autopilot: object) -> AutopilotConfig | None:
        """An ``autopilot=`` argument as settings: True -> the defaults, False/None -> None (off), a config as is."""
        if autopilot is True:
            return cls()
        if autopilot is False or autopilot is None:
            return None
        if isinstance(autopilot, cls):
            return autopilot
        raise InputError(f"`autopilot` must be True, False or an AutopilotConfig, not {autopilot!r}.")

    def __post_init__(self) -> None:
        for name in ("count", "fit_count", "min_matches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"`{name}` must be an integer >= 1 but is {value!r}.")
        if not (0.0 < self.ratio <= 1.0):
            raise InputError(f"`ratio` must be in (0, 1] but is {self.ratio!r}.")
        if not (0.0 <= self.min_confidence <= 1.0):
            raise InputError(f"`min_confidence` must be in [0, 1] but is {self.min_confidence!r}.")
        if not (self.min_motion >= 0.0 and math.isfinite(self.min_motion)):
            raise InputError(f"`min_motion` must be a number of pixels >= 0 but is {self.min_motion!r}.")
        if not (self.dense_spacing >= 0.0 and math.isfinite(self.dense_spacing)):
            raise InputError(f"`dense_spacing` must be a number of pixels >= 0 but is {self.dense_spacing!r}.")
        if self.method not in METHODS:
            raise InputError(f"`method` must be one of {', '.join(METHODS)} but is {self.method!r}.")
        if not (0.0 <= self.margin < 1.0):
            raise InputError(f"`margin` must be a fraction in [0, 1) but is {self.margin!r}.")
        check_matcher_name(self.matcher)


@dataclass(frozen=True, eq=False)
class Correspondences:
    """Verified matches between two keyframes, spread over the frame.

    Attributes:
        starts, ends: ``(N, 2)`` xy pixels in keyframe 0 and keyframe 1; the first ``shown`` are the ones shown to
            the user as trajectories, all are used to fit the motion model.
        confidence: ``(N,)`` in [0, 1] (see :mod:`framer.matching.select`).
        shown: how many of the matches, from the first, are shown.
        width, height: the keyframes' size.
        model: the verifying model, ``"homography"``, ``"fundamental"`` or ``"none"``.
        global_motion: 3x3 global motion keyframe 0 -> keyframe 1 for pre-alignment: a similarity fitted to all
            verified matches (least median of squares). The verifying homography can fit a plane of the scene with
            a shear that goes far wrong away from it (parallax, several motions); the similarity extrapolates
            tamely, and the local field adds what it misses near the matches.
        homography: the dominant verifying homography (3x3) or None.
        candidates: matches that passed the ratio test.
        verified: matches the geometric model accepted.
        motion: 95th percentile of the verified matches' displacement (px).
        layers: all verified matches split into motion layers (:func:`framer.matching.motion_layers`), largest
            first; matches no layer explains are in none.
    """

    starts: np.ndarray
    ends: np.ndarray
    confidence: np.ndarray
    shown: int
    width: int
    height: int
    model: str
    global_motion: np.ndarray
    homography: np.ndarray | None
    candidates: int
    verified: int
    motion: float
    layers: tuple[MotionLayer, ...] = ()

    def __len__(self) -> int:
        return len(self.starts)

    def names(self) -> list[str]:
        """A name per shown match, e.g. ``"match 03"``; the confidence travels as ``Trajectory.confidence``."""
        digits = max(2, len(str(self.shown)))
        return [f"match {i:0{digits}d}" for i in range(self.shown)]

    def trajectories(self, alignment: Alignment | None = None) -> list[Trajectory]:
        """The shown matches as trajectories: along the motion model's path when ``alignment`` (fitted to these
        correspondences) is given, with waypoints at t = 0.25, 0.5, 0.75 so that rotations show as arcs; straight
        lines otherwise. Each carries its match's confidence (``Trajectory.confidence``)."""
        names = self.names()
        confidence = [float(c) for c in np.clip(self.confidence[: self.shown], 0.0, 1.0)]
        if alignment is not None and len(alignment.starts) >= self.shown:
            paths = alignment.trajectories(names=names + [None] * (len(alignment.starts) - self.shown))[: self.shown]
            return [
                Trajectory(path.points, path.times, path.name, path.interpolation, c)
                for path, c in zip(paths, confidence, strict=True)
            ]
        return [
            Trajectory(np.stack([s, e]), np.array([0.0, 1.0]), name, confidence=c)
            for s, e, name, c in zip(self.starts, self.ends, names, confidence, strict=False)
        ]


def _union_order(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first``, then the entries of ``second`` not in ``first``, in order."""
    seen = set(first.tolist())
    return np.concatenate([first, np.array([i for i in second.tolist() if i not in seen], np.int64)]).astype(np.int64)


DECISIONS = ("align", "small-motion", "too-few-matches", "unreliable-matches")
CHOICES = ("align", "align-layers", "plain-measured")  # what the measured choice makes of "align" (method "auto")


@dataclass(frozen=True, eq=False)
class AutopilotPlan:
    """What the autopilot decided for one keyframe pair.

    Attributes:
        decision: ``"align"`` (pre-align with the matches), or a reason to interpolate plainly:
            ``"small-motion"`` (the network needs no help), ``"too-few-matches"`` or ``"unreliable-matches"``.
        reason: one sentence saying why.
        correspondences: the matches found (also when falling back).
    """

    decision: str
    reason: str
    correspondences: Correspondences

    @property
    def align(self) -> bool:
        """True when the keyframes are pre-aligned with the matches."""
        return self.decision == "align"


def find_correspondences(image0: np.ndarray, image1: np.ndarray, config: AutopilotConfig) -> Correspondences:
    """Steps 1-4 of the module docstring on two keyframes ``(H, W[, C])`` (uint8, uint16 or float in [0, 1])."""
    matches = get_matcher(config.matcher)(image0, image1, config)
    width, height = matches.width, matches.height
    verification = verify_matches(matches.starts, matches.ends, width, height, threshold=config.threshold)
    kept = matches.subset(verification.inliers)
    residuals = verification.residuals[verification.inliers]
    deviation = local_deviation(kept.starts, kept.ends)
    confidence = match_confidence(kept.ratio, residuals, deviation, config.ratio, verification.threshold)
    displacement = np.linalg.norm(kept.ends - kept.starts, axis=1)
    motion = float(np.percentile(displacement, 95)) if len(kept) else 0.0
    order = np.zeros(0, np.int64)
    shown = 0
    if len(kept):
        shown_order = select_spread(kept.starts, confidence, config.count)
        shown = len(shown_order)
        order = _union_order(shown_order, select_spread(kept.starts, confidence, max(config.fit_count, config.count)))
    return Correspondences(
        starts=kept.starts[order],
        ends=kept.ends[order],
        confidence=confidence[order],
        shown=shown,
        width=width,
        height=height,
        model=verification.model,
        global_motion=similarity_motion(kept.starts, kept.ends),
        homography=verification.homography,
        candidates=len(matches),
        verified=len(kept),
        motion=motion,
        layers=tuple(motion_layers(kept.starts, kept.ends, _layer_threshold(width, height), config.min_matches)),
    )


def plan_autopilot(image0: np.ndarray, image1: np.ndarray, config: AutopilotConfig | None = None) -> AutopilotPlan:
    """Find correspondences and decide whether to pre-align with them (step 5 of the module docstring)."""
    config = config or AutopilotConfig()
    found = find_correspondences(image0, image1, config)
    if len(found) < config.min_matches:
        return AutopilotPlan(
            "too-few-matches",
            f"autopilot found {len(found)} verified matches (of {found.candidates} candidates), fewer than "
            f"{config.min_matches}; interpolating without it",
            found,
        )
    median = float(np.median(found.confidence))
    if median < config.min_confidence:
        return AutopilotPlan(
            "unreliable-matches",
            f"autopilot's matches are unreliable (median confidence {median:.2f} < {config.min_confidence:.2f}); "
            "interpolating without it",
            found,
        )
    layers = found.layers
    motion = found.motion if config.method == "global" else moving_motion(layers, found.motion)
    if motion < config.min_motion:
        return AutopilotPlan(
            "small-motion",
            f"autopilot not needed: the motion is small ({motion:.1f} px < {config.min_motion:g} px), which "
            "the flow network handles by itself",
            found,
        )
    return AutopilotPlan(
        "align",
        f"autopilot steers with {len(found)} matches ({found.model}, motion {motion:.0f} px in "
        f"{max(1, len(layers))} layer(s), median confidence {median:.2f})",
        found,
    )


# ----------------------------------------------------------------------------------------------------------------
# Refinement with the network's flow


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples ``(N, C)`` of ``field`` ``(H, W, C)`` at ``points`` ``(N, 2)`` (edge values outside)."""
    xs = points[:, 0].astype(np.float32).reshape(1, -1)
    ys = points[:, 1].astype(np.float32).reshape(1, -1)
    out = cv2.remap(np.ascontiguousarray(field, np.float32), xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(len(points), -1).astype(np.float64)


def _layer_threshold(width: int, height: int) -> float:
    """Inlier distance (px) of a match to its motion layer: 0.5% of the frame's diagonal, at least 2.5 px."""
    return 2.5 * _tolerance(width, height)


def _tolerance(width: int, height: int) -> float:
    return max(1.0, 0.002 * math.hypot(width, height))


def _through(to0: np.ndarray, starts: np.ndarray, guesses: np.ndarray, steps: int = 4) -> np.ndarray:
    """Positions ``(N, 2)`` in the middle frame whose keyframe-0 position ``to0`` is ``starts``, from ``guesses``.

    Fixed-point steps ``y <- y + (start - to0(y))`` (the map is close to a shift locally).
    """
    points = np.asarray(guesses, np.float64).copy()
    for _ in range(steps):
        points += starts - _sample(to0, points)
    return points


def refine_correspondences(
    found: Correspondences,
    to0: np.ndarray,
    to1: np.ndarray,
    disagreement: np.ndarray,
    guesses: np.ndarray,
    tolerance: float | None = None,
) -> Correspondences:
    """Matches moved to where consistent network correspondences put them.

    Each match is followed through the middle frame (from ``guesses``, its modelled position there) to keyframe 1.
    Its end moves to the network's end when the network's two runs agree there (within ``tolerance`` px), the
    middle-frame point really comes from the match's start, and the network's end lies within a few tolerances of
    the keypoint match (the two methods agree; the network's end is then the more precise). Where the network is
    inconsistent the keypoint match is kept with its confidence lowered by the disagreement; where the two methods
    disagree the geometrically verified keypoint match is kept.

    Args:
        found: the matches.
        to0, to1, disagreement: from :meth:`framer.engines.flow.FlowEngine.correspondence_maps`.
        guesses: ``(N, 2)`` each match's position in the middle frame under the current motion model.
        tolerance: in px; by default 0.2% of the frame's diagonal, at least 1 px.
    """
    if len(found) == 0:
        return found
    tolerance = _tolerance(found.width, found.height) if tolerance is None else float(tolerance)
    middle = _through(to0, found.starts, guesses)
    reached = np.linalg.norm(_sample(to0, middle) - found.starts, axis=1) < 0.5 * tolerance
    network_ends = _sample(to1, middle)
    spread = _sample(disagreement[..., None], middle)[:, 0]
    consistent = reached & (spread < tolerance)
    agree = np.linalg.norm(network_ends - found.ends, axis=1) < 4.0 * tolerance
    use = consistent & agree
    limit = np.array([found.width - 1, found.height - 1], np.float64)
    ends = np.clip(np.where(use[:, None], network_ends, found.ends), 0.0, limit)
    penalty = np.where(consistent, 1.0, np.exp(-0.5 * (spread / (4.0 * tolerance)) ** 2))
    return replace(found, ends=ends, confidence=found.confidence * penalty)


def consistent_flow_samples(
    to0: np.ndarray,
    to1: np.ndarray,
    disagreement: np.ndarray,
    image0: np.ndarray,
    spacing: float,
    avoid: np.ndarray | None = None,
    tolerance: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correspondences from the network on a grid over the middle frame, where they are trustworthy.

    A grid point is kept when the network's two runs agree there, both its ends lie inside the keyframes, keyframe
    0 has texture at its start (the motion is measured there, not filled in), and no point of ``avoid`` is within
    ``spacing`` of its start.

    Returns:
        ``(starts, ends, confidence)``: ``(M, 2)``, ``(M, 2)``, ``(M,)``.
    """
    height, width = to0.shape[:2]
    tolerance = _tolerance(width, height) if tolerance is None else float(tolerance)
    half = spacing / 2.0
    xs, ys = np.meshgrid(np.arange(half, width - 1, spacing), np.arange(half, height - 1, spacing))
    middle = np.stack([xs.ravel(), ys.ravel()], axis=1)
    if len(middle) == 0:
        return np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0)
    starts, ends = _sample(to0, middle), _sample(to1, middle)
    spread = _sample(disagreement[..., None], middle)[:, 0]
    grey = to_grey(image0).astype(np.float32) / 255.0
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    texture = cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy), (0, 0), max(1.0, spacing / 4.0))
    textured = _sample(texture[..., None], starts)[:, 0] > 0.05
    limit = np.array([width - 1, height - 1], np.float64)
    inside = np.all((starts >= 0) & (starts <= limit) & (ends >= 0) & (ends <= limit), axis=1)
    keep = (spread < tolerance) & textured & inside
    if avoid is not None and len(avoid) and keep.any():
        nearest = np.min(np.sum((starts[:, None] - np.asarray(avoid)[None]) ** 2, axis=2), axis=1)
        keep &= nearest >= spacing * spacing
    confidence = np.exp(-0.5 * (spread / tolerance) ** 2)
    return starts[keep], ends[keep], confidence[keep]
