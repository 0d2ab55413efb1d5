"""`LoadBalancerController`: the AWS Load Balancer Controller (LBC), with its own IAM role.

Creates the controller's IAM policy (upstream's reference document, with the statements that
upstream scopes by tag or leaves open on security-group ingress narrowed to this cluster and VPC
as upstream's install guide recommends; the rest stay as upstream: see `scoped_iam_policy` and
README "Controller"), an IRSA role that only the
`kube-system/aws-load-balancer-controller` service account can assume, and the
`aws-load-balancer-controller` Helm chart (pinned) running under that service account. The LBC
then turns `type: LoadBalancer` Services annotated for it (`NlbService`) into NLBs.

IAM policy provenance: `aws_lbc_iam_policy.json` beside this module (the template the scoped
policy is rendered from) is a byte-for-byte copy of
kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at tag v3.5.0
(commit 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4), the chart release below; a test compares it
with the vendored upstream copy in `upstream/aws-lbc/` (see `upstream/SOURCE.md`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..eks._policies import irsa_trust_policy

# eks/aws-load-balancer-controller chart 3.5.0 = appVersion v3.5.0 (numbering jumped from 1.17.x
# to 3.x, aws/eks-charts#1312). The IAM policy file must come from the same release.
CHART_NAME = "aws-load-balancer-controller"
CHART_VERSION = "3.5.0"
CHART_REPO = "https://aws.github.io/eks-charts"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
RELEASE_NAME = "aws-load-balancer-controller"
"""Helm release name: the chart names its Deployment, webhook Service and certificate Secret
after it (`_helpers.tpl` fullname), so they match the upstream install docs."""
REPLICAS = 2

IAM_POLICY_FILE = Path(__file__).with_name("aws_lbc_iam_policy.json")
# Upstream ships one policy file per partition (iam_policy_cn.json, iam_policy_us-gov.json, …);
# this one hard-codes `arn:aws:` resources.
IAM_POLICY_PARTITION = "aws"


@dataclass(frozen=True, kw_only=True)
class LoadBalancerControllerArgs:
    cluster_name: str
    """EKS cluster name (chart value `clusterName`, required by the chart)."""
    region: str
    """AWS region (chart value `region`): the controller does not ask IMDS for it."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster (chart value `vpcId`): the controller does not ask IMDS for it."""
    oidc_provider_arn: pulumi.Input[str]
    """ARN of the cluster's IAM OIDC provider (IRSA)."""
    oidc_issuer: pulumi.Input[str]
    """Issuer host/path without scheme, as used in IRSA condition keys."""
    partition: pulumi.Input[str] = "aws"
    """AWS partition; only `aws` is accepted, the policy file is the commercial one."""
    provider: pulumi.ProviderResource
    """Kubernetes provider of the cluster the chart is installed into."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the IAM policy and role, and on every AWS resource the controller creates."""
    wait_for: Sequence[pulumi.Resource] = ()
    """What the chart waits on: nodes and a ready pod network (Calico) for its pods."""


def iam_policy_document(partition: str = IAM_POLICY_PARTITION) -> str:
    """The upstream policy document, exactly as committed (AWS ignores the whitespace)."""
    if partition != IAM_POLICY_PARTITION:
        raise ValueError(
            f"partition: {partition!r} is not supported; the AWS Load Balancer Controller policy "
            "shipped here is upstream's commercial-partition file (arn:aws:...)"
        )
    return IAM_POLICY_FILE.read_text()


# The tag the controller puts on every load balancer, target group and security group it
# creates, with the value of its `--cluster-name` (pkg/deploy/tracking/provider.go StackTags,
# shared_constants.TagKeyK8sCluster, v3.5.0).
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
_SG_INGRESS = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]


def scoped_iam_policy(
    *, partition: str, region: str, account_id: str, vpc_id: str, cluster_name: str
) -> dict[str, Any]:
    """Upstream's policy with conditions added, nothing else changed:

    - the one statement upstream leaves unconditioned on security-group ingress (the controller
      adds rules to the node security group, which it does not tag) gets `ec2:Vpc` = this VPC,
      as docs/deploy/installation.md (v3.5.0, "Option A") recommends;
    - every statement that only checks that the controller's cluster tag exists (`Null` on
      `aws:ResourceTag/` or `aws:RequestTag/elbv2.k8s.aws/cluster` = "false") also requires its
      value to be this cluster's name, so the controller of another cluster in the account can
      neither create resources claiming this cluster nor modify or delete this cluster's ones.
    """
    document = cast(dict[str, Any], json.loads(iam_policy_document(partition)))
    vpc_arn = f"arn:{partition}:ec2:{region}:{account_id}:vpc/{vpc_id}"
    for statement in document["Statement"]:
        condition = statement.get("Condition")
        if condition is None and statement["Action"] == _SG_INGRESS:
            statement["Condition"] = {"ArnEquals": {"ec2:Vpc": vpc_arn}}
            continue
        present = condition.get("Null", {}) if condition else {}
        for scope in ("aws:ResourceTag", "aws:RequestTag"):
            key = f"{scope}/{CLUSTER_TAG}"
            if present.get(key) == "false":
                condition.setdefault("StringEquals", {})[key] = cluster_name
    return document


# IAM managed policies: at most 6,144 characters, whitespace not counted (IAM quotas,
# "Managed policy size").
MAX_POLICY_CHARS = 6144


