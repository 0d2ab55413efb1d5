"""iperf3: a real server and client on 127.0.0.1 through our command builder and parser."""

import json
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from netbench import _iperf, _procstat
from netbench._iperf import IperfError, client_command, parse, per_stream_bps, udp_payload

RATE = 20_000_000  # 20 Mbit/s in total: low, so the loopback run is cheap and exact
SECONDS = 2
# A 2 s run paced by iperf3 misses its rate only when iperf3 is not scheduled in time. Such a run
# is repeated (at most ATTEMPTS in all) only when this machine's CPUs were at least STARVED busy
# during it, as /proc/stat shows (other test runs sharing the machine): a wrong rate on a machine
# with CPU to spare fails at once, and a wrong rate every time fails too.
ATTEMPTS = 3
STARVED = 0.9
SERVER_LISTEN_S = 10.0  # the one-shot server needs a moment to listen; longer on a loaded machine


STAT = Path("/proc/stat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(udp_len):
    """Start a one-shot server on a free port, run our client command against it."""
    port = _free_port()
    server = subprocess.Popen(
        ["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    argv = client_command(
        target="127.0.0.1",
        duration_s=SECONDS,
        omit_s=0,
        streams=2,
        rate_bps=RATE,
        udp_len=udp_len,
        port=port,
    )
    try:
        deadline = time.monotonic() + SERVER_LISTEN_S
        while True:
            client = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
            refused = "Connection refused" in client.stdout + client.stderr
            if not refused or time.monotonic() > deadline:
                return argv, client
            time.sleep(0.05)
    finally:
        server.kill()
        server.wait(timeout=10)


def _busy_fraction(before: str, after: str) -> float:
    u = _procstat.usage(_procstat.parse(before), _procstat.parse(after))
    return u.busy_vcpu / u.vcpus


def _within(value: float) -> bool:
    return abs(value - RATE) <= 0.10 * RATE


def _measured(udp_len):
    """(argv, client, busy fractions of the attempts): the first run on the asked rate, or the
    last one after ATTEMPTS runs on a starved machine, or the first off-rate run on a machine that
    was not starved."""
    busy: list[float] = []
    for _ in range(ATTEMPTS):
        before = STAT.read_text()
        argv, client = _client(udp_len)
        busy.append(_busy_fraction(before, STAT.read_text()))
        if client.returncode != 0:
            break
        result = parse(json.loads(client.stdout))
        if (_within(result.recv_bps) and _within(result.sent_bps)) or busy[-1] < STARVED:
            break
    return argv, client, busy


def test_retry_is_only_for_a_starved_machine(monkeypatch):
    """A run off the rate is retried while the machine was saturated, never when it was not."""
    off = json.dumps(
        {
            "start": {"version": "iperf 3.12", "test_start": {"protocol": "TCP", "num_streams": 2}},
            "end": {
                "sum_sent": {"seconds": 2, "bits_per_second": RATE / 2, "retransmits": 0},
                "sum_received": {"seconds": 2, "bits_per_second": RATE / 2},
            },
        }
    )
    runs = []

    def fake_client(udp_len):
        runs.append(udp_len)
        return ["iperf3"], subprocess.CompletedProcess([], 0, off, "")

    monkeypatch.setattr(sys.modules[__name__], "_client", fake_client)
    for fraction, attempts in ((1.0, ATTEMPTS), (0.5, 1)):
        runs.clear()
        monkeypatch.setattr(sys.modules[__name__], "_busy_fraction", lambda b, a, f=fraction: f)
        _, _, busy = _measured(None)
        assert (len(runs), busy) == (attempts, [fraction] * attempts)


def test_real_loopback_runs_parse_to_the_rate_asked_for():
    """TCP and UDP side by side (about SECONDS in all), each through the real parser."""
    if shutil.which("iperf3") is None:
        pytest.fail("iperf3 is not installed (scripts/test installs the Debian package)")
    with ThreadPoolExecutor(max_workers=2) as pool:
        tcp, udp = pool.map(_measured, [None, 1400])
    for (argv, client, busy), proto in ((tcp, "TCP"), (udp, "UDP")):
        assert client.returncode == 0, client.stdout[-500:] + client.stderr
        result = parse(json.loads(client.stdout))
        assert result.protocol == proto
        assert result.streams == 2
        assert _iperf.version_tuple(result.version)[0] == 3
        assert abs(result.recv_bps - RATE) <= 0.10 * RATE, (result, busy)
        assert abs(result.sent_bps - RATE) <= 0.10 * RATE, (result, busy)
        assert (result.lost_pct is None) == (proto == "TCP")
        assert (result.retransmits is None) == (proto == "UDP")
        assert argv[argv.index("-b") + 1] == str(RATE // 2)


def test_client_command_exact():
    assert client_command(
        target="10.0.1.5",
        duration_s=60,
        omit_s=5,
        streams=4,
        rate_bps=10_000_000_000,
        udp_len=None,
    ) == [
        "iperf3",
        "-c",
        "10.0.1.5",
        "-p",
        "5201",
        "-t",
        "60",
        "-O",
        "5",
        "-P",
        "4",
        "-b",
        "2500000000",
        "-J",
    ]
    assert client_command(
        target="172.20.0.9",
        duration_s=60,
        omit_s=5,
        streams=4,
        rate_bps=10_000_000_000,
        udp_len=8973,
    ) == [
        "iperf3",
        "-c",
        "172.20.0.9",
        "-p",
        "5201",
        "-t",
        "60",
        "-O",
        "5",
        "-P",
        "4",
        "-b",
        "2500000000",
        "-J",
        "-u",
        "-l",
        "8973",
        "-w",
        "4M",
    ]


def test_rate_split_rounds_up_so_the_total_is_at_least_the_target():
    assert per_stream_bps(10_000_000_000, 3) == 3_333_333_334
    assert per_stream_bps(10_000_000_000, 3) * 3 >= 10_000_000_000
    with pytest.raises(ValueError, match="positive"):
        per_stream_bps(10, 0)


def test_udp_payload_fits_one_packet():
    assert udp_payload(9001) == 8973
    assert udp_payload(1500) == 1472
    assert udp_payload(65536) == 65507  # loopback: capped at the largest UDP payload
    with pytest.raises(ValueError, match="no room"):
        udp_payload(28)


def test_old_udp_output_falls_back_to_end_sum():
    """iperf3 before 3.11 has only end.sum (as kubernetes/perf-tests' iperf 3.1 samples)."""
    doc = {
        "start": {"version": "iperf 3.1", "test_start": {"protocol": "UDP", "num_streams": 1}},
        "end": {"sum": {"seconds": 10.0, "bits_per_second": 1.4e9, "lost_percent": 2.16}},
    }
    r = parse(doc)
    assert (r.recv_bps, r.sent_bps, r.lost_pct) == (1.4e9, 1.4e9, 2.16)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"error": "unable to connect to server"}, "unable to connect"),
        ({"start": {}}, "lacks"),
        (
            {"start": {"test_start": {"protocol": "SCTP", "num_streams": 1}}, "end": {}},
            "unknown iperf3 protocol",
        ),
    ],
)
def test_bad_documents_raise(doc, message):
    with pytest.raises(IperfError, match=message):
        parse(doc)


def test_version_tuple():
    assert _iperf.version_tuple("iperf 3.17.1 (cJSON 1.7.15)") == (3, 17, 1)
    assert _iperf.version_tuple("iperf 3.12") == (3, 12)
    assert _iperf.version_tuple("iperf 3.12") < _iperf.MIN_MULTI_STREAM_VERSION
    with pytest.raises(IperfError):
        _iperf.version_tuple("no version")
