"""Statistics for the report: summaries, the percent change with a bootstrap CI, the window."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP_RESAMPLES = 10_000


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    sd: float


def summary(values: Sequence[float]) -> Summary:
    if not values:
        raise ValueError("no values")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return Summary(len(values), statistics.fmean(values), statistics.median(values), sd)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 1]."""
    if not sorted_values:
        raise ValueError("no values")
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(frozen=True)
class Change:
    pct: float
    """(mean(b) - mean(a)) / mean(a) * 100: negative = b needs less."""
    lo: float
    hi: float
    """Percentile bootstrap 95% interval of pct."""

    @property
    def significant(self) -> bool:
        return not self.lo <= 0.0 <= self.hi


def pct_change(
    a: Sequence[float],
    b: Sequence[float],
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> Change:
    """b relative to a, with a seeded percentile bootstrap (each group resampled on its own)."""
    if not a or not b:
        raise ValueError("both groups need values")
    base = statistics.fmean(a)
    if base <= 0:
        raise ValueError("the baseline mean must be positive")
    if min(a) <= 0:
        # A resample made of such values has a mean of 0 or below: no percentage exists for it
        # (idle-subtracted figures near zero on a quiet machine do this).
        raise ValueError("every baseline value must be positive for a bootstrap percentage")
    rng = random.Random(seed)
    draws = []
    for _ in range(resamples):
        ma = statistics.fmean(rng.choices(a, k=len(a)))
        mb = statistics.fmean(rng.choices(b, k=len(b)))
        draws.append((mb - ma) / ma * 100.0)
    draws.sort()
    tail = (1.0 - level) / 2.0
    return Change(
        pct=(statistics.fmean(b) - base) / base * 100.0,
        lo=percentile(draws, tail),
        hi=percentile(draws, 1.0 - tail),
    )


def mean_ci(
    values: Sequence[float],
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean: the same method as pct_change, so the chart's
    error bars and the report's intervals are one kind of interval."""
    if not values:
        raise ValueError("no values")
    rng = random.Random(seed)
    n = len(values)
    # sum/n, not statistics.fmean: the same mean, several times faster over 10 000 resamples.
    draws = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1.0 - level) / 2.0
    return percentile(draws, tail), percentile(draws, 1.0 - tail)


def steady_window(duration_s: int, omit_s: int, margin_s: int) -> tuple[int, int]:
    """(offset, length) of the CPU window inside an iperf3 run of omit + duration seconds: past
    the omitted warm-up plus a margin, ending a margin before the end (the note's A = O + 2,
    W = D - 4 with margin 2)."""
    if min(duration_s, omit_s, margin_s) < 0:
        raise ValueError("durations must not be negative")
    length = duration_s - 2 * margin_s
    if length < 1:
        raise ValueError(f"a {duration_s}s run leaves no window after two {margin_s}s margins")
    return omit_s + margin_s, length
