"""eks-calico-ebpf: VPC → EKS → Bottlerocket node groups → Calico eBPF → NLB with client IPs.

The only module that reads `pulumi.Config`: it turns the stack's config into validated,
typed settings (a bad value stops here, before any resource exists) and composes components.
"""

from __future__ import annotations

import pulumi

from components.composition import compose
from components.config import StackSettings, parse_settings
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


settings = read_settings()
tags = {"project": NAMESPACE, "stack": pulumi.get_stack(), "cluster": settings.cluster_name}
built = compose(settings, tags)

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
pulumi.export("nodeGroupNames", [g.node_group_name for g in built.node_groups])
# "none" with `calico: false`: no Calico runs, whatever `dataplane` reads.
pulumi.export("calicoDataplane", settings.dataplane.value if settings.calico else "none")
pulumi.export("kubeProxy", settings.kube_proxy.value)
