"""AWS-side security rules (checkov / CIS EKS ids) over every stack's offline plan JSON.

Every rule passes, or fails only with the exact violations recorded below with a reason; and
every rule is shown to catch a plan that breaks it.
"""

import copy
import json

import pytest

from components.testing.security_rules import RULES, evaluate
from tests.conftest import ROOT, planned

SSM = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
# Upstream LBC v3.5.0 statements the install guide does not scope: listeners, rules, WAF and
# Shield associations act on resources the controller cannot tag before it creates them, and
# CreateSecurityGroup's tag requirement sits on the ec2:CreateTags statement.
LBC = [
    "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "shield:CreateProtection",
    "shield:DeleteProtection",
    "ec2:CreateSecurityGroup",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:SetWebAcl",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
]


def _recorded(stack):
    """Rule id -> (exact violations, reason) accepted for a stack."""
    return {
        "CKV_AWS_39": (
            ["eks: public endpoint on (for ['203.0.113.10/32'])"],
            "the stack opens the public endpoint to one /32 (publicAccessCidrs); [] makes it "
            "private-only",
        ),
        "CKV_AWS_355": (
            [f"nodes-{stack}-node-ssm: {a}" for a in SSM] + [f"lbc-policy: {a}" for a in LBC],
            "Session Manager actions have no resource-level scoping (nodeSsmAccess: false drops "
            "them); the LBC ones are upstream's, unscoped by its own guide",
        ),
    }


def _plan_json(stack, *overrides):
    # Exactly what `python -m components.plan --json` writes (tests/test_plan.py checks that).
    return json.loads(json.dumps(planned(stack, *overrides).as_json()))


@pytest.mark.parametrize("stack", ["dev", "bench"])
def test_every_rule_passes_or_fails_only_as_recorded(stack):
    recorded = _recorded(stack)
    for rule_id, violations in evaluate(_plan_json(stack)).items():
        expected = recorded.get(rule_id, ([], ""))[0]
        assert violations == expected, rule_id


def test_a_private_endpoint_and_no_ssm_leave_only_the_upstream_lbc_statements():
    failing = {
        k: v
        for k, v in evaluate(
            _plan_json("dev", "publicAccessCidrs=[]", "deployInsideVpc=true", "nodeSsmAccess=false")
        ).items()
        if v
    }
    assert failing == {"CKV_AWS_355": [f"lbc-policy: {a}" for a in LBC]}


def test_rule_ids_are_unique_and_documented_in_the_readme():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 16
    readme = (ROOT / "README.md").read_text()
    for rule_id in ids:
        assert f"`{rule_id}`" in readme, rule_id


def _one(plan, type_, name=None):
    matches = [r for r in plan["resources"] if r["type"] == type_ and name in (None, r["name"])]
    return matches[0]


def _policy_edit(r, field, edit):
    document = json.loads(r["inputs"][field])
    edit(document)
    r["inputs"][field] = json.dumps(document)


BREAKS = {
    "CKV_AWS_58": lambda p: _one(p, "eks:index:Cluster")["inputs"].pop("encryptionConfigKeyArn"),
    "CKV_AWS_38": lambda p: _one(p, "eks:index:Cluster")["inputs"].update(
        endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]
    ),
    "CKV_AWS_37": lambda p: _one(p, "eks:index:Cluster")["inputs"].update(
        enabledClusterLogTypes=["api", "audit"]
    ),
    "CKV_AWS_7": lambda p: _one(p, "aws:kms/key:Key")["inputs"].update(enableKeyRotation=False),
    "CKV_AWS_33": lambda p: _policy_edit(
        _one(p, "aws:kms/key:Key"),
        "policy",
        lambda d: d["Statement"][1].update(Principal={"AWS": "*"}),
    ),
    "CKV_AWS_158": lambda p: _one(p, "aws:cloudwatch/logGroup:LogGroup")["inputs"].pop("kmsKeyId"),
    "CKV_AWS_338": lambda p: _one(p, "aws:cloudwatch/logGroup:LogGroup")["inputs"].update(
        retentionInDays=90
    ),
    "CKV2_AWS_11": lambda p: p["resources"].remove(_one(p, "aws:ec2/flowLog:FlowLog")),
    "CKV2_AWS_12": lambda p: _one(p, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[
        "inputs"
    ].update(ingress=[{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]),
    "CKV_AWS_79": lambda p: _one(p, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"][
        "metadataOptions"
    ].update(httpTokens="optional"),
    "CKV_AWS_8": lambda p: _one(p, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"][
        "blockDeviceMappings"
    ][1]["ebs"].update(encrypted="false"),
    "CKV_AWS_130": lambda p: _one(p, "aws:ec2/subnet:Subnet")["inputs"].update(
        mapPublicIpOnLaunch=True
    ),
    "CKV_AWS_274": lambda p: _one(p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")[
        "inputs"
    ].update(policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
    "CKV_AWS_355": lambda p: _policy_edit(
        _one(p, "aws:iam/rolePolicy:RolePolicy", "vpc-flow-logs-write"),
        "policy",
        lambda d: d["Statement"][0].update(Resource="*"),
    ),
    "CIS_EKS_5.2.1": lambda p: _policy_edit(
        _one(p, "aws:iam/role:Role", "lbc-role"),
        "assumeRolePolicy",
        lambda d: d["Statement"][0]["Condition"]["StringEquals"].clear(),
    ),
}


@pytest.mark.parametrize("rule", [r for r in RULES if r.id != "CKV_AWS_39"], ids=lambda r: r.id)
def test_each_rule_catches_a_plan_that_breaks_it(rule):
    clean = _plan_json("dev", "publicAccessCidrs=[]", "deployInsideVpc=true", "nodeSsmAccess=false")
    before = evaluate(clean)[rule.id]
    broken = copy.deepcopy(clean)
    BREAKS[rule.id](broken)
    after = evaluate(broken)[rule.id]
    assert len(after) > len(before), (rule.id, after)


def test_public_endpoint_rule_catches_a_public_endpoint():
    assert (
        evaluate(
            _plan_json("dev", "publicAccessCidrs=[]", "deployInsideVpc=true", "nodeSsmAccess=false")
        )["CKV_AWS_39"]
        == []
    )
    assert evaluate(_plan_json("dev"))["CKV_AWS_39"] != []
