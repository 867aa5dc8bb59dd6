"""Sample folders for the evaluation tests: frames of a smooth random texture moving a few pixels per frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 64, 48
SHIFT = 4  # pixels the texture moves per frame


def texture_frames(count: int, width: int = WIDTH, height: int = HEIGHT, seed: int = 0) -> list[np.ndarray]:
    """``count`` frames ``(height, width, 3)`` uint8 of a smooth random texture moving SHIFT pixels per frame."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 8 + 1, (width + SHIFT * count) // 8 + 1, 3), dtype=np.uint8)
    big = np.array(Image.fromarray(coarse).resize((width + SHIFT * count, height), Image.BICUBIC))
    return [np.ascontiguousarray(big[:, SHIFT * i : SHIFT * i + width]) for i in range(count)]


def write_frames(folder: Path, names: list[str], seed: int = 0, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Path:
    """Write moving-texture frames as PNGs named ``names`` (in that time order) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(names, texture_frames(len(names), *size, seed=seed), strict=True):
        Image.fromarray(frame).save(folder / name)
    return folder


def triplet(folder: Path, seed: int = 0) -> Path:
    """A triplet sample folder: im1.png, im2.png, im3.png."""
    return write_frames(folder, ["im1.png", "im2.png", "im3.png"], seed)
