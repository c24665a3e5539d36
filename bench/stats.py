"""Percentile and summary helpers (no numpy: the venv does not need it)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100) with linear interpolation between ranks.

    None for an empty sample, so a benchmark that got no data says so in its
    JSON instead of inventing a zero.
    """
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    data = sorted(values)
    rank = (len(data) - 1) * p / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    if lo == hi:
        return data[lo]
    return data[lo] + (data[hi] - data[lo]) * (rank - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p90, p99, max and mean of durations given in seconds, reported in ms."""

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 3)

    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p90_ms": ms(percentile(seconds, 90)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
        "mean_ms": ms(sum(seconds) / len(seconds) if seconds else None),
    }


def target(
    value: float | None, limit: float, *, unit: str, higher_is_better: bool = False
) -> dict[str, object]:
    """A figure next to its issue-4 target, with a pass/fail flag (None if not measured)."""
    if value is None:
        ok = None
    elif higher_is_better:
        ok = value >= limit
    else:
        ok = value <= limit
    op = ">=" if higher_is_better else "<="
    return {"value": value, "target": f"{op} {limit} {unit}", "limit": limit, "pass": ok}
