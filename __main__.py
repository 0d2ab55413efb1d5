"""eks-calico-ebpf: VPC → EKS → Bottlerocket node groups → Calico eBPF → NLB with client IPs.

The only module that reads `pulumi.Config`: it turns the stack's config into validated,
typed settings (a bad value stops here, before any resource exists) and composes components.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.composition import compose
from components.config import (
    DEPLOYED_TAGS,
    StackSettings,
    caller_principal,
    check_admin_principals,
    check_transition,
    deployed_tags,
    parse_settings,
)
from components.errors import NAMESPACE, ConfigError


def read_settings() -> StackSettings:
    # pulumi.Config can only get keys it is asked for; listing every key set in the project
    # namespace is what lets a misspelled key fail instead of being silently ignored.
    prefix = f"{NAMESPACE}:"
    present = {
        key.removeprefix(prefix)
        for key in {
            **pulumi.runtime.config.CONFIG.get(),
            **pulumi.runtime.config.get_config_env(),
        }
        if key.startswith(prefix)
    }
    config = pulumi.Config()
    raw = {key: config.get(key) for key in sorted(present)}
    try:
        return parse_settings(
            raw, region=pulumi.Config("aws").get("region"), stack=pulumi.get_stack()
        )
    except ConfigError as exc:
        # RunError: Pulumi prints the message alone, without a traceback, and exits non-zero.
        raise pulumi.RunError(str(exc)) from None


def read_deployed(cluster_name: str) -> Mapping[str, str] | None:
    """The tags of the live cluster (what the last run deployed), or None before the first run.
    Read-only AWS calls; nothing is created."""
    if cluster_name not in aws.eks.get_clusters().names:
        return None
    return aws.eks.get_cluster(name=cluster_name).tags or {}


def cluster_record(settings: StackSettings) -> dict[str, str]:
    """Refuse a change the live cluster cannot take; return the tags that record this run."""
    deployed = read_deployed(settings.cluster_name)
    if deployed is None:
        creator: str | None = caller_principal(aws.get_caller_identity().arn)
    else:
        creator = deployed.get(DEPLOYED_TAGS["creator"])
    try:
        if deployed is not None:
            check_transition(settings, deployed)
        if creator:
            check_admin_principals(settings, creator)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    return deployed_tags(settings, creator)


settings = read_settings()
tags = {"project": NAMESPACE, "stack": pulumi.get_stack(), "cluster": settings.cluster_name}
built = compose(settings, tags, cluster_tags=cluster_record(settings))

if built.demo_service is not None:
    pulumi.export("demoNlbHostname", built.demo_service.hostname)
    pulumi.export(
        "demoUrl", built.demo_service.url.apply(lambda url: url.rstrip("/") + "/clientip")
    )

pulumi.export("vpcId", built.vpc.vpc_id)
pulumi.export("clusterName", settings.cluster_name)
pulumi.export("clusterEndpoint", built.eks.endpoint)
pulumi.export("kubeconfig", built.eks.kubeconfig_json)
pulumi.export("oidcProviderArn", built.eks.oidc_provider_arn)
pulumi.export("nodeGroupNamePrefixes", [g.node_group_name_prefix for g in built.node_groups])
pulumi.export("calicoDataplane", settings.dataplane.value)
pulumi.export("kubeProxy", settings.kube_proxy.value)
