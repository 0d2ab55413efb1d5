"""CPU from /proc/stat: this machine's real file, crafted edge cases, properties."""

import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netbench import _procstat as ps
from tests.netbench.fakes import proc_stat


def test_real_proc_stat_of_this_machine():
    text = Path("/proc/stat").read_text()
    before = ps.parse(text)
    end = time.monotonic() + 0.3
    while time.monotonic() < end:  # keep one CPU busy so the window has busy ticks
        sum(range(1000))
    after = ps.parse(Path("/proc/stat").read_text())
    u = ps.usage(before, after)
    online = len([line for line in text.splitlines() if line[:3] == "cpu" and line[3].isdigit()])
    assert len(before.cpus) == online
    assert u.vcpus <= os.cpu_count()
    assert 0 < u.busy_vcpu <= u.vcpus
    assert 0 < u.max_cpu_busy <= 1
    assert u.busy_vcpu == pytest.approx(sum(u.breakdown.values()))
    assert u.breakdown["user"] > 0


def test_exact_vcpu_from_crafted_snapshots():
    u = ps.usage(ps.parse(proc_stat(0, base=100, idle=0)), ps.parse(proc_stat(250, base=100)))
    # 4 CPUs, each 250 of 1000 ticks in softirq: one vCPU busy, all of it softirq.
    assert u.vcpus == 4
    assert u.busy_vcpu == pytest.approx(1.0)
    assert u.breakdown["softirq"] == pytest.approx(1.0)
    assert u.breakdown["user"] == 0
    assert u.max_cpu_busy == pytest.approx(0.25)
    assert u.ticks == 4000


def _line(cpu, **ticks):
    return f"{cpu} " + " ".join(str(ticks.get(f, 0)) for f in (*ps.FIELDS, "guest", "guest_nice"))


def test_steal_counts_as_busy_and_guest_is_never_added():
    before = ps.parse(_line("cpu0", user=100, idle=100, guest=50))
    after = ps.parse(_line("cpu0", user=150, idle=200, steal=50, guest=100, guest_nice=30))
    u = ps.usage(before, after)
    # Δuser 50 (already includes the 50 guest ticks), Δidle 100, Δsteal 50: total 200.
    assert u.ticks == 200
    assert u.breakdown["steal"] == pytest.approx(0.25)
    assert u.busy_vcpu == pytest.approx(0.5)


def test_counter_wrap_is_a_forward_step():
    top = ps.COUNTER_MODULUS - 10
    before = ps.parse(_line("cpu0", system=top, idle=1000))
    after = ps.parse(_line("cpu0", system=30, idle=1040))
    u = ps.usage(before, after)
    assert u.breakdown["system"] == pytest.approx(40 / 80)


def test_iowait_going_backwards_counts_zero_not_a_wrap():
    before = ps.parse(_line("cpu0", user=10, idle=100, iowait=50))
    after = ps.parse(_line("cpu0", user=20, idle=190, iowait=40))
    assert ps.usage(before, after).ticks == 100


def test_cpu_going_offline_is_left_out_and_reported():
    before = ps.parse(_line("cpu0", user=0, idle=0) + "\n" + _line("cpu1", user=0, idle=0))
    after = ps.parse(_line("cpu0", user=30, idle=70))
    u = ps.usage(before, after)
    assert (u.vcpus, u.offline) == (1, ("cpu1",))
    assert u.busy_vcpu == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intr 1 2 3\n", "no cpuN lines"),
        ("cpu0 1 2\n", "short"),
        ("cpu0 a b c d\n", "non-numeric"),
        ("cpux 1 2 3 4\n", "unexpected"),
    ],
)
def test_not_proc_stat(text, message):
    with pytest.raises(ps.ProcStatError, match=message):
        ps.parse(text)


def test_no_elapsed_ticks_or_no_common_cpu():
    s = ps.parse(_line("cpu0", idle=5))
    with pytest.raises(ps.ProcStatError, match="no ticks"):
        ps.usage(s, s)
    with pytest.raises(ps.ProcStatError, match="no CPU is online"):
        ps.usage(s, ps.parse(_line("cpu1", idle=5)))


def test_sampler_output_round_trip():
    cmd = ps.sampler_command(7, 56)
    assert cmd == [
        "sh",
        "-c",
        f"sleep 7; cat /proc/stat; echo {ps.SEPARATOR}; sleep 56; cat /proc/stat",
    ]
    before, after = ps.split_samples(proc_stat(0, idle=0) + ps.SEPARATOR + "\n" + proc_stat(10))
    assert ps.usage(before, after).busy_vcpu == pytest.approx(0.04)
    with pytest.raises(ps.ProcStatError, match="separator"):
        ps.split_samples(proc_stat(0))


deltas = st.lists(st.integers(0, 10**6), min_size=len(ps.FIELDS), max_size=len(ps.FIELDS))


@given(
    start=st.lists(st.integers(0, 2**40), min_size=len(ps.FIELDS), max_size=len(ps.FIELDS)),
    steps=st.lists(deltas, min_size=1, max_size=8),
)
def test_busy_never_exceeds_the_cpus_measured(start, steps):
    before = "\n".join(f"cpu{i} " + " ".join(map(str, start)) for i in range(len(steps)))
    after = "\n".join(
        f"cpu{i} " + " ".join(str(a + d) for a, d in zip(start, step, strict=True))
        for i, step in enumerate(steps)
    )
    if not any(any(step) for step in steps):
        return
    u = ps.usage(ps.parse(before), ps.parse(after))
    assert 0 <= u.busy_vcpu <= u.vcpus + 1e-9
    assert 0 <= u.max_cpu_busy <= 1
    assert sum(u.breakdown.values()) == pytest.approx(u.busy_vcpu)
