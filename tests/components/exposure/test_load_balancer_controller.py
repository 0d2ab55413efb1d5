"""LoadBalancerController under the mock engine: upstream IAM scoped to the cluster, IRSA, chart."""

import json
from collections import Counter
from functools import cache

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.eks._policies import irsa_trust_policy
from components.exposure.load_balancer_controller import (
    IAM_POLICY_FILE,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    chart_values,
    check_policy_size,
    iam_policy_document,
    scoped_iam_policy,
)
from components.testing.mock_engine import ACCOUNT_ID, run_program
from tests.conftest import ROOT

CONFIG = {"aws:region": "us-west-2"}
COMPONENT = "eks-calico-ebpf:index:LoadBalancerController"
CHART = "kubernetes:helm.sh/v4:Chart"
ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}"
UPSTREAM_POLICY = ROOT / "upstream" / "aws-lbc" / "iam_policy.json"
TAGS = {"project": "eks-calico-ebpf", "stack": "dev"}


def _program() -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    lbc = LoadBalancerController(
        "lbc",
        LoadBalancerControllerArgs(
            cluster_name="perf",
            region="us-west-2",
            vpc_id="vpc-0123456789abcdef0",
            oidc_provider_arn=OIDC_ARN,
            oidc_issuer=ISSUER,
            provider=provider,
            tags=TAGS,
        ),
    )
    pulumi.export("roleArn", lbc.role_arn)


@cache
def _plan():
    return run_program("dev", CONFIG, program=_program)


def test_resources_exact():
    result = _plan()
    assert Counter((r.type, r.name) for r in result.resources) == {
        ("pulumi:providers:kubernetes", "k8s"): 1,
        (COMPONENT, "lbc"): 1,
        ("aws:iam/policy:Policy", "lbc-policy"): 1,
        ("aws:iam/role:Role", "lbc-role"): 1,
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-role-policy"): 1,
        (CHART, "lbc-chart"): 1,
    }
    component = result.one(COMPONENT, "lbc")
    children = {r.name for r in result.resources if r.parent == component.urn}
    assert children == {"lbc-policy", "lbc-role", "lbc-role-policy", "lbc-chart"}


VPC_ARN = f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:vpc/vpc-0123456789abcdef0"
RESOURCE_TAG = "aws:ResourceTag/elbv2.k8s.aws/cluster"
REQUEST_TAG = "aws:RequestTag/elbv2.k8s.aws/cluster"
# Statement index -> (condition operator, key, value) added to upstream's statement.
ADDED = {
    3: ("ArnEquals", "ec2:Vpc", VPC_ARN),
    5: ("StringEquals", REQUEST_TAG, "perf"),
    6: ("StringEquals", RESOURCE_TAG, "perf"),
    7: ("StringEquals", RESOURCE_TAG, "perf"),
    8: ("StringEquals", REQUEST_TAG, "perf"),
    10: ("StringEquals", RESOURCE_TAG, "perf"),
    12: ("StringEquals", RESOURCE_TAG, "perf"),
    13: ("StringEquals", REQUEST_TAG, "perf"),
}


def test_iam_policy_is_upstream_plus_cluster_scoping():
    policy = _plan().one("aws:iam/policy:Policy", "lbc-policy").inputs
    assert policy["tags"] == TAGS
    rendered = json.loads(policy["policy"])
    assert rendered == scoped_iam_policy(
        partition="aws",
        region="us-west-2",
        account_id=ACCOUNT_ID,
        vpc_id="vpc-0123456789abcdef0",
        cluster_name="perf",
    )
    upstream = json.loads(UPSTREAM_POLICY.read_text())
    assert rendered["Version"] == upstream["Version"]
    assert len(rendered["Statement"]) == len(upstream["Statement"]) == 16
    for i, (ours, theirs) in enumerate(
        zip(rendered["Statement"], upstream["Statement"], strict=True)
    ):
        if i not in ADDED:
            assert ours == theirs, i
            continue
        operator, key, value = ADDED[i]
        assert ours["Condition"][operator][key] == value, i
        # Take the addition away: what is left is upstream's statement, unchanged.
        stripped = json.loads(json.dumps(ours))
        del stripped["Condition"][operator][key]
        if not stripped["Condition"][operator]:
            del stripped["Condition"][operator]
        if not stripped["Condition"]:
            del stripped["Condition"]
        assert stripped == theirs, i


def test_scoping_covers_every_security_group_and_load_balancer_mutation_upstream_scopes():
    rendered = scoped_iam_policy(
        partition="aws", region="eu-west-1", account_id="1" * 12, vpc_id="vpc-1", cluster_name="c"
    )
    for statement in rendered["Statement"]:
        null = statement.get("Condition", {}).get("Null", {})
        for key in (RESOURCE_TAG, REQUEST_TAG):
            if null.get(key) == "false":
                assert statement["Condition"]["StringEquals"][key] == "c"
    ingress = [
        s
        for s in rendered["Statement"]
        if "ec2:AuthorizeSecurityGroupIngress" in s["Action"]
        and "ec2:DeleteSecurityGroup" not in s["Action"]
    ]
    assert [s["Condition"] for s in ingress] == [
        {"ArnEquals": {"ec2:Vpc": "arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-1"}}
    ]


