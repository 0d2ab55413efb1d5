from ipaddress import IPv4Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network._subnet_plan import (
    MAX_PRIVATE_PREFIX,
    max_vpc_prefix,
    plan_load_balancer_subnets,
    plan_subnets,
)


def test_default_vpc_two_azs_layout():
    plan = plan_subnets(IPv4Network("10.0.0.0/16"), ["us-west-2a", "us-west-2b"])
    assert [(s.availability_zone, str(s.private), str(s.public)) for s in plan] == [
        ("us-west-2a", "10.0.0.0/18", "10.0.192.0/19"),
        ("us-west-2b", "10.0.64.0/18", "10.0.224.0/19"),
    ]


def test_default_vpc_three_azs_layout():
    plan = plan_subnets(IPv4Network("10.0.0.0/16"), ["a", "b", "c"])
    assert [str(s.private) for s in plan] == ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
    assert [str(s.public) for s in plan] == ["10.0.192.0/20", "10.0.208.0/20", "10.0.224.0/20"]


@pytest.mark.parametrize(
    ("az_count", "longest"), [(1, 21), (2, 20), (3, 20), (4, 19), (7, 19), (8, 18)]
)
def test_max_vpc_prefix(az_count, longest):
    assert max_vpc_prefix(az_count) == longest


def test_too_small_vpc_is_refused():
    with pytest.raises(ValueError, match="too small for 3 AZs"):
        plan_subnets(IPv4Network("10.0.0.0/21"), ["a", "b", "c"])


vpcs = st.builds(
    lambda first, prefix: IPv4Network(f"10.{first}.0.0/{prefix}", strict=False),
    st.integers(0, 255),
    st.integers(16, 20),
)


@given(vpc=vpcs, az_count=st.integers(2, 6))
def test_plan_properties(vpc, az_count):
    if vpc.prefixlen > max_vpc_prefix(az_count):
        with pytest.raises(ValueError, match="too small"):
            plan_subnets(vpc, [f"az{i}" for i in range(az_count)])
        return
    azs = [f"az{i}" for i in range(az_count)]
    plan = plan_subnets(vpc, azs)
    lb = plan_load_balancer_subnets(vpc, azs)
    # one of each tier per AZ, in AZ order
    assert [s.availability_zone for s in plan] == azs
    assert len(lb) == az_count
    # load-balancer subnets: small (27 or 11 usable addresses, AWS minimum /28)
    assert all(27 <= s.prefixlen <= 28 for s in lb)
    subnets = [s.public for s in plan] + [s.private for s in plan] + list(lb)
    # inside the VPC
    assert all(s.subnet_of(vpc) for s in subnets)
    # pairwise disjoint
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    # private subnets hold a packed c5n.metal
    assert all(s.private.prefixlen <= MAX_PRIVATE_PREFIX for s in plan)
    # public subnets are big enough for NAT gateways and NLB ENIs (AWS minimum /28)
    assert all(s.public.prefixlen <= 28 for s in plan)


@pytest.mark.parametrize(
    ("vpc", "az_count", "expected"),
    [
        ("10.0.0.0/16", 2, ["10.0.128.0/27", "10.0.128.32/27"]),
        ("10.0.0.0/16", 3, ["10.0.240.0/27", "10.0.240.32/27", "10.0.240.64/27"]),
        ("10.0.0.0/20", 3, ["10.0.15.0/27", "10.0.15.32/27", "10.0.15.64/27"]),
    ],
)
def test_load_balancer_subnets_take_free_space_and_leave_the_layout_alone(vpc, az_count, expected):
    azs = [f"az{i}" for i in range(az_count)]
    before = plan_subnets(IPv4Network(vpc), azs)
    assert [str(s) for s in plan_load_balancer_subnets(IPv4Network(vpc), azs)] == expected
    # a VPC deployed before these subnets existed keeps every subnet it has
    assert plan_subnets(IPv4Network(vpc), azs) == before
