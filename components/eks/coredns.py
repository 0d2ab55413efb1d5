"""`CoreDns`: the managed CoreDNS add-on, for clusters created without EKS's bootstrap add-ons.

Only used with `kubeProxy: absent`: EKS then installs no CoreDNS, and creating the add-on
inside `eks.Cluster` would put it before any node exists (pulumi-eks#1819). Created after the
node groups and the Calico operator chart, in parallel with the Installation, never after its
`Ready`: that condition needs calico-kube-controllers available (tigera/operator v1.40.15
`core_controller.go`, TigeraStatus `calico`), and kube-controllers resolves the EKS host name
through cluster DNS, i.e. through this CoreDNS. CoreDNS itself only needs the `kubernetes`
ClusterIP, which calico-node's eBPF programs serve as soon as calico-node runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Bounded wait for the add-on to turn ACTIVE (its pods Ready): nodes may still be waiting for
# calico-node, so allow the Installation's own budget rather than the provider's 20 minutes.
CREATE_TIMEOUT = "30m"


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
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.wait_for),
                custom_timeouts=pulumi.CustomTimeouts(create=CREATE_TIMEOUT, update=CREATE_TIMEOUT),
            ),
        )
        self.register_outputs({"addon_arn": self.addon.arn})
