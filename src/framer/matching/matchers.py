"""The autopilot's keypoint matchers by name: ``sift`` (OpenCV, the default) and the learned ``xfeat`` and ``disk``.

A matcher is a callable ``(image0, image1, config) -> Matches`` (:class:`framer.matching.sift.Matches`), so the
verification and selection downstream are the same for all. The learned matchers import torch and load their
weights (:mod:`framer.matching.zoo`) on first use, never at import.

>>> from framer.matching.matchers import get_matcher
>>> matches = get_matcher("xfeat")(image0, image1, AutopilotConfig(matcher="xfeat"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from framer.errors import InputError
from framer.matching.sift import Matches, sift_matches

__all__ = ["MatchSettings", "Matcher", "check_matcher_name", "get_matcher", "matcher_names", "register_matcher"]


class MatchSettings(Protocol):
    """What a matcher reads of :class:`framer.matching.AutopilotConfig` (named here so this module needs no
    import of the autopilot, which imports it)."""

    ratio: float
    max_side: int


Matcher = Callable[[np.ndarray, np.ndarray, MatchSettings], Matches]


def _sift(image0: np.ndarray, image1: np.ndarray, config: MatchSettings) -> Matches:
    return sift_matches(image0, image1, ratio=config.ratio, max_side=config.max_side)


def _learned(name: str) -> Matcher:
    def match(image0: np.ndarray, image1: np.ndarray, config: MatchSettings) -> Matches:
        from framer.matching.learned.pipeline import learned_matches  # torch: only when used

        return learned_matches(name, image0, image1, ratio=config.ratio, max_side=config.max_side)

    return match


_MATCHERS: dict[str, Matcher] = {"sift": _sift, "xfeat": _learned("xfeat"), "disk": _learned("disk")}


def matcher_names() -> tuple[str, ...]:
    """The registered matcher names, built-ins first."""
    return tuple(_MATCHERS)


def register_matcher(name: str, matcher: Matcher) -> None:
    """Add (or replace) a matcher under ``name``, e.g. one written for a test or a plug-in."""
    if not isinstance(name, str) or not name or not callable(matcher):
        raise InputError(f"A matcher needs a non-empty name and a callable, not {name!r} and {matcher!r}.")
    _MATCHERS[name] = matcher


def check_matcher_name(name: object) -> str:
    """``name`` if a matcher is registered under it; otherwise one sentence listing the choices."""
    if not isinstance(name, str) or name not in _MATCHERS:
        raise InputError(f"`matcher` must be one of {', '.join(_MATCHERS)}, not {name!r}.")
    return name


def get_matcher(name: str) -> Matcher:
    """The matcher registered as ``name`` (see :func:`matcher_names`)."""
    return _MATCHERS[check_matcher_name(name)]
