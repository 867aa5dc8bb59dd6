"""Seconds per training step and peak GPU memory at full size, with random weights (no download needed).

Builds Framer's UNet and ControlNet, SVD-XT's VAE and CLIP ViT-H/14 from their released configs with random
weights (the models of ``benchmarks/diffusion_gpu.py``) in float32 on the GPU, turns on gradient checkpointing for
the trained model, and times optimiser steps (AdamW over :func:`select_trainable`'s parameters, autocast in the
chosen precision) at batch 1 on 14-frame 512x320 clips, for stage 1 (UNet) and stage 2 (ControlNet, five tracks).
Prints Markdown table rows for docs/training.md.

    python benchmarks/training_gpu.py                        # bf16 autocast, both stages, 5 timed steps each
    python benchmarks/training_gpu.py --precision fp16 --steps 10 --stages 2 --no-checkpointing
    python benchmarks/training_gpu.py --tiny                 # tiny random models on the CPU: checks the script runs

Needs a CUDA GPU (except with ``--tiny``) and the ``diffusion`` extra; without a GPU it stops with a message and
exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", choices=("bf16", "fp16", "fp32"), default="bf16", help="autocast dtype")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per stage (after two warm-up steps)")
    parser.add_argument("--frames", type=int, default=14)
    parser.add_argument("--size", default="512x320", help="WxH, multiples of 64")
    parser.add_argument("--stages", default="1,2", help="comma-separated: 1, 2")
    parser.add_argument("--no-checkpointing", dest="checkpointing", action="store_false")
    parser.add_argument("--tiny", action="store_true", help="tiny random models on the CPU, 64x64, 3 frames")
    return parser.parse_args(argv)


def _step_time(pipeline, stage: int, args, width: int, height: int) -> tuple[float, float]:
    """Seconds per optimiser step and peak GPU memory in GiB (NaN on the CPU)."""
    import torch

    from framer.engines.diffusion.train import TrainConfig, select_trainable, set_gradient_checkpointing, training_loss

    cuda = pipeline.device.type == "cuda"
    params = select_trainable(pipeline, stage)
    model = pipeline.unet if stage == 1 else pipeline.controlnet
    if args.checkpointing:
        set_gradient_checkpointing(model)
    model.train()
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    clip = torch.rand(1, args.frames, 3, height, width, generator=torch.Generator().manual_seed(0))
    starts = torch.tensor([[0.2, 0.3], [0.5, 0.5], [0.7, 0.4], [0.3, 0.8], [0.8, 0.2]]) * torch.tensor([width, height])
    tracks = starts[:, None] + torch.linspace(0, 1, args.frames).view(1, -1, 1) * torch.tensor([20.0, -10.0])
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.precision)
    autocast = torch.autocast(pipeline.device.type, dtype=dtype) if dtype else contextlib.nullcontext()
    config = TrainConfig(stage=stage)
    timings = []
    for step in range(args.steps + 2):
        if step == 2 and cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        with autocast:
            loss = training_loss(pipeline, clip, tracks if stage == 2 else None, config,
                                 torch.Generator().manual_seed(step))  # fmt: skip
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        timings.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    model.eval()
    if args.checkpointing:
        set_gradient_checkpointing(model, False)
    return sum(timings[2:]) / args.steps, peak


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        import torch

        from framer.engines.diffusion._deps import check_extra

        check_extra()
    except ImportError as ex:
        print(f"training_gpu: {ex}", file=sys.stderr)
        return 1
    if not torch.cuda.is_available() and not args.tiny:
        print("training_gpu: this benchmark needs a CUDA GPU, and PyTorch sees none on this machine.", file=sys.stderr)
        return 1
    sys.path.insert(0, str(Path(__file__).parent))
    from diffusion_gpu import _build  # the full-size models with random weights (one home for them)
    from framer.parsing import parse_size

    if args.tiny:
        args.size, args.frames = "64x64", 3
    width, height = parse_size(args.size)
    device = torch.device("cpu" if args.tiny else "cuda")
    pipeline = _build(torch.float32, device, args.tiny)
    name = "CPU (tiny models)" if args.tiny else torch.cuda.get_device_name()
    print(f"device: {name}, torch {torch.__version__}, autocast {args.precision}, checkpointing {args.checkpointing}")
    print(f"clip: batch 1, {args.frames} frames at {width}x{height}, {args.steps} timed steps per row")
    print("| stage | trained parameters | seconds per step | peak GPU memory (GiB) |\n|---|---|---|---|")
    for stage in (int(s) for s in args.stages.split(",") if s.strip()):
        seconds, peak = _step_time(pipeline, stage, args, width, height)
        from framer.engines.diffusion.train import select_trainable

        count = sum(p.numel() for p in select_trainable(pipeline, stage))
        print(f"| {stage} | {count / 1e6:.1f} M | {seconds:.2f} | {peak:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
