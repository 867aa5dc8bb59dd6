"""Stage 2's tracks on real clips: how many grid points pass the forward-backward consistency checks.

Each clip of the shared data (``../shared/data``: two frame sequences and three videos) is cut to its first
``--frames`` frames (fewer where it has fewer), resized and cropped to ``--size`` as training clips are, and
tracked from a grid (``--spacing`` px) with the flow engine (RIFE v4.25) as ``framer train --stage 2`` tracks it.
Prints, per clip and overall, the share of points kept through the whole clip, the share of those that move at
least ``--min-motion`` px (the ones stage 2 samples), their median motion, and the seconds taken.

    python benchmarks/training_tracks.py                     # 14 frames at 512x320, every 16 px
    python benchmarks/training_tracks.py --frames 8 --size 256x192 --threads 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = ("sintel_raft_demo", "middlebury_rubberwhale", "video_carphone/carphone_pristine.mp4",
         "video_vtest_opencv/vtest.avi", "video_bigbuckbunny_audio/bigbuckbunny.mp4")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--frames", type=int, default=14)
    parser.add_argument("--size", default="512x320")
    parser.add_argument("--spacing", type=int, default=16)
    parser.add_argument("--tolerance", type=float, default=1.0)
    parser.add_argument("--min-motion", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import numpy as np

    import framer
    from framer.parsing import parse_size
    from framer.training.data import to_clip
    from framer.training.tracks import grid_points, track_clip
    from framer.video.reader import open_video

    width, height = parse_size(args.size)
    engine = framer.create_engine("flow", device="cpu", threads=args.threads)
    print(f"{args.frames} frames at {width}x{height}, grid every {args.spacing} px, tolerance {args.tolerance} px")
    print("| clip | frames | points | kept | moving of kept | median motion (px) | seconds |")
    print("|---|---|---|---|---|---|---|")
    kept_all, total = 0, 0
    for name in CLIPS:
        path = args.data / name
        with open_video(path) as reader:
            frames = []
            for frame in reader:
                frames.append(frame.image)
                if len(frames) == args.frames:
                    break
        clip = to_clip(frames, width, height)
        points = grid_points(width, height, args.spacing)
        start = time.perf_counter()
        tracks, consistent = track_clip(engine, clip, points, args.tolerance)
        seconds = time.perf_counter() - start
        motion = np.linalg.norm(tracks - tracks[:, :1], axis=-1).max(1)[consistent]
        moving = motion >= args.min_motion
        median = float(np.median(motion[moving])) if moving.any() else 0.0
        print(f"| {name} | {len(frames)} | {len(points)} | {consistent.mean():.1%} | {moving.mean():.1%} | "
              f"{median:.1f} | {seconds:.1f} |", flush=True)  # fmt: skip
        kept_all += int(consistent.sum())
        total += len(points)
    print(f"overall: {kept_all} of {total} points kept ({kept_all / total:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
