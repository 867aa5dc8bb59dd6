"""Training data: discovery, bad and short sources skipped (one warning each, counted), clip shape and content,
decoding in DataLoader workers, and the step sampler's order (deterministic, resumable, split over processes)."""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch.utils.data import DataLoader

from framer.training.data import ClipDataset, StepSampler, collate, discover_sources, to_clip
from helpers.training_data import sprite_video, write_sprite_data


def test_folder_and_list_file_sources_with_bad_and_short_ones_skipped(tmp_path, sprite_videos, caplog):
    data = tmp_path / "data"
    write_sprite_data(data / "frames", 1, 64, 64, 8, videos=False)  # a frame folder
    (data / "broken.mp4").write_bytes(b"not a video at all")
    (data / "empty.mkv").write_bytes(b"")
    (data / "notes.txt").write_text("ignored: not a video")
    write_sprite_data(data / "short", 1, 64, 64, 2)  # 2 frames: shorter than a clip
    (data / "more").mkdir()
    (data / "more" / "a.mp4").symlink_to(sprite_videos / "clip00.mp4")
    with caplog.at_level(logging.WARNING):
        dataset = ClipDataset(data, 3, 64, 64)
    assert sorted(s.path.name for s in dataset.sources) == ["a.mp4", "clip00"]
    assert dataset.skipped == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3 and sum("fewer than the 3" in w for w in warnings) == 1
    assert len(dataset) == 2 * 2  # 8 frames: windows at 0 and 3 in each source
    listed = tmp_path / "list.txt"
    listed.write_text(f"# training videos\n{sprite_videos / 'clip01.mp4'}\n\ndata/frames/clip00\n")
    assert [p.name for p in discover_sources(listed)] == ["clip01.mp4", "clip00"]


def test_clips_hold_the_source_frames_resized_and_cropped(sprite_videos):
    dataset = ClipDataset(sprite_videos, 3, 64, 64, stride=2)
    item = dataset[0]
    frames = sprite_video(0, 64, 64, 8)[0]
    assert item["clip"].shape == (3, 3, 64, 64) and item["clip"].dtype == torch.float32

    def error(indices):
        return float((item["clip"] - torch.from_numpy(frames[indices]).permute(0, 3, 1, 2) / 255).abs().mean())

    assert error([0, 2, 4]) < 0.02 < error([1, 3, 5])  # the strided frames (yuv420p rounds the colours a little)
    wide = to_clip([np.zeros((90, 320, 3), np.uint8)] * 2, 128, 64)
    assert wide.shape == (2, 3, 64, 128)  # scaled to cover 128x64 (227x64 -> 128 wide centre crop)


def test_decoding_in_worker_processes_matches_the_main_process(sprite_videos):
    dataset = ClipDataset(sprite_videos, 3, 64, 64)
    sampler = StepSampler(len(dataset), 2, 1, 0, 1, seed=0, start_step=0, max_steps=2)
    loader = DataLoader(
        dataset, batch_sampler=sampler, num_workers=1, collate_fn=collate, multiprocessing_context="spawn"
    )
    batches = list(loader)
    assert [b["clip"].shape for b in batches] == [(2, 3, 3, 64, 64)] * 2
    for batch, indices in zip(batches, sampler, strict=True):
        assert torch.equal(batch["clip"], torch.stack([dataset[i]["clip"] for i in indices]))


def test_sampler_is_deterministic_resumable_and_split_over_processes():
    one = list(StepSampler(10, 4, 1, 0, 2, seed=3, start_step=0, max_steps=5))
    assert len(one) == 10 and all(len(b) == 4 for b in one)
    epoch0 = [i for b in one for i in b][:10]
    assert sorted(epoch0) == list(range(10))  # an epoch visits every window once
    resumed = list(StepSampler(10, 4, 1, 0, 2, seed=3, start_step=2, max_steps=5))
    assert resumed == one[4:]
    ranks = [list(StepSampler(10, 2, 2, r, 2, seed=3, start_step=0, max_steps=5)) for r in (0, 1)]
    assert [a + b for a, b in zip(*ranks, strict=True)] == one  # two processes share one process's global batch
