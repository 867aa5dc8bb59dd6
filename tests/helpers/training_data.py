"""Synthetic training videos for the training tests: a textured sprite moving over a textured still background,
with the true track of every point (the sprite moves by a known sub-pixel velocity per frame)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from helpers.video import write_clip


def _texture(rng: np.random.Generator, height: int, width: int, blur: float) -> np.ndarray:
    noise = rng.random((height, width, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), blur) * 3.0 - 1.0, 0, 1)


def sprite_video(seed: int, width: int, height: int, frames: int, sprite: int = 24, speed: float = 2.5):
    """``(frames (F, H, W, 3) uint8, origin (2,), velocity (2,), size)``: the sprite's top-left corner is at
    ``origin + k * velocity`` in frame ``k``."""
    rng = np.random.default_rng(seed)
    background = _texture(rng, height, width, 3.0)
    patch = np.clip(_texture(rng, sprite, sprite, 2.5) * 0.8 + np.array([0.2, 0.1, 0.0], np.float32), 0, 1)
    angle = rng.uniform(0, 2 * np.pi)
    velocity = speed * np.array([np.cos(angle), np.sin(angle)])
    span = velocity * (frames - 1)
    low = np.maximum(4, 4 - span)
    high = np.array([width, height]) - sprite - 4 - np.maximum(0, span)
    origin = rng.uniform(low, np.maximum(low + 1, high))
    out = []
    for k in range(frames):
        x, y = origin + k * velocity
        matrix = np.float32([[1, 0, x], [0, 1, y]])
        layer = cv2.warpAffine(patch, matrix, (width, height), flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(np.ones((sprite, sprite), np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR)
        image = background * (1 - alpha[..., None]) + layer
        out.append(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    return np.stack(out), origin, velocity, sprite


def true_tracks(points: np.ndarray, origin: np.ndarray, velocity: np.ndarray, sprite: int, frames: int):
    """``(M, F, 2)`` true positions of frame-0 ``points (M, 2)`` and ``(M,)`` whether each lies on the sprite."""
    inside = np.all((points >= origin + 1) & (points <= origin + sprite - 2), axis=1)
    steps = np.arange(frames)[None, :, None] * velocity[None, None, :]
    tracks = points[:, None, :] + steps * inside[:, None, None]
    return tracks.astype(np.float32), inside


def write_sprite_data(folder: Path, count: int, width: int, height: int, frames: int, videos: bool = True) -> Path:
    """``count`` sprite clips under ``folder``: as lossless MP4s (``videos``) or frame folders of PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        clip = sprite_video(index, width, height, frames)[0]
        if videos:
            write_clip(folder / f"clip{index:02d}.mp4", list(clip))
        else:
            sub = folder / f"clip{index:02d}"
            sub.mkdir(exist_ok=True)
            for k, frame in enumerate(clip):
                cv2.imwrite(str(sub / f"{k:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def fixed_draw_loss(pipeline, clips, tracks, stage: int, repeats: int = 4) -> float:
    """The training loss of ``clips (N, F, 3, H, W)`` averaged over ``repeats`` fixed draws per clip (seeded: the
    same draws before and after training, so the difference is the model's)."""
    import torch

    from framer.engines.diffusion.train import TrainConfig, training_loss

    total = 0.0
    with torch.no_grad():
        for index in range(len(clips)):
            for repeat in range(repeats):
                generator = torch.Generator().manual_seed(1000 + 10 * index + repeat)
                clip_tracks = tracks[index] if tracks is not None else None
                total += float(training_loss(pipeline, clips[index : index + 1], clip_tracks,
                                             TrainConfig(stage=stage), generator))  # fmt: skip
    return total / (len(clips) * repeats)
