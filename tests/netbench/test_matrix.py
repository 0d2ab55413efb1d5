"""The run matrix: seeded order, every case every rep, the per-flow cap, validity rules."""

from collections import Counter

from netbench._matrix import (
    CASES,
    PER_FLOW_LIMIT_BPS,
    Params,
    invalid_reasons,
    planned_seconds,
    schedule,
)


def test_each_rep_runs_every_case_once_in_seeded_order():
    order = schedule(Params(reps=5, seed=7))
    assert len(order) == 20
    for rep in range(1, 6):
        assert sorted(c for r, c in order if r == rep) == sorted(CASES)
    assert order == schedule(Params(reps=5, seed=7))
    assert order != schedule(Params(reps=5, seed=8))
    assert Counter(c for _, c in order) == dict.fromkeys(CASES, 5)


def test_default_streams_stay_under_the_per_flow_limit():
    assert Params().problems() == []
    assert Params().rate_bps / Params().streams <= PER_FLOW_LIMIT_BPS
    (problem,) = Params(streams=1).problems()
    assert "per-flow limit" in problem
    assert Params(duration_s=4, margin_s=2).problems() == [
        "duration must exceed two margins and omit must not be negative"
    ]


def test_planned_time_of_the_default_matrix():
    # 20 runs x (5 + 60 + 5) s + two idle windows of 65 s.
    assert planned_seconds(Params()) == 20 * 70 + 2 * 65


def test_validity_rules():
    ok = {"target_bps": 10_000_000_000, "max_cpu_busy": 0.5}
    assert invalid_reasons(recv_bps=9.8e9, lost_pct=None, **ok) == []
    assert invalid_reasons(recv_bps=9.79e9, lost_pct=None, **ok) == [
        "received 9.790 Gbps < 98% of 10.000 Gbps"
    ]
    assert invalid_reasons(recv_bps=1e10, lost_pct=1.0, **ok) == []
    assert invalid_reasons(recv_bps=1e10, lost_pct=1.01, **ok) == ["UDP loss 1.01% > 1.0%"]
    assert invalid_reasons(
        recv_bps=1e10, lost_pct=0.0, target_bps=10_000_000_000, max_cpu_busy=0.96
    ) == ["a CPU was 96% busy: CPU-bound, not rate-bound"]
