"""Stack config → typed, validated settings. Pure: no Pulumi calls.

`__main__.py` reads the raw values from `pulumi.Config` and hands them here; every problem is
raised as a one-line `ConfigError` naming the key, the bad value and what is accepted, before
any resource exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Any, TypeVar

from . import defaults
from ._net import ipv4_network
from .eks._bottlerocket import group_architecture, settings_problems
from .eks.cluster import access_entry_key
from .eks.node_group import TAINT_EFFECTS, NodeGroupSpec, Taint
from .errors import NAMESPACE, ConfigError
from .network._subnet_plan import MAX_PRIVATE_PREFIX, MIN_VPC_PREFIX, max_vpc_prefix
from .options import (
    Dataplane,
    KubeProxyMode,
    LoadBalancerController,
    LoadBalancerScheme,
    NatStrategy,
)

# Every project key, with a one-line description (Pulumi.yaml and the README document them too;
# a test keeps the three in step).
KEYS: dict[str, str] = {
    "clusterName": "EKS cluster name; default eks-calico-ebpf-<stack>",
    "vpcCidr": "IPv4 CIDR of the VPC",
    "availabilityZones": "AZ names (at least 2) in aws:region",
    "natGateways": "onePerAz or single",
    "kubernetesVersion": "EKS Kubernetes minor version",
    "serviceCidr": "Kubernetes Service CIDR (creation-time)",
    "publicAccessCidrs": "CIDRs allowed to reach the public API endpoint; empty = private only",
    "adminPrincipalArns": "IAM role/user ARNs given cluster-admin via access entries",
    "logRetentionDays": "retention of the control-plane log group",
    "nodeGroups": "node group name -> settings",
    "calicoVersion": "Calico release (tigera-operator chart version)",
    "dataplane": "bpf or iptables",
    "kubeProxy": "disabled, absent or enabled",
    "loadBalancerController": "aws or in-tree",
    "loadBalancerScheme": "internet-facing or internal",
    "allowedClientCidrs": "client networks admitted through the NLB",
    "demoApp": "deploy the client-IP echo demo behind an NLB",
    "demoAppPort": "port the demo's NLB listens on",
    "calico": "install Calico; false = plain EKS (VPC CNI + kube-proxy), the benchmark baseline",
}

NODE_GROUP_KEYS = (
    "instanceTypes",
    "minSize",
    "desiredSize",
    "maxSize",
    "labels",
    "taints",
    "diskSizeGiB",
    "availabilityZones",
    "placementGroup",
    "bottlerocketSettings",
)

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_GROUP_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")
_K8S_VERSION = re.compile(r"^\d+\.\d+$")
_CALICO_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$")
# Kubernetes label syntax (apimachinery validation: qualified name, DNS subdomain prefix).
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    cluster_name: str
    region: str
    vpc_cidr: IPv4Network
    availability_zones: tuple[str, ...]
    nat: NatStrategy
    kubernetes_version: str
    service_cidr: IPv4Network
    public_access_cidrs: tuple[str, ...]
    admin_principal_arns: tuple[str, ...]
    log_retention_days: int
    node_groups: Mapping[str, NodeGroupSpec]
    calico_version: str
    dataplane: Dataplane
    kube_proxy: KubeProxyMode
    load_balancer_controller: LoadBalancerController
    load_balancer_scheme: LoadBalancerScheme
    allowed_client_cidrs: tuple[str, ...]
    demo_app: bool
    demo_app_port: int
    calico: bool = True
    """False: plain EKS (VPC CNI + kube-proxy), no Calico; `dataplane` is then iptables."""


# --------------------------------------------------------------------------- value readers


def _structured(key: str, value: Any, kind: type, example: str) -> Any:
    """Lists and objects arrive from Pulumi config as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(key, value, "is not valid JSON", example) from None
    if not isinstance(value, kind):
        raise ConfigError(key, value, f"must be a {kind.__name__}", example)
    return value


