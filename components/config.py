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
from ._allowlist import allowlist_problem
from ._net import ipv4_network
from .eks._bottlerocket import (
    SettingError,
    check_settings,
    control_container_conflict,
    group_architecture,
)
from .eks.cluster import access_entry_key
from .eks.node_group import TAINT_EFFECTS, NodeGroupSpec, Taint
from .errors import NAMESPACE, ConfigError
from .exposure.load_balancer_controller import check_policy_size
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
    "publicAccessCidrs": "CIDRs allowed to reach the public API endpoint; empty = private only"
    " (needs deployInsideVpc)",
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
    "deployInsideVpc": "pulumi runs inside the VPC (allows an empty publicAccessCidrs)",
    "nodeSsmAccess": "nodes may open SSM Session Manager sessions (and nothing else of SSM)",
    "vpcFlowLogs": "VPC flow logs to a KMS-encrypted CloudWatch log group",
    "vpcFlowLogRetentionDays": "retention of the VPC flow log group",
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
    "releaseVersion",
)

# Every pattern is applied with `fullmatch` (`$` would also accept a trailing newline), and is
# ASCII-only: `\d` and `\w` would also match other scripts' digits and letters.
_CLUSTER_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}")
_GROUP_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?")
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]{0,30}\.[a-z0-9-]{1,30}")
_K8S_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}")
_CALICO_VERSION = re.compile(r"v([0-9]{1,4})\.([0-9]{1,4})\.([0-9]{1,4})")
# EKS AMI release version of a Bottlerocket node group: the Bottlerocket version and the short
# commit of its release, e.g. 1.47.0-6154605b (`aws eks describe-nodegroup`, releaseVersion;
# EKS refuses the bare version, cloudposse/terraform-aws-eks-node-group#209). The same string is
# Bottlerocket's SSM parameter <variant>/<arch>/<version>/image_version (bottlerocket
# tools/pubsys/policies/ssm/defaults.toml), whose older releases carry 7-digit commits.
_RELEASE_VERSION = re.compile(r"[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}-[0-9a-f]{7,8}")
_PRINCIPAL_ARN = re.compile(
    r"arn:(aws(-[a-z]+)*):iam::[0-9]{12}:(role|user)/[A-Za-z0-9_+=,.@/-]{1,512}"
)
# aws:region, e.g. us-west-2, us-gov-east-1, cn-north-1, eusc-de-east-1.
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}")
# Partition of a region, by the region-name patterns of botocore's endpoints.json; every other
# well-formed region is in the commercial partition `aws`.
_REGION_PARTITIONS = (
    (re.compile(r"cn-.*"), "aws-cn"),
    (re.compile(r"us-gov-.*"), "aws-us-gov"),
    (re.compile(r"us-iso-.*"), "aws-iso"),
    (re.compile(r"us-isob-.*"), "aws-iso-b"),
    (re.compile(r"eu-isoe-.*"), "aws-iso-e"),
    (re.compile(r"us-isof-.*"), "aws-iso-f"),
    (re.compile(r"eusc-.*"), "aws-eusc"),
)
# Kubernetes label syntax (apimachinery validation: qualified name, DNS subdomain prefix).
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
# Structured values nest no deeper than this (bottlerocketSettings needs 5: settings.kubernetes.
# eviction-hard.<signal>, inside nodeGroups.<group>); deeper input is refused, not recursed into.
MAX_DEPTH = 8
# EKS CreateCluster `serviceIpv4Cidr`: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, a /12
# to a /24, not overlapping the VPC (EKS API reference, KubernetesNetworkConfigRequest).
_SERVICE_CIDR_RANGES = tuple(
    IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_SERVICE_CIDR_PREFIXES = (12, 24)
# EKS CreateNodegroup: at most 50 taints per node group; a taint key or value up to 63 chars
# (EKS API reference, Taint).
MAX_TAINTS = 50

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
    deploy_inside_vpc: bool = False
    node_ssm_access: bool = defaults.NODE_SSM_ACCESS
    vpc_flow_logs: bool = defaults.VPC_FLOW_LOGS
    vpc_flow_log_retention_days: int = defaults.FLOW_LOG_RETENTION_DAYS
    calico: bool = True
    """False: plain EKS (VPC CNI + kube-proxy), no Calico; `dataplane` is then iptables."""


# --------------------------------------------------------------------------- value readers


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (a scalar is 0); iterative, so any depth is safe."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            deepest = max(deepest, level + 1)
            if level + 1 > MAX_DEPTH:
                return deepest
            stack.append((child, level + 1))
    return deepest


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_./-]{1,100}")


