"""Re-timing: which source frames, and at what time between them, make each output frame.

Pure functions on timestamps (no pixels). Output frame ``k`` sits at ``k / output_rate`` seconds; it shows the source
content at ``k / content_rate`` seconds after the first source frame (``content_rate == output_rate`` except for slow
motion, where it is ``output_rate * factor``). For that content time ``c``, ``a`` is the last source frame at or before
``c`` and ``b`` the next one; ``t = (c - time[a]) / (time[b] - time[a])``. All arithmetic is on :class:`Fraction`, so
non-integer ratios (24 -> 60, 24000/1001 -> 60000/1001) and variable frame rates come out exact.

Convention: source times are seconds after the first source frame (the first is 0), strictly increasing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from framer.errors import InputError

__all__ = ["OutputFrame", "Rates", "Retimer", "count_output_frames", "plan_rates", "retime"]


@dataclass(frozen=True)
class OutputFrame:
    """One output frame: the in-between at time ``t`` of source frames ``a`` and ``b``.

    ``t == 0`` means a plain copy of source frame ``a`` (then ``b == a``): the content time falls on a source frame,
    after the last source frame, inside a gap that ends in a repeated frame, or next to a scene cut.
    """

    index: int
    time: Fraction  # presentation time of the output frame, seconds: index / output_rate
    a: int
    b: int
    t: Fraction

    @property
    def is_copy(self) -> bool:
        return self.t == 0


@dataclass(frozen=True)
class Rates:
    """Output frame rate and content rate (output frames per second of source content), both exact."""

    output: Fraction
    content: Fraction

    @property
    def slowdown(self) -> Fraction:
        return self.content / self.output


def plan_rates(
    source_rate: Fraction,
    multi: int | None = None,
    fps: Fraction | None = None,
    slowmo: Fraction | None = None,
) -> Rates:
    """The output and content rates for exactly one of ``multi``, ``fps`` or ``slowmo``.

    Args:
        source_rate: nominal frame rate of the source (its average for variable frame rate).
        multi: output rate ``multi * source_rate`` (an integer >= 2): ``multi - 1`` in-betweens per gap.
        fps: output rate, above ``source_rate``.
        slowmo: output at ``source_rate`` with the motion ``slowmo`` times slower (a number > 1).
    """
    given = [name for name, value in (("multi", multi), ("fps", fps), ("slowmo", slowmo)) if value is not None]
    if len(given) != 1:
        raise InputError(f"Give exactly one of --multi, --fps or --slowmo, not {' and '.join(given) or 'none'}.")
    source_rate = Fraction(source_rate)
    if source_rate <= 0:
        raise InputError(f"The source frame rate must be positive but is {source_rate}.")
    if multi is not None:
        if isinstance(multi, bool) or not isinstance(multi, int) or multi < 2:
            raise InputError(f"`multi` must be an integer >= 2 but is {multi!r}.")
        return Rates(output=source_rate * multi, content=source_rate * multi)
    if fps is not None:
        fps = Fraction(fps)
        if fps <= source_rate:
            raise InputError(
                f"The target fps {_show(fps)} must be above the source's {_show(source_rate)} fps; "
                "framer only raises the frame rate."
            )
        return Rates(output=fps, content=fps)
    slowmo = Fraction(slowmo)
    if slowmo <= 1:
        raise InputError(f"`slowmo` must be a factor > 1 but is {_show(slowmo)}.")
    return Rates(output=source_rate, content=source_rate * slowmo)


def _show(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate} (~{float(rate):.3f})"


class Retimer:
    """Incremental re-timing for streaming: push source frames in order, get the output frames each one completes.

    Args:
        content_rate: output frames per second of source content (:attr:`Rates.content`).
        output_rate: output frames per second (:attr:`Rates.output`); the output frame times.
        dedupe: drop repeated frames from the timeline, so the motion between the frames around a hold is spread
            evenly over the hold (anime "on twos"); without it a repeated frame is shown as it is.
    """

    def __init__(self, content_rate: Fraction, output_rate: Fraction | None = None, dedupe: bool = False) -> None:
        self.content_rate = Fraction(content_rate)
        self.output_rate = Fraction(output_rate) if output_rate is not None else self.content_rate
        if self.content_rate <= 0 or self.output_rate <= 0:
            raise InputError(f"Rates must be positive but are {self.content_rate} and {self.output_rate}.")
        self.dedupe = dedupe
        self.next_index = 0
        self._anchor: tuple[int, Fraction] | None = None  # (source index, time) of the last frame in the timeline

    @property
    def anchor(self) -> int | None:
        """Source index of the last frame kept in the timeline (the ``a`` of the next gap)."""
        return None if self._anchor is None else self._anchor[0]

    def state(self) -> tuple[int, tuple[int, Fraction] | None]:
        """What :meth:`restore` needs to go on from here: the next output index and the anchor (index, time)."""
        return self.next_index, self._anchor

    def restore(self, next_index: int, anchor: tuple[int, Fraction] | None) -> None:
        """Continue from a :meth:`state` saved by a retimer of the same rates (a timeline checkpoint)."""
        self.next_index, self._anchor = next_index, None if anchor is None else (anchor[0], Fraction(anchor[1]))

    def _content_time(self, k: int) -> Fraction:
        return Fraction(k) / self.content_rate

    def _frame(self, k: int, a: int, b: int, t: Fraction) -> OutputFrame:
        if t == 0:
            b = a
        return OutputFrame(index=k, time=Fraction(k) / self.output_rate, a=a, b=b, t=t)

    def push(self, index: int, time: Fraction, cut: bool = False, duplicate: bool = False) -> list[OutputFrame]:
        """Add source frame ``index`` at ``time`` seconds; returns the output frames whose content time is before it.

        Args:
            cut: a scene cut lies between the last kept frame and this one: each output frame in the gap copies the
                nearer of the two frames (no blend across the cut).
            duplicate: this frame repeats the last kept frame (dropped with ``dedupe``, else the gap copies).
        """
        time = Fraction(time)
        if self._anchor is None:
            if time != 0:
                raise InputError(f"The first source frame must be at time 0 but is at {time}.")
            self._anchor = (index, time)
            return []
        a, a_time = self._anchor
        if time <= a_time or (duplicate and self.dedupe):
            return []
        frames = []
        while self._content_time(self.next_index) < time:
            c = self._content_time(self.next_index)
            if cut:
                nearer_b = (c - a_time) * 2 >= time - a_time
                frames.append(self._frame(self.next_index, index if nearer_b else a, index, Fraction(0)))
            elif duplicate:
                frames.append(self._frame(self.next_index, a, index, Fraction(0)))
            else:
                frames.append(self._frame(self.next_index, a, index, (c - a_time) / (time - a_time)))
            self.next_index += 1
        self._anchor = (index, time)
        return frames

    def finish(self, end_time: Fraction) -> list[OutputFrame]:
        """Close the timeline at ``end_time`` (the last frame's time plus its duration): copies of the last frame."""
        if self._anchor is None:
            return []
        a, _ = self._anchor
        frames = []
        while self._content_time(self.next_index) < Fraction(end_time):
            frames.append(self._frame(self.next_index, a, a, Fraction(0)))
            self.next_index += 1
        return frames


def count_output_frames(duration: Fraction, content_rate: Fraction) -> int:
    """Number of output frames for ``duration`` seconds of source: those whose content time is before its end."""
    return max(1, math.ceil(Fraction(duration) * Fraction(content_rate)))


def retime(
    times: Sequence[Fraction],
    end_time: Fraction,
    content_rate: Fraction,
    output_rate: Fraction | None = None,
    cuts: Sequence[int] = (),
    duplicates: Sequence[int] = (),
    dedupe: bool = False,
) -> list[OutputFrame]:
    """The whole plan at once: for each output frame, its source frames ``a``, ``b`` and time ``t``.

    Args:
        times: source frame times in seconds, the first 0, strictly increasing.
        end_time: end of the last source frame (its time plus its duration).
        content_rate: output frames per second of source content.
        output_rate: output frame rate (default ``content_rate``).
        cuts: indices ``i`` with a scene cut between the frame kept before ``i`` and ``i``.
        duplicates: indices ``i`` that repeat the frame kept before them.
        dedupe: drop ``duplicates`` from the timeline.
    """
    retimer = Retimer(content_rate, output_rate, dedupe=dedupe)
    cut_set, duplicate_set = set(cuts), set(duplicates)
    frames = []
    for index, time in enumerate(times):
        frames += retimer.push(index, time, cut=index in cut_set, duplicate=index in duplicate_set)
    return frames + retimer.finish(end_time)
