"""Small helpers shared by the benchmarks: percentiles and a timing loop."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def time_each(fn: Callable[[int], object], n: int) -> list[float]:
    """Call fn(i) n times; return each call's wall time in milliseconds."""
    out: list[float] = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def ms(value: float) -> str:
    return f"{value:8.2f} ms"
