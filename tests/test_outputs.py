"""Stack outputs a downstream stack (StackReference) needs, with the values they must carry."""

import re

from components.testing.mock_engine import ACCOUNT_ID, _digest
from tests.conftest import planned

EXPECTED = {
    "vpcId",
    "vpcCidr",
    "privateSubnetIds",
    "publicSubnetIds",
    "clusterName",
    "clusterEndpoint",
    "clusterSecurityGroupId",
    "kubeconfig",
    "oidcProviderArn",
    "oidcIssuerUrl",
    "nodeGroupNamePrefixes",
    "nodeRoleArns",
    "calicoDataplane",
    "kubeProxy",
}


def test_output_names():
    assert set(planned("dev").outputs) == EXPECTED | {"demoNlbHostname", "demoUrl"}
    assert set(planned("dev", "demoApp=false").outputs) == EXPECTED


def test_subnet_ids_are_the_ones_the_cluster_and_nodes_use():
    result = planned("dev")
    out = result.outputs
    cluster = result.one("eks:index:Cluster", "eks").inputs
    assert out["privateSubnetIds"] == cluster["privateSubnetIds"]
    assert out["publicSubnetIds"] == cluster["publicSubnetIds"]
    assert len(out["privateSubnetIds"]) == 2
    assert not set(out["privateSubnetIds"]) & set(out["publicSubnetIds"])
    nodes = result.one("eks:index:ManagedNodeGroup", "nodes-dev").inputs
    assert nodes["subnetIds"] == out["privateSubnetIds"]


def test_cluster_security_group_is_the_one_eks_created():
    # Read back from EKS (aws.eks.getCluster), not pulumi-eks's extra control-plane group.
    out = planned("dev").outputs
    assert out["clusterSecurityGroupId"] == "sg-" + _digest("eks-cluster-sg", out["clusterName"])
    assert out["clusterSecurityGroupId"] != "sg-" + _digest("cluster-sg", out["clusterName"])


def test_oidc_issuer_url_matches_the_provider_arn():
    out = planned("dev").outputs
    issuer = out["oidcIssuerUrl"].removeprefix("https://")
    assert out["oidcIssuerUrl"] == f"https://{issuer}"
    assert out["oidcProviderArn"] == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}"


def test_node_role_arns_by_group_name():
    out = planned("dev").outputs
    assert list(out["nodeRoleArns"]) == ["dev"]
    assert re.fullmatch(
        rf"arn:aws:iam::{ACCOUNT_ID}:role/nodes-dev-node-[0-9a-f]{{7}}", out["nodeRoleArns"]["dev"]
    )
    bench = planned("bench").outputs
    assert list(bench["nodeRoleArns"]) == ["bench"]
    assert bench["nodeGroupNamePrefixes"] == ["bench-"]


def test_vpc_cidr_is_the_vpcs_block():
    # netbench verify reads it: a client address inside it means the NLB path was SNATed.
    result = planned("dev", "vpcCidr=10.42.0.0/16")
    (vpc,) = [r for r in result.resources if r.type == "aws:ec2/vpc:Vpc"]
    assert result.outputs["vpcCidr"] == vpc.inputs["cidrBlock"] == "10.42.0.0/16"
