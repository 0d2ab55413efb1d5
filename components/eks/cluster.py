"""`EksCluster`: the EKS control plane and what every later component plugs into.

Creates a KMS key (rotation on) for secrets envelope encryption and the control-plane log
group, the `eks.Cluster` (pinned version, API authentication with access entries, private
endpoint, public endpoint only for listed CIDRs, all control-plane logs, OIDC provider, no
default node group), the managed `vpc-cni` add-on with its own IRSA role, and one Kubernetes
provider built from the cluster's kubeconfig for later components.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .. import defaults
from .._allowlist import allowlist_problem
from .._net import ipv4_network
from ..options import KubeProxyMode
from ._policies import irsa_trust_policy, secrets_key_policy

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    cluster_name: str
    """Physical EKS cluster name (also used in subnet tags, add-ons and controller values)."""
    region: str
    kubernetes_version: str = defaults.KUBERNETES_VERSION
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    service_cidr: IPv4Network = IPv4Network(defaults.SERVICE_CIDR)
    public_access_cidrs: Sequence[str] = ()
    """Who may reach the public API endpoint; empty turns the public endpoint off."""
    admin_principal_arns: Sequence[str] = ()
    """IAM roles/users given cluster-admin through access entries."""
    kube_proxy: KubeProxyMode = defaults.KUBE_PROXY
    """Decides whether EKS bootstraps kube-proxy (and its siblings) at creation."""
    vpc_cni_configuration: Mapping[str, Any] = field(default_factory=dict)
    """`configurationValues` for the vpc-cni add-on (what Calico needs of the VPC CNI)."""
    log_retention_days: int = defaults.LOG_RETENTION_DAYS
    tags: Mapping[str, str] = field(default_factory=dict)
    cluster_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the EKS cluster alone; the program records what it deployed there (see
    `components.deployed`), so the next run can refuse changes that cannot be applied."""
    wait_for: Sequence[pulumi.Resource] = ()
    """What the cluster (and so everything on it) waits on, and outlives on destroy: the VPC's
    egress path, which nodes and controllers need while they are being deleted."""
    flow_log_group_name: str | None = None
    """Log group of the VPC flow logs, which the cluster's key also encrypts; None: no flow
    logs, CloudWatch Logs may use the key for the control-plane group only."""


def access_entry_key(principal_arn: str) -> str:
    """Stable, readable key for a principal: `role-Admin`, `user-alice`."""
    resource = principal_arn.split(":", 5)[5]  # role/path/Name or user/Name
    kind, _, rest = resource.partition("/")
    return f"{kind}-{re.sub(r'[^A-Za-z0-9-]', '-', rest.rsplit('/', 1)[-1])}"


def check_public_access_cidrs(cidrs: Sequence[str]) -> None:
    """Raise `ValueError` (one line) unless the public endpoint can use `cidrs`: `a.b.c.d/n`
    each, judged by what they admit (`_allowlist`, as the stack config is): the whole internet
    only as exactly ["0.0.0.0/0"], no special-purpose or private ranges."""
    nets = []
    for i, cidr in enumerate(cidrs):
        try:
            nets.append(ipv4_network(cidr))
        except ValueError as exc:
            raise ValueError(f"public_access_cidrs[{i}]: {cidr!r} {exc}") from None
    problem = allowlist_problem(nets, public_endpoint=True)
    if problem is not None:
        where = "" if problem.index is None else f"[{problem.index}]"
        shown = list(cidrs) if problem.index is None else cidrs[problem.index]
        raise ValueError(
            f"public_access_cidrs{where}: {shown!r} {problem.problem}; accepted: {problem.accepted}"
        )


def endpoint_from_kubeconfig(kubeconfig: Mapping[str, Any]) -> str:
    return str(kubeconfig["clusters"][0]["cluster"]["server"])


