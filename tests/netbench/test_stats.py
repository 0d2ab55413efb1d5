"""Statistics: bootstrap CI and the trimmed CPU window, as properties and exact cases."""

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netbench._stats import mean_ci, pct_change, percentile, steady_window, summary

positive = st.floats(min_value=0.1, max_value=100.0, allow_nan=False)
groups = st.lists(positive, min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(a=groups, b=groups, seed=st.integers(0, 2**16))
def test_bootstrap_interval_is_ordered_and_bounded_by_the_data(a, b, seed):
    ch = pct_change(a, b, seed=seed, resamples=300)
    assert ch.lo <= ch.hi
    # Any resampled mean lies between the group's min and max.
    lowest = (min(b) - max(a)) / max(a) * 100
    highest = (max(b) - min(a)) / min(a) * 100
    assert lowest - 1e-9 <= ch.lo <= ch.hi <= highest + 1e-9
    assert ch.pct == pytest.approx((statistics.fmean(b) / statistics.fmean(a) - 1) * 100)
    assert pct_change(a, b, seed=seed, resamples=300) == ch  # seeded: reproducible


@settings(max_examples=25, deadline=None)
@given(a=groups, b=groups, k=st.floats(min_value=0.5, max_value=20.0))
def test_percent_change_does_not_depend_on_units(a, b, k):
    one = pct_change(a, b, seed=3, resamples=200)
    scaled = pct_change([x * k for x in a], [x * k for x in b], seed=3, resamples=200)
    assert scaled.pct == pytest.approx(one.pct, abs=1e-6)
    assert scaled.lo == pytest.approx(one.lo, abs=1e-6)
    assert scaled.hi == pytest.approx(one.hi, abs=1e-6)


def test_constant_groups_give_a_point_interval():
    ch = pct_change([4.0] * 5, [3.0] * 5, seed=1, resamples=100)
    assert (ch.pct, ch.lo, ch.hi) == pytest.approx((-25.0, -25.0, -25.0))
    assert ch.significant


def test_overlapping_groups_are_not_significant():
    ch = pct_change([1.0, 2.0, 3.0, 4.0, 5.0], [1.5, 2.5, 3.0, 3.5, 4.5], seed=1)
    assert ch.lo < 0 < ch.hi
    assert not ch.significant


def test_bad_groups():
    with pytest.raises(ValueError, match="both groups"):
        pct_change([], [1.0], seed=1)
    with pytest.raises(ValueError, match="positive"):
        pct_change([0.0], [1.0], seed=1)


def test_percentile_and_summary():
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 1.0) == 4.0
    s = summary([1.0, 2.0, 6.0])
    assert (s.n, s.mean, s.median, s.sd) == (3, 3.0, 2.0, pytest.approx(2.6457513))
    assert summary([5.0]).sd == 0.0


def test_window_of_the_default_run():
    # -O 5 -t 60, margin 2: from second 7 for 56 s (the benchmark note's A = O+2, W = D-4).
    assert steady_window(60, 5, 2) == (7, 56)


@given(duration=st.integers(1, 600), omit=st.integers(0, 30), margin=st.integers(0, 30))
def test_window_stays_inside_the_measured_part(duration, omit, margin):
    if duration - 2 * margin < 1:
        with pytest.raises(ValueError, match="no window"):
            steady_window(duration, omit, margin)
        return
    offset, length = steady_window(duration, omit, margin)
    assert offset >= omit + margin  # past the warm-up
    assert offset + length <= omit + duration - margin  # ends before iperf3 stops
    assert length >= 1


def test_mean_ci_is_the_percentile_bootstrap_of_the_mean():
    # Two values: a resampled mean is 0, 5 or 10 with chances 1/4, 1/2, 1/4, so the 2.5th and
    # 97.5th percentiles of 10 000 draws are the extremes.
    assert mean_ci([0.0, 10.0], seed=1) == (0.0, 10.0)
    assert mean_ci([3.0, 3.0, 3.0], seed=7) == (3.0, 3.0)
    lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], seed=1)
    assert 1.0 < lo < 3.0 < hi < 5.0
    assert mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], seed=1) == (lo, hi)  # seeded: reproducible
    with pytest.raises(ValueError, match="no values"):
        mean_ci([], seed=1)


def test_no_bootstrap_percentage_against_a_baseline_that_reaches_zero():
    # Positive mean, but a resample of [0, 1] can be all zeros: its percentage would divide by 0.
    with pytest.raises(ValueError, match="every baseline value must be positive"):
        pct_change([0.0, 1.0], [1.0], seed=1)
    with pytest.raises(ValueError, match="every baseline value must be positive"):
        pct_change([-0.01, 0.5], [1.0], seed=1)  # idle-subtracted figures can dip below 0
