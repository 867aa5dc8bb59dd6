"""Time-lapse and loop benchmark (issue 17, checks 2 and 4).

Time-lapse (check 2): stills under an exposure ramp (gains 0.6 -> 1.4 across the stills) with camera jitter of 2-4 px
between them, made into a clip with ``--multi 2`` (one in-between per gap, at t = 0.5):

- synthetic ``tex0``..``tex2``: a textured scene (:func:`exposure_ramp`), 6 stills of 160x120;
- ``whale-still`` / ``sintel-still``: a real photograph (RubberWhale frame10, Sintel frame_0020, downscaled) as the
  static scene;
- ``whale-motion`` / ``sintel-motion``: real motion: RubberWhale frames 07, 09, 11, 13 (Sintel 16..24, every other,
  downscaled 0.5) as stills, the frames between them (with the gain and jitter of their time) as the truth.

Per case: ``bright``: the worst relative error of an in-between's mean brightness against the truth (target <= 2%),
for plain interpolation (``match_colour=False``) and for the time-lapse's colour matching, each without and with
``--stabilize``; ``jitter``: RMS shift of the output frames against the first one (ECC translation, started from
phase correlation: :func:`residual_jitter`), before and after ``--stabilize`` (target < 0.5 px); for the motion
cases the scene's own motion (moving toys, Sintel's camera pan) is in that figure too, so they are left out of its
worst.

Loop (check 4): ``make_loop`` on synthetic clips (:func:`loop_clip`: orbit, pan, swing) and the shared videos
(carphone 176x144; Big Buck Bunny first 2 s at 320x180; vtest first 3 s at 384x288), and ``two-shots``, a clip with a
scene cut (Big Buck Bunny's first 24 frames, then vtest's first 36; it loops its longest shot). Per case: the
difference (mean absolute, 0-255) from the loop's last frame to its first, against the median difference of
consecutive frames of the clip (of the shot looped; target: no larger), and the plain cut's (the clip's last frame to
its first).

    python benchmarks/applications_timelapse_loop.py               # both
    python benchmarks/applications_timelapse_loop.py --only loop
    python benchmarks/applications_timelapse_loop.py --write-stills whale/   # the gallery's stills
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from framer.applications._timelapse_stabilize import residual_jitter
from framer.applications._timelapse_synthetic import LOOP_CASES, SyntheticTimelapse, exposure_ramp, loop_clip
from framer.applications.loop import make_loop
from framer.applications.timelapse import timelapse
from framer.engines import create_engine
from framer.io.writers import write_frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BORDER = 12


def _read(path: Path, scale: float = 1.0) -> np.ndarray:
    image = np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0
    if scale != 1.0:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image


def _still_case(path: Path, scale: float, seed: int) -> tuple[SyntheticTimelapse, list]:
    scene = _read(path, scale)
    size = (scene.shape[1] - 2 * BORDER, scene.shape[0] - 2 * BORDER)
    case = exposure_ramp(6, size, seed=seed, scene=scene)
    return case, [case] * 6


def _motion_case(paths: list[Path], scale: float, seed: int) -> tuple[SyntheticTimelapse, list]:
    """Stills from the even frames, the truth from the odd ones; each frame is its own scene."""
    scenes = [_read(path, scale) for path in paths]
    size = (scenes[0].shape[1] - 2 * BORDER, scenes[0].shape[0] - 2 * BORDER)
    ramp = exposure_ramp((len(paths) + 1) // 2, size, seed=seed, scene=scenes[0])
    per_frame = [SyntheticTimelapse(scene, ramp.gains, ramp.shifts, size) for scene in scenes]
    return ramp, per_frame


def _stills(ramp: SyntheticTimelapse, scenes: list) -> list[np.ndarray]:
    """Still ``i`` from scene ``i`` (static cases) or ``2 i`` (motion cases: the even frames)."""
    step = 2 if len(scenes) > len(ramp.gains) else 1
    return [np.round(scenes[step * i].render(g, s) * 255).astype(np.uint8)
            for i, (g, s) in enumerate(zip(ramp.gains, ramp.shifts, strict=True))]  # fmt: skip


def _truth(ramp: SyntheticTimelapse, scenes: list, gap: int) -> np.ndarray:
    """The true middle frame of ``gap`` (gain and shift halfway; the odd frame in the motion cases)."""
    scene = scenes[2 * gap + 1] if len(scenes) > len(ramp.gains) else scenes[gap]
    gain = 0.5 * (ramp.gains[gap] + ramp.gains[gap + 1])
    return scene.render(float(gain), 0.5 * (ramp.shifts[gap] + ramp.shifts[gap + 1]))


def _brightness_errors(result, ramp, scenes) -> list[float]:
    mx, my = result.margins
    errors = []
    for gap in range(len(result.counts)):
        made = result.frames[2 * gap + 1].astype(np.float32) / 255.0
        truth = _truth(ramp, scenes, gap)
        truth = truth[my : truth.shape[0] - my, mx : truth.shape[1] - mx]
        errors.append(abs(float(made.mean()) - float(truth.mean())) / float(truth.mean()))
    return errors


def _rms(shifts: np.ndarray) -> float:
    return float(np.sqrt((shifts**2).sum(1).mean()))


def timelapse_cases() -> dict:
    cases = {f"tex{seed}": (lambda seed=seed: (exposure_ramp(seed=seed), None)) for seed in range(3)}
    whale = DATA / "middlebury_rubberwhale"
    sintel = DATA / "sintel_raft_demo"
    cases["whale-still"] = lambda: _still_case(whale / "frame10.png", 0.5, 3)
    cases["sintel-still"] = lambda: _still_case(sintel / "frame_0020.png", 0.4, 4)
    cases["whale-motion"] = lambda: _motion_case([whale / f"frame{i:02d}.png" for i in range(7, 14)], 0.5, 5)
    cases["sintel-motion"] = lambda: _motion_case([sintel / f"frame_{i:04d}.png" for i in range(16, 25)], 0.5, 6)
    return cases


def run_timelapse(engine) -> None:
    print("time-lapse: worst in-between brightness error vs truth (target <= 2%); jitter RMS px (target < 0.5)")
    print(f"{'case':14} {'size':>8} {'plain':>7} {'matched':>8} {'plain+st':>9} {'match+st':>9} "
          f"{'jit-in':>7} {'jit-st':>7} {'blend':>5} {'s':>5}")  # fmt: skip
    worst = {"plain": 0.0, "matched": 0.0, "plain+st": 0.0, "match+st": 0.0, "jitter": 0.0}
    for name, make in timelapse_cases().items():
        start = time.perf_counter()
        ramp, scenes = make()
        scenes = scenes or [ramp] * len(ramp.gains)
        stills = _stills(ramp, scenes)
        with tempfile.TemporaryDirectory() as folder:
            for index, still in enumerate(stills):
                Image.fromarray(still).save(f"{folder}/still{index}.png")
            runs = {
                (match, stab): timelapse(folder, 2, stabilize=stab, match_colour=match, engine=engine)
                for match in (False, True) for stab in (False, True)
            }  # fmt: skip
        errors = {key: max(_brightness_errors(result, ramp, scenes)) for key, result in runs.items()}
        jitter_in = _rms(residual_jitter(stills))
        jitter_out = _rms(residual_jitter(runs[True, True].frames))
        row = [errors[False, False], errors[True, False], errors[False, True], errors[True, True]]
        for key, value in zip(("plain", "matched", "plain+st", "match+st"), row, strict=True):
            worst[key] = max(worst[key], value)
        if "motion" not in name:  # the motion cases' figure holds the scene's own motion too
            worst["jitter"] = max(worst["jitter"], jitter_out)
        size = f"{stills[0].shape[1]}x{stills[0].shape[0]}"
        print(f"{name:14} {size:>8} {row[0]:7.2%} {row[1]:8.2%} {row[2]:9.2%} {row[3]:9.2%} {jitter_in:7.2f} "
              f"{jitter_out:7.2f} {len(runs[True, True].blended):5d} {time.perf_counter() - start:5.0f}")  # fmt: skip
    print(f"{'worst':14} {'':>8} {worst['plain']:7.2%} {worst['matched']:8.2%} {worst['plain+st']:9.2%} "
          f"{worst['match+st']:9.2%} {'':>7} {worst['jitter']:7.2f}")  # fmt: skip


def loop_cases() -> dict:
    cases = {name: (lambda name=name: ("frames", loop_clip(name))) for name in LOOP_CASES}
    cases["carphone"] = lambda: ("file", DATA / "video_carphone" / "carphone_pristine.mp4", {})
    cases["bbb-2s"] = lambda: (
        "file", DATA / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4", {"duration": 2, "resize": "320x180"},
    )  # fmt: skip
    cases["vtest-3s"] = lambda: (
        "file", DATA / "video_vtest_opencv" / "vtest.avi", {"duration": 3, "resize": "384x288"},
    )  # fmt: skip
    cases["two-shots"] = lambda: ("frames", _two_shots())
    return cases


def _video_frames(path: Path, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    from framer.video import open_video

    with open_video(path) as reader:
        images = [frame.image for _, frame in zip(range(count), reader, strict=False)]
    return [cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in images]


def _two_shots() -> list[np.ndarray]:
    """A clip with a scene cut: Big Buck Bunny's first 24 frames, then vtest's first 36, both at 320x180."""
    bbb = _video_frames(DATA / "video_bigbuckbunny_audio" / "bigbuckbunny.mp4", 24, (320, 180))
    return bbb + _video_frames(DATA / "video_vtest_opencv" / "vtest.avi", 36, (320, 180))


def run_loop(engine) -> None:
    print("loop: last frame -> first, against the clip's median step (mean abs diff, 0-255; target join <= median)")
    print(f"{'case':10} {'frames':>6} {'start':>5} {'end':>5} {'K':>3} {'join':>6} {'median':>6} {'cut':>6} "
          f"{'ratio':>6} {'ok':>3} {'s':>5}")  # fmt: skip
    worst = 0.0
    for name, make in loop_cases().items():
        start = time.perf_counter()
        kind, *rest = make()
        with tempfile.TemporaryDirectory() as folder:
            if kind == "frames":
                source, options = Path(folder) / "clip.mp4", {}
                write_frames(rest[0], source, fps=24, crf=0)
            else:
                source, options = rest
            result = make_loop(source, engine=engine, **options)
        ratio = result.join_difference / result.step_difference
        worst = max(worst, ratio)
        ok = "yes" if ratio <= 1 else "NO"
        print(f"{name:10} {len(result.frames):6d} {result.start:5d} {result.end:5d} {result.inserted:3d} "
              f"{result.join_difference:6.2f} {result.step_difference:6.2f} {result.cut_difference:6.2f} "
              f"{ratio:6.2f} {ok:>3} {time.perf_counter() - start:5.0f}")  # fmt: skip
    print(f"{'worst':10} {'':>6} {'':>5} {'':>5} {'':>3} {'':>6} {'':>6} {'':>6} {worst:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("timelapse", "loop"), default=None)
    parser.add_argument("--write-stills", metavar="DIR", default=None,
                        help="Only write the whale-motion case's stills (the gallery's input) to DIR.")  # fmt: skip
    args = parser.parse_args()
    if args.write_stills:
        ramp, scenes = timelapse_cases()["whale-motion"]()
        Path(args.write_stills).mkdir(parents=True, exist_ok=True)
        for index, still in enumerate(_stills(ramp, scenes)):
            Image.fromarray(still).save(Path(args.write_stills) / f"still{index}.png")
        return
    engine = create_engine("flow")
    if args.only in (None, "timelapse"):
        run_timelapse(engine)
    if args.only in (None, "loop"):
        run_loop(engine)


if __name__ == "__main__":
    main()
