"""What an IPv4 allow-list admits, judged by the addresses it covers rather than its spelling.

Pure. The config parser and the exposure components use `allowlist_problem` to refuse lists
that admit more (or other) than their author can have meant; each problem names the entry at
fault (or the whole list) and what would be accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, collapse_addresses

EVERYONE = IPv4Network("0.0.0.0/0")

# IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates): ranges no client ever
# connects from, so an allow-list entry touching them is a mistake, or an attempt to admit
# something that is not a client (169.254.169.254 is the EC2 instance metadata service).
SPECIAL_PURPOSE: tuple[tuple[IPv4Network, str], ...] = (
    (IPv4Network("0.0.0.0/8"), "'this network' (RFC 791)"),
    (IPv4Network("127.0.0.0/8"), "loopback (RFC 1122)"),
    (
        IPv4Network("169.254.0.0/16"),
        "link-local, incl. the instance metadata address 169.254.169.254 (RFC 3927)",
    ),
    (IPv4Network("224.0.0.0/4"), "multicast (RFC 5771)"),
    (IPv4Network("240.0.0.0/4"), "reserved, incl. broadcast 255.255.255.255 (RFC 1112, RFC 919)"),
)

# Addresses that are never seen on the internet: a public endpoint can never be reached from them.
NOT_PUBLIC: tuple[tuple[IPv4Network, str], ...] = (
    (IPv4Network("10.0.0.0/8"), "private (RFC 1918)"),
    (IPv4Network("172.16.0.0/12"), "private (RFC 1918)"),
    (IPv4Network("192.168.0.0/16"), "private (RFC 1918)"),
    (IPv4Network("100.64.0.0/10"), "shared address space, carrier-grade NAT (RFC 6598)"),
)

SPECIAL_PURPOSE_TEXT = ", ".join(str(n) for n, _ in SPECIAL_PURPOSE)
OPEN_TO_ALL_ACCEPTED = (
    'specific networks, or exactly ["0.0.0.0/0"] to admit everyone on purpose (with a warning)'
)


@dataclass(frozen=True)
class Problem:
    """Why an allow-list is refused: `index` is the entry at fault, None for the whole list."""

    index: int | None
    problem: str
    accepted: str


def union(nets: Iterable[IPv4Network]) -> list[IPv4Network]:
    """The smallest set of CIDRs covering exactly the addresses the list admits."""
    return list(collapse_addresses(nets))


def admits(nets: Iterable[IPv4Network], address: IPv4Address) -> bool:
    return any(address in net for net in nets)


def admits_whole_internet(nets: Iterable[IPv4Network]) -> bool:
    """True when every address an internet client can have is admitted.

    Together with the ranges no internet client comes from (special-purpose, private, CGNAT),
    the list's networks then cover all of IPv4, whatever they look like one by one: any split
    of 0.0.0.0/0 (two /1s, 256 /8s, ...) and any list of all public space.
    """
    never_clients = (n for n, _ in SPECIAL_PURPOSE + NOT_PUBLIC)
    return union([*nets, *never_clients]) == [EVERYONE]


def allowlist_problem(
    nets: Sequence[IPv4Network],
    *,
    public_endpoint: bool = False,
    vpc: IPv4Network | None = None,
    private_clients: str = "clients inside the VPC use the private endpoint",
) -> Problem | None:
    """The first reason `nets` cannot be used as an allow-list, or None.

    `public_endpoint`: the list guards a public endpoint, which private sources never reach.
    `vpc`: the cluster's VPC; client lists must not cover it (every node and pod lives there).
    `private_clients`: where private clients go instead, for the `public_endpoint` answer.
    Exactly [0.0.0.0/0] is the documented way to admit everyone and is accepted; components warn.
    """
    if list(nets) == [EVERYONE]:
        return None
    if admits_whole_internet(nets):
        return Problem(
            None,
            "admits the whole internet (together its networks cover every public IPv4 address)",
            OPEN_TO_ALL_ACCEPTED,
        )
    for i, net in enumerate(nets):
        for special, what in SPECIAL_PURPOSE:
            if net.overlaps(special):
                return Problem(
                    i,
                    f"overlaps {special}, {what}, which no client connects from",
                    f"networks outside {SPECIAL_PURPOSE_TEXT}",
                )
        if vpc is not None and net.overlaps(vpc):
            return Problem(
                i,
                f"overlaps vpcCidr {vpc}: it would admit the cluster's own nodes and pods",
                f"client networks outside {vpc}; in-cluster clients use the Service's ClusterIP",
            )
        if public_endpoint:
            for private, what in NOT_PUBLIC:
                if net.overlaps(private):
                    return Problem(
                        i,
                        f"overlaps {private}, {what}, which never reaches a public endpoint",
                        f"public networks; {private_clients}",
                    )
    return None
