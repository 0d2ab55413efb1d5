"""What the live cluster says was deployed, read back before anything changes.

Some settings cannot change on a running cluster (kube-proxy `absent` is a creation-time choice;
Calico v3.31 → v3.32 moves its CRDs between charts). Each run records them as tags on the EKS
cluster; the next run reads the tags (and the cluster's Kubernetes version) back here with
read-only AWS calls and refuses a change the cluster cannot take, before any resource is
touched. Used by `__main__.py` and by the cross-language `EksCalicoCluster`, so both refuse the
same transitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import (
    DEPLOYED_TAGS,
    StackSettings,
    caller_principal,
    check_admin_principals,
    check_kubernetes_upgrade,
    check_owner,
    check_transition,
    deployed_tags,
)


@dataclass(frozen=True)
class Deployed:
    """The live cluster as `aws.eks.get_cluster` reports it."""

    tags: Mapping[str, str]
    version: str | None


def read_deployed(cluster_name: str, opts: pulumi.InvokeOptions | None = None) -> Deployed | None:
    """The live cluster's tags (what the last run deployed) and Kubernetes version, or None
    before the first run. `opts` carries the component's provider (its account and region)."""
    if cluster_name not in aws.eks.get_clusters(opts=opts).names:
        return None
    cluster = aws.eks.get_cluster(name=cluster_name, opts=opts)
    return Deployed(cluster.tags or {}, cluster.version)


def cluster_record(
    settings: StackSettings, opts: pulumi.InvokeOptions | None = None
) -> dict[str, str]:
    """Refuse (`ConfigError`) a change the live cluster cannot take; return the tags that record
    this run on the cluster. `opts`: invoke options (a component passes parent=itself, so its
    explicit AWS provider is the one asked); the program passes none (the default provider)."""
    deployed = read_deployed(settings.cluster_name, opts)
    if deployed is None:
        creator: str | None = caller_principal(aws.get_caller_identity(opts=opts).arn)
    else:
        # First: every other check trusts the record, which is only ours on our own cluster.
        check_owner(settings, deployed.tags, pulumi.get_stack())
        creator = deployed.tags.get(DEPLOYED_TAGS["creator"])
        check_transition(settings, deployed.tags)
        if deployed.version:
            check_kubernetes_upgrade(settings, deployed.version)
    if creator:
        check_admin_principals(settings, creator)
    return deployed_tags(settings, creator)