def _enum(key: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        accepted = ", ".join(e.value for e in enum)
        raise ConfigError(key, value, "is not a known value", accepted) from None


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError(key, value, "is not a boolean", "true or false")


def _int(key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(key, value, "is not a whole number in range", f"{lo} to {hi}")
    return value


def _cidr(key: str, value: Any, example: str = "10.0.0.0/16") -> IPv4Network:
    try:
        return ipv4_network(value)
    except ValueError as exc:
        accepted = f"an IPv4 network in CIDR form without host bits, e.g. {example}"
        raise ConfigError(key, value, str(exc), accepted) from None


def _cidr_list(key: str, value: Any, *, example: str) -> tuple[str, ...]:
    """Strict client/API CIDR lists: valid, unique, and the whole internet only on purpose."""
    items = _structured(key, value, list, f'a JSON list of CIDRs, e.g. ["{example}"]')
    nets = [str(_cidr(f"{key}[{i}]", v, example)) for i, v in enumerate(items)]
    dupes = sorted({n for n in nets if nets.count(n) > 1})
    if dupes:
        raise ConfigError(key, items, f"lists {', '.join(dupes)} more than once", "unique CIDRs")
    if "0.0.0.0/0" in nets and len(nets) > 1:
        raise ConfigError(
            key,
            items,
            "mixes 0.0.0.0/0 with other networks",
            'either specific networks, or exactly ["0.0.0.0/0"] to allow everyone',
        )
    return tuple(nets)


def _str_list(key: str, value: Any, example: str) -> list[str]:
    items = _structured(key, value, list, example)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{key}[{i}]", item, "must be a non-empty string", example)
    return items


# --------------------------------------------------------------------------- node groups


def _labels(key: str, value: Any) -> dict[str, str]:
    labels = _structured(
        key, value, dict, 'an object of label keys to values, e.g. {"role": "bench"}'
    )
    for k, v in labels.items():
        prefix, _, name = k.rpartition("/")
        if not _LABEL_NAME.match(name) or (
            prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix))
        ):
            raise ConfigError(
                f"{key}.{k}",
                k,
                "is not a valid label key",
                "[dns-prefix/]name, name up to 63 chars",
            )
        if not isinstance(v, str) or not _LABEL_VALUE.match(v):
            raise ConfigError(
                f"{key}.{k}",
                v,
                "is not a valid label value",
                "a string of up to 63 chars [A-Za-z0-9-_.], alphanumeric at both ends",
            )
    return labels


def _taints(key: str, value: Any) -> tuple[Taint, ...]:
    example = 'a list of {"key", "value", "effect"}, effect one of ' + ", ".join(TAINT_EFFECTS)
    items = _structured(key, value, list, example)
    taints = []
    for i, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or set(item) - {"key", "value", "effect"}
            or "key" not in item
        ):
            raise ConfigError(f"{key}[{i}]", item, "is not a taint", example)
        effect = item.get("effect", "NoSchedule")
        if effect not in TAINT_EFFECTS:
            raise ConfigError(
                f"{key}[{i}].effect", effect, "is not a taint effect", ", ".join(TAINT_EFFECTS)
            )
        taints.append(Taint(key=str(item["key"]), value=str(item.get("value", "")), effect=effect))
    return tuple(taints)


def _instance_types(key: str, value: Any) -> tuple[str, ...]:
    accepted = 'a list of EC2 instance types of one architecture, e.g. ["c5n.metal"]'
    types = _str_list(key, value, accepted)
    if not types:
        raise ConfigError(key, types, "is empty", accepted)
    for t in types:
        if not _INSTANCE_TYPE.match(t):
            raise ConfigError(key, t, "is not an EC2 instance type", "family.size, e.g. c5n.metal")
    try:
        group_architecture(types)
    except ValueError as exc:
        raise ConfigError(key, types, str(exc), accepted) from None
    return tuple(types)


def _sizes(key: str, value: Mapping[str, Any]) -> tuple[int, int, int]:
    """(min, desired, max); desired defaults to the library default clamped into range."""
    min_size = _int(f"{key}.minSize", value.get("minSize", defaults.MIN_SIZE), 0, 450)
    max_size = _int(f"{key}.maxSize", value.get("maxSize", defaults.MAX_SIZE), 1, 450)
    fallback = max(min_size, min(defaults.DESIRED_SIZE, max_size))
    desired = _int(f"{key}.desiredSize", value.get("desiredSize", fallback), 0, 450)
    rule = "minSize <= desiredSize <= maxSize"
    if min_size > max_size:
        raise ConfigError(f"{key}.minSize", min_size, f"is larger than maxSize ({max_size})", rule)
    if not min_size <= desired <= max_size:
        problem = f"is outside minSize..maxSize ({min_size}..{max_size})"
        raise ConfigError(f"{key}.desiredSize", desired, problem, rule)
    return min_size, desired, max_size


