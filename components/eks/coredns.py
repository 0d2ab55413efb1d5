"""`CoreDns`: the managed CoreDNS add-on, for clusters created without EKS's bootstrap add-ons.

Only used with `kubeProxy: absent`: EKS then installs no CoreDNS, and creating the add-on
inside `eks.Cluster` would put it before any node exists (pulumi-eks#1819). Created after the
node groups and Calico, since CoreDNS reaches the API through the `kubernetes` ClusterIP, which
only Calico's eBPF dataplane serves on such a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class CoreDnsArgs:
    cluster_name: str
    wait_for: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class CoreDns(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: CoreDnsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-calico-ebpf:index:CoreDns", name, None, opts)
        self.addon = aws.eks.Addon(
            name,
            cluster_name=args.cluster_name,
            addon_name="coredns",
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )
        self.register_outputs({"addon_arn": self.addon.arn})
