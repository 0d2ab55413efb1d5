"""`EksCalicoCluster`: the whole architecture as one component, for every Pulumi language.

VPC → EKS → Bottlerocket node groups → Calico eBPF → optional AWS Load Balancer Controller and
NLB demo, from the same settings as the stack config (`Pulumi.yaml`), under one parent. It is
what `provider/` hosts as a source-based Pulumi plugin: TypeScript, Go, .NET, Java and YAML
programs get it through `pulumi package add`, with inputs and outputs from the schema Pulumi
infers from the annotations below.

Inputs are plain values (not `pulumi.Input`): the architecture branches on them while it is
built. They are validated by `parse_settings`, so a bad value fails with the same one-line
message as in stack config, before any resource is registered.

One per stack: its children carry the program's names (`vpc`, `eks`, ...), so two of them in
one stack would clash on URNs, as their default cluster names (`eks-calico-ebpf-<stack>`) would.
"""

# No `from __future__ import annotations` in this module: Pulumi's schema analyzer (Python SDK
# 3.272) reads the annotations below as objects and fails on strings. For the same reason the
# args are TypedDicts (a dataclass would arrive as a dict and have its defaulted fields listed as
# required), collections are lists and dicts (the analyzer rejects tuples and unions), and
# CIDRs are strings (an IPv4Network would silently become an empty object type).

