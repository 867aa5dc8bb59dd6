"""Speed and GPU memory of the diffusion engine at full size, with random weights (no download needed).

Builds Framer's UNet and ControlNet, SVD-XT's VAE and CLIP ViT-H/14 from their released configs with random
weights on the GPU, then times one 14-frame 512x320 clip at 30 steps with five trajectories (ControlNet on),
without and with model CPU offload, and prints seconds per clip and peak GPU memory (torch's allocator peak).

    python benchmarks/diffusion_gpu.py                       # fp16, both offload settings
    python benchmarks/diffusion_gpu.py --dtype bf16 --steps 30 --frames 14 --size 512x320 --runs 2

Needs a CUDA GPU and the ``diffusion`` extra; without a GPU it stops with a message and exit code 1.
"""

from __future__ import annotations

import argparse
import sys
import time


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("fp16", "bf16", "fp32"), default="fp16")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--frames", type=int, default=14)
    parser.add_argument("--size", default="512x320", help="WxH, multiples of 64")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per setting (after one warm-up run)")
    parser.add_argument("--offload", choices=("both", "on", "off"), default="both")
    return parser.parse_args(argv)


def _random_(model, seed: int) -> None:
    """Fill parameters with small random values on their device (fast; the numbers only need to be finite)."""
    import torch

    generator = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.02, generator=generator)


def _build(dtype, device):
    import torch
    from diffusers import AutoencoderKLTemporalDecoder, EulerDiscreteScheduler
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    from framer.engines.diffusion.configs import (
        CLIP_MEAN,
        CLIP_STD,
        CLIP_VIT_H_CONFIG,
        RELEASE_CONTROLNET_CONFIG,
        RELEASE_UNET_CONFIG,
        SVD_SCHEDULER_CONFIG,
        SVD_VAE_CONFIG,
    )
    from framer.engines.diffusion.controlnet import ControlNetSVD
    from framer.engines.diffusion.pipeline import FramerPipeline
    from framer.engines.diffusion.unet import FramerUNet

    models = []
    for index, make in enumerate(
        (
            lambda: FramerUNet(**RELEASE_UNET_CONFIG),
            lambda: ControlNetSVD(**RELEASE_CONTROLNET_CONFIG),
            lambda: AutoencoderKLTemporalDecoder(**SVD_VAE_CONFIG),
            lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(**CLIP_VIT_H_CONFIG, attn_implementation="sdpa")),
        )
    ):
        with torch.device(device):
            model = make()
        _random_(model, index)
        vae = index == 2
        models.append(
            model.to(torch.float32 if vae and dtype == torch.float16 else dtype).eval().requires_grad_(False)
        )
    unet, controlnet, vae, clip = models
    scheduler = EulerDiscreteScheduler(**SVD_SCHEDULER_CONFIG)
    return FramerPipeline(unet, controlnet, vae, clip, scheduler, CLIP_MEAN, CLIP_STD, (224, 224), device, False)


def _run(pipeline, frames: int, steps: int, width: int, height: int, runs: int) -> tuple[float, float]:
    import torch

    from framer.engines.diffusion.pipeline import SamplingOptions

    keyframes = [torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(i)) for i in (0, 1)]
    starts = torch.tensor([[60.0, 60.0], [200.0, 100.0], [300.0, 250.0], [450.0, 80.0], [100.0, 280.0]])
    ends = starts + torch.tensor([40.0, -20.0])
    weights = torch.linspace(0, 1, frames).view(1, frames, 1)
    tracks = starts[:, None] + weights * (ends - starts)[:, None]  # (5, F, 2)
    options = SamplingOptions(num_frames=frames, num_inference_steps=steps)
    pipeline(*keyframes, tracks, SamplingOptions(num_frames=frames, num_inference_steps=2))  # warm-up
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(runs):
        pipeline(*keyframes, tracks, options, torch.Generator().manual_seed(0))
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / runs, torch.cuda.max_memory_allocated() / 2**30


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        import torch

        from framer.engines.diffusion._deps import check_extra

        check_extra()
    except ImportError as ex:
        print(f"diffusion_gpu: {ex}", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print(
            "diffusion_gpu: this benchmark needs a CUDA GPU, and PyTorch sees none on this machine.", file=sys.stderr
        )
        return 1
    from framer.engines.diffusion.loading import resolve_dtype
    from framer.parsing import parse_size

    width, height = parse_size(args.size)
    device = torch.device("cuda")
    dtype = resolve_dtype(args.dtype, device)
    pipeline = _build(dtype, device)
    counts = {name: sum(p.numel() for p in getattr(pipeline, name).parameters()) for name in
              ("unet", "controlnet", "vae", "image_encoder")}  # fmt: skip
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, dtype {args.dtype}")
    print("parameters: " + ", ".join(f"{name} {count / 1e9:.3f} B" for name, count in counts.items()))
    print(f"clip: {args.frames} frames at {width}x{height}, {args.steps} steps, 5 trajectories (ControlNet on)")
    settings = {"both": (False, True), "on": (True,), "off": (False,)}[args.offload]
    for offload in settings:
        if offload:
            for name in ("unet", "controlnet", "vae", "image_encoder"):
                getattr(pipeline, name).to("cpu")
            torch.cuda.empty_cache()
        else:
            for name in ("unet", "controlnet", "vae", "image_encoder"):
                getattr(pipeline, name).to(device)
        pipeline.offload = offload
        seconds, peak = _run(pipeline, args.frames, args.steps, width, height, args.runs)
        print(f"offload {'on ' if offload else 'off'}: {seconds:.2f} s per clip, peak GPU memory {peak:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