def check_policy_size(cluster_name: str, region: str) -> None:
    """Fail before deploying when the cluster name makes the scoped policy too long for IAM
    (the name appears in it seven times); VPC and account IDs have fixed lengths."""
    document = scoped_iam_policy(
        partition=IAM_POLICY_PARTITION,
        region=region,
        account_id="0" * 12,
        vpc_id="vpc-" + "0" * 17,
        cluster_name=cluster_name,
    )
    size = len(json.dumps(document, separators=(",", ":")))
    if size > MAX_POLICY_CHARS:
        raise ValueError(
            f"cluster_name: {cluster_name!r} makes the load balancer controller's IAM policy "
            f"{size} characters long; IAM accepts {MAX_POLICY_CHARS} (use a shorter name)"
        )


def chart_values(
    *,
    cluster_name: str,
    region: str,
    vpc_id: pulumi.Input[str],
    role_arn: pulumi.Input[str],
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """Values for the aws-load-balancer-controller chart (keys from its values.yaml, v3.5.0)."""
    return {
        "clusterName": cluster_name,
        # Nodes set the IMDS hop limit to 1, so pods cannot learn region and VPC from instance
        # metadata; without both values the controller fails at start-up
        # (kubernetes-sigs/aws-load-balancer-controller#3695).
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": REPLICAS,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        # helm/aws-load-balancer-controller/values.yaml: `podDisruptionBudget: {}` is copied into
        # the PDB spec (templates/pdb.yaml), which the chart renders only when replicaCount > 1.
        # One replica at a time may go, so a node drain never stops the webhooks entirely.
        "podDisruptionBudget": {"maxUnavailable": 1},
        # The VPC CNI gives pods VPC addresses the EKS control plane reaches, so the webhooks
        # work on the pod network; hostNetwork is only for overlay CNIs (values.yaml comment).
        "hostNetwork": False,
        # Off: the service mutator (webhooks/core/service_mutator.go) stamps
        # `loadBalancerClass: service.k8s.aws/nlb` on every new LoadBalancer Service in the
        # cluster, whatever its annotations, taking Services meant for the in-tree controller;
        # and with its default failurePolicy Fail it blocks every LoadBalancer Service creation
        # while the controller is down. NlbService hands its Service to the LBC explicitly with
        # `aws-load-balancer-type: external` + `nlb-target-type` (docs/guide/service/nlb.md).
        "enableServiceMutatorWebhook": False,
        # Tags on the NLBs, target groups and security groups the controller creates.
        "defaultTags": dict(tags),
        # Stable on the second run: templates/_helpers.tpl `webhookCerts` makes a new CA and
        # serving certificate (genCA/genSignedCert) on every render unless `webhookTLS` is set or
        # `keepTLSSecret` is on and `lookup` finds the existing `aws-load-balancer-tls` Secret.
        # pulumi-kubernetes renders helm.v4.Chart with `--dry-run=server`
        # (provider/pkg/provider/helm/v4/chart.go), so `lookup` reads the live cluster: the first
        # `pulumi up` generates the certificate, later ones reuse it and show no diff in the
        # Secret or the webhooks' caBundle. Chosen over `webhookTLS` from pulumi-tls because it
        # needs no second provider and no private key in Pulumi state beside the chart's own.
        # Offline (no cluster, `lookup` returns nothing) every render still generates a new one.
        "keepTLSSecret": True,
        # Requests and limits of upstream's own install bundle (config/controller/controller.yaml,
        # v3.5.0), which docs/deploy/scaling.md calls enough for "99.9% of use-cases" with the
        # default 3 reconcile threads per kind; the chart leaves `resources` empty on purpose.
        "resources": {
            "requests": {"cpu": "100m", "memory": "200Mi"},
            "limits": {"cpu": "200m", "memory": "500Mi"},
        },
        # Helm merges these over the chart's defaults (values.yaml: fsGroup 65534; read-only root,
        # non-root, no privilege escalation), restated so the pod's whole security context reads
        # here and survives a chart release that drops a default. Added: every capability
        # dropped (the chart's own commented-out suggestion; the controller only calls APIs and
        # listens on ports above 1024) and the runtime's default seccomp profile, as the
        # `restricted` Pod Security Standard requires.
        "podSecurityContext": {"fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
        },
    }


class LoadBalancerController(pulumi.ComponentResource):
    chart: k8s.helm.v4.Chart
    """The controller's chart; NLB Services depend on it (and so are deleted before it, while the
    controller can still remove their NLBs and its `service.k8s.aws/resources` finalizer)."""
    role_arn: pulumi.Output[str]
    """ARN of the controller's IRSA role."""

    def __init__(
        self,
        name: str,
        args: LoadBalancerControllerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        check_policy_size(args.cluster_name, args.region)
        super().__init__("eks-calico-ebpf:index:LoadBalancerController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"AWS Load Balancer Controller of {args.cluster_name}",
            policy=pulumi.Output.all(args.partition, identity.account_id, args.vpc_id).apply(
                lambda a: json.dumps(
                    scoped_iam_policy(
                        partition=a[0],
                        region=args.region,
                        account_id=a[1],
                        vpc_id=a[2],
                        cluster_name=args.cluster_name,
                    ),
                    indent=2,
                )
            ),
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"IRSA role of {NAMESPACE}/{SERVICE_ACCOUNT} in {args.cluster_name}",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
                lambda o: json.dumps(irsa_trust_policy(o[0], o[1], NAMESPACE, SERVICE_ACCOUNT))
            ),
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-policy", role=role.name, policy_arn=policy.arn, opts=child
        )

        # Its webhook certificate is kept across updates by chart value `keepTLSSecret` (see
        # chart_values).
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            name=RELEASE_NAME,
            chart=CHART_NAME,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=CHART_REPO),
            values=chart_values(
                cluster_name=args.cluster_name,
                region=args.region,
                vpc_id=args.vpc_id,
                role_arn=role.arn,
                tags=tags,
            ),
            # The role must carry its permissions before the controller starts reconciling.
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[attachment, *args.wait_for]
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