def test_statements_left_as_upstream_are_the_ones_the_readme_names():
    # README "Controller": 8 statements narrowed (ADDED), these 8 unchanged and unconditioned
    # on the cluster tag, so the role still reaches them on any resource of the account.
    rendered = scoped_iam_policy(
        partition="aws", region="eu-west-1", account_id="1" * 12, vpc_id="vpc-1", cluster_name="c"
    )
    unchanged = [i for i in range(len(rendered["Statement"])) if i not in ADDED]
    assert len(ADDED) == len(unchanged) == 8
    actions = {
        i: {rendered["Statement"][i]["Action"]}
        if isinstance(rendered["Statement"][i]["Action"], str)
        else set(rendered["Statement"][i]["Action"])
        for i in unchanged
    }
    assert actions[0] == {"iam:CreateServiceLinkedRole"}
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in actions[1])
    assert {"acm:DescribeCertificate", "wafv2:AssociateWebACL", "shield:CreateProtection"} <= (
        actions[2]
    )
    assert actions[4] == {"ec2:CreateSecurityGroup"}
    assert actions[9] == {
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:DeleteRule",
    }
    assert actions[11] == {"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}
    assert actions[14] == {
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DeregisterTargets",
    }
    assert actions[15] == {
        "elasticloadbalancing:SetWebAcl",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:SetRulePriorities",
    }
    # Listener and rule ARNs only: the tag statements on load balancers and target groups are
    # the scoped ones.
    assert all(":listener" in r for r in rendered["Statement"][11]["Resource"])
    for i in unchanged:
        condition = json.dumps(rendered["Statement"][i].get("Condition", {}))
        assert "elbv2.k8s.aws/cluster" not in condition, i
        assert "ec2:Vpc" not in condition, i


def test_policy_size_is_checked_against_the_iam_limit():
    check_policy_size("a" * 60, "us-west-2")
    with pytest.raises(ValueError, match=r"^cluster_name: 'aaaa.*IAM accepts 6144 "):
        check_policy_size("a" * 100, "us-west-2")


def test_committed_policy_equals_upstream_copy():
    assert IAM_POLICY_FILE.read_bytes() == UPSTREAM_POLICY.read_bytes()


def test_irsa_trust_only_for_the_controller_service_account():
    role = _plan().one("aws:iam/role:Role", "lbc-role").inputs
    assert json.loads(role["assumeRolePolicy"]) == irsa_trust_policy(
        OIDC_ARN, ISSUER, "kube-system", "aws-load-balancer-controller"
    )
    assert role["tags"] == TAGS


def test_policy_attached_to_role():
    result = _plan()
    attachment = result.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-role-policy"
    ).inputs
    assert result.outputs["roleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{attachment['role']}"
    assert attachment["policyArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:policy/lbc-policy-")
    depends = result.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-role-policy"
    ).dependencies
    assert result.one("aws:iam/policy:Policy", "lbc-policy").urn in depends
    assert result.one("aws:iam/role:Role", "lbc-role").urn in depends


def test_chart_pinned_with_values_and_waits_for_permissions():
    result = _plan()
    chart = result.one(CHART, "lbc-chart")
    role_arn = result.outputs["roleArn"]
    assert role_arn.startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/lbc-role-")
    assert {k: v for k, v in chart.inputs.items() if k != "values"} == {
        "name": "aws-load-balancer-controller",
        "chart": "aws-load-balancer-controller",
        "version": "3.5.0",
        "namespace": "kube-system",
        "repositoryOpts": {"repo": "https://aws.github.io/eks-charts"},
    }
    # Exactly the pure renderer's values for this cluster (test_chart_values_pure pins them).
    assert chart.inputs["values"] == chart_values(
        cluster_name="perf",
        region="us-west-2",
        vpc_id="vpc-0123456789abcdef0",
        role_arn=role_arn,
        tags=TAGS,
    )
    attachment = result.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-role-policy")
    assert attachment.urn in chart.dependencies


def test_chart_values_pure():
    values = chart_values(
        cluster_name="c", region="eu-west-1", vpc_id="vpc-1", role_arn="arn:r", tags={}
    )
    assert values == {
        "clusterName": "c",
        "region": "eu-west-1",
        "vpcId": "vpc-1",
        "replicaCount": 2,
        "serviceAccount": {
            "create": True,
            "name": "aws-load-balancer-controller",
            "annotations": {"eks.amazonaws.com/role-arn": "arn:r"},
        },
        "podDisruptionBudget": {"maxUnavailable": 1},
        "hostNetwork": False,
        "enableServiceMutatorWebhook": False,
        "defaultTags": {},
        "keepTLSSecret": True,
        "resources": {
            "requests": {"cpu": "100m", "memory": "200Mi"},
            "limits": {"cpu": "200m", "memory": "500Mi"},
        },
        "podSecurityContext": {"fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
        },
    }


def test_other_partitions_are_refused():
    assert iam_policy_document("aws") == IAM_POLICY_FILE.read_text()
    with pytest.raises(ValueError, match=r"^partition: 'aws-us-gov' is not supported; "):
        iam_policy_document("aws-us-gov")
