"""What the live cluster says was deployed, read back before anything changes.

Some settings cannot change on a running cluster (kube-proxy `absent` is a creation-time choice;
Calico v3.31 → v3.32 moves its CRDs between charts). Each run records them as tags on the EKS
cluster; the next run reads the tags back here with read-only AWS calls and refuses a change the
cluster cannot take, before any resource is touched. Used by `__main__.py` and by the
cross-language `EksCalicoCluster`, so both refuse the same transitions.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi_aws as aws

from .config import (
    DEPLOYED_TAGS,
    StackSettings,
    caller_principal,
    check_admin_principals,
    check_transition,
    deployed_tags,
)


def read_deployed(cluster_name: str) -> Mapping[str, str] | None:
    """The tags of the live cluster (what the last run deployed), or None before the first run."""
    if cluster_name not in aws.eks.get_clusters().names:
        return None
    return aws.eks.get_cluster(name=cluster_name).tags or {}


def cluster_record(settings: StackSettings) -> dict[str, str]:
    """Refuse (`ConfigError`) a change the live cluster cannot take; return the tags that record
    this run on the cluster."""
    deployed = read_deployed(settings.cluster_name)
    if deployed is None:
        creator: str | None = caller_principal(aws.get_caller_identity().arn)
    else:
        creator = deployed.get(DEPLOYED_TAGS["creator"])
    if deployed is not None:
        check_transition(settings, deployed)
    if creator:
        check_admin_principals(settings, creator)
    return deployed_tags(settings, creator)
