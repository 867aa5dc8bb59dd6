"""Progress: a periodic line with done/total, rate and time left when stderr is not a terminal; the tqdm bar on a
terminal, with log messages written above it (through ``tqdm.write``), never into its line."""

from __future__ import annotations

import io
import logging
import re
import sys
from contextlib import contextmanager
from fractions import Fraction

import numpy as np

import framer
from framer import progress
from framer.video import interpolate_video
from helpers.video import BlendEngine, ramp_frames, write_clip


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.step


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "framer.progress"]


def test_lines_when_not_a_terminal(caplog):
    clock = _Clock(2.0)  # every step takes 2 s
    with caplog.at_level(logging.INFO, logger="framer"):
        bar = progress.progress_bar(10, desc="Interpolating", unit="frame", period=5, clock=clock)
        for _ in range(10):
            clock.tick()
            bar.update(1)
        bar.close()
    # A line at 6 s (3 done) and at 12 s (6 done) and 18 s (9 done): not one per step.
    assert _lines(caplog) == [
        "Interpolating: 3/10 frames, 2 s/frame, 00:14 left",
        "Interpolating: 6/10 frames, 2 s/frame, 00:08 left",
        "Interpolating: 9/10 frames, 2 s/frame, 00:02 left",
    ]


def test_lines_go_to_stderr_without_logging(monkeypatch, capsys):
    monkeypatch.setattr(progress.logger, "hasHandlers", lambda: False)
    monkeypatch.setattr(progress.logger, "isEnabledFor", lambda level: True)
    clock = _Clock(0.25)
    for _ in progress.track(range(8), desc="Evaluating", unit="sample", total=8):
        pass  # the clock stands still: no line
    bar = progress.progress_bar(None, desc="Evaluating", unit="sample", period=1, clock=clock)
    for _ in range(4):
        clock.tick()
        bar.update(1)
    assert capsys.readouterr().err == "Evaluating: 4 samples, 4 samples/s\n"  # total unknown: no time left


def test_disabled_shows_nothing(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="framer"):
        bar = progress.progress_bar(3, desc="x", unit="frame", enabled=False, period=0)
        bar.update(3)
        bar.close()
    assert not _lines(caplog) and capsys.readouterr().err == ""


def test_the_api_and_video_mode_report_progress_in_a_log(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(progress, "PERIOD_SECONDS", 0.0)  # a line per step
    a = np.zeros((32, 48, 3), np.uint8)
    b = np.full((32, 48, 3), 200, np.uint8)
    with caplog.at_level(logging.INFO, logger="framer"):
        framer.interpolate([a, b], num_frames=3, engine=BlendEngine(), progress=True)
    done = [re.sub(r", .*", "", line) for line in _lines(caplog)]
    assert done == [f"Interpolating: {k}/3 frames" for k in (1, 2, 3)]
    assert all(re.search(r"(frames/s|s/frame), 00:0\d left$", line) for line in _lines(caplog))
    caplog.clear()
    clip = write_clip(tmp_path / "in.mp4", ramp_frames([Fraction(i, 24) for i in range(6)], Fraction(1, 4)))
    with caplog.at_level(logging.INFO, logger="framer"):
        interpolate_video(clip, tmp_path / "out.mp4", multi=2, engine=BlendEngine(), progress=True)
    assert _lines(caplog)[-1].startswith("Interpolating: 12/12 frames, ")


@contextmanager
def _terminal(monkeypatch):
    """stderr as a terminal, and a console log handler on it as the CLI sets one up (inside the test: pytest's
    capture resets sys.stderr between a fixture's setup and the test)."""
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("framer: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_a_bar_on_a_terminal(monkeypatch, caplog):
    with _terminal(monkeypatch) as terminal, caplog.at_level(logging.INFO, logger="framer"):
        bar = progress.progress_bar(5, desc="Interpolating", unit="frame", period=0)
        for _ in range(5):
            bar.update(1)
        bar.close()
    assert "Interpolating: 100%" in terminal.getvalue() and "5/5" in terminal.getvalue()
    assert not _lines(caplog)  # a bar, no lines


def test_a_log_message_during_a_bar_goes_through_tqdm_write(monkeypatch):
    written = []
    original = progress._Bar.write.__func__

    def spy(cls, message, *args, **kwargs):
        written.append(message)
        return original(cls, message, *args, **kwargs)

    monkeypatch.setattr(progress._Bar, "write", classmethod(spy))
    with _terminal(monkeypatch) as terminal:
        handlers = list(logging.getLogger().handlers)
        bar = progress.progress_bar(4, desc="Interpolating", unit="frame")
        bar.update(2)
        logging.getLogger("framer.video.guidance").warning("Autopilot: 1 of 2 gaps aligned.")
        bar.update(2)
        bar.close()
        assert logging.getLogger().handlers == handlers  # the console handler is back once the bar is closed
    assert written == ["framer: Autopilot: 1 of 2 gaps aligned."]
    # On its own line: the bar's line was cleared (ends in \r) before the message.
    assert re.search(r"\r *\rframer: Autopilot: 1 of 2 gaps aligned\.\n", terminal.getvalue())
