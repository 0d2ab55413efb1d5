"""eks-calico-ebpf: VPC → EKS → Bottlerocket node groups → Calico eBPF → NLB with client IPs.

The only module that reads `pulumi.Config`: it turns the stack's config into validated,
typed settings (a bad value stops here, before any resource exists) and composes components.
"""

from __future__ import annotations

import pulumi

from components.composition import compose, exports
from components.config import StackSettings, config_warnings, parse_settings
from components.deployed import cluster_record
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


def record_of(settings: StackSettings) -> dict[str, str]:
    """What this run records on the cluster; a change the live cluster cannot take stops here,
    in one line, before any resource changes."""
    try:
        return cluster_record(settings)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


settings = read_settings()
for warning in config_warnings(settings):
    pulumi.log.warn(warning)
tags = {"project": NAMESPACE, "stack": pulumi.get_stack(), "cluster": settings.cluster_name}
built = compose(settings, tags, cluster_tags=record_of(settings))

# Shared with the cross-language EksCalicoCluster, so both offer the same outputs.
for name, value in exports(settings, built).items():
    pulumi.export(name, value)
