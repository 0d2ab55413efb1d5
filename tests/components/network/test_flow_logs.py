"""VpcFlowLogs through the real program: encrypted group with retention, scoped role, flow log."""

import json
from collections import Counter

from components.testing.mock_engine import ACCOUNT_ID
from tests.conftest import planned

COMPONENT = "eks-calico-ebpf:index:VpcFlowLogs"
GROUP = f"arn:aws:logs:us-west-2:{ACCOUNT_ID}:log-group:/aws/vpc/eks-calico-ebpf-dev/flow-logs"


def _children(result):
    component = result.one(COMPONENT, "vpc-flow-logs")
    return {r.name: r for r in result.resources if r.parent == component.urn}


def test_on_by_default_with_exact_resources():
    result = planned("dev")
    children = _children(result)
    assert Counter((r.type, n) for n, r in children.items()) == {
        ("aws:cloudwatch/logGroup:LogGroup", "vpc-flow-logs-group"): 1,
        ("aws:iam/role:Role", "vpc-flow-logs-role"): 1,
        ("aws:iam/rolePolicy:RolePolicy", "vpc-flow-logs-write"): 1,
        ("aws:ec2/flowLog:FlowLog", "vpc-flow-logs-flow-log"): 1,
    }


def test_log_group_encrypted_with_the_cluster_key_and_kept_a_year():
    result = planned("dev")
    group = _children(result)["vpc-flow-logs-group"]
    key = result.one("aws:kms/key:Key", "eks-secrets")
    assert group.inputs["name"] == "/aws/vpc/eks-calico-ebpf-dev/flow-logs"
    assert group.inputs["retentionInDays"] == 365.0
    assert group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/")
    assert key.urn in group.dependencies
    assert group.inputs["tags"]["cluster"] == "eks-calico-ebpf-dev"
    other = planned("dev", "logRetentionDays=731", "vpcFlowLogRetentionDays=3653")
    assert _children(other)["vpc-flow-logs-group"].inputs["retentionInDays"] == 3653.0


def test_role_only_for_this_accounts_flow_logs_and_writes_one_group():
    children = _children(planned("dev"))
    trust = json.loads(children["vpc-flow-logs-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:vpc-flow-log/*"},
            },
        }
    ]
    write = json.loads(children["vpc-flow-logs-write"].inputs["policy"])
    assert write["Statement"] == [
        {
            "Sid": "WriteFlowLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [GROUP, f"{GROUP}:*"],
        }
    ]


def test_flow_log_covers_all_traffic_of_the_vpc_after_the_role_can_write():
    result = planned("dev")
    children = _children(result)
    flow = children["vpc-flow-logs-flow-log"]
    assert flow.inputs["vpcId"].startswith("vpc-")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == GROUP
    assert flow.inputs["iamRoleArn"].startswith(
        f"arn:aws:iam::{ACCOUNT_ID}:role/vpc-flow-logs-role"
    )
    for dependency in ("vpc-flow-logs-write", "vpc-flow-logs-group", "vpc-flow-logs-role"):
        assert children[dependency].urn in flow.dependencies
    assert result.one("aws:ec2/vpc:Vpc", "vpc").urn in flow.dependencies


def test_off_creates_nothing():
    result = planned("dev", "vpcFlowLogs=false")
    assert result.by_type(COMPONENT) == []
    assert result.by_type("aws:ec2/flowLog:FlowLog") == []
    assert [g.name for g in result.by_type("aws:cloudwatch/logGroup:LogGroup")] == [
        "eks-control-plane"
    ]
