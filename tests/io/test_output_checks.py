"""framer.io.writers.check_output refuses outputs that can never be written, before any work; framer.io.atomic
cleans the partial outputs a killed run left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from framer.errors import InputError
from framer.io.atomic import partial_path, remove_stale_partials
from framer.io.writers import check_output, write_frames

FRAMES = [np.full((8, 10, 3), level, np.uint8) for level in (0, 100, 200)]


def _dead_pid() -> int:
    """The id of a process that has run and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class TestRefusedLocations:
    @pytest.mark.parametrize("output", ["", ".", "./", "sub/.."])
    @pytest.mark.parametrize("overwrite", [False, True])
    def test_current_folder(self, tmp_path, monkeypatch, output, overwrite):
        (tmp_path / "sub").mkdir()
        (tmp_path / "keep.txt").write_text("keep")
        monkeypatch.chdir(tmp_path)
        with pytest.raises(InputError, match=r"^Output .*(empty|current folder).*\.$"):
            check_output(output, overwrite=overwrite)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "sub"]

    def test_a_folder_holding_the_current_one(self, tmp_path, monkeypatch):
        (tmp_path / "work").mkdir()
        monkeypatch.chdir(tmp_path / "work")
        with pytest.raises(InputError, match="is the current folder or holds it"):
            check_output("..", overwrite=True)

    def test_filesystem_root(self):
        with pytest.raises(InputError, match="is the filesystem root"):
            check_output("/", overwrite=True)

    def test_a_folder_holding_an_input(self, tmp_path):
        source = tmp_path / "in" / "a.png"
        source.parent.mkdir()
        source.write_bytes(b"x")
        with pytest.raises(
            InputError,
            match=r"holds the input .*a\.png, so replacing it would overwrite the input; choose another output\.$",
        ):
            check_output(tmp_path / "in", overwrite=True, inputs=[source])
        with pytest.raises(InputError, match="would overwrite the input"):
            check_output(source, overwrite=True, inputs=[source])

    def test_write_frames_refuses_the_current_folder_without_leaving_anything(self, tmp_path, monkeypatch):
        (tmp_path / "keep.txt").write_text("keep")
        monkeypatch.chdir(tmp_path)
        for output in ("", "."):
            with pytest.raises(InputError, match=r"current folder|empty"):
                write_frames(FRAMES, output, overwrite=True)
        assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


class TestUnwritableLocations:
    def test_parent_is_a_file(self, tmp_path):
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "deeper" / "out.mp4"
        with pytest.raises(InputError) as refused:
            check_output(target)
        assert (
            str(refused.value)
            == f"Output folder {target.parent} cannot be made: {tmp_path / 'file'} is a file, not a folder."
        )

    def test_read_only_parent_is_named(self, tmp_path, monkeypatch):
        """A read-only filesystem answers access(W_OK) with EROFS, whoever asks (root too)."""
        read_only = tmp_path / "ro"
        read_only.mkdir()
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == read_only else real_access(p, mode))
        with pytest.raises(InputError, match=rf"^Output folder {re.escape(str(read_only))} is not writable"):
            check_output(read_only / "out.mp4")
        with pytest.raises(InputError) as refused:
            check_output(read_only / "a" / "b" / "frames")
        assert str(refused.value).startswith(
            f"Output folder {read_only / 'a' / 'b'} cannot be made: {read_only} is not"
        )
        assert list(read_only.iterdir()) == []  # nothing made on the way

    def test_missing_parent_is_fine_and_made_only_when_writing(self, tmp_path):
        target = tmp_path / "new" / "deeper" / "out"
        assert check_output(target) == target
        assert not (tmp_path / "new").exists()
        write_frames(FRAMES, target)
        assert len(list(target.iterdir())) == 3


class TestStalePartials:
    def test_partial_name_carries_the_pid(self, tmp_path):
        assert partial_path(tmp_path / "out.mp4").name.startswith(f".out.mp4.partial-{os.getpid()}-")
        assert partial_path(tmp_path / "out.mp4").suffix == ".mp4"

    def test_only_dead_processes_partials_of_this_output_go(self, tmp_path):
        dead = _dead_pid()
        stale_file = tmp_path / f".out.mp4.partial-{dead}-0123abcd.mp4"
        stale_folder = tmp_path / f".out.partial-{dead}-0123abcd"
        live = tmp_path / f".out.mp4.partial-{os.getpid()}-0123abcd.mp4"
        other_output = tmp_path / f".other.mp4.partial-{dead}-0123abcd.mp4"
        unrelated = tmp_path / f".out.mp4.partial-{dead}-notours.mp4"
        for path in (stale_file, live, other_output, unrelated):
            path.write_bytes(b"x")
        stale_folder.mkdir()
        (stale_folder / "frame_00001.png").write_bytes(b"x")
        assert remove_stale_partials(tmp_path / "out.mp4") == [stale_file]
        assert remove_stale_partials(tmp_path / "out") == [stale_folder]
        assert live.exists() and other_output.exists() and unrelated.exists()

    @pytest.mark.parametrize("name", ["out", "out.gif"])
    def test_sigkill_while_writing_then_a_later_run_cleans_up(self, tmp_path, name):
        """A writer killed mid-write leaves its partial sibling; the next successful write removes it."""
        output = tmp_path / name
        script = textwrap.dedent(
            f"""
            import sys, time
            import numpy as np
            from framer.io import writers

            real_png = writers.write_png

            def slow_png(image, path):
                real_png(image, path)
                print("writing", flush=True)
                time.sleep(60)

            def slow_animation(frames, path, fps, loop):
                path.write_bytes(b"half")
                print("writing", flush=True)
                time.sleep(60)

            writers.write_png, writers._write_animation = slow_png, slow_animation
            writers.write_frames([np.zeros((8, 10, 3), np.uint8)] * 3, {str(output)!r})
            """
        )
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "writing"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        left = [p.name for p in tmp_path.iterdir()]
        assert len(left) == 1 and left[0].startswith(f".{name}.partial-{child.pid}-")
        write_frames(FRAMES, output)
        assert [p.name for p in tmp_path.iterdir()] == [name]
