"""Pure subnet planning: carve one public and one private subnet per AZ out of the VPC CIDR.

Layout: the VPC is cut into 2^k equal blocks, k the fewest bits that give one block per AZ plus
one spare. Block i is AZ i's private subnet (pods take VPC IPs from the VPC CNI, so private
subnets get almost all the space); the last block is cut again into one public subnet per AZ
(NAT gateways and load balancers only). Unused blocks stay free for later growth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

# A private subnet must hold at least one fully packed c5n.metal: 737 pod IPs + the node's own
# (aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt), so /22 (1019 usable addresses) at the least.
MAX_PRIVATE_PREFIX = 22
# Largest VPC AWS allows.
MIN_VPC_PREFIX = 16


@dataclass(frozen=True)
class AzSubnets:
    availability_zone: str
    public: IPv4Network
    private: IPv4Network


def _block_bits(az_count: int) -> int:
    return math.ceil(math.log2(az_count + 1))


def max_vpc_prefix(az_count: int) -> int:
    """The longest VPC prefix whose private subnets still reach /MAX_PRIVATE_PREFIX."""
    return MAX_PRIVATE_PREFIX - _block_bits(az_count)


def plan_subnets(vpc: IPv4Network, availability_zones: Sequence[str]) -> tuple[AzSubnets, ...]:
    """Return one (public, private) pair per AZ, in the order the AZs were given."""
    n = len(availability_zones)
    if n < 1:
        raise ValueError("at least one availability zone is needed")
    if vpc.prefixlen > max_vpc_prefix(n):
        raise ValueError(
            f"{vpc} is too small for {n} AZs: private subnets would be smaller than "
            f"/{MAX_PRIVATE_PREFIX}; use /{max_vpc_prefix(n)} or larger"
        )
    blocks = list(vpc.subnets(prefixlen_diff=_block_bits(n)))
    publics = list(blocks[-1].subnets(prefixlen_diff=max(1, math.ceil(math.log2(n)))))
    return tuple(
        AzSubnets(availability_zone=az, public=publics[i], private=blocks[i])
        for i, az in enumerate(availability_zones)
    )


# Internal load-balancer subnets: small, so the NetworkPolicy rule that admits the NLB's health
# checks (they come from the NLB's own addresses in these subnets) admits nothing else. /27: 27
# usable addresses; the AWS Load Balancer Controller skips subnets with fewer than 8 free ones
# (docs/deploy/subnet_discovery.md, v3.5.0), each NLB takes one per subnet.
LOAD_BALANCER_PREFIX = 27
# The smallest subnet AWS creates.
MIN_SUBNET_PREFIX = 28


def plan_load_balancer_subnets(
    vpc: IPv4Network, availability_zones: Sequence[str]
) -> tuple[IPv4Network, ...]:
    """One internal load-balancer subnet per AZ, in space `plan_subnets` leaves free.

    Never moves an existing subnet (a VPC deployed before these subnets existed keeps its
    layout): they come from the first free block when the block count leaves one, else from
    the spare public slot, which then always exists (n AZs + 1 = 2^k blocks means 2^k public
    slots for n AZs).
    """
    plan = plan_subnets(vpc, availability_zones)
    n = len(plan)
    blocks = list(vpc.subnets(prefixlen_diff=_block_bits(n)))
    if n < len(blocks) - 1:
        region = blocks[n]
    else:
        region = list(blocks[-1].subnets(prefixlen_diff=max(1, math.ceil(math.log2(n)))))[n]
    prefix = max(LOAD_BALANCER_PREFIX, region.prefixlen + math.ceil(math.log2(n)))
    if prefix > MIN_SUBNET_PREFIX:
        raise ValueError(f"{vpc} has no room for {n} load-balancer subnets")
    return tuple(list(region.subnets(new_prefix=prefix))[:n])
