"""The project's choice enums: one enum per decision instead of clusters of booleans.

Values are the exact strings users write in stack config.
"""

from __future__ import annotations

from enum import StrEnum


class NatStrategy(StrEnum):
    """How private subnets reach the internet."""

    ONE_PER_AZ = "onePerAz"
    """One NAT gateway per AZ: an AZ outage does not cut the others off (production default)."""
    SINGLE = "single"
    """One NAT gateway for all AZs: cheaper, a single point of failure (dev only)."""


class Dataplane(StrEnum):
    """Calico's Linux dataplane (Installation `calicoNetwork.linuxDataplane`)."""

    BPF = "bpf"
    """Calico's eBPF dataplane: Services without kube-proxy, client source IPs kept."""
    IPTABLES = "iptables"
    """Calico's iptables dataplane, with kube-proxy (the way back from eBPF)."""

    @property
    def installation_value(self) -> str:
        # Enum spelling in the Installation CRD: Iptables, BPF, VPP, Nftables
        # (CRD installations.operator.tigera.io, in the vendored Calico chart archives).
        return {"bpf": "BPF", "iptables": "Iptables"}[self.value]


class KubeProxyMode(StrEnum):
    """What happens to kube-proxy."""

    DISABLED = "disabled"
    """kube-proxy is installed by EKS, then parked on no node once Calico eBPF is ready."""
    ABSENT = "absent"
    """The cluster is created without kube-proxy (creation-time choice)."""
    ENABLED = "enabled"
    """kube-proxy keeps running (required with the iptables dataplane)."""

    @property
    def runs(self) -> bool:
        return self is KubeProxyMode.ENABLED


class LoadBalancerController(StrEnum):
    """Which controller turns a `type: LoadBalancer` Service into an NLB."""

    AWS = "aws"
    """AWS Load Balancer Controller (Helm chart), the controller AWS recommends."""
    IN_TREE = "in-tree"
    """The legacy in-tree cloud provider (`aws-load-balancer-type: nlb`), as the AWS blog used."""


class LoadBalancerScheme(StrEnum):
    """Where the NLB sits and who can reach it."""

    INTERNET_FACING = "internet-facing"
    """Reachable from the internet, in the public subnets."""
    INTERNAL = "internal"
    """Reachable from inside the VPC only, in the private subnets."""