def _group_azs(key: str, value: Any, cluster_azs: tuple[str, ...]) -> tuple[str, ...]:
    accepted = "one or more of " + ", ".join(cluster_azs)
    azs = _str_list(key, value, accepted)
    if not azs:
        raise ConfigError(key, azs, "is empty", accepted)
    for az in azs:
        if az not in cluster_azs:
            raise ConfigError(key, az, "is not one of the cluster's availabilityZones", accepted)
    if len(set(azs)) != len(azs):
        raise ConfigError(key, azs, "lists an AZ twice", "unique AZ names")
    return tuple(azs)


def _bottlerocket_settings(key: str, value: Any) -> dict[str, Any]:
    accepted = 'an object {"settings": {...}} without the reserved keys'
    settings = _structured(key, value, dict, accepted)
    problems = settings_problems(settings)
    if problems:
        raise ConfigError(key, settings, "; ".join(problems), accepted)
    return settings


def _node_group(name: str, value: Any, cluster_azs: tuple[str, ...]) -> NodeGroupSpec:
    key = f"nodeGroups.{name}"
    if not _GROUP_NAME.match(name):
        accepted = "1-20 chars of a-z, 0-9 and '-', alphanumeric at both ends"
        raise ConfigError(key, name, "is not a valid node group name", accepted)
    known = ", ".join(NODE_GROUP_KEYS)
    if not isinstance(value, dict) or not value:
        raise ConfigError(
            key, value, "has no settings", f"an object with instanceTypes; keys: {known}"
        )
    for k in value:
        if k not in NODE_GROUP_KEYS:
            raise ConfigError(f"{key}.{k}", value[k], "is not a node group setting", known)
    if "instanceTypes" not in value:
        accepted = 'a list of EC2 instance types, e.g. ["c5n.metal"]'
        raise ConfigError(f"{key}.instanceTypes", None, "is required", accepted)

    min_size, desired, max_size = _sizes(key, value)
    azs = None
    if "availabilityZones" in value:
        azs = _group_azs(f"{key}.availabilityZones", value["availabilityZones"], cluster_azs)
    placement = _bool(f"{key}.placementGroup", value.get("placementGroup", False))
    if placement and (azs is None or len(azs) != 1):
        raise ConfigError(
            f"{key}.availabilityZones",
            list(azs or cluster_azs),
            "must name exactly one AZ when placementGroup is true"
            " (a cluster placement group lives in one AZ)",
            f'a single AZ, e.g. ["{cluster_azs[0]}"]',
        )
    disk = value.get("diskSizeGiB", defaults.DISK_SIZE_GIB)
    return NodeGroupSpec(
        instance_types=_instance_types(f"{key}.instanceTypes", value["instanceTypes"]),
        min_size=min_size,
        desired_size=desired,
        max_size=max_size,
        labels=_labels(f"{key}.labels", value.get("labels", {})),
        taints=_taints(f"{key}.taints", value.get("taints", [])),
        disk_size_gib=_int(f"{key}.diskSizeGiB", disk, 20, 16384),
        availability_zones=azs,
        placement_group=placement,
        bottlerocket_settings=_bottlerocket_settings(
            f"{key}.bottlerocketSettings", value.get("bottlerocketSettings", {})
        ),
    )


def _node_groups(value: Any, cluster_azs: tuple[str, ...]) -> dict[str, NodeGroupSpec]:
    if value is None:
        return {defaults.NODE_GROUP_NAME: NodeGroupSpec()}
    groups = _structured(
        "nodeGroups", value, dict, 'an object {"<group>": {"instanceTypes": [...], ...}}'
    )
    if not groups:
        raise ConfigError(
            "nodeGroups",
            groups,
            "defines no node group",
            'at least one group, e.g. {"metal": {"instanceTypes": ["c5n.metal"]}}',
        )
    return {name: _node_group(name, spec, cluster_azs) for name, spec in groups.items()}


# --------------------------------------------------------------------------- the whole stack


def _calico_version(value: Any) -> str:
    floor = "v" + ".".join(map(str, defaults.MIN_CALICO_VERSION))
    m = _CALICO_VERSION.match(value) if isinstance(value, str) else None
    if not m:
        raise ConfigError(
            "calicoVersion",
            value,
            "is not a Calico release tag",
            f"vMAJOR.MINOR.PATCH, {floor} or later, e.g. {defaults.CALICO_VERSION}",
        )
    if tuple(int(g) for g in m.groups()) < defaults.MIN_CALICO_VERSION:
        raise ConfigError(
            "calicoVersion",
            value,
            "is too old (eBPF programs fail to load on Bottlerocket's 6.12 kernel before it,"
            " projectcalico/calico#11399)",
            f"{floor} or later",
        )
    return value


