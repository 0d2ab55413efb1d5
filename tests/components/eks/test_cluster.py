"""EksCluster: the security-relevant inputs, exactly."""

import json

import pytest

from components.eks._policies import irsa_trust_policy
from components.eks.cluster import (
    access_entry_key,
    endpoint_from_kubeconfig,
    vpc_cni_configuration_values,
)
from components.testing.mock_engine import ACCOUNT_ID
from tests.conftest import planned

CLUSTER = "eks:index:Cluster"


def test_cluster_inputs_dev():
    c = planned("dev").one(CLUSTER, "eks").inputs
    assert c["name"] == "eks-calico-ebpf-dev"
    assert c["version"] == "1.35"
    assert c["skipDefaultNodeGroup"] is True
    assert c["authenticationMode"] == "API"
    assert c["endpointPrivateAccess"] is True
    assert c["endpointPublicAccess"] is True
    assert c["publicAccessCidrs"] == ["203.0.113.10/32"]
    assert c["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert c["createOidcProvider"] is True
    assert c["encryptionConfigKeyArn"].startswith(f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/")
    assert c["kubernetesServiceIpAddressRange"] == "172.20.0.0/16"
    assert c["nodeAssociatePublicIpAddress"] is False
    # creation-time seam: kube-proxy disabled (default) keeps EKS's bootstrap add-ons
    assert c["bootstrapSelfManagedAddons"] is True
    assert c["kubeProxyAddonOptions"]["enabled"] is False
    assert c["corednsAddonOptions"]["enabled"] is False
    assert c["useDefaultVpcCni"] is True
    # nodes only in private subnets; both tiers handed to EKS ("mixed" mode)
    assert len(c["privateSubnetIds"]) == 2
    assert len(c["publicSubnetIds"]) == 2


def test_private_only_endpoint_when_no_public_cidrs():
    c = planned("dev", "publicAccessCidrs=[]", "deployInsideVpc=true").one(CLUSTER, "eks").inputs
    assert c["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in c


def test_open_endpoint_only_when_asked_and_then_warned():
    result = planned("dev", 'publicAccessCidrs=["0.0.0.0/0"]')
    assert result.one(CLUSTER, "eks").inputs["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert any("open to the whole internet" in w for w in result.warnings)
    assert not any("whole internet" in w for w in planned("dev").warnings)


def test_access_entries_for_admins():
    arns = '["arn:aws:iam::111122223333:role/PlatformAdmin","arn:aws:iam::111122223333:user/alice"]'
    c = planned("dev", f"adminPrincipalArns={arns}").one(CLUSTER, "eks").inputs
    policy = {
        "admin": {
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"},
        }
    }
    assert c["accessEntries"] == {
        "role-PlatformAdmin": {
            "principalArn": "arn:aws:iam::111122223333:role/PlatformAdmin",
            "accessPolicies": policy,
        },
        "user-alice": {
            "principalArn": "arn:aws:iam::111122223333:user/alice",
            "accessPolicies": policy,
        },
    }


def test_kms_key_rotation_and_policy_without_wildcard_principal():
    result = planned("dev")
    key = result.one("aws:kms/key:Key", "eks-secrets").inputs
    assert key["enableKeyRotation"] is True
    policy = json.loads(key["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert principals == [
        {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        {"Service": "logs.us-west-2.amazonaws.com"},
    ]
    logs = policy["Statement"][1]
    groups = f"arn:aws:logs:us-west-2:{ACCOUNT_ID}:log-group:"
    # The control-plane log group and (flow logs on by default) the VPC flow log group, only.
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"{groups}/aws/eks/eks-calico-ebpf-dev/cluster",
                f"{groups}/aws/vpc/eks-calico-ebpf-dev/flow-logs",
            ]
        }
    }
    without = planned("dev", "vpcFlowLogs=false").one("aws:kms/key:Key", "eks-secrets").inputs
    assert json.loads(without["policy"])["Statement"][1]["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": f"{groups}/aws/eks/eks-calico-ebpf-dev/cluster"
        }
    }


def test_log_group_precreated_encrypted_with_retention_before_cluster():
    result = planned("dev")
    lg = result.one("aws:cloudwatch/logGroup:LogGroup", "eks-control-plane")
    assert lg.inputs["name"] == "/aws/eks/eks-calico-ebpf-dev/cluster"
    # CIS EKS / checkov CKV_AWS_338: a year.
    assert lg.inputs["retentionInDays"] == 365.0
    other = planned("dev", "logRetentionDays=731", "vpcFlowLogRetentionDays=3653").one(
        "aws:cloudwatch/logGroup:LogGroup", "eks-control-plane"
    )
    assert other.inputs["retentionInDays"] == 731.0
    assert lg.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert lg.urn in result.one(CLUSTER, "eks").dependencies


def test_vpc_cni_addon_with_irsa_role():
    result = planned("dev")
    addon = result.one("aws:eks/addon:Addon", "eks-vpc-cni")
    role = result.one("aws:iam/role:Role", "eks-vpc-cni")
    assert addon.inputs["addonName"] == "vpc-cni"
    assert addon.inputs["clusterName"] == "eks-calico-ebpf-dev"
    assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    assert addon.inputs["serviceAccountRoleArn"].startswith(
        f"arn:aws:iam::{ACCOUNT_ID}:role/eks-vpc-cni"
    )
    assert role.urn in addon.dependencies
    assert result.one(CLUSTER, "eks").urn in addon.dependencies
    trust = json.loads(role.inputs["assumeRolePolicy"])
    issuer = trust["Statement"][0]["Principal"]["Federated"].split("oidc-provider/")[1]
    assert trust == irsa_trust_policy(
        f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}", issuer, "kube-system", "aws-node"
    )
    attachment = result.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks-vpc-cni"
    ).inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