def path(key: str, segment: Any) -> str:
    """`key.segment` for a map key the user chose; odd ones (spaces, newlines, very long) are
    shown JSON-quoted and cut short, so the key path stays one readable line."""
    if isinstance(segment, str) and _PLAIN_SEGMENT.fullmatch(segment):
        return f"{key}.{segment}"
    shown = json.dumps(segment) if isinstance(segment, str) else repr(type(segment).__name__)
    return f"{key}[{shown if len(shown) <= 40 else shown[:37] + '...'}]"


def _structured(key: str, value: Any, kind: type, example: str) -> Any:
    """Lists and objects arrive from Pulumi config as JSON text.

    Strict JSON: no NaN/Infinity, no integer too long to convert, no nesting deeper than
    MAX_DEPTH (the parser would hit Python's recursion limit long before it ran out of input).
    """
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            raise ConfigError(key, value, "is not valid JSON", example) from None
    if not isinstance(value, kind):
        raise ConfigError(key, value, f"must be a {kind.__name__}", example)
    if _depth(value) > MAX_DEPTH:
        raise ConfigError(
            key, "...", f"nests lists/objects deeper than {MAX_DEPTH} levels", example
        )
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
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
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


def _cidr_list(
    key: str,
    value: Any,
    *,
    example: str,
    public_endpoint: bool = False,
    vpc: IPv4Network | None = None,
    private_clients: str = "clients inside the VPC use the private endpoint",
) -> tuple[str, ...]:
    """Strict client/API CIDR lists: valid, unique, and judged by what they admit (`_allowlist`):
    the whole internet only as exactly ["0.0.0.0/0"], however else it is spelled; no
    special-purpose ranges; no private ranges for a public endpoint; nothing of the VPC."""
    items = _structured(key, value, list, f'a JSON list of CIDRs, e.g. ["{example}"]')
    nets = [_cidr(f"{key}[{i}]", v, example) for i, v in enumerate(items)]
    texts = [str(n) for n in nets]
    dupes = sorted({n for n in texts if texts.count(n) > 1})
    if dupes:
        raise ConfigError(key, items, f"lists {', '.join(dupes)} more than once", "unique CIDRs")
    problem = allowlist_problem(
        nets, public_endpoint=public_endpoint, vpc=vpc, private_clients=private_clients
    )
    if problem is not None:
        if problem.index is None:
            raise ConfigError(key, items, problem.problem, problem.accepted)
        index = problem.index
        raise ConfigError(f"{key}[{index}]", items[index], problem.problem, problem.accepted)
    return tuple(texts)


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
    # Kubernetes label syntax, within EKS's node-group limits (key and value 1-63 chars each:
    # EKS API reference, UpdateLabelsPayload).
    for k, v in labels.items():
        if not _qualified_name(k) or len(k) > 63:
            raise ConfigError(
                path(key, k),
                k,
                "is not a valid label key",
                "[dns-prefix/]name, up to 63 chars in all (EKS), name alphanumeric at both ends",
            )
        if _reserved_label(k):
            raise ConfigError(
                path(key, k),
                k,
                "is in the kubernetes.io/k8s.io namespace, which the kubelet refuses in"
                " --node-labels (the node would never join)",
                "your own prefix (e.g. example.com/role), a key under node.kubernetes.io/ or"
                " kubelet.kubernetes.io/, or one of " + ", ".join(sorted(KUBELET_LABELS)),
            )
        if not isinstance(v, str) or not v or not _LABEL_VALUE.fullmatch(v):
            raise ConfigError(
                path(key, k),
                v,
                "is not a valid label value",
                "a string of 1 to 63 chars [A-Za-z0-9-_.], alphanumeric at both ends",
            )
    return labels


# What the kubelet may set on its own Node through --node-labels: it refuses every other key
# whose prefix is kubernetes.io or k8s.io or a subdomain of them, and exits (kubernetes/kubernetes
# cmd/kubelet/app/options/options.go ValidateKubeletFlags; the allowed keys and namespaces are
# pkg/kubelet/apis/well_known_labels.go kubeletLabels and KubeletLabelNamespaces).
KUBELET_LABELS = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
    }
)
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io")


