"""Allow-lists judged by what they admit: examples, and properties over arbitrary lists."""

from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components._allowlist import (
    EVERYONE,
    NOT_PUBLIC,
    SPECIAL_PURPOSE,
    admits,
    admits_whole_internet,
    allowlist_problem,
    union,
)

VPC = IPv4Network("10.0.0.0/16")
METADATA = IPv4Address("169.254.169.254")


def nets(*texts):
    return [IPv4Network(t) for t in texts]


def networks(min_prefix=0):
    return st.builds(
        lambda address, prefix: IPv4Network((address, prefix), strict=False),
        st.integers(0, 2**32 - 1),
        st.integers(min_prefix, 32),
    )


@st.composite
def partitions(draw, net=EVERYONE, depth=0):
    """A random split of `net` into disjoint CIDRs whose union is exactly `net`."""
    # Always split the whole space; below it, split or stop at random (shrinks towards stopping).
    if net.prefixlen == 32 or depth >= 12 or (depth > 0 and not draw(st.booleans())):
        return [net]
    low, high = net.subnets()
    return draw(partitions(low, depth + 1)) + draw(partitions(high, depth + 1))


@settings(max_examples=30, deadline=None)
@given(partitions(), st.randoms(use_true_random=False))
def test_any_partition_of_everything_is_the_whole_internet(parts, rnd):
    rnd.shuffle(parts)
    assert union(parts) == [EVERYONE]
    assert admits_whole_internet(parts)
    problem = allowlist_problem(parts)
    if parts == [EVERYONE]:
        assert problem is None  # the documented opt-in
    else:
        assert problem is not None
        assert problem.index is None
        assert "admits the whole internet" in problem.problem


@settings(max_examples=80, deadline=None)
@given(st.lists(networks(), max_size=8), st.integers(0, 2**32 - 1))
def test_a_list_admits_exactly_its_union(cidrs, address):
    address = IPv4Address(address)
    collapsed = union(cidrs)
    assert admits(cidrs, address) == admits(collapsed, address)
    assert sum(n.num_addresses for n in collapsed) <= sum(n.num_addresses for n in cidrs)


@settings(max_examples=80, deadline=None)
@given(st.lists(networks(min_prefix=1), min_size=1, max_size=8))
def test_an_accepted_list_admits_no_special_address_and_is_not_everything(cidrs):
    problem = allowlist_problem(cidrs, public_endpoint=True, vpc=VPC)
    if problem is None:
        assert not admits_whole_internet(cidrs)
        for special, _ in SPECIAL_PURPOSE + NOT_PUBLIC:
            assert not any(n.overlaps(special) for n in cidrs)
        assert not admits(cidrs, METADATA)
    elif problem.index is not None:
        assert 0 <= problem.index < len(cidrs)


@pytest.mark.parametrize(
    ("cidrs", "kwargs", "index", "fragment"),
    [
        (["0.0.0.0/0"], {}, None, None),
        (["0.0.0.0/0"], {"public_endpoint": True, "vpc": VPC}, None, None),
        (["203.0.113.0/24", "198.51.100.7/32"], {"public_endpoint": True}, None, None),
        (["10.1.0.0/16"], {"vpc": VPC}, None, None),  # a peered network, outside the VPC
        (["0.0.0.0/1", "128.0.0.0/1"], {}, None, "admits the whole internet"),
        (["0.0.0.0/0", "203.0.113.0/24"], {}, None, "admits the whole internet"),
        (["203.0.113.0/24", "169.254.169.254/32"], {}, 1, "instance metadata address"),
        (["127.0.0.0/8"], {}, 0, "loopback"),
        (["224.0.0.1/32"], {}, 0, "multicast"),
        (["255.255.255.255/32"], {}, 0, "broadcast"),
        (["0.0.0.0/8"], {}, 0, "'this network'"),
        (["168.0.0.0/6"], {}, 0, "overlaps 169.254.0.0/16"),  # a range that contains one
        (["192.168.1.0/24"], {}, None, None),  # private clients are fine behind an NLB ...
        (["192.168.1.0/24"], {"public_endpoint": True}, 0, "never reaches a public endpoint"),
        (["100.64.0.0/10"], {"public_endpoint": True}, 0, "carrier-grade NAT"),
        (["10.0.0.0/8"], {"vpc": VPC}, 0, "overlaps vpcCidr 10.0.0.0/16"),
        (["10.0.3.0/24"], {"vpc": VPC}, 0, "the cluster's own nodes and pods"),
        # inside the VPC: that answer, not "private", is the one that says what is wrong
        (["10.0.3.0/24"], {"vpc": VPC, "public_endpoint": True}, 0, "overlaps vpcCidr"),
    ],
)
def test_allowlist_problem(cidrs, kwargs, index, fragment):
    problem = allowlist_problem(nets(*cidrs), **kwargs)
    if fragment is None:
        assert problem is None
    else:
        assert problem is not None
        assert (problem.index, fragment in problem.problem) == (index, True), problem