def vpc_cni_configuration_values(
    base: Mapping[str, Any],
    cluster_endpoint: str | None = None,
    eni_tags: Mapping[str, str] | None = None,
) -> str:
    """JSON `configurationValues` for the vpc-cni add-on, keys sorted.

    `cluster_endpoint` sets `env.CLUSTER_ENDPOINT`, so aws-node reaches the API server without
    the `kubernetes` ClusterIP, which nothing serves on a cluster without kube-proxy
    (aws/amazon-vpc-cni-k8s PR #2138). `eni_tags` sets `env.ADDITIONAL_ENI_TAGS` (a JSON string,
    amazon-vpc-cni-k8s README, since v1.6.0): the ENIs aws-node creates carry the stack's tags,
    so any left behind by an interrupted destroy are found by them.
    """
    values: dict[str, Any] = json.loads(json.dumps(base))
    if cluster_endpoint is not None:
        values.setdefault("env", {})["CLUSTER_ENDPOINT"] = cluster_endpoint
    if eni_tags:
        values.setdefault("env", {})["ADDITIONAL_ENI_TAGS"] = json.dumps(
            dict(eni_tags), sort_keys=True
        )
    return json.dumps(values, sort_keys=True)


class EksCluster(pulumi.ComponentResource):
    cluster: eks.Cluster
    """The pulumi-eks cluster (node groups attach to it)."""
    cluster_name: str
    kubeconfig_json: pulumi.Output[str]
    """Kubeconfig (uses `aws eks get-token`); secret."""
    endpoint: pulumi.Output[str]
    """API endpoint URL, `https://<id>.gr7.<region>.eks.amazonaws.com`."""
    endpoint_host: pulumi.Output[str]
    """API endpoint host name without scheme."""
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    """Issuer host/path without scheme, as used in IRSA condition keys."""
    oidc_issuer_url: pulumi.Output[str]
    """Issuer URL, `https://oidc.eks.<region>.amazonaws.com/id/<id>`, as OIDC clients expect."""
    cluster_security_group_id: pulumi.Output[str]
    """The security group EKS created for the cluster. EKS attaches it to the managed nodes (their
    launch template names none), so it is the group other stacks reference to admit or reach
    the nodes and pods."""
    partition: pulumi.Output[str]
    account_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    """The cluster's KMS key (secrets, control-plane logs, VPC flow logs)."""
    vpc_cni_addon: aws.eks.Addon
    """Node groups wait on it: nodes only turn Ready once aws-node runs."""
    k8s_provider: k8s.Provider
    """The Kubernetes provider later components receive."""

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_public_access_cidrs(args.public_access_cidrs)
        super().__init__("eks-calico-ebpf:index:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.cluster_name = args.cluster_name
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.partition = partition.partition
        self.account_id = identity.account_id

        log_group_name = f"/aws/eks/{args.cluster_name}/cluster"
        key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS secrets and control-plane logs of {args.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(partition.partition, identity.account_id).apply(
                lambda pa: json.dumps(
                    secrets_key_policy(
                        pa[0],
                        pa[1],
                        args.region,
                        log_group_name,
                        [args.flow_log_group_name] if args.flow_log_group_name else [],
                    )
                )
            ),
            tags=tags,
            opts=child,
        )
        self.key_arn = key.arn
        aws.kms.Alias(
            f"{name}-secrets",
            name=f"alias/eks/{args.cluster_name}",
            target_key_id=key.key_id,
            opts=child,
        )
        # Created before the cluster so EKS writes into a group with retention and encryption
        # instead of creating an unencrypted, never-expiring one.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=tags,
            opts=child,
        )

        public = bool(args.public_access_cidrs)
        if list(args.public_access_cidrs) == ["0.0.0.0/0"]:
            pulumi.log.warn(
                f"EKS API endpoint of {args.cluster_name} is open to the whole internet "
                "(publicAccessCidrs = 0.0.0.0/0)",
                resource=self,
            )
        self.cluster = eks.Cluster(
            name,
            name=args.cluster_name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            public_subnet_ids=args.public_subnet_ids,
            private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            kubernetes_service_ip_address_range=str(args.service_cidr),
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={
                access_entry_key(arn): eks.AccessEntryArgs(
                    principal_arn=arn,
                    access_policies={
                        "admin": eks.AccessPolicyAssociationArgs(
                            policy_arn=partition.partition.apply(
                                lambda p: (
                                    f"arn:{p}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"
                                )
                            ),
                            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                                type="cluster"
                            ),
                        )
                    },
                )
                for arn in args.admin_principal_arns
            },
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(args.public_access_cidrs) if public else None,
            encryption_config_key_arn=key.arn,
            enabled_cluster_log_types=list(defaults.CLUSTER_LOG_TYPES),
            create_oidc_provider=True,
            # CREATION-TIME. With True, EKS installs self-managed aws-node, kube-proxy and
            # CoreDNS when it creates the cluster; False installs none of them, the only way to
            # get a cluster that never ran kube-proxy (kubeProxy: absent). pulumi-eks puts this
            # property in ignoreChanges (nodejs/eks/cluster/cluster.ts), so changing it later is
            # silently ignored: switching to or from `absent` needs a new cluster.
            bootstrap_self_managed_addons=args.kube_proxy is not KubeProxyMode.ABSENT,
            # Never the managed kube-proxy add-on: its reconciliation would undo the park patch
            # of kubeProxy: disabled, and enabled mode keeps the bootstrapped self-managed one.
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            # Created by the component itself (below), with IRSA, Calico's settings and, without
            # kube-proxy, the real API endpoint, which a Cluster argument cannot reference.
            use_default_vpc_cni=True,
            # CoreDNS: bootstrapped by EKS, or added after the nodes (CoreDns) when absent;
            # pulumi-eks would create it before any node exists (pulumi-eks#1819).
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            cluster_tags=dict(args.cluster_tags) or None,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, *args.wait_for]),
        )

        self.kubeconfig_json = pulumi.Output.secret(self.cluster.kubeconfig_json)
        self.endpoint = self.cluster.kubeconfig.apply(endpoint_from_kubeconfig)
        self.endpoint_host = self.endpoint.apply(lambda url: url.removeprefix("https://"))
        self.oidc_provider_arn = self.cluster.oidc_provider_arn
        self.oidc_issuer = self.cluster.oidc_issuer
        self.oidc_issuer_url = pulumi.Output.concat("https://", self.oidc_issuer)
        # Read back from EKS: pulumi-eks's own `cluster_security_group_id` is the extra group it
        # creates for the control plane, not the one EKS puts on managed nodes.
        self.cluster_security_group_id = aws.eks.get_cluster_output(
            name=args.cluster_name,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[self.cluster]),
        ).vpc_config.cluster_security_group_id

        cni_role = aws.iam.Role(
            f"{name}-vpc-cni",
            assume_role_policy=pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer).apply(
                lambda o: json.dumps(irsa_trust_policy(o[0], o[1], "kube-system", "aws-node"))
            ),
            tags=tags,
            opts=child,
        )
        cni_policy = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-cni",
            role=cni_role.name,
            policy_arn=partition.partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/AmazonEKS_CNI_Policy"
            ),
            opts=child,
        )
        # Whenever kube-proxy does not run on new nodes (absent, and disabled once parked: nodes
        # added by scale-out or a node-group update never get a kube-proxy pod), aws-node must
        # not need the `kubernetes` ClusterIP to start (lifecycle review F12).
        without_kube_proxy = not args.kube_proxy.runs
        self.vpc_cni_addon = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=args.cluster_name,
            addon_name="vpc-cni",
            service_account_role_arn=cni_role.arn,
            # Adopt the bootstrapped self-managed aws-node when there is one.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            configuration_values=self.endpoint.apply(
                lambda url: vpc_cni_configuration_values(
                    args.vpc_cni_configuration, url if without_kube_proxy else None, tags
                )
            ),
            tags=tags,
            # The policy attachment too: aws-node must have EC2 permissions from its first start,
            # and keep them on destroy until the add-on (and its ENI clean-up) is gone.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, cni_policy]),
        )

        self.k8s_provider = k8s.Provider(
            name,
            kubeconfig=self.kubeconfig_json,
            # Server-side apply: Patch resources own only their fields (kube-proxy, Felix).
            enable_server_side_apply=True,
            opts=child,
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "kubeconfig_json": self.kubeconfig_json,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "cluster_security_group_id": self.cluster_security_group_id,
            }
        )
