"""Node-wide CPU from two `/proc/stat` snapshots.

proc_stat(5): each `cpu`/`cpuN` line holds user, nice, system, idle, iowait, irq, softirq, steal,
guest, guest_nice in USER_HZ ticks. guest and guest_nice are already inside user and nice, so they
are never added. Busy = user+nice+system+irq+softirq+steal: softirq is where tc-BPF and
iptables/conntrack work lands; idle and iowait are idle time ("iowait ... is not reliable").
`/proc/stat` is not namespaced, so any pod reads the whole node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
BUSY = ("user", "nice", "system", "irq", "softirq", "steal")
# The kernel keeps these counters as u64 (kernel_cpustat); a wrap shows as after < before with
# `before` in the upper half. A small decrease is not a wrap: iowait is documented to go
# backwards, so such a delta counts as 0.
COUNTER_MODULUS = 2**64


class ProcStatError(ValueError):
    pass


@dataclass(frozen=True)
class CpuTimes:
    ticks: tuple[int, ...]
    """The first eight fields, in FIELDS order (missing trailing fields of old kernels = 0)."""


@dataclass(frozen=True)
class Snapshot:
    cpus: Mapping[str, CpuTimes]
    """Per-CPU lines (`cpu0`, `cpu1`, ...): only online CPUs are listed."""


@dataclass(frozen=True)
class CpuUsage:
    vcpus: int
    """CPUs online in both snapshots (the ones measured)."""
    busy_vcpu: float
    """Average busy CPUs over the window, 0..vcpus."""
    breakdown: Mapping[str, float]
    """Each BUSY field as vCPU; they add up to busy_vcpu."""
    max_cpu_busy: float
    """Busiest single CPU, as a fraction 0..1 (a saturated RSS queue shows here)."""
    offline: tuple[str, ...]
    """CPUs present in only one snapshot (went offline or came online): left out."""
    ticks: int
    """Total ticks the figure rests on (its resolution)."""


def parse(text: str) -> Snapshot:
    cpus: dict[str, CpuTimes] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("cpu") or parts[0] == "cpu":
            continue
        if not parts[0][3:].isdigit():
            raise ProcStatError(f"unexpected /proc/stat line: {line!r}")
        try:
            values = [int(v) for v in parts[1 : 1 + len(FIELDS)]]
        except ValueError:
            raise ProcStatError(f"non-numeric /proc/stat line: {line!r}") from None
        if len(values) < 4:
            raise ProcStatError(f"short /proc/stat line: {line!r}")
        cpus[parts[0]] = CpuTimes(tuple(values + [0] * (len(FIELDS) - len(values))))
    if not cpus:
        raise ProcStatError("no cpuN lines: not /proc/stat output")
    return Snapshot(cpus)


def counter_delta(before: int, after: int) -> int:
    if after >= before:
        return after - before
    if before >= COUNTER_MODULUS // 2:
        return after + COUNTER_MODULUS - before
    return 0


def usage(before: Snapshot, after: Snapshot) -> CpuUsage:
    """vCPU busy = Δbusy / Δtotal * nCPU over the CPUs online throughout (no USER_HZ needed)."""
    common = sorted(set(before.cpus) & set(after.cpus), key=lambda c: int(c[3:]))
    offline = tuple(sorted(set(before.cpus) ^ set(after.cpus), key=lambda c: int(c[3:])))
    if not common:
        raise ProcStatError("no CPU is online in both snapshots")
    sums = dict.fromkeys(FIELDS, 0)
    max_busy = 0.0
    for cpu in common:
        deltas = dict(
            zip(
                FIELDS,
                (
                    counter_delta(b, a)
                    for b, a in zip(before.cpus[cpu].ticks, after.cpus[cpu].ticks, strict=True)
                ),
                strict=True,
            )
        )
        total = sum(deltas.values())
        if total:
            max_busy = max(max_busy, sum(deltas[f] for f in BUSY) / total)
        for f in FIELDS:
            sums[f] += deltas[f]
    total = sum(sums.values())
    if total == 0:
        raise ProcStatError("no ticks elapsed between the snapshots")
    n = len(common)
    breakdown = {f: sums[f] / total * n for f in BUSY}
    return CpuUsage(
        vcpus=n,
        busy_vcpu=sum(sums[f] for f in BUSY) / total * n,
        breakdown=breakdown,
        max_cpu_busy=max_busy,
        offline=offline,
        ticks=total,
    )


SEPARATOR = "--netbench-sample--"


def sampler_command(offset_s: int, window_s: int) -> list[str]:
    """Snapshot /proc/stat at `offset_s` and again `window_s` later, in one exec."""
    return [
        "sh",
        "-c",
        f"sleep {offset_s}; cat /proc/stat; echo {SEPARATOR}; sleep {window_s}; cat /proc/stat",
    ]


def split_samples(output: str) -> tuple[Snapshot, Snapshot]:
    first, sep, second = output.partition(SEPARATOR)
    if not sep:
        raise ProcStatError("sampler output has no separator: the sampler did not finish")
    return parse(first), parse(second)
