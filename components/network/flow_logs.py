"""`VpcFlowLogs`: every accepted and rejected flow of the VPC, kept in CloudWatch Logs.

Creates a log group (KMS-encrypted with the cluster's key, with retention), an IAM role only the
VPC Flow Logs service can assume, and only for this account's flow logs, allowed to write to
that one group, and the flow log itself (all traffic of the VPC). Built after the EKS cluster
because the key lives there; the key policy lets CloudWatch Logs use it for this group only.

Day 2: turning it on for an existing stack adds these resources and one statement to the key
policy; turning it off deletes the flow log, role and group (and the logs in it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .. import defaults

# https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html: the role trusts
# vpc-flow-logs.amazonaws.com; aws:SourceAccount and aws:SourceArn guard against the confused
# deputy (another account's flow log using this role).
SERVICE = "vpc-flow-logs.amazonaws.com"
WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")


def flow_log_group_name(cluster_name: str) -> str:
    return f"/aws/vpc/{cluster_name}/flow-logs"


def flow_logs_trust_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"
                    },
                },
            }
        ],
    }


def flow_logs_write_policy(group_arn: str) -> dict[str, Any]:
    """Write to the one log group (its streams are `<group arn>:log-stream:<name>`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogGroup",
                "Effect": "Allow",
                "Action": list(WRITE_ACTIONS),
                "Resource": [group_arn, f"{group_arn}:*"],
            }
        ],
    }


@dataclass(frozen=True, kw_only=True)
class VpcFlowLogsArgs:
    vpc_id: pulumi.Input[str]
    cluster_name: str
    """Names the log group (`/aws/vpc/<cluster>/flow-logs`)."""
    region: str
    kms_key_arn: pulumi.Input[str]
    """Key that encrypts the log group; its policy must admit CloudWatch Logs for this group
    (`EksClusterArgs.flow_log_group_name`)."""
    retention_days: int = defaults.FLOW_LOG_RETENTION_DAYS
    partition: pulumi.Input[str] = "aws"
    account_id: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class VpcFlowLogs(pulumi.ComponentResource):
    log_group_name: str
    flow_log_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: VpcFlowLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-calico-ebpf:index:VpcFlowLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.log_group_name = flow_log_group_name(args.cluster_name)

        group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            name=self.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"VPC flow logs of {args.cluster_name} to {self.log_group_name}",
            assume_role_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda a: json.dumps(flow_logs_trust_policy(a[0], args.region, a[1]))
            ),
            tags=tags,
            opts=child,
        )
        write = aws.iam.RolePolicy(
            f"{name}-write",
            role=role.name,
            policy=group.arn.apply(lambda arn: json.dumps(flow_logs_write_policy(arn))),
            opts=child,
        )
        flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags={**tags, "Name": name},
            # The role must be able to write before the first delivery.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[write]),
        )
        self.flow_log_id = flow_log.id
        self.register_outputs({"log_group_name": self.log_group_name})