def _in_domain(prefix: str, domain: str) -> bool:
    return prefix == domain or prefix.endswith("." + domain)


def _reserved_label(key: str) -> bool:
    """A node label key the kubelet refuses to set on its own Node."""
    prefix, slash, _ = key.rpartition("/")
    if not slash or key in KUBELET_LABELS:
        return False
    if any(_in_domain(prefix, ns) for ns in KUBELET_LABEL_NAMESPACES):
        return False
    return any(_in_domain(prefix, d) for d in RESERVED_LABEL_DOMAINS)


def _qualified_name(text: Any) -> bool:
    """Kubernetes qualified name ([DNS-subdomain prefix/]name), as label and taint keys are."""
    if not isinstance(text, str):
        return False
    prefix, slash, name = text.rpartition("/")
    if not _LABEL_NAME.fullmatch(name):
        return False
    return not slash or (0 < len(prefix) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(prefix)))


def _taints(key: str, value: Any) -> tuple[Taint, ...]:
    """Validated as Kubernetes validates node taints (key a qualified name, value a label value,
    effect one of three, one taint per key and effect), within EKS's own limits."""
    effects = ", ".join(TAINT_EFFECTS)
    example = 'a list of {"key", "value", "effect"}, effect one of ' + effects
    items = _structured(key, value, list, example)
    if len(items) > MAX_TAINTS:
        raise ConfigError(key, len(items), "has more taints than EKS allows", f"{MAX_TAINTS}")
    taints: list[Taint] = []
    for i, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or set(item) - {"key", "value", "effect"}
            or "key" not in item
        ):
            raise ConfigError(f"{key}[{i}]", item, "is not a taint", example)
        taint_key, taint_value = item["key"], item.get("value", "")
        if not _qualified_name(taint_key) or len(taint_key) > 63:
            raise ConfigError(
                f"{key}[{i}].key",
                taint_key,
                "is not a valid taint key",
                "[dns-prefix/]name, up to 63 chars in all (EKS), name alphanumeric at both ends",
            )
        if not isinstance(taint_value, str) or not _LABEL_VALUE.fullmatch(taint_value):
            raise ConfigError(
                f"{key}[{i}].value",
                taint_value,
                "is not a valid taint value",
                "a string of up to 63 chars [A-Za-z0-9-_.], alphanumeric at both ends",
            )
        effect = item.get("effect", "NoSchedule")
        if not isinstance(effect, str) or effect not in TAINT_EFFECTS:
            raise ConfigError(f"{key}[{i}].effect", effect, "is not a taint effect", effects)
        if any(t.key == taint_key and t.effect == effect for t in taints):
            raise ConfigError(
                f"{key}[{i}]",
                item,
                f"repeats key {taint_key} with effect {effect}",
                "one taint per key and effect",
            )
        taints.append(Taint(key=taint_key, value=taint_value, effect=effect))
    return tuple(taints)


def _instance_types(key: str, value: Any) -> tuple[str, ...]:
    accepted = 'a list of EC2 instance types of one architecture, e.g. ["c5n.metal"]'
    types = _str_list(key, value, accepted)
    if not types:
        raise ConfigError(key, types, "is empty", accepted)
    for t in types:
        if not _INSTANCE_TYPE.fullmatch(t):
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
    """Only the setting paths on `_bottlerocket`'s allow-list, each value checked."""
    settings = _structured(key, value, dict, 'an object {"settings": {...}}')
    try:
        check_settings(settings)
    except SettingError as exc:
        where = f"{key}.{exc.dotted}" if exc.path else key
        raise ConfigError(where, exc.value, exc.problem, exc.accepted) from None
    return settings


