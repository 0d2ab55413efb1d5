"""AWS-side security rules, checked on the offline plan's JSON (`python -m components.plan
--json`): the checkov / CIS Amazon EKS controls that apply to what this project creates itself.

Each rule returns one line per violation ("<resource name>: <what>"); an empty list passes. The
rules read registration inputs only, so they see what the program asks AWS for (pulumi-eks's
own child resources stay invisible, as they are to every offline check).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

Resource = dict[str, Any]
Check = Callable[[list[Resource]], list[str]]

CLUSTER = "eks:index:Cluster"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

ALL_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
MIN_RETENTION_DAYS = 365
READ_ONLY_PREFIXES = ("Describe", "Get", "List")


@dataclass(frozen=True)
class Rule:
    id: str
    """checkov (CKV_*) or CIS Amazon EKS Benchmark v1.7.0 id."""
    title: str
    check: Check


def _of(resources: list[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r["type"] == type_]


def _statements(document: Any) -> Iterator[dict[str, Any]]:
    statements = document.get("Statement", [])
    yield from statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policy_documents(resources: list[Resource]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, document) for every permission and trust policy the program writes."""
    for r in resources:
        for field in {
            POLICY: ("policy",),
            ROLE_POLICY: ("policy",),
            ROLE: ("assumeRolePolicy",),
            KEY: ("policy",),
        }.get(r["type"], ()):
            text = r["inputs"].get(field)
            if isinstance(text, str):
                yield r["name"], json.loads(text)


def secrets_encrypted(resources: list[Resource]) -> list[str]:
    return [
        f"{c['name']}: no encryptionConfigKeyArn"
        for c in _of(resources, CLUSTER)
        if not c["inputs"].get("encryptionConfigKeyArn")
    ]


def endpoint_not_open_to_all(resources: list[Resource]) -> list[str]:
    out = []
    for c in _of(resources, CLUSTER):
        if not c["inputs"].get("endpointPublicAccess"):
            continue
        cidrs = c["inputs"].get("publicAccessCidrs") or ["0.0.0.0/0"]
        if any(ip_network(x).prefixlen == 0 for x in cidrs):
            out.append(f"{c['name']}: public endpoint open to {cidrs}")
    return out


def endpoint_private(resources: list[Resource]) -> list[str]:
    return [
        f"{c['name']}: public endpoint on (for {c['inputs'].get('publicAccessCidrs')})"
        for c in _of(resources, CLUSTER)
        if c["inputs"].get("endpointPublicAccess")
    ]


def all_control_plane_logs(resources: list[Resource]) -> list[str]:
    out = []
    for c in _of(resources, CLUSTER):
        missing = ALL_LOG_TYPES - set(c["inputs"].get("enabledClusterLogTypes") or [])
        if missing:
            out.append(f"{c['name']}: missing {sorted(missing)}")
    return out


def key_rotation(resources: list[Resource]) -> list[str]:
    return [
        f"{k['name']}: rotation off"
        for k in _of(resources, KEY)
        if k["inputs"].get("enableKeyRotation") is not True
    ]


def key_policy_no_wildcard_principal(resources: list[Resource]) -> list[str]:
    out = []
    for k in _of(resources, KEY):
        document = json.loads(k["inputs"].get("policy") or "{}")
        if not document:
            out.append(f"{k['name']}: no explicit key policy")
        for s in _statements(document):
            principal = s.get("Principal")
            values = (
                [principal]
                if isinstance(principal, str)
                else [v for vs in (principal or {}).values() for v in _as_list(vs)]
            )
            if s.get("Effect") == "Allow" and "*" in values:
                out.append(f"{k['name']}: statement {s.get('Sid')} allows principal *")
    return out


def log_groups_encrypted(resources: list[Resource]) -> list[str]:
    return [
        f"{g['name']}: no kmsKeyId"
        for g in _of(resources, LOG_GROUP)
        if not g["inputs"].get("kmsKeyId")
    ]


def log_retention_a_year(resources: list[Resource]) -> list[str]:
    return [
        f"{g['name']}: retention {g['inputs'].get('retentionInDays')}"
        for g in _of(resources, LOG_GROUP)
        if not (g["inputs"].get("retentionInDays") or 0) >= MIN_RETENTION_DAYS
    ]


def vpc_flow_logs(resources: list[Resource]) -> list[str]:
    logged = {d for f in _of(resources, FLOW_LOG) for d in f["dependencies"]}
    return [f"{v['name']}: no flow log" for v in _of(resources, VPC) if v["urn"] not in logged]


def default_security_group_closed(resources: list[Resource]) -> list[str]:
    vpcs = {v["urn"] for v in _of(resources, VPC)}
    closed = {
        d
        for g in _of(resources, DEFAULT_SG)
        if not g["inputs"].get("ingress") and not g["inputs"].get("egress")
        for d in g["dependencies"]
    }
    return [
        f"{urn.rsplit('::', 1)[-1]}: default security group keeps rules" for urn in vpcs - closed
    ]


