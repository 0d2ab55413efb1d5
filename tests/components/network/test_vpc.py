"""Vpc under the mock engine, through the real program and stack files."""

from collections import Counter
from ipaddress import ip_network

import pytest

from components.network._subnet_plan import plan_subnets
from components.network.vpc import Vpc
from tests.conftest import planned

VPC = "eks-calico-ebpf:index:Vpc"


def _vpc_children(result):
    return [r for r in result.resources if r.parent and r.parent.endswith(f"{VPC}::vpc")]


def test_dev_vpc_resources_exact():
    counts = Counter(r.type for r in _vpc_children(planned("dev")))
    assert counts == {
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:ec2/internetGateway:InternetGateway": 1,
        # public, private and internal load-balancer subnet per AZ
        "aws:ec2/subnet:Subnet": 6,
        "aws:ec2/routeTable:RouteTable": 4,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
        # dev: natGateways single
        "aws:ec2/eip:Eip": 1,
        "aws:ec2/natGateway:NatGateway": 1,
    }


def test_one_nat_per_az_by_default():
    result = planned("bench")
    nats = result.by_type("aws:ec2/natGateway:NatGateway")
    assert [n.name for n in nats] == ["vpc-us-west-2a", "vpc-us-west-2b"]
    subnets = {r.urn: r for r in result.by_type("aws:ec2/subnet:Subnet")}
    for nat in nats:
        # each NAT sits in its own AZ's public subnet
        (subnet_urn,) = [d for d in nat.dependencies if d in subnets]
        assert subnet_urn.endswith(f"vpc-public-{nat.name.removeprefix('vpc-')}")
    for az in ("us-west-2a", "us-west-2b"):
        rt = result.one("aws:ec2/routeTable:RouteTable", f"vpc-private-{az}")
        nat = result.one("aws:ec2/natGateway:NatGateway", f"vpc-{az}")
        assert nat.urn in rt.dependencies


def test_single_nat_serves_every_private_route_table():
    result = planned("dev")
    (nat,) = result.by_type("aws:ec2/natGateway:NatGateway")
    for az in ("us-west-2a", "us-west-2b"):
        assert (
            nat.urn in result.one("aws:ec2/routeTable:RouteTable", f"vpc-private-{az}").dependencies
        )


def test_subnets_cidrs_tags_and_no_public_ips():
    result = planned("dev")
    subnets = {r.name: r.inputs for r in result.by_type("aws:ec2/subnet:Subnet")}
    cluster_tag = "kubernetes.io/cluster/eks-calico-ebpf-dev"
    assert {n: (s["cidrBlock"], s["availabilityZone"]) for n, s in subnets.items()} == {
        "vpc-private-us-west-2a": ("10.0.0.0/18", "us-west-2a"),
        "vpc-private-us-west-2b": ("10.0.64.0/18", "us-west-2b"),
        "vpc-public-us-west-2a": ("10.0.192.0/19", "us-west-2a"),
        "vpc-public-us-west-2b": ("10.0.224.0/19", "us-west-2b"),
        "vpc-lb-us-west-2a": ("10.0.128.0/27", "us-west-2a"),
        "vpc-lb-us-west-2b": ("10.0.128.32/27", "us-west-2b"),
    }
    roles = {"kubernetes.io/role/elb", "kubernetes.io/role/internal-elb"}
    for name, s in subnets.items():
        assert s["mapPublicIpOnLaunch"] is False
        assert s["tags"][cluster_tag] == "shared"
        tier = name.split("-")[1]
        # Load balancers are discovered in the public and load-balancer subnets only: none
        # lands among the nodes and pods of the private subnets.
        assert (
            roles & s["tags"].keys()
            == {
                "public": {"kubernetes.io/role/elb"},
                "lb": {"kubernetes.io/role/internal-elb"},
                "private": set(),
            }[tier]
        )
        assert all(s["tags"][role] == "1" for role in roles & s["tags"].keys())


def test_load_balancer_subnets_route_only_inside_the_vpc():
    result = planned("dev")
    rt = result.one("aws:ec2/routeTable:RouteTable", "vpc-lb")
    assert "routes" not in rt.inputs
    for az in ("us-west-2a", "us-west-2b"):
        association = result.one(
            "aws:ec2/routeTableAssociation:RouteTableAssociation", f"vpc-lb-{az}"
        )
        assert rt.urn in association.dependencies
        assert result.one("aws:ec2/subnet:Subnet", f"vpc-lb-{az}").urn in (association.dependencies)


def test_vpc_dns_and_routes():
    result = planned("dev")
    vpc = result.one("aws:ec2/vpc:Vpc", "vpc").inputs
    assert (vpc["cidrBlock"], vpc["enableDnsHostnames"], vpc["enableDnsSupport"]) == (
        "10.0.0.0/16",
        True,
        True,
    )
    public_rt = result.one("aws:ec2/routeTable:RouteTable", "vpc-public").inputs
    assert public_rt["routes"] == [
        {"cidrBlock": "0.0.0.0/0", "gatewayId": public_rt["routes"][0]["gatewayId"]}
    ]
    assert public_rt["routes"][0]["gatewayId"].startswith("igw-")
    private_rt = result.one("aws:ec2/routeTable:RouteTable", "vpc-private-us-west-2a").inputs
    assert private_rt["routes"][0]["natGatewayId"].startswith("nat-")
    # the default security group is declared with no rules at all
    default_sg = result.one(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "vpc-default"
    ).inputs
    assert "ingress" not in default_sg
    assert "egress" not in default_sg


def test_load_balancer_azs_must_be_vpc_azs():
    vpc = object.__new__(Vpc)  # only the plain subnet plan is read
    vpc.plan = plan_subnets(ip_network("10.0.0.0/16"), ("us-west-2a", "us-west-2b"))
    assert vpc._load_balancer_azs(None) == [0, 1]
    # VPC order, whatever order the AZs are given in
    assert vpc._load_balancer_azs(("us-west-2b", "us-west-2a")) == [0, 1]
    assert vpc._load_balancer_azs(("us-west-2b",)) == [1]
    for bad in ((), ("us-west-2c",), ("us-west-2a", "us-west-2c")):
        with pytest.raises(ValueError, match="must be a non-empty subset of the VPC's AZs"):
            vpc._load_balancer_azs(bad)
