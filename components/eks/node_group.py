"""`BottlerocketNodeGroup`: one EKS managed node group of Bottlerocket nodes.

Creates the node IAM role (only what nodes need), a launch template (IMDSv2 with hop limit 1,
encrypted volumes, Bottlerocket settings TOML, optional cluster placement group) and the
`eks.ManagedNodeGroup` itself, in the private subnets it is given.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from .. import defaults
from ._bottlerocket import ami_type, render_user_data

# EKS node group taint effects, keyed by their Kubernetes spelling (what users write).
TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}

# Node role: what the kubelet and image pulls need. The VPC CNI's permissions
# (AmazonEKS_CNI_Policy) sit on the aws-node service account's own IRSA role (EksCluster), not
# here: AWS EKS Best Practices, IAM, "Update the aws-node daemonset to use IRSA".
NODE_ROLE_POLICIES = {
    "worker": "AmazonEKSWorkerNodePolicy",
    "ecr": "AmazonEC2ContainerRegistryReadOnly",
}
# Bottlerocket's control container runs the SSM agent, the break-glass way in without SSH. A
# Session Manager session needs only these (the same five actions as the AWS managed policy
# AWSCloud9SSMInstanceProfile, "Session Manager only"); AmazonSSMManagedInstanceCore would also
# let every node read every SSM parameter and document of the account (ssm:GetParameter*,
# ssm:GetDocument on "*"). The actions have no resource-level scoping beyond the instance itself.
SSM_SESSION_ACTIONS = (
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def ssm_session_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SessionManagerOnly",
                "Effect": "Allow",
                "Action": list(SSM_SESSION_ACTIONS),
                "Resource": "*",
            }
        ],
    }


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str
    """Kubernetes spelling: NoSchedule, NoExecute or PreferNoSchedule."""


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """What a node group looks like, in the user's words (stack config `nodeGroups.<name>`)."""

    instance_types: tuple[str, ...] = defaults.INSTANCE_TYPES
    min_size: int = defaults.MIN_SIZE
    desired_size: int = defaults.DESIRED_SIZE
    max_size: int = defaults.MAX_SIZE
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    disk_size_gib: int = defaults.DISK_SIZE_GIB
    """Size of Bottlerocket's data volume (/dev/xvdb: images, pod ephemeral storage)."""
    availability_zones: tuple[str, ...] | None = None
    """AZs the group spans; None means every cluster AZ."""
    placement_group: bool = False
    """Put all nodes in one cluster placement group (needs exactly one AZ). Outside one, a
    single flow between EC2 instances is capped near 5 Gbps."""
    bottlerocket_settings: Mapping[str, Any] = field(default_factory=dict)
    """Extra Bottlerocket settings, `{"settings": {...}}`, merged over the base settings."""
    release_version: str | None = None
    """EKS AMI release of Bottlerocket, `VERSION-COMMIT` (e.g. `1.47.0-6154605b`). Pinned, nodes
    change only when it does. None: EKS takes the newest release for the Kubernetes version at
    creation and again on every update of the group (launch template, version)."""


@dataclass(frozen=True, kw_only=True)
class BottlerocketNodeGroupArgs:
    cluster: eks.Cluster
    cluster_name: str
    group_name: str
    """Key of the group in `nodeGroups`; the EKS node group is named `<group>-<unique suffix>`."""
    kubernetes_version: str
    """Pinned: with a custom launch template pulumi-eks does not fill it in from the cluster."""
    spec: NodeGroupSpec
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets of the group's AZs."""
    partition: pulumi.Input[str] = "aws"
    wait_for: Sequence[pulumi.Resource] = ()
    """Resources the node group must wait on (the vpc-cni add-on: nodes only turn Ready once
    aws-node runs; terraform-aws-eks marks it `before_compute` for the same reason)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    ssm_access: bool = defaults.NODE_SSM_ACCESS
    """Let the nodes' SSM agent (Bottlerocket control container) open Session Manager sessions,
    and nothing else of SSM. Off: the control container is turned off too (and may not be turned
    on in `bottlerocket_settings`); there is no way into a node."""


def launch_template_block_devices(
    disk_size_gib: int,
) -> list[aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    """Both Bottlerocket volumes encrypted: /dev/xvda (OS, size from the AMI) and /dev/xvdb
    (data). Device names: pulumi-eks nodejs/eks/nodes/nodegroup.ts, bottlerocket#1563."""
    ebs = aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs
    return [
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda",
            ebs=ebs(encrypted="true", volume_type="gp3", delete_on_termination="true"),
        ),
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvdb",
            ebs=ebs(
                encrypted="true",
                volume_type="gp3",
                volume_size=disk_size_gib,
                delete_on_termination="true",
            ),
        ),
    ]


