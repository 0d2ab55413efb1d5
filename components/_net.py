"""Strict IPv4 CIDR parsing shared by the config parser and the components' own validators."""

from __future__ import annotations

import re
from ipaddress import IPv4Network

NOT_A_CIDR = "is not an IPv4 CIDR (a.b.c.d/n)"

# The one spelling accepted: four decimal octets and a decimal prefix length, ASCII only, nothing
# before or after. `ipaddress` alone also takes netmask forms (a.b.c.d/255.255.0.0).
_CIDR_FORM = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}")


def ipv4_network(text: object) -> IPv4Network:
    """`a.b.c.d/n` with no host bits set; the ValueError's message says what is wrong."""
    if not isinstance(text, str) or not _CIDR_FORM.fullmatch(text):
        raise ValueError(NOT_A_CIDR)
    try:
        return IPv4Network(text)
    except ValueError:
        pass
    try:
        loose = IPv4Network(text, strict=False)
    except ValueError:
        raise ValueError(NOT_A_CIDR) from None
    raise ValueError(f"has host bits set; did you mean {loose}?")
