"""`Vpc`: the network EKS runs in.

Creates a VPC, one public, one private and one small internal load-balancer subnet per AZ
(carved by `_subnet_plan`), an internet gateway, NAT gateway(s) by strategy, route tables, and
the default security group stripped of its rules. Public and load-balancer subnets carry the
tags the load-balancer controllers use for discovery. Nodes and pods only ever go in the private
subnets; internal NLBs only in the load-balancer subnets, so admitting "the NLB's subnets" for
health checks never admits a pod or node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from .. import defaults
from ..options import LoadBalancerScheme, NatStrategy
from ._subnet_plan import AzSubnets, plan_load_balancer_subnets, plan_subnets


@dataclass(frozen=True, kw_only=True)
class VpcArgs:
    cidr_block: IPv4Network = IPv4Network(defaults.VPC_CIDR)
    """IPv4 block for the VPC (default 10.0.0.0/16); see `_subnet_plan` for the layout."""
    availability_zones: Sequence[str]
    """AZ names; one public and one private subnet each. At least two for EKS."""
    cluster_name: str
    """EKS cluster that uses the subnets: tagged `kubernetes.io/cluster/<name>=shared`."""
    nat: NatStrategy = defaults.NAT_STRATEGY
    """NAT gateway per AZ (default) or a single shared one."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags added to every taggable resource."""


def subnet_tags(cluster_name: str, *, public: bool) -> dict[str, str]:
    """Discovery tags for the in-tree cloud provider and the AWS Load Balancer Controller:
    `public` for the public subnets, else for the internal load-balancer subnets.

    kubernetes-sigs/aws-load-balancer-controller docs/deploy/subnet_discovery.md: `elb` marks
    subnets for internet-facing load balancers, `internal-elb` for internal ones. The private
    (node) subnets carry neither, only the cluster tag: no load balancer lands among the pods.
    """
    role = "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb"
    return {role: "1", f"kubernetes.io/cluster/{cluster_name}": "shared"}