def _node_group(name: str, value: Any, cluster_azs: tuple[str, ...]) -> NodeGroupSpec:
    key = path("nodeGroups", name)
    if not isinstance(name, str) or not _GROUP_NAME.fullmatch(name):
        accepted = "1-20 chars of a-z, 0-9 and '-', alphanumeric at both ends"
        raise ConfigError(key, name, "is not a valid node group name", accepted)
    known = ", ".join(NODE_GROUP_KEYS)
    if not isinstance(value, dict) or not value:
        raise ConfigError(
            key, value, "has no settings", f"an object with instanceTypes; keys: {known}"
        )
    for k in value:
        if k not in NODE_GROUP_KEYS:
            raise ConfigError(path(key, k), value[k], "is not a node group setting", known)
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
    release = value.get("releaseVersion")
    if release is not None and (
        not isinstance(release, str) or not _RELEASE_VERSION.fullmatch(release)
    ):
        raise ConfigError(
            f"{key}.releaseVersion",
            release,
            "is not a Bottlerocket release version of EKS",
            "VERSION-COMMIT as EKS lists it, e.g. 1.47.0-6154605b",
        )
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
        release_version=release,
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
    m = _CALICO_VERSION.fullmatch(value) if isinstance(value, str) else None
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
    if not isinstance(value, str) or not _K8S_VERSION.fullmatch(value):
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


def partition_of(region: str) -> str:
    """AWS partition of a well-formed region name (aws, aws-cn, aws-us-gov, ...)."""
    for pattern, partition in _REGION_PARTITIONS:
        if pattern.fullmatch(region):
            return partition
    return "aws"


def _region(region: str | None) -> str:
    if not region:
        raise ConfigError("aws:region", region, "is required", "an AWS region, e.g. us-west-2")
    if not _REGION.fullmatch(region):
        raise ConfigError(
            "aws:region", region, "is not an AWS region name", "e.g. us-west-2, eu-central-1"
        )
    return region


def _service_cidr(value: Any, vpc: IPv4Network) -> IPv4Network:
    service = _cidr("serviceCidr", value, defaults.SERVICE_CIDR)
    shortest, longest = _SERVICE_CIDR_PREFIXES
    accepted = (
        f"an RFC 1918 network from /{shortest} to /{longest} outside vpcCidr {vpc},"
        f" e.g. {defaults.SERVICE_CIDR} (EKS serviceIpv4Cidr rules)"
    )
    if not any(service.subnet_of(r) for r in _SERVICE_CIDR_RANGES):
        raise ConfigError(
            "serviceCidr",
            value,
            "is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            accepted,
        )
    if not shortest <= service.prefixlen <= longest:
        raise ConfigError(
            "serviceCidr", value, f"is not a /{shortest} to /{longest} network", accepted
        )
    if service.overlaps(vpc):
        raise ConfigError("serviceCidr", value, f"overlaps vpcCidr {vpc}", accepted)
    return service


