"""What one `bench` invocation runs: parameters, cases, their seeded order, validity rules."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ._iperf import per_stream_bps

CASES = ("pod2pod-tcp", "pod2pod-udp", "pod2svc-tcp", "pod2svc-udp")
# AWS: "Bandwidth for single-flow traffic is limited to 5 Gbps when instances are not in the
# same cluster placement group" (10 Gbps inside one; EC2 instance network bandwidth doc). The
# stricter figure keeps every stream under the cap wherever the nodes are.
PER_FLOW_LIMIT_BPS = 5_000_000_000
# Validity (issue 10, benchmark note §6.3): below 98% of the target rate, or more than 1% UDP
# loss, the run did not do the work being costed; a CPU near 100% means the rate may be capped
# by CPU, not by the target.
MIN_RATE_FRACTION = 0.98
MAX_UDP_LOSS_PCT = 1.0
MAX_CPU_BUSY = 0.95
# Time around each case that is not iperf3: pod exec round trips, JSON transfer.
EXEC_SLACK_S = 5


@dataclass(frozen=True, kw_only=True)
class Params:
    duration_s: int = 60
    omit_s: int = 5
    margin_s: int = 2
    streams: int = 4
    rate_bps: int = 10_000_000_000
    reps: int = 5
    seed: int = 1
    max_cpu_busy: float = MAX_CPU_BUSY
    """Busiest single CPU above which a run counts as CPU-bound (invalid)."""

    def problems(self) -> list[str]:
        found = []
        if self.streams < 1 or self.rate_bps < 1 or self.reps < 1:
            found.append("streams, rate and reps must be positive")
        elif per_stream_bps(self.rate_bps, self.streams) > PER_FLOW_LIMIT_BPS:
            found.append(
                f"{self.rate_bps} bps over {self.streams} streams exceeds the AWS per-flow limit"
                f" of {PER_FLOW_LIMIT_BPS} bps per stream: use more streams"
            )
        if self.duration_s - 2 * self.margin_s < 1 or self.omit_s < 0:
            found.append("duration must exceed two margins and omit must not be negative")
        return found


def schedule(params: Params) -> list[tuple[int, str]]:
    """(rep, case) in run order: every rep runs each case once, shuffled with the seed."""
    rng = random.Random(params.seed)
    order = []
    for rep in range(1, params.reps + 1):
        cases = list(CASES)
        rng.shuffle(cases)
        order += [(rep, case) for case in cases]
    return order


def case_seconds(params: Params) -> int:
    return params.omit_s + params.duration_s + EXEC_SLACK_S


def planned_seconds(params: Params) -> int:
    """Whole run: an idle window before and after, then every case."""
    idle = params.omit_s + params.duration_s
    return 2 * idle + len(schedule(params)) * case_seconds(params)


def invalid_reasons(
    *,
    recv_bps: float,
    target_bps: int,
    lost_pct: float | None,
    max_cpu_busy: float,
    cpu_limit: float = MAX_CPU_BUSY,
) -> list[str]:
    reasons = []
    if recv_bps < MIN_RATE_FRACTION * target_bps:
        reasons.append(
            f"received {recv_bps / 1e9:.3f} Gbps < {MIN_RATE_FRACTION:.0%} of"
            f" {target_bps / 1e9:.3f} Gbps"
        )
    if lost_pct is not None and lost_pct > MAX_UDP_LOSS_PCT:
        reasons.append(f"UDP loss {lost_pct:.2f}% > {MAX_UDP_LOSS_PCT}%")
    if max_cpu_busy > cpu_limit:
        reasons.append(f"a CPU was {max_cpu_busy:.0%} busy: CPU-bound, not rate-bound")
    return reasons
