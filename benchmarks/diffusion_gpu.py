"""Speed and GPU memory of the diffusion engine at full size, with random weights (no download needed).

Builds Framer's UNet and ControlNet, SVD-XT's VAE and CLIP ViT-H/14 from their released configs with random
weights on the GPU, then times one 14-frame 512x320 clip at 30 steps in three modes: ``plain`` (no trajectories),
``drag`` (five trajectories, ControlNet scale 1.0) and ``autopilot`` (five trajectories, scale 0.5, points updated
every step), each without and with model CPU offload, and prints seconds per clip and peak GPU memory (torch's
allocator peak) as Markdown table rows for docs/diffusion.md. The VAE decodes the whole clip at once (the default;
8 frames at a time with offload), as the engine does.

    python benchmarks/diffusion_gpu.py                       # fp16, all modes, both offload settings
    python benchmarks/diffusion_gpu.py --dtype bf16 --steps 30 --frames 14 --size 512x320 --runs 2 --modes drag
    python benchmarks/diffusion_gpu.py --tiny                # tiny random models on the CPU: checks the script runs

Needs a CUDA GPU (except with ``--tiny``) and the ``diffusion`` extra; without a GPU it stops with a message and
exit code 1.
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
    parser.add_argument("--modes", default="plain,drag,autopilot", help="comma-separated: plain, drag, autopilot")
    parser.add_argument(
        "--tiny", action="store_true", help="tiny random models on the CPU, 64x64, 5 frames, 2 steps: checks it runs"
    )
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or any(m not in MODES for m in args.modes):
        parser.error(f"--modes must list some of {', '.join(MODES)}")
    return args


MODES = ("plain", "drag", "autopilot")


def _random_(model, seed: int) -> None:
    """Fill parameters with small random values on their device (fast; the numbers only need to be finite)."""
    import torch

    generator = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.02, generator=generator)


def _tiny_makers() -> tuple:
    """Tiny models (the test suite's shapes) for ``--tiny``."""
    from diffusers import AutoencoderKLTemporalDecoder
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    from framer.engines.diffusion.controlnet import ControlNetSVD
    from framer.engines.diffusion.unet import FramerUNet

    unet = {
        "in_channels": 9, "out_channels": 4, "block_out_channels": [32, 64], "num_attention_heads": [2, 4],
        "down_block_types": ["CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"],
        "up_block_types": ["UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"], "cross_attention_dim": 32,
        "addition_time_embed_dim": 8, "projection_class_embeddings_input_dim": 24, "layers_per_block": 1,
        "num_frames": 5,
    }  # fmt: skip
    clip = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
                            image_size=32, patch_size=8, projection_dim=32)  # fmt: skip
    return (
        lambda: FramerUNet(**unet),
        lambda: ControlNetSVD.from_unet(FramerUNet(**unet), conditioning_embedding_out_channels=[8, 8, 8, 16]),
        lambda: AutoencoderKLTemporalDecoder(
            down_block_types=["DownEncoderBlock2D"] * 4, block_out_channels=[32, 32, 32, 32], layers_per_block=1
        ),
        lambda: CLIPVisionModelWithProjection(clip),
    ), (32, 32)


def _build(dtype, device, tiny: bool = False):
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

    makers = (
        lambda: FramerUNet(**RELEASE_UNET_CONFIG),
        lambda: ControlNetSVD(**RELEASE_CONTROLNET_CONFIG),
        lambda: AutoencoderKLTemporalDecoder(**SVD_VAE_CONFIG),
        lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(**CLIP_VIT_H_CONFIG, attn_implementation="sdpa")),
    )
    makers, clip_size = _tiny_makers() if tiny else (makers, (224, 224))
    models = []
    for index, make in enumerate(makers):
        with torch.device(device):
            model = make()
        _random_(model, index)
        vae = index == 2
        models.append(
            model.to(torch.float32 if vae and dtype == torch.float16 else dtype).eval().requires_grad_(False)
        )
    unet, controlnet, vae, clip = models
    scheduler = EulerDiscreteScheduler(**SVD_SCHEDULER_CONFIG)
    return FramerPipeline(unet, controlnet, vae, clip, scheduler, CLIP_MEAN, CLIP_STD, clip_size, device, False)


def _run(pipeline, mode: str, frames: int, steps: int, width: int, height: int, runs: int) -> tuple[float, float]:
    """Seconds per clip and peak GPU memory in GiB (NaN on the CPU) for one mode."""
    import torch

    from framer.engines.diffusion.pipeline import SamplingOptions

    cuda = pipeline.device.type == "cuda"
    keyframes = [torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(i)) for i in (0, 1)]
    starts = torch.tensor([[0.12, 0.19], [0.39, 0.31], [0.59, 0.78], [0.88, 0.25], [0.2, 0.87]]) * torch.tensor(
        [width, height]
    )
    ends = starts + torch.tensor([width, height]) * torch.tensor([0.08, -0.06])
    weights = torch.linspace(0, 1, frames).view(1, frames, 1)
    tracks = None if mode == "plain" else starts[:, None] + weights * (ends - starts)[:, None]  # (5, F, 2)
    autopilot = {"conditioning_scale": 0.5, "update_points": True} if mode == "autopilot" else {}
    options = SamplingOptions(num_frames=frames, num_inference_steps=steps, **autopilot)
    pipeline(*keyframes, tracks, SamplingOptions(num_frames=frames, num_inference_steps=2, **autopilot))  # warm-up
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(runs):
        pipeline(*keyframes, tracks, options, torch.Generator().manual_seed(0))
    if cuda:
        torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    return (time.perf_counter() - start) / runs, peak


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        import torch

        from framer.engines.diffusion._deps import check_extra

        check_extra()
    except ImportError as ex:
        print(f"diffusion_gpu: {ex}", file=sys.stderr)
        return 1
    if not torch.cuda.is_available() and not args.tiny:
        print(
            "diffusion_gpu: this benchmark needs a CUDA GPU, and PyTorch sees none on this machine.", file=sys.stderr
        )
        return 1
    from framer.engines.diffusion.loading import resolve_dtype
    from framer.parsing import parse_size

    if args.tiny:
        args.size, args.frames, args.steps, args.dtype = "64x64", 5, 2, "fp32"
    width, height = parse_size(args.size)
    device = torch.device("cpu" if args.tiny else "cuda")
    dtype = resolve_dtype(args.dtype, device)
    pipeline = _build(dtype, device, args.tiny)
    counts = {name: sum(p.numel() for p in getattr(pipeline, name).parameters()) for name in
              ("unet", "controlnet", "vae", "image_encoder")}  # fmt: skip
    name = "CPU (tiny models)" if args.tiny else torch.cuda.get_device_name()
    print(f"device: {name}, torch {torch.__version__}, dtype {args.dtype}")
    print("parameters: " + ", ".join(f"{name} {count / 1e9:.3f} B" for name, count in counts.items()))
    print(f"clip: {args.frames} frames at {width}x{height}, {args.steps} steps, {args.runs} timed run(s) per row")
    print("| mode | offload | seconds per clip | peak GPU memory (GiB) |\n|---|---|---|---|")
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
        for mode in args.modes:
            seconds, peak = _run(pipeline, mode, args.frames, args.steps, width, height, args.runs)
            print(f"| {mode} | {'on' if offload else 'off'} | {seconds:.2f} | {peak:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