def _principal_arns(value: Any, region: str) -> tuple[str, ...]:
    partition = partition_of(region)
    example = f'["arn:{partition}:iam::111122223333:role/PlatformAdmin"]'
    arns = _str_list("adminPrincipalArns", value, example)
    for arn in arns:
        m = _PRINCIPAL_ARN.fullmatch(arn)
        if not m:
            raise ConfigError(
                "adminPrincipalArns",
                arn,
                "is not an IAM role or user ARN",
                f"arn:{partition}:iam::<account>:role/<name> or :user/<name>"
                " (not an sts assumed-role ARN)",
            )
        if m.group(1) != partition:
            raise ConfigError(
                "adminPrincipalArns",
                arn,
                f"is in partition {m.group(1)}, but aws:region {region} is in {partition}",
                f"arn:{partition}:iam::<account>:role/<name> or :user/<name>",
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
    region = _region(region)

    def get(key: str, default: Any) -> Any:
        value = raw.get(key)
        return default if value is None else value

    cluster_name = get("clusterName", f"{NAMESPACE}-{stack}")
    if not isinstance(cluster_name, str) or not _CLUSTER_NAME.fullmatch(cluster_name):
        raise ConfigError(
            "clusterName",
            cluster_name,
            "is not a valid EKS cluster name",
            "1-100 chars of letters, digits, '-' and '_', starting alphanumeric",
        )

    azs = _availability_zones(raw.get("availabilityZones"), region)
    vpc = _vpc_cidr(get("vpcCidr", defaults.VPC_CIDR), len(azs))
    service = _service_cidr(get("serviceCidr", defaults.SERVICE_CIDR), vpc)

    dataplane = _enum("dataplane", get("dataplane", defaults.DATAPLANE), Dataplane)
    kube_proxy = _enum("kubeProxy", get("kubeProxy", defaults.KUBE_PROXY), KubeProxyMode)
    calico = _bool("calico", get("calico", defaults.CALICO))
    if not calico:
        if raw.get("calicoVersion") is not None:
            # Neither stack file nor README "Reproduce the benchmark" sets it, so refusing costs
            # no documented workflow, and a silently ignored pin would be a surprise.
            raise ConfigError(
                "calicoVersion",
                raw["calicoVersion"],
                "is set but calico is false: no Calico is installed",
                "unset with calico false (`pulumi config rm calicoVersion`)",
            )
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
    scheme = _enum(
        "loadBalancerScheme",
        get("loadBalancerScheme", defaults.LOAD_BALANCER_SCHEME),
        LoadBalancerScheme,
    )
    # An internet-facing NLB only ever sees public source addresses (the NLB keeps the client
    # IP): a private or CGNAT entry could never match, like one in publicAccessCidrs.
    allowed = _cidr_list(
        "allowedClientCidrs",
        get("allowedClientCidrs", []),
        example="203.0.113.0/24",
        vpc=vpc,
        public_endpoint=scheme is LoadBalancerScheme.INTERNET_FACING,
        private_clients="private client networks need loadBalancerScheme internal",
    )
    if demo_app and not allowed:
        raise ConfigError(
            "allowedClientCidrs",
            [],
            "is empty but demoApp exposes a load balancer",
            'the client networks to admit, e.g. ["203.0.113.0/24"], or exactly ["0.0.0.0/0"]',
        )

    public_access = _cidr_list(
        "publicAccessCidrs",
        get("publicAccessCidrs", []),
        example="203.0.113.10/32",
        public_endpoint=True,
    )
    inside_vpc = _bool("deployInsideVpc", get("deployInsideVpc", False))

    settings = StackSettings(
        cluster_name=cluster_name,
        region=region,
        vpc_cidr=vpc,
        availability_zones=azs,
        nat=_enum("natGateways", get("natGateways", defaults.NAT_STRATEGY), NatStrategy),
        kubernetes_version=_kubernetes_version(
            get("kubernetesVersion", defaults.KUBERNETES_VERSION)
        ),
        service_cidr=service,
        public_access_cidrs=public_access,
        admin_principal_arns=_principal_arns(get("adminPrincipalArns", []), region),
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
        load_balancer_scheme=scheme,
        allowed_client_cidrs=allowed,
        demo_app=demo_app,
        demo_app_port=_int("demoAppPort", get("demoAppPort", defaults.DEMO_APP_PORT), 1, 65535),
        deploy_inside_vpc=inside_vpc,
        node_ssm_access=_bool("nodeSsmAccess", get("nodeSsmAccess", defaults.NODE_SSM_ACCESS)),
        vpc_flow_logs=_bool("vpcFlowLogs", get("vpcFlowLogs", defaults.VPC_FLOW_LOGS)),
        vpc_flow_log_retention_days=_log_retention(
            get("vpcFlowLogRetentionDays", defaults.FLOW_LOG_RETENTION_DAYS),
            "vpcFlowLogRetentionDays",
        ),
        calico=calico,
    )
    _check_lbc_policy_size(settings)
    for name, spec in settings.node_groups.items():
        if control_container_conflict(spec.bottlerocket_settings, settings.node_ssm_access):
            raise ConfigError(
                f"{path('nodeGroups', name)}.bottlerocketSettings"
                ".settings.host-containers.control.enabled",
                True,
                "turns on the control container, which only runs the SSM agent, while"
                " nodeSsmAccess is false (the agent could never register)",
                "false or unset, or nodeSsmAccess: true",
            )
    if not public_access and not inside_vpc:
        # The same run installs Calico (and the LBC, the demo) through the Kubernetes API; with
        # the public endpoint off, the host name resolves to private addresses only, and the
        # first Kubernetes object fails ~15 minutes in, after the cluster was created.
        raise ConfigError(
            "publicAccessCidrs",
            [],
            "is empty (public API endpoint off), so a run from outside the VPC cannot reach the"
            " API to install its Kubernetes objects (Calico, the LBC, the demo)",
            'the networks pulumi runs from, e.g. ["203.0.113.10/32"],'
            " or set deployInsideVpc: true when it runs inside the VPC",
        )
    return settings


# RFC 5737 documentation ranges (TEST-NET-1/2/3): the shipped stacks use them as placeholders so
# they plan offline; no packet on the internet comes from them, so a `pulumi up` with them left in
# fails ~15 minutes in (the API is unreachable from the real address) or admits nobody.
DOCUMENTATION_RANGES = tuple(
    IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
_WHERE_FROM = {
    "publicAccessCidrs": "set the network you deploy from",
    "allowedClientCidrs": "set the networks your clients connect from",
}


def config_warnings(settings: StackSettings) -> list[str]:
    """One line per setting that is valid but almost certainly not meant; the caller emits them
    (`pulumi.log.warn` in `__main__.py` and `EksCalicoCluster`)."""
    warnings = []
    lists = {
        "publicAccessCidrs": settings.public_access_cidrs,
        "allowedClientCidrs": settings.allowed_client_cidrs,
    }
    for key, cidrs in lists.items():
        for i, cidr in enumerate(cidrs):
            for doc in DOCUMENTATION_RANGES:
                if IPv4Network(cidr).subnet_of(doc):
                    warnings.append(
                        f"{NAMESPACE}:{key}[{i}]: {cidr} is in {doc}, an RFC 5737 documentation"
                        f" range: no real client has this address; {_WHERE_FROM[key]}"
                    )
    return warnings


def _check_lbc_policy_size(settings: StackSettings) -> None:
    """The LBC's IAM policy names the cluster seven times; IAM caps a policy at 6144 chars."""
    if settings.load_balancer_controller is not LoadBalancerController.AWS:
        return
    try:
        check_policy_size(settings.cluster_name, settings.region)
    except ValueError:
        raise ConfigError(
            "clusterName",
            settings.cluster_name,
            "makes the load balancer controller's IAM policy longer than IAM's 6144 characters",
            "a shorter name (about 65 characters or fewer) with loadBalancerController aws",
        ) from None


def _log_retention(value: Any, key: str = "logRetentionDays") -> int:
    days = _int(key, value, 1, 3653)
    if days not in defaults.ALLOWED_LOG_RETENTION_DAYS:
        raise ConfigError(
            key,
            days,
            "is not a CloudWatch Logs retention period",
            ", ".join(map(str, defaults.ALLOWED_LOG_RETENTION_DAYS)),
        )
    return days


# --------------------------------------------------------------------------- what is deployed

# Cluster tags recording what the program deployed. The next run reads them back from the live
# cluster (`aws.eks.get_cluster`, in `__main__.py`) and refuses a change that cannot be applied
# in place, before any resource changes. They are the cluster's own record: a stack file or a
# stack output could be edited or lost independently of the cluster.
DEPLOYED_TAGS = {
    "calicoVersion": f"{NAMESPACE}/calico-version",
    "kubeProxy": f"{NAMESPACE}/kube-proxy",
    "creator": f"{NAMESPACE}/creator",
    # bpf or iptables, or `none` with calico false: turning Calico off is safe only from
    # iptables with kube-proxy enabled (`check_transition`).
    "dataplane": f"{NAMESPACE}/dataplane",
}
# The dataplane tag of a cluster without Calico (plain EKS: kube-proxy's iptables, no Calico).
NO_CALICO = "none"


def deployed_tags(settings: StackSettings, creator: str | None = None) -> dict[str, str]:
    """The tags that record `settings` (and the principal that created the cluster)."""
    tags = {DEPLOYED_TAGS["kubeProxy"]: settings.kube_proxy.value}
    if settings.calico:
        tags[DEPLOYED_TAGS["calicoVersion"]] = settings.calico_version
        tags[DEPLOYED_TAGS["dataplane"]] = settings.dataplane.value
    else:
        # No Calico version: nothing is installed, so a later `calico: true` must not be judged
        # (downgrade, CRD move) against a version that never ran.
        tags[DEPLOYED_TAGS["dataplane"]] = NO_CALICO
    if creator:
        tags[DEPLOYED_TAGS["creator"]] = creator
    return tags


# The tags every run puts on every resource (`__main__.py`, `EksCalicoCluster`): README "Tear
# down" finds leftovers by them, and the LBC (defaultTags) and aws-node (ADDITIONAL_ENI_TAGS) copy
# them onto what they create.
BASE_TAG_KEYS = ("project", "stack", "cluster")
# AWS tagging limits (Tagging AWS resources, "Tag naming limits and requirements"): at most 50
# tags per resource, keys 1-128 and values 0-256 characters, the `aws:` prefix reserved. The EKS
# cluster carries the most: the base tags, the user's and the DEPLOYED_TAGS record.
MAX_AWS_TAGS = 50
MAX_USER_TAGS = MAX_AWS_TAGS - len(BASE_TAG_KEYS) - len(DEPLOYED_TAGS)


def resource_tags(value: Any) -> dict[str, str]:
    """The `EksCalicoCluster` `tags` input, checked against AWS's limits; the base tags are the
    program's own and cannot be replaced."""
    accepted = (
        f"at most {MAX_USER_TAGS} string tags, keys 1-128 chars not starting with aws:,"
        f" values up to 256 chars, none of {', '.join(BASE_TAG_KEYS)}"
    )
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError("tags", value, "is not a map of tag keys to values", accepted)
    for k, v in value.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 128:
            raise ConfigError("tags", k, "has a key that is not 1-128 characters", accepted)
        if k.lower().startswith("aws:"):
            raise ConfigError(
                "tags", k, "has a key with the prefix aws:, reserved by AWS", accepted
            )
        if k in BASE_TAG_KEYS:
            raise ConfigError(
                "tags",
                k,
                "would replace a tag the program sets on every resource (README"
                ' "Tear down" finds leftovers by project, stack and cluster)',
                accepted,
            )
        if not isinstance(v, str) or len(v) > 256:
            raise ConfigError(
                "tags", {k: v}, "has a value that is not a string of 0-256 characters", accepted
            )
    if len(value) > MAX_USER_TAGS:
        raise ConfigError(
            "tags",
            len(value),
            f"has more tags than fit AWS's {MAX_AWS_TAGS} per resource with the"
            f" {len(BASE_TAG_KEYS)} base tags and the cluster's {len(DEPLOYED_TAGS)} record tags",
            accepted,
        )
    return dict(value)


def check_transition(settings: StackSettings, deployed: Mapping[str, str]) -> None:
    """Refuse, with one line, a change from the deployed tags that would half-apply or destroy.

    `deployed` is the existing cluster's tag map; tags it lacks (a cluster made before they
    existed) are not checked.
    """
    mode = deployed.get(DEPLOYED_TAGS["kubeProxy"])
    absent = KubeProxyMode.ABSENT.value
    if mode is not None and (mode == absent) != (settings.kube_proxy is KubeProxyMode.ABSENT):
        # bootstrapSelfManagedAddons is creation-time and pulumi-eks ignores changes to it
        # (nodejs/eks/cluster/cluster.ts ignoreChanges); the rest of the program would change.
        raise ConfigError(
            "kubeProxy",
            settings.kube_proxy.value,
            f"cannot switch from the deployed {mode} on an existing cluster (whether EKS"
            " installs kube-proxy, aws-node and CoreDNS is fixed when the cluster is created)",
            "absent" if mode == absent else "disabled or enabled; absent needs a new cluster",
        )

    if not settings.calico:
        _check_calico_off(deployed)
        return
    old = deployed.get(DEPLOYED_TAGS["calicoVersion"])
    if old is None or not _CALICO_VERSION.fullmatch(old):
        return
    new = settings.calico_version
    before, after = _version_tuple(old), _version_tuple(new)
    if after < before:
        raise ConfigError(
            "calicoVersion",
            new,
            f"is older than the deployed {old}; Calico does not support downgrades (CRDs and"
            " the operator's stored objects only move forward)",
            f"{old} or a later release",
        )
    if before[:2] < (3, 32) <= after[:2]:
        # v3.32 moves the CRDs from the operator chart into the crd.projectcalico.org.v1 chart,
        # under new Pulumi resource names: the update fails with AlreadyExists, and forcing it
        # deletes the old CRDs, and with them the Installation and every Calico object.
        raise ConfigError(
            "calicoVersion",
            new,
            f"crosses the v3.32 CRD move from the deployed {old}; an in-place update would"
            " delete every Calico CRD and object",
            f"a v{before[0]}.{before[1]}.x release >= {old}, or follow README"
            ' "Upgrades: Calico v3.31 to v3.32"',
        )


def check_owner(settings: StackSettings, deployed: Mapping[str, str], stack: str) -> None:
    """Refuse a cluster of the same name that another stack (or no stack of this project)
    made: its record tags are not this stack's, and the update would take it over. Every run
    tags the cluster `project` and `stack` (`__main__.py`, `EksCalicoCluster`)."""
    owner = (deployed.get("project"), deployed.get("stack"))
    if owner != (NAMESPACE, stack):
        raise ConfigError(
            "clusterName",
            settings.cluster_name,
            f"a cluster named {settings.cluster_name} exists and belongs to another stack"
            f" (tags project={owner[0]}, stack={owner[1]}; this is project={NAMESPACE},"
            f" stack={stack})",
            "a cluster name no other cluster in this account and region has",
        )


def check_kubernetes_upgrade(settings: StackSettings, deployed_version: str) -> None:
    """EKS upgrades a control plane one minor version at a time and never downgrades it
    (EKS User Guide, "Update existing cluster to new Kubernetes version")."""
    new = settings.kubernetes_version
    if not _K8S_VERSION.fullmatch(deployed_version) or new == deployed_version:
        return
    (old_major, old_minor), (major, minor) = (
        tuple(int(p) for p in v.split(".")) for v in (deployed_version, new)
    )
    following = f"{old_major}.{old_minor + 1}"
    accepted = f"{deployed_version}, or {following} (one minor version per update)"
    if (major, minor) < (old_major, old_minor):
        raise ConfigError(
            "kubernetesVersion",
            new,
            f"is older than the deployed {deployed_version}; EKS cannot downgrade a cluster",
            accepted,
        )
    if (major, minor) != (old_major, old_minor + 1):
        raise ConfigError(
            "kubernetesVersion",
            new,
            f"skips minor versions from the deployed {deployed_version}; EKS upgrades one"
            " minor version at a time",
            accepted,
        )


def _check_calico_off(deployed: Mapping[str, str]) -> None:
    """`calico: false` removes every Calico object in one update, while kube-proxy (parked by
    Calico eBPF) comes back only once Calico is gone: from `bpf`, Services would have no proxy
    in between. Only a cluster already on iptables with kube-proxy enabled (or already without
    Calico) takes it; README "Reproduce the benchmark" goes bpf -> iptables + enabled -> false."""
    if not any(DEPLOYED_TAGS[k] in deployed for k in ("kubeProxy", "calicoVersion", "dataplane")):
        return  # a cluster from before the tags: nothing recorded, nothing checked
    mode = deployed.get(DEPLOYED_TAGS["kubeProxy"], "unrecorded")
    dataplane = deployed.get(DEPLOYED_TAGS["dataplane"], "unrecorded")
    if mode == KubeProxyMode.ENABLED.value and dataplane in (Dataplane.IPTABLES.value, NO_CALICO):
        return
    raise ConfigError(
        "calico",
        False,
        f"cannot remove Calico straight from the deployed dataplane {dataplane} with kubeProxy"
        f" {mode}: Calico would be torn down before kube-proxy serves Services again",
        "first one `pulumi up` with dataplane iptables and kubeProxy enabled, then calico false",
    )


def _version_tuple(version: str) -> tuple[int, int, int]:
    m = _CALICO_VERSION.fullmatch(version)
    assert m is not None
    major, minor, patch = (int(g) for g in m.groups())
    return major, minor, patch


def caller_principal(caller_arn: str) -> str:
    """The IAM principal behind a caller identity: an STS assumed-role session maps to its role
    (path unknown), an IAM user to itself."""
    m = re.match(r"^arn:(aws[-a-z]*):sts::(\d{12}):assumed-role/([^/]+)/", caller_arn)
    if m:
        return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"
    return caller_arn


def check_admin_principals(settings: StackSettings, creator_arn: str) -> None:
    """Refuse an `adminPrincipalArns` entry that is the cluster's creator (the identity running
    the first deploy): pulumi-eks always sets bootstrapClusterCreatorAdminPermissions, so EKS
    already made that principal's access entry, and a second one fails with
    ResourceInUseException (AWS CreateAccessEntry: one entry per principal)."""
    caller = caller_principal(creator_arn)
    kind, _, caller_name = caller.split(":", 5)[5].partition("/")
    account = caller.split(":")[4]
    for arn in settings.admin_principal_arns:
        entry_kind, _, path_name = arn.split(":", 5)[5].partition("/")
        same = (
            arn.split(":")[4] == account
            and entry_kind == kind
            and path_name.rsplit("/", 1)[-1] == caller_name
        )
        if same:
            raise ConfigError(
                "adminPrincipalArns",
                arn,
                "is the identity that creates the cluster, which EKS already makes cluster-admin"
                " (a second access entry for it fails)",
                "other principals only; remove this one",
            )


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
