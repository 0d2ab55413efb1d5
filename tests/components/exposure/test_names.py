"""The exposure components' own CIDR check judges lists by what they admit, like the config."""

import pytest

from components.exposure._names import check_cidrs


@pytest.mark.parametrize(
    "cidrs", [("198.51.100.0/24",), ("0.0.0.0/0",), ("10.0.0.0/19", "10.0.32.0/19"), ()]
)
def test_accepted(cidrs):
    check_cidrs(cidrs, "allowed_client_cidrs")


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (
            ("0.0.0.0/1", "128.0.0.0/1"),
            "allowed_client_cidrs: ['0.0.0.0/1', '128.0.0.0/1'] admits the whole internet "
            "(together its networks cover every public IPv4 address); accepted: specific "
            'networks, or exactly ["0.0.0.0/0"] to admit everyone on purpose (with a warning)',
        ),
        (
            ("198.51.100.0/24", "169.254.169.254/32"),
            "allowed_client_cidrs[1]: '169.254.169.254/32' overlaps 169.254.0.0/16, link-local, "
            "incl. the instance metadata address 169.254.169.254 (RFC 3927), which no client "
            "connects from; accepted: networks outside 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, "
            "224.0.0.0/4, 240.0.0.0/4",
        ),
        (
            ("198.51.100.0/24\n",),
            "allowed_client_cidrs[0]: '198.51.100.0/24\\n' is not an IPv4 CIDR (a.b.c.d/n)",
        ),
    ],
)
def test_refused_with_one_line(cidrs, message):
    with pytest.raises(ValueError, match=r"^allowed_client_cidrs") as info:
        check_cidrs(cidrs, "allowed_client_cidrs")
    assert str(info.value) == message