class BottlerocketNodeGroup(pulumi.ComponentResource):
    node_group_name_prefix: str
    """Start of the physical EKS node group name (`<group>-`); the provider adds a unique
    suffix."""
    role_arn: pulumi.Output[str]
    """ARN of the node IAM role."""
    placement_group_name: pulumi.Output[str] | None
    """Name of the cluster placement group, when one was asked for."""

    def __init__(
        self, name: str, args: BottlerocketNodeGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-calico-ebpf:index:BottlerocketNodeGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        tags = dict(args.tags)

        role = aws.iam.Role(
            f"{name}-node",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=tags,
            opts=child,
        )
        for key, policy in NODE_ROLE_POLICIES.items():
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{key}",
                role=role.name,
                policy_arn=pulumi.Output.concat(
                    "arn:", args.partition, ":iam::aws:policy/", policy
                ),
                opts=child,
            )
        if args.ssm_access:
            aws.iam.RolePolicy(
                f"{name}-node-ssm",
                role=role.name,
                policy=json.dumps(ssm_session_policy()),
                opts=child,
            )

        placement: aws.ec2.LaunchTemplatePlacementArgs | None = None
        self.placement_group_name = None
        if spec.placement_group:
            pg = aws.ec2.PlacementGroup(f"{name}-pg", strategy="cluster", tags=tags, opts=child)
            self.placement_group_name = pg.name
            placement = aws.ec2.LaunchTemplatePlacementArgs(group_name=pg.name)

        user_data = render_user_data(spec.bottlerocket_settings, ssm_access=args.ssm_access)
        lt = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Bottlerocket nodes of {args.cluster_name}/{name}",
            # No image_id: EKS then keeps amiType/version management and merges this TOML with
            # its own bootstrap settings (EKS user guide, launch-templates.html).
            user_data=base64.b64encode(user_data.encode()).decode(),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # Hop limit 1: pods on the pod network cannot reach IMDS and the node role's
                # credentials; hostNetwork pods (aws-node, calico-node) still can. The AWS Load
                # Balancer Controller gets region and VPC ID as chart values instead.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=launch_template_block_devices(spec.disk_size_gib),
            placement=placement,
            # No vpc_security_group_ids: EKS then attaches the cluster security group, whose
            # self-referencing all-traffic rule carries node-to-node VXLAN (UDP 4789), Typha
            # (TCP 5473) and pod traffic (EKS user guide, sec-group-reqs.html).
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=t, tags=tags)
                for t in ("instance", "volume")
            ]
            if tags
            else None,
            tags=tags,
            opts=child,
        )

        # A name prefix, not a name: `nodeGroupName` is an auto-name field in pulumi-aws, and an
        # explicitly named resource is replaced delete-first (pulumi/pulumi-terraform#465), so a
        # change of instance types, AZs or AMI type would remove every node before new ones
        # boot. With a prefix the replacement group is created first, under a fresh suffix.
        # Group names are unique per cluster, so the cluster name is not repeated in it.
        self.node_group_name_prefix = f"{args.group_name}-"
        if spec.release_version is None:
            pulumi.log.warn(
                f"node group {args.group_name}: releaseVersion is not set, so EKS takes the newest"
                " Bottlerocket release when the group is created and on every update of it;"
                " pin a tested one (README: Upgrades)",
                resource=self,
            )
        eks.ManagedNodeGroup(
            name,
            cluster=args.cluster,
            node_group_name_prefix=self.node_group_name_prefix,
            node_role=role,
            ami_type=ami_type(spec.instance_types),
            version=args.kubernetes_version,
            release_version=spec.release_version,
            capacity_type="ON_DEMAND",
            instance_types=list(spec.instance_types),
            subnet_ids=list(args.subnet_ids),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            labels=dict(spec.labels),
            taints=[
                aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=TAINT_EFFECTS[t.effect])
                for t in spec.taints
            ],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=lt.id, version=lt.latest_version.apply(str)
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster, *args.wait_for]),
        )
        self.role_arn = role.arn
        self.register_outputs(
            {"role_arn": self.role_arn, "node_group_name_prefix": self.node_group_name_prefix}
        )