def _kubernetes_version(value: Any) -> str:
    accepted = ", ".join(defaults.SUPPORTED_KUBERNETES_VERSIONS)
    if not isinstance(value, str) or not _K8S_VERSION.match(value):
        raise ConfigError("kubernetesVersion", value, "is not a MAJOR.MINOR version", accepted)
    if value not in defaults.SUPPORTED_KUBERNETES_VERSIONS:
        raise ConfigError("kubernetesVersion", value, "is not a supported version", accepted)
    return value


def _availability_zones(value: Any, region: str) -> tuple[str, ...]:
    example = f'["{region}a", "{region}b", "{region}c"]'
    if value is None:
        raise ConfigError(
            "availabilityZones",
            None,
            "is required",
            f"a JSON list of at least 2 AZs of {region}, e.g. {example}",
        )
    azs = _str_list("availabilityZones", value, example)
    if len(azs) < 2:
        raise ConfigError(
            "availabilityZones",
            azs,
            "names fewer than 2 AZs (EKS needs subnets in at least two)",
            f"at least 2 AZs, e.g. {example}",
        )
    if len(set(azs)) != len(azs):
        raise ConfigError("availabilityZones", azs, "lists an AZ twice", "unique AZ names")
    for az in azs:
        if not re.fullmatch(re.escape(region) + r"[a-z]", az):
            raise ConfigError(
                "availabilityZones",
                az,
                f"is not an AZ of aws:region {region}",
                f"{region} plus one letter, e.g. {region}a",
            )
    return tuple(azs)


def _vpc_cidr(value: Any, az_count: int) -> IPv4Network:
    vpc = _cidr("vpcCidr", value)
    longest = max_vpc_prefix(az_count)
    accepted = (
        f"a private (RFC 1918 or 100.64.0.0/10) network from /{MIN_VPC_PREFIX} to /{longest},"
        f" e.g. {defaults.VPC_CIDR}"
    )
    if not (vpc.is_private or vpc.subnet_of(IPv4Network("100.64.0.0/10"))):
        raise ConfigError("vpcCidr", value, "is not a private address range", accepted)
    if vpc.prefixlen < MIN_VPC_PREFIX:
        raise ConfigError(
            "vpcCidr", value, f"is larger than AWS allows for a VPC (/{MIN_VPC_PREFIX})", accepted
        )
    if vpc.prefixlen > longest:
        raise ConfigError(
            "vpcCidr",
            value,
            f"is too small for {az_count} AZs: each private subnet must be"
            f" /{MAX_PRIVATE_PREFIX} or larger to hold a full c5n.metal (737 pods)",
            accepted,
        )
    return vpc


def _principal_arns(value: Any) -> tuple[str, ...]:
    example = '["arn:aws:iam::111122223333:role/PlatformAdmin"]'
    arns = _str_list("adminPrincipalArns", value, example)
    for arn in arns:
        if not _PRINCIPAL_ARN.match(arn):
            raise ConfigError(
                "adminPrincipalArns",
                arn,
                "is not an IAM role or user ARN",
                "arn:aws:iam::<account>:role/<name> or :user/<name> (not an sts assumed-role ARN)",
            )
    if len(set(arns)) != len(arns):
        raise ConfigError(
            "adminPrincipalArns",
            arns,
            "lists a principal twice (one access entry per principal)",
            "unique ARNs",
        )
    keys = [access_entry_key(a) for a in arns]
    if len(set(keys)) != len(keys):
        raise ConfigError(
            "adminPrincipalArns",
            arns,
            "has two principals with the same name",
            "principals whose role/user names differ",
        )
    return tuple(arns)