class Vpc(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    cidr_block: str
    """The VPC's CIDR (plain: known before deploy)."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnet IDs, in AZ order."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnet IDs, in AZ order."""
    private_subnet_ids_by_az: dict[str, pulumi.Output[str]]
    """Private subnet ID per AZ name, for node groups pinned to some AZs."""
    plan: tuple[AzSubnets, ...]
    """The subnet CIDRs per AZ (plain)."""
    egress: list[pulumi.Resource]
    """The private subnets' way out: internet gateway, public and private route tables and their
    associations, NAT gateways. Whatever calls AWS APIs from the nodes while it is deleted (the
    Load Balancer Controller removing NLBs, aws-node releasing ENIs, node groups draining)
    depends on these, so `pulumi destroy` removes it while NAT still routes."""
    internal_load_balancer_cidrs: tuple[IPv4Network, ...]
    """The internal load-balancer subnets' CIDRs, in AZ order (plain)."""
    internal_load_balancer_subnet_ids: pulumi.Output[list[str]]
    """Internal load-balancer subnet IDs, in AZ order."""

    def _load_balancer_azs(self, azs: Sequence[str] | None) -> list[int]:
        """Indexes into `plan` of `azs` (all AZs when None), in the VPC's AZ order."""
        known = [s.availability_zone for s in self.plan]
        if azs is None:
            return list(range(len(known)))
        unknown = sorted(set(azs) - set(known))
        if unknown or not azs:
            raise ValueError(
                f"load-balancer AZs: {list(azs)!r} must be a non-empty subset of the VPC's AZs"
                f" {known!r}"
            )
        return [i for i, az in enumerate(known) if az in azs]

    def load_balancer_subnet_cidrs(
        self, scheme: LoadBalancerScheme, azs: Sequence[str] | None = None
    ) -> list[str]:
        """CIDRs of the subnets a load balancer of `scheme` is placed in: public ones for
        internet-facing, the dedicated load-balancer subnets for internal; only those of `azs`
        (in AZ order) when given."""
        cidrs = (
            [s.public for s in self.plan]
            if scheme is LoadBalancerScheme.INTERNET_FACING
            else list(self.internal_load_balancer_cidrs)
        )
        return [str(cidrs[i]) for i in self._load_balancer_azs(azs)]

    def load_balancer_subnet_ids(
        self, scheme: LoadBalancerScheme, azs: Sequence[str] | None = None
    ) -> pulumi.Output[list[str]]:
        """IDs of the subnets whose CIDRs `load_balancer_subnet_cidrs` returns, in the same
        order."""
        ids = (
            self._public_subnet_id_list
            if scheme is LoadBalancerScheme.INTERNET_FACING
            else self._internal_load_balancer_subnet_id_list
        )
        return pulumi.Output.all(*(ids[i] for i in self._load_balancer_azs(azs)))

    def __init__(
        self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-calico-ebpf:index:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.plan = plan_subnets(args.cidr_block, args.availability_zones)
        self.internal_load_balancer_cidrs = plan_load_balancer_subnets(
            args.cidr_block, args.availability_zones
        )
        self.cidr_block = str(args.cidr_block)

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=str(args.cidr_block),
            # EKS requires DNS hostnames and resolution (nodes register by private DNS name).
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": name},
            opts=child,
        )
        # Take every rule off the default security group so nothing lands in it by accident
        # (checkov CKV2_AWS_12).
        aws.ec2.DefaultSecurityGroup(f"{name}-default", vpc_id=vpc.id, tags=tags, opts=child)
        igw = aws.ec2.InternetGateway(name, vpc_id=vpc.id, tags={**tags, "Name": name}, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={**tags, "Name": f"{name}-public"},
            opts=child,
        )

        self.egress = [igw, public_rt]
        public_ids: list[pulumi.Output[str]] = []
        nat_ids: dict[str, pulumi.Output[str]] = {}
        nat_azs = (
            [s.availability_zone for s in self.plan]
            if args.nat is NatStrategy.ONE_PER_AZ
            else [self.plan[0].availability_zone]
        )
        for s in self.plan:
            az = s.availability_zone
            subnet = aws.ec2.Subnet(
                f"{name}-public-{az}",
                vpc_id=vpc.id,
                cidr_block=str(s.public),
                availability_zone=az,
                # Nothing gets a public IP implicitly: NAT gateways use EIPs, NLBs their own.
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    **subnet_tags(args.cluster_name, public=True),
                    "Name": f"{name}-public-{az}",
                },
                opts=child,
            )
            self.egress.append(
                aws.ec2.RouteTableAssociation(
                    f"{name}-public-{az}",
                    subnet_id=subnet.id,
                    route_table_id=public_rt.id,
                    opts=child,
                )
            )
            public_ids.append(subnet.id)
            if az in nat_azs:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{az}",
                    domain="vpc",
                    tags={**tags, "Name": f"{name}-nat-{az}"},
                    opts=child,
                )
                nat = aws.ec2.NatGateway(
                    f"{name}-{az}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    tags={**tags, "Name": f"{name}-{az}"},
                    # The NAT gateway needs the IGW attached before it can route.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                nat_ids[az] = nat.id
                self.egress.append(nat)

        self.private_subnet_ids_by_az = {}
        for s in self.plan:
            az = s.availability_zone
            nat_id = nat_ids.get(az, nat_ids[nat_azs[0]])
            subnet = aws.ec2.Subnet(
                f"{name}-private-{az}",
                vpc_id=vpc.id,
                cidr_block=str(s.private),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    f"kubernetes.io/cluster/{args.cluster_name}": "shared",
                    "Name": f"{name}-private-{az}",
                },
                opts=child,
            )
            rt = aws.ec2.RouteTable(
                f"{name}-private-{az}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat_id)],
                tags={**tags, "Name": f"{name}-private-{az}"},
                opts=child,
            )
            association = aws.ec2.RouteTableAssociation(
                f"{name}-private-{az}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            self.egress += [rt, association]
            self.private_subnet_ids_by_az[az] = subnet.id

        # Internal NLBs only: a route table with nothing but the implicit local route (an
        # internal NLB answers inside the VPC), never the VPC's main table someone might edit.
        lb_rt = aws.ec2.RouteTable(
            f"{name}-lb", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-lb"}, opts=child
        )
        lb_ids: list[pulumi.Output[str]] = []
        for s, cidr in zip(self.plan, self.internal_load_balancer_cidrs, strict=True):
            az = s.availability_zone
            subnet = aws.ec2.Subnet(
                f"{name}-lb-{az}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    **subnet_tags(args.cluster_name, public=False),
                    "Name": f"{name}-lb-{az}",
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-lb-{az}", subnet_id=subnet.id, route_table_id=lb_rt.id, opts=child
            )
            lb_ids.append(subnet.id)

        self.vpc_id = vpc.id
        self._public_subnet_id_list = public_ids
        self._internal_load_balancer_subnet_id_list = lb_ids
        self.internal_load_balancer_subnet_ids = pulumi.Output.all(*lb_ids)
        self.public_subnet_ids = pulumi.Output.all(*public_ids)
        self.private_subnet_ids = pulumi.Output.all(*self.private_subnet_ids_by_az.values())
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )
