"""Resident memory of the current process, for benchmarks that run each measurement in a fresh process.

Standard library only (psutil where procfs is missing), so that importing it does not itself move the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["current_rss_bytes", "peak_rss_bytes"]


def _status_bytes(field: str) -> int | None:
    """A ``/proc/self/status`` memory field (``VmHWM``, ``VmRSS``) in bytes; None where there is no procfs."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return None


def peak_rss_bytes() -> int:
    """Peak resident memory of this process in bytes (Linux ``VmHWM``, per address space, so a parent process is
    not counted; elsewhere what the OS keeps)."""
    peak = _status_bytes("VmHWM")
    if peak is not None:
        return peak
    import psutil

    info = psutil.Process().memory_info()
    if hasattr(info, "peak_wset"):  # Windows
        return int(info.peak_wset)
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


def current_rss_bytes() -> int:
    """Resident memory of this process now, in bytes."""
    rss = _status_bytes("VmRSS")
    if rss is not None:
        return rss
    import psutil

    return int(psutil.Process().memory_info().rss)