def imds_v2_hop_1(resources: list[Resource]) -> list[str]:
    out = []
    for t in _of(resources, LAUNCH_TEMPLATE):
        options = t["inputs"].get("metadataOptions") or {}
        if options.get("httpTokens") != "required":
            out.append(f"{t['name']}: IMDSv1 allowed")
        if options.get("httpPutResponseHopLimit") != 1:
            out.append(f"{t['name']}: hop limit {options.get('httpPutResponseHopLimit')}")
    return out


def volumes_encrypted(resources: list[Resource]) -> list[str]:
    return [
        f"{t['name']}: {m.get('deviceName')} not encrypted"
        for t in _of(resources, LAUNCH_TEMPLATE)
        for m in t["inputs"].get("blockDeviceMappings") or []
        if str((m.get("ebs") or {}).get("encrypted")).lower() != "true"
    ]


def no_public_ip_on_launch(resources: list[Resource]) -> list[str]:
    return [
        f"{s['name']}: public IPs on launch"
        for s in _of(resources, SUBNET)
        if s["inputs"].get("mapPublicIpOnLaunch") is not False
    ]


def no_full_admin(resources: list[Resource]) -> list[str]:
    out = [
        f"{name}: Action * on {s.get('Resource')}"
        for name, document in _policy_documents(resources)
        for s in _statements(document)
        if s.get("Effect") == "Allow"
        and "*" in _as_list(s.get("Action"))
        and s.get("Principal") is None
    ]
    out += [
        f"{a['name']}: {a['inputs'].get('policyArn')}"
        for a in _of(resources, ATTACHMENT)
        if str(a["inputs"].get("policyArn", "")).endswith(
            (":policy/AdministratorAccess", ":policy/PowerUserAccess")
        )
    ]
    return out


def unconditioned_wildcard_writes(resources: list[Resource]) -> list[str]:
    """Allowed non-read actions on Resource `*` with no Condition (checkov CKV_AWS_355/CKV_AWS_290
    look at the same thing per action class)."""
    return [
        f"{name}: {action}"
        for name, document in _policy_documents(resources)
        for s in _statements(document)
        if s.get("Effect") == "Allow"
        and s.get("Principal") is None
        and "Condition" not in s
        and "*" in _as_list(s.get("Resource"))
        for action in _as_list(s.get("Action"))
        if not action.split(":", 1)[-1].startswith(READ_ONLY_PREFIXES)
    ]


def irsa_trust_pinned(resources: list[Resource]) -> list[str]:
    out = []
    for name, document in _policy_documents(resources):
        for s in _statements(document):
            if s.get("Action") != "sts:AssumeRoleWithWebIdentity":
                continue
            keys = set((s.get("Condition") or {}).get("StringEquals", {}))
            if not (
                any(k.endswith(":sub") for k in keys) and any(k.endswith(":aud") for k in keys)
            ):
                out.append(f"{name}: web-identity trust without sub and aud")
    return out


RULES: tuple[Rule, ...] = (
    Rule("CKV_AWS_58", "EKS secrets encryption enabled (CIS EKS 5.3.1)", secrets_encrypted),
    Rule(
        "CKV_AWS_38",
        "EKS public endpoint not open to 0.0.0.0/0 (CIS EKS 5.4.2)",
        endpoint_not_open_to_all,
    ),
    Rule("CKV_AWS_39", "EKS public endpoint disabled (CIS EKS 5.4.2)", endpoint_private),
    Rule(
        "CKV_AWS_37", "EKS control-plane logging, all types (CIS EKS 2.1.1)", all_control_plane_logs
    ),
    Rule("CKV_AWS_7", "KMS key rotation enabled", key_rotation),
    Rule(
        "CKV_AWS_33",
        "KMS key policy without a wildcard principal",
        key_policy_no_wildcard_principal,
    ),
    Rule("CKV_AWS_158", "CloudWatch log groups encrypted with KMS", log_groups_encrypted),
    Rule("CKV_AWS_338", "CloudWatch log groups kept at least a year", log_retention_a_year),
    Rule("CKV2_AWS_11", "VPC flow logging enabled", vpc_flow_logs),
    Rule(
        "CKV2_AWS_12", "Default security group restricts all traffic", default_security_group_closed
    ),
    Rule("CKV_AWS_79", "Instance metadata service v1 disabled (IMDSv2 only)", imds_v2_hop_1),
    Rule("CKV_AWS_8", "Launch template EBS volumes encrypted", volumes_encrypted),
    Rule("CKV_AWS_130", "Subnets do not assign public IPs (CIS EKS 5.4.3)", no_public_ip_on_launch),
    Rule("CKV_AWS_274", "No full administrative IAM privileges (CKV_AWS_62/63)", no_full_admin),
    Rule(
        "CKV_AWS_355", "No unconditioned write actions on Resource *", unconditioned_wildcard_writes
    ),
    Rule(
        "CIS_EKS_5.2.1", "IRSA trust pinned to one service account and audience", irsa_trust_pinned
    ),
)


def evaluate(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Violations by rule id for a plan document (`{"resources": [...]}`)."""
    resources: list[Resource] = plan["resources"]
    return {rule.id: rule.check(resources) for rule in RULES}
