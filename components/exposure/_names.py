"""Pure checks of Kubernetes names and CIDRs shared by the exposure components.

Each raises `ValueError` with one line that names the field, the bad value and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._allowlist import allowlist_problem
from .._net import ipv4_network

# Kubernetes name rules (k8s.io/apimachinery pkg/util/validation/validation.go):
# a namespace is a DNS-1123 label, a Service name a DNS-1035 label, a port name an IANA_SVC_NAME.
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_IANA_SVC_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_MAX = 63
_IANA_SVC_NAME_MAX = 15


def check_namespace(namespace: str, field: str = "namespace") -> None:
    """A dedicated namespace: a DNS-1123 label, never `default` (CIS EKS 4.5.2)."""
    if namespace == "default":
        raise ValueError(f"{field}: 'default' is not allowed; use a dedicated namespace")
    if len(namespace) > _LABEL_MAX or not _DNS1123_LABEL.fullmatch(namespace):
        raise ValueError(
            f"{field}: {namespace!r} is not a DNS-1123 label "
            "(1-63 chars of a-z, 0-9 and '-', starting and ending with a letter or digit)"
        )


def check_dns1035_label(value: str, field: str) -> None:
    if len(value) > _LABEL_MAX or not _DNS1035_LABEL.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r} is not a DNS-1035 label "
            "(1-63 chars of a-z, 0-9 and '-', starting with a letter, "
            "ending with a letter or digit)"
        )


def check_port_name(value: str, field: str) -> None:
    if (
        len(value) > _IANA_SVC_NAME_MAX
        or not _IANA_SVC_NAME.fullmatch(value)
        or "--" in value
        or not re.search(r"[a-z]", value)
    ):
        raise ValueError(
            f"{field}: {value!r} is not an IANA service name "
            "(1-15 chars of a-z, 0-9 and '-', at least one letter, "
            "no leading, trailing or double '-')"
        )


def check_port_number(value: int, field: str) -> None:
    # bool is an int subclass: `True` is not a port.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{field}: {value!r} is outside 1..65535")


def check_cidrs(cidrs: Sequence[str], field: str) -> None:
    """Every entry an IPv4 network written as `a.b.c.d/n` with no host bits set, and the list
    judged by what it admits (`_allowlist`): the whole internet only as exactly ["0.0.0.0/0"],
    nothing in special-purpose ranges (loopback, link-local/metadata, multicast, ...)."""
    nets = []
    for i, cidr in enumerate(cidrs):
        try:
            nets.append(ipv4_network(cidr))
        except ValueError as exc:
            raise ValueError(f"{field}[{i}]: {cidr!r} {exc}") from None
    problem = allowlist_problem(nets)
    if problem is not None:
        where = field if problem.index is None else f"{field}[{problem.index}]"
        shown = list(cidrs) if problem.index is None else cidrs[problem.index]
        raise ValueError(f"{where}: {shown!r} {problem.problem}; accepted: {problem.accepted}")