def test_kubernetes_provider_uses_cluster_kubeconfig_with_ssa():
    result = planned("dev")
    provider = result.one("pulumi:providers:kubernetes", "eks").inputs
    kubeconfig = json.loads(provider["kubeconfig"])
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    assert server.startswith("https://")
    assert server.endswith(".gr7.us-west-2.eks.amazonaws.com")
    assert provider["enableServerSideApply"] == "true"
    assert result.outputs["clusterEndpoint"] == server


def test_irsa_trust_policy_pins_subject_and_audience():
    policy = irsa_trust_policy(
        "arn:aws:iam::1:oidc-provider/oidc.example/id/X", "oidc.example/id/X", "kube-system", "sa"
    )
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.example/id/X"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "oidc.example/id/X:sub": "system:serviceaccount:kube-system:sa",
                    "oidc.example/id/X:aud": "sts.amazonaws.com",
                }
            },
        }
    ]


@pytest.mark.parametrize(
    ("arn", "key"),
    [
        ("arn:aws:iam::111122223333:role/PlatformAdmin", "role-PlatformAdmin"),
        ("arn:aws:iam::111122223333:role/team/path/Ops.Admin", "role-Ops-Admin"),
        ("arn:aws-us-gov:iam::111122223333:user/alice", "user-alice"),
    ],
)
def test_access_entry_key(arn, key):
    assert access_entry_key(arn) == key


def test_endpoint_from_kubeconfig():
    assert (
        endpoint_from_kubeconfig(
            {"clusters": [{"cluster": {"server": "https://X.gr7.r.eks.amazonaws.com"}}]}
        )
        == "https://X.gr7.r.eks.amazonaws.com"
    )


def test_vpc_cni_configuration_values_adds_endpoint_only_when_asked():
    base = {"enableNetworkPolicy": "false", "env": {"ANNOTATE_POD_IP": "true"}}
    assert json.loads(vpc_cni_configuration_values(base)) == base
    assert json.loads(vpc_cni_configuration_values(base, "https://e")) == {
        "enableNetworkPolicy": "false",
        "env": {"ANNOTATE_POD_IP": "true", "CLUSTER_ENDPOINT": "https://e"},
    }
    assert base == {"enableNetworkPolicy": "false", "env": {"ANNOTATE_POD_IP": "true"}}
    tagged = json.loads(vpc_cni_configuration_values(base, None, {"stack": "dev", "a": "b"}))
    # a JSON string inside the JSON document, as the add-on schema types it
    assert tagged["env"]["ADDITIONAL_ENI_TAGS"] == '{"a": "b", "stack": "dev"}'
