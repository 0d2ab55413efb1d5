import re
from ipaddress import IPv4Network

import pytest

from components._net import ipv4_network


@pytest.mark.parametrize("text", ["10.0.0.0/16", "0.0.0.0/0", "203.0.113.10/32"])
def test_valid(text):
    assert ipv4_network(text) == IPv4Network(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10.0.0.0", "is not an IPv4 CIDR (a.b.c.d/n)"),
        ("10.0.0.0/33", "is not an IPv4 CIDR (a.b.c.d/n)"),
        ("2001:db8::/32", "is not an IPv4 CIDR (a.b.c.d/n)"),
        ("banana/8", "is not an IPv4 CIDR (a.b.c.d/n)"),
        (16, "is not an IPv4 CIDR (a.b.c.d/n)"),
        ("10.0.0.1/16", "has host bits set; did you mean 10.0.0.0/16?"),
    ],
)
def test_invalid(value, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ipv4_network(value)


@pytest.mark.parametrize(
    "text", ["10.0.0.0/16\n", " 10.0.0.0/16", "10.0.0.0/255.255.0.0", "10.0.0.0/\u0661\u0666"]
)
def test_only_the_plain_spelling(text):
    with pytest.raises(ValueError, match=r"^is not an IPv4 CIDR \(a\.b\.c\.d/n\)$"):
        ipv4_network(text)
