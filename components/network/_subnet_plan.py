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