import re
from collections.abc import Mapping
from enum import Enum
from typing import (
    Any,
    NotRequired,
    Required,
    TypedDict,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import pulumi

from .composition import compose, exports
from .config import StackSettings, config_warnings, parse_settings, resource_tags
from .deployed import cluster_record
from .errors import NAMESPACE, ConfigError
from .options import (
    Dataplane,
    KubeProxyMode,
    LoadBalancerController,
    LoadBalancerScheme,
    NatStrategy,
)

TYPE = f"{NAMESPACE}:index:EksCalicoCluster"

# Inputs that are not stack-config keys of the project (every other input is one, named alike).
REGION = "region"
TAGS = "tags"


class NodeGroupTaint(TypedDict):
    """A Kubernetes taint on every node of the group."""

    key: str
    """Taint key."""
    value: NotRequired[str]
    """Taint value; default empty."""
    effect: NotRequired[str]
    """NoSchedule (default), NoExecute or PreferNoSchedule."""


class NodeGroup(TypedDict, total=False):
    """One Bottlerocket managed node group (stack config `nodeGroups.<name>`)."""

    instance_types: Required[list[str]]
    """EC2 instance types, one architecture, e.g. ["c5n.metal"]."""
    min_size: int
    """Minimum node count; default 2."""
    desired_size: int
    """Desired node count; default 2, clamped into min..max."""
    max_size: int
    """Maximum node count; default 2."""
    labels: dict[str, str]
    """Kubernetes labels on every node."""
    taints: list[NodeGroupTaint]
    """Kubernetes taints on every node."""
    disk_size_gi_b: int  # camelCase diskSizeGiB, the config key's spelling
    """Bottlerocket data volume (/dev/xvdb) in GiB, 20-16384; default 50."""
    availability_zones: list[str]
    """Subset of the cluster's AZs; default all of them."""
    placement_group: bool
    """Put the nodes in one cluster placement group (needs exactly one AZ)."""
    bottlerocket_settings: dict[str, Any]
    """Extra Bottlerocket settings, {"settings": {...}}, merged into the node's TOML."""
    release_version: str
    """Bottlerocket release the nodes run, <version>-<commit> (e.g. 1.47.0-6154605b); unset:
    the newest when the group is created or updated."""


class EksCalicoClusterArgs(TypedDict, total=False):
    """The stack config of `Pulumi.yaml`, one input per key, plus `region` and `tags`."""

    region: Required[str]
    """AWS region of the cluster; must be the region of the AWS provider (aws:region)."""
    availability_zones: Required[list[str]]
    """AZ names (at least 2) in the region."""
    tags: dict[str, str]
    """Tags added to every taggable resource, besides project, stack and cluster (which cannot
    be replaced); AWS limits: keys 1-128 chars, not aws:*, values 0-256 chars, at most 43."""
    cluster_name: str
    """EKS cluster name; default eks-calico-ebpf-<stack>."""
    vpc_cidr: str
    """IPv4 CIDR of the VPC, /16 to /20 (private range); default 10.0.0.0/16."""
    nat_gateways: NatStrategy
    """NAT gateway per AZ (default) or a single one."""
    kubernetes_version: str
    """EKS Kubernetes minor version, e.g. 1.35."""
    service_cidr: str
    """Kubernetes Service CIDR (creation-time); default 172.20.0.0/16."""
    public_access_cidrs: list[str]
    """CIDRs allowed to reach the public API endpoint; empty (default) = private only, accepted
    only with deployInsideVpc."""
    deploy_inside_vpc: bool
    """Pulumi runs inside the VPC (allows an empty publicAccessCidrs); default false."""
    node_ssm_access: bool
    """Nodes may open SSM Session Manager sessions (five actions, nothing else); false also
    turns the Bottlerocket control container (the SSM agent) off. Default true."""
    vpc_flow_logs: bool
    """VPC flow logs to a KMS-encrypted CloudWatch log group; default true."""
    vpc_flow_log_retention_days: int
    """Retention of the VPC flow log group (a CloudWatch Logs value); default 365."""
    calico: bool
    """Install Calico; false = plain EKS (VPC CNI + kube-proxy, needs kubeProxy enabled), the
    benchmark's baseline. Default true."""
    admin_principal_arns: list[str]
    """IAM role/user ARNs given cluster-admin through EKS access entries."""
    log_retention_days: int
    """Retention of the control-plane log group (a CloudWatch Logs value); default 365."""
    node_groups: dict[str, NodeGroup]
    """Node group name -> settings; default one group "metal" of 2 x c5n.metal."""
    calico_version: str
    """Calico release (tigera-operator chart version), v3.31.3 or later."""
    dataplane: Dataplane
    """Calico Linux dataplane; default bpf."""
    kube_proxy: KubeProxyMode
    """What happens to kube-proxy; default disabled."""
    load_balancer_controller: LoadBalancerController
    """Which controller turns a LoadBalancer Service into an NLB; default aws."""
    load_balancer_scheme: LoadBalancerScheme
    """NLB scheme; default internet-facing."""
    allowed_client_cidrs: list[str]
    """Client networks admitted through the NLB; required with demoApp."""
    demo_app: bool
    """Deploy the client-IP echo demo behind an NLB; default false."""
    demo_app_port: int
    """Port the demo's NLB listens on; default 80."""


def config_key(name: str) -> str:
    """The stack-config key (and schema name) of a Python field: Pulumi's camelCasing."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _wire(value: Any) -> Any:
    """A value as stack config holds it: enums as their strings, and whole floats as ints
    (every number crosses the wire as a float; no setting of this project is fractional)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _as_config(value: Any, hint: Any) -> Any:
    """`value`, typed `hint` in the args, as stack config holds it: the fields of TypedDicts
    renamed to their config keys (`min_size` → `minSize`), the keys of plain maps (group names,
    labels, Bottlerocket settings) left as the user wrote them."""
    if is_typeddict(hint) and isinstance(value, Mapping):
        fields = get_type_hints(hint)
        return {
            config_key(k): _as_config(v, fields.get(k, Any))
            for k, v in value.items()
            if v is not None
        }
    origin, params = get_origin(hint), get_args(hint)
    if origin is dict and isinstance(value, Mapping):
        return {k: _as_config(v, params[1]) for k, v in value.items()}
    if origin is list and isinstance(value, list):
        return [_as_config(v, params[0]) for v in value]
    return _wire(value)


def stack_config(args: Mapping[str, Any]) -> dict[str, Any]:
    """The facade's inputs as raw stack config (project keys, no namespace) for parse_settings.

    Driven by the annotations, so a new config key only needs its field in
    EksCalicoClusterArgs (an object-valued one: a TypedDict, or a dict to pass keys through).
    """
    config = {k: v for k, v in args.items() if k not in (REGION, TAGS)}
    converted: dict[str, Any] = _as_config(config, EksCalicoClusterArgs)
    return converted


def settings_from_args(args: Mapping[str, Any], stack: str) -> StackSettings:
    """Validated settings; a bad input raises the same one-line ConfigError as stack config."""
    return parse_settings(stack_config(args), region=args.get(REGION), stack=stack)


class EksCalicoCluster(pulumi.ComponentResource):
    """EKS on Bottlerocket with Calico's eBPF dataplane on the Amazon VPC CNI: VPC, cluster,
    node groups, Calico, and optionally the AWS Load Balancer Controller and an NLB demo that
    keeps client source IPs."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    vpc_cidr: pulumi.Output[str]
    """IPv4 CIDR of the VPC."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnet IDs (the nodes' subnets), in AZ order."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnet IDs, in AZ order."""
    cluster_name: pulumi.Output[str]
    """EKS cluster name."""
    cluster_endpoint: pulumi.Output[str]
    """Kubernetes API endpoint URL."""
    cluster_security_group_id: pulumi.Output[str]
    """Security group EKS created for the cluster and attached to the managed nodes."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig JSON (uses `aws eks get-token`); secret."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the cluster's IAM OIDC provider (IRSA)."""
    oidc_issuer_url: pulumi.Output[str]
    """OIDC issuer URL of the cluster."""
    node_group_name_prefixes: pulumi.Output[list[str]]
    """Start of each EKS node group's name (`<group>-`; EKS adds a unique suffix)."""
    node_role_arns: pulumi.Output[dict[str, str]]
    """Node IAM role ARN per node group name."""
    calico_dataplane: pulumi.Output[str]
    """Calico dataplane in use: bpf or iptables; none with calico false."""
    kube_proxy: pulumi.Output[str]
    """kube-proxy mode: disabled, absent or enabled."""
    demo_nlb_hostname: pulumi.Output[str] | None
    """DNS name of the demo's NLB (demoApp only)."""
    demo_url: pulumi.Output[str] | None
    """URL that answers with the client address the pod saw (demoApp only)."""

    def __init__(
        self,
        name: str,
        args: EksCalicoClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        try:
            settings = settings_from_args(args, pulumi.get_stack())
            extra_tags = resource_tags(args.get(TAGS))
        except ConfigError as exc:
            # Raised afresh: other languages show the message with this frame only, instead of
            # a walk through the validator.
            raise exc.with_traceback(None) from None
        super().__init__(TYPE, name, None, opts)
        for warning in config_warnings(settings):
            pulumi.log.warn(warning, resource=self)
        tags = {
            "project": NAMESPACE,
            "stack": pulumi.get_stack(),
            "cluster": settings.cluster_name,
            **extra_tags,
        }
        try:
            # parent=self: the invokes go through the provider this component was given (its
            # account and region), not the program's default one.
            record = cluster_record(settings, pulumi.InvokeOptions(parent=self))
        except ConfigError as exc:
            raise exc.with_traceback(None) from None
        outputs = exports(settings, compose(settings, tags, parent=self, cluster_tags=record))
        self.demo_nlb_hostname = self.demo_url = None
        for key, value in outputs.items():
            setattr(self, _python_name(key), pulumi.Output.from_input(value))
        self.register_outputs(outputs)


def _python_name(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
