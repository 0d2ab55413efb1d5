"""BottlerocketNodeGroup: launch template, role, managed node group inputs."""

import base64
import json

from components.testing.mock_engine import run_program
from components.testing.plan import stack_config
from tests.conftest import planned

MNG = "eks:index:ManagedNodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


def test_bench_node_group_is_two_c5n_metal_in_one_az_placement_group():
    result = planned("bench")
    (mng,) = result.by_type(MNG)
    assert mng.name == "nodes-bench"
    i = mng.inputs
    assert i["instanceTypes"] == ["c5n.metal"]
    assert i["amiType"] == "BOTTLEROCKET_x86_64"
    assert i["version"] == "1.35"
    assert i["scalingConfig"] == {"minSize": 2.0, "desiredSize": 2.0, "maxSize": 2.0}
    # A prefix, never a fixed name: a replacement is then created before the old group goes.
    assert i["nodeGroupNamePrefix"] == "bench-"
    assert "nodeGroupName" not in i
    assert "releaseVersion" not in i
    assert i["labels"] == {"eks-calico-ebpf/role": "bench"}
    private_2a = result.one("aws:ec2/subnet:Subnet", "vpc-private-us-west-2a")
    assert i["subnetIds"] == [result_id(result, private_2a)]
    pg = result.one("aws:ec2/placementGroup:PlacementGroup", "nodes-bench-pg").inputs
    assert pg["strategy"] == "cluster"
    lt = result.one(LT, "nodes-bench-lt").inputs
    assert lt["placement"]["groupName"].startswith("nodes-bench-pg")


def result_id(result, registration):
    """The mocked physical ID of a subnet (IDs are deterministic per type and name)."""
    from pulumi.runtime.mocks import MockResourceArgs

    from components.testing.mock_engine import AwsLikeMocks

    rid, _ = AwsLikeMocks("us-west-2").new_resource(
        MockResourceArgs(typ=registration.type, name=registration.name, inputs=registration.inputs)
    )
    return rid


def test_nodes_only_in_private_subnets():
    result = planned("dev")
    private = {
        result_id(result, r) for r in result.by_type("aws:ec2/subnet:Subnet") if "private" in r.name
    }
    for mng in result.by_type(MNG):
        assert set(mng.inputs["subnetIds"]) <= private
        assert mng.inputs["subnetIds"]


def test_launch_template_imdsv2_hop_1_encrypted_volumes_and_cluster_sg():
    lt = planned("dev").one(LT, "nodes-dev-lt").inputs
    assert lt["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1.0,
    }
    assert [(b["deviceName"], b["ebs"]["encrypted"]) for b in lt["blockDeviceMappings"]] == [
        ("/dev/xvda", "true"),
        ("/dev/xvdb", "true"),
    ]
    assert lt["blockDeviceMappings"][1]["ebs"]["volumeSize"] == 50.0
    # No image: EKS keeps managing the Bottlerocket AMI and merges the TOML user data.
    assert "imageId" not in lt
    # No security groups and no network interfaces: EKS attaches the cluster security group,
    # whose self-referencing all-traffic rule carries VXLAN UDP 4789 between nodes
    # (Calico eBPF NodePort forwarding) and Typha TCP 5473.
    assert "vpcSecurityGroupIds" not in lt
    assert "networkInterfaces" not in lt
    assert "keyName" not in lt
    toml = base64.b64decode(lt["userData"]).decode()
    assert "[settings.host-containers.admin]\nenabled = false" in toml


def test_node_role_trust_and_exact_policies():
    result = planned("dev")
    role = result.one("aws:iam/role:Role", "nodes-dev-node").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    attached = sorted(
        r.inputs["policyArn"]
        for r in result.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("nodes-dev-node")
    )
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    # SSM: Session Manager only, inline, not AmazonSSMManagedInstanceCore (which reads every
    # parameter and document of the account).
    (ssm,) = [
        r
        for r in result.by_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.startswith("nodes-dev-node")
    ]
    assert ssm.name == "nodes-dev-node-ssm"
    assert json.loads(ssm.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SessionManagerOnly",
                "Effect": "Allow",
                "Action": [
                    "ssm:UpdateInstanceInformation",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            }
        ],
    }
    assert result.one("aws:iam/role:Role", "nodes-dev-node").urn in ssm.dependencies


def test_ssm_access_can_be_turned_off():
    # (the plan the security-rule tests use too: the endpoint setting changes no node resource)
    result = planned("dev", "publicAccessCidrs=[]", "deployInsideVpc=true", "nodeSsmAccess=false")
    assert [
        r.name
        for r in result.by_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.startswith("nodes-")
    ] == []
    assert len(result.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")) == len(
        planned("dev").by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    # and the control container, which only runs the SSM agent, is off with it
    (lt,) = (r.inputs for r in result.by_type(LT))
    toml = base64.b64decode(lt["userData"]).decode()
    assert "[settings.host-containers.control]\nenabled = false\n" in toml
    (lt,) = (r.inputs for r in planned("dev").by_type(LT))
    assert "[settings.host-containers.control]\nenabled = true\n" in (
        base64.b64decode(lt["userData"]).decode()
    )


def test_node_group_waits_for_cluster_and_vpc_cni():
    result = planned("dev")
    mng = result.one(MNG, "nodes-dev")
    assert result.one("eks:index:Cluster", "eks").urn in mng.dependencies
    assert result.one("aws:eks/addon:Addon", "eks-vpc-cni").urn in mng.dependencies
    assert mng.inputs["cluster"] == result.one("eks:index:Cluster", "eks").urn


def test_library_default_node_group_is_c5n_metal():
    # nodeGroups unset -> the library default group
    config = stack_config("dev")
    del config["eks-calico-ebpf:nodeGroups"]
    result = run_program("dev", config)
    (mng,) = result.by_type(MNG)
    assert mng.name == "nodes-metal"
    assert mng.inputs["instanceTypes"] == ["c5n.metal"]
    assert mng.inputs["amiType"] == "BOTTLEROCKET_x86_64"
    assert len(mng.inputs["subnetIds"]) == 2
