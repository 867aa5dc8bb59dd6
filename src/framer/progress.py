"""Progress of long jobs, in one place: a tqdm bar on a terminal, a periodic line everywhere else.

A bar redraws one line with ``\\r``, which is noise in a log file or a CI job; so when stderr is not a terminal (and
no notebook front-end is active), progress is a line every :data:`PERIOD_SECONDS` instead, with frames done out of the
total, the rate and the time left. The lines go to the ``framer.progress`` logger (which the CLI prints as
``framer: ...``), or straight to stderr when logging is not set up, so a script calling the API sees them too.

While a bar is shown, console logging goes through ``tqdm.write`` (messages print above the bar, never into it).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from tqdm.auto import tqdm as auto_tqdm
from tqdm.autonotebook import tqdm as notebook_tqdm  # after tqdm.auto, which imports it quietly
from tqdm.contrib.logging import logging_redirect_tqdm
from tqdm.std import tqdm as std_tqdm

__all__ = ["PERIOD_SECONDS", "Progress", "progress_bar", "track"]

logger = logging.getLogger(__name__)

PERIOD_SECONDS = 10.0
"""Seconds between two progress lines when stderr is not a terminal."""

_T = TypeVar("_T")


class Progress(Protocol):
    """What callers use of a progress display (a tqdm bar has all of it)."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...

    def __enter__(self) -> Progress: ...

    def __exit__(self, *exc: object) -> None: ...


class _Bar(auto_tqdm):
    """A tqdm bar that routes console logging through ``tqdm.write`` while it is open."""

    def __init__(self, *args, **kwargs) -> None:
        self._redirect: AbstractContextManager | None = None
        super().__init__(*args, **kwargs)
        self._redirect = logging_redirect_tqdm(tqdm_class=type(self))
        self._redirect.__enter__()

    def close(self) -> None:
        super().close()
        redirect, self._redirect = getattr(self, "_redirect", None), None
        if redirect is not None:
            redirect.__exit__(None, None, None)


class _Lines:
    """Progress as a line every ``period`` seconds: ``Interpolating: 40/96 frames, 2.1 frames/s, 00:26 left``."""

    def __init__(self, total: int | None, desc: str, unit: str, initial: int, period: float,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self.total, self.desc, self.unit, self.period, self.clock = total, desc, unit, period, clock
        self.n = self._first = initial
        self._start = self._last = clock()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self.clock()
        if now - self._last >= self.period:
            self._last = now
            _emit(self.line(now))

    def line(self, now: float) -> str:
        done = f"{self.n}/{self.total}" if self.total else str(self.n)
        parts = [f"{self.desc}: {done} {self.unit}s"]
        elapsed = now - self._start
        rate = (self.n - self._first) / elapsed if elapsed > 0 else 0.0
        if rate > 0:
            parts.append(f"{_number(rate)} {self.unit}s/s" if rate >= 1 else f"{_number(1 / rate)} s/{self.unit}")
            if self.total:
                parts.append(f"{std_tqdm.format_interval(max(0, self.total - self.n) / rate)} left")
        return ", ".join(parts)

    def close(self) -> None:
        pass

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _number(value: float) -> str:
    """Three significant digits, without an exponent: 0.123, 4.56, 78.9, 1234."""
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _emit(line: str) -> None:
    if logger.isEnabledFor(logging.INFO) and logger.hasHandlers():
        logger.info("%s", line)
    else:
        print(line, file=sys.stderr, flush=True)


def _is_terminal() -> bool:
    """A bar can be drawn: stderr is a terminal, or tqdm.auto found a notebook front-end."""
    if notebook_tqdm is not std_tqdm:
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(total: int | None, *, desc: str, unit: str, enabled: bool = True, initial: int = 0,
                 leave: bool = True, period: float | None = None, clock: Callable[[], float] = time.monotonic
                 ) -> Progress:  # fmt: skip
    """A progress display for ``total`` steps (None: unknown); close it (or use it in ``with``) when done.

    ``enabled=False`` gives one that shows nothing. ``period`` (default :data:`PERIOD_SECONDS`) and ``clock`` set the
    rhythm of the lines written when stderr is not a terminal.
    """
    if not enabled:
        return std_tqdm(total=total, disable=True)
    if _is_terminal():
        return _Bar(total=total, initial=initial, desc=desc, unit=unit, leave=leave, dynamic_ncols=True)
    return _Lines(total, desc, unit, initial, PERIOD_SECONDS if period is None else period, clock)


def track(items: Iterable[_T], *, desc: str, unit: str, enabled: bool = True, total: int | None = None
          ) -> Iterator[_T]:  # fmt: skip
    """Iterate ``items`` showing progress (``total`` defaults to ``len(items)`` when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    bar = progress_bar(total, desc=desc, unit=unit, enabled=enabled)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()