def parse_settings(raw: Mapping[str, Any], *, region: str | None, stack: str) -> StackSettings:
    """Validate every key; `raw` maps project keys (no namespace) to config values."""
    for key in raw:
        if key not in KEYS:
            raise ConfigError(key, raw[key], "is not a config key of this project", ", ".join(KEYS))
    if not region:
        raise ConfigError("aws:region", region, "is required", "an AWS region, e.g. us-west-2")

    def get(key: str, default: Any) -> Any:
        value = raw.get(key)
        return default if value is None else value

    cluster_name = get("clusterName", f"{NAMESPACE}-{stack}")
    if not isinstance(cluster_name, str) or not _CLUSTER_NAME.match(cluster_name):
        raise ConfigError(
            "clusterName",
            cluster_name,
            "is not a valid EKS cluster name",
            "1-100 chars of letters, digits, '-' and '_', starting alphanumeric",
        )

    azs = _availability_zones(raw.get("availabilityZones"), region)
    vpc = _vpc_cidr(get("vpcCidr", defaults.VPC_CIDR), len(azs))
    service = _cidr("serviceCidr", get("serviceCidr", defaults.SERVICE_CIDR), defaults.SERVICE_CIDR)
    if service.overlaps(vpc):
        raise ConfigError(
            "serviceCidr",
            str(service),
            f"overlaps vpcCidr {vpc}",
            f"a network outside {vpc}, e.g. {defaults.SERVICE_CIDR}",
        )

    dataplane = _enum("dataplane", get("dataplane", defaults.DATAPLANE), Dataplane)
    kube_proxy = _enum("kubeProxy", get("kubeProxy", defaults.KUBE_PROXY), KubeProxyMode)
    calico = _bool("calico", get("calico", defaults.CALICO))
    if not calico:
        dataplane = _without_calico(
            dataplane if raw.get("dataplane") is not None else None, kube_proxy
        )
    elif dataplane is Dataplane.IPTABLES and not kube_proxy.runs:
        raise ConfigError(
            "kubeProxy",
            kube_proxy.value,
            "cannot be combined with dataplane iptables: nothing would serve Services",
            "enabled with dataplane iptables; disabled or absent only with dataplane bpf",
        )

    demo_app = _bool("demoApp", get("demoApp", defaults.DEMO_APP))
    allowed = _cidr_list(
        "allowedClientCidrs", get("allowedClientCidrs", []), example="203.0.113.0/24"
    )
    if demo_app and not allowed:
        raise ConfigError(
            "allowedClientCidrs",
            [],
            "is empty but demoApp exposes a load balancer",
            'the client networks to admit, e.g. ["203.0.113.0/24"], or exactly ["0.0.0.0/0"]',
        )

    return StackSettings(
        cluster_name=cluster_name,
        region=region,
        vpc_cidr=vpc,
        availability_zones=azs,
        nat=_enum("natGateways", get("natGateways", defaults.NAT_STRATEGY), NatStrategy),
        kubernetes_version=_kubernetes_version(
            get("kubernetesVersion", defaults.KUBERNETES_VERSION)
        ),
        service_cidr=service,
        public_access_cidrs=_cidr_list(
            "publicAccessCidrs", get("publicAccessCidrs", []), example="203.0.113.10/32"
        ),
        admin_principal_arns=_principal_arns(get("adminPrincipalArns", [])),
        log_retention_days=_log_retention(get("logRetentionDays", defaults.LOG_RETENTION_DAYS)),
        node_groups=_node_groups(raw.get("nodeGroups"), azs),
        calico_version=_calico_version(get("calicoVersion", defaults.CALICO_VERSION)),
        dataplane=dataplane,
        kube_proxy=kube_proxy,
        load_balancer_controller=_enum(
            "loadBalancerController",
            get("loadBalancerController", defaults.LOAD_BALANCER_CONTROLLER),
            LoadBalancerController,
        ),
        load_balancer_scheme=_enum(
            "loadBalancerScheme",
            get("loadBalancerScheme", defaults.LOAD_BALANCER_SCHEME),
            LoadBalancerScheme,
        ),
        allowed_client_cidrs=allowed,
        demo_app=demo_app,
        demo_app_port=_int("demoAppPort", get("demoAppPort", defaults.DEMO_APP_PORT), 1, 65535),
        calico=calico,
    )


def _log_retention(value: Any) -> int:
    days = _int("logRetentionDays", value, 1, 3653)
    if days not in defaults.ALLOWED_LOG_RETENTION_DAYS:
        raise ConfigError(
            "logRetentionDays",
            days,
            "is not a CloudWatch Logs retention period",
            ", ".join(map(str, defaults.ALLOWED_LOG_RETENTION_DAYS)),
        )
    return days


def _without_calico(dataplane: Dataplane | None, kube_proxy: KubeProxyMode) -> Dataplane:
    """`calico: false` is plain EKS: kube-proxy must run (it alone serves Services), and the only
    dataplane that names what then happens is iptables (kube-proxy's); bpf is refused, never
    ignored. Returns the dataplane the rest of the stack sees."""
    if not kube_proxy.runs:
        raise ConfigError(
            "kubeProxy",
            kube_proxy.value,
            "cannot be combined with calico false: without Calico only kube-proxy serves Services",
            "enabled with calico false",
        )
    if dataplane is Dataplane.BPF:
        raise ConfigError(
            "dataplane",
            dataplane.value,
            "is Calico's eBPF dataplane, which calico false does not install",
            "iptables (kube-proxy's) or unset with calico false",
        )
    return Dataplane.IPTABLES
