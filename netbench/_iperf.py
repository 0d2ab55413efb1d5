"""iperf3: the client command line and its `--json` (`-J`) output.

Flags (iperf3(1), esnet/iperf): `-b` is applied to each stream separately when `-P` is given;
`-O n` omits the first n seconds (TCP slow start) and makes the run last O + t; `-l` sets the UDP
datagram payload. UDP throughput and loss are read at the receiver: `end.sum_received` (iperf3
3.11+; the source calls the older `end.sum` ambiguous between sender and receiver, so it is only
a fallback for old versions).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

PORT = 5201
# IPv4 (20) + UDP (8) headers: the largest payload that fits one unfragmented packet.
IP_UDP_HEADERS = 28
# The largest UDP payload at all (65535 - 8 - 20), and iperf3's own -l ceiling for UDP.
MAX_UDP_PAYLOAD = 65507
# iperf3 3.16 serves each -P stream in its own thread (esnet/iperf RELNOTES.md, 3.16
# 2023-11-30); before it one thread drives all streams and caps the rate on its own.
MIN_MULTI_STREAM_VERSION = (3, 16)
# Socket buffer for UDP (-w): larger buffers cut loss at high rates (esnet/iperf#234).
UDP_SOCKET_BUFFER = "4M"


class IperfError(ValueError):
    pass


@dataclass(frozen=True)
class IperfResult:
    version: str
    protocol: str
    streams: int
    seconds: float
    recv_bps: float
    """Receiver-side rate: what actually arrived."""
    sent_bps: float
    lost_pct: float | None
    """UDP only: datagrams lost, percent, as the receiver counted."""
    retransmits: int | None
    """TCP only: sender retransmits."""


def version_tuple(version: str) -> tuple[int, ...]:
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not m:
        raise IperfError(f"not an iperf3 version: {version!r}")
    return tuple(int(g) for g in m.groups() if g is not None)


def per_stream_bps(rate_bps: int, streams: int) -> int:
    """`-b` for each stream so that the streams together offer `rate_bps` (rounded up)."""
    if streams < 1 or rate_bps < 1:
        raise ValueError("streams and rate must be positive")
    return math.ceil(rate_bps / streams)


def udp_payload(mtu: int) -> int:
    if mtu <= IP_UDP_HEADERS:
        raise ValueError(f"MTU {mtu} leaves no room for a UDP payload")
    return min(mtu - IP_UDP_HEADERS, MAX_UDP_PAYLOAD)


def client_command(
    *,
    target: str,
    duration_s: int,
    omit_s: int,
    streams: int,
    rate_bps: int,
    udp_len: int | str | None,
    port: int = PORT,
) -> list[str]:
    """The client's argv; `udp_len` None means TCP (a string only for `--dry-run` display)."""
    argv = ["iperf3", "-c", target, "-p", str(port), "-t", str(duration_s), "-O", str(omit_s)]
    argv += ["-P", str(streams), "-b", str(per_stream_bps(rate_bps, streams)), "-J"]
    if udp_len is not None:
        argv += ["-u", "-l", str(udp_len), "-w", UDP_SOCKET_BUFFER]
    return argv


def parse(doc: dict[str, Any]) -> IperfResult:
    """The figures the benchmark uses from one client `-J` document."""
    if doc.get("error"):
        raise IperfError(f"iperf3 reported an error: {doc['error']}")
    try:
        start, end = doc["start"], doc["end"]
        protocol = str(start["test_start"]["protocol"])
        streams = int(start["test_start"]["num_streams"])
        version = str(start.get("version", "unknown"))
        if protocol == "TCP":
            sent, received = end["sum_sent"], end["sum_received"]
            return IperfResult(
                version=version,
                protocol=protocol,
                streams=streams,
                seconds=float(received["seconds"]),
                recv_bps=float(received["bits_per_second"]),
                sent_bps=float(sent["bits_per_second"]),
                lost_pct=None,
                retransmits=int(sent.get("retransmits", 0)),
            )
        if protocol == "UDP":
            received = end.get("sum_received") or end["sum"]
            sent = end.get("sum_sent") or end["sum"]
            return IperfResult(
                version=version,
                protocol=protocol,
                streams=streams,
                seconds=float(received["seconds"]),
                recv_bps=float(received["bits_per_second"]),
                sent_bps=float(sent["bits_per_second"]),
                lost_pct=float(received["lost_percent"]),
                retransmits=None,
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise IperfError(f"iperf3 JSON lacks {exc}") from None
    raise IperfError(f"unknown iperf3 protocol {protocol!r}")
