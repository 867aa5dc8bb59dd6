"""framer.batch on a local Ray cluster of 2 CPUs: the same output as one process, and a killed worker's task redone."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_batch import VIDEO, assert_same_video

from framer.batch import EngineSpec, run_batch
from framer.video import interpolate_video
from helpers.video import BlendEngine, decode_video

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_cluster():
    """One local Ray cluster for the module (2 CPUs, no dashboard); the batch uses it rather than starting one."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_parts_give_the_single_process_output_and_survive_a_killed_worker(local_cluster, tmp_path, clips):
    marker = tmp_path / "killed"
    spec = EngineSpec(options={"kill_marker": str(marker), "kill_after": 9}, factory="batch_helpers:blend")
    report = run_batch([str(clips["plain"]), str(clips["cut"])], tmp_path / "out", video=VIDEO, engine=spec,
                       workers=2, ray="local", parts=2)  # fmt: skip
    assert marker.exists()  # one Ray worker was killed (SIGKILL) in its 9th in-between; Ray ran its task again
    assert report.ok, [record.error for record in report.inputs]
    assert report.scheduler == "ray" and [record.parts for record in report.inputs] == [2, 2]
    for name, clip in clips.items():
        single = tmp_path / f"single_{name}.mp4"
        interpolate_video(clip, single, engine=BlendEngine(), **VIDEO)
        assert_same_video(single, tmp_path / "out" / f"{name}.mp4")
        assert len(decode_video(single)[0]) == next(r.frames for r in report.inputs if Path(r.input) == clip)
